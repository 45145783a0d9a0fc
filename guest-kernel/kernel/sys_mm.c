/* brk and anonymous mmap/munmap/mprotect. Memory is demand-zero: these calls
 * only edit VMAs; the page-fault handler supplies pages on first touch.
 * Each holds the mm lock (mm.h): the page work yields on a long range. */
#include "arch.h"
#include "errno.h"
#include "syscall.h"
#include "task.h"

#define PROT_MASK 7          /* PROT_READ/WRITE/EXEC have the VM_* values */
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

static long brk_locked(struct mm *mm, u64 addr)
{
	u64 old = PAGE_UP(mm->brk), new = PAGE_UP(addr);
	if (addr < mm->brk_start || !user_range_ok(mm->brk_start, new - mm->brk_start))
		return mm->brk;
	if (new > old) {
		struct vma *heap = old > mm->brk_start ? vma_find(mm, old - 1) : NULL;
		if (heap) {
			struct vma *next = heap + 1;
			if (next < mm->vma + mm->nvma && next->start < new)
				return mm->brk;
			heap->end = new;
		} else if (vma_add(mm, old, new, VM_READ | VM_WRITE) < 0) {
			return mm->brk;
		}
	} else if (new < old && vma_unmap(mm, new, old) < 0) {
		return mm->brk;
	}
	mm->brk = addr;
	return addr;
}

long sys_brk(u64 addr)
{
	struct mm *mm = current->mm;
	mm_lock(mm);
	long r = brk_locked(mm, addr);
	mm_unlock(mm);
	return r;
}

/* Shared pages exist from the start, so that a fork shares them rather
 * than each process faulting in a zero page of its own: a page cleared
 * each, and a preemption point. */
static long mmap_anon(struct mm *mm, u64 addr, u64 len, u64 prot, u64 flags)
{
	if (flags & MAP_FIXED) {
		if (!user_range_ok(addr, len))
			return -ENOMEM;
		if (vma_unmap(mm, addr, addr + len) < 0)
			return -ENOMEM;
	} else if (!(addr = vma_free_area(mm, len))) {
		return -ENOMEM;
	}
	u32 vmflags = (prot & PROT_MASK) | (flags & MAP_SHARED ? VM_SHARED : 0);
	if (vma_add(mm, addr, addr + len, vmflags) < 0)
		return -ENOMEM;
	struct vma *v = vma_find(mm, addr);
	for (u64 va = addr; (flags & MAP_SHARED) && va < addr + len; va += PAGE_SIZE) {
		u64 pa = page_alloc(true);
		if (!pa || map_user_page(mm, v, va, pa) < 0) { /* which put pa on failure */
			vma_unmap(mm, addr, addr + len);
			return -ENOMEM;
		}
		cond_resched();
	}
	return addr;
}

long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	struct mm *mm = current->mm;
	if (!len || len > FL_USER_TOP || (flags & MAP_FIXED && addr & ~PAGE_MASK))
		return -EINVAL;
	if (!(flags & MAP_PRIVATE) == !(flags & MAP_SHARED))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return file_mmap(addr, len, prot, flags, fd, off); /* fs/mmap.c */
	mm_lock(mm);
	long r = mmap_anon(mm, addr, PAGE_UP(len), prot, flags);
	mm_unlock(mm);
	return r;
}

long sys_munmap(u64 addr, u64 len)
{
	if (addr & ~PAGE_MASK || !len || !access_ok(addr, PAGE_UP(len)))
		return -EINVAL;
	struct mm *mm = current->mm;
	mm_lock(mm);
	long r = vma_unmap(mm, addr, addr + PAGE_UP(len));
	mm_unlock(mm);
	return r;
}

long sys_mprotect(u64 addr, u64 len, u64 prot)
{
	if (addr & ~PAGE_MASK || !access_ok(addr, PAGE_UP(len)))
		return -EINVAL;
	struct mm *mm = current->mm;
	mm_lock(mm);
	long r = vma_protect(mm, addr, addr + PAGE_UP(len), prot & PROT_MASK);
	mm_unlock(mm);
	return r;
}
