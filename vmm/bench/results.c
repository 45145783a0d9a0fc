/* Parsing forkbench's "@fb" records into runs and points (results.h). */
#include "bench/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fb_counter_names[FB_NCOUNTERS] = {
	"forks", "faults", "ptes_copied", "pt_pages", "pt_shared", "pt_copies", "cow_copies",
	"cow_reuses", "fork_tsc", "copy_mm_tsc",
};

struct fb_run *fb_run_begin(struct fb_results *r, const char *kernel, const char *fork)
{
	if (r->nruns == FB_MAX_RUNS)
		return NULL;
	struct fb_run *run = &r->runs[r->nruns++];
	memset(run, 0, sizeof *run);
	snprintf(run->kernel, sizeof run->kernel, "%s", kernel);
	snprintf(run->fork, sizeof run->fork, "%s", strcmp(fork, "-") ? fork : "");
	return run;
}

void fb_results_free(struct fb_results *r)
{
	for (int i = 0; i < r->nruns; i++) {
		for (int k = 0; k < r->runs[i].npoints; k++)
			free(r->runs[i].points[k].ticks);
		free(r->runs[i].points);
	}
	r->nruns = 0;
}

void fb_run_end(struct fb_run *run, int status)
{
	run->ended = true;
	run->status = status;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* "OP MIB N C0 .. C9 : T1 .. TN" */
static int parse_point(struct fb_run *run, const char *s)
{
	struct fb_point pt = { 0 };
	int used;
	if (sscanf(s, "%23s %u %d %n", pt.op, &pt.mib, &pt.n, &used) != 3 || pt.n < 1 || pt.n > 1000000)
		return -2;
	for (int k = 0; k < FB_NCOUNTERS; k++) {
		int more;
		if (sscanf(s + used, "%lld %n", &pt.counters[k], &more) != 1)
			return -2;
		used += more;
	}
	if (s[used] != ':')
		return -2;
	used++;
	if (!(pt.ticks = calloc(pt.n, sizeof *pt.ticks)))
		return -2;
	s += used;
	for (int i = 0; i < pt.n; i++) {
		char *end;
		pt.ticks[i] = strtoull(s, &end, 10);
		if (end == s)
			return free(pt.ticks), -2;
		s = end;
	}
	qsort(pt.ticks, pt.n, sizeof *pt.ticks, cmp_u64);
	struct fb_point *p = realloc(run->points, (run->npoints + 1) * sizeof *p);
	if (!p)
		return free(pt.ticks), -2;
	run->points = p;
	p[run->npoints++] = pt;
	return 0;
}

int fb_parse_line(struct fb_results *r, const char *line, char op[24], unsigned *mib)
{
	char word[16], a[16], b[16];
	int used, status;
	if (strncmp(line, "@fb ", 4))
		return -1;
	if (sscanf(line + 4, "%15s %n", word, &used) != 1)
		return -2;
	const char *rest = line + 4 + used;
	if (!strcmp(word, "run"))
		return sscanf(rest, "%15s %15s", a, b) == 2 && fb_run_begin(r, a, b) ? 0 : -2;
	struct fb_run *run = r->nruns ? &r->runs[r->nruns - 1] : NULL;
	if (!run || run->ended)
		return -2;
	if (!strcmp(word, "end"))
		return sscanf(rest, "%d", &status) == 1 ? fb_run_end(run, status), 0 : -2;
	if (!strcmp(word, "tick_ns"))
		return sscanf(rest, "%lf", &run->tick_ns) == 1 && run->tick_ns > 0 ? 0 : -2;
	if (!strcmp(word, "begin"))
		return sscanf(rest, "%23s %u", op, mib) == 2 ? 1 : -2;
	if (!strcmp(word, "point"))
		return parse_point(run, rest);
	if (!strcmp(word, "skip") || !strcmp(word, "error")) {
		snprintf(run->error, sizeof run->error, "%s", rest);
		return 0;
	}
	return -2;
}

uint64_t fb_percentile(const struct fb_point *pt, double p)
{
	double x = p * pt->n - 1e-9; /* rank ceil(p n), immune to 0.9 * 10 = 9.000000000000002 */
	int k = (int)x + (x > (int)x) - 1;
	return pt->ticks[k < 0 ? 0 : k >= pt->n ? pt->n - 1 : k];
}

const struct fb_point *fb_find(const struct fb_run *run, const char *op, unsigned mib)
{
	for (int i = 0; i < run->npoints; i++)
		if (run->points[i].mib == mib && !strcmp(run->points[i].op, op))
			return &run->points[i];
	return NULL;
}
