/* Copy-on-write. fork shares every private page read-only between parent and
 * child, counting references; the first write fault copies the page, unless
 * the writer is its last holder, who just gets it back writable. */
#include "arch.h"
#include "errno.h"
#include "mm.h"
#include "task.h"
#include "trace.h"

struct cow_copy {
	struct mm *dst;
	bool cow;
	u64 *dpt, dpt_base;  /* the child's table for the current 2 MiB */
	int err;
};

/* Shares one PTE into the child, write-protecting a private page in both. */
static void copy_pte(struct mm *src, u64 va, u64 *pte, void *arg)
{
	struct cow_copy *c = arg;
	if (c->err)
		return;
	if (!c->dpt || (va & ~((1UL << 21) - 1)) != c->dpt_base) {
		c->dpt_base = va & ~((1UL << 21) - 1);
		if (!(c->dpt = pt_lookup(c->dst, va, true, NULL))) {
			c->err = -ENOMEM;
			return;
		}
	}
	if (c->cow && !fault_on(FAULT_COW_WRITABLE))
		*pte &= ~PTE_W;
	c->dpt[(va >> 12) & 511] = *pte;
	page_get(*pte & PTE_ADDR);
	fl_kstate.ptes_copied++;
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
	struct cow_copy c = { .dst = mm };
	for (int i = 0; i < old->nvma && !c.err; i++) {
		const struct vma *v = &old->vma[i];
		c.cow = (v->flags & VM_WRITE) && !(v->flags & VM_SHARED);
		c.dpt = NULL;
		walk_vma(old, v, copy_pte, &c);
	}
	write_cr3(read_cr3()); /* the parent's PTEs lost their W bits: flush its TLB */
	if (c.err) {
		mm_put(mm);
		return NULL;
	}
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
