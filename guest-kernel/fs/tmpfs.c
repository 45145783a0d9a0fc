/* tmpfs: inodes, directory entries and file data in pages. A file unpacked
 * from the initramfs reads its bytes in place (inode.ro) until its first
 * change, which copies them into pages. Data pages hang off a two-level
 * index (512 x 512 pages, 1 GiB a file). All bulk moves go through host_copy,
 * host_zero and copy_user_phys: no byte loops in the kernel. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "task.h"

#define MAX_INODES 1024
#define MAX_DENTRIES 1024
#define IDX_ENTRIES 512
#define MAX_FILE_SIZE ((u64)IDX_ENTRIES * IDX_ENTRIES * PAGE_SIZE)

static struct inode inodes[MAX_INODES];
static struct dentry dentries[MAX_DENTRIES];
static int inode_hint, dentry_hint;
static u32 dentry_seq = 2;     /* 0 and 1 are "." and ".." */
static u64 tmpfs_pages;        /* pages held by file data: at most half of memory */

u32 tmpfs_inodes_max(void)
{
	return MAX_INODES;
}

u32 tmpfs_inodes_used(void)
{
	u32 n = 0;
	for (int k = 0; k < MAX_INODES; k++)
		n += inodes[k].mode != 0;
	return n;
}

u64 tmpfs_pages_used(void)
{
	return tmpfs_pages;
}

u64 ktime_ns(void)
{
	extern u64 boot_tsc;
	u64 tsc_to_ns(u64 tsc);
	return tsc_to_ns(rdtsc() - boot_tsc);
}

struct inode *inode_alloc(u32 mode)
{
	for (int n = 0; n < MAX_INODES; n++) {
		int k = (inode_hint + n) % MAX_INODES;
		struct inode *i = &inodes[k];
		if (i->mode)
			continue;
		inode_hint = k + 1;
		memset(i, 0, sizeof *i);
		i->mode = mode;
		i->refs = 1;
		i->atime = i->mtime = i->ctime = ktime_ns();
		return i;
	}
	return NULL;
}

u64 inode_ino(const struct inode *i)
{
	return i - inodes + 1;
}

static void free_data(struct inode *i, u64 from_page);

void iput(struct inode *i)
{
	if (--i->refs > 0 || i->nlink)
		return;
	free_data(i, 0);
	if (i->parent_ref && i->parent)
		iput(i->parent);
	i->mode = 0;
}

/* ---- directory entries ---- */

