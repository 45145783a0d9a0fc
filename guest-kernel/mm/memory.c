/* User page tables: the walk, fork's copy of them (copy_page_range), and
 * the faults that fill them (handle_mm_fault) or break copy-on-write
 * (do_wp_page), in the roles of Linux's mm/memory.c. fork shares every
 * private page read-only between parent and child, counting references; the
 * first write copies the page, unless the writer is its last holder, who
 * just gets it back writable. Each mm owns its user half: page-table pages
 * (recorded in mm->tables and its chain) and the pages they map.
 *
 * With bootarg fork=shared (as On-demand-fork does on Linux), fork does not
 * copy the last-level tables at all: the child's PD entries point at the
 * parent's tables, read-only in both, and a table's reference count is the
 * number of mms using it. The first change under such an entry, by either
 * side (a write, a new page, munmap, mprotect), takes the table back
 * (pt_unshare): a copy made exactly as the classic fork would have made it,
 * or, for its last holder, the same table writable again. */
#include "arch.h"
#include "errno.h"
#include "mm.h"
#include "task.h"
#include "trace.h"
#include "vfork_san.h"

#define PMD_SIZE (1UL << 21) /* what one last-level table maps */

bool fork_shares_tables;

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

/* Records a page-table page for free_pgtables: an upper-level table by its
 * address (| PD_RECORD for a page directory, which exit leaves empty), a
 * last-level one by the region it maps (va | 1), so that pt_unshare can
 * replace the table without finding this record. */
#define PD_RECORD 2
static int record_table(struct mm *mm, u64 what)
{
	if (!mm->slots_left) { /* the slots run on to the end of the array or chain page */
		int i = mm->ntables;
		if (!(mm->next_slot = table_slot(mm, i, true)))
			return -ENOMEM;
		mm->slots_left = i < MM_TABLES_INLINE ? MM_TABLES_INLINE - i :
				 TABLES_PER_PAGE - (i - MM_TABLES_INLINE) % TABLES_PER_PAGE;
	}
	*mm->next_slot++ = what;
	mm->slots_left--;
	mm->ntables++;
	return 0;
}

/* A new table under entry e; region is the va | 1 of a last-level table,
 * PD_RECORD for a page directory, or 0 for a table above that. Its entries
 * are zero but for [from, to), which the caller is about to write all of
 * (fork: no clearing of what it fills; from == to: all zero). Tables that
 * exit emptied come back without clearing. */
static bool table_alloc(struct mm *mm, u64 *e, u64 region, unsigned from, unsigned to)
{
	bool zeroed;
	u64 pa = page_alloc_clean_first(&zeroed);
	if (!pa)
		return false;
	if (!zeroed) {
		memset(__va(pa), 0, from * 8);
		memset((u64 *)__va(pa) + to, 0, (512 - to) * 8);
	}
	if (record_table(mm, region == PD_RECORD ? pa | PD_RECORD : region ? region : pa) < 0) {
		page_put(pa);
		return false;
	}
	fl_kstate.pt_pages++;
	*e = pa | PTE_P | PTE_W | PTE_U;
	return true;
}

/* The PD entry for va (allocating the levels above it if `alloc`), or NULL
 * with *span = the bytes the missing level would have mapped. */
static u64 *pmd_lookup(struct mm *mm, u64 va, bool alloc, u64 *span)
{
	u64 *table = mm->pml4;
	for (int shift = 39; shift > 21; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P) && (!alloc || !table_alloc(mm, e, shift == 30 ? PD_RECORD : 0, 0, 0))) {
			if (span)
				*span = 1UL << shift;
			return NULL;
		}
		table = __va(*e & PTE_ADDR);
	}
	return &table[(va >> 21) & 511];
}

/* The PTE for va under a present PD entry, else NULL. */
static u64 *pte_under(const u64 *pmd, u64 va)
{
	return pmd && (*pmd & PTE_P) ? &((u64 *)__va(*pmd & PTE_ADDR))[(va >> 12) & 511] : NULL;
}

/* fork=shared's mark: a present PD entry without W. */
static bool pmd_shared(const u64 *pmd)
{
	return pmd && (*pmd & (PTE_P | PTE_W)) == PTE_P;
}

