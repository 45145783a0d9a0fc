/* The task table, and fork, vfork and clone as Linux structures them:
 * kernel_clone -> copy_process -> dup_task, copy_mm, copy_files, copy_fs,
 * copy_sighand, copy_signal, copy_thread. The child is made runnable; the
 * parent returns its pid (and, for vfork, first sleeps until the child execs
 * or exits). Like Linux's fork.c, this file also allocates what a task holds
 * (mm, files, fs context, signal handlers), so a fork reads in one place;
 * each object's release stays with its owner (files_put in file.c, ...). */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "lab.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"
#include "vfork_san.h"

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

/* ---- what a task holds: fixed pools, a slot free when its count is 0 ---- */

#define MAX_MMS 128
static struct mm mm_pool[MAX_MMS];
static struct files_struct files_pool[MAX_TASKS];
static struct fs_struct fs_pool[MAX_TASKS];
static struct sighand sighand_pool[MAX_TASKS];

struct mm *mm_alloc(void)
{
	struct mm *mm = NULL;
	for (int i = 0; i < MAX_MMS && !mm; i++)
		if (!mm_pool[i].users)
			mm = &mm_pool[i];
	u64 pa = mm ? page_alloc(true) : 0;
	if (!pa)
		return NULL;
	memset(mm, 0, offsetof(struct mm, vma)); /* the arrays are read only up to their counts */
	mm->users = 1;
	mm->cr3 = pa;
	mm->pml4 = __va(pa);
	mm->mmap_top = 0x00007e0000000000UL;
	mm->more_tables = 0;
	mm->slots_left = 0;
	mm->exe_file = NULL;
	mm->arg_start = mm->arg_end = 0;
	mm->nouser_ptes = false;
	mm->locker = NULL;
	mm->lock_wait.first = NULL;
	/* The kernel half (mm/vm.c), and on PVM hosts the trampoline's slot. */
	mm->pml4[PML4_SLOT(FL_PAGE_OFFSET)] = kernel_pml4[PML4_SLOT(FL_PAGE_OFFSET)];
	mm->pml4[511] = kernel_pml4[511];
	mm->pml4[PVM_TRAMPOLINE_PML4_SLOT] = kernel_pml4[PVM_TRAMPOLINE_PML4_SLOT];
	return mm;
}

int mm_releases;

/* The last user frees the pages with the mm locked, so that the walk may
 * yield (walk_tables): nobody else holds it, having no reference. The slot
 * stays taken (users 1) until the pages are back, or mm_alloc could hand
 * it out meanwhile. */
void mm_put(struct mm *mm)
{
	if (mm->users > 1) {
		mm->users--;
		return;
	}
	mm_releases++;
	mm_lock(mm);
	free_pgtables(mm);
	if (mm->exe_file) {
		allow_write_access(mm->exe_file);
		iput(mm->exe_file);
	}
	mm_unlock(mm);
	mm_releases--;
	mm->users = 0;
}

/* The child's address space: the VMAs, and every page shared copy-on-write
 * (mm/memory.c: copy_page_range), with the parent's mm locked: the copy
 * yields between chunks, and a sibling thread must not change the mm
 * meanwhile. */
static struct mm *dup_mm(struct mm *old)
{
	struct mm *mm = mm_alloc();
	if (!mm)
		return NULL;
	mm_lock(old);
	memcpy(mm->vma, old->vma, old->nvma * sizeof old->vma[0]);
	mm->nvma = old->nvma;
	mm->brk_start = old->brk_start;
	mm->brk = old->brk;
	mm->mmap_top = old->mmap_top;
	if ((mm->exe_file = old->exe_file)) { /* denied to writers already: this cannot fail */
		iget(mm->exe_file);
		deny_write_access(mm->exe_file);
	}
	mm->arg_start = old->arg_start;
	mm->arg_end = old->arg_end;
	long n = 0;
	for (int i = 0; i < old->nvma && n >= 0; i++) {
		long c = copy_page_range(mm, old, &old->vma[i]);
		n = c < 0 ? c : n + c;
	}
	write_cr3(read_cr3()); /* the parent's PTEs lost their W bits: flush its TLB */
	mm_unlock(old);
	if (n < 0) {
		mm_put(mm);
		return NULL;
	}
	fl_kstate.ptes_copied += n;
	return mm;
}

struct files_struct *files_alloc(void)
{
	for (int i = 0; i < MAX_TASKS; i++)
		if (!files_pool[i].refs) {
			memset(&files_pool[i], 0, sizeof files_pool[i]);
			files_pool[i].refs = 1;
			return &files_pool[i];
		}
	return NULL;
}

/* Every open file shared, close-on-exec bits kept (Linux's dup_fd). */
static struct files_struct *dup_fd(struct files_struct *old)
{
	struct files_struct *f = files_alloc();
	if (!f)
		return NULL;
	for (int i = 0; i < NR_OPEN; i++)
		if ((f->fd[i] = old->fd[i]))
			file_get(f->fd[i]);
	f->cloexec = old->cloexec;
	return f;
}

static struct fs_struct *fs_struct_new(struct inode *cwd, u32 umask)
{
	static int hint; /* where the last one was found: usually free again, or next */
	for (int n = 0; n < MAX_TASKS; n++) {
		int k = (hint + n) % MAX_TASKS;
		if (!fs_pool[k].refs) {
			hint = k;
			fs_pool[k] = (struct fs_struct){ .refs = 1, .umask = umask, .cwd = iget(cwd) };
			return &fs_pool[k];
		}
	}
	return NULL;
}

