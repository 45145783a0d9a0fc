/* Signals, as Linux delivers them: the dispositions table (struct sighand)
 * and its pool; per-thread and per-process pending sets; kill, tgkill and
 * friends; delivery on the way back to user mode (do_signal, the slow path
 * of exit_to_user_mode in task.h) with an rt_sigframe on the user stack laid
 * out as Linux x86-64 lays it out, and rt_sigreturn; stop and continue;
 * process groups and sessions; alarm, interval and POSIX timers.
 *
 * Real-time signals (32 and up) queue: each instance is delivered with its
 * own siginfo, up to MAX_SIGQUEUE queued in all (then sigqueue gets EAGAIN);
 * a standard signal is pending once at most. No core dumps. */
#include "arch.h"
#include "errno.h"
#include "fpu.h"
#include "ktime.h"
#include "lab.h"
#include "mm.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"

#define SA_NOCLDSTOP 0x00000001UL
#define SA_NOCLDWAIT 0x00000002UL
#define SA_SIGINFO   0x00000004UL
#define SA_RESTORER  0x04000000UL
#define SA_ONSTACK   0x08000000UL
#define SA_RESTART   0x10000000UL
#define SA_NODEFER   0x40000000UL
#define SA_RESETHAND 0x80000000UL

#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048

#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4

#define X86_EFLAGS_CF 0x1UL
#define X86_EFLAGS_TF 0x100UL
#define X86_EFLAGS_DF 0x400UL
#define X86_EFLAGS_RF 0x10000UL
/* The flags rt_sigreturn takes from the frame: AC OF DF TF SF ZF AF PF CF RF. */
#define FIX_EFLAGS 0x50dd5UL

#define SIGBIT(sig) (1UL << ((sig) - 1))
#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define IGNORE_SIGS (SIGBIT(SIGCHLD) | SIGBIT(SIGCONT) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH))
#define SYNC_SIGS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
		   SIGBIT(SIGFPE) | SIGBIT(SIGSYS))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* ---- Linux's user structures (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h) ---- */
struct user_stack {           /* stack_t */
	u64 ss_sp;
	s32 ss_flags, pad_;
	u64 ss_size;
};

struct sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 di, si, bp, bx, dx, ax, cx, sp, ip, flags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;              /* user address of the fxsave/xsave image */
	u64 reserved1[8];
};

struct ucontext {
	u64 uc_flags, uc_link;
	struct user_stack uc_stack;
	struct sigcontext uc_mcontext;
	u64 uc_sigmask;
};

struct user_siginfo {
	s32 signo, errno_, code, pad_;
	u64 fields[14];           /* the union: struct ksiginfo's raw[] first */
};

struct rt_sigframe {
	u64 pretcode;             /* sa_restorer: the handler's return address */
	struct ucontext uc;
	struct user_siginfo info;
	/* the FPU image is above, 64-byte aligned */
};

_Static_assert(sizeof(struct sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct ucontext) == 304, "ucontext");
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo");
_Static_assert(offsetof(struct rt_sigframe, info) == 312 && sizeof(struct rt_sigframe) == 440,
	       "rt_sigframe");

/* ---- the queue of real-time signals beyond the first pending instance ----
 * The first instance of a pending signal is in its siginfo slot; further
 * instances of an RT signal wait here, oldest first, on the thread's or
 * the process's list. */
#define SIGRTMIN_K 32
#define MAX_SIGQUEUE 256
struct sigqueue {
	struct sigqueue *next;
	int sig;
	struct ksiginfo info;
};
static struct sigqueue sigq_pool[MAX_SIGQUEUE];

static bool sigq_add(struct sigqueue **list, int sig, const struct ksiginfo *info)
{
	for (int i = 0; i < MAX_SIGQUEUE; i++)
		if (!sigq_pool[i].sig) {
			struct sigqueue *q = &sigq_pool[i], **p = list;
			while (*p)
				p = &(*p)->next;
			*q = (struct sigqueue){ .sig = sig, .info = *info };
			*p = q;
			return true;
		}
	return false;
}

/* Takes the oldest queued instance of sig off list into *info; false if none. */
static bool sigq_take(struct sigqueue **list, int sig, struct ksiginfo *info)
{
	for (struct sigqueue **p = list; *p; p = &(*p)->next)
		if ((*p)->sig == sig) {
			struct sigqueue *q = *p;
			*info = q->info;
			*p = q->next;
			q->sig = 0;
			return true;
		}
	return false;
}

static void sigq_flush(struct sigqueue **list, u64 mask)
{
	for (struct sigqueue **p = list; *p;) {
		struct sigqueue *q = *p;
		if (mask & (1UL << (q->sig - 1))) {
			*p = q->next;
			q->sig = 0;
		} else {
			p = &q->next;
		}
	}
}

/* An exiting thread's queue; with the last thread, the process's. */
void signal_exit(struct task *t)
{
	sigq_flush(&t->sigq, ~0UL);
	if (!t->group_leader->live_threads)
		sigq_flush(&t->group_leader->shared_sigq, ~0UL);
}
static struct wait_queue stop_wq, pause_wq;

void sighand_put(struct sighand *s)
{
	if (!--s->refs)
		kobj_free(s);
}

/* ---- thread groups ---- */

#define for_each_thread(leader, t) \
	for_each_thread_of(leader, t) \
		if (task_alive(t))

/* The group's first live thread (the leader unless it has exited), or NULL. */
static struct task *live_thread(struct task *leader)
{
	if (task_alive(leader))
		return leader;
	for_each_thread(leader, t)
		return t;
	return NULL;
}

/* Whether sig is ignored by its disposition (not counting a mask). */
static bool handler_ignores(u64 handler, int sig)
{
	return handler == SIG_IGN || (handler == SIG_DFL && (IGNORE_SIGS & SIGBIT(sig)));
}

static void recalc_sigpending(struct task *t)
{
	struct task *l = t->group_leader;
	t->sig_work = t->fatal_sig || l->stopped ||
		      ((t->pending | l->shared_pending) & (~t->sigmask | t->sigwait_set));
}

static void signal_wake_up(struct task *t)
{
	t->sig_work = 1;
	wake_task(t); /* a sleeper: its sleep_on returns false */
}

void kill_task(struct task *t, int sig, int wait_status)
{
	t->fatal_sig = sig;
	t->exit_code = wait_status;
	signal_wake_up(t);
}

