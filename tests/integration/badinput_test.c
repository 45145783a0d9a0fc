/* Bad input and bad hosts: forklab exits 2 before any guest runs, prints
 * nothing on stdout and one line on stderr that names the problem. */
#include "common/forklab_run.h"
#include "common/low_program.h"

#include <forklab/abi.h>

#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/securebits.h>

#define TEST_ASSERT_REJECTED(r, phrase)                      \
	do {                                            \
		TEST_ASSERT_RUN_STATUS(r, 2);                    \
		TEST_ASSERT_RUN_EQ(r, out, "");                  \
		TEST_ASSERT_RUN_LINES(r, err, 1);                \
		TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: ");   \
		TEST_ASSERT_RUN_CONTAINS(r, err, phrase);        \
	} while (0)

/* Runs `forklab run [--kernel KERNEL] PROGRAM` and expects "forklab: SUBJECT: WHY". */
static void rejected(const char *kernel, const char *program, const char *subject, const char *why)
{
	struct fr_result r = kernel ? FORKLAB("run", "--kernel", kernel, program)
				    : FORKLAB("run", program);
	char line[4096];
	snprintf(line, sizeof line, "forklab: %s: %s\n", subject, why);
	TEST_ASSERT_REJECTED(r, line);
}

static char *kernel_subject(const char *path)
{
	char *s;
	TEST_ASSERT(asprintf(&s, "kernel %s", path) > 0);
	return s;
}

TestSuite(badinput, .fini = fr_tmp_cleanup);

/* ---- the program ---- */

Test(badinput, unknown_program)
{
	struct fr_result r = FORKLAB("run", "no-such-program");
	TEST_ASSERT_REJECTED(r, "unknown program 'no-such-program': not a built-in");
}

Test(badinput, missing_path)
{
	rejected(NULL, "/nonexistent/program", "/nonexistent/program", "No such file or directory");
}

Test(badinput, directory)
{
	rejected(NULL, "/tmp", "/tmp", "not a regular file");
}

Test(badinput, empty_file)
{
	char *p = fr_tmpfile("empty", "", 0);
	rejected(NULL, p, p, "empty file");
}

Test(badinput, not_elf)
{
	static const char script[] = "#!/bin/sh\necho hello\n";
	char *p = fr_tmpfile("script", script, sizeof script - 1);
	rejected(NULL, p, p, "not an ELF file");
}

Test(badinput, dynamically_linked)
{
	rejected(NULL, "/bin/sh", "/bin/sh", "dynamically linked: forklab runs static programs");
}

/* Just the identification and header of an i386 executable. */
/* Issue 12: a program the kernel's execve refuses ended in a kernel-death
 * verdict (125, "cannot run init"); now the host names the rule. */
Test(badinput, program_below_64k)
{
	char *p = fr_low_program();
	rejected(NULL, p, p, "segment 0 loads below 64 KiB (the first pages stay unmapped)");
}

Test(badinput, elf32)
{
	Elf32_Ehdr h = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = 0x8048000, .e_ehsize = sizeof h,
	};
	char *p = fr_tmpfile("i386", &h, sizeof h);
	rejected(NULL, p, p, "not a 64-bit ELF file");
}

/* A real static program relabelled as AArch64: only e_machine is wrong. */
Test(badinput, not_x86_64)
{
	size_t len;
	Elf64_Ehdr *h = fr_slurp("build/guest/hello", &len);
	h->e_machine = EM_AARCH64;
	char *p = fr_tmpfile("aarch64", h, len);
	rejected(NULL, p, p, "not an x86-64 ELF file");
}

/* ---- the kernel ---- */

/* Cut inside the first loadable segment: part of the kernel's code is missing. */
Test(badinput, kernel_truncated_segment)
{
	size_t len;
	char *k = fr_slurp("build/kernel.elf", &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)k;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(k + eh->e_phoff);
	int i = 0;
	while (i < eh->e_phnum && ph[i].p_type != PT_LOAD)
		i++;
	TEST_ASSERT(i < eh->e_phnum, "build/kernel.elf has no PT_LOAD");
	char *p = fr_tmpfile("kernel-cut", k, ph[i].p_offset + ph[i].p_filesz / 2);
	char why[64];
	snprintf(why, sizeof why, "segment %d extends past the end of the file", i);
	rejected(p, "hello", kernel_subject(p), why);
}

