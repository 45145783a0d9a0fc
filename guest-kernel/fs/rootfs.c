/* The root file system at boot: a tmpfs root with /dev (devices, /dev/shm,
 * the stdio links), /proc and /tmp, and the initramfs unpacked into it
 * lazily. A lookup that misses continues the unpacking until the name
 * appears or the archive ends; a listing finishes it. Unpacking copies no
 * file data: an inode points at its bytes in the initrd. */
#include "arch.h"
#include "errno.h"
#include "fs.h"
#include "initramfs.h"

struct inode *root_inode;
static bool pending;

static struct inode *mknode(struct inode *dir, const char *name, u32 mode)
{
	struct inode *i = inode_alloc(mode);
	if (!i || dir_link(dir, name, strlen(name), i) < 0)
		panic("fs: cannot create %s at boot", name);
	i->refs--; /* held by its name only */
	return i;
}

static void mkchr(struct inode *dir, const char *name, u32 mode, u32 rdev)
{
	mknode(dir, name, S_IFCHR | mode)->rdev = rdev;
}

static void mklink(struct inode *dir, const char *name, const char *target)
{
	struct inode *i = mknode(dir, name, S_IFLNK | 0777);
	i->ro = (const u8 *)target; /* in the kernel image: read in place */
	i->size = strlen(target);
}

void fs_init(const void *initrd, size_t len)
{
	initramfs_init(initrd, len);
	pending = true;
	root_inode = inode_alloc(S_IFDIR | 0755);
	root_inode->nlink = 2;
	root_inode->parent = root_inode; /* its ".." is itself; the reference from refs 1 */
	struct inode *dev = mknode(root_inode, "dev", S_IFDIR | 0755);
	mkchr(dev, "null", 0666, 1 << 8 | 3);
	mkchr(dev, "zero", 0666, 1 << 8 | 5);
	mkchr(dev, "full", 0666, 1 << 8 | 7);
	mkchr(dev, "random", 0666, 1 << 8 | 8);
	mkchr(dev, "urandom", 0666, 1 << 8 | 9);
	mkchr(dev, "tty", 0666, 5 << 8 | 0);
	mkchr(dev, "console", 0600, 5 << 8 | 1);
	mknode(dev, "shm", S_IFDIR | 01777);
	mklink(dev, "stdin", "/proc/self/fd/0");
	mklink(dev, "stdout", "/proc/self/fd/1");
	mklink(dev, "stderr", "/proc/self/fd/2");
	mklink(dev, "fd", "/proc/self/fd");
	mknode(root_inode, "proc", S_IFDIR | 0555)->proc = PROC_ROOT;
	mknode(root_inode, "tmp", S_IFDIR | 01777);
}

/* Unpacks one archive entry: its directories as needed, then itself. */
static void unpack(const struct cpio_file *f)
{
	struct inode *dir = root_inode;
	const char *p = f->name, *end = f->name + f->namelen;
	while (p < end) {
		while (p < end && *p == '/')
			p++;
		const char *q = p;
		while (q < end && *q != '/')
			q++;
		if (q == p)
			return;
		size_t n = q - p;
		if ((n == 1 && *p == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || n > NAME_LEN)
			return;
		bool last = q == end;
		struct dentry *d = dir_find(dir, p, n);
		if (!last) {
			if (!d) {
				struct inode *i = inode_alloc(S_IFDIR | 0755);
				if (!i || dir_link(dir, p, n, i) < 0)
					return;
				i->refs--;
				dir = i;
			} else if (S_ISDIR(d->inode->mode)) {
				dir = d->inode;
			} else {
				return;
			}
			p = q;
			continue;
		}
		if (d) {
			if (S_ISDIR(f->mode) && S_ISDIR(d->inode->mode))
				d->inode->mode = f->mode;
			return;
		}
		if (!S_ISDIR(f->mode) && !S_ISREG(f->mode) && !S_ISLNK(f->mode))
			return;
		struct inode *i = inode_alloc(f->mode);
		if (!i)
			return;
		if (!S_ISDIR(f->mode)) {
			i->ro = f->data;
			i->size = f->size;
		}
		if (dir_link(dir, p, n, i) == 0)
			i->refs--;
		else
			iput(i);
		return;
	}
}

bool initramfs_more(struct inode *dir, const char *name, size_t len)
{
	struct cpio_file f;
	while (pending) {
		if (!initramfs_next(&f)) {
			pending = false;
			break;
		}
		unpack(&f);
		if (dir_find(dir, name, len))
			return true;
	}
	return false;
}

void initramfs_all(void)
{
	struct cpio_file f;
	while (pending) {
		if (!initramfs_next(&f))
			pending = false;
		else
			unpack(&f);
	}
}