static void flush_pending(struct task *leader, u64 mask)
{
	leader->shared_pending &= ~mask;
	sigq_flush(&leader->shared_sigq, mask);
	for_each_thread(leader, t) {
		t->pending &= ~mask;
		sigq_flush(&t->sigq, mask);
	}
}

static void notify_parent_cldstop(struct task *leader, int code, int status);

/* Stop and continue act when the signal is sent, as Linux's prepare_signal.
 * False if the signal is to be dropped (ignored). */
static bool prepare_signal(int sig, struct task *p)
{
	struct task *l = p->group_leader;
	if (STOP_SIGS & SIGBIT(sig)) {
		flush_pending(l, SIGBIT(SIGCONT));
	} else if (sig == SIGCONT) {
		flush_pending(l, STOP_SIGS);
		if (l->stopped) {
			l->stopped = 0;
			l->stop_report = SIGCONT;
			for_each_thread(l, t)
				recalc_sigpending(t);
			wake_up(&stop_wq);
			notify_parent_cldstop(l, CLD_CONTINUED, SIGCONT);
		}
	}
	if ((p->sigmask | p->sigwait_set) & SIGBIT(sig))
		return true; /* blocked: stays pending even if ignored */
	return !handler_ignores(p->sighand->action[sig].handler, sig);
}

/* A stopped group takes only SIGKILL now; the rest wait for SIGCONT. */
static bool wants_signal(int sig, struct task *t)
{
	return task_alive(t) && !t->fatal_sig && !(t->sigmask & ~t->sigwait_set & SIGBIT(sig)) &&
	       (sig == SIGKILL || !t->group_leader->stopped);
}

/* The signal is pending: pick a thread to take it and wake it, or, if its
 * default action kills, kill the whole group now (Linux's complete_signal). */
static void complete_signal(int sig, struct task *p, bool group, const struct ksiginfo *info)
{
	struct task *t = NULL, *l = p->group_leader;
	if (wants_signal(sig, p))
		t = p;
	else if (group)
		for_each_thread(l, th)
			if (wants_signal(sig, th)) {
				t = th;
				break;
			}
	if (!t)
		return; /* blocked everywhere: it waits for a thread to unblock it */
	u64 h = t->sighand->action[sig].handler;
	/* A core dump is written by the thread that takes the signal (get_signal),
	 * as Linux's: only a death without one is dealt here at once. */
	bool core = core_due(l, sig);
	if (!info->fault && (sig == SIGKILL || (h == SIG_DFL && !((IGNORE_SIGS | STOP_SIGS) & SIGBIT(sig)) &&
						   !(t->sigwait_set & SIGBIT(sig)) && !core))) {
		for_each_thread(l, th)
			kill_task(th, sig, sig);
		return;
	}
	signal_wake_up(t);
}

/* Queues sig for thread p, or for p's process if group. -EAGAIN if an RT
 * signal's instance finds the queue full. */
static int send_signal(int sig, const struct ksiginfo *info, struct task *p, bool group)
{
	if (group && !(p = live_thread(p->group_leader)))
		return 0;
	/* A dying thread takes nothing; nor does a dying group, unless an exec
	 * is killing the others (de_thread): its thread lives on, and takes
	 * the group's signals, as Linux's leaves them pending for it. */
	if (unlikely(p->fatal_sig) && !(group && (p = p->group_leader->exec_task)))
		return 0;
	if (!p->sighand || !prepare_signal(sig, p))
		return 0;
	struct task *l = p->group_leader;
	u64 *pend = group ? &l->shared_pending : &p->pending;
	if (*pend & SIGBIT(sig)) { /* a standard signal is pending once; an RT one queues */
		if (sig < SIGRTMIN_K)
			return 0;
		return sigq_add(group ? &l->shared_sigq : &p->sigq, sig, info) ? 0 : -EAGAIN;
	}
	*pend |= SIGBIT(sig);
	(group ? l->shared_siginfo : p->siginfo)[sig - 1] = *info;
	complete_signal(sig, p, group, info);
	return 0;
}

static struct ksiginfo user_info(int code)
{
	return (struct ksiginfo){ .code = code, .pid = current->tgid };
}

/* From the kernel to a process; to current's own process, to current (SIGPIPE). */
void send_sig(struct task *leader, int sig)
{
	struct ksiginfo info = user_info(SI_USER);
	if (leader == current->group_leader)
		send_signal(sig, &info, current, false);
	else
		send_signal(sig, &info, leader, true);
}

/* Back to SIG_DFL by the kernel's choice (a forced or one-shot signal). */
static void set_default(struct task *t, int sig)
{
	struct sighand *sh = sighand_own(t);
	if (sh)
		sh->action[sig].handler = SIG_DFL;
}

static void force_sig_info(int sig, struct ksiginfo *info)
{
	struct task *t = current;
	bool blocked = t->sigmask & SIGBIT(sig);
	if (blocked || t->sighand->action[sig].handler == SIG_IGN) {
		set_default(t, sig);
		t->sigmask &= ~SIGBIT(sig);
	}
	info->fault = 1;
	t->pending |= SIGBIT(sig);
	t->siginfo[sig - 1] = *info;
	recalc_sigpending(t);
}

void force_sig_fault(int sig, u64 addr, u32 trapno, u64 err)
{
	struct ksiginfo info = { .code = SI_KERNEL, .addr = addr, .trapno = trapno, .err = err };
	if (trapno == 14) /* as Linux: a mapping that forbids the access, or none */
		info.code = addr < FL_USER_TOP && current->mm && vma_find(current->mm, addr) ?
			    SEGV_ACCERR : SEGV_MAPERR;
	else if (sig == SIGFPE && trapno == 0)
		info.code = 1; /* FPE_INTDIV */
	else if (sig == SIGILL)
		info.code = 2; /* ILL_ILLOPN */
	force_sig_info(sig, &info);
}

void force_sig_exit(int sig, u64 addr, struct pt_regs *regs)
{
	lab_call(FL_LAB_KILLED, current->pid, sig, regs->ip, addr);
	do_group_exit(do_coredump(sig));
}

/* ---- SIGCHLD ---- */

static struct sighand *parent_sighand(struct task *parent)
{
	struct task *t = parent ? live_thread(parent) : NULL;
	return t ? t->sighand : NULL;
}

static void notify_parent_cldstop(struct task *leader, int code, int status)
{
	struct task *parent = leader->parent;
	struct sighand *sh = parent_sighand(parent);
	if (!sh)
		return;
	wake_up(&parent->child_exit);
	if (sh->action[SIGCHLD].flags & SA_NOCLDSTOP)
		return;
	struct ksiginfo info = { .code = code, .pid = leader->tgid, .status = status };
	send_signal(SIGCHLD, &info, parent, true);
}