/* A copy that lost its last byte: the segments are whole, but the section
 * header table, which ends the file, is cut, and with it the symbol table
 * the verdicts read the running pid through. Corrupt, not stripped. */
Test(badinput, kernel_truncated_by_one_byte)
{
	size_t len;
	char *k = fr_slurp("build/kernel.elf", &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)k;
	TEST_ASSERT(eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize == len,
		    "build/kernel.elf no longer ends with its section header table");
	char *p = fr_tmpfile("kernel-short", k, len - 1);
	struct fr_result r = FORKLAB("run", "--kernel", p, "hello");
	char prefix[4096];
	snprintf(prefix, sizeof prefix, "forklab: kernel %s: ", p);
	TEST_ASSERT_REJECTED(r, prefix);
	TEST_ASSERT_RUN_MATCHES(r, err, "past the end of the file$");
}

Test(badinput, kernel_truncated_header)
{
	size_t len;
	void *k = fr_slurp("build/kernel.elf", &len);
	char *p = fr_tmpfile("kernel-40", k, 40);
	rejected(p, "hello", kernel_subject(p), "truncated ELF header");
}

Test(badinput, kernel_not_elf)
{
	static const char text[] = "not a kernel\n";
	char *p = fr_tmpfile("kernel.txt", text, sizeof text - 1);
	rejected(p, "hello", kernel_subject(p), "not an ELF file");
}

Test(badinput, kernel_missing)
{
	rejected("/nonexistent/kernel.elf", "hello", "kernel /nonexistent/kernel.elf",
		 "No such file or directory");
}

/* A valid x86-64 ELF executable, but linked for user space. */
Test(badinput, kernel_is_user_program)
{
	struct fr_result r = FORKLAB("run", "--kernel", "build/guest/hello", "hello");
	TEST_ASSERT_REJECTED(r, "forklab: kernel build/guest/hello: ");
	TEST_ASSERT_RUN_MATCHES(r, err, ": not a forklab kernel$");
}

/* ---- options ---- */

static void bad_option(const char *opt, const char *value, const char *phrase)
{
	struct fr_result r = value ? FORKLAB("run", opt, value, "hello") : FORKLAB("run", opt);
	TEST_ASSERT_REJECTED(r, phrase);
}

Test(badinput, mem_not_a_size)
{
	bad_option("--mem", "abc", "forklab: --mem abc: not a size such as 256M or 1G (at most 3G)\n");
}

Test(badinput, mem_below_minimum)
{
	bad_option("--mem", "8M", "forklab: --mem 8M is too small: forklab needs at least 16M\n");
}

Test(badinput, mem_above_maximum)
{
	bad_option("--mem", "4G", "forklab: --mem 4G: not a size such as 256M or 1G (at most 3G)\n");
}

/* Issue 12: 17179869187G times 2^30 wrapped to 3 GiB, and booted. */
Test(badinput, mem_overflow)
{
	bad_option("--mem", "17179869187G",
		   "forklab: --mem 17179869187G: not a size such as 256M or 1G (at most 3G)\n");
}

/* Issue 12: past about 1 KB, --append was cut silently. */
Test(badinput, append_too_long)
{
	char arg[FL_APPEND_MAX + 2];
	memset(arg, 'x', sizeof arg - 1);
	arg[sizeof arg - 1] = 0;
	char want[128];
	snprintf(want, sizeof want, "forklab: --append: too long: %d bytes (at most %d)\n",
		 FL_APPEND_MAX + 1, FL_APPEND_MAX);
	bad_option("--append", arg, want);
}

Test(badinput, timeout_negative)
{
	bad_option("--timeout", "-1", "forklab: --timeout -1: not a whole number of seconds");
}

Test(badinput, timeout_not_a_number)
{
	bad_option("--timeout", "x", "forklab: --timeout x: not a whole number of seconds");
}

Test(badinput, unknown_option)
{
	bad_option("--bogus", "x", "forklab: run: unknown or incomplete option '--bogus'");
}

Test(badinput, option_without_value)
{
	bad_option("--mem", NULL, "forklab: run: unknown or incomplete option '--mem'");
}

Test(badinput, env_without_equals)
{
	bad_option("-e", "FOO", "forklab: -e FOO: not NAME=VALUE");
}

