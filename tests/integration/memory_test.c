/* Large address spaces: no limit but memory on a process's size. A kernel
 * that kept a fixed table of page-table pages per process killed any
 * process past 238 MiB with SIGSEGV, whatever --mem said. And fork's two
 * ways with page tables (--append fork=copy, the default, or fork=shared):
 * programs see the same memory either way, as on Linux. */
#include "common/fl_assert.h"
#include "common/forklab_run.h"
#include "common/native.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static unsigned long stat_of(const struct fr_result *r, const char *name)
{
	char key[64];
	snprintf(key, sizeof key, " %s=", name);
	const char *p = strstr(r->err, key);
	TEST_ASSERT_RUN(p ? NULL : fr_explain(r, "stderr has no --stats value %s", name));
	return strtoul(p + strlen(key), NULL, 10);
}

static void assert_no_leak(const struct fr_result *r)
{
	unsigned long free_end = stat_of(r, "free_pages"), free_init = stat_of(r, "free_pages_at_init");
	TEST_ASSERT_RUN(free_end == free_init ? NULL :
			fr_explain(r, "free_pages=%lu at exit, expected %lu: pages leaked", free_end,
				   free_init));
}

/* bigmem 300 under fork=MODE, which must succeed and free every page. */
static struct fr_result bigmem_300(const char *mode)
{
	struct fr_opts o = { .guard_s = 300 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--stats", "--timeout", "240", "--mem", "1G",
					  "--append", mode, "bigmem", "300");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "bigmem: 300 MiB touched, forked, copied on write: ok\n");
	assert_no_leak(&r);
	return r;
}

Test(memory, fork_of_a_300_MiB_process)
{
	struct fr_result r = bigmem_300("fork=copy");
	unsigned long ptes = stat_of(&r, "ptes_copied");
	TEST_ASSERT_RUN(ptes >= 300 * 256 ? NULL :
			fr_explain(&r, "ptes_copied=%lu, expected at least 300 MiB of pages (76800)", ptes));
	/* --stats' split of fork's cost: copy_mm is a part of fork, and not
	 * nothing. How big a part is not asserted here: these are wall-clock
	 * ticks, and a stall of the vCPU's host thread for one tick (seen once
	 * in the bed: 21.4 M of 44.1 M) outweighs the rest of the fork.
	 * `forklab bench --icount` shows the split in instructions, where it is
	 * deterministic (its copy_mm column). */
	unsigned long fork = stat_of(&r, "fork_tsc"), mm = stat_of(&r, "copy_mm_tsc");
	TEST_ASSERT_RUN(mm > 0 && mm <= fork ? NULL :
			fr_explain(&r, "copy_mm_tsc=%lu of fork_tsc=%lu: expected a part of it", mm, fork));
	TEST_ASSERT_EQ(stat_of(&r, "copy_mm_tsc_avg"), mm / stat_of(&r, "forks"), "copy_mm per fork");
}

/* 300 MiB is 150 last-level tables: fork shares them and copies no PTE; the
 * child's writes (every 16th page) then take each table back. */
Test(memory, fork_of_a_300_MiB_process_shares_its_tables)
{
	struct fr_result r = bigmem_300("fork=shared");
	TEST_ASSERT_EQ(stat_of(&r, "ptes_copied"), 0UL, "PTEs copied by fork=shared");
	TEST_ASSERT_CMP(stat_of(&r, "pt_shared"), >=, 150UL, "tables shared");
	TEST_ASSERT_CMP(stat_of(&r, "pt_copies"), >=, 150UL, "tables taken back");
}

/* guest-user/shared-tables.c: munmap, mprotect, brk, MAP_SHARED, kernel
 * writes, new pages and grandchildren, each under tables fork shared. The
 * output must be Linux's in both modes. */
static void shared_tables_like_linux(const char *mode)
{
	char *const av[] = { "build/guest/shared-tables", NULL };
	struct native n = native_run_argv(av, NULL);
	TEST_ASSERT_RUN_STATUS(n.r, 0);
	struct fr_result r = FORKLAB("run", "--stats", "--append", mode, "shared-tables");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, n.r.out, n.r.out_len);
	assert_no_leak(&r);
	bool shared = !strcmp(mode, "fork=shared");
	TEST_ASSERT_EQ(stat_of(&r, "pt_shared") > 0, shared, "tables shared in %s", mode);
	TEST_ASSERT_EQ(stat_of(&r, "ptes_copied") > 0, !shared, "PTEs copied in %s", mode);
}