static u64 cow_keep(const struct vma *v)
{
	bool cow = (v->flags & VM_WRITE) && !(v->flags & VM_SHARED);
	return cow && !fault_on(FAULT_COW_WRITABLE) ? ~PTE_W : ~0UL;
}

/* Shares the present PTEs of [va, end), all in one last-level table spt,
 * into dpt: one pass over the entries, no call per entry (as Linux's
 * copy_pte_range). keep is ~PTE_W for a private writable VMA: its pages
 * become read-only in both, so the first write faults. Every entry of
 * [va, end) in dpt is written. Returns the number of PTEs copied.
 *
 * The loop is fork's cost per page: six instructions a PTE, against Linux's
 * fourteen. It has no branch. A hole is a zero entry (nothing else is ever
 * left non-present: PROT_NONE pages stay present), which copies as zero and
 * counts once at frame 0, a frame page_alloc never hands out: the count of
 * holes is that counter's change. The frame number is the low 32 bits of the
 * entry, shifted, which holds while RAM ends below 4 GiB (page_init). */
static long copy_pte_range(u64 *dpt, u64 *spt, u64 va, u64 end, u64 keep)
{
	unsigned first = (va >> 12) & 511, n = (end - va) >> 12;
	u16 *refs = page_refs, holes = refs[0];
#pragma GCC unroll 8
	for (unsigned i = first; i < first + n; i++) {
		u64 pte = spt[i] & keep;
		spt[i] = dpt[i] = pte;
		refs[(u32)pte >> 12]++;
	}
	return n - (u16)(refs[0] - holes);
}

/* fork=shared left this mm's PD entry read-only over a table that other mms
 * may use too. Before the table changes, the mm takes it back: a copy with
 * each VMA's pages shared as copy_page_range shares them, or, for the last
 * holder, the same table made writable. The VMAs over the region are still
 * those of fork time: anything that changed them unshared first. */
static int pt_unshare(struct mm *mm, u64 *pmd, u64 va)
{
	u64 old = *pmd & PTE_ADDR, pa = old, base = va & ~(PMD_SIZE - 1), top = base + PMD_SIZE;
	if (page_refcount(old) > 1) {
		/* Every entry is written once: the VMAs' ranges copied, the gaps
		 * between them cleared. A full table pays no clearing first. */
		if (!(pa = page_alloc(false)))
			return -ENOMEM;
		u64 *pt = __va(pa), done = base;
		for (const struct vma *v = mm->vma; v < mm->vma + mm->nvma && v->start < top; v++) {
			u64 lo = MAX(MAX(v->start, v->lo), done), hi = MIN(MIN(v->end, v->hi), top);
			if (lo >= hi)
				continue;
			memset(&pt[(done >> 12) & 511], 0, (lo - done) >> 12 << 3);
			copy_pte_range(pt, __va(old), lo, hi, cow_keep(v));
			done = hi;
		}
		memset(&pt[(done >> 12) & 511], 0, (top - done) >> 12 << 3);
		fl_kstate.pt_copies++;
		page_put(old);
	}
	*pmd = pa | PTE_P | PTE_W | PTE_U;
	if (mm->cr3 == read_cr3())
		write_cr3(mm->cr3); /* flush: the entry and, in a copy, PTEs lost rights */
	trace_event(current, FL_EV_PT_COPY, .pt_copy = { base, old, pa });
	return 0;
}

int unshare_tables(struct mm *mm, u64 start, u64 end)
{
	if (!fork_shares_tables)
		return 0; /* fork=copy leaves no PD entry read-only: nothing to walk */
	u64 span;
	for (u64 va = start, next; va < end; va = next) {
		u64 *pmd = pmd_lookup(mm, va, false, &span);
		if (!pmd) {
			next = (va & ~(span - 1)) + span;
			continue;
		}
		next = (va & ~(PMD_SIZE - 1)) + PMD_SIZE;
		if (pmd_shared(pmd) && pt_unshare(mm, pmd, va) < 0)
			return -ENOMEM;
	}
	return 0;
}

