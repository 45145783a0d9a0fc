/* The process model as the host sees it: one boot per guest program, checking
 * its exit status and exact stdout, the kernel's reports on stderr, and the
 * kernel's counters at exit (--stats): every page allocated since init started
 * is free again once everything has exited, and fork's work is counted.
 *
 * Every run has -v, which makes the kernel report a system call it does not
 * implement: a program that gets ENOSYS where Linux would have done the work
 * (pause() returning at once, say) runs differently from the same program on
 * Linux, even when its output happens to agree. */
#include "common/forklab_run.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

/* guest-kernel/kernel/fork.c: the system-wide task limit, init included,
 * as Linux's threads-max: RAM / (8 x the 16 KiB kernel stack). */
#define FORKLAB_TASK_LIMIT(mem_mib) ((mem_mib) * 1024 / 128)

struct stats {
	unsigned long total_pages, free_pages_at_init, free_pages, forks, ptes_copied, pt_pages,
		pt_shared, pt_copies, cow_copies, cow_reuses, switches, faults, oom_kills, fork_tsc,
		copy_mm_tsc, fork_tsc_avg, copy_mm_tsc_avg;
};

#define CHECK_THAT(r, ok, ...) TEST_ASSERT_RUN((ok) ? NULL : fr_explain(&(r), __VA_ARGS__))

/* `forklab run -v --stats --timeout SECS ARGS...`; the harness gives the run a
 * minute more than its --timeout, so that forklab's own timeout report shows. */
#define BOOT(secs, ...) boot((secs), (const char *const[]){ __VA_ARGS__, NULL })

static struct fr_result boot(unsigned secs, const char *const *args)
{
	static char timeout[16];
	const char *av[32] = { "run", "-v", "--stats", "--timeout", timeout };
	int n = 5;
	snprintf(timeout, sizeof timeout, "%u", secs);
	for (int i = 0; args[i]; i++) {
		TEST_ASSERT(n < 31, "boot: too many arguments");
		av[n++] = args[i];
	}
	av[n] = NULL;
	struct fr_opts o = { .guard_s = secs + 60 };
	return fr_run(&o, av);
}