bool do_notify_parent(struct task *c)
{
	struct task *parent = c->parent;
	struct sighand *sh = parent_sighand(parent);
	wake_up(&parent->child_exit);
	/* clone takes any exit signal CSIGNAL holds (0-255), as Linux's legacy
	 * clone does; one that is no signal is not sent (Linux's valid_signal
	 * test here). Sent, signal 66 overran the siginfo slots into the next
	 * task's parent and group_leader. */
	if (!sh || !c->exit_signal || c->exit_signal >= NSIG)
		return false;
	int st = c->exit_code, sig = c->exit_signal;
	bool autoreap = false;
	if (sig == SIGCHLD && (sh->action[SIGCHLD].handler == SIG_IGN ||
			       (sh->action[SIGCHLD].flags & SA_NOCLDWAIT))) {
		autoreap = true;
		if (sh->action[SIGCHLD].handler == SIG_IGN)
			return true;
	}
	struct ksiginfo info = { .code = st & 0x80 ? CLD_DUMPED : st & 0x7f ? CLD_KILLED : CLD_EXITED,
				 .pid = c->tgid,
				 .status = st & 0x7f ? st & 0x7f : (st >> 8) & 0xff };
	send_signal(sig, &info, parent, true);
	return autoreap;
}

/* ---- delivery ---- */

/* The next signal not in `blocked`: the thread's own first, synchronous
 * (fault) signals before others, then the lowest number. */
static int dequeue_signal(struct task *t, u64 blocked, struct ksiginfo *info)
{
	struct task *l = t->group_leader;
	u64 *pend = &t->pending, set = t->pending & ~blocked;
	struct ksiginfo *slots = t->siginfo;
	struct sigqueue **q = &t->sigq;
	if (!set) {
		pend = &l->shared_pending;
		slots = l->shared_siginfo;
		q = &l->shared_sigq;
		if (!(set = *pend & ~blocked))
			return 0;
	}
	if (set & SYNC_SIGS)
		set &= SYNC_SIGS;
	int sig = __builtin_ctzl(set) + 1;
	*info = slots[sig - 1];
	/* The next queued instance takes the slot, and the signal stays pending. */
	if (!(sig >= SIGRTMIN_K && *q && sigq_take(q, sig, &slots[sig - 1])))
		*pend &= ~SIGBIT(sig);
	return sig;
}

static bool on_sig_stack(struct task *t, u64 sp)
{
	if (t->sas_ss_flags & SS_AUTODISARM)
		return false;
	return sp > t->sas_ss_sp && sp - t->sas_ss_sp <= t->sas_ss_size;
}

static int sas_ss_flags(struct task *t, u64 sp)
{
	if (!t->sas_ss_size)
		return SS_DISABLE;
	return on_sig_stack(t, sp) ? SS_ONSTACK : 0;
}

static void fill_user_siginfo(struct user_siginfo *u, int sig, const struct ksiginfo *info)
{
	memset(u, 0, sizeof *u);
	u->signo = sig;
	u->errno_ = info->errno_;
	u->code = info->code;
	memcpy(u->fields, info->raw, sizeof info->raw);
}

/* Builds the frame below the interrupted sp (past the red zone, or on the
 * alternate stack), FPU image 64-byte aligned above it, and points the
 * registers at the handler: (rsp + 8) % 16 == 0 at its first instruction. */
static int setup_rt_frame(int sig, const struct ksiginfo *info, const struct k_sigaction *ka,
			  struct pt_regs *regs, u64 oldmask)
{
	struct task *t = current;
	if (!(ka->flags & SA_RESTORER))
		return -EFAULT; /* x86-64 has no default restorer */
	u64 sp = regs->sp - 128;
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(t, sp) == 0)
		sp = t->sas_ss_sp + t->sas_ss_size;
	u64 fpsize = fpu_user_size();
	u64 fp = (sp - fpsize) & ~63UL;
	u64 frame = ((fp - sizeof(struct rt_sigframe)) & ~15UL) - 8;

	struct rt_sigframe f;
	memset(&f, 0, offsetof(struct rt_sigframe, info));
	f.pretcode = ka->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpsize > 512 ? UC_FP_XSTATE : 0);
	f.uc.uc_stack.ss_sp = t->sas_ss_sp;
	f.uc.uc_stack.ss_flags = sas_ss_flags(t, regs->sp);
	f.uc.uc_stack.ss_size = t->sas_ss_size;
	struct sigcontext *sc = &f.uc.uc_mcontext;
	sc->r8 = regs->r8, sc->r9 = regs->r9, sc->r10 = regs->r10, sc->r11 = regs->r11;
	sc->r12 = regs->r12, sc->r13 = regs->r13, sc->r14 = regs->r14, sc->r15 = regs->r15;
	sc->di = regs->di, sc->si = regs->si, sc->bp = regs->bp, sc->bx = regs->bx;
	sc->dx = regs->dx, sc->ax = regs->ax, sc->cx = regs->cx, sc->sp = regs->sp;
	sc->ip = regs->ip, sc->flags = regs->flags;
	sc->cs = regs->cs, sc->ss = regs->ss;
	sc->err = info->err, sc->trapno = info->trapno;
	sc->oldmask = oldmask;
	sc->cr2 = info->trapno == 14 ? info->addr : 0;
	sc->fpstate = fp;
	f.uc.uc_sigmask = oldmask;
	fill_user_siginfo(&f.info, sig, info);
	if (copy_to_user(frame, &f, sizeof f) < 0 || fpu_to_user(fp) < 0)
		return -EFAULT;
	/* The host reads the registers as they are now, before the handler's. */
	trace_event(t, FL_EV_SIGNAL, .signal = { sig, frame, ka->handler });
	if (t->sas_ss_flags & SS_AUTODISARM)
		t->sas_ss_sp = t->sas_ss_size = 0;

	regs->di = sig;
	regs->si = frame + offsetof(struct rt_sigframe, info);
	regs->dx = frame + offsetof(struct rt_sigframe, uc);
	regs->ax = 0;
	regs->ip = ka->handler;
	regs->sp = frame;
	regs->cs = FL_USER_CS;
	regs->ss = FL_USER_DS;
	regs->flags &= ~(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF);
	fpu_exec(); /* the handler starts from the initial FPU state, as on Linux */
	return 0;
}

