/* Pipes: a one-page ring buffer between a read end and a write end. Data
 * moves between user pages and the ring by physical address (host_copy), so
 * on PVM hosts the kernel emulates no byte loop. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "syscall.h"
#include "task.h"

#define O_CLOEXEC 02000000
#define MAX_PIPES 32

struct pipe {
	u64 buf;                 /* physical address of the ring page, 0 if unused */
	u64 head, tail;          /* bytes written and read, ever */
	int readers, writers;
	struct wait_queue rq, wq;
};

static struct pipe pipes[MAX_PIPES];

static void pipe_free_if_unused(struct pipe *p)
{
	if (!p->readers && !p->writers) {
		page_put(p->buf);
		p->buf = 0;
	}
}

static long pipe_read(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->priv;
	while (p->head == p->tail) {
		if (!p->writers || !n)
			return 0;
		if (!sleep_on(&p->rq, 0))
			return -ERESTARTSYS;
	}
	u64 done = 0;
	while (done < n && p->tail < p->head) {
		u64 off = p->tail % PAGE_SIZE;
		u64 chunk = MIN(MIN(n - done, p->head - p->tail), PAGE_SIZE - off);
		if (copy_user_phys(ubuf + done, p->buf + off, chunk, true) < 0)
			return done ? (long)done : -EFAULT;
		p->tail += chunk;
		done += chunk;
	}
	wake_up(&p->wq);
	return done;
}

static long pipe_write(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->priv;
	u64 done = 0;
	while (done < n) {
		if (!p->readers) {
			send_sig(current->group_leader, SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		if (p->head - p->tail == PAGE_SIZE) {
			wake_up(&p->rq);
			if (!sleep_on(&p->wq, 0))
				return done ? (long)done : -ERESTARTSYS;
			continue;
		}
		u64 off = p->head % PAGE_SIZE;
		u64 chunk = MIN(MIN(n - done, PAGE_SIZE - (p->head - p->tail)), PAGE_SIZE - off);
		if (copy_user_phys(ubuf + done, p->buf + off, chunk, false) < 0)
			return done ? (long)done : -EFAULT;
		p->head += chunk;
		done += chunk;
	}
	wake_up(&p->rq);
	return done;
}

static void pipe_release_read(struct file *f)
{
	struct pipe *p = f->priv;
	p->readers--;
	wake_up(&p->wq);
	pipe_free_if_unused(p);
}

static void pipe_release_write(struct file *f)
{
	struct pipe *p = f->priv;
	p->writers--;
	wake_up(&p->rq);
	pipe_free_if_unused(p);
}

static const struct file_ops pipe_read_ops = { .read = pipe_read, .release = pipe_release_read };
static const struct file_ops pipe_write_ops = { .write = pipe_write, .release = pipe_release_write };

long sys_pipe2(u64 ufds, u64 flags)
{
	struct pipe *p = NULL;
	if (flags & ~(u64)O_CLOEXEC)
		return -EINVAL;
	for (int i = 0; i < MAX_PIPES && !p; i++)
		if (!pipes[i].buf)
			p = &pipes[i];
	if (!p)
		return -ENFILE;
	memset(p, 0, sizeof *p);
	if (!(p->buf = page_alloc(false)))
		return -ENOMEM;
	struct file *r = file_alloc(&pipe_read_ops, p, 0), *w = file_alloc(&pipe_write_ops, p, 1);
	if (!r || !w) {
		if (r)
			r->refs = 0; /* never installed: straight back to the pool */
		if (w)
			w->refs = 0;
		page_put(p->buf);
		p->buf = 0;
		return -ENFILE;
	}
	p->readers = p->writers = 1;
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
