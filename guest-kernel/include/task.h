/* Tasks: a kernel stack with the user's struct pt_regs at its top, and the
 * thread record that switch_to uses (the seeds' thread.sp, ip and sp0). */
#ifndef K_TASK_H
#define K_TASK_H

#include "kernel.h"
#include "fpu.h"
#include "mm.h"
#include "sched.h"

#define KSTACK_SIZE 16384
/* The task table's size: the most any limit can be (kernel/fork.c). The
 * limit itself, task_limit, comes from the guest's memory as Linux's
 * threads-max does, or from the boot argument tasks_max=N; fork beyond it
 * is -EAGAIN. Only the table of pointers is sized by TASK_SLOTS: a task's
 * memory is taken when it is created. */
#define TASK_SLOTS 4096
#define NR_OPEN 32

/* The thread record (abi.h: struct fl_thread): saved kernel sp, the ip where
 * the task resumes in the kernel, sp0 for TSS.rsp0, and the user's FS base. */
#define thread_struct fl_thread

struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

struct file;

/* Open files, shared by CLONE_FILES. */
struct files_struct {
	int refs;
	struct file *fd[NR_OPEN];
	u32 cloexec;             /* bit per fd */
};

/* Signal dispositions, shared by CLONE_SIGHAND (kernel/signal.c). */
struct sighand {
	int refs;
	bool cow;       /* shared by fork, not by CLONE_SIGHAND: copied before a change */
	struct k_sigaction action[NSIG];
};

/* What a queued signal carries (kernel/signal.c): si_code and the first 32
 * bytes of siginfo's union, as Linux lays them out (pid, uid, then status
 * or sigval; or si_addr for a fault); trapno and err for the sigcontext. */
struct ksiginfo {
	s32 code, errno_;
	u32 trapno, err;
	u8 fault;                     /* raised by a fault: its death is reported to the host */
	u8 pad_[7];
	union {
		u64 raw[4];
		struct { s32 pid, uid; union { s32 status; u64 value; }; };
		u64 addr;
	};
};

/* CPU time: TSC ticks run (exact, at each switch) and timer ticks that
 * found the task in user or kernel mode (the split, as Linux scales it). */
struct cputime {
	u64 exec;
	u32 uticks, sticks;
	u64 minflt;        /* page faults (getrusage's ru_minflt) */
};

struct sigqueue;

/* The key a futex waiter sleeps on (kernel/futex.c). */
struct futex_key {
	const struct mm *mm;  /* NULL: addr is the physical address of a MAP_SHARED word */
	u64 addr;
};

/* The vfork sanitizer's step in progress (mm/vfork_san.c): between a write
 * fault and its #DB, the pages the task was let write. A write spans at
 * most two pages; pages the kernel wrote for a system call stay writable
 * until the task's next step or the vfork's end. */
struct san_step {
	int pid;                /* whose: task memory is reused, a pid is not */
	bool stepping, user_tf; /* user_tf: TF was the program's own */
	bool report;            /* the address is in the watched range */
	u64 addr, old, rip, sp;
	u64 pages[4];
	int npages;
};

enum task_state {
	TASK_UNUSED,
	TASK_RUNNING,        /* runnable or running */
	TASK_SLEEPING,       /* on a wait queue */
	TASK_ZOMBIE,         /* exited, waiting for its parent's wait */
	TASK_DEAD,           /* exited, slot freed after the switch away from it */
};

