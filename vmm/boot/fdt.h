/* Builds the flattened device tree the guest kernel boots with: RAM, the
 * initramfs, kernel options and the forklab,* properties of abi.h. */
#ifndef FORKLAB_VMM_FDT_H
#define FORKLAB_VMM_FDT_H

#include <stddef.h>
#include <stdint.h>

struct fl_boot_info {
	uint64_t mem_size;                 /* RAM at guest-physical 0 */
	uint64_t initrd_start, initrd_end; /* physical */
	const char *bootargs;              /* kernel options, may be "" */
	const char *host_kind;             /* "kvm" or "pvm" */
	uint32_t lab_port, tsc_khz;
	const char *const *init_argv; size_t init_argc; /* argv of pid 1, argv[0] = path in the initramfs */
	const char *const *init_envp; size_t init_envc; /* its environment */
	const char *init_cwd;              /* its working directory (NULL: /) */
	uint64_t realtime_ns;              /* the host's wall clock */
};

/* Writes the tree into buf[0, cap) (a caller passes FL_FDT_MAX). Returns 0, or -1
 * with a one-line reason in err (no room, no init program). */
int fl_fdt_build(void *buf, size_t cap, const struct fl_boot_info *bi, char *err, size_t errlen);

#endif
