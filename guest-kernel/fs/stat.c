/* stat and friends, access, chmod, chown, utimensat, umask, the working
 * directory. Every caller is root here: permission bits are recorded and
 * reported, and access() checks only that something may be executed. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define TMPFS_DEV 0x16
#define PROC_DEV 0x15
#define PIPE_DEV 0xd
#define X_OK 1
#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)

struct kstat {
	u64 dev, ino, nlink;
	u32 mode, uid, gid, pad0;
	u64 rdev;
	s64 size, blksize, blocks;
	u64 atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	s64 unused[3];
};
_Static_assert(sizeof(struct kstat) == 144, "struct stat is Linux's");

struct statx_ts {
	s64 sec;
	u32 nsec;
	s32 pad;
};

struct statx {
	u32 mask, blksize;
	u64 attributes;
	u32 nlink, uid, gid;
	u16 mode, pad0;
	u64 ino, size, blocks, attributes_mask;
	struct statx_ts atime, btime, ctime, mtime;
	u32 rdev_major, rdev_minor, dev_major, dev_minor;
	u64 rest[14];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx is Linux's");

extern struct file console_in, console_out, console_err;

static void fill_stat(const struct inode *i, const struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->blksize = PAGE_SIZE;
	if (!i) { /* a pipe or the console */
		bool console = f == &console_in || f == &console_out || f == &console_err;
		st->dev = console ? 0x6 : PIPE_DEV;
		st->mode = console ? S_IFCHR | 0620 : S_IFIFO | 0600;
		st->rdev = console ? (5 << 8 | 1) : 0;
		st->ino = ((u64)f >> 4) & 0xffffff;
		st->nlink = 1;
		return;
	}
	st->dev = i->proc ? PROC_DEV : TMPFS_DEV;
	st->ino = inode_ino(i);
	st->nlink = i->proc ? (S_ISDIR(i->mode) ? 2 : 1) : i->nlink;
	st->mode = i->mode;
	st->uid = i->uid;
	st->gid = i->gid;
	st->rdev = i->rdev;
	st->size = i->proc ? 0 : S_ISDIR(i->mode) ? 4096 : i->size;
	if (S_ISREG(i->mode) || S_ISLNK(i->mode))
		st->blocks = PAGE_UP(i->size) / 512;
	st->atime = i->atime / 1000000000, st->atime_ns = i->atime % 1000000000;
	st->mtime = i->mtime / 1000000000, st->mtime_ns = i->mtime % 1000000000;
	st->ctime = i->ctime / 1000000000, st->ctime_ns = i->ctime % 1000000000;
}

static int stat_path(int dirfd, u64 path, int flags, struct kstat *st)
{
	struct nameidata nd;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */ |
		      0x6000 /* AT_STATX_SYNC_TYPE */))
		return -EINVAL;
	int r = user_walk(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
			  (flags & AT_EMPTY_PATH ? LOOKUP_EMPTY : 0), &nd);
	if (r < 0)
		return r;
	if (!nd.inode && !nd.file)
		r = -ENOENT;
	else
		fill_stat(nd.inode, nd.file, st);
	nd_put(&nd);
	return r;
}

static long put_stat(int r, const struct kstat *st, u64 ubuf)
{
	if (r < 0)
		return r;
	return copy_to_user(ubuf, st, sizeof *st) < 0 ? -EFAULT : 0;
}

long sys_newfstatat(u64 dirfd, u64 path, u64 ubuf, u64 flags)
{
	struct kstat st;
	return put_stat(stat_path((int)dirfd, path, flags, &st), &st, ubuf);
}

long sys_stat(u64 path, u64 ubuf)
{
	return sys_newfstatat(AT_FDCWD, path, ubuf, 0);
}

long sys_lstat(u64 path, u64 ubuf)
{
	return sys_newfstatat(AT_FDCWD, path, ubuf, AT_SYMLINK_NOFOLLOW);
}

long sys_fstat(u64 fd, u64 ubuf)
{
	struct file *f = fd_file(fd);
	struct kstat st;
	if (!f)
		return -EBADF;
	fill_stat(f->inode, f, &st);
	return put_stat(0, &st, ubuf);
}

/* statfs and fstatfs: every path is on the one tmpfs (which also holds
 * /dev and /proc here). Its size is the file-data cap, half of memory. */