struct task {
	/* The head the host reads (abi.h struct fl_task_head); thread first, for switch_to. */
	struct thread_struct thread;
	int pid, tgid;                /* tgid: the process id (== pid of the group leader) */
	enum task_state state;
	u8 trace_return;              /* an event at the next return to user mode */
	bool kthread;
	u16 pad_;
	struct mm *mm;
	u64 stack;                    /* lowest byte of the kernel stack */
	/* The kernel's own. */
	int exit_code;                /* Linux wait status: of a zombie, or to exit with once fatal_sig */
	int exit_signal;              /* sent to the parent at exit; 0 for threads */
	int fatal_sig;                /* the signal that is killing this task (SIGKILL for a group
	                                 exit): sleeps end, and it exits with exit_code before
	                                 returning to user mode */
	struct task *parent;          /* a group leader */
	struct task *group_leader;
	struct files_struct *files;
	struct fs_struct *fs;          /* cwd, umask (fs/namei.c); shared by CLONE_FS */
	struct sighand *sighand;
	int live_threads;             /* leader: threads of the group not yet exited */
	struct task *exec_task;       /* leader: the thread whose exec is killing the others
	                                 (de_thread), or NULL */
	int nr_children;              /* leader: children not yet reaped (scans skip if 0) */
	u64 sigmask;
	u64 set_child_tid, clear_child_tid;
	struct completion *vfork_done; /* the vfork parent's, until exec or exit */
	struct wait_queue child_exit;  /* this task's wait4/waitid sleeps here */
	struct task *wait_next;        /* wait queue link */
	struct wait_queue *waiting_on;
	u64 wake_deadline;             /* TSC deadline of a timed sleep, or 0 */
	struct task *children;         /* leader: first child not yet reaped (leaders only) */
	struct task *sib_next, *sib_prev; /* leader: on its parent's list of children */
	char comm[16];
	/* Signals (kernel/signal.c); zero at fork. sig_work is the one word the
	 * return to user mode tests: a signal this thread may take, a group stop,
	 * or fatal_sig. "leader:" fields are the process's. */
	u32 sig_work;
	bool restore_sigmask;          /* sigsuspend: saved_sigmask goes back after delivery */
	u64 pending, shared_pending;   /* bit sig-1; shared_pending is the leader's (kill) */
	u64 saved_sigmask, sigwait_set;
	u64 sas_ss_sp, sas_ss_size;    /* sigaltstack */
	struct rlimits *rlimits;       /* leader: setrlimit's, shared with fork's children; NULL: defaults */
	u32 sas_ss_flags;
	int pgid, sid;                 /* leader: process group and session */
	bool did_exec;                 /* leader: exec'd since fork (Linux: no PF_FORKNOEXEC): its
	                                  parent's setpgid on it is EACCES */
	int stopped;                   /* leader: the signal that stopped the group, or 0 */
	int stop_report;               /* leader: a stop (signal) or continue (SIGCONT) for wait */
	struct sigqueue *sigq, *shared_sigq; /* RT signals' further instances (signal.c) */
	u64 last_in;                   /* TSC when it last started to run */
	struct cputime cpu;            /* this thread's */
	struct cputime dead, reaped;   /* leader: exited threads', and reaped children's */
	s64 it_virt, it_virt_int, it_prof, it_prof_int; /* leader: ITIMER_VIRTUAL, _PROF, ns */
	u8 fpstate[FPU_AREA_MAX] __attribute__((aligned(64))); /* user FPU state (fpu.c) */
	/* Not cleared at fork (each word cleared costs fork an instruction): set
	 * by task_alloc, or where they are used. Links that spare the kernel
	 * scans of the task table (fork.c, sched.c), so that a fork, exit,
	 * wait or kill costs the same with 1000 tasks as with 3. */
	struct task *pid_next;         /* pid hash chain (find_pid) */
	struct task *thread_next, *thread_prev; /* ring of the thread group, ends included */
	struct task *run_next;         /* run queue, while on it */
	struct task *timed_next, *timed_prev; /* timed sleepers, for sched_tick, while asleep */
	int slot;                      /* index in tasks[] */
	struct futex_key futex_key;    /* what a futex wait sleeps on, while it does */
	struct san_step san;           /* the vfork sanitizer's; san.pid says whose */
	/* Valid only while the pending bit is set. */
	struct ksiginfo siginfo[NSIG - 1], shared_siginfo[NSIG - 1];
};

