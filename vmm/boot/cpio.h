/* Builds the guest's initramfs in memory: a cpio "newc" archive (magic 070701)
 * that guest-kernel/lib/cpio.c walks at boot. */
#ifndef FORKLAB_VMM_CPIO_H
#define FORKLAB_VMM_CPIO_H

#include <stddef.h>
#include <stdint.h>

/* Zero-initialise; buf[0, len) is the archive so far. */
struct fl_cpio { uint8_t *buf; size_t len, cap; uint32_t ino; };

/* Appends one entry; mode carries the type (S_IFREG, S_IFDIR) and permissions.
 * Returns 0, or -1 with errno ENOMEM, ENAMETOOLONG (name over PATH_MAX), EFBIG
 * (size over the 32-bit newc field) or EINVAL (the name TRAILER!!!, which ends
 * an archive); a failed call leaves the archive as it was. */
int fl_cpio_add(struct fl_cpio *c, const char *name, const void *data, size_t size, uint32_t mode);

/* Appends the TRAILER!!! entry that ends the archive: 0, or -1 with errno ENOMEM. */
int fl_cpio_finish(struct fl_cpio *c);

void fl_cpio_free(struct fl_cpio *c);

#endif
