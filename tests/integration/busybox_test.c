/* Debian's busybox sh (glibc-static, /bin/busybox), a program no one here
 * wrote: each script runs natively, as NATIVE_UID in a scratch directory,
 * and as pid 1 in the guest, and stdout, stderr and the exit status must be
 * the same. Applets run without a PATH lookup (busybox's standalone shell),
 * so both sides run the same code. */
#include "common/forklab_run.h"
#include "common/native.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

/* make deps installs it (busybox-static): its absence fails the test. */
static void need_busybox(void)
{
	TEST_ASSERT(access(BUSYBOX, X_OK) == 0, BUSYBOX ": not installed (make deps: busybox-static)");
}

static void same_as_native(const char *script)
{
	need_busybox();
	char *const av[] = { BUSYBOX, "sh", "-c", (char *)script, NULL };
	char *dir = native_scratch_dir();
	struct native n = native_run_argv(av, dir);
	native_scratch_remove(dir);
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result g = fr_run(&o, (const char *const[]){ "run", "--timeout", "60", BUSYBOX,
							       "sh", "-c", script, NULL });
	char field[200];
	snprintf(field, sizeof field, "guest stdout, expected to be the native run's");
	TEST_ASSERT_RUN(fr_check_eq(&g, field, g.out, g.out_len, n.r.out, n.r.out_len));
	snprintf(field, sizeof field, "guest stderr, expected to be the native run's");
	TEST_ASSERT_RUN(fr_check_eq(&g, field, g.err, g.err_len, n.r.err, n.r.err_len));
	TEST_ASSERT_RUN(g.status == n.r.status ? NULL :
			fr_explain(&g, "exit status: native %d, guest %d", n.r.status, g.status));
	TEST_ASSERT_RUN(n.r.out_len ? NULL : fr_explain(&n.r, "the native run printed nothing"));
}

Test(busybox, pipeline_of_six_stages)
{
	same_as_native("echo 'e d c b a' | tr ' ' '\\n' | sort | head -n 4 | sort -r | tr -d '\\n'; echo");
}

Test(busybox, command_substitution)
{
	same_as_native("x=$(echo hi | tr a-z A-Z); y=`echo $x$x`; echo \"$x $y $(echo $(echo nested))\"");
}

Test(busybox, subshells)
{
	same_as_native("(echo in; exit 3); echo status $?; x=1; (x=2; echo inner $x); echo outer $x; "
		       "echo $( (echo a; echo b) | wc -l)");
}

Test(busybox, here_documents)
{
	same_as_native("cat <<EOF\nline $((1+2))\nEOF\ncat <<'EOF'\n$HOME\nEOF\nwc -c <<EOF\n12345\nEOF");
}

Test(busybox, redirections_to_and_from_files)
{
	same_as_native("echo one > f; echo two >> f; cat < f; wc -l < f; cat f nosuch 2>err >out; "
		       "echo $?; cat out err; rm f out err; cat f 2>&1; echo $?");
}

Test(busybox, exec)
{
	same_as_native("exec 3>&1; echo to3 >&3; exec echo replaced; echo not reached");
}

Test(busybox, dev_null_and_sleep_applet)
{
	same_as_native("cat </dev/null; sleep 0.1; echo slept; ls / >/dev/null && echo listed");
}

Test(busybox, background_jobs_wait_and_kill)
{
	/* The shell's "Terminated" job report comes or not by timing: not compared. */
	same_as_native("sleep 0.1 & wait $!; echo $?; { sleep 5 & kill %1; wait %1; echo $?; } 2>/dev/null");
}

Test(busybox, traps_usr1_int_chld_exit)
{
	same_as_native("trap 'echo usr1' USR1; kill -USR1 $$; trap 'echo int' INT; kill -INT $$; "
		       "trap 'echo chld' CHLD; true & wait; trap 'echo exit' EXIT; echo end");
}

/* Issue 8's acceptance: busybox sh as pid 1 runs tests/data/acceptance.sh
 * (files, mmap of files, devices, /dev/shm, /proc, FIFOs, ENOSPC; pipelines,
 * command substitution, subshells, here-documents, redirections, background
 * jobs, traps, exec), and stdout, stderr and the status are the native run's.
 * Natively the script's w/fill is a 4 MiB tmpfs of the run's own, so that it
 * fills up as the guest's memory does. */
static void copy_to(const char *src, const char *dir, const char *name, mode_t mode)
{
	char dst[PATH_MAX];
	size_t len;
	void *data = fr_slurp(src, &len);
	TEST_ASSERT(data, "%s: %s (make all, from the repo root)", src, strerror(errno));
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	FILE *f = fopen(dst, "w");
	TEST_ASSERT(f && fwrite(data, 1, len, f) == len && fclose(f) == 0, "%s: %s", dst, strerror(errno));
	TEST_ASSERT(chmod(dst, mode) == 0, "chmod %s: %s", dst, strerror(errno));
	free(data);
}

#define ACCEPTANCE "tests/data/acceptance.sh"
#define MAPFILE "build/guest/mapfile"

