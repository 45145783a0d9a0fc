/* The task table, and fork, vfork and clone as Linux structures them:
 * kernel_clone -> copy_process -> dup_task, copy_mm, copy_files,
 * copy_sighand, copy_thread. The child is made runnable; the parent returns
 * its pid (and, for vfork, first sleeps until the child execs or exits). */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "lab.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"

#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
	CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | \
	CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID)

struct task tasks[MAX_TASKS];
static u8 kstacks[MAX_TASKS][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
struct task *current;
int nr_user_tasks;

/* Tasks and their kernel stacks are static arrays: nothing to allocate or
 * clear, and a fixed, documented limit (MAX_TASKS). */
struct task *task_alloc(void)
{
	for (int i = 0; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		if (t->state != TASK_UNUSED)
			continue;
		memset(t, 0, offsetof(struct task, fpstate));
		t->pid = t->tgid = next_pid++;
		t->state = TASK_RUNNING;
		t->stack = (u64)kstacks[i];
		t->thread.sp0 = t->stack + KSTACK_SIZE;
		t->last_in = rdtsc();
		return t;
	}
	return NULL;
}

void task_free(struct task *t)
{
	t->state = TASK_UNUSED;
}

struct task *find_pid(int pid)
{
	for (int i = 0; i < MAX_TASKS; i++)
		if (tasks[i].state != TASK_UNUSED && tasks[i].state != TASK_DEAD && tasks[i].pid == pid)
			return &tasks[i];
	return NULL;
}

static struct task *dup_task(struct task *parent)
{
	struct task *p = task_alloc();
	if (!p)
		return NULL;
	memcpy(p->comm, parent->comm, sizeof p->comm);
	p->sigmask = parent->sigmask;
	return p;
}

static int copy_mm(u64 flags, struct task *p)
{
	if (flags & CLONE_VM) {
		p->mm = current->mm;
		p->mm->users++;
		return 0;
	}
	p->mm = dup_mm(current->mm);
	return p->mm ? 0 : -ENOMEM;
}

static int copy_files(u64 flags, struct task *p)
{
	if (flags & CLONE_FILES) {
		p->files = current->files;
		p->files->refs++;
		return 0;
	}
	p->files = files_dup(current->files);
	return p->files ? 0 : -ENOMEM;
}

static int copy_sighand(u64 flags, struct task *p)
{
	if (flags & CLONE_SIGHAND) {
		p->sighand = current->sighand;
		p->sighand->refs++;
		return 0;
	}
	p->sighand = sighand_dup(current->sighand);
	return p->sighand ? 0 : -EAGAIN;
}

static void undo_copy(struct task *p)
{
	if (p->mm)
		mm_put(p->mm);
	if (p->files)
		files_put(p->files);
	if (p->sighand)
		sighand_put(p->sighand);
	exit_fs(p);
	task_free(p);
}

static struct task *copy_process(u64 flags, u64 stack, u64 child_tid, u64 tls, int *err)
{
	struct task *p = dup_task(current);
	if (!p) {
		*err = -EAGAIN;
		return NULL;
	}
	if ((*err = copy_mm(flags, p)) || (*err = copy_files(flags, p)) || (*err = copy_fs(flags, p)) ||
	    (*err = copy_sighand(flags, p)) || (*err = copy_thread(flags, stack, tls, p))) {
		undo_copy(p);
		return NULL;
	}
	struct task *leader = current->group_leader;
	if (flags & CLONE_THREAD) {
		p->tgid = current->tgid;
		p->group_leader = leader;
		p->parent = leader->parent;
		leader->live_threads++;
	} else {
		p->group_leader = p;
		p->live_threads = 1;
		p->parent = flags & CLONE_PARENT ? leader->parent : leader;
		if (p->parent)
			p->parent->nr_children++;
		p->exit_signal = flags & CSIGNAL;
		if (leader->rlimits)
			p->rlimits = rlimits_get(leader->rlimits);
	}
	signal_fork(flags, p);
	nr_user_tasks++;
	if (flags & CLONE_CHILD_SETTID)
		p->set_child_tid = child_tid;
	if (flags & CLONE_CHILD_CLEARTID)
		p->clear_child_tid = child_tid;
	return p;
}

long kernel_clone(u64 flags, u64 stack, u64 parent_tid, u64 child_tid, u64 tls)
{
	int err;
	if (flags & ~(u64)CLONE_SUPPORTED)
		return -EINVAL;
	if ((flags & CLONE_THREAD && !(flags & CLONE_SIGHAND)) ||
	    (flags & CLONE_SIGHAND && !(flags & CLONE_VM)))
		return -EINVAL;
	struct task *p = copy_process(flags, stack, child_tid, tls, &err);
	if (!p)
		return err;
	fl_kstate.forks++;
	long pid = p->pid;
	trace_clone(p, flags, stack, tls);
	if (flags & CLONE_PARENT_SETTID) {
		u32 tid = pid;
		copy_to_user(parent_tid, &tid, sizeof tid);
	}
	struct completion vfork = { 0 };
	bool vfork_wait = (flags & CLONE_VFORK) && !fault_on(FAULT_VFORK_NOWAIT);
	if (vfork_wait)
		p->vfork_done = &vfork;
	p->state = TASK_SLEEPING;
	wake_task(p);
	if (vfork_wait) {
		trace_event(current, FL_EV_VFORK_WAIT, .vfork = { (u64)p });
		if (!wait_for_completion(&vfork))
			p->vfork_done = NULL; /* we are being killed: the child must not touch our stack */
	}
	return fault_on(FAULT_PARENT_RET) ? pid + 1 : pid;
}

void release_vfork_parent(struct task *t)
{
	if (!t->vfork_done)
		return;
	trace_event(t, FL_EV_VFORK_RELEASE, .vfork = { (u64)t->parent });
	complete(t->vfork_done);
	t->vfork_done = NULL;
}

struct task *kernel_thread(int (*fn)(void *), void *arg)
{
	struct task *p = task_alloc();
	if (!p)
		return NULL;
	p->kthread = true;
	p->group_leader = p;
	p->live_threads = 1;
	p->parent = current;
	current->nr_children++;
	p->exit_signal = SIGCHLD;
	memcpy(p->comm, "kthread", 8);
	copy_thread(0, (u64)fn, (u64)arg, p);
	trace_clone(p, FL_CLONE_KTHREAD, (u64)fn, (u64)arg);
	p->state = TASK_SLEEPING;
	wake_task(p);
	return p;
}

long sys_fork(void)
{
	return kernel_clone(SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(void)
{
	return kernel_clone(CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0);
}

/* x86-64 argument order: flags, newsp, parent_tid, child_tid, tls. */
long sys_clone(u64 flags, u64 newsp, u64 parent_tid, u64 child_tid, u64 tls)
{
	return kernel_clone(flags, newsp, parent_tid, child_tid, tls);
}
