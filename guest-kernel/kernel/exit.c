/* Exit and wait. An exiting task releases its mm (waking a vfork
 * parent), files and signal table, hands its children to pid 1, and becomes
 * a zombie for its parent's wait4/waitid, or, as a thread, goes away. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "futex.h"
#include "lab.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"


/* The parts of exit that touch user memory or wake a vfork parent. */
static void exit_mm(struct task *t)
{
	if (t->clear_child_tid) {
		u32 zero = 0;
		if (copy_to_user(t->clear_child_tid, &zero, sizeof zero) == 0)
			futex_wake(t->clear_child_tid, 1);
	}
	release_vfork_parent(t);
	if (t->mm) {
		/* Off the page tables we may be about to free, for good: the
		 * release may yield, and the switch back must not load them. */
		struct mm *mm = t->mm;
		t->mm = NULL;
		mm_switch(NULL);
		mm_put(mm);
	}
}

/* A zombie nobody will reap (its parent, pid 1, has ended: its leader a
 * zombie with no thread left) is freed now; so is one whose parent ignores
 * SIGCHLD (do_notify_parent), as on Linux. */
static void zombie(struct task *t)
{
	if (t->parent && ((t->parent->state == TASK_ZOMBIE && !t->parent->live_threads) ||
			  do_notify_parent(t))) {
		t->state = TASK_DEAD;
		child_unlink(t);
		if (t != current) /* else once we are off its stack (finish_task_switch) */
			task_free(t);
	}
}

/* An ended process's children go to pid 1, with SIGCHLD as the signal their
 * exit sends, whatever clone asked for: as Linux's reparent_leader ("we
 * don't want people slaying init"), or an orphan's exit signal (SIGKILL,
 * SIGSTOP) would end or stop pid 1. nr_children counts group leaders only: a
 * child's threads share its parent but are no child of their own. */
static void reparent_children(struct task *leader, struct task *init)
{
	for_each_child(leader, c) {
		child_unlink(c);
		c->parent = init;
		child_link(init, c);
		c->exit_signal = SIGCHLD;
		if (c->state == TASK_ZOMBIE && !c->live_threads)
			zombie(c);
	}
}

/* The run ends when pid 1 has exited and so has every other user task, as a
 * native run's output ends when the last process holding the pipe exits. */
void do_exit(int status)
{
	struct task *t = current, *init = find_pid(1);
	trace_event(t, FL_EV_EXIT, .exit = { status });
	exit_mm(t);
	if (t->files)
		files_put(t->files);
	exit_fs(t);
	if (t->sighand)
		sighand_put(t->sighand);
	t->files = NULL;
	t->sighand = NULL;
	struct task *leader = t->group_leader;
	bool last = !--leader->live_threads;
	signal_exit(t);
	if (!t->kthread)
		nr_user_tasks--;
	if (thread_group_leader(t)) {
		t->exit_code = status;
		t->state = TASK_ZOMBIE;
	} else {
		t->state = TASK_DEAD;
	}
	/* What the process holds goes with its last thread, not with its
	 * leader (which may exit first, or be replaced by an exec). While an
	 * exec kills the others (de_thread), the last of them wakes it. */
	if (last) {
		rlimits_put(leader->rlimits);
		leader->rlimits = NULL;
		if (leader != init)
			reparent_children(leader, init);
		else /* pid 1's zombies: nobody will reap them now */
			for_each_child(init, c)
				if (c->state == TASK_ZOMBIE && !c->live_threads)
					zombie(c);
	} else if (unlikely(leader->exec_task) && leader->live_threads == 1) {
		wake_task(leader->exec_task);
	}
	if (leader->state == TASK_ZOMBIE && !leader->live_threads)
		zombie(leader);
	if (init && init->state == TASK_ZOMBIE && !nr_user_tasks) {
		/* The run ends here, on our stack: nothing will reuse our run,
		 * so it goes back now, for --stats' count of free pages. */
		if (t->state == TASK_DEAD)
			task_free(t);
		for (;;)
			lab_call(FL_LAB_EXIT, init->exit_code, 0, 0, 0);
	}
	schedule();
	panic("a dead task was scheduled");
}

