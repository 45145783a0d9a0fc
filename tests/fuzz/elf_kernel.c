/* libFuzzer target: the checks of a kernel image (vmm/boot/elf.c: libelf,
 * segments, sections, symbols), then, for an image that passes, its load
 * into guest RAM and a symbol lookup, as a run does. */
#include "boot/elf.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MEM (4UL << 20) /* the kernel loads at 2 MiB: room for a small one */

static uint8_t *mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Anonymous memory, as guest RAM is: fl_kernel_load drops its pages. */
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_kernel k;
	char err[256];
	uint64_t end, v;
	if (fl_kernel_open_memory(data, size, &k, err, sizeof err) < 0)
		return 0;
	fl_kernel_load(&k, mem, MEM, &end, err, sizeof err);
	fl_kernel_symbol(&k, "fl_kstate", &v);
	fl_kernel_close(&k);
	return 0;
}
