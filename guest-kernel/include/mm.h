/* Memory: physical pages with reference counts, page tables, and user
 * address spaces (struct mm) made of VMAs. */
#ifndef K_MM_H
#define K_MM_H

#include "arch.h"
#include "sched.h"

#define PTE_P   0x1UL
#define PTE_W   0x2UL
#define PTE_U   0x4UL
#define PTE_PS  0x80UL
#define PTE_NX  (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL
#define PML4_SLOT(va) (((va) >> 39) & 511)

/* ---- physical pages (mm/page.c) ---- */
void page_init(u64 mem_size, u64 reserved_end, u64 initrd_start);
u64 page_alloc(bool zero);   /* physical address, or 0 when memory is exhausted */
void page_free(u64 pa);      /* onto the free list (page_put, at the last reference) */
extern u16 *page_refs;       /* a reference count per physical page */
static inline void page_put(u64 pa)
{
	if (!--page_refs[pa / PAGE_SIZE])
		page_free(pa);
}
/* page_put of a page the caller has cleared (an emptied page table): it is
 * handed out again without clearing. */
void page_free_zeroed(u64 pa);
static inline void page_put_zeroed(u64 pa)
{
	if (!--page_refs[pa / PAGE_SIZE])
		page_free_zeroed(pa);
}
/* A page, zero if *zeroed says so: pages known to be zero first. */
u64 page_alloc_clean_first(bool *zeroed);
/* Runs of RUN_PAGES physically contiguous pages: a task's kernel stack and
 * struct task (kernel/fork.c). Taken from never-used memory, and kept for
 * the next task once freed; a kept run counts as free memory, and the page
 * allocator breaks one up into single pages when nothing else is left. 0
 * when no run can be had: the rest of memory may be free, but in pieces. */
#define RUN_PAGES 7
/* A page for a kernel object of up to PAGE_SIZE bytes, not cleared (kernel/fork.c). */
void *kobj_alloc(void);
void kobj_free(void *p);
u64 run_alloc(void);
void run_free(u64 pa);
static inline void page_get(u64 pa)
{
	page_refs[pa / PAGE_SIZE]++;
}
static inline u16 page_refcount(u64 pa)
{
	return page_refs[pa / PAGE_SIZE];
}

/* ---- kernel page tables (mm/vm.c) ---- */
extern u64 kernel_pml4[512];
void vm_init(u64 mem_size);  /* direct map + kernel image, then switch CR3 */

/* ---- user address spaces: VMAs (mm/mmap.c), pages (mm/memory.c) ---- */
#define MAX_VMAS 64
#define MM_TABLES_INLINE 64
#define TABLES_PER_PAGE 511 /* a chain page: table addresses, then the next page's */

struct vma {         /* as abi.h struct fl_vma */
	u64 start, end;  /* page aligned, [start, end) */
	u32 flags;       /* VM_* */
	u32 pad_;
	/* Every page ever mapped in this VMA lies in [lo, hi): page-table walks
	 * stay there (an 8 MiB stack with 3 pages used costs 3 PTEs, not 512). */
	u64 lo, hi;
};
_Static_assert(sizeof(struct vma) == sizeof(struct fl_vma) &&
	       offsetof(struct vma, lo) == offsetof(struct fl_vma, lo), "struct vma matches abi.h");