void kill_other_threads(struct task *t, int wait_status)
{
	for_each_thread_of(t, x)
		if (x != t && task_alive(x))
			kill_task(x, SIGKILL, wait_status);
}

/* Kills every thread of current's group with status, then current. While
 * another thread's exec is killing the group (de_thread), that exec wins:
 * only current exits, as on Linux. */
void do_group_exit(int status)
{
	if (unlikely(current->group_leader->exec_task))
		do_exit(status);
	kill_other_threads(current, status);
	do_exit(status);
}

/* A thread other than the leader execs: it takes the leader's place, as
 * Linux's de_thread does: the process's pid, parent, children, limits, time
 * and signal state. The old leader, a zombie by now, goes without a word to
 * the parent, whose wait sees the process end once, under its own pid. */
static void take_leader(struct task *t, struct task *l)
{
	pid_rehash(t, l->pid);
	fl_kstate.current_pid = t->pid; /* t is current: the host's view follows */
	t->group_leader = t;
	t->parent = l->parent;
	t->exit_signal = SIGCHLD; /* Linux's choice, whatever clone asked for */
	t->live_threads = 1;
	t->nr_children = l->nr_children;
	t->rlimits = l->rlimits;
	t->pgid = l->pgid;
	t->sid = l->sid;
	t->reaped = l->reaped;
	t->dead = l->dead;
	t->dead.exec += l->cpu.exec;
	t->dead.uticks += l->cpu.uticks;
	t->dead.sticks += l->cpu.sticks;
	t->dead.minflt += l->cpu.minflt;
	signal_take_leader(t, l);
	/* l's place among its parent's children, and its children. */
	if ((t->sib_prev = l->sib_prev))
		t->sib_prev->sib_next = t;
	else if (t->parent)
		t->parent->children = t;
	if ((t->sib_next = l->sib_next))
		t->sib_next->sib_prev = t;
	t->children = l->children;
	for_each_child(t, c)
		c->parent = t;
	task_free(l);
}

int de_thread(struct task *t)
{
	struct task *l = t->group_leader;
	if (t->fatal_sig)
		return -EAGAIN; /* exit_group, a fatal signal, or another thread's exec came first */
	l->exec_task = t;
	kill_other_threads(t, SIGKILL);
	/* do_exit wakes us when the last of them has gone; a leader among
	 * them is a zombie then, off its stack. */
	struct wait_queue wq = { NULL };
	bool alive = true;
	while (l->live_threads > 1 && (alive = sleep_on_killable(&wq)))
		;
	l->exec_task = NULL;
	if (!alive)
		return -EAGAIN;
	if (l != t)
		take_leader(t, l);
	return 0;
}

void kthread_exit(int code)
{
	do_exit((code & 0xff) << 8);
}

long sys_exit(u64 code)
{
	do_exit((code & 0xff) << 8);
}

long sys_exit_group(u64 code)
{
	do_group_exit((code & 0xff) << 8);
}

/* waitid's idtype and id: P_ALL, P_PID pid, P_PGID pgid (0: our own group). */
static bool wait_match(struct task *c, int idtype, long id)
{
	if (idtype == P_PID)
		return c->pid == id;
	return idtype == P_ALL || c->pgid == (id ? id : current->group_leader->pgid);
}

/* Finds a child matching idtype and id that has exited (WEXITED; reaped unless WNOWAIT), stopped
 * (WUNTRACED) or continued (WCONTINUED). Returns its pid with *status set,
 * 0 if children exist but none has news, or -ECHILD. */