#define TMPFS_MAGIC 0x01021994
struct kstatfs {
	s64 type, bsize;
	u64 blocks, bfree, bavail, files, ffree;
	s32 fsid[2];
	s64 namelen, frsize, flags, spare[4];
};

static long put_statfs(u64 ubuf)
{
	u64 blocks = fl_kstate.total_pages / 2, used = tmpfs_pages_used();
	u64 files = tmpfs_inodes_max(), in_use = tmpfs_inodes_used();
	struct kstatfs st = {
		.type = TMPFS_MAGIC, .bsize = PAGE_SIZE, .blocks = blocks,
		.bfree = blocks > used ? blocks - used : 0, .bavail = blocks > used ? blocks - used : 0,
		.files = files, .ffree = files - in_use, .namelen = NAME_LEN, .frsize = PAGE_SIZE,
	};
	return copy_to_user(ubuf, &st, sizeof st) < 0 ? -EFAULT : 0;
}

long sys_statfs(u64 path, u64 ubuf)
{
	struct kstat st;
	int r = stat_path(AT_FDCWD, path, 0, &st);
	return r < 0 ? r : put_statfs(ubuf);
}

long sys_fstatfs(u64 fd, u64 ubuf)
{
	return fd_file(fd) ? put_statfs(ubuf) : -EBADF;
}

static struct statx_ts ts(u64 sec, u64 ns)
{
	return (struct statx_ts){ sec, ns, 0 };
}

long sys_statx(u64 dirfd, u64 path, u64 flags, u64 mask, u64 ubuf)
{
	struct kstat st;
	int r = stat_path((int)dirfd, path, flags, &st);
	if (r < 0)
		return r;
	struct statx sx = {
		.mask = 0x7ff, /* STATX_BASIC_STATS */
		.blksize = st.blksize, .nlink = st.nlink, .uid = st.uid, .gid = st.gid,
		.mode = st.mode, .ino = st.ino, .size = st.size, .blocks = st.blocks,
		.atime = ts(st.atime, st.atime_ns), .ctime = ts(st.ctime, st.ctime_ns),
		.mtime = ts(st.mtime, st.mtime_ns),
		.rdev_major = st.rdev >> 8, .rdev_minor = st.rdev & 0xff,
		.dev_major = 0, .dev_minor = st.dev,
	};
	return copy_to_user(ubuf, &sx, sizeof sx) < 0 ? -EFAULT : 0;
}