u64 *pt_lookup(struct mm *mm, u64 va, bool alloc, u64 *span)
{
	u64 *pmd = pmd_lookup(mm, va, alloc, span);
	if (!pmd)
		return NULL;
	if (!(*pmd & PTE_P)) {
		if (!alloc || !table_alloc(mm, pmd, (va & ~(PMD_SIZE - 1)) | 1, 0, 0)) {
			if (span)
				*span = PMD_SIZE;
			return NULL;
		}
	} else if (alloc && pmd_shared(pmd) && pt_unshare(mm, pmd, va) < 0) {
		return NULL;
	}
	return __va(*pmd & PTE_ADDR);
}

typedef void (*table_fn)(struct mm *mm, u64 *pt, u64 va, u64 end, void *arg);

/* Calls fn on each last-level table under [start, end) that is this mm's
 * own, with the part of the range the table maps. A table fork=shared still
 * shares is skipped: its other holders' to change, and to empty. In an mm
 * that current holds locked (munmap, mprotect, exit's release), a
 * preemption point follows each table: fn leaves it whole, and its PTEs
 * invalidated in the TLB, or the mm dying. */
static void walk_tables(struct mm *mm, u64 start, u64 end, table_fn fn, void *arg)
{
	bool may_yield = mm->locker == current;
	u64 span;
	for (u64 va = start, next; va < end; va = next) {
		u64 *pt = pt_lookup(mm, va, false, &span);
		if (!pt) {
			next = (va & ~(span - 1)) + span;
			continue;
		}
		next = MIN((va & ~(PMD_SIZE - 1)) + PMD_SIZE, end);
		if (page_refcount(__pa(pt)) == 1) {
			fn(mm, pt, va, next, arg);
			if (may_yield)
				cond_resched();
		}
	}
}

struct pte_walk { pte_fn fn; void *arg; };

static void each_pte(struct mm *mm, u64 *pt, u64 va, u64 end, void *w)
{
	for (u64 a = va; a < end; a += PAGE_SIZE) {
		u64 *pte = &pt[(a >> 12) & 511];
		if (*pte & PTE_P)
			((struct pte_walk *)w)->fn(mm, a, pte, ((struct pte_walk *)w)->arg);
	}
}

void walk_ptes(struct mm *mm, u64 start, u64 end, pte_fn fn, void *arg)
{
	walk_tables(mm, start, end, each_pte, &(struct pte_walk){ fn, arg });
}

u64 *pte_walk(struct mm *mm, u64 va, bool alloc)
{
	u64 *pt = pt_lookup(mm, va, alloc, NULL);
	return pt ? &pt[(va >> 12) & 511] : NULL;
}

/* A page of a PROT_NONE VMA stays present, so that fork, munmap and exit
 * find it as any other, but becomes a supervisor page: every user access
 * faults with the present bit set, and handle_mm_fault refuses it. (Linux
 * clears the present bit and keeps a software PROTNONE bit instead.) */
