/* Single-stepping the vCPU with KVM_SET_GUEST_DEBUG (step.c): what the gdb
 * stub and --explain's ret watch share. A step is KVM_GUESTDBG_SINGLESTEP
 * set again before every KVM_RUN, since the guest's own iretq, popf or
 * exception entry may clear TF. */
#ifndef FL_STEP_H
#define FL_STEP_H

#include "run/session.h"

#include <stdbool.h>
#include <stdint.h>

struct fl_step {
	bool blockirq;          /* KVM_GUESTDBG_BLOCKIRQ is offered */
	bool fmask_saved;       /* a user syscall is being stepped: FMASK was fmask */
	uint64_t fmask;
};

/* Asks KVM what it offers. */
void fl_step_init(struct fl_step *st, const struct fl_session *s);

/* The kvm_guest_debug.control bits (ENABLE left to the caller) that stop the
 * vCPU after the instruction at its RIP: SINGLESTEP, and BLOCKIRQ unless it
 * is hlt. For a user `syscall` it also makes FMASK keep TF, until
 * fl_step_done at the next exit. */
uint32_t fl_step_control(struct fl_step *st, struct fl_session *s);

/* At the first exit after a step: FMASK back as it was, and TF out of R11
 * (the user flags syscall saved), so that the guest never sees it. */
void fl_step_done(struct fl_step *st, struct fl_session *s);

#endif
