/* Large address spaces: no limit but memory on a process's size. A kernel
 * that kept a fixed table of page-table pages per process killed any
 * process past 238 MiB with SIGSEGV, whatever --mem said. */
#include "common/fl_assert.h"
#include "common/forklab_run.h"

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

Test(memory, fork_of_a_300_MiB_process)
{
	struct fr_opts o = { .guard_s = 300 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--stats", "--timeout", "240", "--mem", "1G",
					  "bigmem", "300");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "bigmem: 300 MiB touched, forked, copied on write: ok\n");
	unsigned long ptes = stat_of(&r, "ptes_copied"), free_end = stat_of(&r, "free_pages"),
		      free_init = stat_of(&r, "free_pages_at_init");
	TEST_ASSERT_RUN(ptes >= 300 * 256 ? NULL :
			fr_explain(&r, "ptes_copied=%lu, expected at least 300 MiB of pages (76800)", ptes));
	TEST_ASSERT_RUN(free_end == free_init ? NULL :
			fr_explain(&r, "free_pages=%lu at exit, expected %lu: pages leaked", free_end,
				   free_init));
}
