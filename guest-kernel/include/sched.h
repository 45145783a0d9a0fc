/* Sleeping and waking: wait queues, completions, and the scheduler. The
 * kernel is not preemptible: interrupts are off in it, and a task leaves the
 * CPU only in schedule(), which it calls to sleep, on a timer tick that
 * interrupted user mode, or at a preemption point (cond_resched) in long
 * kernel work. */
#ifndef K_SCHED_H
#define K_SCHED_H

#include "kernel.h"

struct task;

struct wait_queue {
	struct task *first;  /* linked through task->wait_next */
};

/* vfork: the parent sleeps on the child's completion until exec or exit. */
struct completion {
	bool done;
	struct wait_queue wq;
};

/* Sleeps until woken (or, if deadline != 0, until the TSC passes it).
 * Returns false if a signal is pending (sig_work): the caller returns
 * -EINTR or a restart code (errno.h). */
bool sleep_on(struct wait_queue *wq, u64 deadline);
/* Sleeps until woken; false only if the task is being killed. */
bool sleep_on_killable(struct wait_queue *wq);
/* Sleeps until woken, signals or not (a wake-up may come early: the caller
 * tests its condition again). */
void sleep_on_uninterruptible(struct wait_queue *wq);
void wake_up(struct wait_queue *wq);
bool wait_for_completion(struct completion *c); /* false if killed */
void complete(struct completion *c);

void schedule(void);
void sched_tick(bool from_user);   /* timer interrupt */
void sched_deadline(u64 deadline); /* a timer (signal.c) wants a tick's scan by then */
void wake_task(struct task *t);

/* Set by a timer tick that came in at a preemption point while another
 * task was runnable; cleared by schedule(). */
extern bool resched_requested;

/* A preemption point's test, Linux's need_resched(): interrupts on for one
 * instruction, so that a timer tick due by now is taken here (sched_tick),
 * then whether it asked for a reschedule. Five instructions when nothing is
 * due. Call it only where yielding is safe: nothing half-changed that
 * another task may see (for an mm, the caller holds its lock, mm.h). */
static inline bool need_resched(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return __builtin_expect(resched_requested, 0);
}

/* Linux's cond_resched: yield here if the tick asked for it. The task stays
 * runnable and carries on after the other tasks' turn. */
static inline void cond_resched(void)
{
	if (need_resched())
		schedule();
}

#endif
