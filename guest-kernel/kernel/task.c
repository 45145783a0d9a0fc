/* The task table. Tasks and their kernel stacks are static arrays: nothing to
 * allocate or clear, and a fixed, documented limit (MAX_TASKS). */
#include "arch.h"
#include "lab.h"
#include "task.h"

static struct task tasks[MAX_TASKS];
static u8 kstacks[MAX_TASKS][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
struct task *current;

struct task *task_alloc(void)
{
	for (int i = 0; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		if (t->state != TASK_UNUSED)
			continue;
		memset(t, 0, sizeof *t);
		t->pid = next_pid++;
		t->state = TASK_RUNNING;
		t->thread.sp0 = (u64)(kstacks[i] + KSTACK_SIZE);
		return t;
	}
	return NULL;
}

void set_current(struct task *t)
{
	current = t;
	fl_kstate.current_pid = t ? t->pid : -1;
	cpu_set_kernel_stack(t->thread.sp0);
	mm_switch(t->mm);
}

void do_exit(int wait_status)
{
	/* Until processes land, pid 1 is the only task: its exit ends the run. */
	for (;;)
		lab_call(FL_LAB_EXIT, wait_status, 0, 0, 0);
}

void force_sig_fault(int sig, u64 addr, struct pt_regs *regs)
{
	lab_call(FL_LAB_KILLED, current->pid, sig, regs->ip, addr);
	do_exit(sig);
}
