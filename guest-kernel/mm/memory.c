/* User page tables: the walk, fork's copy of them (copy_page_range), and
 * the faults that fill them (handle_mm_fault) or break copy-on-write
 * (do_wp_page), in the roles of Linux's mm/memory.c. fork shares every
 * private page read-only between parent and child, counting references; the
 * first write copies the page, unless the writer is its last holder, who
 * just gets it back writable. Each mm owns its user half: page-table pages
 * (recorded in mm->tables and its chain) and the pages they map. */
#include "arch.h"
#include "errno.h"
#include "mm.h"
#include "task.h"
#include "trace.h"

/* Where the mm records its table number i: inline, or in the chain (which
 * grows by a page when i is the first of a new chain page and grow is set). */
static u64 *table_slot(struct mm *mm, int i, bool grow)
{
	if (i < MM_TABLES_INLINE)
		return &mm->tables[i];
	u64 *link = &mm->more_tables;
	for (i -= MM_TABLES_INLINE; ; i -= TABLES_PER_PAGE) {
		if (!*link) {
			if (!grow || !(*link = page_alloc(false)))
				return NULL;
			((u64 *)__va(*link))[TABLES_PER_PAGE] = 0; /* no next page yet */
		}
		u64 *page = __va(*link);
		if (i < TABLES_PER_PAGE)
			return &page[i];
		link = &page[TABLES_PER_PAGE];
	}
}

size_t access_mm(struct mm *mm, u64 va, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		u64 *pte = pte_walk(mm, va + done, false);
		if (!pte || !(*pte & PTE_P))
			break;
		size_t off = (va + done) & ~PAGE_MASK, chunk = MIN(n - done, PAGE_SIZE - off);
		memcpy((u8 *)buf + done, (u8 *)__va(*pte & PTE_ADDR) + off, chunk);
		done += chunk;
	}
	return done;
}

u64 *pt_lookup(struct mm *mm, u64 va, bool alloc, u64 *span)
{
	u64 *table = mm->pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			u64 pa = alloc ? page_alloc(true) : 0;
			if (!pa) {
				if (span)
					*span = 1UL << shift;
				return NULL;
			}
			u64 *slot = table_slot(mm, mm->ntables, true);
			if (!slot) {
				page_put(pa);
				return NULL;
			}
			*slot = pa;
			mm->ntables++;
			fl_kstate.pt_pages++;
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		table = __va(*e & PTE_ADDR);
	}
	return table;
}

void walk_ptes(struct mm *mm, u64 start, u64 end, pte_fn fn, void *arg)
{
	u64 span;
	for (u64 va = start, next; va < end; va = next) {
		u64 *pt = pt_lookup(mm, va, false, &span);
		if (!pt) {
			next = (va & ~(span - 1)) + span;
			continue;
		}
		next = MIN((va & ~((1UL << 21) - 1)) + (1UL << 21), end);
		for (u64 a = va; a < next; a += PAGE_SIZE) {
			u64 *pte = &pt[(a >> 12) & 511];
			if (*pte & PTE_P)
				fn(mm, a, pte, arg);
		}
	}
}

u64 *pte_walk(struct mm *mm, u64 va, bool alloc)
{
	u64 *pt = pt_lookup(mm, va, alloc, NULL);
	return pt ? &pt[(va >> 12) & 511] : NULL;
}

u64 pte_flags(u32 vmflags)
{
	return PTE_P | PTE_U | (vmflags & VM_WRITE ? PTE_W : 0) | (vmflags & VM_EXEC ? 0 : PTE_NX);
}

void walk_vma(struct mm *mm, const struct vma *v, pte_fn fn, void *arg)
{
	walk_ptes(mm, MAX(v->start, v->lo), MIN(v->end, v->hi), fn, arg);
}

int map_user_page(struct mm *mm, struct vma *v, u64 va, u64 pa)
{
	u64 *pte = pte_walk(mm, va, true);
	if (!pte) {
		page_put(pa);
		return -ENOMEM;
	}
	if (*pte & PTE_P)
		page_put(*pte & PTE_ADDR);
	*pte = pa | pte_flags(v->flags);
	invlpg(va);
	if (v->lo == v->hi) {
		v->lo = va;
		v->hi = va + PAGE_SIZE;
	} else {
		v->lo = MIN(v->lo, va);
		v->hi = MAX(v->hi, va + PAGE_SIZE);
	}
	return 0;
}

int handle_mm_fault(struct mm *mm, u64 addr, bool write)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || (write && !(v->flags & VM_WRITE)) || (!write && !(v->flags & (VM_READ | VM_EXEC))))
		return -EFAULT;
	u64 *pte = pte_walk(mm, addr, false);
	if (pte && (*pte & PTE_P))
		return write && !(*pte & PTE_W) ? do_wp_page(mm, addr & PAGE_MASK, pte) : 0;
	u64 pa = page_alloc(true);
	if (!pa)
		return -ENOMEM;
	return map_user_page(mm, v, addr & PAGE_MASK, pa);
}

int user_pa(struct mm *mm, u64 va, bool write, u64 *pa)
{
	u64 *pte = pte_walk(mm, va, false);
	if (!pte || !(*pte & PTE_P) || (write && !(*pte & PTE_W))) {
		int r = handle_mm_fault(mm, va, write);
		if (r < 0)
			return r;
		pte = pte_walk(mm, va, false);
	}
	*pa = (*pte & PTE_ADDR) | (va & ~PAGE_MASK);
	return 0;
}

static void put_pte(struct mm *mm, u64 va, u64 *pte, void *arg)
{
	page_put(*pte & PTE_ADDR);
}

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

/* fork: shares the part of v ever mapped into dst, a last-level table at a
 * time. The number of PTEs copied, or -ENOMEM. */
long copy_page_range(struct mm *dst, struct mm *src, const struct vma *v)
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

/* Drops every page mapped in mm's VMAs and frees its page tables: the
 * user half of releasing an address space (mm_put, kernel/fork.c). */
void free_pgtables(struct mm *mm)
{
	for (int i = 0; i < mm->nvma; i++)
		walk_vma(mm, &mm->vma[i], put_pte, NULL);
	for (int i = 0; i < mm->ntables; i++)
		page_put(*table_slot(mm, i, false));
	for (u64 link = mm->more_tables, next; link; link = next) {
		next = ((u64 *)__va(link))[TABLES_PER_PAGE];
		page_put(link);
	}
	page_put(mm->cr3);
}
