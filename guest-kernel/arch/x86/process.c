/* The x86 half of fork and of a task switch. copy_thread builds the child's
 * frame and thread record; __switch_to, called by switch_to (entry.S) on
 * the incoming task's stack, loads that task's FPU state, kernel stack top
 * and TLS, and makes it current. */
#include "arch.h"
#include "errno.h"
#include "task.h"

/* For a kernel thread (p->kthread), sp is its function and arg the
 * argument; otherwise they are clone's stack and tls. */
int copy_thread(u64 flags, u64 sp, u64 arg, struct task *p)
{
	struct pt_regs *childregs = task_pt_regs(p);
	p->thread.sp = (u64)childregs;
	p->thread.ip = (u64)ret_from_fork;
	if (p->kthread) {
		memset(childregs, 0, sizeof *childregs);
		childregs->bx = sp;
		childregs->bp = arg;
		childregs->cs = FL_KERNEL_CS;
		childregs->ss = FL_KERNEL_DS;
		childregs->flags = 0x2;
		return 0;
	}
	*childregs = *task_pt_regs(current);
	childregs->ax = 0;
	if (sp)
		childregs->sp = sp;
	p->thread.fsbase = current->thread.fsbase;
	if (flags & CLONE_SETTLS) {
		if (!access_ok(arg, 0))
			return -EPERM;
		p->thread.fsbase = arg;
	}
	host_fpu_switch(p->fpstate, NULL); /* the child gets the live FPU state */
	return 0;
}

struct task *__switch_to(struct task *prev, struct task *next)
{
	host_fpu_switch(prev->kthread ? NULL : prev->fpstate, next->kthread ? NULL : next->fpstate);
	cpu_tss.sp0 = next->thread.sp0;
	if (prev->thread.fsbase != next->thread.fsbase)
		wrmsr(MSR_FS_BASE, next->thread.fsbase);
	set_current(next);
	return prev;
}
