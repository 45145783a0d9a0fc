/* libFuzzer target: the host's cpio writer (vmm/boot/cpio.c), read back by
 * the guest's parser (guest-kernel/lib/cpio.c, built for the host). Every
 * entry the writer accepts must come back whole, in order, before the
 * trailer. Input: entries of [mode: 4][name length: 1][name][data length: 2]
 * [data], little-endian; a name stops at its first NUL, as a C string. */
#include "boot/cpio.h"
#include "../../guest-kernel/include/cpio.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

struct entry { char name[256]; const uint8_t *data; size_t size; uint32_t mode; };

static void fail(const char *why, int i)
{
	fprintf(stderr, "cpio round trip: entry %d: %s\n", i, why);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct entry e[MAX_ENTRIES];
	struct fl_cpio c = { 0 };
	int n = 0;
	size_t at = 0;
	while (n < MAX_ENTRIES && size - at >= 5) {
		struct entry *x = &e[n];
		memcpy(&x->mode, data + at, 4);
		size_t nl = data[at + 4];
		at += 5;
		if (size - at < nl + 2)
			break;
		memcpy(x->name, data + at, nl);
		x->name[nl] = 0;
		at += nl;
		x->size = data[at] | data[at + 1] << 8;
		at += 2;
		if (x->size > size - at)
			x->size = size - at;
		x->data = data + at;
		at += x->size;
		if (fl_cpio_add(&c, x->name, x->data, x->size, x->mode) == 0)
			n++; /* refused: not in the archive, and the next takes its slot */
	}
	if (fl_cpio_finish(&c) < 0)
		abort(); /* out of memory: not a finding */
	size_t off = 0;
	struct cpio_file f;
	for (int i = 0; i < n; i++) {
		if (cpio_next(c.buf, c.len, &off, &f) != 1)
			fail("missing: the archive ended or broke before it", i);
		if (f.namelen != strlen(e[i].name) || memcmp(f.name, e[i].name, f.namelen))
			fail("another name", i);
		if (f.size != e[i].size || memcmp(f.data, e[i].data, f.size))
			fail("other data", i);
		if (f.mode != e[i].mode)
			fail("another mode", i);
	}
	if (cpio_next(c.buf, c.len, &off, &f) != 0)
		fail("not followed by the trailer", n);
	fl_cpio_free(&c);
	return 0;
}