static void handle_signal(int sig, const struct ksiginfo *info, struct k_sigaction *ka,
			  struct pt_regs *regs)
{
	struct task *t = current;
	u64 oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
	if (setup_rt_frame(sig, info, ka, regs, oldmask) < 0) {
		/* Linux's force_sigsegv: a SIGSEGV that cannot be caught again. */
		if (sig == SIGSEGV)
			set_default(t, sig);
		struct ksiginfo si = { .code = SI_KERNEL };
		force_sig_info(SIGSEGV, &si);
		return;
	}
	t->restore_sigmask = false;
	t->sigmask |= ka->mask;
	if (!(ka->flags & SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~UNBLOCKABLE;
	if (ka->flags & SA_RESETHAND)
		set_default(t, sig);
}

/* A group stop: the first thread to take a stop signal stops the group and
 * tells the parent; every thread then sleeps here until SIGCONT or SIGKILL. */
static void do_signal_stop(int sig)
{
	struct task *l = current->group_leader;
	if (l->stopped)
		return;
	l->stopped = sig;
	l->stop_report = sig;
	for_each_thread(l, th)
		if (th != current)
			signal_wake_up(th);
	notify_parent_cldstop(l, CLD_STOPPED, sig);
}

void do_signal(void)
{
	struct task *t = current, *l = t->group_leader;
	struct pt_regs *regs = task_pt_regs(t);
	bool syscall = (s64)regs->orig_ax >= 0;
	do {
		for (;;) {
			if (t->fatal_sig)
				do_exit(t->exit_code);
			if (l->stopped) {
				while (l->stopped && sleep_on_killable(&stop_wq))
					;
				continue;
			}
			struct ksiginfo info;
			int sig = dequeue_signal(t, t->sigmask, &info);
			if (!sig)
				break;
			struct k_sigaction *ka = &t->sighand->action[sig];
			if (ka->handler == SIG_IGN)
				continue;
			if (ka->handler == SIG_DFL) {
				if (IGNORE_SIGS & SIGBIT(sig))
					continue;
				if (STOP_SIGS & SIGBIT(sig)) {
					do_signal_stop(sig);
					continue;
				}
				if (info.fault)
					lab_call(FL_LAB_KILLED, t->pid, sig, regs->ip, info.addr);
				do_group_exit(do_coredump(sig));
			}
			if (syscall) {
				/* A handler runs: the call returns -EINTR, or restarts after it. */
				s64 ax = regs->ax;
				if (ax == -ERESTARTNOHAND || (ax == -ERESTARTSYS && !(ka->flags & SA_RESTART)))
					regs->ax = -EINTR;
				else if (ax == -ERESTARTSYS || ax == -ERESTARTNOINTR)
					regs->ax = regs->orig_ax, regs->ip -= 2;
				syscall = false;
			}
			handle_signal(sig, &info, ka, regs);
		}
		if (syscall) {
			/* No handler ran: the call starts again (both hosts' syscall is 2 bytes). */
			s64 ax = regs->ax;
			if (ax == -ERESTARTNOHAND || ax == -ERESTARTSYS || ax == -ERESTARTNOINTR)
				regs->ax = regs->orig_ax, regs->ip -= 2;
			syscall = false;
		}
		if (t->restore_sigmask) {
			t->restore_sigmask = false;
			t->sigmask = t->saved_sigmask;
		}
		recalc_sigpending(t);
	} while (t->sig_work);
}

long sys_rt_sigreturn(void)
{
	struct task *t = current;
	struct pt_regs *regs = task_pt_regs(t);
	struct ucontext uc;
	u64 frame = regs->sp - 8;
	if (copy_from_user(&uc, frame + offsetof(struct rt_sigframe, uc), sizeof uc) < 0)
		goto bad;
	const struct sigcontext *sc = &uc.uc_mcontext;
	if (sc->ip >= (1UL << 47))
		goto bad; /* iretq to a non-canonical address would fault in the kernel */
	t->sigmask = uc.uc_sigmask & ~UNBLOCKABLE;
	regs->r8 = sc->r8, regs->r9 = sc->r9, regs->r10 = sc->r10, regs->r11 = sc->r11;
	regs->r12 = sc->r12, regs->r13 = sc->r13, regs->r14 = sc->r14, regs->r15 = sc->r15;
	regs->di = sc->di, regs->si = sc->si, regs->bp = sc->bp, regs->bx = sc->bx;
	regs->dx = sc->dx, regs->ax = sc->ax, regs->cx = sc->cx, regs->sp = sc->sp;
	regs->ip = sc->ip;
	regs->flags = (regs->flags & ~FIX_EFLAGS) | (sc->flags & FIX_EFLAGS);
	regs->cs = FL_USER_CS;
	regs->ss = FL_USER_DS;
	regs->orig_ax = -1; /* no syscall restart on the way out */
	if (sc->fpstate ? fpu_from_user(sc->fpstate) < 0 : (fpu_exec(), false))
		goto bad;
	/* The saved sigaltstack back, if allowed now (Linux's restore_altstack). */
	if (!on_sig_stack(t, regs->sp)) {
		u32 mode = uc.uc_stack.ss_flags & ~SS_AUTODISARM;
		if (mode == SS_DISABLE)
			t->sas_ss_sp = t->sas_ss_size = 0, t->sas_ss_flags = uc.uc_stack.ss_flags;
		else if ((mode == 0 || mode == SS_ONSTACK) && uc.uc_stack.ss_size >= MINSIGSTKSZ)
			t->sas_ss_sp = uc.uc_stack.ss_sp, t->sas_ss_size = uc.uc_stack.ss_size,
			t->sas_ss_flags = uc.uc_stack.ss_flags;
	}
	recalc_sigpending(t);
	if (fault_on(FAULT_SIGRETURN_R11))
		regs->r11 ^= 0x10;
	trace_event(t, FL_EV_SIGRETURN, .signal = { 0, frame, 0 });
	return regs->ax;
bad:;
	struct ksiginfo si = { .code = SI_KERNEL };
	force_sig_info(SIGSEGV, &si);
	return regs->ax;
}

/* ---- system calls: sending ---- */

static long kill_pgrp(int pgrp, int sig, struct ksiginfo *info)
{
	bool found = false;
	for_each_task(t) {
		if (t->state == TASK_DEAD || !thread_group_leader(t) || t->kthread || t->pgid != pgrp)
			continue;
		found = true;
		if (sig)
			send_signal(sig, info, t, true);
	}
	return found ? 0 : -ESRCH;
}

long sys_kill(u64 upid, u64 usig)
{
	long pid = (int)upid;
	int sig = usig;
	if (usig >= NSIG)
		return -EINVAL;
	struct ksiginfo info = user_info(SI_USER);
	if (pid > 0) {
		struct task *t = find_pid(pid);
		if (!t || t->kthread)
			return -ESRCH;
		if (sig)
			send_signal(sig, &info, t->group_leader, true);
		return 0;
	}
	if (pid == 0)
		return kill_pgrp(current->group_leader->pgid, sig, &info);
	if (pid < -1)
		return kill_pgrp(-pid, sig, &info);
	bool found = false;
	for_each_task(t) {
		if (thread_group_leader(t) && t->state != TASK_DEAD &&
		    t->pid != 1 && !t->kthread && t->tgid != current->tgid) {
			found = true;
			if (sig)
				send_signal(sig, &info, t, true);
		}
	}
	return found ? 0 : -ESRCH;
}

static long do_tkill(long tgid, long tid, u64 sig, struct ksiginfo *info)
{
	if (tid <= 0 || sig >= NSIG)
		return -EINVAL;
	struct task *t = find_pid(tid);
	if (!t || t->kthread || (tgid > 0 && t->tgid != tgid))
		return -ESRCH;
	return sig && task_alive(t) ? send_signal(sig, info, t, false) : 0;
}

long sys_tgkill(u64 tgid, u64 tid, u64 sig)
{
	struct ksiginfo info = user_info(SI_TKILL);
	if ((int)tgid <= 0)
		return -EINVAL;
	return do_tkill((int)tgid, (int)tid, sig, &info);
}

long sys_tkill(u64 tid, u64 sig)
{
	struct ksiginfo info = user_info(SI_TKILL);
	return do_tkill(-1, (int)tid, sig, &info);
}

/* rt_sigqueueinfo and rt_tgsigqueueinfo: the caller's siginfo, which may
 * claim to be from the kernel only when sent to itself. */
static long copy_queue_info(long pid, u64 uinfo, struct ksiginfo *info)
{
	struct user_siginfo u;
	if (copy_from_user(&u, uinfo, sizeof u) < 0)
		return -EFAULT;
	if ((u.code >= 0 || u.code == SI_TKILL) && pid != current->tgid)
		return -EPERM;
	*info = (struct ksiginfo){ .code = u.code, .errno_ = u.errno_ };
	memcpy(info->raw, u.fields, sizeof info->raw);
	return 0;
}

long sys_rt_sigqueueinfo(u64 upid, u64 sig, u64 uinfo)
{
	struct ksiginfo info;
	long pid = (int)upid, r;
	if (sig >= NSIG)
		return -EINVAL;
	if ((r = copy_queue_info(pid, uinfo, &info)) < 0)
		return r;
	struct task *t = pid > 0 ? find_pid(pid) : NULL;
	if (!t || t->kthread)
		return -ESRCH;
	return sig ? send_signal(sig, &info, t->group_leader, true) : 0;
}

long sys_rt_tgsigqueueinfo(u64 tgid, u64 tid, u64 sig, u64 uinfo)
{
	struct ksiginfo info;
	long r = copy_queue_info((int)tgid, uinfo, &info);
	return r < 0 ? r : do_tkill((int)tgid, (int)tid, sig, &info);
}

/* ppoll and pselect6: the caller's mask while they sleep. Interrupted, the
 * old mask goes back once a handler's frame is set up (as sigsuspend). */
long set_user_sigmask(u64 umask, u64 size)
{
	u64 set;
	struct task *t = current;
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, umask, 8) < 0)
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->sigmask = set & ~UNBLOCKABLE;
	recalc_sigpending(t);
	return 0;
}

