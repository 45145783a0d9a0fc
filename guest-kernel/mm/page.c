/* The physical page allocator. Pages the VMM never wrote are zero, so a bump
 * pointer hands them out without clearing; freed pages go on a free list and
 * are cleared when a zero page is asked for, unless they were freed clean
 * (page tables that exit emptied entry by entry: page_put_zeroed), which go
 * on a list of their own. Each page has a 16-bit reference count
 * (copy-on-write shares pages). O(1) to set up: no per-page work at boot. */
#include "arch.h"
#include "mm.h"

u16 *page_refs;                /* one per physical page, in memory after the kernel */
static u64 bump, bump_end;     /* [bump, bump_end): never used, still zero */
static u64 free_list;          /* physical address of the first free page, or 0 */
static u64 zero_list;          /* free pages that are zero but for this link word */
static u64 run_list;           /* free runs of RUN_PAGES pages, linked by their first word */

void page_init(u64 mem_size, u64 reserved_end, u64 initrd_start)
{
	u64 npages = mem_size / PAGE_SIZE;
	if (mem_size > (1UL << 32)) /* fork's copy_pte_range reads 32-bit frame numbers */
		panic("page_init: %lu bytes of RAM, more than 4 GiB", mem_size);
	page_refs = __va(reserved_end);
	bump = PAGE_UP(reserved_end + npages * sizeof(u16));
	bump_end = initrd_start & PAGE_MASK;
	fl_kstate.total_pages = fl_kstate.free_pages = (bump_end - bump) / PAGE_SIZE;
}

static u64 pop(u64 *list)
{
	u64 pa = *list;
	*list = *(u64 *)__va(pa);
	return pa;
}

u64 page_alloc_clean_first(bool *zeroed)
{
	u64 pa;
	*zeroed = true;
	if (zero_list) {
		pa = pop(&zero_list);
		*(u64 *)__va(pa) = 0;
	} else if (free_list) { /* before new memory, whose first touch costs the host a fault */
		pa = pop(&free_list);
		*zeroed = false;
	} else if (bump < bump_end) {
		pa = bump;
		bump += PAGE_SIZE;
	} else if (run_list) { /* the last resort: a kept task run, broken up */
		pa = pop(&run_list);
		for (int i = 1; i < RUN_PAGES; i++)
			page_free(pa + i * PAGE_SIZE), fl_kstate.free_pages--; /* counted free already */
		*zeroed = false;
	} else {
		return 0;
	}
	page_refs[pa / PAGE_SIZE] = 1;
	fl_kstate.free_pages--;
	return pa;
}

u64 run_alloc(void)
{
	u64 pa;
	if (run_list) {
		pa = pop(&run_list);
	} else if (bump_end - bump >= RUN_PAGES * PAGE_SIZE) {
		pa = bump;
		bump += RUN_PAGES * PAGE_SIZE;
	} else {
		return 0;
	}
	fl_kstate.free_pages -= RUN_PAGES;
	return pa;
}

void run_free(u64 pa)
{
	*(u64 *)__va(pa) = run_list;
	run_list = pa;
	fl_kstate.free_pages += RUN_PAGES;
}

u64 page_alloc(bool zero)
{
	bool zeroed;
	if (zero || !free_list) {
		u64 pa = page_alloc_clean_first(&zeroed);
		if (pa && zero && !zeroed)
			host_zero(pa, PAGE_SIZE);
		return pa;
	}
	u64 pa = pop(&free_list); /* a page the caller will fill: keep the clean ones */
	page_refs[pa / PAGE_SIZE] = 1;
	fl_kstate.free_pages--;
	return pa;
}

void page_free(u64 pa)
{
	*(u64 *)__va(pa) = free_list;
	free_list = pa;
	fl_kstate.free_pages++;
}

void page_free_zeroed(u64 pa)
{
	*(u64 *)__va(pa) = zero_list;
	zero_list = pa;
	fl_kstate.free_pages++;
}
