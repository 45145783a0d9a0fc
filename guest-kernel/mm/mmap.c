/* VMAs: each mm's sorted array of mapped ranges and their rights, and the
 * range operations on it (unmap, protect, find a free range), in the roles
 * of Linux's mm/mmap.c and mm/mprotect.c. The pages themselves are
 * mm/memory.c's. */
#include "arch.h"
#include "errno.h"
#include "mm.h"

/* A page fault of a sibling thread may come here, or mmap while fork copies
 * the mm: a holder never waits for itself (mm.h). */
void mm_lock_wait(struct mm *mm)
{
	if (mm->locker == current)
		panic("mm lock: taken again by its holder");
	while (mm->locker)
		sleep_on_uninterruptible(&mm->lock_wait);
}

/* The array is sorted and its VMAs never overlap: the first VMA ending past
 * addr is the only one that can hold it, so one test per VMA passed (every
 * page fault comes here first). */
struct vma *vma_find(struct mm *mm, u64 addr)
{
	for (struct vma *v = mm->vma, *last = v + mm->nvma; v < last; v++)
		if (addr < v->end)
			return addr >= v->start ? v : NULL;
	return NULL;
}

int vma_add(struct mm *mm, u64 start, u64 end, u32 flags)
{
	int i = 0;
	while (i < mm->nvma && mm->vma[i].start < end) {
		if (mm->vma[i].end > start)
			return -ENOMEM; /* overlap */
		i++;
	}
	if (mm->nvma == MAX_VMAS)
		return -ENOMEM;
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof mm->vma[0]);
	mm->vma[i] = (struct vma){ .start = start, .end = end, .flags = flags };
	mm->nvma++;
	return 0;
}

bool vma_intersects(const struct mm *mm, u64 start, u64 end)
{
	for (int i = 0; i < mm->nvma; i++)
		if (mm->vma[i].end > start)
			return mm->vma[i].start < end;
	return false;
}

/* [lo, hi) of both: where either has ever had pages. */
static void vma_join_pages(struct vma *into, const struct vma *other)
{
	if (other->lo == other->hi)
		return;
	if (into->lo == into->hi) {
		into->lo = other->lo;
		into->hi = other->hi;
		return;
	}
	into->lo = MIN(into->lo, other->lo);
	into->hi = MAX(into->hi, other->hi);
}

/* Many adjacent reservations (the LTP's fork14 makes 16,394 of 1 GiB) take
 * one VMA, as on Linux, not one each of the MAX_VMAS. */
int vma_add_merged(struct mm *mm, u64 start, u64 end, u32 flags)
{
	int i = 0;
	while (i < mm->nvma && mm->vma[i].end <= start)
		i++;
	struct vma *prev = i ? &mm->vma[i - 1] : NULL, *next = i < mm->nvma ? &mm->vma[i] : NULL;
	if (next && next->start < end)
		return -ENOMEM; /* overlap */
	bool down = prev && prev->end == start && prev->flags == flags;
	bool up = next && next->start == end && next->flags == flags;
	if (!down && !up)
		return vma_add(mm, start, end, flags);
	if (down && up) { /* the hole between them filled: one VMA */
		prev->end = next->end;
		vma_join_pages(prev, next);
		memmove(next, next + 1, (mm->nvma - i - 1) * sizeof *next);
		mm->nvma--;
	} else if (down) {
		prev->end = end;
	} else {
		next->start = start;
	}
	return 0;
}

/* Splits VMAs so that start and end fall on VMA boundaries. */
static int vma_split(struct mm *mm, u64 addr)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || v->start == addr)
		return 0;
	if (mm->nvma == MAX_VMAS)
		return -ENOMEM;
	int i = v - mm->vma;
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof mm->vma[0]);
	mm->vma[i].end = addr;
	mm->vma[i + 1].start = addr;
	mm->nvma++;
	return 0;
}

static void unmap_pte(struct mm *mm, u64 va, u64 *pte, void *arg)
{
	page_put(*pte & PTE_ADDR);
	*pte = 0;
	invlpg(va);
}

