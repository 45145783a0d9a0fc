/* Record locks (fcntl F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms;
 * flock), kept per inode (guest-kernel/fs/locks.c). A POSIX lock belongs to
 * a files_struct, as Linux's: threads share it, fork's child has its own
 * table and so none of its parent's locks (fork has nothing to do), exec
 * keeps the table and so the locks. An OFD or flock lock belongs to its
 * struct file, shared by fork and dup. */
#ifndef K_LOCKS_H
#define K_LOCKS_H

#include "file.h"
#include "fs.h"

struct files_struct;

/* fcntl's lock commands (Linux's numbers). */
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

long fcntl_lock(struct file *f, u64 fd, u64 cmd, u64 arg);
void locks_remove_posix(const struct files_struct *owner, struct file *f);
void locks_remove_posix_fds(const struct files_struct *fs, u32 fds);
void locks_remove_ofd(struct file *f);

/* Locks taken from the pool, on all files: while it is 0, a close, an
 * exit, an exec and a file's last put pay this one test. */
extern int nr_file_locks;

/* A close of an fd of f by close or dup2's replacement: POSIX drops all of
 * the owner's locks on the file, whichever fd they were taken through. */
static inline void locks_fd_closed(const struct files_struct *owner, struct file *f)
{
	if (__builtin_expect(nr_file_locks, 0))
		locks_remove_posix(owner, f);
}

/* The fds in the mask closed at once: exit's (the table's last user) or
 * exec's close-on-exec. */
static inline void locks_fds_closed(const struct files_struct *fs, u32 fds)
{
	if (__builtin_expect(nr_file_locks, 0))
		locks_remove_posix_fds(fs, fds);
}

/* The last reference to f: its OFD and flock locks go. */
static inline void locks_file_released(struct file *f)
{
	if (__builtin_expect(nr_file_locks, 0))
		locks_remove_ofd(f);
}

#endif
