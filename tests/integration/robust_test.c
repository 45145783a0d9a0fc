/* Issue 12: no user program ends the VM or hangs the kernel, and hostile code
 * gets Linux's answers. Each case is a command of guest-user/robust.c, which
 * runs it in a child and prints how the child ended; most run natively too,
 * and the two outputs must be equal (in the nested bed, "natively" is the
 * bed's own Debian kernel on the same emulated CPU).
 *
 * Some answers are Linux's without a native run to compare, and are written
 * down here instead:
 * - 32-bit code: forklab has no compat system calls, so its model is Linux
 *   with IA32 emulation off, whose entries refuse (entry_SYSCALL32_ignore,
 *   SYSENTER_CS 0, no int $0x80 gate). The bed's Linux has it on, and this
 *   project's PVM-guest hosts refuse the far return into 32-bit code at all.
 * - A non-canonical RSP entering the kernel: the PVM-guest Linux of this
 *   project's machines kills such a process with SIGSEGV; Linux on hardware
 *   (and the bed's) does not, since iretq and sysret load any RSP (Linux's
 *   tools/testing/selftests/x86/sigreturn.c round-trips 0x8badf00d5aadc0de
 *   through IRET). On hardware KVM forklab does as hardware Linux does; on
 *   PVM it kills a task before returning to user mode with such an RSP
 *   (guest-kernel/arch/x86/host.c). */
#include "common/forklab_run.h"
#include "common/low_program.h"
#include "common/native.h"
#include "kvm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROBUST "build/guest/robust"

/* `forklab run -v --timeout SECS robust ARGS...`. */
static struct fr_result guest(unsigned secs, const char *const *args)
{
	static char timeout[16];
	const char *av[32] = { "run", "-v", "--timeout", timeout, "robust" };
	int n = 5;
	snprintf(timeout, sizeof timeout, "%u", secs);
	for (int i = 0; args[i]; i++) {
		TEST_ASSERT(n < 31, "guest: too many arguments");
		av[n++] = args[i];
	}
	av[n] = NULL;
	struct fr_opts o = { .guard_s = secs + 60 };
	return fr_run(&o, av);
}
#define GUEST(secs, ...) guest((secs), (const char *const[]){ __VA_ARGS__, NULL })

static struct native native(const char *const *args)
{
	char *av[32] = { ROBUST };
	int n = 1;
	TEST_ASSERT(access(ROBUST, X_OK) == 0, ROBUST ": %s (build with `make all`)", strerror(errno));
	for (int i = 0; args[i]; i++)
		av[n++] = (char *)args[i];
	av[n] = NULL;
	return native_run_argv(av, NULL);
}
#define NATIVE(...) native((const char *const[]){ __VA_ARGS__, NULL })

/* The kernel is alive after the run: the program itself ended with 0, and
 * no verdict (panic, emulation failure, timeout) was given. */
static void assert_survived(const struct fr_result *g)
{
	TEST_ASSERT_RUN(fr_check_contains(g, "guest stderr", g->err, g->err_len, "kernel panic", false));
	TEST_ASSERT_RUN(fr_check_contains(g, "guest stderr", g->err, g->err_len, "forklab: timeout",
					  false));
	TEST_ASSERT_RUN(fr_check_status(g, 0));
}

/* The same commands natively and in the guest: the same stdout and status.
 * Returns the guest's run. */
static struct fr_result differential(unsigned secs, const char *const *args)
{
	struct native n = native(args);
	struct fr_result g = guest(secs, args);
	TEST_ASSERT_RUN(n.r.out_len ? NULL : fr_explain(&n.r, "the native run printed nothing"));
	assert_survived(&g);
	char field[1200];
	snprintf(field, sizeof field, "guest stdout, expected to be the native run's (%s)", n.r.cmd);
	TEST_ASSERT_RUN(fr_check_eq(&g, field, g.out, g.out_len, n.r.out, n.r.out_len));
	TEST_ASSERT_RUN(g.status == n.r.status ? NULL :
			fr_explain(&g, "exit status: native %d (%s), guest %d", n.r.status, n.r.cmd,
				   g.status));
	return g;
}
#define DIFFERENTIAL(secs, ...) differential((secs), (const char *const[]){ __VA_ARGS__, NULL })

