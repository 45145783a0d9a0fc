/* The vCPU's single steps (step.h). Stepping a user `syscall` needs care:
 * FMASK clears TF as the kernel is entered (Linux's FMASK and ours), and no
 * trap would follow, so for that one instruction FMASK keeps TF. */
#include "kvm/step.h"
#include "observe/inspect.h"

#include <errno.h>
#include <forklab/linux.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define X86_TF 0x100ULL

void fl_step_init(struct fl_step *st, const struct fl_session *s)
{
	int caps = ioctl(s->vm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	memset(st, 0, sizeof *st);
	st->blockirq = caps > 0 && (caps & KVM_GUESTDBG_BLOCKIRQ);
}

static void set_fmask(struct fl_session *s, uint64_t v)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e = { .index = MSR_SYSCALL_MASK, .data = v },
	};
	if (ioctl(s->vm.vcpu_fd, KVM_SET_MSRS, &m) != 1)
		fprintf(stderr, "forklab: single-step: setting FMASK: %s\n", strerror(errno));
}

uint32_t fl_step_control(struct fl_step *st, struct fl_session *s)
{
	/* The next instruction's first two bytes, and the CPL it runs at. */
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint8_t insn[2] = { 0 };
	bool user = fl_vcpu_regs(s, &r, &sr) == 0 && (sr.cs.selector & 3) == 3;
	fl_read_gva(&s->vm, sr.cr3, r.rip, insn, 2);
	uint32_t control = KVM_GUESTDBG_SINGLESTEP;
	/* No interrupt is delivered between two steps: its handler would run
	 * with TF clear, unseen (a tick's schedule() could even run another
	 * task). Except at hlt, which waits for one. */
	if (st->blockirq && insn[0] != 0xf4)
		control |= KVM_GUESTDBG_BLOCKIRQ;
	if (user && insn[0] == 0x0f && insn[1] == 0x05 && !st->fmask_saved &&
	    fl_vcpu_msr(s, MSR_SYSCALL_MASK, &st->fmask) == 0) {
		set_fmask(s, st->fmask & ~X86_TF);
		st->fmask_saved = true;
	}
	return control;
}

void fl_step_done(struct fl_step *st, struct fl_session *s)
{
	struct kvm_regs r;
	if (!st->fmask_saved)
		return;
	st->fmask_saved = false;
	set_fmask(s, st->fmask);
	if (fl_vcpu_regs(s, &r, NULL) == 0 && (r.r11 & X86_TF)) {
		r.r11 &= ~X86_TF;
		ioctl(s->vm.vcpu_fd, KVM_SET_REGS, &r);
	}
}
