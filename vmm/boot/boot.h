/* Everything between "a VM exists" and "the vCPU may run": kernel image,
 * initramfs and FDT in guest RAM, and the vCPU at the kernel's entry. */
#ifndef FL_BOOT_H
#define FL_BOOT_H

#include "run/config.h"
#include "boot/cpio.h"
#include "boot/elf.h"
#include "kvm/vm.h"

int fl_boot(struct fl_vm *vm, const struct fl_config *c, const struct fl_kernel *k,
	    const struct fl_cpio *initrd, const char *init_path, char *err, size_t errlen);

#endif
