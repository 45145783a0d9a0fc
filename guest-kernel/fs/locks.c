/* Record locks, as Linux's fcntl(2) keeps them: byte ranges of a file,
 * read (shared) or write (exclusive), in a list per inode; and flock(2)'s
 * whole-file locks in the same list, which meet only each other. A POSIX
 * lock's owner is the files_struct that set it (so threads share it, fork's
 * child has none of its parent's, exec keeps them) and it goes when its
 * owner closes any fd of the file; an OFD or flock lock's owner is its
 * struct file and it goes with the file's last reference. An owner never
 * conflicts with itself: its own locks are replaced, split and merged. Each
 * owner's locks are kept together in the list, sorted by start and never
 * overlapping, owners in the order of their first lock, as Linux's list
 * (F_GETLK reports the first conflict in that order). Locks come from a
 * fixed pool: ENOLCK when it is spent. Waiters (F_SETLKW, flock) sleep on
 * one queue and look again at each change; Linux's deadlock test follows
 * who waits for whom. */
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "locks.h"
#include "syscall.h"
#include "task.h"

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define OFFSET_MAX 0x7fffffffffffffffLL /* an end "to EOF and beyond" */
#define MAX_LOCKS 128
#define MAX_DEADLK_ITERATIONS 10       /* Linux's bound on the chain followed */

/* The user's struct flock (x86-64). */
struct user_flock {
	int16_t type, whence;
	s64 start, len;
	s32 pid;
};

struct file_lock {
	struct file_lock *next;   /* the inode's list */
	const void *owner;        /* POSIX: the files_struct; OFD, flock: the struct file. NULL: free */
	s64 start, end;           /* bytes start..end, both included */
	int pid;                  /* the tgid that set it; OFD locks report -1 */
	u8 type;
	bool ofd;
	bool flock;               /* flock(2)'s: owned by the file, never meets fcntl's */
};

/* A task in F_SETLKW: its request, for the deadlock test of others. Each
 * is on its task's kernel stack, in the list while the task sleeps. */
struct lock_waiter {
	struct lock_waiter *next;
	struct inode *inode;
	const struct file_lock *req;
};

int nr_file_locks;
static struct file_lock pool[MAX_LOCKS];
static struct lock_waiter *waiters;
static struct wait_queue lock_wq;

static struct file_lock *lock_alloc(const void *owner)
{
	for (int k = 0; k < MAX_LOCKS; k++)
		if (!pool[k].owner) {
			pool[k].owner = owner;
			nr_file_locks++;
			return &pool[k];
		}
	return NULL;
}

static void lock_free(struct file_lock *l)
{
	if (l) {
		l->owner = NULL;
		nr_file_locks--;
	}
}