void restore_user_sigmask(u64 umask, bool interrupted)
{
	struct task *t = current;
	if (!umask)
		return;
	if (interrupted) {
		t->restore_sigmask = true;
		return;
	}
	t->sigmask = t->saved_sigmask;
	recalc_sigpending(t);
}

/* ---- system calls: dispositions and masks ---- */

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
	if (uact) {
		struct sighand *sh = sighand_own(current);
		if (!sh)
			return -ENOMEM;
		new.mask &= ~UNBLOCKABLE;
		sh->action[sig] = new;
		/* POSIX: an ignored signal that is pending is discarded, blocked or not. */
		if (handler_ignores(new.handler, sig))
			flush_pending(current->group_leader, SIGBIT(sig));
	}
	return 0;
}

long sys_rt_sigprocmask(u64 how, u64 uset, u64 uoset, u64 size)
{
	u64 set, *mask = &current->sigmask;
	if (size != 8)
		return -EINVAL;
	if (uset && copy_from_user(&set, uset, 8) < 0)
		return -EFAULT;
	if (uset && how > 2)
		return -EINVAL;
	if (uoset && copy_to_user(uoset, mask, 8) < 0)
		return -EFAULT;
	if (!uset)
		return 0;
	set &= ~UNBLOCKABLE;
	*mask = how == 0 ? *mask | set : how == 1 ? *mask & ~set : set;
	recalc_sigpending(current);
	return 0;
}

long sys_rt_sigpending(u64 uset, u64 size)
{
	if (size > 8)
		return -EINVAL;
	u64 set = (current->pending | current->group_leader->shared_pending) & current->sigmask;
	return copy_to_user(uset, &set, size) < 0 ? -EFAULT : 0;
}

long sys_rt_sigsuspend(u64 umask, u64 size)
{
	long r = size != 8 ? -EINVAL : umask ? set_user_sigmask(umask, size) : -EFAULT;
	if (r < 0)
		return r;
	while (sleep_on(&pause_wq, 0))
		;
	current->restore_sigmask = true; /* do_signal puts the mask back after the frame is set up */
	return -ERESTARTNOHAND;
}

long sys_pause(void)
{
	while (sleep_on(&pause_wq, 0))
		;
	return -ERESTARTNOHAND;
}

