/* Extended processor state across context switches, on this host's CPU: the
 * guest kernel must save and restore every vector register the CPU has
 * (XSAVE), or processes see each other's ymm/zmm upper halves. The level
 * the guest checks must be the one this CPU offers: AVX-512 where the host
 * has it enabled, else AVX, else SSE. */
#include "common/fl_assert.h"
#include "common/forklab_run.h"

#include <cpuid.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *host_level(void)
{
	unsigned a, b, c, d, lo, hi;
	__cpuid_count(1, 0, a, b, c, d);
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return "sse (xmm0-15)";
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	__cpuid_count(7, 0, a, b, c, d);
	if ((b & (1u << 16)) && (lo & 0xe0) == 0xe0)
		return "avx-512 (zmm0-31, k0-7)";
	return (lo & 6) == 6 ? "avx (ymm0-15)" : "sse (xmm0-15)";
}

/* The kernel's context switches, from the --stats line. */
static unsigned long switches(const struct fr_result *r)
{
	const char *p = strstr(r->err, " switches=");
	TEST_ASSERT_RUN(p ? NULL : fr_explain(r, "stderr has no --stats line with switches="));
	return strtoul(p + 10, NULL, 10);
}

Test(xstate, registers_survive_thousands_of_switches)
{
	struct fr_result r = FORKLAB("run", "--stats", "xstate", "8", "2000");
	char want[128];
	snprintf(want, sizeof want, "xstate: %s in 8 processes, 2000 yields each: ok\n", host_level());
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, want);
	unsigned long n = switches(&r);
	TEST_ASSERT_RUN(n >= 8 * 2000 ? NULL :
			fr_explain(&r, "switches=%lu, expected at least 8 x 2000 (each yield switches)", n));
}

/* glibc's memcpy, memmove and memcmp, preempted by the timer mid-copy. */
Test(xstate, glibc_vector_copies_preempted)
{
	struct fr_result r = FORKLAB("run", "--stats", "avx-copy", "8", "300");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "avx-copy: 8 processes, 300 rounds of 256 KiB copies each: ok\n");
	unsigned long n = switches(&r);
	TEST_ASSERT_RUN(n > 8 * 2 ? NULL :
			fr_explain(&r, "switches=%lu: the copies were not preempted, nothing was tested", n));
}
