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
};
extern u32 faults;
static inline bool fault_on(enum fault f)
{
	return faults & (1U << f);
}

void trace_init(const char *bootargs);
void trace_event(u32 kind, struct task *t, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
/* After copy_thread: the clone event, return events for both tasks, and the
 * fault.* bootargs that break the child (the others are tested where they act). */
void trace_clone(struct task *child, u64 flags, u64 stack, u64 tls);

#endif