struct dentry *dir_find(struct inode *dir, const char *name, size_t len)
{
	for (struct dentry *d = dir->children; d; d = d->next)
		if (d->len == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

/* Names d (name, len) and puts it last in dir's list: readdir's order. */
static void dentry_append(struct dentry *d, struct inode *dir, const char *name, size_t len)
{
	d->dir = dir;
	d->next = NULL;
	d->seq = dentry_seq++;
	d->len = len;
	memcpy(d->name, name, len);
	d->name[len] = 0;
	if (dir->last_child)
		dir->last_child->next = d;
	else
		dir->children = d;
	dir->last_child = d;
}

int dir_link(struct inode *dir, const char *name, size_t len, struct inode *i)
{
	if (len > NAME_LEN)
		return -ENAMETOOLONG;
	struct dentry *d = NULL;
	for (int n = 0; n < MAX_DENTRIES && !d; n++) {
		int k = (dentry_hint + n) % MAX_DENTRIES;
		if (!dentries[k].inode) {
			d = &dentries[k];
			dentry_hint = k + 1;
		}
	}
	if (!d)
		return -ENOSPC;
	d->inode = i;
	dentry_append(d, dir, name, len);
	i->nlink++;
	i->dentry = d;
	if (S_ISDIR(i->mode)) {
		i->parent = dir;
		i->nlink++;   /* its "." */
		dir->nlink++; /* its ".." */
	}
	dir->mtime = dir->ctime = i->ctime = ktime_ns();
	return 0;
}

void dir_unlink(struct dentry *d)
{
	struct inode *dir = d->dir, *i = d->inode;
	struct dentry **pp = &dir->children, *prev = NULL;
	while (*pp != d) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = d->next;
	if (dir->last_child == d)
		dir->last_child = prev;
	d->inode = NULL;
	dir->mtime = dir->ctime = i->ctime = ktime_ns();
	if (i->dentry == d)
		i->dentry = NULL;
	if (S_ISDIR(i->mode)) {
		dir->nlink--;
		i->nlink = 1; /* and below, 0: a removed directory is empty and dead */
	}
	i->nlink--;
	if (!i->nlink && !i->refs) {
		i->refs = 1;
		iput(i);
	}
}

/* ---- file data ---- */

static u64 *index_slot(struct inode *i, u64 pg, bool alloc, int *err)
{
	if (pg >= (u64)IDX_ENTRIES * IDX_ENTRIES) {
		*err = -EFBIG;
		return NULL;
	}
	if (!i->index) {
		if (!alloc || tmpfs_pages >= fl_kstate.total_pages / 2 || !(i->index = page_alloc(true))) {
			*err = alloc ? -ENOSPC : 0;
			return NULL;
		}
		tmpfs_pages++;
		i->pages++;
	}
	u64 *top = __va(i->index);
	u64 *leaf = &top[pg / IDX_ENTRIES];
	if (!*leaf) {
		if (!alloc || tmpfs_pages >= fl_kstate.total_pages / 2 || !(*leaf = page_alloc(true))) {
			*err = alloc ? -ENOSPC : 0;
			return NULL;
		}
		tmpfs_pages++;
		i->pages++;
	}
	return &((u64 *)__va(*leaf))[pg % IDX_ENTRIES];
}

/* The data page for pg, or 0 (a hole, or out of memory with alloc: *err). */
static u64 data_page(struct inode *i, u64 pg, bool alloc, int *err)
{
	*err = 0;
	u64 *slot = index_slot(i, pg, alloc, err);
	if (!slot)
		return 0;
	if (!*slot && alloc) {
		if (tmpfs_pages >= fl_kstate.total_pages / 2 || !(*slot = page_alloc(true))) {
			*err = -ENOSPC;
			return 0;
		}
		tmpfs_pages++;
		i->pages++;
	}
	return *slot;
}

/* Frees the data pages from page `from` on (and the index with from == 0). */
static void free_data(struct inode *i, u64 from)
{
	i->ro = NULL;
	if (!i->index)
		return;
	u64 *top = __va(i->index);
	for (u64 l = from / IDX_ENTRIES; l < IDX_ENTRIES; l++) {
		if (!top[l])
			continue;
		u64 *leaf = __va(top[l]);
		for (u64 k = l == from / IDX_ENTRIES ? from % IDX_ENTRIES : 0; k < IDX_ENTRIES; k++)
			if (leaf[k]) {
				page_put(leaf[k]);
				leaf[k] = 0;
				tmpfs_pages--;
				i->pages--;
			}
		if (l * IDX_ENTRIES >= from) {
			page_put(top[l]);
			top[l] = 0;
			tmpfs_pages--;
			i->pages--;
		}
		cond_resched(); /* a leaf's 512 pages at a time: the index is whole */
	}
	if (!from) {
		page_put(i->index);
		i->index = 0;
		tmpfs_pages--;
		i->pages--;
	}
}

/* Copies initrd bytes into pages: the file becomes writable. */
int inode_materialize(struct inode *i)
{
	if (!i->ro)
		return 0;
	const u8 *ro = i->ro;
	int err;
	i->ro = NULL;
	for (u64 off = 0; off < i->size; off += PAGE_SIZE) {
		u64 pa = data_page(i, off / PAGE_SIZE, true, &err);
		if (!pa) {
			free_data(i, 0);
			i->ro = ro;
			return err;
		}
		host_copy(pa, __pa(ro + off), MIN(PAGE_SIZE, i->size - off));
	}
	return 0;
}

u64 inode_page(struct inode *i, u64 pos, bool alloc, int *err)
{
	*err = 0;
	if (alloc && (*err = inode_materialize(i)) < 0)
		return 0;
	return data_page(i, pos / PAGE_SIZE, alloc, err);
}

/* Moves file bytes at pos to or from user memory, or kernel memory (kbuf). */
static long inode_xfer(struct inode *i, u64 pos, u64 ubuf, void *kbuf, u64 n, bool write)
{
	int err = 0;
	if (write) {
		if (pos >= MAX_FILE_SIZE)
			return n ? -EFBIG : 0;
		n = MIN(n, MAX_FILE_SIZE - pos);
		if ((err = inode_materialize(i)) < 0)
			return err;
	} else {
		if (pos >= i->size)
			return 0;
		n = MIN(n, i->size - pos);
	}
	u64 done = 0;
	while (done < n) {
		u64 off = (pos + done) % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - off), pa;
		long r;
		if (!write && i->ro) {
			pa = __pa(i->ro + pos + done);
		} else {
			pa = data_page(i, (pos + done) / PAGE_SIZE, write, &err);
			if (!pa && write)
				break;
			pa += off;
		}
		if (kbuf) {
			if (write)
				memcpy(__va(pa), (u8 *)kbuf + done, chunk);
			else if (pa - off)
				memcpy((u8 *)kbuf + done, __va(pa), chunk);
			else
				memset((u8 *)kbuf + done, 0, chunk);
			r = chunk;
		} else if (!write && pa == off) {
			r = clear_user_phys(ubuf + done, chunk); /* a hole */
		} else {
			r = copy_user_phys(ubuf + done, pa, chunk, !write);
		}
		if (r < 0) {
			err = r;
			break;
		}
		done += chunk;
		if (!kbuf)
			cond_resched(); /* the caller holds the inode (fs/open.c) */
	}
	if (write && done) {
		if (pos + done > i->size)
			i->size = pos + done;
		i->mtime = i->ctime = ktime_ns();
	}
	return done ? (long)done : err;
}

long inode_read(struct inode *i, u64 pos, u64 ubuf, u64 n)
{
	return inode_xfer(i, pos, ubuf, NULL, n, false);
}

long inode_write(struct inode *i, u64 pos, u64 ubuf, u64 n)
{
	return inode_xfer(i, pos, ubuf, NULL, n, true);
}

long inode_read_kernel(struct inode *i, u64 pos, void *buf, u64 n)
{
	return inode_xfer(i, pos, 0, buf, n, false);
}

long inode_write_kernel(struct inode *i, u64 pos, const void *buf, u64 n)
{
	return inode_xfer(i, pos, 0, (void *)buf, n, true);
}

void inode_copy_phys(struct inode *i, u64 pos, u64 dst, u64 n)
{
	if (i->ro) {
		host_copy(dst, __pa(i->ro + pos), n);
		return;
	}
	int err;
	for (u64 done = 0; done < n;) {
		u64 off = (pos + done) % PAGE_SIZE, chunk = MIN(n - done, PAGE_SIZE - off);
		u64 pa = data_page(i, (pos + done) / PAGE_SIZE, false, &err);
		if (pa)
			host_copy(dst + done, pa + off, chunk);
		else
			host_zero(dst + done, chunk);
		done += chunk;
	}
}

/* lseek's SEEK_DATA and SEEK_HOLE, as Linux's tmpfs: the first offset at
 * or after off in a page that holds data (one written, or a file still in
 * the initrd throughout), or in a hole (the end of the file counts as one),
 * or -ENXIO. The caller holds the inode's lock: the scan yields after each
 * leaf's 512 pages. */
s64 inode_seek_data(struct inode *i, u64 off, bool hole)
{
	if (off >= i->size)
		return -ENXIO;
	if (i->ro)
		return hole ? (s64)i->size : (s64)off;
	u64 pg = off / PAGE_SIZE, end = PAGE_UP(i->size) / PAGE_SIZE;
	for (; pg < end; pg++) {
		int err;
		const u64 *slot = index_slot(i, pg, false, &err);
		if ((slot && *slot) != hole)
			break;
		if (!slot) /* no leaf: its 512 pages are hole, on to the next */
			pg |= IDX_ENTRIES - 1;
		if ((pg + 1) % IDX_ENTRIES == 0)
			cond_resched();
	}
	if (pg >= end)
		return hole ? (s64)i->size : -ENXIO;
	return MAX(off, pg * PAGE_SIZE);
}

int inode_truncate(struct inode *i, u64 size)
{
	if (size > MAX_FILE_SIZE)
		return -EFBIG;
	u64 old = i->size;
	if (size < old)
		i->size = size; /* first, as Linux: free_data may yield */
	if (size == 0) {
		free_data(i, 0);
	} else if (size < old) {
		if (!i->ro) {
			free_data(i, PAGE_UP(size) / PAGE_SIZE);
			int err;
			u64 pa = data_page(i, size / PAGE_SIZE, false, &err);
			if (pa && size % PAGE_SIZE)
				host_zero(pa + size % PAGE_SIZE, PAGE_SIZE - size % PAGE_SIZE);
		}
	} else if (size > old) {
		int r = inode_materialize(i);
		if (r < 0)
			return r;
	}
	i->size = size;
	i->mtime = i->ctime = ktime_ns();
	return 0;
}

/* rename: moves entry d to (dir, name), its inode untouched. */
int dir_move(struct dentry *d, struct inode *dir, const char *name, size_t len)
{
	struct inode *i = d->inode, *old = d->dir;
	if (len > NAME_LEN)
		return -ENAMETOOLONG;
	struct dentry **pp = &old->children, *prev = NULL;
	while (*pp != d) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = d->next;
	if (old->last_child == d)
		old->last_child = prev;
	dentry_append(d, dir, name, len);
	if (S_ISDIR(i->mode) && old != dir) {
		old->nlink--;
		dir->nlink++;
		i->parent = dir;
	}
	old->mtime = old->ctime = dir->mtime = dir->ctime = i->ctime = ktime_ns();
	return 0;
}
