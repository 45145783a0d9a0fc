/* Running a program natively on this host, for differential tests: the same
 * binary or command runs here and in the guest, and their results must agree.
 *
 * Native runs are contained: a misbuilt vfork-magic (see the Makefile's -O0)
 * vforks in a loop, each child exiting unreaped, and fills the host's pid
 * table within seconds, long before any CPU or wall-clock limit; a signal
 * test run as root could kill every process here. So each native run gets a
 * cap on its processes, RLIMIT_NPROC; as that never binds uid 0, a run
 * started by root drops to NATIVE_UID first. Each also runs in a process
 * group of its own under RLIMIT_CPU, is killed after NATIVE_WALL_S, and its
 * whole group is SIGKILLed when the run ends, always. */
#ifndef TESTS_NATIVE_H
#define TESTS_NATIVE_H

#include "common/forklab_run.h"

#include <stdbool.h>

#define NATIVE_CPU_S 10   /* RLIMIT_CPU of every native process */
#define NATIVE_WALL_S 20  /* then the run's process group is killed */
#define NATIVE_NPROC 512  /* tasks (threads too) a native run may add to its uid's:
                             many-tasks has 301 at once */
#define NATIVE_UID 65534  /* nobody: root's native runs drop to it, for RLIMIT_NPROC */

struct native {
	struct fr_result r;  /* cmd starts with "native:"; signal stays 0, status is 128+N */
	double exit_secs;    /* until the program itself exited (or was killed) */
	bool exited;         /* it exited within NATIVE_WALL_S */
	bool timed_out;      /* it, or something holding its stdout, outlived NATIVE_WALL_S */
};

/* argv[0] (a path) with the guest's environment (HOME=/, TERM=linux), stdin
 * empty, in cwd (NULL: the test's own), stdout and stderr captured until both
 * are at EOF and the program has exited. Fails the test if it cannot start
 * or outlives NATIVE_WALL_S. */
struct native native_run_argv(char *const *argv, const char *cwd);
/* The same with a tmpfs (mount options opts, e.g. "size=4m,mode=1777") on the
 * existing directory `at`, seen only by the run (a mount namespace of its own;
 * a user namespace too when not root). */
struct native native_run_tmpfs(char *const *argv, const char *cwd, const char *at, const char *opts);

/* A directory NATIVE_UID may write in, fresh for each call, under /tmp;
 * native_scratch_remove deletes it and whatever the run left in it. */
char *native_scratch_dir(void);
void native_scratch_remove(char *dir);

#endif
