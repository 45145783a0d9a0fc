/* The guest's initramfs: every built-in guest program, plus the one to run. */
#ifndef FL_INITRAMFS_H
#define FL_INITRAMFS_H

#include "run/config.h"
#include "boot/cpio.h"

#include <stddef.h>

/* Builds the archive and the guest path of the program to run as pid 1
 * (init_path, at least 256 bytes). Validates that program as a static x86-64
 * ELF. Returns 0, or -1 with a one-line reason in err. */
int fl_initramfs_build(const struct fl_config *c, struct fl_cpio *out, char *init_path,
		       char *err, size_t errlen);

#endif
