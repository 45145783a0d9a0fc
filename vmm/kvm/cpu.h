/* Putting the vCPU straight into 64-bit mode: segment caches, control
 * registers and the syscall MSRs, with no firmware or real-mode step. */
#ifndef FL_CPU_H
#define FL_CPU_H

#include "kvm/vm.h"

struct fl_cpu_entry {
	int cpl;              /* 0: kernel segments; 3: user segments */
	uint64_t cr3, rip, rsp, rdi;
	uint64_t lstar;       /* syscall target, or 0 */
};

/* Writes the boot page tables into guest RAM and returns their CR3: the kernel
 * half [FL_KERNEL_VBASE, +1 GiB) -> physical [0, 1 GiB), and the same physical
 * range identity-mapped user-accessible for the host-kind probe. */
uint64_t fl_cpu_boot_page_tables(struct fl_vm *vm);

int fl_cpu_enter(struct fl_vm *vm, const struct fl_cpu_entry *e, char *err, size_t errlen);

/* Completes a pending I/O exit without running guest code, so that vCPU state
 * may be replaced (the KVM API requires it after KVM_EXIT_IO). */
int fl_cpu_settle(struct fl_vm *vm);

#endif
