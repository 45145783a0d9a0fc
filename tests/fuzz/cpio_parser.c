/* libFuzzer target: the guest's initramfs parser (guest-kernel/lib/cpio.c,
 * built for the host) on any bytes: every entry it returns lies inside the
 * archive, and each step moves forward. */
#include "../../guest-kernel/include/cpio.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, prev;
	struct cpio_file f;
	const uint8_t *end = data + size;
	do {
		prev = off;
		if (cpio_next(data, size, &off, &f) != 1)
			break;
		if ((const uint8_t *)f.name < data || (const uint8_t *)f.name + f.namelen >= end ||
		    f.name[f.namelen] || (const uint8_t *)f.data < data ||
		    f.size > (size_t)(end - (const uint8_t *)f.data) || off <= prev)
			abort();
	} while (off <= size);
	return 0;
}
