/* The task table. Tasks and their kernel stacks are static arrays: nothing to
 * allocate or clear, and a fixed, documented limit (MAX_TASKS). */
#include "arch.h"
#include "task.h"

struct task tasks[MAX_TASKS];
static u8 kstacks[MAX_TASKS][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
struct task *current;
int nr_user_tasks;

struct task *task_alloc(void)
{
	for (int i = 0; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		if (t->state != TASK_UNUSED)
			continue;
		memset(t, 0, offsetof(struct task, fxsave));
		t->pid = t->tgid = next_pid++;
		t->state = TASK_RUNNING;
		t->stack = (u64)kstacks[i];
		t->thread.sp0 = t->stack + KSTACK_SIZE;
		return t;
	}
	return NULL;
}

void task_free(struct task *t)
{
	t->state = TASK_UNUSED;
}

void arch_switch(struct task *prev, struct task *next);

void set_current(struct task *t)
{
	arch_switch(current, t);
	current = t;
	fl_kstate.current_pid = t->pid;
	fl_kstate.current = (u64)t;
}
