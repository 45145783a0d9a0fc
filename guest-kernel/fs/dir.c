/* Calls that change names: mkdir, rmdir, unlink, rename, link, symlink, and
 * readlink, with Linux's errors. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

static char target[PATH_MAX];

static bool is_dot(const struct nameidata *nd)
{
	return nd->name[0] == '.' && (nd->len == 1 || (nd->len == 2 && nd->name[1] == '.'));
}

/* A new name's directory must be a live tmpfs directory. */
int may_create(const struct nameidata *nd)
{
	if (nd->inode || nd->file)
		return -EEXIST;
	if (!nd->dir->nlink)
		return -ENOENT;
	if (nd->dir->proc)
		return -EACCES;
	return 0;
}

long sys_mkdirat(u64 dirfd, u64 path, u64 mode)
{
	struct nameidata nd;
	int r = user_walk((int)dirfd, path, 0, &nd);
	if (r < 0)
		return r;
	if ((r = may_create(&nd)) == 0) {
		struct inode *i = inode_alloc(S_IFDIR | (mode & 07777 & ~current->fs->umask));
		r = i ? dir_link(nd.dir, nd.name, nd.len, i) : -ENOSPC;
		if (i)
			iput(i);
	}
	nd_put(&nd);
	return r;
}

/* mknod: regular files, FIFOs (kernel/pipe.c), sockets (which no one can
 * open: ENXIO) and device nodes (major 1 and 5 open as /dev's do). */
long sys_mknodat(u64 dirfd, u64 path, u64 mode, u64 dev)
{
	u32 type = mode & S_IFMT;
	if (!type)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
	    type != S_IFBLK)
		return -EINVAL;
	struct nameidata nd;
	int r = user_walk((int)dirfd, path, 0, &nd);
	if (r < 0)
		return r;
	if ((r = may_create(&nd)) == 0) {
		struct inode *i = inode_alloc(type | (mode & 07777 & ~current->fs->umask));
		if (i && (type == S_IFCHR || type == S_IFBLK)) /* Linux's new_decode_dev, 8-bit minors */
			i->rdev = ((dev >> 8) & 0xfff) << 8 | (dev & 0xff);
		r = i ? dir_link(nd.dir, nd.name, nd.len, i) : -ENOSPC;
		if (i)
			iput(i);
	}
	nd_put(&nd);
	return r;
}

long sys_mknod(u64 path, u64 mode, u64 dev)
{
	return sys_mknodat(AT_FDCWD, path, mode, dev);
}

