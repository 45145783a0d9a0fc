/* mmap of tmpfs files. MAP_SHARED maps the file's own pages (msync has
 * nothing to do); MAP_PRIVATE maps them read-only and shared, and the first
 * write copies (do_wp_page, mm/memory.c). A file still in the initrd is
 * copied page by page for a private mapping (its bytes are not
 * page-aligned in the archive), and moved into pages for a shared one. Pages
 * past the end of the file are demand-zero. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define PROT_WRITE 2
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

long file_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	struct inode *i = f->inode;
	if (i && S_ISCHR(i->mode) && i->rdev == (1 << 8 | 5)) /* /dev/zero */
		return sys_mmap(addr, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	if (!i || !S_ISREG(i->mode) || i->proc)
		return -ENODEV;
	if (off & ~PAGE_MASK)
		return -EINVAL;
	bool shared = flags & MAP_SHARED;
	if ((f->flags & O_ACCMODE) == O_WRONLY ||
	    (shared && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) == O_RDONLY))
		return -EACCES;
	long r = sys_mmap(addr, len, prot, (flags & ~MAP_SHARED) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0 || !len)
		return r;
	struct mm *mm = current->mm;
	u64 start = r, end = start + PAGE_UP(len);
	struct vma *v = vma_find(mm, start);
	if (shared)
		v->flags |= VM_SHARED;
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
