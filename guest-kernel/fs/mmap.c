/* mmap of tmpfs files. MAP_SHARED maps the file's own pages (msync has
 * nothing to do); MAP_PRIVATE maps them read-only and shared, and the first
 * write copies (do_wp_page, mm/memory.c). A file still in the initrd is
 * copied page by page for a private mapping (its bytes are not
 * page-aligned in the archive), and moved into pages for a shared one. The
 * pages wholly past the end of the file are a VMA of their own,
 * VM_PAST_EOF, where a fault raises SIGBUS, as on Linux. What the mapping
 * sees is the file as it was at mmap: a later truncate or extension does
 * not reach the mapping's page list (no reverse map), unlike Linux. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define PROT_WRITE 2
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02

long file_mmap(struct file *f, u64 addr, u64 len, u64 prot, u64 flags, u64 off)
{
	struct inode *i = f->inode;
	bool shared = flags & MAP_SHARED, dev_zero = i && S_ISCHR(i->mode) && i->rdev == (1 << 8 | 5);
	if (!dev_zero && (!i || !S_ISREG(i->mode) || i->proc))
		return -ENODEV;
	if ((f->flags & O_ACCMODE) == O_WRONLY ||
	    (shared && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) == O_RDONLY))
		return -EACCES;
	u32 nowrite = shared && (f->flags & O_ACCMODE) == O_RDONLY ? VM_NOMAYWRITE : 0;
	if (dev_zero)
		return mmap_region(addr, len, prot, flags, nowrite, false);
	long r = mmap_region(addr, len, prot, (flags & ~MAP_SHARED) | MAP_PRIVATE, nowrite, true);
	if (r < 0)
		return r;
	struct mm *mm = current->mm;
	u64 start = r, end = start + PAGE_UP(len);
	u64 eof = off < i->size ? start + PAGE_UP(i->size - off) : start;
	if (eof < end && vma_mark(mm, eof, end, VM_PAST_EOF) < 0) {
		vma_unmap(mm, start, end);
		return -ENOMEM;
	}
	struct vma *v = vma_find(mm, start);
	if (shared)
		for (struct vma *w = v; w < mm->vma + mm->nvma && w->start < end; w++)
			w->flags |= VM_SHARED;
	int err = 0;
	for (u64 va = start; va < end && !err; va += PAGE_SIZE) {
		u64 pos = off + (va - start), pa;
		if (pos >= i->size)
			break;
		if (!shared && i->ro) {
			if (!(pa = page_alloc(true))) {
				err = -ENOMEM;
				break;
			}
			host_copy(pa, __pa(i->ro + pos), MIN(PAGE_SIZE, i->size - pos));
		} else {
			if (!(pa = inode_page(i, pos, true, &err)))
				break;
			page_get(pa);
		}
		if ((err = map_user_page(mm, v, va, pa)) < 0)
			break;
		if (!shared) { /* the first write copies it */
			u64 *pte = pte_walk(mm, va, false);
			*pte &= ~PTE_W;
			invlpg(va);
		}
	}
	if (err) {
		vma_unmap(mm, start, end);
		return err == -ENOSPC ? -ENOMEM : err;
	}
	return start;
}

long sys_msync(u64 addr, u64 len, u64 flags)
{
	if (addr & ~PAGE_MASK || flags & ~7UL || (flags & 1 && flags & 4))
		return -EINVAL;
	return vma_covered(current->mm, addr, addr + PAGE_UP(len)) ? 0 : -ENOMEM;
}
