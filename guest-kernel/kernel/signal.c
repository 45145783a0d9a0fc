/* Signals: the dispositions table (struct sighand) and its pool, kill,
 * tgkill, rt_sigaction and rt_sigprocmask, and user faults (the check on
 * the way back to user mode is exit_to_user_mode, task.h). Handlers are recorded but not yet run: a
 * signal takes its default action (terminate, or nothing for those whose
 * default is to be ignored), and SIG_IGN is honoured. */
#include "arch.h"
#include "errno.h"
#include "lab.h"
#include "syscall.h"
#include "task.h"

static struct sighand sighand_pool[MAX_TASKS];

struct sighand *sighand_dup(struct sighand *old)
{
	for (int i = 0; i < MAX_TASKS; i++)
		if (!sighand_pool[i].refs) {
			struct sighand *s = &sighand_pool[i];
			if (old)
				*s = *old;
			else
				memset(s, 0, sizeof *s);
			s->refs = 1;
			return s;
		}
	return NULL;
}

void sighand_put(struct sighand *s)
{
	s->refs--;
}

void kill_task(struct task *t, int sig, int wait_status)
{
	t->fatal_sig = sig;
	t->exit_code = wait_status;
	wake_task(t);
}

void send_sig(struct task *leader, int sig)
{
	if (sig == 0 || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH)
		return;
	if (sig != SIGKILL && leader->sighand && leader->sighand->action[sig].handler == SIG_IGN)
		return;
	for (int i = 0; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		if (t->tgid == leader->tgid && t->state != TASK_UNUSED && t->state != TASK_DEAD &&
		    t->state != TASK_ZOMBIE && !t->fatal_sig)
			kill_task(t, sig, sig); /* the wait status of death by sig */
	}
}

void force_sig_fault(int sig, u64 addr, struct pt_regs *regs)
{
	lab_call(FL_LAB_KILLED, current->pid, sig, regs->ip, addr);
	do_group_exit(sig);
}

long sys_kill(u64 upid, u64 sig)
{
	long pid = (int)upid;
	if (sig >= NSIG)
		return -EINVAL;
	if (pid > 0) {
		struct task *t = find_pid(pid);
		if (!t || t->kthread || t->state == TASK_ZOMBIE)
			return -ESRCH;
		send_sig(t->group_leader, sig);
		return 0;
	}
	if (pid == 0 || pid == -(long)current->tgid) {
		send_sig(current->group_leader, sig);
		return 0;
	}
	if (pid != -1)
		return -ESRCH; /* process groups other than our own are not modelled */
	for (int i = 0; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		if (thread_group_leader(t) && t->state != TASK_UNUSED && t->pid != 1 && !t->kthread &&
		    t->tgid != current->tgid)
			send_sig(t, sig);
	}
	return 0;
}

long sys_tgkill(u64 tgid, u64 tid, u64 sig)
{
	struct task *t = find_pid(tid);
	if (!t || t->tgid != (int)tgid)
		return -ESRCH;
	if (sig >= NSIG)
		return -EINVAL;
	send_sig(t->group_leader, sig);
	return 0;
}

long sys_rt_sigaction(u64 sig, u64 uact, u64 uoact, u64 size)
{
	if (sig < 1 || sig >= NSIG || size != 8)
		return -EINVAL;
	struct k_sigaction *ka = &current->sighand->action[sig], new;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && copy_from_user(&new, uact, sizeof new) < 0)
		return -EFAULT;
	if (uoact && copy_to_user(uoact, ka, sizeof *ka) < 0)
		return -EFAULT;
	if (uact)
		*ka = new;
	return 0;
}

long sys_rt_sigprocmask(u64 how, u64 uset, u64 uoset, u64 size)
{
	u64 set, *mask = &current->sigmask;
	if (size != 8 || how > 2)
		return -EINVAL;
	if (uoset && copy_to_user(uoset, mask, 8) < 0)
		return -EFAULT;
	if (!uset)
		return 0;
	if (copy_from_user(&set, uset, 8) < 0)
		return -EFAULT;
	set &= ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
	*mask = how == 0 ? *mask | set : how == 1 ? *mask & ~set : set;
	return 0;
}
