/* The vfork sanitizer (bootarg vfork.sanitize). A vfork child runs on its
 * parent's stack, in the parent's page tables: whatever it writes above the
 * parent's vfork-time RSP, the parent finds when it resumes (seed 002). So
 * for the child's run those stack pages lose their W bit, marked PTE_SAN;
 * a user write there faults, the page is made writable for one
 * single-stepped instruction (TF), and at the #DB it is protected again and
 * the write reported to the host with the word before and after. The
 * program's behaviour is unchanged, byte for byte. When the child's exec or
 * exit wakes the parent, the pages get their rights back before the parent
 * returns to user mode. Off, this costs a vfork one flag test (kernel_clone,
 * before the parent sleeps); the fault path tests PTE_SAN only where a write
 * fault finds a page that is its mm's alone (do_wp_page's reuse), not on the
 * copy-on-write copy. Pages fork shares copy-on-write are not watched: at
 * the vfork (their first write copies them, unwatched) and after a fork by
 * the child. */
#include "arch.h"
#include "sched.h"
#include "lab.h"
#include "mm.h"
#include "task.h"
#include "trace.h"
#include "vfork_san.h"

#define X86_EFLAGS_TF 0x100UL

bool vfork_sanitize;

/* One watched stack: a vfork child's run, one per mm (a vfork the child
 * itself makes is not watched again, but its writes still trap and count). */
struct san_range {
	struct mm *mm;          /* NULL: a free slot */
	struct task *child;
	u64 start, end;         /* reported from start; PTEs from start's page */
};
static struct san_range ranges[8];

/* The task's step (task.h), reset when the memory was another task's. */
static struct san_step *step_of(struct task *t)
{
	struct san_step *s = &t->san;
	if (s->pid != t->pid)
		*s = (struct san_step){ .pid = t->pid };
	return s;
}

void vfork_san_init(const char *bootargs)
{
	vfork_sanitize = bootarg(bootargs, "vfork.sanitize");
}

static struct san_range *range_of(struct mm *mm)
{
	for (unsigned i = 0; i < ARRAY_SIZE(ranges); i++)
		if (ranges[i].mm == mm)
			return &ranges[i];
	return NULL;
}

static void protect(struct mm *mm, u64 va, u64 *pte, void *pages)
{
	if ((*pte & (PTE_W | PTE_SAN)) != PTE_W)
		return;
	*pte = (*pte & ~PTE_W) | PTE_SAN;
	(*(u64 *)pages)++;
}

/* Writable again, unless a fork since shares the page copy-on-write. */
static void unprotect(struct mm *mm, u64 va, u64 *pte, void *arg)
{
	if (!(*pte & PTE_SAN))
		return;
	*pte = (*pte & ~PTE_SAN) | (page_refcount(*pte & PTE_ADDR) == 1 ? PTE_W : 0);
}

static void vfork_san_start(struct task *child)
{
	struct mm *mm = current->mm;
	struct san_range *r = range_of(mm), *free = range_of(NULL);
	/* clone's stack, if it gave one, is the child's own sp */
	u64 sp = task_pt_regs(current)->sp, stack = task_pt_regs(child)->sp, start = sp, pages = 0;
	struct vma *v = vma_find(mm, sp);
	if (child->mm != mm || r || !free || !v || unshare_tables(mm, sp & PAGE_MASK, v->end) < 0)
		return;
	if (stack > sp && stack <= v->end) /* the child's own stack, inside ours (posix_spawn) */
		start = stack;
	*free = (struct san_range){ mm, child, start, v->end };
	walk_ptes(mm, start & PAGE_MASK, v->end, protect, &pages);
	write_cr3(read_cr3());
	trace_emit(current, &(struct fl_event){ .kind = FL_EV_VFORK_WATCH,
		   .vfork_watch = { (u64)child, sp, start, v->end, pages } });
}

/* Run by the parent, awake again: nothing of the child's uses its mm now. */
static void vfork_san_end(struct task *child)
{
	for (unsigned i = 0; i < ARRAY_SIZE(ranges); i++) {
		struct san_range *r = &ranges[i];
		if (r->mm && r->child == child) {
			walk_ptes(r->mm, r->start & PAGE_MASK, r->end, unprotect, NULL);
			write_cr3(read_cr3());
			r->mm = NULL;
		}
	}
}

bool vfork_san_wait(struct task *child, struct completion *released)
{
	vfork_san_start(child);
	bool done = wait_for_completion(released);
	vfork_san_end(child);
	return done;
}

static u64 word_at(struct mm *mm, u64 addr)
{
	u64 w = 0;
	access_mm(mm, addr & ~7UL, &w, sizeof w);
	return w;
}

static void report(struct task *t, u64 addr, u64 old, u64 new, u64 rip, u64 sp, u64 info)
{
	trace_emit(t, &(struct fl_event){ .kind = FL_EV_VFORK_WRITE,
		   .vfork_write = { addr, old, new, rip, sp, info } });
}

/* Protects again the pages a task was let write. */
static void reprotect(struct san_step *s)
{
	for (int i = 0; i < s->npages; i++) {
		u64 *pte = pte_walk(current->mm, s->pages[i], false);
		if (pte && (*pte & PTE_SAN))
			*pte &= ~PTE_W;
		invlpg(s->pages[i]);
	}
	s->npages = 0;
}

int vfork_san_fault(struct mm *mm, const struct vma *v, u64 page, u64 *pte)
{
	struct san_range *r = range_of(mm);
	/* The byte: the CPU's fault address, when it is in this page (the
	 * kernel's writes through user_pa make no fault: the page then) */
	u64 cr2 = read_cr2(), addr = (cr2 & PAGE_MASK) == page ? cr2 : page;
	if (!r) { /* a watched PTE a fork copied, now this mm's alone: just writable */
		*pte = (*pte & ~PTE_SAN) | PTE_W;
		invlpg(page);
		return 0;
	}
	struct san_step *s = step_of(current);
	struct pt_regs *regs = task_pt_regs(current);
	bool report_it = addr >= r->start && addr < r->end;
	if (s->npages == ARRAY_SIZE(s->pages))
		reprotect(s); /* cannot happen for one instruction; stay bounded anyway */
	s->pages[s->npages++] = page;
	*pte |= PTE_W;
	invlpg(page);
	/* A fault of the task's own instruction, else (a system call's number in
	 * orig_ax) the kernel's copy for it: reported now, its new value unknown;
	 * the page is protected again at the task's next step. The kernel's
	 * write of a signal frame after a user fault passes for the former. */
	if (regs->orig_ax != (u64)-1) {
		if (report_it)
			report(current, addr, word_at(mm, addr), 0, regs->ip, regs->sp,
			       FL_VFORK_WRITE_KERNEL | regs->orig_ax);
		return 0;
	}
	if (s->stepping)
		return 0; /* the same instruction's second page */
	s->stepping = true;
	s->user_tf = regs->flags & X86_EFLAGS_TF;
	s->report = report_it;
	s->addr = addr;
	s->old = word_at(mm, addr);
	s->rip = regs->ip;
	s->sp = regs->sp;
	regs->flags |= X86_EFLAGS_TF;
	return 0;
}

bool vfork_san_step_done(struct pt_regs *regs)
{
	struct san_step *s = step_of(current);
	if (!s->stepping)
		return false;
	s->stepping = false;
	reprotect(s);
	if (!s->user_tf)
		regs->flags &= ~X86_EFLAGS_TF;
	if (s->report)
		report(current, s->addr, s->old, word_at(current->mm, s->addr), s->rip, s->sp, 0);
	return !s->user_tf;
}