u64 pte_flags(u32 vmflags)
{
	return PTE_P | (vmflags & (VM_READ | VM_WRITE | VM_EXEC) ? PTE_U : 0) |
	       (vmflags & VM_WRITE ? PTE_W : 0) | (vmflags & VM_EXEC ? 0 : PTE_NX);
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
	mm->nouser_ptes |= !(*pte & PTE_U);
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

/* Whether v's rights forbid the access, as Linux's access_error: a write
 * needs VM_WRITE; a read or fetch of a present page faulted on the page's
 * rights (NX, or PROT_NONE), which no retry changes; a fetch needs VM_EXEC
 * (Linux maps the page first and then faults on NX: the same signal); a
 * read needs any right. */
static bool access_error(unsigned flags, const struct vma *v)
{
	if (flags & FAULT_WRITE)
		return !(v->flags & VM_WRITE);
	if (flags & FAULT_PRESENT)
		return true;
	if (flags & FAULT_INSTR)
		return !(v->flags & VM_EXEC);
	return !(v->flags & (VM_READ | VM_WRITE | VM_EXEC));
}

int handle_mm_fault(struct mm *mm, u64 addr, unsigned flags)
{
	bool write = flags & FAULT_WRITE;
	fl_kstate.faults++;
	current->cpu.minflt++; /* getrusage's ru_minflt */
	if (unlikely(mm->locker))
		mm_lock_wait(mm); /* a sibling is changing the mm: after it, all of it */
	struct vma *v = vma_find(mm, addr);
	if (unlikely(!v) && !(v = vma_expand_down(mm, addr)))
		return -EFAULT;
	if (access_error(flags, v))
		return -EFAULT;
	u64 *pmd = pmd_lookup(mm, addr, false, NULL);
	if (pmd_shared(pmd) && pt_unshare(mm, pmd, addr) < 0)
		return -ENOMEM;
	u64 *pte = pte_under(pmd, addr);
	if (pte && (*pte & PTE_P))
		return write && !(*pte & PTE_W) ? do_wp_page(mm, v, addr & PAGE_MASK, pte) : 0;
	if (unlikely(v->flags & VM_PAST_EOF)) /* never has a page: only here */
		return FAULT_SIGBUS;
	u64 pa = page_alloc(true);
	if (!pa)
		return -ENOMEM;
	return map_user_page(mm, v, addr & PAGE_MASK, pa);
}

int user_pa(struct mm *mm, u64 va, bool write, u64 *pa)
{
	u64 *pmd = pmd_lookup(mm, va, false, NULL);
	u64 *pte = write && pmd_shared(pmd) ? NULL : pte_under(pmd, va); /* NULL: a fault */
	if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(*pte & PTE_W))) {
		bool present = pte && (*pte & PTE_P);
		unsigned flags = (write ? FAULT_WRITE : 0) | (present ? FAULT_PRESENT : 0);
		int r;
		/* Out of memory: as a CPU fault would, until current is the one dying. */
		while ((r = handle_mm_fault(mm, va, flags)) == -ENOMEM && out_of_memory() &&
		       !current->fatal_sig)
			;
		if (r < 0)
			return r == FAULT_SIGBUS ? -EFAULT : r;
		pte = pte_walk(mm, va, false);
	}
	*pa = (*pte & PTE_ADDR) | (va & ~PAGE_MASK);
	return 0;
}

/* exit's cost per page: one test and one count, no call, for the pages of
 * one table; the entry is cleared, so the emptied table needs no clearing
 * when it is used again. */
static void zap_pte_range(struct mm *mm, u64 *pt, u64 va, u64 end, void *arg)
{
	for (unsigned i = (va >> 12) & 511, last = i + ((end - va) >> 12); i < last; i++)
		if (pt[i] & PTE_P) {
			page_put(pt[i] & PTE_ADDR);
			pt[i] = 0;
		}
}

/* fork's preemption point, between chunks of FORK_CHUNK: the parent's
 * tables are whole, its mm locked (dup_mm). The TLB forgets the write
 * rights the copy took, so that a sibling thread that runs meanwhile faults
 * on those pages (and waits for the lock) instead of writing into pages the
 * child shares. A fork whose caller is being killed stops here. */
#define FORK_CHUNK (16UL << 20) /* 8 last-level tables: about 25,000 instructions */
/* fork=shared touches no PTE: a PD entry costs about 70 instructions, so a
 * whole PD (1 GiB, about 36,000) goes between two points. */
#define FORK_CHUNK_SHARED (1UL << 30)
static int fork_resched(void)
{
	write_cr3(read_cr3());
	schedule();
	return current->fatal_sig ? -EINTR : 0;
}

/* fork: the child's address space under v, FORK_CHUNK at a time (a PD,
 * 1 GiB, with fork=shared), then an entry (2 MiB) at a time. Classic (fork=copy): the
 * child gets tables of its own, with every page shared copy-on-write
 * (copy_pte_range). With fork=shared: the child's PD entries point at the
 * parent's tables, read-only in both, and no PTE is touched. The number of
 * PTEs copied, or -ENOMEM, or -EINTR if the caller is being killed. A VMA
 * that fits one chunk reaches no preemption point: the small fork pays
 * nothing for them. */
