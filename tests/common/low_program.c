/* A program the guest kernel refuses to exec (low_program.h). */
#include "common/low_program.h"
#include "common/forklab_run.h"

#include <elf.h>
#include <stdint.h>
#include <sys/stat.h>

char *fr_low_program(void)
{
	size_t len;
	uint8_t *p = fr_slurp("build/guest/hello", &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)p;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(p + eh->e_phoff) + i;
		if (ph->p_type == PT_LOAD) /* 0x400000 and up, to 0x8000 and up */
			ph->p_vaddr -= 0x3f8000, ph->p_paddr -= 0x3f8000;
	}
	char *path = fr_tmpfile("low", p, len);
	TEST_ASSERT(chmod(path, 0755) == 0, "chmod %s", path);
	return path;
}
