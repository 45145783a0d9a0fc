/* Opening files by name, and the calls on open files: read and write through
 * the file offset, lseek, pread/pwrite, truncate, getdents64. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* A regular file's reads and writes yield between pages (inode_xfer,
 * fs/tmpfs.c), so each holds the inode's lock, as Linux's writers hold
 * i_rwsem and its readers of a shared file f_pos_lock: one call's offset,
 * size and bytes are then that call's alone, as when the kernel never
 * yielded in them. A sleeping lock, killable: its holder never waits on
 * anything that waits for it. */
static bool inode_lock(struct inode *i)
{
	while (i->locker)
		if (!sleep_on_killable(&i->lock_wait))
			return false;
	i->locker = current;
	return true;
}

static void inode_unlock(struct inode *i)
{
	i->locker = NULL;
	wake_up(&i->lock_wait);
}

/* read/write at *pos (the file's offset, or pread's own), moved past the
 * bytes done. */
static long tmpfs_rw(struct file *f, u64 ubuf, u64 n, u64 *pos, bool write)
{
	struct inode *i = f->inode;
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (!inode_lock(i))
		return -EINTR; /* being killed: no one sees it */
	if (write && (f->flags & O_APPEND))
		*pos = i->size; /* pwrite too, as Linux's */
	long r = write ? inode_write(i, *pos, ubuf, n) : inode_read(i, *pos, ubuf, n);
	if (r > 0)
		*pos += r;
	inode_unlock(i);
	return r;
}

static long tmpfs_read(struct file *f, u64 ubuf, u64 n)
{
	return tmpfs_rw(f, ubuf, n, &f->pos, false);
}

static long tmpfs_write(struct file *f, u64 ubuf, u64 n)
{
	return tmpfs_rw(f, ubuf, n, &f->pos, true);
}

static int truncate_locked(struct inode *i, u64 size)
{
	if (!inode_lock(i))
		return -EINTR;
	int r = inode_truncate(i, size);
	inode_unlock(i);
	return r;
}

static long tmpfs_ioctl(struct file *f, u64 cmd, u64 arg)
{
	return -ENOTTY;
}

static long dir_read(struct file *f, u64 ubuf, u64 n)
{
	return -EISDIR;
}

static bool may_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH);
}

static void tmpfs_release(struct file *f)
{
	if (may_write(f->flags))
		put_write_access(f->inode);
}

const struct file_ops tmpfs_file_ops = { .read = tmpfs_read, .write = tmpfs_write,
					 .ioctl = tmpfs_ioctl, .release = tmpfs_release };
const struct file_ops tmpfs_dir_ops = { .read = dir_read, .ioctl = tmpfs_ioctl };
static const struct file_ops path_ops = { .ioctl = tmpfs_ioctl };

struct file *file_open_inode(struct inode *i, int flags, int *err)
{
	const struct file_ops *ops = flags & O_PATH ? &path_ops : S_ISDIR(i->mode) ? &tmpfs_dir_ops :
				     S_ISREG(i->mode) && !i->proc ? &tmpfs_file_ops : &path_ops;
	if (ops == &tmpfs_file_ops && may_write(flags) && (*err = get_write_access(i)) < 0)
		return NULL; /* a program some process runs */
	struct file *f = file_alloc(ops, NULL, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY |
							  O_CLOEXEC | O_NOFOLLOW));
	if (!f) {
		if (ops == &tmpfs_file_ops && may_write(flags))
			put_write_access(i);
		*err = -ENFILE;
		return NULL;
	}
	f->inode = iget(i);
	*err = 0;
	if (flags & O_PATH) /* a handle only: no device, FIFO or /proc open */
		return f;
	if (S_ISCHR(i->mode))
		*err = dev_open(i, f);
	else if (S_ISFIFO(i->mode))
		*err = fifo_open(i, f);
	else if ((i->mode & S_IFMT) == S_IFSOCK || (i->mode & S_IFMT) == S_IFBLK)
		*err = -ENXIO;
	else if (i->proc && S_ISREG(i->mode))
		*err = proc_open(i, f);
	if (*err < 0) {
		file_put(f);
		return NULL;
	}
	return f;
}

