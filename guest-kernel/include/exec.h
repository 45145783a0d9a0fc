/* Loading a static ELF program into a fresh address space. */
#ifndef K_EXEC_H
#define K_EXEC_H

#include "task.h"

/* Replaces t's address space with the program at path (an initramfs file),
 * argv and envp being kernel strings, and sets its pt_regs to start it.
 * Returns 0, or -errno with t unchanged. The caller holds exec_lock, or is
 * the boot path, before any task can exec. */
int kernel_execve(struct task *t, const char *path, const char *const *argv,
		  const char *const *envp);

/* exec's static buffers (exec.c's, and sys_execve's strings) serve one exec
 * at a time, since exec may yield: a preemption point a page of the program
 * loaded, a fault on a string that waits for a sibling's mm lock. Linux has
 * no such buffers; its nearest lock, cred_guard_mutex, is killable as this
 * one is. false: the task is being killed. */
bool exec_lock(void);
void exec_unlock(void);

#endif
