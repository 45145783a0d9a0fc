/* Indexes the cpio archive the VMM placed in RAM. Lookups compare names
 * against that index; file data stays where the VMM put it. */
#include "cpio.h"
#include "initramfs.h"

#define MAX_FILES 128
static struct ramfs_file files[MAX_FILES];
static int nfiles;

int initramfs_init(const void *archive, size_t len)
{
	size_t off = 0;
	struct cpio_file f;
	int r;
	while (nfiles < MAX_FILES && (r = cpio_next(archive, len, &off, &f)) == 1)
		files[nfiles++] = (struct ramfs_file){ f.name, f.namelen, f.data, f.size, f.mode };
	return nfiles == MAX_FILES || r == 0 ? 0 : -1;
}

const struct ramfs_file *ramfs_lookup(const char *path)
{
	while (*path == '/')
		path++;
	size_t n = strlen(path);
	for (int i = 0; i < nfiles; i++)
		if (files[i].namelen == n && !memcmp(files[i].name, path, n))
			return &files[i];
	return NULL;
}
