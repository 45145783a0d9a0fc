/* libFuzzer target: the checks of a user program (vmm/boot/elf.c with
 * libelf, and include/forklab/elf_rules.h, which the guest's execve applies
 * to the file's first page). Whatever the host accepts, the guest must run:
 * a file that passes fl_program_check and breaks a rule of the kernel's is
 * a crash here, as it would be a kernel-death verdict in a run. */
#include "boot/elf.h"

#include <forklab/elf_rules.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	int seg;
	/* The kernel reads the first page into an aligned buffer (kernel/exec.c). */
	static uint64_t page[FL_ELF_HDR_BYTES / 8];
	size_t head = size < sizeof page ? size : sizeof page;
	memcpy(page, data, head);
	const char *rule = fl_elf_program_rule(page, head, size, &seg);
	if (fl_program_check(data, size, err, sizeof err) == 0 && rule) {
		fprintf(stderr, "the host accepts a program the kernel refuses: segment %d %s\n",
			seg, rule);
		abort();
	}
	return 0;
}
