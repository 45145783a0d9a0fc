/* Source lines and disassembly (vmm/observe/symbols.c, disasm.c): in the
 * verdicts, in the SIGSEGV reports and in --verify; and the libc vfork
 * wrapper check (wrapper.c) on musl's, glibc's and a broken wrapper. Every
 * expected line number is read from the source file, not written here. */
#include "common/forklab_run.h"
#include "common/source.h"
#include "observe/disasm.h"
#include "run/config.h"

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The verdict's listing: FL_DISASM_AROUND lines "forklab:   => 0x... <fn+0x...>:",
 * one of them marked, at the verdict's rip. Returns the marked line's index,
 * lines[] gets each line's start. */
static int assert_listing(const struct fr_result *r, const char **lines)
{
	uint64_t rip, at;
	const char *p = strstr(r->err, "forklab: rip=0x");
	TEST_ASSERT_RUN(p && sscanf(p, "forklab: rip=%" SCNx64, &rip) == 1 ? NULL :
			fr_explain(r, "no \"forklab: rip=\" line"));
	int n = 0, marked = -1;
	for (p = r->err; (p = strstr(p, "\nforklab:   ")); p++) {
		bool mark = !strncmp(p + 12, "=> 0x", 5);
		if (!mark && strncmp(p + 12, "   0x", 5))
			continue;
		TEST_ASSERT_RUN(n < FL_DISASM_AROUND ? NULL : fr_explain(r, "more than %d code lines",
									 FL_DISASM_AROUND));
		if (mark) {
			TEST_ASSERT_RUN(marked < 0 ? NULL : fr_explain(r, "two lines marked =>"));
			TEST_ASSERT_EQ(sscanf(p + 15, "0x%" SCNx64, &at), 1);
			TEST_ASSERT_EQ(at, rip, "the marked instruction is rip's");
			marked = n;
		}
		lines[n++] = p + 1;
	}
	TEST_ASSERT_RUN(n == FL_DISASM_AROUND && marked >= 0 ? NULL :
			fr_explain(r, "%d code lines (marked: %d), expected %d with one marked", n,
				   marked, FL_DISASM_AROUND));
	return marked;
}

/* panic() reports its own return address: the verdict names the call's line
 * and shows the call just before the marked instruction. */