static bool overlap(const struct file_lock *a, const struct file_lock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

static bool same_owner(const struct file_lock *a, const struct file_lock *b)
{
	return a->owner == b->owner && a->flock == b->flock;
}

static bool conflict(const struct file_lock *held, const struct file_lock *req)
{
	return !same_owner(held, req) && held->flock == req->flock && overlap(held, req) &&
	       (held->type == F_WRLCK || req->type == F_WRLCK);
}

static struct file_lock *first_conflict(struct inode *i, const struct file_lock *req)
{
	for (struct file_lock *l = i->file_locks; l; l = l->next)
		if (conflict(l, req))
			return l;
	return NULL;
}

/* Linux's test (POSIX locks only): the holder of the lock in our way waits
 * for a lock whose holder waits for ... a lock of ours. */
static bool deadlock(const struct file_lock *req, const struct file_lock *block)
{
	if (req->ofd || req->flock)
		return false;
	for (int n = 0; n <= MAX_DEADLK_ITERATIONS; n++) {
		const struct lock_waiter *w = waiters;
		while (w && (w->req->owner != block->owner || w->req->ofd || w->req->flock))
			w = w->next;
		if (!w || !(block = first_conflict(w->inode, w->req)))
			return false;
		if (block->owner == req->owner)
			return true;
	}
	return false;
}

/* The request's range, from the user's whence, start and len, with
 * Linux's checks in Linux's order. */
static long lock_range(struct file *f, const struct user_flock *u, struct file_lock *req)
{
	s64 base;
	switch (u->whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = f->inode->size; break;
	default: return -EINVAL;
	}
	if (u->start > OFFSET_MAX - base)
		return -EOVERFLOW;
	s64 start = base + u->start;
	if (start < 0)
		return -EINVAL;
	/* l_len < 0: the len bytes before start (POSIX-2001, as Linux). */
	if (u->len > 0) {
		if (u->len - 1 > OFFSET_MAX - start)
			return -EOVERFLOW;
		req->end = start + u->len - 1;
	} else if (u->len < 0) {
		if (start + u->len < 0)
			return -EINVAL;
		req->end = start - 1;
		start += u->len;
	} else {
		req->end = OFFSET_MAX;
	}
	req->start = start;
	if (u->type != F_RDLCK && u->type != F_WRLCK && u->type != F_UNLCK)
		return -EINVAL;
	req->type = u->type;
	return 0;
}

/* Sets (or, F_UNLCK, clears) the owner's lock over the request's range:
 * the owner's locks there of the other type are cut back or split, those
 * of the same type that touch it are merged into it. spare: two free
 * locks, one for a split and one for the new lock (as lock_set found them
 * needed); those used are NULLed. */
static void lock_apply(struct inode *i, const struct file_lock *req, struct file_lock *spare[2])
{
	struct file_lock **pp = &i->file_locks;
	while (*pp && !same_owner(*pp, req))
		pp = &(*pp)->next;
	s64 start = req->start, end = req->end;
	while (*pp && same_owner(*pp, req)) {
		struct file_lock *l = *pp;
		if (l->type == req->type) {
			if (l->end < start - 1) { /* before, not touching */
				pp = &l->next;
				continue;
			}
			if (l->start - 1 > end)
				break;
			start = MIN(start, l->start);
			end = MAX(end, l->end);
		} else {
			if (l->end < start) {
				pp = &l->next;
				continue;
			}
			if (l->start > end)
				break;
			if (l->start < start && l->end > end) {
				/* Split: l keeps the part before, r the part after. */
				struct file_lock *r = spare[0];
				spare[0] = NULL;
				*r = *l;
				r->start = end + 1;
				l->end = start - 1;
				l->next = r;
				pp = &l->next;
				break;
			}
			if (l->start < start) {
				l->end = start - 1;
				pp = &l->next;
				continue;
			}
			if (l->end > end) {
				l->start = end + 1;
				break;
			}
		}
		*pp = l->next; /* covered, or merged into the new lock */
		lock_free(l);
	}
	if (req->type != F_UNLCK) {
		struct file_lock *n = spare[1];
		spare[1] = NULL;
		*n = *req;
		n->start = start;
		n->end = end;
		n->next = *pp;
		*pp = n;
	}
	wake_up(&lock_wq); /* an unlock, or a write lock turned read, may let a waiter in */
}

/* Takes from the pool only what lock_apply will use, so that an unlock
 * needs a free lock only to split one. */
static long lock_set(struct inode *i, const struct file_lock *req)
{
	bool split = false;
	for (struct file_lock *l = i->file_locks; l && !split; l = l->next)
		split = same_owner(l, req) && l->type != req->type &&
			l->start < req->start && l->end > req->end;
	struct file_lock *spare[2] = {
		split ? lock_alloc(req->owner) : NULL,
		req->type != F_UNLCK ? lock_alloc(req->owner) : NULL,
	};
	long r = (split && !spare[0]) || (req->type != F_UNLCK && !spare[1]) ? -ENOLCK : 0;
	if (!r)
		lock_apply(i, req, spare);
	lock_free(spare[0]);
	lock_free(spare[1]);
	return r;
}

/* F_SETLKW: sleeps until no lock of another owner is in the way. */
static long lock_wait(struct inode *i, const struct file_lock *req, bool wait, bool *slept)
{
	struct file_lock *block;
	while (req->type != F_UNLCK && (block = first_conflict(i, req))) {
		if (!wait)
			return -EAGAIN;
		if (deadlock(req, block))
			return -EDEADLK;
		struct lock_waiter w = { waiters, i, req }, **p = &waiters;
		waiters = &w;
		bool ok = sleep_on(&lock_wq, 0);
		while (*p != &w)
			p = &(*p)->next;
		*p = w.next;
		*slept = true;
		if (!ok)
			return -ERESTARTSYS;
	}
	return 0;
}

static long lock_to_user(u64 arg, struct user_flock *u, const struct file_lock *l)
{
	u->type = l->type;
	u->whence = SEEK_SET;
	u->start = l->start;
	u->len = l->end == OFFSET_MAX ? 0 : l->end - l->start + 1;
	u->pid = l->ofd ? -1 : l->pid;
	return copy_to_user(arg, u, sizeof *u) < 0 ? -EFAULT : 0;
}

long fcntl_lock(struct file *f, u64 fd, u64 cmd, u64 arg)
{
	if (f->flags & O_PATH)
		return -EBADF;
	struct user_flock u;
	if (copy_from_user(&u, arg, sizeof u) < 0)
		return -EFAULT;
	/* Pipes and the console have no inode here (Linux's have one). */
	struct inode *i = f->inode;
	if (!i)
		return -EINVAL;
	bool ofd = cmd >= F_OFD_GETLK;
	bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
	if (get && u.type != F_RDLCK && u.type != F_WRLCK)
		return -EINVAL;
	struct file_lock req = {
		.owner = ofd ? (const void *)f : current->files, .pid = current->tgid, .ofd = ofd,
	};
	long r = lock_range(f, &u, &req);
	if (r)
		return r;
	if (!get) {
		int acc = f->flags & O_ACCMODE;
		if ((req.type == F_RDLCK && acc != O_RDONLY && acc != O_RDWR) ||
		    (req.type == F_WRLCK && acc != O_WRONLY && acc != O_RDWR))
			return -EBADF;
	}
	if (ofd && u.pid)
		return -EINVAL;
	if (get) {
		const struct file_lock *l = first_conflict(i, &req);
		if (!l) {
			u.type = F_UNLCK;
			return copy_to_user(arg, &u, sizeof u) < 0 ? -EFAULT : 0;
		}
		return lock_to_user(arg, &u, l);
	}
	bool slept = false;
	file_get(f); /* the fd may be closed while we sleep */
	r = lock_wait(i, &req, cmd == F_SETLKW || cmd == F_OFD_SETLKW, &slept);
	if (!r)
		r = lock_set(i, &req);
	/* Closed while we slept: the close dropped the owner's locks, and so
	 * must we the one just taken (Linux's close/fcntl race). */
	if (!r && slept && !ofd && req.type != F_UNLCK && fd_file(fd) != f) {
		req.type = F_UNLCK;
		lock_set(i, &req);
		r = -EBADF;
	}
	file_put(f);
	return r;
}

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* flock(2): a whole-file lock of the open file description. As Linux, a
 * conversion that must wait drops the old lock first, and nobody's
 * waiting is checked for deadlock. */
long sys_flock(u64 fd, u64 op)
{
	struct file *f = fd_file(fd);
	if (!f || f->flags & O_PATH)
		return -EBADF;
	struct file_lock req = { .owner = f, .pid = current->tgid, .flock = true, .end = OFFSET_MAX };
	switch (op & ~(u64)LOCK_NB) {
	case LOCK_SH: req.type = F_RDLCK; break;
	case LOCK_EX: req.type = F_WRLCK; break;
	case LOCK_UN: req.type = F_UNLCK; break;
	default: return -EINVAL;
	}
	struct inode *i = f->inode;
	if (!i)
		return -EINVAL;
	if (req.type != F_UNLCK && first_conflict(i, &req)) {
		struct file_lock un = req;
		un.type = F_UNLCK;
		lock_set(i, &un);
	}
	bool slept = false;
	file_get(f);
	long r = lock_wait(i, &req, !(op & LOCK_NB), &slept);
	if (!r)
		r = lock_set(i, &req);
	file_put(f);
	return r;
}

static void locks_remove(struct inode *i, const void *owner)
{
	for (struct file_lock **pp = &i->file_locks; *pp;) {
		struct file_lock *l = *pp;
		if (l->owner == owner) {
			*pp = l->next;
			lock_free(l);
		} else {
			pp = &l->next;
		}
	}
	wake_up(&lock_wq);
}

void locks_remove_posix(const struct files_struct *owner, struct file *f)
{
	if (f->inode && f->inode->file_locks)
		locks_remove(f->inode, owner);
}

void locks_remove_posix_fds(const struct files_struct *fs, u32 fds)
{
	for (int k = 0; k < NR_OPEN; k++)
		if (fds & (1U << k) && fs->fd[k])
			locks_remove_posix(fs, fs->fd[k]);
}

void locks_remove_ofd(struct file *f)
{
	if (f->inode && f->inode->file_locks)
		locks_remove(f->inode, f);
}
