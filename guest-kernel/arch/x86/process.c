/* The x86 half of a task switch and of fork: copy_thread builds the child's
 * frame and thread record; arch_switch loads the next task's kernel stack
 * top, address space, TLS and FPU state. */
#include "arch.h"
#include "errno.h"
#include "task.h"
#include "trace.h"

#define CLONE_SETTLS 0x00080000

int copy_thread(u64 flags, u64 sp, u64 arg, struct task *p)
{
	struct pt_regs *childregs = task_pt_regs(p);
	p->thread.sp = (u64)childregs;
	p->thread.sp0 = (u64)(childregs + 1) - (fault_on(FAULT_SP0) ? 16 : 0);
	if (p->kthread) { /* sp is the function, arg its argument */
		memset(childregs, 0, sizeof *childregs);
		childregs->bx = sp;
		childregs->bp = arg;
		childregs->cs = FL_KERNEL_CS;
		childregs->ss = FL_KERNEL_DS;
		childregs->flags = 0x2;
		p->thread.ip = (u64)ret_from_kernel_thread;
		return 0;
	}
	*childregs = *task_pt_regs(current);
	if (!fault_on(FAULT_CHILD_AX))
		childregs->ax = 0;
	if (sp)
		childregs->sp = sp;
	p->thread.ip = (u64)(fault_on(FAULT_THREAD_IP) ? ret_from_fork_other : ret_from_fork);
	p->thread.fsbase = current->thread.fsbase;
	if (flags & CLONE_SETTLS) {
		if (!access_ok(arg, 0))
			return -EPERM;
		p->thread.fsbase = arg;
	}
	__asm__ volatile("fxsave64 %0" : "=m"(p->fxsave)); /* the parent's live FPU state */
	return 0;
}

void arch_switch(struct task *prev, struct task *next)
{
	if (prev && !prev->kthread)
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fxsave));
	if (!next->kthread)
		__asm__ volatile("fxrstor64 %0" ::"m"(next->fxsave));
	cpu_set_kernel_stack(next->thread.sp0);
	if (!prev || prev->mm != next->mm)
		mm_switch(next->mm);
	if (!prev || prev->thread.fsbase != next->thread.fsbase)
		wrmsr(MSR_FS_BASE, next->thread.fsbase);
}
