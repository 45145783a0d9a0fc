/* The host half of the initramfs: appends newc entries (110-byte hex header,
 * name, data; name and data each padded to 4 bytes) to a growing buffer. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot/cpio.h"

#define HDR_LEN 110
#define TRAILER "TRAILER!!!"

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int reserve(struct fl_cpio *c, size_t more)
{
	size_t cap = c->cap ? c->cap : 4096;
	uint8_t *buf;

	if (more > SIZE_MAX / 2 - c->len) {
		errno = ENOMEM;
		return -1;
	}
	while (cap < c->len + more)
		cap *= 2;
	if (cap == c->cap)
		return 0;
	buf = realloc(c->buf, cap);
	if (!buf)
		return -1;
	c->buf = buf;
	c->cap = cap;
	return 0;
}

/* c->len stays a multiple of 4, so padding relative to it is padding relative
 * to the archive start, which is what newc readers align to. */
static int put(struct fl_cpio *c, uint32_t ino, const char *name, const void *data,
	       size_t size, uint32_t mode)
{
	size_t namesize = strlen(name) + 1, name_end, total;
	uint8_t *p;

	if (namesize > PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (size > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	name_end = pad4(HDR_LEN + namesize);
	total = name_end + pad4(size);
	if (reserve(c, total) < 0)
		return -1;

	/* Fields: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	 * devminor, rdevmajor, rdevminor, namesize, check. Owner root and mtime 0
	 * keep the archive reproducible. snprintf's NUL lands where the name goes. */
	p = c->buf + c->len;
	snprintf((char *)p, HDR_LEN + 1,
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0, 0, S_ISDIR(mode) ? 2 : 1, 0, (uint32_t)size,
		 0, 0, 0, 0, (uint32_t)namesize, 0);
	memcpy(p + HDR_LEN, name, namesize);
	memset(p + HDR_LEN + namesize, 0, name_end - HDR_LEN - namesize);
	if (size)
		memcpy(p + name_end, data, size);
	memset(p + name_end + size, 0, total - name_end - size);
	c->len += total;
	return 0;
}

int fl_cpio_add(struct fl_cpio *c, const char *name, const void *data, size_t size, uint32_t mode)
{
	/* An entry of that name would end the archive early for every reader. */
	if (!strcmp(name, TRAILER)) {
		errno = EINVAL;
		return -1;
	}
	if (put(c, c->ino + 1, name, data, size, mode) < 0)
		return -1;
	c->ino++;
	return 0;
}

int fl_cpio_finish(struct fl_cpio *c)
{
	return put(c, 0, TRAILER, NULL, 0, 0);
}

void fl_cpio_free(struct fl_cpio *c)
{
	free(c->buf);
	*c = (struct fl_cpio){ 0 };
}
