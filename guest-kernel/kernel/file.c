/* File descriptors and the console. Console I/O never copies user data in
 * the kernel: each page of the user buffer goes to the VMM by physical
 * address in one lab message. */
#include "errno.h"
#include "file.h"
#include "lab.h"
#include "syscall.h"
#include "task.h"

/* Sends [ubuf, ubuf+n) page by page; `op` is FL_LAB_READ or FL_LAB_WRITE. */
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

static const struct file_ops console_ops = {
	.read = console_read, .write = console_write, .ioctl = console_ioctl,
};
struct file console_in = { .ops = &console_ops, .refs = 1, .host_fd = 0 };
struct file console_out = { .ops = &console_ops, .refs = 1, .host_fd = 1 };
struct file console_err = { .ops = &console_ops, .refs = 1, .host_fd = 2 };

struct file *file_get(struct file *f)
{
	f->refs++;
	return f;
}

void file_put(struct file *f)
{
	if (--f->refs == 0 && f->ops->release)
		f->ops->release(f);
}

static struct file *fd_file(u64 fd)
{
	return fd < NR_OPEN ? current->files[fd] : NULL;
}

long sys_read(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->ops->read ? f->ops->read(f, buf, n) : -EINVAL;
}

long sys_write(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	return f->ops->write ? f->ops->write(f, buf, n) : -EINVAL;
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
	current->files[fd] = NULL;
	file_put(f);
	return 0;
}