Test(memory, shared_tables_program_copy_mode) { shared_tables_like_linux("fork=copy"); }
Test(memory, shared_tables_program_shared_mode) { shared_tables_like_linux("fork=shared"); }

/* Programs that fork, thread and spawn, in fork=shared mode, against Linux. */
static void like_linux_shared(const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "build/guest/%s", name);
	char *const av[] = { path, NULL };
	struct native n = native_run_argv(av, NULL);
	struct fr_result r = FORKLAB("run", "--stats", "--append", "fork=shared", name);
	TEST_ASSERT_RUN_STATUS(r, n.r.status);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, n.r.out, n.r.out_len);
	assert_no_leak(&r);
}

Test(memory, cow_shared_mode) { like_linux_shared("cow"); }
Test(memory, pagemap_shared_mode) { like_linux_shared("pagemap"); }

/* pagemap's frame numbers (Linux shows them to CAP_SYS_ADMIN only; the
 * guest's processes are all root): fork leaves the child on the parent's
 * frame, and the parent's write moves the parent alone, in both modes. */
static void pagemap_frames(const char *mode)
{
	struct fr_result r = FORKLAB("run", "--append", mode, "pagemap", "frames");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_CONTAINS(r, out, "the child's frame is the parent's: yes\n");
	TEST_ASSERT_RUN_CONTAINS(r, out, "the parent's frame moved: yes\n");
	TEST_ASSERT_RUN_CONTAINS(r, out, "the child's frame is still the one from before: yes\n");
}

Test(memory, pagemap_frames_copy_mode) { pagemap_frames("fork=copy"); }
Test(memory, pagemap_frames_shared_mode) { pagemap_frames("fork=shared"); }
Test(memory, fork_storm_shared_mode) { like_linux_shared("fork-storm"); }
Test(memory, pthreads_shared_mode) { like_linux_shared("pthreads"); }

/* Memory that runs out ends the process that maps the most, with SIGKILL
 * and Linux's "Out of memory: Killed process" line, not a SIGSEGV; the
 * rest live on and get its pages back (guest-user/oom.c: two children,
 * one faulting its pages in, one having the kernel fill them). */
#define OOM_LINE "^forklab: Out of memory: Killed process %s \\(%s\\) total-vm:[0-9]+kB, " \
		 "rss:[0-9]+kB, pgtables:[0-9]+kB$"

static void oom_children(const char *mode)
{
	struct fr_result r = FORKLAB("run", "--stats", "--mem", "64M", "--append", mode, "oom");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "user writes: child killed by signal 9\n"
				   "kernel copies: child killed by signal 9\n"
				   "parent: 16 MiB touched after the kills\n");
	char re[256];
	snprintf(re, sizeof re, OOM_LINE, "2", "oom");
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	snprintf(re, sizeof re, OOM_LINE, "3", "oom");
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	TEST_ASSERT_EQ(stat_of(&r, "oom_kills"), 2UL, "processes the OOM killer ended");
	assert_no_leak(&r);
}

Test(memory, oom_killer_ends_the_largest_process_copy_mode) { oom_children("fork=copy"); }
Test(memory, oom_killer_ends_the_largest_process_shared_mode) { oom_children("fork=shared"); }

/* Alone, pid 1 is the largest: it dies of SIGKILL (128 + 9). */
Test(memory, oom_killer_ends_pid_1_when_it_is_the_largest)
{
	struct fr_result r = FORKLAB("run", "--stats", "--mem", "64M", "bigmem", "100");
	TEST_ASSERT_RUN_STATUS(r, 137);
	char re[256];
	snprintf(re, sizeof re, OOM_LINE, "1", "bigmem");
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	TEST_ASSERT_RUN_LACKS(r, err, "SIGSEGV");
	assert_no_leak(&r);
}
