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

struct task *tasks[TASK_SLOTS];
int task_slots_used, task_limit, nr_tasks;
static u16 free_slots[TASK_SLOTS];   /* slots below task_slots_used given back, a stack */
static int nr_free_slots;
static int next_pid = 1;
struct task *current;
int nr_user_tasks;

/* pid -> task: chains through task->pid_next. 256 chains keep them short for
 * a thousand tasks, and pids are handed out in order, so they spread. */
#define PID_HASH 256
static struct task *pid_hash[PID_HASH];

/* A task's memory is one run of pages (mm/page.c): its kernel stack, 16 KiB
 * and physically contiguous as a stack must be under the direct map, then
 * the struct task. Runs are taken as tasks are created and kept for the
 * next ones, so memory goes to live tasks (at their peak), not to the
 * limit; and a fork that reuses a run costs no more than the static arrays
 * did. */
_Static_assert(KSTACK_SIZE + sizeof(struct task) <= RUN_PAGES * PAGE_SIZE, "RUN_PAGES");

/* Linux's threads-max: as many tasks as eight times their kernel stacks fit
 * in memory (512 MiB: 4096), at least 20 (Linux's MIN_THREADS); tasks_max=N
 * on the kernel command line sets it. */
void tasks_init(u64 mem_size, const char *bootargs)
{
	unsigned long n = mem_size / (8 * KSTACK_SIZE);
	bootarg_ulong(bootargs, "tasks_max=", &n);
	task_limit = MIN(MAX(n, 20), TASK_SLOTS);
}

static struct task **pid_chain(int pid)
{
	return &pid_hash[(unsigned)pid % PID_HASH];
}

static void pid_unhash(struct task *t)
{
	struct task **p = pid_chain(t->pid);
	while (*p != t)
		p = &(*p)->pid_next;
	*p = t->pid_next;
}

void pid_rehash(struct task *t, int pid)
{
	pid_unhash(t);
	t->pid = pid;
	t->pid_next = *pid_chain(pid);
	*pid_chain(pid) = t;
}

/* O(1): a free slot from the stack of given-back ones, else the next never
 * used; the memory from the run cache. */
struct task *task_alloc(void)
{
	if (nr_tasks >= task_limit)
		return NULL;
	u64 pa = run_alloc();
	if (!pa)
		return NULL;
	int slot = nr_free_slots ? free_slots[--nr_free_slots] : task_slots_used++;
	struct task *t = __va(pa + KSTACK_SIZE);
	memset(t, 0, offsetof(struct task, fpstate));
	t->pid = t->tgid = next_pid++;
	t->pid_next = *pid_chain(t->pid);
	*pid_chain(t->pid) = t;
	t->state = TASK_RUNNING;
	t->slot = slot;
	t->thread_next = t->thread_prev = t;
	t->stack = (u64)__va(pa);
	t->thread.sp0 = t->stack + KSTACK_SIZE;
	t->last_in = rdtsc();
	tasks[slot] = t;
	nr_tasks++;
	return t;
}

/* Off every list it is on but a parent's (child_unlink, which reap and the
 * zombie paths call first); the memory goes back to the run cache. */
void task_free(struct task *t)
{
	pid_unhash(t);
	t->thread_prev->thread_next = t->thread_next;
	t->thread_next->thread_prev = t->thread_prev;
	t->state = TASK_UNUSED;
	tasks[t->slot] = NULL;
	free_slots[nr_free_slots++] = t->slot;
	nr_tasks--;
	run_free(__pa(t->stack));
}

struct task *find_pid(int pid)
{
	for (struct task *t = *pid_chain(pid); t; t = t->pid_next)
		if (t->pid == pid && t->state != TASK_DEAD)
			return t;
	return NULL;
}

/* A parent's children, doubly linked so that reaping one is O(1). */
void child_link(struct task *parent, struct task *c)
{
	c->sib_prev = NULL;
	if ((c->sib_next = parent->children))
		parent->children->sib_prev = c;
	parent->children = c;
	parent->nr_children++;
}

void child_unlink(struct task *c)
{
	if (c->sib_prev)
		c->sib_prev->sib_next = c->sib_next;
	else
		c->parent->children = c->sib_next;
	if (c->sib_next)
		c->sib_next->sib_prev = c->sib_prev;
	c->parent->nr_children--;
}

/* ---- what a task holds: a page each, given back when its count is 0 ---- */

/* A page for one kernel object (mm, files, fs context, signal handlers,
 * limits): nothing is reserved for tasks that do not exist, and the page
 * allocator's free list makes it as cheap as the fixed pools' search was. */
void *kobj_alloc(void)
{
	u64 pa = page_alloc(false);
	return pa ? __va(pa) : NULL;
}

void kobj_free(void *p)
{
	page_free(__pa(p));
}

_Static_assert(sizeof(struct mm) <= PAGE_SIZE && sizeof(struct files_struct) <= PAGE_SIZE &&
	       sizeof(struct sighand) <= PAGE_SIZE && sizeof(struct rlimits) <= PAGE_SIZE,
	       "kobj_alloc");

struct mm *mm_alloc(void)
{
	struct mm *mm = kobj_alloc();
	u64 pa = mm ? page_alloc(true) : 0;
	if (!pa) {
		if (mm)
			kobj_free(mm);
		return NULL;
	}
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
 * yield (walk_tables): nobody else holds it, having no reference. The mm's
 * own page goes back last, once the walk is over. */
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
	kobj_free(mm);
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
	struct files_struct *f = kobj_alloc();
	if (f) {
		memset(f, 0, sizeof *f);
		f->refs = 1;
	}
	return f;
}

/* Every open file shared, close-on-exec bits kept (Linux's dup_fd). */
static struct files_struct *dup_fd(struct files_struct *old)
{
	struct files_struct *f = kobj_alloc(); /* not cleared: every field is set here */
	if (!f)
		return NULL;
	f->refs = 1;
	for (int i = 0; i < NR_OPEN; i++)
		if ((f->fd[i] = old->fd[i]))
			file_get(f->fd[i]);
	f->cloexec = old->cloexec;
	return f;
}

static struct fs_struct *fs_struct_new(struct inode *cwd, u32 umask)
{
	struct fs_struct *fs = kobj_alloc();
	if (fs)
		*fs = (struct fs_struct){ .refs = 1, .umask = umask, .cwd = iget(cwd) };
	return fs;
}

struct fs_struct *fs_struct_alloc(void)
{
	return fs_struct_new(root_inode, 022);
}

struct sighand *sighand_dup(struct sighand *old)
{
	struct sighand *s = kobj_alloc();
	if (!s)
		return NULL;
	if (old)
		*s = *old;
	else
		memset(s, 0, sizeof *s);
	s->refs = 1;
	s->cow = false;
	return s;
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
	if (!p) { /* as Linux: EAGAIN at the limit, ENOMEM for want of a run */
		mm_put(mm);
		*err = nr_tasks >= task_limit ? -EAGAIN : -ENOMEM;
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
		p->thread_prev = leader->thread_prev; /* last in the group's ring */
		p->thread_next = leader;
		leader->thread_prev->thread_next = p;
		leader->thread_prev = p;
		p->parent = leader->parent;
		leader->live_threads++;
	} else {
		p->group_leader = p;
		p->live_threads = 1;
		p->parent = flags & CLONE_PARENT ? leader->parent : leader;
		if (p->parent)
			child_link(p->parent, p);
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
	child_link(current, p);
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