long sys_rt_sigtimedwait(u64 uset, u64 uinfo, u64 uts, u64 size)
{
	struct task *t = current;
	u64 set, ticks = 0;
	long r;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, uset, 8) < 0)
		return -EFAULT;
	if (uts && (r = timespec_to_tsc(uts, &ticks)) < 0)
		return r;
	set &= ~UNBLOCKABLE;
	struct ksiginfo info;
	int sig = dequeue_signal(t, ~set, &info);
	u64 deadline = uts ? rdtsc() + ticks : 0;
	if (!sig && (!uts || ticks)) {
		t->sigwait_set = set;
		recalc_sigpending(t);
		static struct wait_queue sigwait_wq;
		sleep_on(&sigwait_wq, deadline);
		t->sigwait_set = 0;
		sig = dequeue_signal(t, ~set, &info);
		recalc_sigpending(t);
	}
	if (!sig)
		return uts && rdtsc() >= deadline ? -EAGAIN : -EINTR;
	if (uinfo) {
		struct user_siginfo u;
		fill_user_siginfo(&u, sig, &info);
		if (copy_to_user(uinfo, &u, sizeof u) < 0)
			return -EFAULT;
	}
	return sig;
}

long sys_sigaltstack(u64 uss, u64 uoss)
{
	struct task *t = current;
	u64 sp = task_pt_regs(t)->sp;
	struct user_stack ss, old = { .ss_sp = t->sas_ss_sp, .ss_size = t->sas_ss_size,
				       .ss_flags = sas_ss_flags(t, sp) | (t->sas_ss_flags & SS_AUTODISARM) };
	if (uss) {
		if (copy_from_user(&ss, uss, sizeof ss) < 0)
			return -EFAULT;
		if (on_sig_stack(t, sp))
			return -EPERM;
		u32 mode = ss.ss_flags & ~SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			ss.ss_sp = ss.ss_size = 0;
		} else if (ss.ss_size < MINSIGSTKSZ) {
			return -ENOMEM;
		}
		t->sas_ss_sp = ss.ss_sp;
		t->sas_ss_size = ss.ss_size;
		t->sas_ss_flags = ss.ss_flags;
	}
	if (uoss && copy_to_user(uoss, &old, sizeof old) < 0)
		return -EFAULT;
	return 0;
}

/* ---- fork and exec ---- */

static void timers_exec(struct task *leader);

/* Linux's flush_signal_handlers(t, 0): caught signals back to SIG_DFL,
 * ignored ones stay ignored; the mask and pending signals are kept. */
void signal_exec(struct task *t)
{
	struct sighand *sh = t->sighand;
	if (!sh)
		return;
	if (sh->refs > 1) { /* shared with another process (fork, CLONE_SIGHAND): take a copy */
		struct sighand *own = sighand_dup(sh);
		if (own) {
			sighand_put(sh);
			t->sighand = sh = own;
		}
	}
	for (int sig = 1; sig < NSIG; sig++) {
		struct k_sigaction *ka = &sh->action[sig];
		*ka = (struct k_sigaction){ .handler = ka->handler == SIG_IGN ? SIG_IGN : SIG_DFL };
	}
	t->sas_ss_sp = t->sas_ss_size = 0;
	t->sas_ss_flags = 0;
	timers_exec(t->group_leader);
}

/* ---- process groups and sessions ---- */

long sys_setpgid(u64 upid, u64 upgid)
{
	struct task *me = current->group_leader, *p;
	int pid = upid, pgid = upgid;
	if (pgid < 0)
		return -EINVAL;
	if (!pid)
		pid = me->pid;
	if (!pgid)
		pgid = pid;
	if (!(p = find_pid(pid)) || p->kthread || (p != me && p->parent != me))
		return -ESRCH;
	if (!thread_group_leader(p))
		return -EINVAL;
	/* Linux's order: another session, then a child that has exec'd, then a
	 * session leader. */
	if (p->sid != me->sid)
		return -EPERM;
	if (p != me && p->did_exec)
		return -EACCES;
	if (p->sid == p->pid)
		return -EPERM;
	if (pgid != p->pid) {
		bool ok = false;
		for_each_task(t)
			ok |= t->state != TASK_DEAD && thread_group_leader(t) && t->pgid == pgid &&
			      t->sid == me->sid;
		if (!ok)
			return -EPERM;
	}
	p->pgid = pgid;
	return 0;
}

static struct task *leader_of(u64 upid)
{
	int pid = upid;
	struct task *p = pid ? find_pid(pid) : current;
	return p && !p->kthread ? p->group_leader : NULL;
}

long sys_getpgid(u64 pid)
{
	struct task *p = leader_of(pid);
	return p ? p->pgid : -ESRCH;
}

long sys_getpgrp(void)
{
	return current->group_leader->pgid;
}

long sys_getsid(u64 pid)
{
	struct task *p = leader_of(pid);
	return p ? p->sid : -ESRCH;
}

long sys_setsid(void)
{
	struct task *me = current->group_leader;
	for_each_task(t)
		if (t->state != TASK_DEAD && thread_group_leader(t) && t->pgid == me->pid)
			return -EPERM;
	me->sid = me->pgid = me->pid;
	return me->pid;
}

/* ---- timers: ITIMER_REAL (alarm, setitimer) and POSIX timers ---- */

#define MAX_TIMERS 64
#define ITIMER_REAL 0
#define TIMER_ABSTIME 1
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD_ID 4

/* A timer counts wall time, or the CPU time of the process or of one of
 * its threads (timer_create on CLOCK_PROCESS_CPUTIME_ID or
 * CLOCK_THREAD_CPUTIME_ID): its deadline is then a value of that clock,
 * checked at each timer tick that charges the process, as Linux's
 * run_posix_cpu_timers does. */
enum { TIMER_WALL, TIMER_CPU_PROCESS, TIMER_CPU_THREAD };
struct ktimer {
	struct task *owner;   /* the process's leader; NULL: a free slot */
	int tgid, id;         /* id -1: the process's ITIMER_REAL */
	int signo, notify, tid, overrun;
	u8 clock;             /* TIMER_*; the thread's pid in `thread` */
	int thread;
	u64 value;            /* sigev_value */
	u64 deadline, interval; /* TSC (of the clock's time); deadline 0: disarmed */
};
static struct ktimer timers[MAX_TIMERS];
int nr_cpu_timers; /* slots of CPU-time timers: the tick looks at them while any exist */

static void timer_free(struct ktimer *k)
{
	nr_cpu_timers -= k->clock != TIMER_WALL;
	k->owner = NULL;
}

struct timeval {
	s64 sec, usec;
};
struct itimerval {
	struct timeval interval, value;
};
struct itimerspec {
	struct timespec interval, value;
};
struct sigevent {
	u64 value;
	s32 signo, notify, tid;
	u8 pad_[44];
};

static bool timer_owner_alive(const struct ktimer *k)
{
	return k->owner->tgid == k->tgid && k->owner->live_threads > 0 &&
	       k->owner->state != TASK_UNUSED && k->owner->state != TASK_DEAD;
}

