/* Differential tests: the same musl-static binary, build/guest/NAME, run
 * natively on this Linux host and as init in forklab's guest, must print the
 * same stdout and end with the same status (128+N when killed by signal N,
 * forklab's convention). stderr differs by design: forklab's kernel reports
 * faults there, Linux does not.
 *
 * Native runs are contained (tests/common/native.h). */
#include "common/forklab_run.h"
#include "common/native.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define GUEST_DIR "build/guest/"

/* Linux-observed (Linux 6.x, x86-64, this -O0 build): the vfork child prints
 * its line, returns from createproc into main, prints its "pid" 0 and exits,
 * flushing both lines; the parent then returns through the frame the child
 * overwrote and dies of SIGSEGV. */
#define VFORK_MAGIC_OUT "child proc:0\n0\n"
#define VFORK_MAGIC_STATUS (128 + SIGSEGV)

/* build/guest/NAME [ARG], natively. */
static struct native native_run(const char *name, const char *arg)
{
	char path[256];
	snprintf(path, sizeof path, GUEST_DIR "%s", name);
	TEST_ASSERT(access(path, X_OK) == 0, "%s: %s (build with `make all`, run from the repo root)",
		    path, strerror(errno));
	char *const av[] = { path, (char *)arg, NULL };
	return native_run_argv(av, NULL);
}

/* `forklab run --timeout SECS NAME [ARG]`: stdout and status as the user sees them. */
static struct fr_result guest_run(unsigned secs, const char *name, const char *arg)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%u", secs);
	struct fr_opts o = { .guard_s = secs + 60 };
	return fr_run(&o, (const char *const[]){ "run", "--timeout", timeout, name, arg, NULL });
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s (each with its newline; a last unterminated one kept as is)
 * in sorted order. */
static char *sorted_lines(const char *s, size_t len)
{
	size_t n = 0, cap = 16;
	char **lines = malloc(cap * sizeof *lines);
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(s + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (s + at)) + 1 : len - at;
		if (n == cap)
			lines = realloc(lines, (cap *= 2) * sizeof *lines);
		lines[n++] = strndup(s + at, l);
		at += l;
	}
	qsort(lines, n, sizeof *lines, cmp_lines);
	char *out = calloc(1, len + 1);
	for (size_t i = 0; i < n; i++)
		strcat(out, lines[i]);
	return out;
}

/* The guest's stdout and status are the native run's; stdout compared line
 * by line in sorted order if the line order is the scheduler's. */
static void assert_same(const struct fr_result *guest, const struct native *native, bool sort)
{
	const char *g = guest->out, *nat = native->r.out;
	size_t glen = guest->out_len, nlen = native->r.out_len;
	if (sort) {
		g = sorted_lines(g, glen);
		nat = sorted_lines(nat, nlen);
	}
	char field[1200];
	snprintf(field, sizeof field, "guest stdout%s, expected to be the native run's (%s)",
		 sort ? " (lines sorted)" : "", native->r.cmd);
	TEST_ASSERT_RUN(fr_check_eq(guest, field, g, glen, nat, nlen));
	TEST_ASSERT_RUN(guest->status == native->r.status ? NULL :
			fr_explain(guest, "exit status: native %d (%s), guest %d", native->r.status,
			native->r.cmd, guest->status));
}

/* Both runs of build/guest/NAME [ARG]: natively with native_arg, in the guest
 * with guest_arg. */
static void differential(unsigned secs, const char *name, const char *native_arg,
			 const char *guest_arg, bool sort)
{
	struct native n = native_run(name, native_arg);
	struct fr_result g = guest_run(secs, name, guest_arg);
	/* Every program here prints: an empty native stdout means a broken run. */
	TEST_ASSERT_RUN(n.r.out_len ? NULL : fr_explain(&n.r, "the native run printed nothing"));
	assert_same(&g, &n, sort);
}

Test(differential, hello) { differential(60, "hello", NULL, NULL, false); }
Test(differential, watch_var) { differential(60, "watch-var", NULL, NULL, false); }
Test(differential, clone_stack) { differential(60, "clone-stack", NULL, NULL, false); }
Test(differential, pthreads) { differential(60, "pthreads", NULL, NULL, false); }
Test(differential, cow) { differential(60, "cow", NULL, NULL, false); }
/* The same copy-on-write through /proc/self/pagemap's bits. */
Test(differential, pagemap) { differential(60, "pagemap", NULL, NULL, false); }
Test(differential, wait_status) { differential(60, "wait-status", NULL, NULL, false); }
Test(differential, fork_storm) { differential(120, "fork-storm", NULL, NULL, false); }
/* 300 children alive at once, then 100 threads: past the task limit of old. */
Test(differential, many_tasks) { differential(120, "many-tasks", NULL, NULL, false); }
/* Handlers, masks, restarts, stops, groups, timers, faults (guest-user/signals.c). */
Test(differential, signals) { differential(120, "signals", NULL, NULL, false); }

/* Parent and child each print a line; their order is the scheduler's. */
Test(differential, fork_demo) { differential(60, "fork-demo", NULL, NULL, true); }

/* The program to spawn, by its path on each side: then the outputs agree. */
Test(differential, posix_spawn)
{
	char hello[PATH_MAX];
	TEST_ASSERT(realpath(GUEST_DIR "hello", hello), GUEST_DIR "hello: %s", strerror(errno));
	differential(60, "posix-spawn", hello, "/bin/hello", false);
}

