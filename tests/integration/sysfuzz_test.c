/* Issue 12: random system calls (guest-user/sysfuzz: numbers 0-450, hostile
 * argument pools, 20 processes) neither end the VM nor hang the kernel, and
 * once every process has exited, every page is free again. A short seed here;
 * the long run (20 x 5000 calls) is in the README. */
#include "common/forklab_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --stats' free pages at init's start and at its exit. */
static void free_pages(const struct fr_result *r, unsigned long *at_init, unsigned long *at_exit)
{
	const char *s = strstr(r->err, "free_pages_at_init=");
	const char *e = strstr(r->err, " free_pages=");
	TEST_ASSERT_RUN(s && e ? NULL : fr_explain(r, "no --stats line with free pages"));
	*at_init = strtoul(s + strlen("free_pages_at_init="), NULL, 10);
	*at_exit = strtoul(e + strlen(" free_pages="), NULL, 10);
}

Test(sysfuzz, short_seed)
{
	struct fr_opts o = { .guard_s = 400 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--stats", "--timeout", "300", "sysfuzz", "1",
					  "20", "150");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_MATCHES(r, out, "^sysfuzz: seed 1: 20 processes, 150 calls each: all made; "
				"[0-9]+ restarts after a death, [0-9]+ after the watchdog; [0-9]+ signals "
				"to the parent$");
	unsigned long at_init, at_exit;
	free_pages(&r, &at_init, &at_exit);
	TEST_ASSERT_RUN(at_init == at_exit ? NULL :
			fr_explain(&r, "free pages: %lu at init's start, %lu at its exit: %ld leaked",
				   at_init, at_exit, (long)(at_init - at_exit)));
}
