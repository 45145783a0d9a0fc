/* File descriptors, the fd-table syscalls, and the console. Console I/O
 * copies nothing in the kernel: each page of the user buffer goes to the VMM
 * by physical address in one lab message. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "lab.h"
#include "locks.h"
#include "syscall.h"
#include "task.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

#define MAX_FILES 256

static struct file file_pool[MAX_FILES];

/* ---- the console ---- */

static long console_xfer(u32 op, int fd, u64 ubuf, u64 n)
{
	if (!access_ok(ubuf, n))
		return -EFAULT;
	u64 done = 0;
	while (done < n) {
		u64 va = ubuf + done, pa;
		u64 chunk = MIN(n - done, PAGE_SIZE - (va & ~PAGE_MASK));
		int r = user_pa(current->mm, va, op == FL_LAB_READ, &pa);
		if (r < 0)
			return done ? (long)done : r;
		s64 got = lab_call(op, fd, pa, chunk, 0);
		if (got < 0)
			return done ? (long)done : got;
		done += got;
		if ((u64)got < chunk)
			break;
	}
	return done;
}

static long console_read(struct file *f, u64 ubuf, u64 n)
{
	return f->host_fd == 0 ? console_xfer(FL_LAB_READ, 0, ubuf, n) : -EBADF;
}

static long console_write(struct file *f, u64 ubuf, u64 n)
{
	return f->host_fd ? console_xfer(FL_LAB_WRITE, f->host_fd, ubuf, n) : -EBADF;
}

/* Not a terminal (TIOCGWINSZ fails): musl then buffers stdout fully, as it
 * does for a pipe, which also keeps the number of exits down. */
static long console_ioctl(struct file *f, u64 cmd, u64 arg)
{
	return -ENOTTY;
}

long console_rw(bool read, u64 ubuf, u64 n)
{
	return console_xfer(read ? FL_LAB_READ : FL_LAB_WRITE, read ? 0 : 1, ubuf, n);
}

static const struct file_ops console_ops = {
	.read = console_read, .write = console_write, .ioctl = console_ioctl,
};
struct file console_in = { .ops = &console_ops, .refs = 1, .host_fd = 0 };
struct file console_out = { .ops = &console_ops, .refs = 1, .flags = 1, .host_fd = 1 };
struct file console_err = { .ops = &console_ops, .refs = 1, .flags = 1, .host_fd = 2 };

long copy_user_phys(u64 uaddr, u64 pa, u64 n, bool to_user)
{
	if (!access_ok(uaddr, n))
		return -EFAULT;
	for (u64 done = 0; done < n;) {
		u64 va = uaddr + done, upa;
		u64 chunk = MIN(n - done, PAGE_SIZE - (va & ~PAGE_MASK));
		if (user_pa(current->mm, va, to_user, &upa) < 0)
			return -EFAULT;
		if (to_user)
			host_copy(upa, pa + done, chunk);
		else
			host_copy(pa + done, upa, chunk);
		done += chunk;
	}
	return n;
}

/* A read of /dev/zero or of a file's hole, of any length: a preemption point
 * after each page, where the callers hold nothing half-done. */
long clear_user_phys(u64 uaddr, u64 n)
{
	if (!access_ok(uaddr, n))
		return -EFAULT;
	for (u64 done = 0; done < n;) {
		u64 va = uaddr + done, upa;
		u64 chunk = MIN(n - done, PAGE_SIZE - (va & ~PAGE_MASK));
		if (user_pa(current->mm, va, true, &upa) < 0)
			return done ? (long)done : -EFAULT;
		host_zero(upa, chunk);
		done += chunk;
		cond_resched();
	}
	return n;
}

/* ---- files and fd tables ---- */

struct file *file_alloc(const struct file_ops *ops, void *priv, int flags)
{
	for (int i = 0; i < MAX_FILES; i++)
		if (!file_pool[i].refs) {
			file_pool[i] = (struct file){ .ops = ops, .refs = 1, .priv = priv, .flags = flags };
			return &file_pool[i];
		}
	return NULL;
}

void file_put(struct file *f)
{
	if (--f->refs)
		return;
	if (f->ops->release)
		f->ops->release(f);
	locks_file_released(f);
	/* Off the slot before iput, which may yield (a big file's pages go a
	 * leaf at a time): file_alloc may hand the slot out meanwhile. */
	struct inode *i = f->inode;
	f->inode = NULL;
	if (i)
		iput(i);
}

void files_put(struct files_struct *f)
{
	if (--f->refs)
		return;
	locks_fds_closed(f, ~0U);
	for (int i = 0; i < NR_OPEN; i++)
		if (f->fd[i])
			file_put(f->fd[i]);
	kobj_free(f);
}

void files_close_on_exec(struct files_struct *f)
{
	locks_fds_closed(f, f->cloexec);
	for (int i = 0; i < NR_OPEN; i++)
		if (f->cloexec & (1U << i) && f->fd[i]) {
			file_put(f->fd[i]);
			f->fd[i] = NULL;
		}
	f->cloexec = 0;
}

