/* Open files: a per-task table of references to struct file, each with its
 * operations. The console (fds 0-2 of init) is the first kind. */
#ifndef K_FILE_H
#define K_FILE_H

#include "kernel.h"

struct file;
struct file_ops {
	/* ubuf/n: a user buffer; return bytes or -errno. */
	long (*read)(struct file *f, u64 ubuf, u64 n);
	long (*write)(struct file *f, u64 ubuf, u64 n);
	long (*ioctl)(struct file *f, u64 cmd, u64 arg);
	void (*release)(struct file *f);
};

struct file {
	const struct file_ops *ops;
	int refs;
	int host_fd;  /* console: the VMM's stdin, stdout or stderr */
};

extern struct file console_in, console_out, console_err;
struct file *file_get(struct file *f);
void file_put(struct file *f);

#endif
