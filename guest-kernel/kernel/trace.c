/* Events to the host, one exit each, only with the bootarg "trace": clone,
 * exec, exit, vfork wait and release, schedule-in, the end of an idle spell
 * (sched.c), COW faults, and (entry.S)
 * the first return to user mode after a clone. Also the fault-injection
 * bootargs: every fact they break on a new child is broken here. */
#include "arch.h"
#include "lab.h"
#include "task.h"
#include "trace.h"
#include "vfork_san.h"

bool tracing;
u8 trace_return_pending;
u32 faults;

static const char *const fault_names[] = {
	[FAULT_CHILD_AX] = "fault.child_ax", [FAULT_THREAD_IP] = "fault.thread_ip",
	[FAULT_SP0] = "fault.sp0", [FAULT_PARENT_RET] = "fault.parent_ret",
	[FAULT_VFORK_NOWAIT] = "fault.vfork_nowait", [FAULT_COW_WRITABLE] = "fault.cow_writable",
	[FAULT_SIGRETURN_R11] = "fault.sigreturn_r11",
};

void trace_init(const char *args)
{
	tracing = bootarg(args, "trace");
	vfork_san_init(args);
	for (unsigned i = 0; i < ARRAY_SIZE(fault_names); i++)
		if (bootarg(args, fault_names[i])) {
			faults |= 1U << i;
			printk("forklab: fault injection: %s\n", fault_names[i]);
		}
}

void trace_emit(struct task *t, struct fl_event *ev)
{
	ev->pid = t->pid;
	ev->task = (u64)t;
	lab_event(ev);
}

static void trace_return(struct task *t)
{
	t->trace_return = 1;
	trace_return_pending = 1;
}

/* fault.thread_ip: a new task's thread.ip that is not ret_from_fork but
 * leads there, so the child runs and only the thread.ip check fails. */
__attribute__((naked)) static void fault_ret_from_fork(void)
{
	__asm__("jmp ret_from_fork");
}

/* The injected faults that change the child copy_thread made. */
static void fault_inject_child(struct task *p)
{
	if (fault_on(FAULT_CHILD_AX) && !p->kthread)
		task_pt_regs(p)->ax = task_pt_regs(current)->ax;
	if (fault_on(FAULT_THREAD_IP) && !p->kthread)
		p->thread.ip = (u64)fault_ret_from_fork;
	if (fault_on(FAULT_SP0))
		p->thread.sp0 -= 16;
}

void __trace_clone(struct task *p, u64 flags, u64 stack, u64 tls)
{
	if (faults)
		fault_inject_child(p);
	if (!tracing)
		return;
	trace_event(current, FL_EV_CLONE, .clone = { (u64)p, p->pid, flags, stack, tls,
		    p->stack + KSTACK_SIZE - sizeof(struct pt_regs) });
	if (!p->kthread) {
		trace_return(current);
		trace_return(p);
	}
}

/* Called by entry.S as it clears current's flag: is any other still waiting? */
void trace_return_done(void)
{
	trace_return_pending = 0;
	for_each_task(t)
		if (t->trace_return)
			trace_return_pending = 1;
}