Test(symbols, panic_source_line_and_code)
{
	struct fr_result r = FORKLAB("run", "--append", "test.panic", "hello");
	TEST_ASSERT_RUN_STATUS(r, FL_EXIT_VERDICT);
	char re[256];
	snprintf(re, sizeof re, "^forklab: rip is the return address of panic's call at "
		 "[a-z_]+\\+0x[0-9a-f]+ \\(guest-kernel/kernel/main\\.c:%d\\)$",
		 source_line("guest-kernel/kernel/main.c", "panic(\"test.panic"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	const char *lines[FL_DISASM_AROUND];
	int at = assert_listing(&r, lines);
	TEST_ASSERT(at > 0, "an instruction before rip is shown");
	const char *nl = strchr(lines[at - 1], '\n');
	TEST_ASSERT_RUN(memmem(lines[at - 1], nl - lines[at - 1], "call", 4) &&
			memmem(lines[at - 1], nl - lines[at - 1], "<panic_regs+0>", 14) ? NULL :
			fr_explain(&r, "the line before rip is not the call to panic_regs"));
}

/* A kernel page fault reports the faulting instruction itself. */
Test(symbols, kernel_fault_source_line_and_code)
{
	struct fr_result r = FORKLAB("run", "--append", "test.fault", "hello");
	TEST_ASSERT_RUN_STATUS(r, FL_EXIT_VERDICT);
	char re[256];
	snprintf(re, sizeof re, "^forklab: rip is [a-z_]+\\+0x[0-9a-f]+ \\(guest-kernel/kernel/main\\.c:%d\\)$",
		 source_line("guest-kernel/kernel/main.c", "*p = 0;"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	const char *lines[FL_DISASM_AROUND];
	assert_listing(&r, lines);
}

/* A user program's fault: the line in its own source (built with -g). */
Test(symbols, sigsegv_source_line)
{
	struct fr_result r = FORKLAB("run", "fault");
	TEST_ASSERT_RUN_STATUS(r, 128 + 11);
	char re[256];
	snprintf(re, sizeof re, "^forklab:   rip is main\\+0x[0-9a-f]+ \\(guest-user/fault\\.c:%d\\)$",
		 source_line("guest-user/fault.c", "*p = 42;"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* --verify fork-demo: every address in the kernel's image checked has its
 * symbol and source line, on stderr and in the JSON; user addresses their
 * symbol (musl's own code has no debug info). Kernel stacks are in the
 * direct map (kernel/fork.c), no object of the image: their addresses are
 * bare. */
Test(symbols, verify_fork_demo)
{
	char dir[] = "/tmp/fl-symbols-XXXXXX", json[64], opt[96];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(json, sizeof json, "%s/checks.jsonl", dir);
	snprintf(opt, sizeof opt, "--verify=%s", json);
	struct fr_result r = FORKLAB("run", "--timeout", "120", opt, "fork-demo");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 PASS thread\\.ip +expected 0x[0-9a-f]+ +actual "
				"0x[0-9a-f]+ +at ret_from_fork\\+0 \\(guest-kernel/arch/x86/entry\\.S:[0-9]+\\)$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 PASS frame\\.address +expected 0xffff888[0-9a-f]+ +"
				"actual 0xffff888[0-9a-f]+$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 PASS parent\\.rip +expected 0x[0-9a-f]+ +actual "
				"0x[0-9a-f]+ +at [A-Za-z_]+\\+0x[0-9a-f]+$");

	/* Every line with a kernel address: each ends with its source line. */
	regex_t with_line;
	TEST_ASSERT_EQ(regcomp(&with_line, " at [a-z_]+\\+(0|0x[0-9a-f]+) \\(guest-kernel/[a-z0-9_/]+\\.[cS]:[0-9]+\\)$",
			       REG_EXTENDED | REG_NOSUB), 0);
	int kernel_lines = 0;
	for (char *p = r.err, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = 0;
		if (strstr(p, "actual 0xffffffff8")) {
			kernel_lines++;
			TEST_ASSERT(regexec(&with_line, p, 0, NULL, 0) == 0, "no source line: %s", p);
		}
		*nl = '\n';
	}
	regfree(&with_line);
	TEST_ASSERT_EQ(kernel_lines, 1, "thread.ip (frame.address, thread.sp/sp0 and tss.rsp0 are "
		       "on the kernel stack)");

	size_t len;
	char *lines = fr_slurp(json, &len);
	int objects = count(lines, "\n");
	TEST_ASSERT_EQ(count(lines, "\"expected_at\":"), objects, "expected_at in every object");
	TEST_ASSERT_EQ(count(lines, "\"actual_at\":"), objects, "actual_at in every object");
	TEST_ASSERT(strstr(lines, "\"check\":\"thread.ip\",") &&
		    strstr(lines, "\"actual_at\":\"ret_from_fork+0 (guest-kernel/arch/x86/entry.S:"),
		    "thread.ip's actual_at in the JSON:\n%s", lines);
	free(lines);
	unlink(json);
	rmdir(dir);
}

/* ---- the libc vfork wrapper check ---- */

static void assert_wrapper_passes(const char *program, const char *reg, const char *leaves)
{
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", program);
	TEST_ASSERT_RUN_STATUS(r, 0);
	char re[320];
	snprintf(re, sizeof re, "^verify: #1 PASS vfork\\.wrapper +expected return address in a register "
		 "actual in %%%s, pushed back on both paths +at [a-z_]+\\+0x[0-9a-f]+$", reg);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	snprintf(re, sizeof re, "^verify: #1   => 0x[0-9a-f]+ <[a-z_]+\\+0>:  [0-9a-f ]+ popq %%%s    "
		 "<- return address popped$", reg);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	snprintf(re, sizeof re, "^verify: #1   => .* syscall    <- return address in %%%s, not on the stack$", reg);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	snprintf(re, sizeof re, "^verify: #1   => .* pushq %%%s    <- pushed back \\(parent, child\\)$", reg);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	snprintf(re, sizeof re, "^verify: #1   => .*    <- %s \\(parent, child\\)$", leaves);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	TEST_ASSERT_RUN_LACKS(r, err, " FAIL ");
}

/* musl: pop %rdx, syscall, push %rdx, then a tail jump to __syscall_ret. */
Test(wrapper, musl)
{
	assert_wrapper_passes("vfork-demo", "rdx", "leaves with it on top of the stack");
}

/* glibc (seed 002's listing): pop %rdi, syscall, push %rdi, ret. */
Test(wrapper, glibc)
{
	assert_wrapper_passes("vfork-glibc", "rdi", "returns through it");
}

/* A wrapper that keeps its return address on the shared stack: the check
 * fails and says where, and without --verify the parent really does return
 * through the slot the child overwrote (to the child's _exit(127)). */
Test(wrapper, broken)
{
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", "vfork-broken");
	TEST_ASSERT_RUN_STATUS(r, FL_EXIT_VERIFY);
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 FAIL vfork\\.wrapper +expected return address in a "
				"register actual its return address stays on the shared stack, at \\[rsp\\+0\\], "
				"across the syscall, in no register +at broken_vfork\\+0x[0-9a-f]+$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1   => 0x[0-9a-f]+ <broken_vfork\\+0x[0-9a-f]+>:  0f 05 +"
				"syscall    <- return address left on the stack, in no register$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1   => .* retq    <- pops the slot the child shares "
				"\\(parent, child\\)$");
	TEST_ASSERT_EQ(count(r.err, " FAIL "), 1, "only vfork.wrapper fails:\n%s", r.err);
	TEST_ASSERT_RUN_LACKS(r, out, "vfork child exited");

	struct fr_result plain = FORKLAB("run", "vfork-broken");
	TEST_ASSERT_RUN_STATUS(plain, 127);
	TEST_ASSERT_RUN_EQ(plain, out, "hello from forklab\n");
}