int vma_unmap(struct mm *mm, u64 start, u64 end)
{
	if (unshare_tables(mm, start, end) < 0 || vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
		return -ENOMEM;
	for (int i = 0; i < mm->nvma;) {
		struct vma *v = &mm->vma[i];
		if (v->start >= start && v->end <= end) {
			walk_vma(mm, v, unmap_pte, NULL);
			memmove(v, v + 1, (mm->nvma - i - 1) * sizeof *v);
			mm->nvma--;
		} else {
			i++;
		}
	}
	return 0;
}

int vma_mark(struct mm *mm, u64 start, u64 end, u32 flags)
{
	if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
		return -ENOMEM;
	for (int i = 0; i < mm->nvma; i++)
		if (mm->vma[i].start >= start && mm->vma[i].end <= end)
			mm->vma[i].flags |= flags;
	return 0;
}

/* Linux's stack_guard_gap (256 pages) and default RLIMIT_STACK (the
 * guest's fixed one, sys_process.c): how close a growing stack may come to
 * an accessible mapping below it, and how large it may grow. */
#define STACK_GUARD_GAP (256 * PAGE_SIZE)
#define STACK_LIMIT (8UL << 20)

/* Only a fault comes here, with the mm lock free, and does not yield: the
 * VMA array changes as a whole step (mm.h). */
struct vma *vma_expand_down(struct mm *mm, u64 addr)
{
	struct vma *v = mm->vma, *last = v + mm->nvma;
	while (v < last && v->end <= addr)
		v++;
	u64 start = addr & PAGE_MASK;
	if (v == last || !(v->flags & VM_GROWSDOWN) || v->end - start > STACK_LIMIT ||
	    !user_range_ok(start, v->end - start))
		return NULL;
	const struct vma *prev = v > mm->vma ? v - 1 : NULL;
	if (prev && !(prev->flags & VM_GROWSDOWN) && prev->flags & (VM_READ | VM_WRITE | VM_EXEC) &&
	    start - prev->end < STACK_GUARD_GAP)
		return NULL;
	v->start = start;
	return v;
}

/* A COW page (read-only, shared) stays read-only: the fault will copy it. */
static void protect_pte(struct mm *mm, u64 va, u64 *pte, void *arg)
{
	const struct vma *v = arg;
	u64 e = (*pte & PTE_ADDR) | pte_flags(v->flags);
	if (!(v->flags & VM_SHARED) && page_refcount(*pte & PTE_ADDR) > 1)
		e &= ~PTE_W;
	*pte = e;
	mm->nouser_ptes |= !(e & PTE_U);
	invlpg(va);
}

bool vma_covered(const struct mm *mm, u64 start, u64 end)
{
	for (int i = 0; i < mm->nvma && start < end; i++) {
		if (mm->vma[i].end <= start)
			continue;
		if (mm->vma[i].start > start)
			return false;
		start = mm->vma[i].end;
	}
	return start >= end;
}

/* Per VMA and, below it, per present page table (walk_vma skips absent
 * levels whole): the cost follows the pages mapped, not the range's length. */
int vma_protect(struct mm *mm, u64 start, u64 end, u32 flags)
{
	if (!vma_covered(mm, start, end))
		return -ENOMEM;
	for (int i = 0; (flags & VM_WRITE) && i < mm->nvma; i++)
		if (mm->vma[i].end > start && mm->vma[i].start < end &&
		    mm->vma[i].flags & VM_NOMAYWRITE)
			return -EACCES;
	if (unshare_tables(mm, start, end) < 0 || vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
		return -ENOMEM;
	for (int i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		if (v->start < start || v->end > end)
			continue;
		v->flags = (v->flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | flags;
		walk_vma(mm, v, protect_pte, v);
	}
	return 0;
}

u64 vma_free_area(struct mm *mm, u64 len)
{
	u64 top = mm->mmap_top;
	for (int i = mm->nvma - 1; i >= 0; i--) {
		struct vma *v = &mm->vma[i];
		if (v->start >= top)
			continue;
		if (v->end <= top - len)
			break;
		top = v->start;
	}
	if (top < len + mm->brk + (64UL << 20))
		return 0;
	return top - len;
}
