/* Guest events and the hooks that receive them (struct fl_hook, config.h). */
#ifndef FL_EVENTS_H
#define FL_EVENTS_H

#include "run/config.h"

#include <forklab/abi.h>

void fl_event_dispatch(struct fl_session *s, const struct fl_event *ev);
/* An MMIO exit: the return-to-user event if it is the kernel's store to
 * FL_EVENT_MMIO_GPA, otherwise a verdict. */
void fl_event_mmio(struct fl_session *s, uint64_t gpa, int is_write);

/* At a FL_EV_RETURN event: what iretq is about to load. The general
 * registers are the vCPU's own (fl_vcpu_regs); RIP, RSP and the rest come
 * from this frame at the kernel RSP. */
struct fl_iret_frame {
	uint64_t ip, cs, flags, sp, ss;
};
int fl_return_frame(const struct fl_session *s, struct fl_iret_frame *f);

/* What a FL_EV_CLONE's flags made: "fork", "vfork", "clone" or "kernel_thread". */
const char *fl_clone_name(uint64_t flags);

#endif
