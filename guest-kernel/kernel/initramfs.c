/* The cpio archive the VMM placed in RAM, read in place, one entry at a time:
 * the file system asks for entries only until it finds the name it looks up,
 * and the VMM packs pid 1's program first, so boot parses one or two headers,
 * not all (each costs ~450 emulated instructions on a PVM host). */
#include "cpio.h"
#include "initramfs.h"

static const void *archive;
static size_t archive_len, scanned; /* bytes of the archive read so far */
static bool scan_done;

void initramfs_init(const void *start, size_t len)
{
	archive = start;
	archive_len = len;
}

int initramfs_next(struct cpio_file *f)
{
	if (scan_done)
		return 0;
	int r = cpio_next(archive, archive_len, &scanned, f);
	if (r != 1) {
		scan_done = true;
		if (r < 0)
			printk("forklab: initramfs malformed at offset %lu\n", scanned);
		return 0;
	}
	return 1;
}