int file_create(struct nameidata *nd, u32 mode)
{
	int r = may_create(nd);
	if (r < 0)
		return r;
	struct inode *i = inode_alloc(S_IFREG | (mode & 07777 & ~current->fs->umask));
	if (!i)
		return -ENOSPC;
	if ((r = dir_link(nd->dir, nd->name, nd->len, i)) < 0) {
		iput(i);
		return r;
	}
	nd->inode = i;
	return 0;
}

static long do_open(int dirfd, u64 upath, int flags, u32 mode)
{
	struct nameidata nd;
	bool excl = (flags & O_CREAT) && (flags & O_EXCL), trunc = false;
	int r = user_walk(dirfd, upath, excl || (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &nd);
	if (r < 0)
		return r;
	struct file *f = NULL;
	struct inode *i = nd.inode;
	if (nd.file) { /* /dev/stdout and the like, onto a pipe or the console */
		f = file_get(nd.file);
		goto install;
	}
	if (!i) {
		r = -ENOENT;
		if (!(flags & O_CREAT))
			goto out;
		r = -EISDIR;
		if (nd.trailing_slash || (r = file_create(&nd, mode)) < 0)
			goto out;
		i = nd.inode;
	} else {
		r = -EEXIST;
		if (excl)
			goto out;
		r = -ELOOP;
		if (S_ISLNK(i->mode) && !(flags & O_PATH))
			goto out;
		r = -EISDIR;
		if (S_ISDIR(i->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
			goto out;
		r = -ENOTDIR;
		if ((flags & O_DIRECTORY) && !S_ISDIR(i->mode))
			goto out;
		r = -EACCES;
		if (i->proc && (flags & O_ACCMODE) != O_RDONLY)
			goto out;
		trunc = (flags & O_TRUNC) && S_ISREG(i->mode) && may_write(flags);
	}
	if (!(f = file_open_inode(i, flags, &r)))
		goto out;
	/* Once open (not a running program's, then), as Linux's do_truncate. */
	if (trunc && (r = truncate_locked(i, 0)) < 0) {
		file_put(f);
		goto out;
	}
install:
	r = fd_install(f, 0, flags & O_CLOEXEC);
	if (r < 0)
		file_put(f);
out:
	nd_put(&nd);
	return r;
}

long sys_open(u64 path, u64 flags, u64 mode)
{
	return do_open(AT_FDCWD, path, flags, mode);
}

long sys_openat(u64 dirfd, u64 path, u64 flags, u64 mode)
{
	return do_open((int)dirfd, path, flags, mode);
}

long sys_creat(u64 path, u64 mode)
{
	return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_lseek(u64 fd, u64 off, u64 whence)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	if (!f->inode || S_ISFIFO(f->inode->mode))
		return -ESPIPE;
	if (S_ISCHR(f->inode->mode))
		return 0;
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		if (f->ops != &tmpfs_file_ops)
			return -EINVAL;
		if ((s64)off < 0)
			return -ENXIO;
		if (!inode_lock(f->inode))
			return -EINTR;
		s64 pos = inode_seek_data(f->inode, off, whence == SEEK_HOLE);
		if (pos >= 0)
			f->pos = pos;
		inode_unlock(f->inode);
		return pos;
	}
	s64 base;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = f->inode->proc ? (s64)f->aux : (s64)f->inode->size; break;
	default: return -EINVAL;
	}
	s64 pos = base + (s64)off;
	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

/* pread/pwrite: the call at another offset, the file's own left as it was. */
static long xfer_at(u64 fd, u64 buf, u64 n, u64 off, bool write)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	if (!f->inode || S_ISFIFO(f->inode->mode))
		return -ESPIPE;
	if ((s64)off < 0)
		return -EINVAL;
	if (f->ops == &tmpfs_file_ops)
		return tmpfs_rw(f, buf, n, &off, write); /* it may yield: f->pos stays */
	long (*op)(struct file *, u64, u64) = write ? f->ops->write : f->ops->read;
	if (!op)
		return -EBADF;
	u64 saved = f->pos; /* the others never yield in a read or write */
	f->pos = off;
	long r = op(f, buf, n);
	f->pos = saved;
	return r;
}

long sys_pread64(u64 fd, u64 buf, u64 n, u64 off)
{
	return xfer_at(fd, buf, n, off, false);
}

long sys_pwrite64(u64 fd, u64 buf, u64 n, u64 off)
{
	return xfer_at(fd, buf, n, off, true);
}

long sys_ftruncate(u64 fd, u64 len)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	if (!f->inode || !S_ISREG(f->inode->mode) || f->inode->proc || (s64)len < 0)
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return truncate_locked(f->inode, len);
}

