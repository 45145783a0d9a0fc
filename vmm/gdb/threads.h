/* Guest tasks as gdb threads: the kernel's task table, found through its
 * DWARF types (its length and struct task's offsets of comm and parent), and
 * the registers of a task that is not on the vCPU, read from its stack. */
#ifndef FL_GDB_THREADS_H
#define FL_GDB_THREADS_H

#include "boot/elf.h"
#include "gdb/regs.h"
#include "observe/inspect.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The thread id of the vCPU before the kernel has a task: the boot context,
 * which becomes pid 1. Tasks are otherwise their pid. */
#define GDB_BOOT_TID 1

struct gdb_ktypes {
	uint64_t tasks;            /* kernel VA of the table of task pointers; 0: not known */
	size_t ntasks;             /* its length (slots) */
	size_t comm_off, parent_off;
	uint64_t ret_from_fork;    /* a new task's thread.ip */
};

/* From the kernel's debug information; -1 with a reason if it has none. */
int gdb_ktypes_load(const struct fl_kernel *k, struct gdb_ktypes *t, char *err, size_t errlen);

struct gdb_task {
	struct fl_task_view v;     /* v.regs_va 0: its pt_regs were not read */
	char comm[16];
	int ppid;                  /* 0 when it has no parent */
};

/* Fills tids[] with the live tasks' ids (every task that is neither unused
 * nor dead), at most max; returns how many. */
int gdb_tasks_list(const struct fl_session *s, const struct gdb_ktypes *kt, int *tids, int max);
/* The live task with this id; -1 if there is none. */
int gdb_task_find(const struct fl_session *s, const struct gdb_ktypes *kt, int tid,
		  struct gdb_task *out);
const char *gdb_task_state(int32_t state);

/* A task off the vCPU, as its last switch_to left it: rip/rsp as when
 * switch_to returns into its caller, the callee-saved registers from the
 * frame switch_to pushed, the other core registers unavailable. A task
 * that never ran stands at thread.ip (ret_from_fork) with rsp = thread.sp.
 * The user feature comes from its pt_regs (gdb_task_user_regs). */
int gdb_task_regs(const struct fl_session *s, const struct gdb_ktypes *kt,
		  const struct gdb_task *t, struct gdb_regfile *f);
/* Its user registers (the user feature), from its pt_regs; false for a
 * kernel thread, whose pt_regs hold nothing. */
bool gdb_task_user_regs(const struct gdb_task *t, struct gdb_regfile *f);
/* The kernel address where a task keeps register regno, 64 bits, so that a
 * write there is what the task finds when it next runs: for a task off the
 * vCPU, each register gdb_task_regs reads from memory (the switch_to frame's
 * words, thread.ip and thread.sp of a task that never ran, thread.fsbase);
 * for any task but a kernel thread, the user registers in its pt_regs. -1
 * for a register with no such home (one that is computed, constant, or
 * not saved at all). */
int gdb_task_reg_home(const struct gdb_ktypes *kt, const struct gdb_task *t, int regno,
		      uint64_t *va);

#endif