struct mm {
	/* The head the host reads (abi.h struct fl_mm_head). */
	u64 *pml4;           /* kernel VA of the top-level table */
	u64 cr3;
	int nvma, ntables, users, pad_;
	u64 brk_start, brk;
	u64 mmap_top;        /* next mmap search starts below this */
	struct vma vma[MAX_VMAS]; /* sorted by start */
	/* The kernel's own. mm_alloc clears only what precedes vma[]. */
	/* Every page-table page below the PML4, freed with the mm (mm/memory.c:
	 * record_table): the first here, the rest in a chain of pages (no limit
	 * but memory). */
	u64 tables[MM_TABLES_INLINE];
	u64 more_tables;     /* physical address of the first chain page, or 0 */
	u64 *next_slot;      /* where the next record goes, while slots_left > 0 */
	int slots_left;
	struct inode *exe_file;   /* the program (ref): /proc/PID/exe */
	u64 arg_start, arg_end;   /* argv's strings on the stack: /proc/PID/cmdline */
	/* A present PTE without PTE_U (a PROT_NONE page) has existed: then
	 * copy_from_user checks the range's PTEs, since the kernel's own reads
	 * do not fault on them (writes do: no PTE_W). Never cleared; fork
	 * copies it. */
	bool nouser_ptes;
	/* The mm lock, Linux's mmap_lock in small: a sleeping lock, held by the
	 * task that may yield (cond_resched) while this mm's VMAs or page tables
	 * are half changed, and only by such a task. The kernel is not
	 * preemptive, so the rule is:
	 * - A path that changes VMAs or page tables and may yield on the way
	 *   holds it: fork's copy of the parent (dup_mm), mmap, munmap,
	 *   mprotect, brk, and the release of an mm's pages (mm_put). Walks of
	 *   the tables yield only in an mm that current holds (walk_tables).
	 *   A holder never sleeps and never faults on its own mm: it only
	 *   yields, runnable, so the lock is always given back.
	 * - A path that changes them without yielding needs only to find the
	 *   lock free, and then runs to its end before anyone else does: the
	 *   page fault (handle_mm_fault) waits first. So does a path that
	 *   finds the lock free and reaches a holder's code without yielding
	 *   (file_mmap after its anonymous mmap).
	 * - Readers of another task's mm (/proc, the OOM killer) take nothing:
	 *   they never yield, and a holder yields only between whole steps (a
	 *   VMA array that is sorted, tables whose entries are whole), with the
	 *   TLB agreeing with the tables.
	 * - A user access that needs no fault goes ahead: a page the holder has
	 *   not reached yet is used as it was before the change, one it has
	 *   passed faults and waits. Either way the access falls before or after
	 *   the whole change, as if it had been atomic.
	 * A new mm (a fork's child, exec's) is no one else's until it is
	 * installed: its builder needs no lock. */
	struct task *locker;
	struct wait_queue lock_wait;
};
_Static_assert(offsetof(struct mm, vma) == offsetof(struct fl_mm_head, vma) &&
	       offsetof(struct mm, cr3) == offsetof(struct fl_mm_head, cr3) &&
	       offsetof(struct mm, nvma) == offsetof(struct fl_mm_head, nvma) &&
	       MAX_VMAS == FL_MAX_VMAS, "struct mm head matches abi.h");

/* Reads n bytes at va in mm (not necessarily current's); bytes read. */
size_t access_mm(struct mm *mm, u64 va, void *buf, size_t n);
struct mm *mm_alloc(void);                /* an empty mm, with the kernel half (kernel/fork.c) */
void mm_put(struct mm *mm);               /* frees pages and tables with the last user */
/* Loads mm's page tables (the kernel's alone for NULL). */
static inline void mm_switch(struct mm *mm)
{
	write_cr3(mm ? mm->cr3 : __pa(kernel_pml4));
}
/* The mm lock (struct mm, above). */
extern struct task *current;
void mm_lock_wait(struct mm *mm);         /* sleeps until it is free (mm/mmap.c) */
static inline void mm_lock(struct mm *mm)
{
	if (__builtin_expect(mm->locker != NULL, 0))
		mm_lock_wait(mm);
	mm->locker = current;
}
static inline void mm_unlock(struct mm *mm)
{
	mm->locker = NULL;
	if (__builtin_expect(mm->lock_wait.first != NULL, 0))
		wake_up(&mm->lock_wait);
}
/* Releases of an mm's pages under way (mm_put, which may yield): the OOM
 * killer waits for them rather than kill again. */
extern int mm_releases;
struct vma *vma_find(struct mm *mm, u64 addr);
/* Whether VMAs cover [start, end) without a hole (one pass, any length). */
bool vma_covered(const struct mm *mm, u64 start, u64 end);
int vma_add(struct mm *mm, u64 start, u64 end, u32 flags); /* -ENOMEM if full/overlap */
/* vma_add, joined to a neighbour with the same flags that it touches (an
 * anonymous private mapping: Linux's vma_merge). */
int vma_add_merged(struct mm *mm, u64 start, u64 end, u32 flags);
bool vma_intersects(const struct mm *mm, u64 start, u64 end);
/* Splits VMAs at start and end and sets flags in those between: for a new
 * mapping's part, which has no pages yet. */
int vma_mark(struct mm *mm, u64 start, u64 end, u32 flags);
/* A fault at addr below a VM_GROWSDOWN VMA: the VMA grown down to it, or
 * NULL if it may not grow so far (Linux's expand_stack). */
