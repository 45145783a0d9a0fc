/* Issue 12, Medium 6 and 7: work on a VMA is bounded by its pages and page
 * tables, not its length. guest-user/bigvma maps 64 TiB and touches a page at
 * each end; a walk per 4 KiB page of that (2^34 of them) never ends. */
#include "common/forklab_run.h"

#include <stdio.h>

/* Medium 6: --verify walked every page of each VMA at a fork (check_cow),
 * for minutes past --timeout; it walks present entries only now. */
Test(bounded, verify_huge_vma)
{
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--verify", "--timeout", "60", "bigvma", "fork");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "fork: the child saw both pages\n");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 PASS mm.cow_shared +expected read-only, one frame "
				"+actual [0-9]+ pages read-only, one frame$");
}

/* Medium 7: mprotect found the VMA once per page of its range; it works a
 * VMA and a page table at a time now. msync had the same loop (seen while
 * looking into sysfuzz's stalls). Semantics as Linux's (the same program natively prints the same). */
Test(bounded, mprotect_huge_range)
{
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--timeout", "60", "bigvma", "mprotect");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "read-only: read 1 1, write Segmentation fault\n"
			   "read-write: write ok, msync 0\n");
}
