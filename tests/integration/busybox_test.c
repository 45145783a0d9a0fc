/* Debian's busybox sh (glibc-static, /bin/busybox), a program no one here
 * wrote: each script runs natively, as NATIVE_UID in a scratch directory,
 * and as pid 1 in the guest, and stdout, stderr and the exit status must be
 * the same. Applets run without a PATH lookup (busybox's standalone shell),
 * so both sides run the same code. */
#include "common/forklab_run.h"
#include "common/native.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define BUSYBOX "/bin/busybox"

static void same_as_native(const char *script)
{
	char *const av[] = { BUSYBOX, "sh", "-c", (char *)script, NULL };
	struct native n = native_run_argv(av, native_scratch_dir());
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

Test(busybox_sh, pipeline_of_six_stages)
{
	same_as_native("echo 'e d c b a' | tr ' ' '\\n' | sort | head -n 4 | sort -r | tr -d '\\n'; echo");
}

Test(busybox_sh, command_substitution)
{
	same_as_native("x=$(echo hi | tr a-z A-Z); y=`echo $x$x`; echo \"$x $y $(echo $(echo nested))\"");
}

Test(busybox_sh, subshells)
{
	same_as_native("(echo in; exit 3); echo status $?; x=1; (x=2; echo inner $x); echo outer $x; "
		       "echo $( (echo a; echo b) | wc -l)");
}

Test(busybox_sh, here_documents)
{
	same_as_native("cat <<EOF\nline $((1+2))\nEOF\ncat <<'EOF'\n$HOME\nEOF\nwc -c <<EOF\n12345\nEOF");
}

Test(busybox_sh, redirections_to_and_from_files)
{
	same_as_native("echo one > f; echo two >> f; cat < f; wc -l < f; cat f nosuch 2>err >out; "
		       "echo $?; cat out err; rm f out err; cat f 2>&1; echo $?");
}

Test(busybox_sh, exec)
{
	same_as_native("exec 3>&1; echo to3 >&3; exec echo replaced; echo not reached");
}

Test(busybox_sh, dev_null_and_sleep_applet)
{
	same_as_native("cat </dev/null; sleep 0.1; echo slept; ls / >/dev/null && echo listed");
}

Test(busybox_sh, background_jobs_wait_and_kill)
{
	same_as_native("sleep 0.1 & wait $!; echo $?; sleep 5 & kill %1; wait %1; echo $?");
}

Test(busybox_sh, traps_usr1_int_chld_exit)
{
	same_as_native("trap 'echo usr1' USR1; kill -USR1 $$; trap 'echo int' INT; kill -INT $$; "
		       "trap 'echo chld' CHLD; true & wait; trap 'echo exit' EXIT; echo end");
}
