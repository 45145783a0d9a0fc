/* Sleeping and waking: wait queues, completions, and the scheduler. The
 * kernel is not preemptible: a task leaves the CPU only in schedule(), which
 * it calls to sleep, to yield, or on a timer tick that interrupted user mode. */
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
void wake_up(struct wait_queue *wq);
bool wait_for_completion(struct completion *c); /* false if killed */
void complete(struct completion *c);

void schedule(void);
void sched_tick(bool from_user);   /* timer interrupt */
void sched_deadline(u64 deadline); /* a timer (signal.c) wants a tick's scan by then */
void wake_task(struct task *t);

#endif
