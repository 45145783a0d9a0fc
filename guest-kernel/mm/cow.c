/* Copy-on-write. fork shares every private page read-only between parent and
 * child, counting references; the first write fault copies the page, unless
 * the writer is its last holder, who just gets it back writable. */
#include "arch.h"
#include "errno.h"
#include "fs.h"
#include "mm.h"
#include "task.h"
#include "trace.h"

/* Shares the present PTEs of [va, end), all in one last-level table spt,
 * into the child's table: one pass over the entries, no call per entry (as
 * Linux's copy_pte_range). keep is ~PTE_W for a private writable VMA: its
 * pages become read-only in both, so the first write faults. Returns the
 * number of PTEs copied, or -ENOMEM. */
static long copy_pte_range(struct mm *dst, u64 *spt, u64 va, u64 end, u64 keep)
{
	u64 *dpt = pt_lookup(dst, va, true, NULL);
	if (!dpt)
		return -ENOMEM;
	unsigned first = (va >> 12) & 511, last = first + ((end - va) >> 12);
	long n = 0;
	for (unsigned i = first; i < last; i++) {
		u64 pte = spt[i];
		if (!(pte & PTE_P))
			continue;
		pte &= keep;
		spt[i] = dpt[i] = pte;
		page_get(pte & PTE_ADDR);
		n++;
	}
	return n;
}

/* Copies the part of v ever mapped, a last-level table at a time. */
static long copy_vma(struct mm *dst, struct mm *src, const struct vma *v)
{
	bool cow = (v->flags & VM_WRITE) && !(v->flags & VM_SHARED);
	u64 keep = cow && !fault_on(FAULT_COW_WRITABLE) ? ~PTE_W : ~0UL, span;
	long total = 0;
	for (u64 va = MAX(v->start, v->lo), end = MIN(v->end, v->hi), next; va < end; va = next) {
		u64 *spt = pt_lookup(src, va, false, &span);
		if (!spt) { /* nothing mapped in this table's span, or above it */
			next = (va & ~(span - 1)) + span;
			continue;
		}
		next = MIN((va | ((1UL << 21) - 1)) + 1, end);
		long n = copy_pte_range(dst, spt, va, next, keep);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

struct mm *dup_mm(struct mm *old)
{
	struct mm *mm = mm_create();
	if (!mm)
		return NULL;
	memcpy(mm->vma, old->vma, old->nvma * sizeof old->vma[0]);
	mm->nvma = old->nvma;
	mm->brk_start = old->brk_start;
	mm->brk = old->brk;
	mm->mmap_top = old->mmap_top;
	mm->exe_file = old->exe_file ? iget(old->exe_file) : NULL;
	mm->arg_start = old->arg_start;
	mm->arg_end = old->arg_end;
	long n = 0;
	for (int i = 0; i < old->nvma && n >= 0; i++) {
		long c = copy_vma(mm, old, &old->vma[i]);
		n = c < 0 ? c : n + c;
	}
	write_cr3(read_cr3()); /* the parent's PTEs lost their W bits: flush its TLB */
	if (n < 0) {
		mm_put(mm);
		return NULL;
	}
	fl_kstate.ptes_copied += n;
	return mm;
}

int do_wp_page(struct mm *mm, u64 va, u64 *pte)
{
	struct vma *v = vma_find(mm, va);
	u64 old = *pte & PTE_ADDR;
	if (page_refcount(old) == 1) {
		fl_kstate.cow_reuses++;
		*pte |= PTE_W;
		invlpg(va);
		trace_event(current, FL_EV_COW, .cow = { va, old, old });
		return 0;
	}
	u64 pa = page_alloc(false);
	if (!pa)
		return -ENOMEM;
	host_copy(pa, old, PAGE_SIZE);
	fl_kstate.cow_copies++;
	*pte = pa | pte_flags(v->flags);
	invlpg(va);
	trace_event(current, FL_EV_COW, .cow = { va, old, pa });
	page_put(old);
	return 0;
}
