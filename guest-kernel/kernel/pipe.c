/* Pipes and FIFOs: a ring of pages (16 by default, 64 KiB, as Linux's; up
 * to 256 with F_SETPIPE_SZ) between read ends and write ends. Pages are
 * allocated when first written. Data moves between user pages and the ring
 * by physical address (host_copy), so on PVM hosts the kernel emulates no
 * byte loop. Writes of up to PIPE_BUF bytes are atomic. O_NONBLOCK gives
 * EAGAIN; O_DIRECT makes each write a packet (at most PIPE_BUF bytes) that
 * one read takes whole, dropping what does not fit, as Linux's packet mode.
 * A FIFO (mknod S_IFIFO) gets a pipe at its first open; opening one end
 * waits for the other unless O_NONBLOCK or O_RDWR, as on Linux. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define O_DIRECT 040000
#define MAX_PIPES 32
#define PIPE_BUF 4096
#define PIPE_DEF_PAGES 16
#define PIPE_MAX_PAGES 256         /* 1 MiB: Linux's /proc/sys/fs/pipe-max-size */
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032

struct pipe {
	bool used;
	u32 pages;                 /* ring size in pages, a power of two */
	u64 head, tail;            /* bytes written and read, ever */
	int readers, writers;
	u32 r_opens, w_opens;      /* opens of each end, ever: a FIFO opener waits for a change */
	u32 pkt_head, pkt_tail;    /* packets written and read, ever */
	struct inode *fifo;        /* the FIFO's inode, or NULL */
	struct wait_queue rq, wq, oq;
	u64 pkt_start[PIPE_MAX_PAGES]; /* where each queued packet starts; ring by pkt_* */
	u16 pkt_len[PIPE_MAX_PAGES];
	u64 buf[PIPE_MAX_PAGES];   /* pa of each ring page, 0 until first written */
};

static struct pipe pipes[MAX_PIPES];
struct wait_queue poll_wq; /* poll and select sleep here; any pipe change wakes them */

static void pipe_changed(struct pipe *p)
{
	wake_up(&p->rq);
	wake_up(&p->wq);
	wake_up(&poll_wq);
}

static struct pipe *pipe_new(void)
{
	for (int i = 0; i < MAX_PIPES; i++)
		if (!pipes[i].used) {
			struct pipe *p = &pipes[i];
			memset(p, 0, offsetof(struct pipe, pkt_start));
			p->used = true;
			p->pages = PIPE_DEF_PAGES;
			return p;
		}
	return NULL;
}

static void pipe_free_if_unused(struct pipe *p)
{
	if (p->readers || p->writers)
		return;
	for (u32 i = 0; i < p->pages; i++) /* F_SETPIPE_SZ freed any beyond */
		if (p->buf[i]) {
			page_put(p->buf[i]);
			p->buf[i] = 0;
		}
	if (p->fifo)
		p->fifo->pipe = NULL;
	p->used = false;
}

static u64 *slot(struct pipe *p, u64 pos)
{
	return &p->buf[(pos / PAGE_SIZE) & (p->pages - 1)];
}

static u64 pipe_space(const struct pipe *p)
{
	return p->pages * PAGE_SIZE - (p->head - p->tail);
}

u32 pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;
	u32 mask = 0;
	if (f->ops->read) {
		if (p->head != p->tail)
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers && p->w_opens)
			mask |= POLLHUP;
	}
	if (f->ops->write) {
		if (pipe_space(p) >= PIPE_BUF && p->pkt_head - p->pkt_tail < p->pages)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	return mask;
}

static long pipe_read(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->priv;
	if (!n)
		return 0;
	while (p->head == p->tail) {
		if (!p->writers)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (!sleep_on(&p->rq, 0))
			return -ERESTARTSYS;
	}
	u64 done = 0, end = p->head, drop = 0;
	if (p->pkt_head != p->pkt_tail) {
		u32 k = p->pkt_tail % PIPE_MAX_PAGES;
		if (p->pkt_start[k] == p->tail) { /* a packet: this read takes it whole */
			end = p->tail + p->pkt_len[k];
			if (n < p->pkt_len[k])
				drop = p->pkt_len[k] - n;
			p->pkt_tail++;
		} else {
			end = p->pkt_start[k]; /* stream bytes up to the packet */
		}
	}
	while (done < n && p->tail < end) {
		u64 off = p->tail % PAGE_SIZE;
		u64 chunk = MIN(MIN(n - done, end - p->tail), PAGE_SIZE - off);
		if (copy_user_phys(ubuf + done, *slot(p, p->tail) + off, chunk, true) < 0) {
			if (!done && !drop)
				return -EFAULT;
			break;
		}
		p->tail += chunk;
		done += chunk;
	}
	p->tail += drop;
	pipe_changed(p);
	return done;
}