/* The host CPU's vendor, as the guest's CPUID reports it (KVM passes it on). */
static bool cpu_is_intel(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	bool intel = false;
	TEST_ASSERT(f, "/proc/cpuinfo: %s", strerror(errno));
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "vendor_id", 9)) {
			intel = strstr(line, "GenuineIntel") != NULL;
			break;
		}
	fclose(f);
	return intel;
}

/* This host's kind, by the VMM's own probe. */
static bool on_pvm(void)
{
	struct fl_vm vm;
	char err[256];
	TEST_ASSERT_EQ(fl_vm_create(&vm, 16UL << 20, err, sizeof err), 0, "%s", err);
	bool pvm = vm.host_kind == FL_HOST_PVM;
	fl_vm_destroy(&vm);
	return pvm;
}

/* High 1: the 32-bit ways into the kernel. A compat `syscall` entered ring 0
 * at CSTAR = 0 and panicked the kernel; Linux without IA32 emulation returns
 * -ENOSYS (AMD; Intel CPUs have no compat `syscall`: #UD, SIGILL). The
 * issue's reproducer is the first (eax = 1, exit on a 32-bit kernel). */
Test(robust, compat_entries)
{
	struct fr_result g = GUEST(60, "compat-syscall", "1", "compat-syscall", "compat-int80",
				   "compat-sysenter", "int80");
	assert_survived(&g);
	bool intel = cpu_is_intel();
	const char *syscall = intel ? "compat syscall: killed by SIGILL\n"
				    : "returned -38\ncompat syscall: exit 0\n";
	char want[512];
	snprintf(want, sizeof want, "%s%s", syscall, syscall);
	TEST_ASSERT_RUN(fr_check_contains(&g, "guest stdout", g.out, g.out_len, want, true));
	TEST_ASSERT_RUN_CONTAINS(g, out, "compat int $0x80: killed by SIGSEGV\n");
	TEST_ASSERT_RUN_CONTAINS(g, out, "int $0x80: killed by SIGSEGV\n");
	/* SYSENTER_CS 0: #GP on Intel (SIGSEGV); AMD has no sysenter in long
	 * mode (#UD, SIGILL); QEMU's TCG gives #GP on both. */
	TEST_ASSERT_RUN_MATCHES(g, out, "^compat sysenter: killed by (SIGSEGV|SIGILL)$");
	TEST_ASSERT_RUN_LINES(g, out, intel ? 5 : 7);
}

/* High 3: a fetch from a present page without execute right faulted for
 * ever (handle_mm_fault found the page present and retried); Linux gives
 * SIGSEGV. Both a page present before the fetch and one the fetch itself
 * brings in. */
Test(robust, exec_nx_page) { DIFFERENTIAL(30, "nx-exec", "exec-data"); }

/* Medium 8: PROT_NONE revokes pages already present, for user reads and
 * writes and for the kernel's own accesses (EFAULT), keeps their contents
 * for a later mprotect, and holds in a forked child. */
Test(robust, prot_none) { DIFFERENTIAL(30, "prot-none"); }

/* Low 13: `int $N` from user mode: SIGSEGV (#GP: the gate is absent or has
 * DPL 0), except int3 (SIGTRAP) and into (#OF, SIGSEGV), as on Linux. PVM
 * raised #UD (SIGILL); host.c maps it back. */
Test(robust, int_n) { DIFFERENTIAL(30, "int-n"); }

/* Medium 5: futex keys survive copy-on-write. With keys by physical frame,
 * the thread's exit moved its descriptor's word to a new frame before the
 * wake, which then found nobody, and pthread_join slept for ever. */
Test(robust, futex_after_cow) { DIFFERENTIAL(20, "futex-cow"); }

/* An orphan's exit signal becomes SIGCHLD when pid 1 adopts it: one made
 * with SIGKILL killed pid 1 (sysfuzz's long runs then spun without their
 * watchdog), and one with SIGSTOP stopped it. */
