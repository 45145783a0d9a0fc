/* Lab events for the host (bootarg "trace"), and the fault-injection bootargs
 * that break one fact each, so the host's checks can be seen to fail. */
#ifndef K_TRACE_H
#define K_TRACE_H

#include "kernel.h"

struct task;

extern bool tracing;
/* Any task has trace_return set: entry.S's one flag test when tracing is off. */
extern u8 trace_return_pending;

enum fault {
	FAULT_CHILD_AX,      /* fault.child_ax: the child's pt_regs.ax is not zeroed */
	FAULT_THREAD_IP,     /* fault.thread_ip: the child's thread.ip is a jump to ret_from_fork */
	FAULT_SP0,           /* fault.sp0: thread.sp0 is 16 bytes below the frame's end */
	FAULT_PARENT_RET,    /* fault.parent_ret: the parent gets pid + 1 */
	FAULT_VFORK_NOWAIT,  /* fault.vfork_nowait: the vfork parent does not wait */
	FAULT_COW_WRITABLE,  /* fault.cow_writable: fork leaves private pages writable */
	FAULT_SIGRETURN_R11, /* fault.sigreturn_r11: rt_sigreturn flips a bit of r11 */
};
extern u32 faults;
static inline bool fault_on(enum fault f)
{
	return faults & (1U << f);
}

void trace_init(const char *bootargs);
/* An event about task t, sent only with the bootarg "trace"; the payload is
 * the kind's member of struct fl_event (abi.h), e.g.
 *	trace_event(current, FL_EV_COW, .cow = { va, old, new });
 * With tracing off it costs one test, and no call. */
#define trace_event(t, kind_, ...)                                                        \
	do {                                                                              \
		if (unlikely(tracing))                                                    \
			trace_emit((t), &(struct fl_event){ .kind = (kind_), __VA_ARGS__ }); \
	} while (0)
void trace_emit(struct task *t, struct fl_event *ev);
/* After copy_thread: the clone event, return events for both tasks, and the
 * fault.* bootargs that break the child (the others are tested where they act). */
void __trace_clone(struct task *child, u64 flags, u64 stack, u64 tls);
static inline void trace_clone(struct task *child, u64 flags, u64 stack, u64 tls)
{
	if (unlikely(tracing || faults))
		__trace_clone(child, flags, stack, tls);
}

#endif
