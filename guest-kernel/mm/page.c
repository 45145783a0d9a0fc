/* The physical page allocator. Pages the VMM never wrote are zero, so a bump
 * pointer hands them out without clearing; freed pages go on a free list and
 * are cleared when a zero page is asked for. Each page has a 16-bit reference
 * count (copy-on-write shares pages). O(1) to set up: no per-page work at boot. */
#include "arch.h"
#include "mm.h"

u16 *page_refs;                /* one per physical page, in memory after the kernel */
static u64 bump, bump_end;     /* [bump, bump_end): never used, still zero */
static u64 free_list;          /* physical address of the first free page, or 0 */

void page_init(u64 mem_size, u64 reserved_end, u64 initrd_start)
{
	u64 npages = mem_size / PAGE_SIZE;
	page_refs = __va(reserved_end);
	bump = PAGE_UP(reserved_end + npages * sizeof(u16));
	bump_end = initrd_start & PAGE_MASK;
	fl_kstate.total_pages = fl_kstate.free_pages = (bump_end - bump) / PAGE_SIZE;
}

u64 page_alloc(bool zero)
{
	u64 pa;
	if (free_list) {
		pa = free_list;
		free_list = *(u64 *)__va(pa);
		if (zero)
			host_zero(pa, PAGE_SIZE);
	} else if (bump < bump_end) {
		pa = bump;
		bump += PAGE_SIZE;
	} else {
		return 0;
	}
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
