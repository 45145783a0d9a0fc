/* The VM: /dev/kvm, guest memory, the in-kernel irqchip and the one vCPU. */
#ifndef FL_VM_H
#define FL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

enum fl_host_kind { FL_HOST_KVM, FL_HOST_PVM };

struct fl_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	enum fl_host_kind host_kind;
	uint32_t tsc_khz;
	uint64_t xcr0;          /* what the kernel will enable (FL_XFEATURES & CPUID 0xD), 0: no XSAVE */
};

/* Opens /dev/kvm, creates the VM, its memory, irqchip and vCPU, and detects the
 * host kind. On failure returns -1 with a one-line reason (and fix) in err. */
int fl_vm_create(struct fl_vm *vm, uint64_t mem_size, char *err, size_t errlen);
void fl_vm_destroy(struct fl_vm *vm);

/* Host pointer for [gpa, gpa+len) or NULL if any byte lies outside guest RAM. */
void *fl_gpa_to_hva(const struct fl_vm *vm, uint64_t gpa, uint64_t len);

/* The current privilege level of the vCPU, from KVM_GET_SREGS; -1 on error. */
int fl_vcpu_cpl(const struct fl_vm *vm);

const char *fl_host_kind_name(enum fl_host_kind k);

#endif