static bool matches(const char *line, const char *re)
{
	regex_t rx;
	TEST_ASSERT(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) == 0, "bad regex in the test: %s", re);
	bool m = regexec(&rx, line, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* What -v adds to stderr on every run: the kernel's boot line, its FPU mode,
 * init's path, the host kind and the timings. The timings line's wording varies; it alone
 * has times in milliseconds. */
static bool verbose_boilerplate(const char *line)
{
	return matches(line, "^forklab: [0-9]+ MiB, host ") ||
	       matches(line, "^forklab: fpu: ") ||
	       matches(line, "^forklab: pid 1 is /bin/[^ ]+$") ||
	       matches(line, "^forklab: host kind ") ||
	       matches(line, " [0-9]+\\.[0-9]+ ms");
}

static bool stats_line(const char *line)
{
	return !strncmp(line, "forklab: stats: ", 16);
}

/* The kernel's reports: stderr less the -v boilerplate and the stats line. */
static char *reports(const struct fr_result *r)
{
	char *out = calloc(1, r->err_len + 1), *at = out;
	TEST_ASSERT(out, "out of memory");
	for (const char *p = r->err; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		if (!verbose_boilerplate(line) && !stats_line(line)) {
			memcpy(at, p, len);
			at += len;
			*at++ = '\n';
		}
		free(line);
		p += len + (nl != NULL);
	}
	return out;
}

/* The reports are exactly n lines, line i matching the extended regex want[i]. */
static void assert_reports(const struct fr_result *r, int n, const char *const *want)
{
	TEST_ASSERT_RUN(fr_check_contains(r, "r.err", r->err, r->err_len, "unimplemented system call",
			false));
	char *rep = reports(r), *p = rep, *wanted;
	size_t ws;
	FILE *f = open_memstream(&wanted, &ws);
	for (int i = 0; i < n; i++)
		fprintf(f, "\n    /%s/", want[i]);
	fclose(f);
	bool ok = true;
	for (int i = 0; i < n && ok; i++) {
		char *nl = strchr(p, '\n');
		if (!nl)
			ok = false;
		else {
			*nl = 0;
			ok = matches(p, want[i]);
			*nl = '\n';
			p = nl + 1;
		}
	}
	ok = ok && !*p;
	CHECK_THAT(*r, ok, "the kernel's reports on stderr (less the -v and --stats lines): "
		   "expected %d line(s) matching, in order:%s\n  actual:\n%s", n,
		   n ? wanted : " none", *rep ? rep : "    none");
}

#define TEST_ASSERT_REPORTS(r, ...) \
	assert_reports(&(r), sizeof (const char *[]){ __VA_ARGS__ } / sizeof(const char *), \
		       (const char *const[]){ __VA_ARGS__ })
#define TEST_ASSERT_NO_REPORTS(r) assert_reports(&(r), 0, NULL)

/* The one "forklab: stats: ..." line, every counter present. */
static struct stats stats_of(const struct fr_result *r)
{
	const char *line = NULL;
	int count = 0;
	for (const char *p = r->err; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (stats_line(p))
			line = p, count++;
	CHECK_THAT(*r, count == 1, "stderr: expected one \"forklab: stats: \" line (--stats), "
		   "found %d", count);
	struct stats s;
	int end = -1;
	sscanf(line, "forklab: stats: total_pages=%lu free_pages_at_init=%lu free_pages=%lu forks=%lu "
	       "ptes_copied=%lu pt_pages=%lu pt_shared=%lu pt_copies=%lu cow_copies=%lu "
	       "cow_reuses=%lu switches=%lu faults=%lu oom_kills=%lu fork_tsc=%lu copy_mm_tsc=%lu "
	       "fork_tsc_avg=%lu copy_mm_tsc_avg=%lu%n",
	       &s.total_pages, &s.free_pages_at_init, &s.free_pages, &s.forks, &s.ptes_copied,
	       &s.pt_pages, &s.pt_shared, &s.pt_copies, &s.cow_copies, &s.cow_reuses, &s.switches,
	       &s.faults, &s.oom_kills, &s.fork_tsc, &s.copy_mm_tsc, &s.fork_tsc_avg,
	       &s.copy_mm_tsc_avg, &end);
	CHECK_THAT(*r, end > 0 && line[end] == '\n', "stderr: the stats line is not \"forklab: stats: "
		   "total_pages=N free_pages_at_init=N free_pages=N forks=N ptes_copied=N pt_pages=N "
		   "pt_shared=N pt_copies=N cow_copies=N cow_reuses=N switches=N faults=N oom_kills=N "
		   "fork_tsc=N copy_mm_tsc=N fork_tsc_avg=N copy_mm_tsc_avg=N\"");
	/* fork's cost: copy_mm is part of it, and every fork takes some. */
	CHECK_THAT(*r, s.copy_mm_tsc <= s.fork_tsc && (s.forks == 0) == (s.fork_tsc == 0) &&
		   s.fork_tsc_avg == (s.forks ? s.fork_tsc / s.forks : 0),
		   "stderr: fork_tsc=%lu copy_mm_tsc=%lu fork_tsc_avg=%lu for %lu forks", s.fork_tsc,
		   s.copy_mm_tsc, s.fork_tsc_avg, s.forks);
	return s;
}

/* Nothing leaks: once every process has exited, the free-page count is back
 * where it was when init started. */
static struct stats assert_no_leak(const struct fr_result *r)
{
	struct stats s = stats_of(r);
	CHECK_THAT(*r, s.free_pages_at_init > 0 && s.free_pages_at_init <= s.total_pages,
		   "stats: free_pages_at_init=%lu, expected 1..total_pages=%lu",
		   s.free_pages_at_init, s.total_pages);
	CHECK_THAT(*r, s.free_pages == s.free_pages_at_init,
		   "stats: free_pages=%lu at exit, expected free_pages_at_init=%lu: %ld page(s) leaked",
		   s.free_pages, s.free_pages_at_init, (long)(s.free_pages_at_init - s.free_pages));
	return s;
}

static void assert_forks(const struct fr_result *r, const struct stats *s, unsigned long want)
{
	CHECK_THAT(*r, s->forks == want, "stats: forks=%lu, expected %lu (the program's fork, "
		   "vfork and clone calls)", s->forks, want);
}

Test(process, fork_demo)
{
	struct fr_result r = BOOT(60, "fork-demo");
	TEST_ASSERT_RUN_STATUS(r, 0);
	/* Both return from fork; which prints first is the scheduler's choice. */
	TEST_ASSERT_RUN_LINES(r, out, 2);
	TEST_ASSERT_RUN_MATCHES(r, out, "^parent$");
	TEST_ASSERT_RUN_MATCHES(r, out, "^child$");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 1);
}

/* As on Linux (see differential_test.c): the vfork child returns through and
 * reuses the suspended parent's stack; exit flushes both lines; the parent
 * then returns into garbage, calls vfork again from there (that child dies of
 * a #GP: SIGSEGV, no address) and finally jumps to address 0. */
Test(process, vfork_magic)
{
	struct fr_result r = BOOT(60, "vfork-magic");
	TEST_ASSERT_RUN_STATUS(r, 128 + 11);
	TEST_ASSERT_RUN_EQ(r, out, "child proc:0\n0\n");
	TEST_ASSERT_REPORTS(r, "^forklab: pid 3 killed by SIGSEGV at rip=0x[0-9a-f]+ addr=0$",
			    "^forklab:   rip is [a-z_]+\\+0x[0-9a-f]+$",
			    "^forklab: pid 1 killed by SIGSEGV at rip=0 addr=0$",
			    "^forklab:   rip is 0$");
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 2);
}