Test(badinput, env_without_name)
{
	bad_option("-e", "=x", "forklab: -e =x: not NAME=VALUE");
}

Test(badinput, cwd_relative)
{
	bad_option("--cwd", "tmp", "forklab: --cwd tmp: not an absolute guest path");
}

Test(badinput, cwd_dotdot)
{
	bad_option("--cwd", "/tmp/../etc", "forklab: --cwd /tmp/../etc: not an absolute guest path");
}

Test(badinput, append_unknown_fork_mode)
{
	bad_option("--append", "fork=sharde", "forklab: --append fork=sharde: fork= takes copy or shared");
}

Test(badinput, pack_missing_host_path)
{
	bad_option("--pack", "/nonexistent/forklab-pack",
		   "forklab: --pack /nonexistent/forklab-pack: No such file or directory");
}

Test(badinput, pack_relative_guest_path)
{
	bad_option("--pack", "/etc/passwd:/data/../x",
		   "forklab: --pack /data/../x: the guest path must be absolute");
}

Test(badinput, no_program)
{
	struct fr_result r = FORKLAB("run");
	TEST_ASSERT_REJECTED(r, "forklab: run: no PROGRAM given");
}

/* Issue 12: `forklab run ''` said "build/guest/: not a regular file". */
Test(badinput, empty_program)
{
	struct fr_result r = FORKLAB("run", "");
	TEST_ASSERT_REJECTED(r, "forklab: run: the PROGRAM name is empty (see 'forklab list')\n");
}

Test(badinput, dot_program)
{
	struct fr_result r = FORKLAB("run", "..");
	TEST_ASSERT_REJECTED(r, "forklab: unknown program '..': not a built-in");
}

/* Issue 12: a FIFO as PROGRAM or --kernel blocked for ever in open(),
 * before the timeout was armed. */
static char *fifo(void)
{
	char *p = fr_tmpfile("fifo", "", 0);
	TEST_ASSERT(unlink(p) == 0 && mkfifo(p, 0600) == 0, "mkfifo %s: %s", p, strerror(errno));
	return p;
}

Test(badinput, fifo_program)
{
	char *p = fifo();
	struct fr_opts o = { .guard_s = 20 };
	struct fr_result r = FORKLAB_WITH(o, "run", p);
	char line[512];
	snprintf(line, sizeof line, "forklab: %s: not a regular file\n", p);
	TEST_ASSERT_REJECTED(r, line);
}

Test(badinput, fifo_kernel)
{
	char *p = fifo();
	struct fr_opts o = { .guard_s = 20 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--kernel", p, "hello");
	char line[512];
	snprintf(line, sizeof line, "forklab: kernel %s: not a regular file\n", p);
	TEST_ASSERT_REJECTED(r, line);
}

/* Issue 12: the checks' record could not be written, and the run said
 * nothing. */
Test(badinput, verify_file_unwritable)
{
	struct fr_result r = FORKLAB("run", "--verify=/dev/full", "fork-demo");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: --verify=/dev/full: writing the checks failed: "
				"No space left on device$");
}

/* Issue 12: the host took 256 arguments and the kernel kept 255 of them:
 * the limit is FL_ARG_MAX strings, argv[0] included, on both sides. */
Test(badinput, too_many_arguments)
{
	const char *av[FL_ARG_MAX + 4] = { "run", "echo-args" };
	static char num[FL_ARG_MAX][8];
	for (int i = 0; i < FL_ARG_MAX; i++) {
		snprintf(num[i], sizeof num[i], "%d", i + 1);
		av[2 + i] = num[i];
	}
	struct fr_result r = fr_run(NULL, av); /* FL_ARG_MAX arguments after PROGRAM */
	char want[128];
	snprintf(want, sizeof want, "forklab: too many program arguments: %d (at most %d)\n",
		 FL_ARG_MAX, FL_ARG_MAX - 1);
	TEST_ASSERT_REJECTED(r, want);

	av[2 + FL_ARG_MAX - 1] = NULL; /* one fewer: every one arrives */
	r = fr_run(NULL, av);
	TEST_ASSERT_RUN_STATUS(r, 0);
	snprintf(want, sizeof want, "argc=%d\n", FL_ARG_MAX);
	TEST_ASSERT_RUN_CONTAINS(r, out, want);
	snprintf(want, sizeof want, "argv[%d]=%d\n", FL_ARG_MAX - 1, FL_ARG_MAX - 1);
	TEST_ASSERT_RUN_CONTAINS(r, out, want);
}

