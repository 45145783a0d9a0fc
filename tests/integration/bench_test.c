/* `forklab bench` with a tiny -n, natively and in the guest: no timing
 * assertions, but a native figure that is zero, a counter that disagrees
 * with the number of operations run, or a missing row fails; so do bad
 * options that are not refused with status 2 and one line. */
#include "common/fl_assert.h"
#include "common/forklab_run.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(bench, .fini = fr_tmp_cleanup);

static const char *const ops[] = {
	"fork", "fork+exit+wait", "vfork+_exit", "clone_vm", "posix_spawn", "fork+exec+wait",
	"cow_fault", "exit+wait",
};
static const unsigned sizes[] = { 0, 1 };

/* One table row: operation, MiB, kernel, min, median, p90, ratio, then per
 * operation forks, faults, PTEs copied, page-table pages allocated, shared
 * and copied, COW pages copied, the cost in copy_mm ("-": -1). */
enum { FORKS, FAULTS, PTES, PT_PAGES, PT_SHARED, PT_COPIES, COW_PAGES, COPY_MM, NCOL };
struct row {
	double min, median, p90, c[NCOL];
};

static bool find_row(const char *out, const char *op, unsigned mib, const char *kernel, struct row *r)
{
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char o[32], k[32], ratio[16], cs[NCOL][16];
		unsigned m;
		if (sscanf(p, "%31s %u %31s %lf %lf %lf %15s %15s %15s %15s %15s %15s %15s %15s %15s", o, &m,
			   k, &r->min, &r->median, &r->p90, ratio, cs[0], cs[1], cs[2], cs[3], cs[4], cs[5],
			   cs[6], cs[7]) != 7 + NCOL || strcmp(o, op) || m != mib || strcmp(k, kernel))
			continue;
		for (int i = 0; i < NCOL; i++)
			r->c[i] = strcmp(cs[i], "-") ? atof(cs[i]) : -1;
		return true;
	}
	return false;
}

static bool copies_the_mm(const char *op)
{
	return strcmp(op, "vfork+_exit") && strcmp(op, "clone_vm") && strcmp(op, "posix_spawn");
}

