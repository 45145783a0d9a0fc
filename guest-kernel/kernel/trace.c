/* Events to the host, one exit each, only with the bootarg "trace": clone,
 * exec, exit, vfork wait and release, schedule-in, COW faults, and (entry.S)
 * the first return to user mode after a clone. Also the fault-injection
 * bootargs. */
#include "arch.h"
#include "lab.h"
#include "task.h"
#include "trace.h"

bool tracing;
u8 trace_return_pending;
u32 faults;

static const char *const fault_names[] = {
	[FAULT_CHILD_AX] = "fault.child_ax", [FAULT_THREAD_IP] = "fault.thread_ip",
	[FAULT_SP0] = "fault.sp0", [FAULT_PARENT_RET] = "fault.parent_ret",
	[FAULT_VFORK_NOWAIT] = "fault.vfork_nowait", [FAULT_COW_WRITABLE] = "fault.cow_writable",
};

void trace_init(const char *args)
{
	tracing = bootarg(args, "trace");
	for (unsigned i = 0; i < ARRAY_SIZE(fault_names); i++)
		if (bootarg(args, fault_names[i])) {
			faults |= 1U << i;
			printk("forklab: fault injection: %s\n", fault_names[i]);
		}
}

void trace_event(u32 kind, struct task *t, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	if (!tracing)
		return;
	struct fl_event ev = { kind, t->pid, (u64)t, { a0, a1, a2, a3, a4, a5 } };
	lab_event(&ev);
}

void trace_return(struct task *t)
{
	if (!tracing)
		return;
	t->trace_return = 1;
	trace_return_pending = 1;
}

/* Called by entry.S as it clears current's flag: is any other still waiting? */
void trace_return_done(void)
{
	trace_return_pending = 0;
	for (int i = 0; i < MAX_TASKS; i++)
		if (tasks[i].trace_return)
			trace_return_pending = 1;
}