Test(badinput, arguments_too_long)
{
	static char big[FL_INIT_ARG_BYTES];
	memset(big, 'x', sizeof big - 1);
	struct fr_result r = FORKLAB("run", "echo-args", big);
	TEST_ASSERT_REJECTED(r, "forklab: program arguments and environment too long: ");
}

Test(badinput, unknown_command)
{
	struct fr_result r = FORKLAB("bogus");
	TEST_ASSERT_REJECTED(r, "forklab: unknown command 'bogus'");
}

/* hello padded with 20 MiB of zeros (ELF loading ignores bytes past the
 * segments, so it stays a valid program) cannot fit in 16M. The "need at
 * least" figure must be exact: one MiB less is refused, that much boots. */
Test(badinput, mem_too_small_for_program)
{
	size_t len;
	void *hello = fr_slurp("build/guest/hello", &len);
	char *p = fr_tmpfile("hello", hello, len);
	TEST_ASSERT(truncate(p, len + (20 << 20)) == 0, "truncate %s: %s", p, strerror(errno));

	struct fr_result r = FORKLAB("run", "--mem", "16M", p);
	TEST_ASSERT_REJECTED(r, "forklab: --mem 16M is too small for the kernel and program: need at least ");
	unsigned need = 0;
	sscanf(strstr(r.err, "need at least "), "need at least %uM", &need);
	TEST_ASSERT(need > 20 && need < 64, "unlikely --mem minimum %uM for a 20 MiB program: %s",
		    need, r.err);

	char mem[16];
	snprintf(mem, sizeof mem, "%uM", need - 1);
	r = FORKLAB("run", "--mem", mem, p);
	TEST_ASSERT_REJECTED(r, "too small for the kernel and program");
	snprintf(mem, sizeof mem, "%uM", need);
	r = FORKLAB("run", "--mem", mem, p);
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "hello from forklab\n");
	TEST_ASSERT_RUN_EQ(r, err, "");
}

/* ---- the host's /dev/kvm: set up in forklab's child, in a mount namespace
 * of its own; needs root, as in CI, and fails (not skips) without it ---- */

static int setup_failed(const char *what)
{
	dprintf(2, "test setup: %s: %s (the /dev/kvm tests need root)\n", what, strerror(errno));
	return -1;
}

static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return setup_failed("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_failed("making / private");
	return 0;
}

static int hide_dev(void *unused)
{
	if (private_mounts() < 0)
		return -1;
	if (mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
		return setup_failed("mounting a tmpfs on /dev");
	return 0;
}

/* A mode-000 file over /dev/kvm. forklab stays uid 0, so the repo stays
 * readable wherever it lives, but SECBIT_NOROOT makes exec grant it no
 * capabilities: like any user outside group kvm, it gets EACCES. */
static int deny_kvm(void *file)
{
	if (private_mounts() < 0)
		return -1;
	if (mount(file, "/dev/kvm", NULL, MS_BIND, NULL) < 0)
		return setup_failed("bind-mounting a mode-000 file on /dev/kvm");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT) < 0)
		return setup_failed("dropping root's capabilities");
	return 0;
}

Test(badinput, dev_kvm_missing)
{
	struct fr_opts o = { .setup = hide_dev };
	struct fr_result r = FORKLAB_WITH(o, "run", "hello");
	TEST_ASSERT_REJECTED(r, "forklab: /dev/kvm does not exist: load kvm (modprobe kvm_intel or kvm_amd)");
}

Test(badinput, dev_kvm_denied)
{
	char *file = fr_tmpfile("kvm", "", 0);
	TEST_ASSERT(chmod(file, 0) == 0, "chmod %s: %s", file, strerror(errno));
	struct fr_opts o = { .setup = deny_kvm, .arg = file };
	struct fr_result r = FORKLAB_WITH(o, "run", "hello");
	TEST_ASSERT_REJECTED(r, "forklab: /dev/kvm: permission denied: add yourself to group kvm");
	TEST_ASSERT_RUN_CONTAINS(r, err, "udev rule KERNEL==\"kvm\", MODE=\"0666\"");
}
