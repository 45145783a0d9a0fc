/* Direct 64-bit entry. The segment caches are set as if the Linux-layout GDT
 * (include/forklab/abi.h selectors) were already loaded. */
#include "kvm/cpu.h"
#include "error.h"

#include <errno.h>
#include <forklab/abi.h>
#include <forklab/linux.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE (1UL << 0)
#define CR0_MP (1UL << 1)
#define CR0_ET (1UL << 4)
#define CR0_NE (1UL << 5)
#define CR0_WP (1UL << 16)
#define CR0_PG (1UL << 31)
#define CR4_PAE (1UL << 5)
#define CR4_OSFXSR (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define EFER_SCE (1UL << 0)
#define EFER_LME (1UL << 8)
#define EFER_LMA (1UL << 10)
#define EFER_NXE (1UL << 11)


static struct kvm_segment seg(uint16_t sel, int code)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = sel, .present = 1,
		.dpl = sel & 3, .s = 1, .g = 1,
		.type = code ? 0xb : 0x3, .l = code, .db = !code,
	};
	return s;
}

uint64_t fl_cpu_boot_page_tables(struct fl_vm *vm)
{
	enum { P = 1, W = 2, U = 4, PS = 0x80 };
	const uint64_t pml4 = FL_BOOT_AREA, pdpt_hi = pml4 + 0x1000, pdpt_lo = pml4 + 0x2000,
		       pd = pml4 + 0x3000;
	uint64_t *t = fl_gpa_to_hva(vm, pml4, 0x4000);
	memset(t, 0, 0x4000);
	t[0] = pdpt_lo | P | W | U;
	t[511] = pdpt_hi | P | W;
	t[512 + 510] = pd | P | W;            /* 0xffffffff80000000: PDPT index 510 */
	t[1024] = pd | P | W | U;
	uint64_t map = vm->mem_size < (1UL << 30) ? vm->mem_size : (1UL << 30);
	for (uint64_t i = 0; i < (map + (2UL << 20) - 1) >> 21; i++)
		t[1536 + i] = (i << 21) | P | W | U | PS;
	return pml4;
}

int fl_cpu_enter(struct fl_vm *vm, const struct fl_cpu_entry *e, char *err, size_t n)
{
	struct kvm_sregs s;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		goto fail;
	int user = e->cpl == 3;
	s.cs = seg(user ? FL_USER_CS : FL_KERNEL_CS, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(user ? FL_USER_DS : FL_KERNEL_DS, 0);
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = e->cr3;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	s.gdt.base = s.idt.base = 0;
	s.gdt.limit = s.idt.limit = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		goto fail;

	struct { struct kvm_msrs h; struct kvm_msr_entry e[3]; } m = {
		.h.nmsrs = 3,
		.e = {
			{ .index = MSR_STAR, .data = ((uint64_t)FL_USER32_CS << 48) |
						     ((uint64_t)FL_KERNEL_CS << 32) },
			{ .index = MSR_LSTAR, .data = e->lstar },
			{ .index = MSR_SYSCALL_MASK, .data = 0 },
		},
	};
	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 3)
		goto fail;

	/* XCR0 as the kernel will set it. The kernel's own XSETBV would do, on
	 * hardware; but QEMU 7.2's TCG (the nested bed) does not intercept a
	 * nested guest's XSETBV, so L1's KVM never learns of it and loads its
	 * idea of XCR0 (x87 only) at every entry. Set here, both agree. */
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = vm->xcr0 } } };
	if (vm->xcr0 && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0 &&
	    ioctl(vm->vcpu_fd, KVM_SET_XCRS, &x) < 0)
		goto fail;

	struct kvm_regs r = { .rip = e->rip, .rsp = e->rsp, .rdi = e->rdi, .rflags = 2 };
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0)
		goto fail;
	return 0;
fail:
	fl_fail(err, n, "setting the vCPU's 64-bit entry state: %s", strerror(errno));
	return -1;
}

int fl_cpu_settle(struct fl_vm *vm)
{
	vm->run->immediate_exit = 1;
	int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	vm->run->immediate_exit = 0;
	return (r < 0 && errno == EINTR) ? 0 : -1;
}