static void timer_fire(struct ktimer *k)
{
	if (k->id < 0) {
		struct ksiginfo info = { .code = SI_KERNEL };
		send_signal(SIGALRM, &info, k->owner, true);
		return;
	}
	if (k->notify == SIGEV_NONE)
		return;
	struct ksiginfo info = { .code = SI_TIMER, .pid = k->id, .uid = k->overrun, .value = k->value };
	struct task *t = k->notify == SIGEV_THREAD_ID ? find_pid(k->tid) : NULL;
	if (t && t->tgid == k->tgid && task_alive(t))
		send_signal(k->signo, &info, t, false);
	else
		send_signal(k->signo, &info, k->owner, true);
}

/* k's deadline has passed at now (of its clock): the next one, counting
 * the periods missed as overruns, or disarmed; then the signal. */
static void timer_expire(struct ktimer *k, u64 now)
{
	if (k->interval) {
		k->overrun = 0;
		for (k->deadline += k->interval; k->deadline <= now; k->deadline += k->interval)
			k->overrun++;
	} else {
		k->deadline = 0;
	}
	timer_fire(k);
}

u64 signal_timers(u64 now)
{
	u64 next = ~0UL;
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct ktimer *k = &timers[i];
		if (!k->owner)
			continue;
		if (!timer_owner_alive(k)) {
			timer_free(k);
			continue;
		}
		if (!k->deadline || k->clock != TIMER_WALL)
			continue;
		if (k->deadline <= now)
			timer_expire(k, now);
		if (k->deadline)
			next = MIN(next, k->deadline);
	}
	return next;
}

static void timers_exec(struct task *leader)
{
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i].owner == leader && timers[i].tgid == leader->tgid && timers[i].id >= 0)
			timer_free(&timers[i]);
}

/* de_thread: t takes the old leader's place. The process's pending signals,
 * stop, CPU-time itimers and timers (ITIMER_REAL survives the exec) go with
 * it; the old leader's own pending signals go with the old leader. */
void signal_take_leader(struct task *t, struct task *old)
{
	t->shared_pending = old->shared_pending;
	memcpy(t->shared_siginfo, old->shared_siginfo, sizeof t->shared_siginfo);
	t->shared_sigq = old->shared_sigq;
	old->shared_sigq = NULL;
	t->stopped = old->stopped;
	t->stop_report = old->stop_report;
	t->it_virt = old->it_virt, t->it_virt_int = old->it_virt_int;
	t->it_prof = old->it_prof, t->it_prof_int = old->it_prof_int;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i].owner == old)
			timers[i].owner = t;
	recalc_sigpending(t);
}

static struct ktimer *timer_find(int id, bool create)
{
	struct task *l = current->group_leader;
	struct ktimer *free = NULL;
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct ktimer *k = &timers[i];
		if (k->owner && !timer_owner_alive(k))
			timer_free(k);
		if (k->owner == l && k->tgid == l->tgid && k->id == id)
			return k;
		if (!k->owner && !free)
			free = k;
	}
	if (!create || !free)
		return NULL;
	*free = (struct ktimer){ .owner = l, .tgid = l->tgid, .id = id };
	return free;
}

static void timer_arm(struct ktimer *k, u64 deadline, u64 interval)
{
	k->deadline = deadline;
	k->interval = interval;
	if (deadline)
		sched_deadline(deadline);
}

/* A CPU-time timer's clock, in TSC ticks of CPU time; 0 for a thread gone. */
static u64 timer_clock(const struct ktimer *k)
{
	if (k->clock == TIMER_WALL)
		return rdtsc();
	if (k->clock == TIMER_CPU_THREAD) {
		struct task *t = find_pid(k->thread);
		return t ? task_exec_tsc(t) : 0;
	}
	struct cputime c;
	group_cputime(k->owner, &c);
	return c.exec;
}

static u64 remaining(const struct ktimer *k)
{
	if (!k || !k->deadline)
		return 0;
	u64 now = timer_clock(k);
	return k->deadline > now ? k->deadline - now : 1;
}

void cpu_timers_tick(struct task *t)
{
	for (struct ktimer *k = timers; k < timers + MAX_TIMERS; k++) {
		if (k->owner && k->clock != TIMER_WALL && !timer_owner_alive(k))
			timer_free(k); /* its process is gone: the ticks stop looking */
		if (k->owner != t->group_leader || k->clock == TIMER_WALL || !k->deadline ||
		    (k->clock == TIMER_CPU_THREAD && k->thread != t->pid))
			continue;
		u64 now = timer_clock(k);
		if (now >= k->deadline)
			timer_expire(k, now);
	}
}

static u64 ns_to_tsc(s64 sec, s64 nsec)
{
	return sec * tsc_khz * 1000 + nsec * tsc_khz / 1000000;
}

static struct timeval tsc_to_timeval(u64 ticks)
{
	u64 ns = tsc_to_ns(ticks);
	return (struct timeval){ ns / 1000000000, ns % 1000000000 / 1000 };
}

static struct timespec tsc_to_timespec(u64 ticks)
{
	u64 ns = tsc_to_ns(ticks);
	return (struct timespec){ ns / 1000000000, ns % 1000000000 };
}

static long itimer_get(struct itimerval *v)
{
	struct ktimer *k = timer_find(-1, false);
	v->value = tsc_to_timeval(remaining(k));
	v->interval = tsc_to_timeval(k ? k->interval : 0);
	return 0;
}

/* ITIMER_VIRTUAL and ITIMER_PROF count down the process's CPU time in
 * timer ticks (sched_tick): user ticks for VIRTUAL, all for PROF. */
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define TICK_NS 10000000L /* HZ = 100 (arch/x86/lapic.c) */

static struct timeval ns_to_timeval(s64 ns)
{
	return (struct timeval){ ns / 1000000000, ns % 1000000000 / 1000 };
}

static void cpu_timer_tick(struct task *l, s64 *val, s64 interval, int sig)
{
	if (!*val || (*val -= TICK_NS) > 0)
		return;
	*val = interval ? MAX(*val + interval, 1) : 0;
	struct ksiginfo info = { .code = SI_KERNEL };
	send_signal(sig, &info, l, true);
}

void signal_cpu_tick(struct task *l, bool user)
{
	cpu_timer_tick(l, &l->it_prof, l->it_prof_int, SIGPROF);
	if (user)
		cpu_timer_tick(l, &l->it_virt, l->it_virt_int, SIGVTALRM);
}

