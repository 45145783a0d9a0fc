/* Signals from the host's side: Debian's busybox (glibc-static) shell traps
 * and dies of signals as it does natively (outputs Linux-observed with
 * /bin/busybox on Debian 12), and the guest program `signals`, whose stdout
 * the differential test compares with Linux, is checked here for what only
 * forklab prints: a death by a fault signal is reported on stderr, a fault
 * that a handler catches is not. */
#include "common/forklab_run.h"
#include "common/spawn.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

static struct fr_result busybox_sh(const char *script)
{
	TEST_ASSERT(access(BUSYBOX, X_OK) == 0, BUSYBOX ": not installed (make deps: busybox-static)");
	struct fr_opts o = { .guard_s = 120 };
	return fr_run(&o, (const char *const[]){ "run", "--timeout", "60", BUSYBOX, "sh", "-c", script,
						 NULL });
}

/* The case: the handler (trap) runs, and the shell carries on. */
Test(signals, busybox_trap_usr1)
{
	struct fr_result r = busybox_sh("trap 'echo trapped' USR1; kill -USR1 $$; echo after");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "trapped\nafter\n");
}

Test(signals, busybox_trap_term_exits)
{
	struct fr_result r = busybox_sh("trap 'echo got TERM; exit 3' TERM; kill $$; echo not reached");
	TEST_ASSERT_RUN_STATUS(r, 3);
	TEST_ASSERT_RUN_EQ(r, out, "got TERM\n");
}

/* No trap: the default action kills pid 1, and forklab exits 128 + 10. */
Test(signals, busybox_default_kills)
{
	struct fr_result r = busybox_sh("kill -USR1 $$; echo not reached");
	TEST_ASSERT_RUN_STATUS(r, 128 + 10);
	TEST_ASSERT_RUN_EQ(r, out, "");
}

Test(signals, busybox_trap_ignore)
{
	struct fr_result r = busybox_sh("trap '' INT; kill -INT $$; echo ignored");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "ignored\n");
}

/* A subshell is a forked child: its exit reaches the CHLD trap. */
Test(signals, busybox_trap_chld)
{
	struct fr_result r = busybox_sh("trap 'echo child' CHLD; (exit 7); echo status $?");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "child\nstatus 7\n");
}

/* Pid 1 catches four faults (SIGSEGV twice, SIGFPE, SIGILL) and is not
 * reported; each of three children dies of SIGSEGV (blocked, raised again
 * in its handler, ignored) and is. */
Test(signals, guest_program_fault_reports)
{
	struct fr_opts o = { .guard_s = 180 };
	struct fr_result r = fr_run(&o, (const char *const[]){ "run", "--timeout", "120", "signals", NULL });
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_CONTAINS(r, out, "\nall checks passed\n");
	TEST_ASSERT_RUN_LACKS(r, out, "FAILED");
	TEST_ASSERT_RUN_LACKS(r, err, "pid 1 killed");
	for (int pid = 2; pid <= 4; pid++) {
		char re[96];
		snprintf(re, sizeof re, "^forklab: pid %d killed by SIGSEGV at rip=0x[0-9a-f]+ addr=0$", pid);
		TEST_ASSERT_RUN_MATCHES(r, err, re);
	}
	int n = 0;
	for (const char *p = r.err; (p = strstr(p, " killed by ")); p++)
		n++;
	TEST_ASSERT_RUN(n == 3 ? NULL : fr_explain(&r, "stderr: %d \"killed by\" reports, expected 3", n));
}

/* kill(-1) reaches every process but init (the caller here, pid 1). */
Test(signals, kill_minus_one)
{
	struct fr_result r = FORKLAB("run", "--timeout", "60", "signals", "kill-all");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "kill(-1, SIGTERM): 0, children killed by 15 and 15\n"
			   "kill(-1, 0) with nobody else: ESRCH\n");
}

/* A core file the guest kernel wrote (kernel/coredump.c), read by the
 * host's gdb: guest-user/coredump's "emit" mode writes the core of a child
 * killed by SIGSEGV to stdout. gdb must find the signal, the faulting line
 * (rip in NT_PRSTATUS) and the child's memory (PT_LOAD). */
static void exec_gdb_core(void *arg)
{
	execlp("gdb", "gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", (const char *)arg,
	       "-ex", "print marker", "build/guest/coredump", (char *)NULL);
	_exit(127);
}

Test(signals, core_file_read_by_gdb)
{
	struct fr_result r = FORKLAB("run", "coredump", "emit");
	TEST_ASSERT_RUN_STATUS(r, 0);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "core-file %s", fr_tmpfile("core", r.out, r.out_len));
	struct spawn_result g = spawn_run(&(struct spawn_opts){ .exec = exec_gdb_core, .arg = cmd,
								 .deadline_s = 60 });
	TEST_ASSERT(g.out && strstr(g.out, "Program terminated with signal SIGSEGV"),
		    "gdb did not see the SIGSEGV; its output:\n%s\n%s", g.out, g.err);
	TEST_ASSERT(strstr(g.out, "*(volatile int *)unmapped = 1;"),
		    "gdb did not place rip on the faulting line; its output:\n%s", g.out);
	TEST_ASSERT(strstr(g.out, "$1 = \"the child's marker, pid 2\""),
		    "gdb did not read the child's marker; its output:\n%s", g.out);
}
