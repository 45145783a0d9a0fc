/* Guest-physical layout (abi.h): boot page tables and FDT low, the kernel at
 * FL_KERNEL_PADDR, the initramfs at the top of RAM; the rest is the kernel's. */
#include "boot/boot.h"
#include "error.h"
#include "kvm/cpu.h"
#include "boot/fdt.h"

#include <forklab/abi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The least the kernel needs beyond its image and the initramfs: page tables,
 * a kernel stack and a few user pages. Checked here so that "too little
 * memory" is a clear error, not a guest panic. */
#define MIN_FREE (4UL << 20)

int fl_boot(struct fl_vm *vm, const struct fl_config *c, const struct fl_kernel *k,
	    const struct fl_cpio *initrd, const char *init_path, char *err, size_t n)
{
	uint64_t kend;
	if (fl_kernel_load(k, vm->mem, vm->mem_size, &kend, err, n) < 0)
		return -1;
	uint64_t istart = (vm->mem_size - initrd->len) & ~0xfffUL;
	if (initrd->len > vm->mem_size || istart < kend + MIN_FREE) {
		uint64_t need = (kend + MIN_FREE + initrd->len + (1 << 20) - 1) >> 20;
		fl_fail(err, n, "--mem %luM is too small for the kernel and program: need at least %luM",
			(unsigned long)(vm->mem_size >> 20), (unsigned long)need);
		return -1;
	}
	memcpy(vm->mem + istart, initrd->buf, initrd->len);

	/* The kernel's limits (abi.h), checked here: past them the kernel would
	 * drop arguments, or fail to start init. */
	const char *argv[FL_ARG_MAX];
	if (c->nargs + 1 > FL_ARG_MAX)
		return fl_fail(err, n, "too many program arguments: %d (at most %d)", c->nargs,
			       FL_ARG_MAX - 1);
	argv[0] = init_path;
	for (int i = 0; i < c->nargs; i++)
		argv[1 + i] = c->args[i];
	/* HOME and TERM as a login would set them, unless -e sets them. */
	static const char *const defaults[] = { "HOME=/", "TERM=linux" };
	const char *envp[2 + FL_MAX_ENV];
	size_t envc = 0;
	for (size_t d = 0; d < 2; d++) {
		size_t len = strchr(defaults[d], '=') - defaults[d] + 1;
		bool set = false;
		for (int i = 0; i < c->nenv; i++)
			set |= !strncmp(c->env[i], defaults[d], len);
		if (!set)
			envp[envc++] = defaults[d];
	}
	for (int i = 0; i < c->nenv; i++)
		envp[envc++] = c->env[i];
	size_t bytes = 0;
	for (int i = 0; i < 1 + c->nargs; i++)
		bytes += strlen(argv[i]) + 1;
	for (size_t i = 0; i < envc; i++)
		bytes += strlen(envp[i]) + 1;
	if (bytes > FL_INIT_ARG_BYTES)
		return fl_fail(err, n, "program arguments and environment too long: %zu bytes "
			       "(at most %lu)", bytes, FL_INIT_ARG_BYTES);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char bootargs[FL_APPEND_MAX + 48];
	if (c->append && strlen(c->append) > FL_APPEND_MAX)
		return fl_fail(err, n, "--append: too long: %zu bytes (at most %d)", strlen(c->append),
			       FL_APPEND_MAX);
	snprintf(bootargs, sizeof bootargs, "%s%s%s %s", c->verbose ? "verbose " : "",
		 c->nhooks ? "trace" : "", c->vfork_sanitize ? " vfork.sanitize" : "",
		 c->append ? c->append : "");
	struct fl_boot_info bi = {
		.mem_size = vm->mem_size,
		.initrd_start = istart, .initrd_end = istart + initrd->len,
		.bootargs = bootargs, .host_kind = fl_host_kind_name(vm->host_kind),
		.lab_port = FL_PORT_LAB, .tsc_khz = vm->tsc_khz,
		.init_argv = argv, .init_argc = 1 + c->nargs,
		.init_envp = envp, .init_envc = envc, .init_cwd = c->cwd ? c->cwd : "/",
		.realtime_ns = (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec,
	};
	if (fl_fdt_build(vm->mem + FL_FDT_PADDR, FL_FDT_MAX, &bi, err, n) < 0)
		return -1;

	struct fl_cpu_entry e = {
		.cpl = 0, .cr3 = fl_cpu_boot_page_tables(vm), .rip = k->entry, .rdi = FL_FDT_PADDR,
	};
	return fl_cpu_enter(vm, &e, err, n);
}