#define TASK_HEAD_IS(f) _Static_assert(offsetof(struct task, f) == offsetof(struct fl_task_head, f), #f)
TASK_HEAD_IS(thread);
TASK_HEAD_IS(pid);
TASK_HEAD_IS(tgid);
TASK_HEAD_IS(state);
TASK_HEAD_IS(trace_return);
TASK_HEAD_IS(kthread);
TASK_HEAD_IS(mm);
TASK_HEAD_IS(stack);
_Static_assert(KSTACK_SIZE == FL_KSTACK_SIZE && TASK_RUNNING == 1 && TASK_ZOMBIE == 3, "abi.h");

extern struct task *current;
/* Every task not yet freed, by slot; NULL: a free slot. Slots at and above
 * task_slots_used were never taken. The VMM's gdb stub reads this table. */
extern struct task *tasks[TASK_SLOTS];
extern int task_slots_used;
extern int task_limit;      /* fork beyond it is -EAGAIN; RLIMIT_NPROC reports it */
extern int nr_tasks;        /* tasks holding a slot */

/* Every task holding a slot, for the rare paths that must look at all of
 * them (/proc, kill -1, process groups, the OOM killer): O(slots used). */
#define for_each_task(t) \
	for (struct task **t##_slot = tasks; t##_slot < tasks + task_slots_used; t##_slot++) \
		for (struct task *t = *t##_slot; t; t = NULL)

/* The threads of t's group, t first (and the leader, even a zombie). */
#define for_each_thread_of(start, t) \
	for (struct task *t = (start), *t##_end = NULL; t != t##_end; \
	     t##_end = (start), t = t->thread_next)

/* The children of leader l not yet reaped: group leaders, zombies included. */
#define for_each_child(l, c) \
	for (struct task *c = (l)->children, *c##_next; c && (c##_next = c->sib_next, 1); c = c##_next)
extern int nr_user_tasks;   /* user tasks not yet exited: the run ends at 0 once pid 1 is gone */

static inline struct pt_regs *task_pt_regs(struct task *t)
{
	return (struct pt_regs *)t->thread.sp0 - 1;
}

/* Not yet exited: runnable, running or asleep. */
static inline bool task_alive(const struct task *t)
{
	return t->state == TASK_RUNNING || t->state == TASK_SLEEPING;
}

static inline bool thread_group_leader(struct task *t)
{
	return t->pid == t->tgid;
}

/* Only switch_to (through __switch_to) and the boot path change current. */
static inline void set_current(struct task *t)
{
	current = t;
	fl_kstate.current_pid = t->pid;
	fl_kstate.current = (u64)t;
}

/* kernel/exit.c */
void do_exit(int wait_status) __attribute__((noreturn));
void do_group_exit(int wait_status) __attribute__((noreturn));
/* SIGKILL to every live thread of t's group but t, dying with wait_status
 * (exit_group, exec's de_thread, a core dump before it is written). */
void kill_other_threads(struct task *t, int wait_status);
/* exec in a thread group of more than t: the other threads killed and
 * gone, t the leader. May sleep; -EAGAIN if t is being killed. */
int de_thread(struct task *t);

/* kernel/signal.c */
void signal_exit(struct task *t);            /* at exit: queued RT signals dropped */
void signal_cpu_tick(struct task *leader, bool user); /* ITIMER_VIRTUAL, ITIMER_PROF */
extern int nr_cpu_timers;                    /* POSIX timers on CPU-time clocks: */
void cpu_timers_tick(struct task *t);        /* the tick's check of t's process's */
long set_user_sigmask(u64 umask, u64 size);  /* ppoll, pselect6 */
void restore_user_sigmask(u64 umask, bool interrupted);
/* A user fault: the signal, forced on the thread (unblocked, and back to
 * SIG_DFL if blocked or ignored), is taken on the way back to user mode. */
void force_sig_fault(int sig, u64 addr, u32 trapno, u64 err);
/* A user fault the task cannot survive: report it to the host and exit. */
void force_sig_exit(int sig, u64 addr, struct pt_regs *regs) __attribute__((noreturn));
/* Sends sig to a thread group (its leader), from the kernel (SIGPIPE). */
void send_sig(struct task *leader, int sig);
/* Ends t before it next returns to user mode, exiting with wait_status. */
void kill_task(struct task *t, int sig, int wait_status);
/* A child's exit (its leader, now a zombie): SIGCHLD to its parent and a
 * wake-up of wait. True if the parent ignores SIGCHLD: reap it now. */
bool do_notify_parent(struct task *child);
void signal_exec(struct task *t);     /* handlers to default, POSIX timers gone */
void signal_take_leader(struct task *t, struct task *old); /* de_thread: the process's signal state */
/* sched_tick: fires the expired interval and POSIX timers; the next deadline. */
u64 signal_timers(u64 now);

struct sighand *sighand_dup(struct sighand *old); /* old NULL: all default; NULL if none free (fork.c) */
struct sighand *sighand_own(struct task *t);      /* t's table, copied first if shared by fork */
void sighand_put(struct sighand *s);

/* The slow path of exit_to_user_mode: a stop, death, or a handler frame. */
void do_signal(void);
/* Before any return to user mode: signals. Inline, so the common case is
 * one test on every return. */
static inline void exit_to_user_mode(void)
{
	if (unlikely(current->sig_work))
		do_signal();
}

/* kernel/sys_process.c: resource limits, shared copy-on-write */
#define RLIM_NLIMITS 16
struct rlimit64 {
	u64 cur, max;
};
struct rlimits {           /* setrlimit's block (kernel/sys_process.c), shared by fork */
	int refs;
	struct rlimit64 lim[RLIM_NLIMITS];
};
#define RLIMIT_CORE 4
void rlimits_put(struct rlimits *r);
void rlimits_init(void);   /* at boot, after tasks_init: RLIMIT_NPROC is task_limit */
u64 task_rlimit(const struct task *leader, int res); /* the soft limit */

/* kernel/coredump.c */
/* Whether l's process, killed by sig (SIGQUIT, SIGSEGV...), is to leave a
 * core: RLIMIT_CORE at least a page. */
bool core_due(struct task *l, int sig);
/* current's process dies of sig: the core file if one is due; the wait
 * status to exit with, 0x80 added when a core was written. */
int do_coredump(int sig);

/* kernel/sched.c: CPU time */
u64 task_exec_tsc(const struct task *t);     /* with the running slice if current */
void group_cputime(struct task *leader, struct cputime *out); /* live and dead threads */
/* ns of user and system time, Linux's split of the exact total by the ticks. */
void cputime_split(const struct cputime *c, u64 *utime_ns, u64 *stime_ns);

/* kernel/fork.c: the task table, and process creation */
void tasks_init(u64 mem_size, const char *bootargs);
struct task *task_alloc(void);
void task_free(struct task *t);
struct task *find_pid(int pid);
void pid_rehash(struct task *t, int pid);     /* t takes pid (de_thread) */
void child_link(struct task *parent, struct task *c);
void child_unlink(struct task *c);            /* off its parent's list, nr_children-- */
long kernel_clone(u64 flags, u64 stack, u64 parent_tid, u64 child_tid, u64 tls);
struct task *kernel_thread(int (*fn)(void *), void *arg);
/* exec or exit of a vfork child: wake the parent sleeping in kernel_clone. */
void release_vfork_parent(struct task *t);

/* kernel/file.c */
struct files_struct *files_alloc(void);  /* empty (kernel/fork.c) */
void files_put(struct files_struct *f);
void files_close_on_exec(struct files_struct *f);

#endif