struct vma *vma_expand_down(struct mm *mm, u64 addr);
int vma_unmap(struct mm *mm, u64 start, u64 end);           /* unmaps pages too */
int vma_protect(struct mm *mm, u64 start, u64 end, u32 flags);
u64 vma_free_area(struct mm *mm, u64 len);  /* top-down search; 0 if none */
/* What a fault at a user address asks for: handle_mm_fault's flags, the
 * page-fault error code's own bits (traps.c passes them through). */
#define FAULT_PRESENT 0x1  /* the page was present: its rights refused the access */
#define FAULT_WRITE   0x2  /* a write (else a read or an instruction fetch) */
#define FAULT_INSTR   0x10 /* an instruction fetch */
/* Resolves a user fault at addr (demand-zero, copy-on-write). 0, or -EFAULT
 * if the VMA's rights forbid the access (Linux's access_error), -ENOMEM,
 * or FAULT_SIGBUS past the end of a mapped file. */
#define FAULT_SIGBUS (-EIO)
int handle_mm_fault(struct mm *mm, u64 addr, unsigned flags);
/* Maps one page (takes the caller's reference) at va in v, with v's rights. */
int map_user_page(struct mm *mm, struct vma *v, u64 va, u64 pa);
/* The physical address behind a user byte, faulting the page in if needed;
 * -EFAULT where a user access would fault (PROT_NONE included). */
int user_pa(struct mm *mm, u64 va, bool write, u64 *pa);

/* ---- page tables (mm/memory.c) ---- */
/* The last-level table covering va (allocating levels if `alloc`), or NULL
 * with *span = the bytes the missing level would have covered. */
u64 *pt_lookup(struct mm *mm, u64 va, bool alloc, u64 *span);
u64 *pte_walk(struct mm *mm, u64 va, bool alloc);
typedef void (*pte_fn)(struct mm *mm, u64 va, u64 *pte, void *arg);
/* Calls fn on each present PTE in [start, end), skipping missing tables. */
void walk_ptes(struct mm *mm, u64 start, u64 end, pte_fn fn, void *arg);
/* walk_ptes over the part of v that has ever been mapped. */
void walk_vma(struct mm *mm, const struct vma *v, pte_fn fn, void *arg);
u64 pte_flags(u32 vmflags);
/* A write to a COW page at va, in v. */
int do_wp_page(struct mm *mm, const struct vma *v, u64 va, u64 *pte);
long copy_page_range(struct mm *dst, struct mm *src, const struct vma *v); /* fork */
extern bool fork_shares_tables;                     /* bootarg fork=shared */
/* Before PTEs in [start, end) change outside a fault (munmap, mprotect):
 * tables fork=shared left shared become this mm's own. 0 or -ENOMEM. */
int unshare_tables(struct mm *mm, u64 start, u64 end);
void free_pgtables(struct mm *mm);                  /* mm_put: pages and tables */
u64 mm_rss(struct mm *mm);                          /* pages mapped (mm/memory.c) */
/* A fault found no free page: kill the process that holds the most
 * (mm/oom.c). False if there is no user process to kill. */
bool out_of_memory(void);
static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* ---- user memory access (mm/uaccess.c) ---- */
static inline bool access_ok(u64 addr, u64 len)
{
	return addr <= FL_USER_TOP && len <= FL_USER_TOP - addr;
}

/* Where user mappings may go: user space below FL_USER_TOP, above the first
 * 64 KiB, and outside the PML4 slot whose tables every address space shares
 * (the PVM trampoline's, reserved on every host): abi.h. */
#define MMAP_MIN_ADDR FL_MMAP_MIN_ADDR
#define RESERVED_START FL_RESERVED_START
#define RESERVED_END FL_RESERVED_END
static inline bool user_range_ok(u64 addr, u64 len)
{
	return addr >= MMAP_MIN_ADDR && access_ok(addr, len) &&
	       (addr + len <= RESERVED_START || addr >= RESERVED_END);
}
long copy_from_user(void *dst, u64 usrc, size_t n);
long copy_to_user(u64 udst, const void *src, size_t n);
/* A NUL-terminated user string into dst[0, cap), a page at a time: its
 * length, cap if no NUL came within cap bytes, or -EFAULT. */
long strncpy_from_user(char *dst, u64 usrc, size_t cap);

#endif