/* Seed 002: Linux's behaviour, written down, then the guest against a live
 * native run. The native run must end on its own, quickly: a runaway would
 * be this binary misbuilt (see the Makefile's -O0). */
Test(differential, vfork_magic)
{
	struct native n = native_run("vfork-magic", NULL);
	TEST_ASSERT_RUN(n.exit_secs < 5 ? NULL : fr_explain(&n.r, "the native run took %.2f s, expected "
			"under 5 s", n.exit_secs));
	TEST_ASSERT_RUN(fr_check_eq(&n.r, "native stdout (Linux-observed)", n.r.out, n.r.out_len,
			VFORK_MAGIC_OUT, strlen(VFORK_MAGIC_OUT)));
	TEST_ASSERT_RUN(n.r.status == VFORK_MAGIC_STATUS ? NULL :
			fr_explain(&n.r, "native exit status %d, expected %d (SIGSEGV, Linux-observed)",
			n.r.status, VFORK_MAGIC_STATUS));

	struct fr_result g = guest_run(60, "vfork-magic", NULL);
	assert_same(&g, &n, false);
	TEST_ASSERT_RUN_MATCHES(g, err, "^forklab: pid 1 killed by SIGSEGV at rip=(0|0x[0-9a-f]+) "
				"addr=(0|0x[0-9a-f]+)$");
}

/* ---- execve in a multithreaded process (guest-user/exec-threads.c) ----
 * Linux's de_thread: every other thread is killed and gone before the new
 * image runs, and a thread other than the leader takes over the pid. Before
 * forklab did so, old threads ran on beside the new image (extra lines, or
 * a child that never ended: "still running after 10 s"), and a non-leader's
 * image ran with tid != pid. */
Test(differential, exec_threads_leader) { differential(60, "exec-threads", "leader", "leader", false); }
Test(differential, exec_threads_nonleader)
{
	differential(60, "exec-threads", "nonleader", "nonleader", false);
}
/* Two threads exec at once: one image runs, the other thread dies. */
Test(differential, exec_threads_both) { differential(60, "exec-threads", "both", "both", false); }
/* Old threads asleep in futex, pipe read and vfork waits; the vfork child
 * lives on as the new image's child. */
Test(differential, exec_threads_blocked)
{
	differential(60, "exec-threads", "blocked", "blocked", false);
}
/* A thread's exit_group after the exec began: the thread is gone first. */
Test(differential, exec_threads_exit_group)
{
	differential(60, "exec-threads", "exit-group", "exit-group", false);
}
/* The leader exited first (pthread_exit): its child stays the process's,
 * whose exit waits for a wait4, and the new image reaps it. */
Test(differential, exec_threads_leader_gone)
{
	differential(60, "exec-threads", "leader-gone", "leader-gone", false);
}
/* Eight threads exec at once, and so do the new image's, three images in a row. */
Test(differential, exec_threads_storm) { differential(60, "exec-threads", "storm", "storm", false); }

/* ---- the file system (guest-kernel/fs/) ---- */

/* build/guest/NAME natively in a scratch directory (NATIVE_UID may write
 * there) and in the guest (from /): the native run must end "all passed",
 * and the guest's stdout and status must be the same. */
static void scratch_differential(const char *name)
{
	char *dir = native_scratch_dir(), path[PATH_MAX], rel[64];
	snprintf(rel, sizeof rel, GUEST_DIR "%s", name);
	TEST_ASSERT(realpath(rel, path), "%s: %s", rel, strerror(errno));
	struct native n = native_run_argv((char *const[]){ path, NULL }, dir);
	native_scratch_remove(dir);
	TEST_ASSERT_RUN(fr_check_eq(&n.r, "native stdout's last line", n.r.out_len >= 11 ?
			n.r.out + n.r.out_len - 11 : n.r.out, n.r.out_len >= 11 ? 11 : n.r.out_len,
			"all passed\n", 11));
	struct fr_result g = guest_run(60, name, NULL);
	assert_same(&g, &n, false);
}

/* guest-user/files.c: every file system call. */
Test(differential, files) { scratch_differential("files"); }

/* guest-user/calls.c: clock_getres, the sync calls, pipe sizes and flags,
 * FIFOs, CPU-time clocks and itimers, rusage, poll, prctl names,
 * /proc/cpuinfo and queued RT signals. */
Test(differential, calls) { scratch_differential("calls"); }

/* guest-user/scripts.c: "#!" scripts (binfmt_script): the interpreter's
 * argv, AT_EXECFN and comm, a chain five deep and ELOOP at six, the errors. */
Test(differential, scripts) { scratch_differential("scripts"); }

/* guest-user/mapcompat.c: mmap's and mprotect's corner cases from the LTP
 * (PROT_NONE file pages, a bad fd, SIGBUS past the end of a file,
 * MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_SHARED_VALIDATE, mprotect's
 * EACCES, merged reservations). */
Test(differential, mapcompat) { scratch_differential("mapcompat"); }

/* guest-user/locks.c: fcntl record locks (F_GETLK, F_SETLK, F_SETLKW and
 * the OFD forms): ranges split and merged, waits, EINTR, EDEADLK, and what
 * fork, close, exit, exec and threads do to a process's locks. */
Test(differential, locks) { scratch_differential("locks"); }

/* guest-user/coredump.c: core files (kernel/coredump.c): RLIMIT_CORE, the
 * wait status's WCOREDUMP and CLD_DUMPED, and the file read back. */
Test(differential, coredump) { scratch_differential("coredump"); }