static long reap(int idtype, long id, int *status, int options, struct cputime *ru)
{
	struct task *me = current->group_leader;
	bool have = false;
	for_each_child(me, c) {
		if (c->state == TASK_DEAD || !wait_match(c, idtype, id))
			continue;
		have = true;
		if (c->state != TASK_ZOMBIE || c->live_threads) { /* a leader waits for its threads */
			int r = c->stop_report;
			if (!r || !(options & (r == SIGCONT ? WCONTINUED : WUNTRACED)))
				continue;
			*status = r == SIGCONT ? 0xffff : 0x7f | r << 8;
			if (!(options & WNOWAIT))
				c->stop_report = 0;
			return c->pid;
		}
		if (!(options & WEXITED))
			continue;
		*status = c->exit_code;
		long found = c->pid;
		/* Its time (its threads' are in c->dead by now: none is alive) and its
		 * reaped children's, as wait4 reports them; no scan of the task table. */
		ru->exec = c->cpu.exec + c->dead.exec + c->reaped.exec;
		ru->uticks = c->cpu.uticks + c->dead.uticks + c->reaped.uticks;
		ru->sticks = c->cpu.sticks + c->dead.sticks + c->reaped.sticks;
		ru->minflt = c->cpu.minflt + c->dead.minflt + c->reaped.minflt;
		if (!(options & WNOWAIT)) {
			me->reaped.exec += ru->exec;
			me->reaped.uticks += ru->uticks;
			me->reaped.sticks += ru->sticks;
			me->reaped.minflt += ru->minflt;
			child_unlink(c);
			task_free(c);
		}
		return found;
	}
	return have ? 0 : -ECHILD;
}

static long wait_child(int idtype, long id, int *status, int options, struct cputime *ru)
{
	for (;;) {
		long r = reap(idtype, id, status, options, ru);
		if (r || (options & WNOHANG))
			return r;
		/* As Linux's do_wait: the children are looked at once more before
		 * a signal ends the wait (an SA_NOCLDWAIT child reaped meanwhile
		 * leaves ECHILD). */
		if (!sleep_on(&current->group_leader->child_exit, 0))
			return (r = reap(idtype, id, status, options, ru)) ? r : -ERESTARTSYS;
	}
}

long sys_wait4(u64 upid, u64 ustatus, u64 options, u64 rusage)
{
	long pid = (int)upid;
	int status = 0;
	if (pid == -2147483648L) /* -INT_MIN is no process group: Linux's ESRCH */
		return -ESRCH;
	if (options & ~(u64)(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	int idtype = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
	struct cputime ru = { 0 };
	long r = wait_child(idtype, pid > 0 ? pid : -pid, &status, (options & ~(u64)WNOWAIT) | WEXITED,
			    &ru);
	if (r > 0 && ustatus && copy_to_user(ustatus, &status, sizeof status) < 0)
		return -EFAULT;
	return r >= 0 && rusage && rusage_to_user(&ru, rusage) < 0 ? -EFAULT : r;
}

struct siginfo_chld {
	s32 signo, errno_, code, pad;
	s32 pid, uid, status;
	u8 rest[128 - 28];
};

long sys_waitid(u64 idtype, u64 id, u64 uinfo, u64 options)
{
	if ((idtype != P_ALL && idtype != P_PID && idtype != P_PGID) ||
	    !(options & (WEXITED | WUNTRACED | WCONTINUED)) ||
	    options & ~(u64)(WNOHANG | WEXITED | WNOWAIT | WUNTRACED | WCONTINUED))
		return -EINVAL;
	int status = 0;
	struct cputime ru;
	long r = wait_child(idtype, (int)id, &status, options, &ru);
	if (r < 0)
		return r;
	struct siginfo_chld si = { 0 };
	if (r > 0) {
		si.signo = SIGCHLD;
		si.pid = r;
		if ((status & 0xff) == 0x7f)
			si.code = CLD_STOPPED, si.status = (status >> 8) & 0xff;
		else if (status == 0xffff)
			si.code = CLD_CONTINUED, si.status = SIGCONT;
		else
			si.code = status & 0x80 ? CLD_DUMPED : status & 0x7f ? CLD_KILLED : CLD_EXITED,
			si.status = status & 0x7f ? status & 0x7f : (status >> 8) & 0xff;
	}
	return uinfo && copy_to_user(uinfo, &si, sizeof si) < 0 ? -EFAULT : 0;
}
