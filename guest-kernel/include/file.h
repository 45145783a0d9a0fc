/* Open files: struct file with its operations, held by reference from the
 * per-process fd tables (struct files_struct in task.h). */
#ifndef K_FILE_H
#define K_FILE_H

#include "kernel.h"
#include "sched.h"

struct file;
struct inode;
struct file_ops {
	/* ubuf/n: a user buffer; return bytes or -errno. */
	long (*read)(struct file *f, u64 ubuf, u64 n);
	long (*write)(struct file *f, u64 ubuf, u64 n);
	long (*ioctl)(struct file *f, u64 cmd, u64 arg);
	void (*release)(struct file *f);
	u32 (*poll)(struct file *f); /* POLL* now ready; NULL: always readable and writable */
};

#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

struct file {
	const struct file_ops *ops;
	int refs;
	int flags;       /* open flags: O_RDONLY (0), O_WRONLY (1), O_RDWR, O_APPEND... (F_GETFL) */
	int host_fd;     /* console: the VMM's stdin, stdout or stderr */
	void *priv;      /* pipe: the struct pipe; /proc: the generated text */
	struct inode *inode; /* files opened by name (a reference), else NULL */
	u64 pos;         /* the file offset */
	u64 aux;         /* /proc: the generated text's length */
};

extern struct file console_in, console_out, console_err;
struct file *file_alloc(const struct file_ops *ops, void *priv, int flags); /* refs = 1, or NULL */
static inline struct file *file_get(struct file *f)
{
	f->refs++;
	return f;
}
void file_put(struct file *f);
/* Installs f at the lowest free fd >= min; -EMFILE if none. */
int fd_install(struct file *f, int min, bool cloexec);

/* Moves n bytes between a user buffer and guest-physical memory, page by
 * page through host_copy (kernel/file.c). Returns bytes moved or -EFAULT. */
long copy_user_phys(u64 uaddr, u64 pa, u64 n, bool to_user);
/* Clears n bytes of user memory, page by page through host_zero. */
long clear_user_phys(u64 uaddr, u64 n);
/* The console as /dev/tty: reads fd 0's source, writes stdout. */
long console_rw(bool read, u64 ubuf, u64 n);
struct file *fd_file(u64 fd);

/* kernel/pipe.c */
extern struct wait_queue poll_wq;      /* poll/select sleepers; pipes wake them */
bool file_is_pipe(const struct file *f);
long pipe_fcntl(struct file *f, u64 cmd, u64 arg); /* F_GETPIPE_SZ, F_SETPIPE_SZ */
int fifo_open(struct inode *i, struct file *f);

#endif