long copy_page_range(struct mm *dst, struct mm *src, const struct vma *v)
{
	u64 keep = cow_keep(v), wp = fault_on(FAULT_COW_WRITABLE) ? ~0UL : ~PTE_W, span;
	long copied = 0, shared = 0;
	for (u64 va = MAX(v->start, v->lo), end = MIN(v->end, v->hi), next; va < end; va = next) {
		u64 *spmd = pmd_lookup(src, va, false, &span), *dpmd;
		if (!spmd) { /* nothing mapped in this span */
			next = (va & ~(span - 1)) + span;
			continue;
		}
		if (!(dpmd = pmd_lookup(dst, va, true, NULL)))
			return -ENOMEM;
		u64 chunk = fork_shares_tables ? FORK_CHUNK_SHARED : FORK_CHUNK; /* each divides a PD's GiB */
		next = MIN((va | (chunk - 1)) + 1, end);
		for (u64 a = va, b; a < next; a = b, spmd++, dpmd++) {
			b = MIN((a | (PMD_SIZE - 1)) + 1, next);
			if (!(*spmd & PTE_P))
				continue;
			if (fork_shares_tables) {
				if (*dpmd & PTE_P)
					continue; /* shared already, for the VMA before */
				if (record_table(dst, (a & ~(PMD_SIZE - 1)) | 1) < 0)
					return -ENOMEM;
				*spmd = *dpmd = *spmd & wp;
				page_get(*spmd & PTE_ADDR);
				shared++;
				continue;
			}
			unsigned from = (a >> 12) & 511, to = from + ((b - a) >> 12);
			if (!(*dpmd & PTE_P) &&
			    !table_alloc(dst, dpmd, (a & ~(PMD_SIZE - 1)) | 1, from, to))
				return -ENOMEM;
			copied += copy_pte_range(__va(*dpmd & PTE_ADDR), __va(*spmd & PTE_ADDR), a, b,
						 keep);
		}
		if (next < end && need_resched() && fork_resched() < 0)
			return -EINTR;
	}
	fl_kstate.pt_shared += shared;
	return copied;
}

int do_wp_page(struct mm *mm, const struct vma *v, u64 va, u64 *pte)
{
	u64 old = *pte & PTE_ADDR;
	if (page_refcount(old) == 1) {
		/* Writable, but for the vfork sanitizer's watch? Loaded again here,
		 * so that the copy path keeps its code. */
		if (unlikely(*(volatile u64 *)pte & PTE_SAN))
			return vfork_san_fault(mm, v, va, pte);
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
/* The pages mm maps (the OOM killer's measure): present entries of its
 * last-level tables, a table's 512 at a time. A table fork=shared left
 * shared counts in each mm, as Linux counts a shared page in each RSS. */
u64 mm_rss(struct mm *mm)
{
	u64 pages = 0;
	for (int i = 0; i < mm->ntables; i++) {
		u64 e = *table_slot(mm, i, false), *pmd;
		if (!(e & 1) || !(pmd = pmd_lookup(mm, e, false, NULL)) || !(*pmd & PTE_P))
			continue;
		const u64 *pt = __va(*pmd & PTE_ADDR);
		for (int j = 0; j < 512; j++)
			pages += pt[j] & PTE_P;
	}
	return pages;
}

void free_pgtables(struct mm *mm)
{
	for (int i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vma[i];
		walk_tables(mm, MAX(v->start, v->lo), MIN(v->end, v->hi), zap_pte_range, NULL);
	}
	/* Last-level tables, while their PDs stand: emptied above unless
	 * another mm still uses them. Every PD entry is cleared on the way. */
	for (int i = 0; i < mm->ntables; i++) {
		u64 e = *table_slot(mm, i, false), *pmd, pt;
		if (!(e & 1) || !(pmd = pmd_lookup(mm, e, false, NULL)) || !(*pmd & PTE_P))
			continue;
		pt = *pmd & PTE_ADDR;
		*pmd = 0;
		if (page_refcount(pt) == 1)
			page_put_zeroed(pt);
		else
			page_put(pt);
	}
	for (int i = 0; i < mm->ntables; i++) {
		u64 e = *table_slot(mm, i, false);
		if (e & PD_RECORD)
			page_put_zeroed(e & PTE_ADDR);
		else if (!(e & 1))
			page_put(e);
	}
	for (u64 link = mm->more_tables, next; link; link = next) {
		next = ((u64 *)__va(link))[TABLES_PER_PAGE];
		page_put(link);
	}
	page_put(mm->cr3);
}