static long cpu_itimer(int which, const struct itimerval *v, struct itimerval *old)
{
	struct task *l = current->group_leader;
	s64 *val = which == ITIMER_VIRTUAL ? &l->it_virt : &l->it_prof;
	s64 *iv = which == ITIMER_VIRTUAL ? &l->it_virt_int : &l->it_prof_int;
	old->value = ns_to_timeval(*val);
	old->interval = ns_to_timeval(*iv);
	if (v) {
		*val = v->value.sec * 1000000000L + v->value.usec * 1000;
		*iv = v->interval.sec * 1000000000L + v->interval.usec * 1000;
	}
	return 0;
}

long sys_getitimer(u64 which, u64 uval)
{
	struct itimerval v;
	if (which > ITIMER_PROF)
		return -EINVAL;
	if (which == ITIMER_REAL)
		itimer_get(&v);
	else
		cpu_itimer(which, NULL, &v);
	return copy_to_user(uval, &v, sizeof v) < 0 ? -EFAULT : 0;
}

long sys_setitimer(u64 which, u64 unew, u64 uold)
{
	struct itimerval v, old;
	if (which > ITIMER_PROF)
		return -EINVAL;
	if (unew && copy_from_user(&v, unew, sizeof v) < 0)
		return -EFAULT;
	if (unew && (v.value.usec < 0 || v.value.usec >= 1000000 || v.value.sec < 0 ||
		     v.interval.usec < 0 || v.interval.usec >= 1000000 || v.interval.sec < 0))
		return -EINVAL;
	if (which != ITIMER_REAL) {
		struct itimerval cur;
		cpu_itimer(which, NULL, &cur);
		if (uold && copy_to_user(uold, &cur, sizeof cur) < 0)
			return -EFAULT;
		return unew ? cpu_itimer(which, &v, &old) : 0;
	}
	itimer_get(&old);
	if (uold && copy_to_user(uold, &old, sizeof old) < 0)
		return -EFAULT;
	if (!unew)
		return 0;
	struct ktimer *k = timer_find(-1, true);
	if (!k)
		return -EAGAIN;
	u64 value = ns_to_tsc(v.value.sec, v.value.usec * 1000);
	timer_arm(k, value ? rdtsc() + value : 0, ns_to_tsc(v.interval.sec, v.interval.usec * 1000));
	return 0;
}

long sys_alarm(u64 secs)
{
	struct itimerval old;
	itimer_get(&old);
	struct ktimer *k = timer_find(-1, (u32)secs != 0);
	if (k)
		timer_arm(k, (u32)secs ? rdtsc() + ns_to_tsc((u32)secs, 0) : 0, 0);
	/* Linux rounds the old value to the nearest second, and never to 0. */
	long r = old.value.sec + (old.value.usec >= 500000);
	return !r && old.value.usec ? 1 : r;
}

long sys_timer_create(u64 clock, u64 usev, u64 uid)
{
	struct sigevent sev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	if (clock > CLOCK_THREAD_CPUTIME_ID) /* another process's CPU clock included */
		return -EINVAL;
	if (usev && copy_from_user(&sev, usev, sizeof sev) < 0)
		return -EFAULT;
	if (sev.notify != SIGEV_SIGNAL && sev.notify != SIGEV_NONE && sev.notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (sev.notify != SIGEV_NONE && (sev.signo < 1 || sev.signo >= NSIG))
		return -EINVAL;
	int id = 0;
	while (timer_find(id, false))
		id++;
	struct ktimer *k = timer_find(id, true);
	if (!k)
		return -EAGAIN;
	k->signo = sev.signo;
	k->notify = sev.notify;
	k->tid = sev.tid;
	k->value = usev ? sev.value : (u64)id;
	k->clock = clock == CLOCK_PROCESS_CPUTIME_ID ? TIMER_CPU_PROCESS :
		   clock == CLOCK_THREAD_CPUTIME_ID ? TIMER_CPU_THREAD : TIMER_WALL;
	k->thread = current->pid;
	nr_cpu_timers += k->clock != TIMER_WALL;
	s32 kid = id;
	if (copy_to_user(uid, &kid, sizeof kid) < 0) {
		timer_free(k);
		return -EFAULT;
	}
	return 0;
}

static long timer_get(struct ktimer *k, u64 uold)
{
	struct itimerspec old = { tsc_to_timespec(k->interval), tsc_to_timespec(remaining(k)) };
	return uold && copy_to_user(uold, &old, sizeof old) < 0 ? -EFAULT : 0;
}

long sys_timer_settime(u64 id, u64 flags, u64 unew, u64 uold)
{
	struct ktimer *k = timer_find((int)id, false);
	struct itimerspec v;
	if (!k || (int)id < 0)
		return -EINVAL;
	if (copy_from_user(&v, unew, sizeof v) < 0)
		return -EFAULT;
	if (v.value.nsec < 0 || v.value.nsec >= 1000000000 || v.value.sec < 0 ||
	    v.interval.nsec < 0 || v.interval.nsec >= 1000000000 || v.interval.sec < 0)
		return -EINVAL;
	if (timer_get(k, uold) < 0)
		return -EFAULT;
	u64 value = ns_to_tsc(v.value.sec, v.value.nsec), deadline = 0, interval;
	interval = ns_to_tsc(v.interval.sec, v.interval.nsec);
	if (k->clock != TIMER_WALL) { /* a value of the CPU clock: the tick checks it */
		k->deadline = !value ? 0 : flags & TIMER_ABSTIME ? MAX(value, 1) : timer_clock(k) + value;
		k->interval = interval;
		return 0;
	}
	if (value)
		deadline = flags & TIMER_ABSTIME ? MAX(boot_tsc + value, 1) : rdtsc() + value;
	timer_arm(k, deadline, interval);
	return 0;
}

long sys_timer_gettime(u64 id, u64 ucur)
{
	struct ktimer *k = (int)id < 0 ? NULL : timer_find((int)id, false);
	return k ? timer_get(k, ucur) : -EINVAL;
}

long sys_timer_getoverrun(u64 id)
{
	struct ktimer *k = (int)id < 0 ? NULL : timer_find((int)id, false);
	return k ? k->overrun : -EINVAL;
}

long sys_timer_delete(u64 id)
{
	struct ktimer *k = (int)id < 0 ? NULL : timer_find((int)id, false);
	if (!k)
		return -EINVAL;
	timer_free(k);
	return 0;
}
