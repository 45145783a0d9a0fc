/* Record locks (fcntl F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms),
 * kept per inode (guest-kernel/fs/locks.c). A POSIX lock belongs to a
 * files_struct, as Linux's: threads share it, fork's child has its own
 * table and so none of its parent's locks, exec keeps the table and so the
 * locks. An OFD lock belongs to its struct file, shared by fork and dup. */
#ifndef K_LOCKS_H
#define K_LOCKS_H

#include "file.h"
#include "fs.h"

struct files_struct;

long fcntl_lock(struct file *f, u64 fd, u64 cmd, u64 arg);
void locks_remove_posix(struct inode *i, const struct files_struct *owner);
void locks_remove_ofd(struct file *f);

/* Every close of an fd, by close, dup2's replacement, exec's close-on-exec
 * or the exit of the table's last user: POSIX drops all of the owner's
 * locks on the file's inode, whichever fd they were taken through. An inode
 * without locks costs the two loads. */
static inline void locks_fd_closed(const struct files_struct *owner, struct file *f)
{
	if (__builtin_expect(f->inode && f->inode->file_locks, 0))
		locks_remove_posix(f->inode, owner);
}

#endif
