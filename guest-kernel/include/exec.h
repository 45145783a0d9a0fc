/* Loading a static ELF program into a fresh address space. */
#ifndef K_EXEC_H
#define K_EXEC_H

#include "task.h"

/* Replaces t's address space with the program at path (an initramfs file),
 * argv and envp being kernel strings, and sets its pt_regs to start it.
 * Returns 0, or -errno with t unchanged. */
int kernel_execve(struct task *t, const char *path, const char *const *argv,
		  const char *const *envp);

#endif
