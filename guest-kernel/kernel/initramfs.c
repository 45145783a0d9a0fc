/* The cpio archive the VMM placed in RAM, read in place. It is indexed
 * lazily: a lookup parses entries only until it finds its name, and the VMM
 * packs pid 1's program first, so boot parses one or two headers, not all
 * (each costs ~450 emulated instructions on a PVM host). */
#include "cpio.h"
#include "initramfs.h"

#define MAX_FILES 128
static struct ramfs_file files[MAX_FILES];
static int nfiles;
static const void *archive;
static size_t archive_len, scanned; /* bytes of the archive indexed so far */
static bool scan_done;

void initramfs_init(const void *start, size_t len)
{
	archive = start;
	archive_len = len;
}

static bool name_is(const struct ramfs_file *f, const char *path, size_t n)
{
	return f->namelen == n && !memcmp(f->name, path, n);
}

const struct ramfs_file *ramfs_lookup(const char *path)
{
	while (*path == '/')
		path++;
	size_t n = strlen(path);
	for (int i = 0; i < nfiles; i++)
		if (name_is(&files[i], path, n))
			return &files[i];
	struct cpio_file f;
	while (!scan_done && nfiles < MAX_FILES) {
		int r = cpio_next(archive, archive_len, &scanned, &f);
		if (r != 1) {
			scan_done = true;
			if (r < 0)
				printk("forklab: initramfs malformed at offset %lu\n", scanned);
			break;
		}
		struct ramfs_file *e = &files[nfiles++];
		*e = (struct ramfs_file){ f.name, f.namelen, f.data, f.size, f.mode };
		if (name_is(e, path, n))
			return e;
	}
	return NULL;
}
