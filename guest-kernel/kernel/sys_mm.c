/* brk and anonymous mmap/munmap/mprotect. Memory is demand-zero: these calls
 * only edit VMAs; the page-fault handler supplies pages on first touch.
 * Each holds the mm lock (mm.h): the page work yields on a long range. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "syscall.h"
#include "task.h"

#define PROT_MASK 7          /* PROT_READ/WRITE/EXEC have the VM_* values */
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_FIXED_NOREPLACE 0x100000
/* The flags MAP_SHARED_VALIDATE lets through: Linux's LEGACY_MAP_MASK, as
 * Linux 6.18 answers bit by bit (0x400, MAP_SYNC, MAP_FIXED_NOREPLACE and
 * the unused bits give EOPNOTSUPP). */
#define MAP_VALIDATED 0x7c07f9f3UL

static long brk_locked(struct mm *mm, u64 addr)
{
	u64 old = PAGE_UP(mm->brk), new = PAGE_UP(addr);
	if (addr < mm->brk_start || !user_range_ok(mm->brk_start, new - mm->brk_start))
		return mm->brk;
	if (new > old) {
		struct vma *heap = old > mm->brk_start ? vma_find(mm, old - 1) : NULL;
		if (heap && heap->end > old)
			return mm->brk; /* a mapping merged into the heap's VMA lies there */
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
 * each, and a preemption point. A private mapping joins a neighbour with
 * the same rights; a file's VMA (vmflags) stays its own. */
static long mmap_anon(struct mm *mm, u64 addr, u64 len, u64 prot, u64 flags, u32 vmflags,
		      bool file)
{
	if (flags & MAP_FIXED) {
		if (!user_range_ok(addr, len))
			return -ENOMEM;
		if (flags & MAP_FIXED_NOREPLACE ? vma_intersects(mm, addr, addr + len) :
		    vma_unmap(mm, addr, addr + len) < 0)
			return flags & MAP_FIXED_NOREPLACE ? -EEXIST : -ENOMEM;
	} else if (!(addr = vma_free_area(mm, len))) {
		return -ENOMEM;
	}
	vmflags |= (prot & PROT_MASK) | (flags & MAP_SHARED ? VM_SHARED : 0) |
		   (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0);
	if ((file || vmflags & ~(VM_READ | VM_WRITE | VM_EXEC) ? vma_add(mm, addr, addr + len, vmflags) :
	     vma_add_merged(mm, addr, addr + len, vmflags)) < 0)
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

long mmap_region(u64 addr, u64 len, u64 prot, u64 flags, u32 vmflags, bool file)
{
	struct mm *mm = current->mm;
	mm_lock(mm);
	long r = mmap_anon(mm, addr, PAGE_UP(len), prot, flags, vmflags, file);
	mm_unlock(mm);
	return r;
}

/* Linux's order of checks: the offset's alignment, the fd, then the length
 * and the flags. */
long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	struct file *f = NULL;
	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && !(f = fd_file(fd)))
		return -EBADF;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!len || len > FL_USER_TOP || (flags & MAP_FIXED && addr & ~PAGE_MASK))
		return -EINVAL;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED_VALIDATE: /* for files only */
		if (!f)
			return -EINVAL;
		if (flags & ~MAP_VALIDATED)
			return -EOPNOTSUPP;
		flags &= ~MAP_PRIVATE;
		/* fall through */
	case MAP_SHARED:
		if (flags & MAP_GROWSDOWN)
			return -EINVAL;
		break;
	case MAP_PRIVATE:
		break;
	default:
		return -EINVAL;
	}
	if (f)
		return file_mmap(f, addr, len, prot, flags, off); /* fs/mmap.c */
	return mmap_region(addr, len, prot, flags, 0, false);
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
