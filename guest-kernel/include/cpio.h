/* Reads the initramfs, a cpio "newc" archive, in place: one entry per call,
 * names and data pointing into the archive. */
#ifndef FORKLAB_GUEST_CPIO_H
#define FORKLAB_GUEST_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio_file {
	const char *name;
	size_t namelen;      /* without the NUL */
	const void *data;
	size_t size;
	uint32_t mode;       /* type (S_IFREG, S_IFDIR...) and permissions */
};

/* Walks a newc archive from *off. Returns 1 with *out filled and *off advanced
 * to the next entry, 0 at TRAILER!!! (*off left on it), -1 if the archive is
 * malformed (bad magic, non-hex field, name or data past len, namesize 0, name
 * without its NUL). */
int cpio_next(const void *buf, size_t len, size_t *off, struct cpio_file *out);

#endif