int fd_install(struct file *file, int min, bool cloexec)
{
	struct files_struct *f = current->files;
	for (int i = min; i < NR_OPEN; i++)
		if (!f->fd[i]) {
			f->fd[i] = file;
			f->cloexec = cloexec ? f->cloexec | (1U << i) : f->cloexec & ~(1U << i);
			return i;
		}
	return -EMFILE;
}

struct file *fd_file(u64 fd)
{
	return fd < NR_OPEN ? current->files->fd[fd] : NULL;
}

/* ---- syscalls ---- */

long sys_read(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->ops->read ? f->ops->read(f, buf, n) : -EBADF;
}

long sys_write(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->ops->write ? f->ops->write(f, buf, n) : -EBADF;
}

struct iovec {
	u64 base, len;
};

static long do_iov(u64 fd, u64 uiov, u64 cnt, long (*xfer)(u64, u64, u64))
{
	struct iovec iov[16];
	if (cnt > ARRAY_SIZE(iov))
		return -EINVAL;
	if (copy_from_user(iov, uiov, cnt * sizeof iov[0]) < 0)
		return -EFAULT;
	long total = 0;
	for (u64 i = 0; i < cnt; i++) {
		if (!iov[i].len)
			continue;
		long r = xfer(fd, iov[i].base, iov[i].len);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((u64)r < iov[i].len)
			break;
	}
	return total;
}

long sys_writev(u64 fd, u64 iov, u64 cnt)
{
	return do_iov(fd, iov, cnt, sys_write);
}

long sys_readv(u64 fd, u64 iov, u64 cnt)
{
	return do_iov(fd, iov, cnt, sys_read);
}

long sys_ioctl(u64 fd, u64 cmd, u64 arg)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
}

long sys_close(u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	current->files->fd[fd] = NULL;
	locks_fd_closed(current->files, f);
	file_put(f);
	return 0;
}

long sys_dup3(u64 oldfd, u64 newfd, u64 flags)
{
	/* Linux's order: the flags, the same fd, then the fds' validity. */
	if (oldfd == newfd || flags & ~(u64)O_CLOEXEC)
		return -EINVAL;
	struct file *f = fd_file(oldfd);
	if (!f || newfd >= NR_OPEN)
		return -EBADF;
	struct files_struct *fs = current->files;
	if (fs->fd[newfd]) {
		locks_fd_closed(fs, fs->fd[newfd]);
		file_put(fs->fd[newfd]);
	}
	fs->fd[newfd] = file_get(f);
	fs->cloexec = flags & O_CLOEXEC ? fs->cloexec | (1U << newfd) : fs->cloexec & ~(1U << newfd);
	return newfd;
}

long sys_dup2(u64 oldfd, u64 newfd)
{
	if (oldfd == newfd)
		return fd_file(oldfd) ? (long)newfd : -EBADF;
	return sys_dup3(oldfd, newfd, 0);
}

long sys_dup(u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int r = fd_install(f, 0, false);
	if (r >= 0)
		file_get(f);
	return r;
}

#define O_DIRECT 040000
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032

long sys_fcntl(u64 fd, u64 cmd, u64 arg)
{
	struct file *f = fd_file(fd);
	struct files_struct *fs = current->files;
	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		if (arg >= NR_OPEN)
			return -EINVAL;
		int r = fd_install(f, arg, cmd == F_DUPFD_CLOEXEC);
		if (r >= 0)
			file_get(f);
		return r;
	}
	case F_GETFD:
		return fs->cloexec & (1U << fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		fs->cloexec = arg & FD_CLOEXEC ? fs->cloexec | (1U << fd) : fs->cloexec & ~(1U << fd);
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL: {
		/* O_DIRECT: a pipe's packet mode; tmpfs has no direct I/O (Linux 6.1). */
		u64 setfl = O_APPEND | O_NONBLOCK | O_DIRECT;
		if ((arg & O_DIRECT) && !file_is_pipe(f))
			return -EINVAL;
		f->flags = (f->flags & ~setfl) | (arg & setfl);
		return 0;
	}
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		return pipe_fcntl(f, cmd, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fcntl_lock(f, fd, cmd, arg);
	}
	return -EINVAL;
}

/* fsync and fdatasync: tmpfs files and directories have nothing to write
 * back; Linux's pipes, devices, the console and /proc have no fsync
 * (EINVAL). syncfs and sync: nothing to do. */
long sys_fsync(u64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	struct inode *i = f->inode;
	return i && !i->proc && (S_ISREG(i->mode) || S_ISDIR(i->mode)) ? 0 : -EINVAL;
}

long sys_fdatasync(u64 fd)
{
	return sys_fsync(fd);
}

long sys_syncfs(u64 fd)
{
	return fd_file(fd) ? 0 : -EBADF;
}

long sys_sync(void)
{
	return 0;
}