Test(bench, native_and_guest_figures_are_sane)
{
	char *json = fr_tmpfile("bench.json", "", 0), *svg = fr_tmpfile("bench.svg", "", 0);
	struct fr_opts o = { .guard_s = 300 };
	struct fr_result r = FORKLAB_WITH(o, "bench", "-n", "3", "--sizes", "0,1", "--fork", "copy,shared",
					  "--json", json, "--plot", svg);
	TEST_ASSERT_RUN_STATUS(r, 0);
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
			const char *op = ops[i];
			unsigned mib = sizes[s];
			struct row lx, fl, sh;
			TEST_ASSERT_RUN(find_row(r.out, op, mib, "linux", &lx) ? NULL :
					fr_explain(&r, "stdout has no linux row for %s at %u MiB", op, mib));
			TEST_ASSERT_RUN(find_row(r.out, op, mib, "forklab:copy", &fl) ? NULL :
					fr_explain(&r, "stdout has no forklab:copy row for %s at %u MiB", op,
						   mib));
			TEST_ASSERT_RUN(find_row(r.out, op, mib, "forklab:shared", &sh) ? NULL :
					fr_explain(&r, "stdout has no forklab:shared row for %s at %u MiB", op,
						   mib));
			TEST_ASSERT_RUN(lx.min > 0 && lx.min <= lx.median && lx.median <= lx.p90 ? NULL :
					fr_explain(&r, "%s at %u MiB, linux: min %g, median %g, p90 %g: "
						   "expected 0 < min <= median <= p90", op, mib, lx.min,
						   lx.median, lx.p90));
			TEST_ASSERT_RUN(fl.min > 0 ? NULL : fr_explain(&r, "%s at %u MiB, forklab: min 0",
								      op, mib));
			/* Every operation creates one process a run: exactly one on
			 * forklab, at least one machine-wide on Linux. */
			TEST_ASSERT_RUN(lx.c[FORKS] >= 1 ? NULL :
					fr_explain(&r, "%s at %u MiB, linux: %g forks per operation, expected "
						   ">= 1", op, mib, lx.c[FORKS]));
			TEST_ASSERT_RUN(fl.c[FORKS] == 1 && sh.c[FORKS] == 1 ? NULL :
					fr_explain(&r, "%s at %u MiB: %g forks per operation with fork=copy, %g "
						   "with fork=shared, expected 1", op, mib, fl.c[FORKS],
						   sh.c[FORKS]));
			double ptes = copies_the_mm(op) ? mib * 256 : 0;
			bool ptes_ok = copies_the_mm(op) ? fl.c[PTES] >= ptes : fl.c[PTES] == 0;
			TEST_ASSERT_RUN(ptes_ok ? NULL :
					fr_explain(&r, "%s at %u MiB, forklab: %g PTEs copied per operation, "
						   "expected %s %g", op, mib, fl.c[PTES],
						   copies_the_mm(op) ? "at least" : "exactly", ptes));
			/* fork=shared: the tables shared, or copied, hold every page. */
			bool shared_ok = copies_the_mm(op) ? sh.c[PT_SHARED] >= 1 &&
				sh.c[PT_SHARED] * 512 + sh.c[PTES] >= ptes : sh.c[PT_SHARED] == 0;
			TEST_ASSERT_RUN(shared_ok ? NULL :
					fr_explain(&r, "%s at %u MiB, fork=shared: %g tables shared and %g "
						   "PTEs copied per operation, for %g pages", op, mib,
						   sh.c[PT_SHARED], sh.c[PTES], ptes));
			/* copy_mm's share: forklab's own counter, spent only where the mm is copied. */
			TEST_ASSERT_RUN(lx.c[COPY_MM] == -1 && (copies_the_mm(op) ? fl.c[COPY_MM] > 0 :
								fl.c[COPY_MM] == 0) ? NULL :
					fr_explain(&r, "%s at %u MiB: copy_mm per operation linux %g, forklab "
						   "%g: expected -, and %s", op, mib, lx.c[COPY_MM],
						   fl.c[COPY_MM], copies_the_mm(op) ? "> 0" : "0"));
			if (!strcmp(op, "cow_fault")) {
				TEST_ASSERT_RUN(lx.c[FAULTS] >= 1 && fl.c[FAULTS] >= 1 && fl.c[COW_PAGES] >= 1 ? NULL :
						fr_explain(&r, "cow_fault at %u MiB: faults per operation "
							   "linux %g, forklab %g, COW copies %g: expected >= 1",
							   mib, lx.c[FAULTS], fl.c[FAULTS], fl.c[COW_PAGES]));
			}
		}
	size_t len;
	char *j = fr_slurp(json, &len), *g = fr_slurp(svg, &len);
	int points = 0;
	for (char *p = j; (p = strstr(p, "\"samples\": [")); p++)
		points++;
	TEST_ASSERT_RUN(points == 3 * 8 * 2 ? NULL :
			fr_explain(&r, "--json: %d points with samples, expected 48", points));
	TEST_ASSERT_RUN(strstr(g, "<svg") && strstr(g, "cow_fault") ? NULL :
			fr_explain(&r, "--plot: no SVG with a cow_fault panel"));
}

/* Each bad option: status 2, nothing on stdout, one line naming it. */
static void refused(const char *want, const char *const *argv)
{
	struct fr_result r = fr_run(NULL, argv);
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_LINES(r, err, 1);
	TEST_ASSERT_RUN_CONTAINS(r, err, want);
}
#define REFUSED(want, ...) refused(want, (const char *const[]){ "bench", __VA_ARGS__, NULL })

Test(bench, bad_options)
{
	REFUSED("-n 0: not a number of runs", "-n", "0");
	REFUSED("--sizes: 1024 MiB does not fit --mem 512M", "--sizes", "0,1024");
	REFUSED("--sizes x: not a list", "--sizes", "x");
	REFUSED("unknown name 'bogus'", "--ops", "fork,bogus");
	REFUSED("unknown name 'cow'", "--fork", "cow");
	REFUSED("--plot /tmp/p.png: not a FILE.svg", "--plot", "/tmp/p.png");
	REFUSED("--json /nonexistent/x.json: its directory", "--json", "/nonexistent/x.json");
	REFUSED("unknown or incomplete option '--bogus'", "--bogus");
	REFUSED("unexpected argument 'extra'", "extra");
}
