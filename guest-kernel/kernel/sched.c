/* Round-robin scheduling over a FIFO run queue, wait queues, and timed
 * sleeps. A timer tick that interrupted user mode preempts the task; one
 * that came in at a preemption point in the kernel (cond_resched, sched.h)
 * asks it to yield there. */
#include "arch.h"
#include "task.h"
#include "ktime.h"
#include "trace.h"

static u64 next_deadline = ~0UL;   /* earliest timed sleep, so most ticks scan nothing */
static struct task *rq_head, *rq_tail;  /* runnable tasks other than current */
static struct task *timed;              /* tasks in a timed sleep (timed_next), for sched_tick */
bool resched_requested;

static void rq_push(struct task *t)
{
	t->run_next = NULL;
	if (rq_tail)
		rq_tail->run_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct task *rq_pop(void)
{
	struct task *t = rq_head;
	if (t && !(rq_head = t->run_next))
		rq_tail = NULL;
	return t;
}

void wake_task(struct task *t)
{
	if (t->state != TASK_SLEEPING)
		return;
	t->state = TASK_RUNNING;
	t->wake_deadline = 0;
	rq_push(t);
}

/* In the task switched to, on its own stack: frees a task that exited on
 * its stack, now that we are off it. */
static void finish_task_switch(struct task *last)
{
	if (last->state == TASK_DEAD) {
		struct task *l = last->group_leader;
		if (l != last && l) { /* an exited thread's time stays with its process */
			l->dead.exec += last->cpu.exec;
			l->dead.uticks += last->cpu.uticks;
			l->dead.sticks += last->cpu.sticks;
			l->dead.minflt += last->cpu.minflt;
		}
		task_free(last);
	}
	trace_event(current, FL_EV_SCHED_IN);
}

/* As Linux: the address space first, then switch_to (entry.S) swaps the
 * kernel stacks and calls __switch_to (process.c) for the rest of the CPU
 * state. It returns in next, possibly much later, in whichever task
 * switches back to us. */
static void context_switch(struct task *prev, struct task *next)
{
	u64 now = rdtsc();
	prev->cpu.exec += now - prev->last_in;
	next->last_in = now;
	if (prev->mm != next->mm)
		mm_switch(next->mm);
	fl_kstate.switches++;
	finish_task_switch(switch_to(prev, next));
}

void schedule(void)
{
	struct task *prev = current, *next;
	if (prev->state == TASK_RUNNING)
		rq_push(prev);
	if (!(next = rq_pop())) {
		u64 idle = rdtsc();
		while (!(next = rq_pop()))
			__asm__ volatile("sti; hlt; cli" ::: "memory"); /* idle: the tick wakes sleepers */
		prev->last_in += rdtsc() - idle; /* idle time is no task's CPU time */
		trace_event(prev, FL_EV_IDLE, .idle = { idle }); /* so a trace shows no task running */
	}
	resched_requested = false;
	if (next != prev)
		context_switch(prev, next);
}

/* A new task's first C code (ret_from_fork), with the task it switched from:
 * the end of the switch, then what a new user task owes before its first
 * return to user mode. A kernel thread has no set_child_tid and cannot be
 * killed, so the same code serves it. */
void schedule_tail(struct task *last)
{
	finish_task_switch(last);
	if (current->set_child_tid) {
		u32 tid = current->pid;
		copy_to_user(current->set_child_tid, &tid, sizeof tid);
	}
	exit_to_user_mode();
	host_user_return(task_pt_regs(current)); /* a kernel thread's frame is not a user one */
}

void sched_tick(bool from_user)
{
	u64 now = rdtsc();
	struct task *t = current;
	if (t->state == TASK_RUNNING) { /* not the idle loop: charge the tick */
		from_user ? t->cpu.uticks++ : t->cpu.sticks++;
		struct task *l = t->group_leader;
		if (unlikely(l && (l->it_prof | l->it_virt)))
			signal_cpu_tick(l, from_user);
		if (unlikely(nr_cpu_timers))
			cpu_timers_tick(t);
	}
	if (now >= next_deadline) {
		next_deadline = signal_timers(now);
		for (struct task *t = timed; t; t = t->timed_next) {
			if (t->state != TASK_SLEEPING || !t->wake_deadline)
				continue;
			if (t->wake_deadline <= now)
				wake_task(t);
			else
				next_deadline = MIN(next_deadline, t->wake_deadline);
		}
	}
	if (rq_head) {
		if (from_user)
			schedule();
		else
			resched_requested = true; /* for the preemption point that let the tick in */
	}
}

u64 task_exec_tsc(const struct task *t)
{
	return t->cpu.exec + (t == current ? rdtsc() - t->last_in : 0);
}

void group_cputime(struct task *l, struct cputime *out)
{
	*out = l->dead;
	for_each_thread_of(l, t) {
		if (t->state == TASK_DEAD)
			continue;
		out->exec += task_exec_tsc(t);
		out->uticks += t->cpu.uticks;
		out->sticks += t->cpu.sticks;
		out->minflt += t->cpu.minflt;
	}
}

void cputime_split(const struct cputime *c, u64 *utime, u64 *stime)
{
	u64 total = tsc_to_ns(c->exec), ticks = (u64)c->uticks + c->sticks;
	*stime = !ticks ? 0 : c->sticks * (total / ticks) + c->sticks * (total % ticks) / ticks;
	*utime = total - *stime;
}

void sched_deadline(u64 deadline)
{
	next_deadline = MIN(next_deadline, deadline);
}

enum sleep_kind { SLEEP_INTERRUPTIBLE, SLEEP_KILLABLE, SLEEP_UNINTERRUPTIBLE };

/* Whether a signal ends the sleep: any this thread may take (sig_work) for
 * an interruptible one, a fatal signal for a killable one, none otherwise. */
static bool sleep_cut(const struct task *t, enum sleep_kind kind)
{
	return kind == SLEEP_INTERRUPTIBLE ? t->sig_work != 0 :
	       kind == SLEEP_KILLABLE && t->fatal_sig != 0;
}

static bool __sleep_on(struct wait_queue *wq, u64 deadline, enum sleep_kind kind)
{
	struct task *t = current;
	if (sleep_cut(t, kind))
		return false;
	t->state = TASK_SLEEPING;
	t->waiting_on = wq;
	t->wait_next = wq->first;
	wq->first = t;
	t->wake_deadline = deadline;
	if (deadline) {
		next_deadline = MIN(next_deadline, deadline);
		t->timed_prev = NULL;
		if ((t->timed_next = timed))
			timed->timed_prev = t;
		timed = t;
	}
	schedule();
	if (deadline) { /* off the timed list, woken by whatever */
		if (t->timed_prev)
			t->timed_prev->timed_next = t->timed_next;
		else
			timed = t->timed_next;
		if (t->timed_next)
			t->timed_next->timed_prev = t->timed_prev;
	}
	/* Woken by a timeout or a signal: take ourselves off the queue. */
	for (struct task **p = &wq->first; *p; p = &(*p)->wait_next)
		if (*p == t) {
			*p = t->wait_next;
			break;
		}
	t->waiting_on = NULL;
	return !sleep_cut(t, kind);
}

bool sleep_on(struct wait_queue *wq, u64 deadline)
{
	return __sleep_on(wq, deadline, SLEEP_INTERRUPTIBLE);
}

bool sleep_on_killable(struct wait_queue *wq)
{
	return __sleep_on(wq, 0, SLEEP_KILLABLE);
}

void sleep_on_uninterruptible(struct wait_queue *wq)
{
	__sleep_on(wq, 0, SLEEP_UNINTERRUPTIBLE);
}

void wake_up(struct wait_queue *wq)
{
	struct task *t = wq->first;
	wq->first = NULL;
	for (; t; t = t->wait_next)
		wake_task(t);
}

bool wait_for_completion(struct completion *c)
{
	while (!c->done)
		if (!sleep_on_killable(&c->wq))
			return false; /* killed */
	return true;
}

void complete(struct completion *c)
{
	c->done = true;
	wake_up(&c->wq);
}
