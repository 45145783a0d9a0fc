/* The initramfs: the cpio archive the VMM placed in RAM, read in place. The
 * file system (fs/rootfs.c) unpacks it into tmpfs lazily, entry by entry. */
#ifndef K_INITRAMFS_H
#define K_INITRAMFS_H

#include "cpio.h"
#include "kernel.h"

void initramfs_init(const void *archive, size_t len);
/* The next entry: 1, or 0 at the end (also if the rest is malformed). */
int initramfs_next(struct cpio_file *f);

#endif