static long pipe_write(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->priv;
	bool packet = f->flags & O_DIRECT;
	u64 done = 0;
	while (done < n) {
		if (!p->readers) {
			send_sig(current->group_leader, SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		u64 want = packet ? MIN(n - done, PIPE_BUF) : n - done <= PIPE_BUF ? n - done : 1;
		if (pipe_space(p) < want || (packet && p->pkt_head - p->pkt_tail >= p->pages)) {
			if (f->flags & O_NONBLOCK)
				return done ? (long)done : -EAGAIN;
			wake_up(&p->rq);
			if (!sleep_on(&p->wq, 0))
				return done ? (long)done : -ERESTARTSYS;
			continue;
		}
		u64 len = packet ? want : MIN(n - done, pipe_space(p)), start = p->head, moved = 0;
		while (moved < len) {
			u64 off = p->head % PAGE_SIZE, *pg = slot(p, p->head);
			u64 chunk = MIN(len - moved, PAGE_SIZE - off);
			bool nomem = !*pg && !(*pg = page_alloc(false));
			if (nomem || copy_user_phys(ubuf + done + moved, *pg + off, chunk, false) < 0) {
				if (packet)
					p->head = start; /* a packet goes whole or not at all */
				else
					done += moved;
				if (done)
					pipe_changed(p);
				return done ? (long)done : nomem ? -ENOMEM : -EFAULT;
			}
			p->head += chunk;
			moved += chunk;
		}
		if (packet) {
			u32 k = p->pkt_head++ % PIPE_MAX_PAGES;
			p->pkt_start[k] = start;
			p->pkt_len[k] = len;
		}
		done += len;
		pipe_changed(p);
	}
	return done;
}

static void pipe_release_read(struct file *f)
{
	struct pipe *p = f->priv;
	p->readers--;
	pipe_changed(p);
	pipe_free_if_unused(p);
}

static void pipe_release_write(struct file *f)
{
	struct pipe *p = f->priv;
	p->writers--;
	pipe_changed(p);
	pipe_free_if_unused(p);
}

static void pipe_release_rw(struct file *f)
{
	struct pipe *p = f->priv;
	p->readers--;
	p->writers--;
	pipe_changed(p);
	pipe_free_if_unused(p);
}

#define FIONREAD 0x541b

/* FIONREAD: the bytes waiting to be read. */
static long pipe_ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct pipe *p = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	s32 n = p->head - p->tail;
	return copy_to_user(arg, &n, sizeof n) < 0 ? -EFAULT : 0;
}

static const struct file_ops pipe_read_ops = { .read = pipe_read, .release = pipe_release_read,
					       .poll = pipe_poll, .ioctl = pipe_ioctl };
static const struct file_ops pipe_write_ops = { .write = pipe_write, .release = pipe_release_write,
						.poll = pipe_poll, .ioctl = pipe_ioctl };
static const struct file_ops pipe_rw_ops = { .read = pipe_read, .write = pipe_write,
					     .release = pipe_release_rw, .poll = pipe_poll,
					     .ioctl = pipe_ioctl };

static const struct file_ops fifo_gone_ops = { 0 }; /* an open that was interrupted */

bool file_is_pipe(const struct file *f)
{
	return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops || f->ops == &pipe_rw_ops;
}

/* F_GETPIPE_SZ and F_SETPIPE_SZ. Linux rounds the size up to a power of two
 * pages, and refuses one too small for what the pipe holds. */
long pipe_fcntl(struct file *f, u64 cmd, u64 arg)
{
	struct pipe *p = f->priv;
	if (!file_is_pipe(f))
		return -EBADF;
	if (cmd == F_GETPIPE_SZ)
		return p->pages * PAGE_SIZE;
	if ((u32)arg > (1U << 31))
		return -EINVAL;
	u32 pages = 1;
	while (pages * PAGE_SIZE < (u32)arg)
		pages *= 2;
	if (pages > PIPE_MAX_PAGES)
		return -EPERM;
	u64 first = p->tail / PAGE_SIZE, last = p->head ? (p->head - 1) / PAGE_SIZE : 0;
	u64 used = p->head == p->tail ? 0 : last - first + 1;
	if (used > pages || p->pkt_head - p->pkt_tail > pages)
		return -EBUSY;
	u64 old[PIPE_MAX_PAGES];
	memcpy(old, p->buf, sizeof old);
	memset(p->buf, 0, sizeof p->buf);
	for (u64 pg = first; used && pg <= last; pg++) { /* the pages in use, to their new slots */
		p->buf[pg & (pages - 1)] = old[pg & (p->pages - 1)];
		old[pg & (p->pages - 1)] = 0;
	}
	for (u32 i = 0; i < PIPE_MAX_PAGES; i++)
		if (old[i])
			page_put(old[i]);
	p->pages = pages;
	pipe_changed(p);
	return pages * PAGE_SIZE;
}

/* Opening a FIFO: the inode's pipe (made at the first open), and the wait
 * for the other end. */
int fifo_open(struct inode *i, struct file *f)
{
	struct pipe *p = i->pipe;
	if (!p) {
		if (!(p = pipe_new()))
			return -ENFILE;
		p->fifo = i;
		i->pipe = p;
	}
	f->priv = p;
	u32 *other_opens = NULL, seen = 0;
	switch (f->flags & O_ACCMODE) {
	case O_RDONLY:
		f->ops = &pipe_read_ops;
		p->readers++, p->r_opens++;
		if (!p->writers && !(f->flags & O_NONBLOCK))
			other_opens = &p->w_opens, seen = p->w_opens;
		break;
	case O_WRONLY:
		if (!p->readers && (f->flags & O_NONBLOCK)) {
			pipe_free_if_unused(p);
			return -ENXIO;
		}
		f->ops = &pipe_write_ops;
		p->writers++, p->w_opens++;
		if (!p->readers)
			other_opens = &p->r_opens, seen = p->r_opens;
		break;
	default:
		f->ops = &pipe_rw_ops;
		p->readers++, p->writers++, p->r_opens++, p->w_opens++;
	}
	wake_up(&p->oq);
	wake_up(&poll_wq);
	/* As Linux's wait_for_partner: a signal ends the wait only if the other
	 * end has not opened meanwhile. */
	while (other_opens && *other_opens == seen)
		if (!sleep_on(&p->oq, 0) && *other_opens == seen) {
			f->ops->release(f); /* as if it had never opened */
			f->ops = &fifo_gone_ops;
			return -ERESTARTSYS;
		}
	return 0;
}

long sys_pipe2(u64 ufds, u64 flags)
{
	if (flags & ~(u64)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	struct pipe *p = pipe_new();
	if (!p)
		return -ENFILE;
	int fl = flags & (O_NONBLOCK | O_DIRECT);
	struct file *r = file_alloc(&pipe_read_ops, p, fl), *w = file_alloc(&pipe_write_ops, p, fl | 1);
	if (!r || !w) {
		if (r)
			r->refs = 0; /* never installed: straight back to the pool */
		if (w)
			w->refs = 0;
		p->used = false;
		return -ENFILE;
	}
	p->readers = p->writers = 1;
	p->r_opens = p->w_opens = 1;
	int fds[2];
	fds[0] = fd_install(r, 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(w, 0, flags & O_CLOEXEC);
	if (fds[1] < 0 || copy_to_user(ufds, fds, sizeof fds) < 0) {
		long err = fds[1] < 0 ? -EMFILE : -EFAULT;
		if (fds[0] >= 0)
			current->files->fd[fds[0]] = NULL;
		if (fds[1] >= 0)
			current->files->fd[fds[1]] = NULL;
		file_put(r);
		file_put(w);
		return err;
	}
	return 0;
}

long sys_pipe(u64 ufds)
{
	return sys_pipe2(ufds, 0);
}
