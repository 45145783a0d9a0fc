/* Page tables. The kernel half (direct map and image) is built once and its
 * two PML4 slots are shared by every address space; each mm owns its user
 * half: page-table pages and the pages they map. */
#include "arch.h"
#include "errno.h"
#include "fs.h"
#include "mm.h"

#define PML4_SLOT(va) (((va) >> 39) & 511)
#define DIRECT_PDS 3 /* 3 GiB of direct map, FL_MEM_MAX */

u64 kernel_pml4[512] __attribute__((aligned(4096)));
static u64 direct_pdpt[512] __attribute__((aligned(4096)));
static u64 image_pdpt[512] __attribute__((aligned(4096)));
static u64 direct_pd[DIRECT_PDS][512] __attribute__((aligned(4096)));
/* FL_EVENT_MMIO_VA -> FL_EVENT_MMIO_GPA, uncached: the return-to-user event. */
static u64 event_pd[512] __attribute__((aligned(4096)));
static u64 event_pt[512] __attribute__((aligned(4096)));
#define PTE_PWT 0x8UL
#define PTE_PCD 0x10UL

#define MAX_MMS 128
static struct mm mm_pool[MAX_MMS];

void vm_init(u64 mem_size)
{
	/* 2 MiB pages; the first GiB's directory also serves the kernel image. */
	for (u64 i = 0; i < (mem_size + (2UL << 20) - 1) >> 21; i++)
		direct_pd[i / 512][i % 512] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	for (int i = 0; i < DIRECT_PDS; i++)
		direct_pdpt[i] = __pa(direct_pd[i]) | PTE_P | PTE_W;
	image_pdpt[510] = __pa(direct_pd[0]) | PTE_P | PTE_W;
	event_pt[0] = FL_EVENT_MMIO_GPA | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_NX;
	event_pd[0] = __pa(event_pt) | PTE_P | PTE_W;
	image_pdpt[511] = __pa(event_pd) | PTE_P | PTE_W;
	kernel_pml4[PML4_SLOT(FL_PAGE_OFFSET)] = __pa(direct_pdpt) | PTE_P | PTE_W;
	kernel_pml4[511] = __pa(image_pdpt) | PTE_P | PTE_W;
	write_cr3(__pa(kernel_pml4));
}

struct mm *mm_create(void)
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
	mm->exe_file = NULL;
	mm->arg_start = mm->arg_end = 0;
	mm->nouser_ptes = false;
	/* The kernel half, and on PVM hosts the trampoline's slot. */
	mm->pml4[PML4_SLOT(FL_PAGE_OFFSET)] = kernel_pml4[PML4_SLOT(FL_PAGE_OFFSET)];
	mm->pml4[511] = kernel_pml4[511];
	mm->pml4[PVM_TRAMPOLINE_PML4_SLOT] = kernel_pml4[PVM_TRAMPOLINE_PML4_SLOT];
	return mm;
}

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

struct vma *vma_find(struct mm *mm, u64 addr)
{
	for (int i = 0; i < mm->nvma; i++)
		if (addr >= mm->vma[i].start && addr < mm->vma[i].end)
			return &mm->vma[i];
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
	if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
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

int vma_protect(struct mm *mm, u64 start, u64 end, u32 flags)
{
	for (u64 a = start; a < end; a += PAGE_SIZE)
		if (!vma_find(mm, a))
			return -ENOMEM;
	if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
		return -ENOMEM;
	for (int i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		if (v->start < start || v->end > end)
			continue;
		v->flags = (v->flags & (VM_GROWSDOWN | VM_SHARED)) | flags;
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
	struct vma *v = vma_find(mm, addr);
	if (!v || access_error(flags, v))
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
	if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(*pte & PTE_W))) {
		bool present = pte && (*pte & PTE_P);
		int r = handle_mm_fault(mm, va, (write ? FAULT_WRITE : 0) | (present ? FAULT_PRESENT : 0));
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

void mm_put(struct mm *mm)
{
	if (--mm->users)
		return;
	for (int i = 0; i < mm->nvma; i++)
		walk_vma(mm, &mm->vma[i], put_pte, NULL);
	for (int i = 0; i < mm->ntables; i++)
		page_put(*table_slot(mm, i, false));
	for (u64 link = mm->more_tables, next; link; link = next) {
		next = ((u64 *)__va(link))[TABLES_PER_PAGE];
		page_put(link);
	}
	page_put(mm->cr3);
	if (mm->exe_file)
		iput(mm->exe_file);
}
