/* Boot tests: each run boots the guest kernel in a VM of its own and checks the
 * exact stdout, stderr and exit status that reach the host; and the CLI texts. */
#include "common/forklab_run.h"
#include "kvm/vm.h"
#include "observe/disasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The verdict's register line for a death in the kernel: kernel-half RIP and
 * RSP, a page-aligned CR3, CPL 0. CR2 is given as a regex. */
#define KERNEL_VERDICT(cr2) \
	"^forklab: rip=0xffffffff8[0-9a-f]{7} rsp=0xffffffff8[0-9a-f]{7} cr2=" cr2 \
	" cr3=0x[0-9a-f]*000 cpl=0 pid=(none|[0-9]+)$"

Test(run, hello)
{
	struct fr_result r = FORKLAB("run", "hello");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "hello from forklab\n");
	TEST_ASSERT_RUN_EQ(r, err, "");
}

Test(run, smallest_memory)
{
	struct fr_result r = FORKLAB("run", "--mem", "16M", "hello");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "hello from forklab\n");
	TEST_ASSERT_RUN_EQ(r, err, "");
}

static void exit_status(const char *arg, int want)
{
	struct fr_result r = FORKLAB("run", "exit-status", arg);
	TEST_ASSERT_RUN_STATUS(r, want);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_EQ(r, err, "");
}

Test(run, exit_status_0) { exit_status("0", 0); }
Test(run, exit_status_1) { exit_status("1", 1); }
Test(run, exit_status_255) { exit_status("255", 255); }

Test(run, no_args_no_stdin)
{
	struct fr_result r = FORKLAB("run", "echo-args");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "argc=1\n");
	TEST_ASSERT_RUN_EQ(r, err, "");
}

/* Arguments with a space, an empty one and option look-alikes (forklab's own
 * parsing stops at PROGRAM), then 64 KiB and a bit of stdin holding every byte
 * value: many console reads, page-crossing copies, nothing translated. */
Test(run, argv_and_stdin)
{
	static char in[64 * 1024 + 77];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)(i * 7 + (i >> 8)); /* 7 is odd: each 256 bytes take every value */
	static const char head[] = "argc=7\nargv[1]=a\nargv[2]=b c\nargv[3]=\nargv[4]=--mem\n"
				   "argv[5]=-v\nargv[6]=tab\there\n";
	static char want[sizeof head - 1 + sizeof in];
	memcpy(want, head, sizeof head - 1);
	memcpy(want + sizeof head - 1, in, sizeof in);

	struct fr_opts o = { .in = in, .in_len = sizeof in };
	struct fr_result r = FORKLAB_WITH(o, "run", "echo-args", "a", "b c", "", "--mem", "-v",
					  "tab\there");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, want, sizeof want);
	TEST_ASSERT_RUN_EQ(r, err, "");
}

Test(run, stdout_and_stderr_apart)
{
	struct fr_result r = FORKLAB("run", "stdio-split");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "out: first\nout: second\n");
	TEST_ASSERT_RUN_EQ(r, err, "err: first\nerr: second\n");
}

Test(run, user_fault_kills_pid1)
{
	struct fr_result r = FORKLAB("run", "fault");
	TEST_ASSERT_RUN_STATUS(r, 128 + 11);
	TEST_ASSERT_RUN_EQ(r, out, "about to fault\n"); /* and no "still alive?" */
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: pid 1 killed by SIGSEGV at rip=0x[0-9a-f]+ addr=0$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab:   rip is main\\+0x[0-9a-f]+ \\(guest-user/fault\\.c:[0-9]+\\)$");
	TEST_ASSERT_RUN_LINES(r, err, 2);
}

