/* Tasks: a kernel stack with the user's struct pt_regs at its top, and the
 * thread record that switch_to uses (the seeds' thread.sp/ip/sp0). */
#ifndef K_TASK_H
#define K_TASK_H

#include "kernel.h"
#include "mm.h"

#define KSTACK_SIZE 16384
#define MAX_TASKS 64
#define NR_OPEN 16
#define NSIG 65

struct thread_struct {
	u64 sp;      /* saved kernel stack pointer */
	u64 ip;      /* where the task resumes in the kernel */
	u64 sp0;     /* kernel stack top, loaded into TSS.rsp0 */
	u64 fsbase;  /* user TLS */
};

struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

struct file;

enum task_state { TASK_UNUSED, TASK_RUNNING, TASK_ZOMBIE };

struct task {
	struct thread_struct thread;
	int pid;
	enum task_state state;
	struct mm *mm;
	struct file *files[NR_OPEN];
	struct k_sigaction sigaction[NSIG]; /* recorded; delivery is not implemented yet */
	u64 sigmask;
	u64 clear_child_tid;
	char comm[16];
};

extern struct task *current;

static inline struct pt_regs *task_pt_regs(struct task *t)
{
	return (struct pt_regs *)t->thread.sp0 - 1;
}

struct task *task_alloc(void);
void set_current(struct task *t);
/* Ends the current task with a Linux wait status. */
void do_exit(int wait_status) __attribute__((noreturn));
/* A user fault: report it to the host and kill the task with `sig`. */
void force_sig_fault(int sig, u64 addr, struct pt_regs *regs) __attribute__((noreturn));

#endif