struct fs_struct *fs_struct_alloc(void)
{
	return fs_struct_new(root_inode, 022);
}

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
			s->cow = false;
			return s;
		}
	return NULL;
}

/* fork shares the parent's signal handlers copy-on-write: the table (2 KiB)
 * is copied only when one of its holders changes it. Call before writing. */
struct sighand *sighand_own(struct task *t)
{
	struct sighand *sh = t->sighand;
	if (sh->cow && sh->refs > 1) {
		struct sighand *own = sighand_dup(sh);
		if (!own)
			return NULL;
		sh->refs--;
		t->sighand = sh = own;
	}
	sh->cow = false;
	return sh;
}

/* ---- fork ---- */

static struct task *dup_task(struct task *parent)
{
	struct task *p = task_alloc();
	if (!p)
		return NULL;
	memcpy(p->comm, parent->comm, sizeof p->comm);
	p->sigmask = parent->sigmask;
	return p;
}

/* TSC ticks of the last dup_mm, for fl_kstate.copy_mm_tsc once the fork is
 * known to succeed. */
static u64 copy_mm_tsc;

static int copy_mm(u64 flags, struct mm **mm)
{
	if (flags & CLONE_VM) {
		*mm = current->mm;
		(*mm)->users++;
		copy_mm_tsc = 0;
		return 0;
	}
	u64 t0 = rdtsc();
	*mm = dup_mm(current->mm);
	copy_mm_tsc = rdtsc() - t0;
	if (*mm)
		(*mm)->nouser_ptes = current->mm->nouser_ptes; /* the PTEs came along */
	return *mm ? 0 : -ENOMEM;
}

static int copy_files(u64 flags, struct task *p)
{
	if (flags & CLONE_FILES) {
		p->files = current->files;
		p->files->refs++;
		return 0;
	}
	p->files = dup_fd(current->files);
	return p->files ? 0 : -ENOMEM;
}

/* The working directory and umask (pid 1's are set up at boot, main.c). */
static int copy_fs(u64 flags, struct task *p)
{
	struct task *c = current;
	if (c->fs && (flags & CLONE_FS)) {
		p->fs = c->fs;
		p->fs->refs++;
	} else if (c->fs && !(p->fs = fs_struct_new(c->fs->cwd, c->fs->umask))) {
		return -ENOMEM;
	}
	return 0;
}

/* A thread (CLONE_SIGHAND) shares the live table. A new process shares it
 * copy-on-write, unless threads share it already: then it gets a copy. */
static int copy_sighand(u64 flags, struct task *p)
{
	struct sighand *sh = current->sighand;
	if (flags & CLONE_SIGHAND)
		sh = sighand_own(current);
	else if (sh->refs == 1 || sh->cow)
		sh->cow = true;
	else
		return (p->sighand = sighand_dup(sh)) ? 0 : -EAGAIN;
	if (!(p->sighand = sh))
		return -EAGAIN;
	sh->refs++;
	return 0;
}

/* The per-process signal state that is not the handlers: process group and
 * session (a new thread shares its leader's), and the alternate stack,
 * which a child on the same stack as its parent (CLONE_VM without vfork)
 * does not inherit. The mask was copied by dup_task; pending signals start
 * empty. */
static void copy_signal(u64 flags, struct task *p)
{
	struct task *l = current->group_leader;
	if (!(flags & CLONE_THREAD)) {
		p->pgid = l->pgid;
		p->sid = l->sid;
	}
	if ((flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) {
		p->sas_ss_sp = current->sas_ss_sp;
		p->sas_ss_size = current->sas_ss_size;
		p->sas_ss_flags = current->sas_ss_flags;
	}
}

/* The mm goes last, after the slot: its release may yield (mm_put), and
 * the table must not hold a half-made task then. */
static void undo_copy(struct task *p)
{
	struct mm *mm = p->mm;
	if (p->files)
		files_put(p->files);
	if (p->sighand)
		sighand_put(p->sighand);
	exit_fs(p);
	task_free(p);
	mm_put(mm);
}

/* copy_mm comes first, before the task slot (Linux takes the slot first):
 * the copy may yield, and a slot taken before it would hold a half-made
 * task that kill, wait and /proc could find meanwhile. */
static struct task *copy_process(u64 flags, u64 stack, u64 child_tid, u64 tls, int *err)
{
	struct mm *mm;
	if ((*err = copy_mm(flags, &mm)))
		return NULL;
	struct task *p = dup_task(current);
	if (!p) {
		mm_put(mm);
		*err = -EAGAIN;
		return NULL;
	}
	p->mm = mm;
	if ((*err = copy_files(flags, p)) || (*err = copy_fs(flags, p)) ||
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
		if ((p->rlimits = leader->rlimits))
			p->rlimits->refs++;
	}
	copy_signal(flags, p);
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
	u64 t0 = rdtsc();
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
	fl_kstate.fork_tsc += rdtsc() - t0; /* the vfork wait is not fork's work */
	fl_kstate.copy_mm_tsc += copy_mm_tsc;
	if (vfork_wait) {
		trace_event(current, FL_EV_VFORK_WAIT, .vfork = { (u64)p });
		if (!(unlikely(vfork_sanitize) ? vfork_san_wait(p, &vfork) : wait_for_completion(&vfork)))
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