Test(robust, orphan_exit_signal) { DIFFERENTIAL(20, "orphan-signal"); }

/* execve with an empty argv: argc 1 and an empty argv[0], as Linux has
 * given since 5.18 (the LTP's execve06). */
Test(robust, exec_with_empty_argv) { DIFFERENTIAL(20, "argc-zero"); }

/* Exit signals 65-255 (clone's CSIGNAL takes them) are not sent: sent, one
 * overran the parent's siginfo slots into the next task (sysfuzz's panics
 * at a group_leader of 0xb, a SIGCHLD's status). */
Test(robust, exit_signal_past_64) { DIFFERENTIAL(20, "bad-exit-signal"); }

/* The zero word's reader: glibc's tunables parser walks past the last
 * string of the initial stack, and without the word ran off its top
 * (SIGSEGV at 0x7ffffffff000), the reproducer. */
Test(robust, glibc_tunables)
{
	struct fr_result g = FORKLAB("run", "--timeout", "60", "-e",
				     "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2", "avx-copy");
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_MATCHES(g, out, ": ok$");
}

/* Medium 4: a running program's execve of a file the rules refuse
 * (forklab/elf_rules.h) fails with ENOEXEC, before the point of no return. */
Test(robust, exec_refused_elf, .fini = fr_tmp_cleanup)
{
	char pack[512];
	snprintf(pack, sizeof pack, "%s:/low", fr_low_program());
	struct fr_result g = FORKLAB("run", "--pack", pack, "robust", "exec=/low");
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "execve /low: Exec format error\n");
}

/* Medium 4: .bss is demand-zero. A 512 MiB one (twice the guest's RAM) ran
 * the kernel out of memory while it cleared every page, then panicked. */
Test(robust, lazy_bss)
{
	struct fr_result g = FORKLAB("run", "--timeout", "30", "bigbss");
	TEST_ASSERT_RUN_STATUS(g, 0);
	TEST_ASSERT_RUN_EQ(g, out, "512 MiB .bss, 9 pages touched: 1 2\n");
	TEST_ASSERT_RUN(g.secs < 10 ? NULL : fr_explain(&g, "took %.1f s, expected well under 10", g.secs));
}

/* Low 13: the initial stack ends with a zero word above AT_EXECFN's string. */
Test(robust, stack_top) { DIFFERENTIAL(30, "stack-top"); }

/* High 2: a non-canonical RSP. On hardware as on Linux: a clone child given
 * such a stack runs (this one only exits), a spinning process keeps running
 * through timer ticks, system calls work, and a push faults (#SS: SIGBUS;
 * QEMU's TCG raises #GP: SIGSEGV, natively too). On PVM the host fails any
 * entry with such an RSP, so the kernel kills the clone child with SIGSEGV
 * before it runs, and the cases that enter the kernel from such an RSP are
 * not run (host.c). */
Test(robust, noncanonical_stack)
{
	if (on_pvm()) {
		struct fr_result g = GUEST(30, "clone-nc-stack");
		assert_survived(&g);
		TEST_ASSERT_RUN_EQ(g, out, "the child was killed by SIGSEGV\n"
				   "clone with a non-canonical stack: exit 0\n");
		return;
	}
	struct fr_result g = DIFFERENTIAL(60, "clone-nc-stack", "spin-nc-rsp", "syscall-nc-rsp",
					  "push-nc-rsp");
	/* What Linux on hardware does, whatever the native run says. */
	TEST_ASSERT_RUN_CONTAINS(g, out, "the child exited 7\n"
				 "clone with a non-canonical stack: exit 0\n"
				 "spun with a non-canonical rsp for 200 ms\n"
				 "spin with a non-canonical rsp: exit 0\n"
				 "getpid with a non-canonical rsp: the pid\n"
				 "syscalls with a non-canonical rsp: exit 9\n");
	TEST_ASSERT_RUN_MATCHES(g, out, "^push with a non-canonical rsp: killed by (SIGBUS|SIGSEGV)$");
}
