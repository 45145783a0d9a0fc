/* Path lookup: components from the root or a start directory, ".", "..",
 * symlinks (at most MAX_SYMLINKS per lookup, else ELOOP), /proc's links to
 * open files; and each task's file-system context: the working directory
 * and umask (struct fs_struct, shared by CLONE_FS), its program and its
 * command line (for /proc). */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "task.h"

/* Lookups do not sleep and the kernel is not preemptible: static buffers. */
static char walkbuf[2][PATH_MAX];
static char namebuf[PATH_MAX];

long getname(u64 upath, char *buf)
{
	long n = strncpy_from_user(buf, upath, PATH_MAX);
	return n < 0 ? n : n == PATH_MAX ? -ENAMETOOLONG : 0;
}

/* The directory a relative path starts from (a reference). */
static int start_dir(int dirfd, struct inode **out)
{
	if (dirfd == AT_FDCWD) {
		*out = iget(current->fs ? current->fs->cwd : root_inode);
		return 0;
	}
	struct file *f = fd_file(dirfd);
	if (!f)
		return -EBADF;
	if (!f->inode || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	*out = iget(f->inode);
	return 0;
}

static struct inode *lookup(struct inode *dir, const char *name, size_t len)
{
	if (len == 1 && name[0] == '.')
		return iget(dir);
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return dir->nlink || dir->proc ? iget(dir->parent ? dir->parent : dir) : NULL;
	if (dir->proc)
		return proc_lookup(dir, name, len);
	if (!dir->nlink)
		return NULL; /* removed */
	struct dentry *d = dir_find(dir, name, len);
	if (!d && initramfs_more(dir, name, len))
		d = dir_find(dir, name, len);
	return d ? iget(d->inode) : NULL;
}

void nd_put(struct nameidata *nd)
{
	if (nd->dir)
		iput(nd->dir);
	if (nd->inode)
		iput(nd->inode);
	if (nd->file)
		file_put(nd->file);
	nd->dir = nd->inode = NULL;
	nd->file = NULL;
}

int path_walk(int dirfd, const char *path, int flags, struct nameidata *nd)
{
	nd->dir = nd->inode = NULL;
	nd->file = NULL;
	nd->trailing_slash = false;
	nd->len = 1;
	memcpy(nd->name, ".", 2);
	struct inode *cur;
	int r;
	if (!*path) {
		if (!(flags & LOOKUP_EMPTY))
			return -ENOENT;
		struct file *f = dirfd == AT_FDCWD ? NULL : fd_file(dirfd);
		if (dirfd != AT_FDCWD && !f)
			return -EBADF;
		if (f && !f->inode) {
			nd->file = file_get(f);
			return 0;
		}
		nd->inode = iget(f ? f->inode : current->fs ? current->fs->cwd : root_inode);
		return 0;
	}
	size_t plen = strlen(path);
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	int which = 0, links = 0;
	memmove(walkbuf[0], path, plen + 1);
	char *p = walkbuf[0];
	if (*p == '/')
		cur = iget(root_inode);
	else if ((r = start_dir(dirfd, &cur)) < 0)
		return r;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) { /* "/": the directory itself */
			nd->dir = iget(cur);
			nd->inode = cur;
			return 0;
		}
		char *q = p;
		while (*q && *q != '/')
			q++;
		size_t len = q - p;
		char *rest = q;
		while (*rest == '/')
			rest++;
		bool last = !*rest, slash = rest != q;
		if (!S_ISDIR(cur->mode)) {
			r = -ENOTDIR;
			goto fail;
		}
		if (len > NAME_LEN) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		struct inode *next = lookup(cur, p, len);
		if (last) {
			memcpy(nd->name, p, len);
			nd->name[len] = 0;
			nd->len = len;
			nd->trailing_slash = slash;
		}
		if (!next) {
			if (!last) {
				r = -ENOENT;
				goto fail;
			}
			nd->dir = cur;
			return 0;
		}
		if (S_ISLNK(next->mode) && (!last || slash || (flags & LOOKUP_FOLLOW))) {
			char *tgt = walkbuf[!which];
			struct file *magic = NULL;
			long n;
			if (++links > MAX_SYMLINKS) {
				iput(next);
				r = -ELOOP;
				goto fail;
			}
			if (next->proc)
				n = proc_readlink(next, tgt, PATH_MAX, &magic);
			else
				n = next->size < PATH_MAX ? inode_read_kernel(next, 0, tgt, next->size) :
							   -ENAMETOOLONG;
			iput(next);
			if (n < 0) {
				r = n;
				goto fail;
			}
			if (magic) { /* /proc/PID/fd/N, /proc/PID/exe: the file itself */
				if (magic->inode) {
					next = iget(magic->inode);
					file_put(magic);
					goto resolved;
				}
				if (!last) {
					file_put(magic);
					r = -ENOTDIR;
					goto fail;
				}
				nd->dir = cur;
				nd->file = magic;
				return 0;
			}
			if (!n) {
				r = -ENOENT;
				goto fail;
			}
			size_t rl = strlen(rest);
			if (n + 1 + rl >= PATH_MAX) {
				r = -ENAMETOOLONG;
				goto fail;
			}
			tgt[n] = '/';
			memcpy(tgt + n + 1, rest, rl + 1);
			if (!slash && !rl)
				tgt[n] = 0;
			which = !which;
			p = tgt;
			if (*p == '/') {
				iput(cur);
				cur = iget(root_inode);
			}
			continue;
		}
resolved:
		if (last) {
			if (slash && !S_ISDIR(next->mode)) {
				iput(next);
				r = -ENOTDIR;
				goto fail;
			}
			nd->dir = cur;
			nd->inode = next;
			return 0;
		}
		iput(cur);
		cur = next;
		p = rest;
	}
fail:
	iput(cur);
	return r;
}

int user_walk(int dirfd, u64 upath, int flags, struct nameidata *nd)
{
	nd->dir = nd->inode = NULL;
	nd->file = NULL;
	long r = getname(upath, namebuf);
	return r < 0 ? r : path_walk(dirfd, namebuf, flags, nd);
}

int inode_path(struct inode *i, char *buf, size_t n)
{
	const struct dentry *parts[64];
	int k = 0;
	size_t len = 0;
	while (i != root_inode && k < 64) {
		const struct dentry *d = i->dentry;
		if (!d) {
			if (i->proc) { /* below /proc: named by what it shows */
				len = snprintf(buf, n, "/proc/%d", i->pid);
				return MIN(len, n - 1);
			}
			len = snprintf(buf, n, "/");
			return len;
		}
		parts[k++] = d;
		i = d->dir;
	}
	if (!k)
		return snprintf(buf, n, "/");
	while (k--) {
		if (len + 1 + parts[k]->len >= n)
			break;
		buf[len++] = '/';
		memcpy(buf + len, parts[k]->name, parts[k]->len);
		len += parts[k]->len;
	}
	buf[len] = 0;
	return len;
}

/* ---- per-task context ---- */


void exit_fs(struct task *t)
{
	if (t->fs && !--t->fs->refs) {
		iput(t->fs->cwd);
		kobj_free(t->fs);
	}
	t->fs = NULL;
}


struct inode *task_exe_inode(struct task *t)
{
	return t->mm ? t->mm->exe_file : NULL;
}