long sys_faccessat2(u64 dirfd, u64 path, u64 mode, u64 flags)
{
	struct nameidata nd;
	if (mode & ~7UL || flags & ~(u64)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int r = user_walk((int)dirfd, path, (flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
			  (flags & AT_EMPTY_PATH ? LOOKUP_EMPTY : 0), &nd);
	if (r < 0)
		return r;
	if (!nd.inode && !nd.file)
		r = -ENOENT;
	else if (nd.inode && (mode & X_OK) && !S_ISDIR(nd.inode->mode) && !(nd.inode->mode & 0111))
		r = -EACCES;
	nd_put(&nd);
	return r;
}

long sys_faccessat(u64 dirfd, u64 path, u64 mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(u64 path, u64 mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

/* ---- attributes ---- */

static int setattr(struct inode *i, bool chmod, u32 mode, u32 uid, u32 gid)
{
	if (!i)
		return -ENOENT;
	if (i->proc)
		return -EPERM;
	if (chmod) {
		i->mode = (i->mode & S_IFMT) | (mode & 07777);
	} else {
		if (uid != (u32)-1)
			i->uid = uid;
		if (gid != (u32)-1)
			i->gid = gid;
		if (!S_ISDIR(i->mode) && (uid != (u32)-1 || gid != (u32)-1))
			i->mode &= ~06000; /* as Linux: chown clears set-id bits */
	}
	i->ctime = ktime_ns();
	return 0;
}

static long path_setattr(int dirfd, u64 path, int lookup, bool chmod, u32 mode, u32 uid, u32 gid)
{
	struct nameidata nd;
	int r = user_walk(dirfd, path, lookup, &nd);
	if (r < 0)
		return r;
	r = nd.file ? 0 : setattr(nd.inode, chmod, mode, uid, gid);
	nd_put(&nd);
	return r;
}

static long fd_setattr(u64 fd, bool chmod, u32 mode, u32 uid, u32 gid)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->inode ? setattr(f->inode, chmod, mode, uid, gid) : 0;
}

long sys_chmod(u64 path, u64 mode)
{
	return path_setattr(AT_FDCWD, path, LOOKUP_FOLLOW, true, mode, 0, 0);
}

long sys_fchmod(u64 fd, u64 mode)
{
	return fd_setattr(fd, true, mode, 0, 0);
}

long sys_fchmodat(u64 dirfd, u64 path, u64 mode)
{
	return path_setattr((int)dirfd, path, LOOKUP_FOLLOW, true, mode, 0, 0);
}

long sys_chown(u64 path, u64 uid, u64 gid)
{
	return path_setattr(AT_FDCWD, path, LOOKUP_FOLLOW, false, 0, uid, gid);
}

long sys_lchown(u64 path, u64 uid, u64 gid)
{
	return path_setattr(AT_FDCWD, path, 0, false, 0, uid, gid);
}

long sys_fchown(u64 fd, u64 uid, u64 gid)
{
	return fd_setattr(fd, false, 0, uid, gid);
}

long sys_fchownat(u64 dirfd, u64 path, u64 uid, u64 gid, u64 flags)
{
	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return path_setattr((int)dirfd, path, (flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
			    (flags & AT_EMPTY_PATH ? LOOKUP_EMPTY : 0), false, 0, uid, gid);
}

/* utimensat(dirfd, path or NULL for dirfd itself, times[2] or NULL, flags) */
long sys_utimensat(u64 dirfd, u64 path, u64 utimes, u64 flags)
{
	struct { s64 sec, nsec; } t[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	if (utimes && copy_from_user(t, utimes, sizeof t) < 0)
		return -EFAULT;
	struct nameidata nd = { 0 };
	int r;
	if (!path) {
		struct file *f = fd_file(dirfd);
		if (!f)
			return -EBADF;
		nd.inode = f->inode ? iget(f->inode) : NULL;
	} else if ((r = user_walk((int)dirfd, path, flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
				  &nd)) < 0) {
		return r;
	}
	r = 0;
	if (nd.inode) {
		u64 now = ktime_ns();
		for (int k = 0; k < 2; k++) {
			if (t[k].nsec == UTIME_OMIT)
				continue;
			if (t[k].nsec != UTIME_NOW && (t[k].nsec < 0 || t[k].nsec >= 1000000000)) {
				r = -EINVAL;
				break;
			}
			u64 v = t[k].nsec == UTIME_NOW ? now : (u64)(t[k].sec * 1000000000 + t[k].nsec);
			if (k)
				nd.inode->mtime = v;
			else
				nd.inode->atime = v;
		}
		nd.inode->ctime = now;
	} else if (!nd.file) {
		r = -ENOENT;
	}
	nd_put(&nd);
	return r;
}

long sys_umask(u64 mask)
{
	u32 old = current->fs->umask;
	current->fs->umask = mask & 0777;
	return old;
}

/* ---- the working directory ---- */

static long set_cwd(struct inode *i)
{
	if (!S_ISDIR(i->mode))
		return -ENOTDIR;
	struct fs_struct *fs = current->fs;
	iput(fs->cwd);
	fs->cwd = iget(i);
	return 0;
}

/* The end of chdir, once the path is walked (r its result). */
static long chdir_to(int r, struct nameidata *nd)
{
	if (r < 0)
		return r;
	r = nd->inode ? set_cwd(nd->inode) : nd->file ? -ENOTDIR : -ENOENT;
	nd_put(nd);
	return r;
}

long kernel_chdir(const char *path)
{
	struct nameidata nd;
	return chdir_to(path_walk(AT_FDCWD, path, LOOKUP_FOLLOW, &nd), &nd);
}

long sys_chdir(u64 path)
{
	struct nameidata nd;
	return chdir_to(user_walk(AT_FDCWD, path, LOOKUP_FOLLOW, &nd), &nd);
}

long sys_fchdir(u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->inode ? set_cwd(f->inode) : -ENOTDIR;
}

long sys_getcwd(u64 ubuf, u64 size)
{
	static char buf[PATH_MAX];
	struct inode *cwd = current->fs->cwd;
	if (!cwd->nlink && !cwd->proc)
		return -ENOENT;
	int n = inode_path(cwd, buf, sizeof buf);
	if ((u64)n + 1 > size)
		return -ERANGE;
	return copy_to_user(ubuf, buf, n + 1) < 0 ? -EFAULT : n + 1;
}