long sys_truncate(u64 path, u64 len)
{
	struct nameidata nd;
	int r = user_walk(AT_FDCWD, path, LOOKUP_FOLLOW, &nd);
	if (r < 0)
		return r;
	if (!nd.inode)
		r = -ENOENT;
	else if (S_ISDIR(nd.inode->mode))
		r = -EISDIR;
	else if (!S_ISREG(nd.inode->mode) || (s64)len < 0)
		r = -EINVAL;
	else if (nd.inode->proc)
		r = -EACCES;
	else if ((r = get_write_access(nd.inode)) == 0) { /* not a running program */
		r = truncate_locked(nd.inode, len);
		put_write_access(nd.inode);
	}
	nd_put(&nd);
	return r;
}

/* The entry of a tmpfs directory at or after *pos: ".", "..", then the
 * entries in creation order, each at its sequence number. */
static int tmpfs_next_entry(struct inode *dir, u64 *pos, char *name, u8 *type, u64 *ino,
			    struct dentry **hint)
{
	if (*pos < 2) {
		struct inode *i = *pos ? (dir->parent ? dir->parent : dir) : dir;
		memcpy(name, "..", *pos + 1);
		name[*pos + 1] = 0;
		*type = DT_DIR;
		*ino = inode_ino(i);
		(*pos)++;
		return 1;
	}
	struct dentry *d = *hint && (*hint)->inode && (*hint)->dir == dir ? *hint : dir->children;
	while (d && d->seq < *pos)
		d = d->next;
	if (!d)
		return 0;
	memcpy(name, d->name, d->len + 1);
	*type = mode_dtype(d->inode->mode);
	*ino = inode_ino(d->inode);
	*pos = d->seq + 1;
	*hint = d->next;
	return 1;
}

struct linux_dirent64 {
	u64 ino;
	s64 off;
	u16 reclen;
	u8 type;
	char name[NAME_LEN + 1 + 8];
} __attribute__((packed));

long sys_getdents64(u64 fd, u64 ubuf, u64 count)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	struct inode *dir = f->inode;
	if (!dir || !S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->proc)
		initramfs_all();
	if (!dir->nlink && !dir->proc)
		return -ENOENT;
	u64 done = 0;
	struct dentry *hint = NULL;
	for (;;) {
		struct linux_dirent64 e;
		u64 pos = f->pos, ino;
		u8 type;
		int got = dir->proc ? proc_next_entry(dir, &pos, e.name, &type, &ino) :
				      tmpfs_next_entry(dir, &pos, e.name, &type, &ino, &hint);
		if (!got)
			break;
		e.ino = ino;
		e.type = type;
		size_t nl = strlen(e.name);
		e.reclen = (19 + nl + 1 + 7) & ~7UL;
		e.off = pos;
		if (done + e.reclen > count) {
			if (!done)
				return -EINVAL;
			break;
		}
		memset(e.name + nl, 0, e.reclen - 19 - nl);
		if (copy_to_user(ubuf + done, &e, e.reclen) < 0)
			return done ? (long)done : -EFAULT;
		done += e.reclen;
		f->pos = pos;
	}
	dir->atime = ktime_ns();
	return done;
}