long sys_mkdir(u64 path, u64 mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

static long do_rmdir(int dirfd, u64 path)
{
	struct nameidata nd;
	int r = user_walk(dirfd, path, 0, &nd);
	if (r < 0)
		return r;
	initramfs_all();
	struct inode *i = nd.inode;
	if (!i)
		r = nd.file ? -ENOTDIR : -ENOENT;
	else if (nd.len == 1 && nd.name[0] == '.')
		r = -EINVAL;
	else if (is_dot(&nd))
		r = -ENOTEMPTY;
	else if (!S_ISDIR(i->mode))
		r = -ENOTDIR;
	else if (i == root_inode || i->proc == PROC_ROOT)
		r = -EBUSY;
	else if (i->proc || nd.dir->proc)
		r = -EACCES;
	else if (i->children)
		r = -ENOTEMPTY;
	else
		dir_unlink(dir_find(nd.dir, nd.name, nd.len));
	nd_put(&nd);
	return r;
}

long sys_rmdir(u64 path)
{
	return do_rmdir(AT_FDCWD, path);
}

long sys_unlinkat(u64 dirfd, u64 path, u64 flags)
{
	if (flags & ~(u64)AT_REMOVEDIR)
		return -EINVAL;
	if (flags & AT_REMOVEDIR)
		return do_rmdir((int)dirfd, path);
	struct nameidata nd;
	int r = user_walk((int)dirfd, path, 0, &nd);
	if (r < 0)
		return r;
	if (!nd.inode)
		r = nd.file ? -EACCES : -ENOENT;
	else if (S_ISDIR(nd.inode->mode))
		r = -EISDIR;
	else if (nd.dir->proc)
		r = -EACCES;
	else
		dir_unlink(dir_find(nd.dir, nd.name, nd.len));
	nd_put(&nd);
	return r;
}

long sys_unlink(u64 path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_renameat2(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath, u64 flags)
{
	struct nameidata o, n;
	if (flags & ~(u64)RENAME_NOREPLACE)
		return -EINVAL;
	int r = user_walk((int)olddfd, oldpath, 0, &o);
	if (r < 0)
		return r;
	if ((r = user_walk((int)newdfd, newpath, 0, &n)) < 0) {
		nd_put(&o);
		return r;
	}
	initramfs_all();
	struct inode *i = o.inode, *t = n.inode;
	if (!i) {
		r = -ENOENT;
	} else if (is_dot(&o) || is_dot(&n)) {
		r = -EBUSY;
	} else if (o.dir->proc || n.dir->proc || i->proc || n.file) {
		r = -EXDEV;
	} else if (!n.dir->nlink) {
		r = -ENOENT;
	} else if (n.trailing_slash && !S_ISDIR(i->mode)) {
		r = -ENOTDIR;
	} else if (t == i) {
		r = 0; /* two names of one file: nothing to do */
	} else if (t && (flags & RENAME_NOREPLACE)) {
		r = -EEXIST;
	} else if (t && S_ISDIR(i->mode) && !S_ISDIR(t->mode)) {
		r = -ENOTDIR;
	} else if (t && !S_ISDIR(i->mode) && S_ISDIR(t->mode)) {
		r = -EISDIR;
	} else if (t && S_ISDIR(t->mode) && t->children) {
		r = -ENOTEMPTY;
	} else {
		r = 0;
		if (S_ISDIR(i->mode)) /* not into itself */
			for (struct inode *a = n.dir; a != root_inode; a = a->parent)
				if (a == i) {
					r = -EINVAL;
					break;
				}
		if (r == 0) {
			if (t)
				dir_unlink(dir_find(n.dir, n.name, n.len));
			r = dir_move(dir_find(o.dir, o.name, o.len), n.dir, n.name, n.len);
		}
	}
	nd_put(&o);
	nd_put(&n);
	return r;
}

long sys_renameat(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath)
{
	return sys_renameat2(olddfd, oldpath, newdfd, newpath, 0);
}

long sys_rename(u64 oldpath, u64 newpath)
{
	return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_linkat(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath, u64 flags)
{
	struct nameidata o, n;
	if (flags & ~(u64)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int r = user_walk((int)olddfd, oldpath, (flags & AT_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0) |
			  (flags & AT_EMPTY_PATH ? LOOKUP_EMPTY : 0), &o);
	if (r < 0)
		return r;
	if (!o.inode) {
		nd_put(&o);
		return o.file ? -EXDEV : -ENOENT;
	}
	if ((r = user_walk((int)newdfd, newpath, 0, &n)) < 0) {
		nd_put(&o);
		return r;
	}
	if (S_ISDIR(o.inode->mode))
		r = -EPERM;
	else if ((r = may_create(&n)) < 0)
		;
	else if (o.inode->proc)
		r = -EXDEV;
	else if (n.trailing_slash)
		r = -ENOENT;
	else if (!o.inode->nlink)
		r = -ENOENT;
	else
		r = dir_link(n.dir, n.name, n.len, o.inode);
	nd_put(&o);
	nd_put(&n);
	return r;
}

long sys_link(u64 oldpath, u64 newpath)
{
	return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_symlinkat(u64 utarget, u64 dirfd, u64 path)
{
	long r = getname(utarget, target);
	if (r < 0)
		return r;
	if (!target[0])
		return -ENOENT;
	struct nameidata nd;
	if ((r = user_walk((int)dirfd, path, 0, &nd)) < 0)
		return r;
	if ((r = may_create(&nd)) == 0) {
		struct inode *i = inode_alloc(S_IFLNK | 0777);
		size_t len = strlen(target);
		r = -ENOSPC;
		if (i && inode_write_kernel(i, 0, target, len) == (long)len)
			r = dir_link(nd.dir, nd.name, nd.len, i);
		if (i)
			iput(i);
	}
	nd_put(&nd);
	return r;
}

long sys_symlink(u64 target, u64 path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}

long sys_readlinkat(u64 dirfd, u64 path, u64 ubuf, u64 size)
{
	struct nameidata nd;
	if ((s64)size <= 0)
		return -EINVAL;
	int r = user_walk((int)dirfd, path, LOOKUP_EMPTY, &nd);
	if (r < 0)
		return r;
	struct inode *i = nd.inode;
	long n;
	struct file *magic = NULL;
	if (!i)
		n = nd.file ? -EINVAL : -ENOENT;
	else if (!S_ISLNK(i->mode))
		n = -EINVAL;
	else if (i->proc)
		n = proc_readlink(i, target, PATH_MAX, &magic);
	else
		n = inode_read_kernel(i, 0, target, MIN(i->size, PATH_MAX));
	if (magic) {
		n = strlen(target);
		file_put(magic);
	}
	nd_put(&nd);
	if (n < 0)
		return n;
	n = MIN((u64)n, size);
	return copy_to_user(ubuf, target, n) < 0 ? -EFAULT : n;
}

long sys_readlink(u64 path, u64 buf, u64 size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}
