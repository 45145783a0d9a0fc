/* The initramfs as a read-only file system, read in place (nothing copied). */
#ifndef K_INITRAMFS_H
#define K_INITRAMFS_H

#include "kernel.h"

struct ramfs_file {
	const char *name;   /* without the leading '/' */
	size_t namelen;
	const u8 *data;
	size_t size;
	u32 mode;
};

void initramfs_init(const void *archive, size_t len);
const struct ramfs_file *ramfs_lookup(const char *path);

#endif