Test(run, kernel_panic)
{
	struct fr_result r = FORKLAB("run", "--append", "test.panic", "hello");
	TEST_ASSERT_RUN_STATUS(r, 125);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: kernel panic: test\\.panic");
	TEST_ASSERT_RUN_MATCHES(r, err, KERNEL_VERDICT("(0|0x[0-9a-f]+)"));
	TEST_ASSERT_RUN_LINES(r, err, 3 + FL_DISASM_AROUND); /* where, then the code (symbols_test.c) */
}

Test(run, kernel_page_fault)
{
	struct fr_result r = FORKLAB("run", "--append", "test.fault", "hello");
	TEST_ASSERT_RUN_STATUS(r, 125);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: kernel panic: page fault in the kernel at address 0x0 ");
	TEST_ASSERT_RUN_MATCHES(r, err, KERNEL_VERDICT("0"));
	TEST_ASSERT_RUN_LINES(r, err, 3 + FL_DISASM_AROUND);
}

/* This host's kind, as forklab's own probe finds it when creating a VM. */
static enum fl_host_kind host_kind(void)
{
	struct fl_vm vm;
	char err[512];
	TEST_ASSERT_EQ(fl_vm_create(&vm, 16UL << 20, err, sizeof err), 0, "%s", err);
	enum fl_host_kind kind = vm.host_kind;
	fl_vm_destroy(&vm);
	return kind;
}

Test(run, triple_fault)
{
	/* test.triple loads an empty IDT and executes ud2: #UD, #GP, #DF, shutdown.
	 * Hardware KVM resets the vCPU, and the verdict says so; PVM keeps the
	 * registers of the fault. */
	bool reset = host_kind() == FL_HOST_KVM;
	struct fr_result r = FORKLAB("run", "--append", "test.triple", "hello");
	TEST_ASSERT_RUN_STATUS(r, 125);
	TEST_ASSERT_RUN_EQ(r, out, "");
	if (reset) {
		TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: triple fault \\(KVM_EXIT_SHUTDOWN\\) - "
					"the vCPU was reset: its registers before are lost$");
		TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: rip=0xfff0 .* cpl=0 pid=none$");
		TEST_ASSERT_RUN_LINES(r, err, 2); /* a reset vCPU's rip is no guest address */
	} else {
		TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: triple fault \\(KVM_EXIT_SHUTDOWN\\)$");
		TEST_ASSERT_RUN_MATCHES(r, err, KERNEL_VERDICT("(0|0x[0-9a-f]+)"));
		TEST_ASSERT_RUN_LINES(r, err, 3 + FL_DISASM_AROUND);
	}
}

Test(run, timeout)
{
	struct fr_result r = FORKLAB("run", "--timeout", "1", "spin");
	TEST_ASSERT_RUN_STATUS(r, 124);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: timeout: the guest ran for 1 s$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: rip=0x[0-9a-f]+ .* pid=1$");
	/* The timer starts once the guest is booted: at least 1 s, and not much
	 * more even when the VM itself runs under emulation. */
	TEST_ASSERT(r.secs >= 0.95 && r.secs < 10, "--timeout 1 took %.2f s", r.secs);
}

/* The host kind is read independently of forklab's behavioural probe: PVM is
 * a kernel module of its own. */
Test(run, verbose)
{
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	struct fr_result r = FORKLAB("run", "-v", "hello");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "hello from forklab\n");
	TEST_ASSERT_RUN_MATCHES(r, err, pvm ? "^forklab: host kind pvm \\(" : "^forklab: host kind kvm \\(");
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: inputs [0-9.]+ ms, create->first guest instruction [0-9.]+ ms, "
				"boot->init's first instruction [0-9.]+ ms, run [0-9.]+ ms, exit [0-9.]+ ms$");
}

Test(cli, help)
{
	static const char *const forms[] = { "--help", "-h", "help" };
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct fr_result r = FORKLAB(forms[i]);
		TEST_ASSERT_RUN_STATUS(r, 0);
		TEST_ASSERT_RUN_MATCHES(r, out, "^  run \\[OPTIONS\\] PROGRAM \\[ARGS...\\] ");
		TEST_ASSERT_RUN_MATCHES(r, out, "^  list ");
		TEST_ASSERT_RUN_CONTAINS(r, out, "'forklab run --help' describes the run options");
		TEST_ASSERT_RUN_EQ(r, err, "");
	}
}