Test(process, clone_stack)
{
	struct fr_result r = BOOT(60, "clone-stack");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "child: fs:0 is the TLS block passed to clone\n"
			   "child: running on the stack passed to clone\n"
			   "parent: child exited with 7\n");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 1);
}

Test(process, pthreads)
{
	struct fr_result r = BOOT(60, "pthreads");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "threads: 4, counter: 8000, joined sum: 8000, one process: yes\n");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 4); /* one clone per pthread_create */
	/* Threads share the mm: clone(CLONE_VM) copies no page table entries. */
	CHECK_THAT(r, s.ptes_copied == 0, "stats: ptes_copied=%lu, expected 0 for threads",
		   s.ptes_copied);
}

/* No argument: the program spawns /bin/hello, the guest's path. */
Test(process, posix_spawn)
{
	struct fr_result r = BOOT(60, "posix-spawn");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "hello from forklab\n"
			   "spawned program exited with 0\n"
			   "spawning a missing program: No such file or directory\n");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 2); /* the failed exec still cloned */
	CHECK_THAT(r, s.ptes_copied == 0, "stats: ptes_copied=%lu, expected 0: posix_spawn's "
		   "clone(CLONE_VM|CLONE_VFORK) shares the mm", s.ptes_copied);
}

/* Each kernel thread writes "kthread I: pid P started at ..." itself and exits
 * with I; init reaps the three in whatever order they end. */
Test(process, kthread)
{
	struct fr_result r = BOOT(60, "--append", "kthreads=3", "kthread");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_LINES(r, out, 7);
	int pids[4] = { 0 };
	for (int i = 1; i <= 3; i++) {
		char re[128], *at;
		snprintf(re, sizeof re, "^kthread %d: pid [0-9]+ started at ret_from_fork$", i);
		TEST_ASSERT_RUN_MATCHES(r, out, re);
		snprintf(re, sizeof re, "kthread %d: pid ", i);
		at = strstr(r.out, re);
		pids[i] = atoi(at + strlen(re));
		CHECK_THAT(r, pids[i] > 1, "kthread %d: pid %d, expected a pid above init's", i, pids[i]);
		for (int j = 1; j < i; j++)
			CHECK_THAT(r, pids[j] != pids[i], "kthreads %d and %d both have pid %d", j, i,
				   pids[i]);
		snprintf(re, sizeof re, "^reaped kernel thread pid %d, exit code %d$", pids[i], i);
		TEST_ASSERT_RUN_MATCHES(r, out, re);
	}
	static const char last[] = "\n3 kernel threads reaped\n";
	CHECK_THAT(r, r.out_len >= sizeof last - 1 &&
		   !strcmp(r.out + r.out_len - (sizeof last - 1), last),
		   "stdout: expected to end with \"3 kernel threads reaped\"\n  actual: %s", r.out);
	TEST_ASSERT_NO_REPORTS(r);
	assert_no_leak(&r);
}

Test(process, cow)
{
	struct fr_result r = BOOT(60, "cow");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "child exit: 0\n"
			   "parent heap untouched: yes\n"
			   "parent stack: parent stack\n"
			   "parent data: initialised data\n"
			   "shared page: written by the child\n");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 1);
	/* The child wrote its stack and data page while the parent still held them. */
	CHECK_THAT(r, s.cow_copies >= 2, "stats: cow_copies=%lu, expected at least 2", s.cow_copies);
}