Test(busybox, acceptance_script)
{
	need_busybox();
	char *dir = native_scratch_dir(), w[PATH_MAX], fill[PATH_MAX];
	copy_to(ACCEPTANCE, dir, "acceptance.sh", 0644);
	copy_to(MAPFILE, dir, "mapfile", 0755);
	snprintf(w, sizeof w, "%s/w", dir);
	snprintf(fill, sizeof fill, "%s/w/fill", dir);
	TEST_ASSERT(mkdir(w, 0777) == 0 && chmod(w, 0777) == 0 && mkdir(fill, 0777) == 0,
		    "mkdir %s: %s", fill, strerror(errno));
	char *const av[] = { BUSYBOX, "sh", "acceptance.sh", NULL };
	struct native n = native_run_tmpfs(av, dir, fill, "size=4m,mode=1777");
	native_scratch_remove(dir);
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result g = fr_run(&o, (const char *const[]){ "run", "--timeout", "60", "--mem", "64M",
			"--pack", ACCEPTANCE ":/acceptance.sh", "--pack", MAPFILE ":/mapfile", BUSYBOX, "sh",
			"acceptance.sh", NULL });
	TEST_ASSERT_RUN(n.r.status == 3 ? NULL : fr_explain(&n.r, "native status %d, expected 3 (the "
			"script's last exec)", n.r.status));
	TEST_ASSERT_RUN(fr_check_eq(&g, "guest stdout, expected to be the native run's", g.out, g.out_len,
				    n.r.out, n.r.out_len));
	TEST_ASSERT_RUN(fr_check_eq(&g, "guest stderr, expected to be the native run's", g.err, g.err_len,
				    n.r.err, n.r.err_len));
	TEST_ASSERT_RUN(g.status == n.r.status ? NULL :
			fr_explain(&g, "exit status: native %d, guest %d", n.r.status, g.status));
}

/* ---- the guest's own file system and its limits ---- */

/* `forklab run BUSYBOX sh -c SCRIPT` (busybox packed as /bin/busybox). */
static struct fr_result busybox_guest(const char *script, const char *mem, bool verbose)
{
	struct fr_opts o = { .guard_s = 90 };
	if (verbose)
		return fr_run(&o, (const char *const[]){ "run", "-v", "--timeout", "30", "--mem", mem,
				BUSYBOX, "sh", "-c", script, NULL });
	return fr_run(&o, (const char *const[]){ "run", "--timeout", "30", "--mem", mem, BUSYBOX,
			"sh", "-c", script, NULL });
}

/* A background job gets /dev/null as stdin; wait sleeps in rt_sigsuspend. */
Test(busybox, background_wait)
{
	need_busybox();
	struct fr_result g = busybox_guest("busybox sleep 0.1 & wait $!; echo $?", "256M", true);
	TEST_ASSERT_RUN_LACKS(g, err, "unimplemented system call 130"); /* rt_sigsuspend */
	TEST_ASSERT_RUN_LACKS(g, err, "unimplemented system call 230"); /* clock_nanosleep */
	TEST_ASSERT_RUN_LACKS(g, err, "/dev/null");
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "0\n");
}

Test(busybox, file_round_trip)
{
	same_as_native("mkdir t && cd t && echo hi > f && cat f && ls && ln -s f l && cat l && "
			     "mv f g && ls && cat l 2>/dev/null; rm g l && ls && cd .. && rmdir t && "
			     "echo removed");
}

/* The guest's own tree: nothing to compare with natively. */
Test(busybox, guest_root)
{
	need_busybox();
	struct fr_result g = busybox_guest("ls /; echo hi > /tmp/f; cat /tmp/f; ls /tmp; rm /tmp/f; "
					   "ls /tmp; ls -d /dev/null /dev/shm; cat /proc/sys/kernel/pid_max; "
					   "readlink /dev/stdout; echo via >/dev/stdout; echo err >/dev/stderr",
					   "256M", false);
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "bin\ndev\nproc\ntmp\nhi\nf\n/dev/null\n/dev/shm\n32768\n"
			   "/proc/self/fd/1\nvia\n");
	TEST_ASSERT_RUN_EQ(g, err, "err\n");
}

Test(busybox, ps_free_uptime)
{
	need_busybox();
	struct fr_result g = busybox_guest("ps; free; uptime", "256M", false);
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_MATCHES(g, out, "^ +1 +0 +(/bin/busybox|\\{exe\\}|sh|ps)");
	TEST_ASSERT_RUN_MATCHES(g, out, "^Mem: +2[0-9]{5} ");
	TEST_ASSERT_RUN_MATCHES(g, out, "up .*load average: 0.00, 0.00, 0.00$");
}

/* Filling the file system: ENOSPC, and the system goes on, the space back
 * once the file is removed. */
Test(busybox, full_file_system)
{
	need_busybox();
	struct fr_result g = busybox_guest(
		"dd if=/dev/zero of=/tmp/big bs=4096 count=100000 2>&1 | grep -o 'No space left on device'; "
		"ls -l /tmp/big | grep -c big; rm /tmp/big; "
		"dd if=/dev/zero of=/tmp/again bs=4096 count=256 2>/dev/null && echo written again; "
		"echo hi > /tmp/f; cat /tmp/f", "24M", false);
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "No space left on device\n1\nwritten again\nhi\n");
}

/* statfs and resource limits, as LTP's library asks for them at start. */
Test(busybox, statfs_and_limits)
{
	need_busybox();
	struct fr_result g = busybox_guest("stat -f -c '%T %S' /tmp; ulimit -n; ulimit -c 0 && ulimit -c; "
					   "(ulimit -c 5; ulimit -c); ulimit -c; cat /proc/sys/kernel/tainted",
					   "256M", false);
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "tmpfs 4096\n32\n0\n5\n0\n0\n");
	TEST_ASSERT_RUN_EQ(g, err, "");
}
