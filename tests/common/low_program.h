/* A program the guest kernel refuses to exec (issue 12): build/guest/hello
 * with its segments moved below 64 KiB, as `musl-gcc -static
 * -Wl,-Ttext-segment=0x1000` links them (forklab/elf_rules.h). */
#ifndef TESTS_LOW_PROGRAM_H
#define TESTS_LOW_PROGRAM_H

/* Its path, a file under fr_tmpfile's directory (fr_tmp_cleanup removes it). */
char *fr_low_program(void);

#endif