/* The segfaulting child is the eighth process: init, four exits, two kills. */
Test(process, wait_status)
{
	struct fr_result r = BOOT(60, "wait-status");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "exit: exited 0\n"
			   "exit: exited 85\n"
			   "exit: exited 170\n"
			   "exit: exited 255\n"
			   "WNOHANG while running: 0\n"
			   "kill: killed by Killed\n"
			   "WNOHANG while running: 0\n"
			   "kill: killed by Terminated\n"
			   "waitid: code CLD_KILLED, status Segmentation fault\n"
			   "waitid: code CLD_EXITED, status 42\n"
			   "orphan reparented: yes\n"
			   "no children left: ECHILD\n");
	TEST_ASSERT_REPORTS(r, "^forklab: pid 8 killed by SIGSEGV at rip=0x[0-9a-f]+ addr=0$",
			    "^forklab:   rip is [a-z_]+\\+0x[0-9a-f]+ \\(guest-user/wait-status\\.c:[0-9]+\\)$");
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 10);
}

Test(process, fork_storm)
{
	struct fr_result r = BOOT(120, "fork-storm");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "1000 fork/exit/wait cycles, 0 bad\n");
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, 1000);
	/* Each fork shares at least one PTE, and each child's first write to its
	 * stack (or the parent's, after) takes a write-protect fault. */
	CHECK_THAT(r, s.ptes_copied >= 1000, "stats: ptes_copied=%lu for 1000 forks, expected >= 1000",
		   s.ptes_copied);
	CHECK_THAT(r, s.cow_copies + s.cow_reuses >= 1000, "stats: cow_copies=%lu + cow_reuses=%lu "
		   "for 1000 forks, expected >= 1000", s.cow_copies, s.cow_reuses);
}

/* Children that sleep in pause() pile up until the task table is full: then
 * fork fails with EAGAIN, and every child is killed and reaped. */
Test(process, hostile_program)
{
	/* Each attack dies of SIGSEGV in a child; the kernel (and the parent) go on. */
	struct fr_result r = BOOT(60, "hostile");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "return to a non-canonical address: killed\n"
			   "read kernel memory: killed\n"
			   "jump into the kernel: killed\n"
			   "cli; hlt: killed\n"
			   "the kernel is still here\n");
	assert_no_leak(&r);
}

Test(process, fork_bomb_out_of_memory)
{
	/* 24 MiB of RAM and 1 MiB of shared memory per child: memory runs out
	 * before the task limit, and fork or the child's mmap says ENOMEM. */
	struct fr_result r = BOOT(120, "--mem", "24M", "fork-bomb", "1024");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_MATCHES(r, out, "^stopped after [0-9]+ children: Out of memory$");
	TEST_ASSERT_RUN_MATCHES(r, out, "^reaped [0-9]+ killed children$");
	TEST_ASSERT_NO_REPORTS(r);
	assert_no_leak(&r);
}

/* The children that fit beside pid 1 under the task limit, then EAGAIN;
 * RLIMIT_NPROC reports the limit. */
static void assert_fork_bomb(struct fr_result r, int limit)
{
	TEST_ASSERT_RUN_STATUS(r, 0);
	char want[256];
	int n = limit - 1;
	snprintf(want, sizeof want, "RLIMIT_NPROC %d\n"
		 "stopped after %d children: Resource temporarily unavailable\n"
		 "reaped %d killed children\n", limit, n, n);
	TEST_ASSERT_RUN_EQ(r, out, want);
	TEST_ASSERT_NO_REPORTS(r);
	struct stats s = assert_no_leak(&r);
	assert_forks(&r, &s, n);
}

/* The limit set on the kernel command line (as Linux's kernel.threads-max). */
Test(process, fork_bomb) { assert_fork_bomb(BOOT(120, "--append", "tasks_max=100", "fork-bomb"), 100); }

/* The limit the kernel derives from its memory, reached: 48 MiB, 384 tasks. */
Test(process, fork_bomb_memory_limit)
{
	assert_fork_bomb(BOOT(300, "--mem", "48M", "fork-bomb"), FORKLAB_TASK_LIMIT(48));
}