Test(cli, run_help)
{
	static const char *const forms[] = { "--help", "-h" };
	static const char *const options[] = {
		"^  --mem SIZE ", "^  --timeout SECS ", "^  --kernel PATH ", "^  --append ARGS ",
		"^  -v, --verbose ", "^  -h, --help ",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct fr_result r = FORKLAB("run", forms[i]);
		TEST_ASSERT_RUN_STATUS(r, 0);
		for (size_t j = 0; j < sizeof options / sizeof options[0]; j++)
			TEST_ASSERT_RUN_MATCHES(r, out, options[j]);
		TEST_ASSERT_RUN_EQ(r, err, "");
	}
}

Test(cli, list)
{
	static const char *const used_here[] = {
		"echo-args", "exit-status", "fault", "hello", "spin", "stdio-split",
	};
	struct fr_result r = FORKLAB("list");
	TEST_ASSERT_RUN_STATUS(r, 0);
	for (size_t i = 0; i < sizeof used_here / sizeof used_here[0]; i++) {
		char re[64];
		snprintf(re, sizeof re, "^%s$", used_here[i]);
		TEST_ASSERT_RUN_MATCHES(r, out, re);
	}
	TEST_ASSERT_RUN_EQ(r, err, "");
}

/* -e: pid 1's environment is HOME=/ and TERM=linux, then each -e in order;
 * an -e of HOME or TERM replaces the default. Debian's busybox prints it. */
Test(cli, environment)
{
	struct fr_result r = FORKLAB("run", "-e", "FOO=bar baz", "-e", "TERM=dumb", "-e", "EMPTY=",
				     "/bin/busybox", "env");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "HOME=/\nFOO=bar baz\nTERM=dumb\nEMPTY=\n");
}

/* CLOCK_REALTIME starts at the host's wall clock. */
Test(cli, wall_clock)
{
	time_t before = time(NULL);
	struct fr_result r = FORKLAB("run", "/bin/busybox", "date", "+%s");
	time_t after = time(NULL);
	TEST_ASSERT_RUN_STATUS(r, 0);
	long guest = strtol(r.out, NULL, 10);
	TEST_ASSERT_RUN(guest >= before && guest <= after ? NULL :
			fr_explain(&r, "guest date +%%s %ld, expected between %ld and %ld (the host's "
				   "clock around the run)", guest, (long)before, (long)after));
}

/* --pack: a host tree lands at the guest path given, with its directories;
 * a packed program can be run from there. */
Test(cli, pack_tree)
{
	struct fr_result r = FORKLAB("run", "--pack", "build/guest:/opt/progs", "/bin/busybox", "sh",
				     "-c", "/opt/progs/echo-args x; /opt/progs/exit-status 3");
	TEST_ASSERT_RUN_STATUS(r, 3);
	TEST_ASSERT_RUN_EQ(r, out, "argc=2\nargv[1]=x\n");
}

/* --cwd: pid 1 starts there; a directory the guest lacks is bad input. */
Test(cli, working_directory)
{
	struct fr_result r = FORKLAB("run", "--pack", "build/guest:/opt/progs", "--cwd", "/opt/progs",
				     "/bin/busybox", "sh", "-c", "pwd; ls hello");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "/opt/progs\nhello\n");
	struct fr_result bad = FORKLAB("run", "--cwd", "/nonexistent", "hello");
	TEST_ASSERT_RUN_STATUS(bad, 2);
	TEST_ASSERT_RUN_EQ(bad, out, "");
	TEST_ASSERT_RUN_EQ(bad, err, "forklab: --cwd /nonexistent: no such directory in the guest\n");
}
