/* The boot information the VMM passes in the FDT (vmm/boot/fdt.c), read by
 * lib/bootfdt.c. Plain C with libfdt: the fuzz target builds it for the host. */
#ifndef K_BOOTFDT_H
#define K_BOOTFDT_H

#include <stdint.h>

struct boot_info {
	uint64_t mem_size, initrd_start, initrd_end;
	const char *bootargs, *host_kind;
	const char *init_argv;   /* FDT string lists */
	int init_argv_len;
	const char *init_envp;
	int init_envp_len;
	const char *init_cwd;
	uint64_t tsc_khz, realtime_ns;
};

/* Fills *bi from the tree (zeroed first); pointers point into it. Returns
 * NULL, or why the tree cannot boot the kernel: anything missing is fatal,
 * since the VMM always provides it. */
const char *boot_fdt_parse(const void *fdt, struct boot_info *bi);

#endif
