/* The table, the JSON and the gnuplot script of `forklab bench` (report.h).
 * A cost is rdtsc ticks times the run's ns per tick, or, under --icount,
 * the ticks themselves: QEMU's -icount shift=0 makes the TSC count
 * instructions. */
#include "bench/report.h"

#include <stdio.h>
#include <string.h>

static const char *unit(const struct fl_bench_config *c)
{
	return c->icount ? "instructions" : "ns";
}

static double cost(const struct fb_run *run, const struct fl_bench_config *c, uint64_t ticks)
{
	return c->icount ? (double)ticks : ticks * run->tick_ns;
}

static const struct fb_run *linux_run(const struct fb_results *r)
{
	for (int i = 0; i < r->nruns; i++)
		if (!strcmp(r->runs[i].kernel, "linux"))
			return &r->runs[i];
	return NULL;
}

static void label(const struct fb_run *run, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", run->kernel, *run->fork ? ":" : "", run->fork);
}

static void counter_cell(const struct fb_point *pt, int k)
{
	if (pt->counters[k] < 0)
		printf(" %9s", "-");
	else
		printf(" %9.1f", (double)pt->counters[k] / pt->n);
}

/* The part of an operation's cost spent in fork's copy_mm, in the table's
 * unit: what --stats splits, per operation. */
static void copy_mm_cell(const struct fb_run *run, const struct fl_bench_config *c,
			 const struct fb_point *pt)
{
	long long t = pt->counters[FB_COPY_MM_TSC];
	if (t < 0)
		printf(" %9s", "-");
	else
		printf(" %9.0f", cost(run, c, (uint64_t)(t / pt->n)));
}

static void table(const struct fb_results *r, const struct fl_bench_config *c)
{
	const struct fb_run *lx = linux_run(r);
	printf("forklab bench: %s per operation, min / median / p90 of %d runs; counters per operation\n"
	       "(forks: /proc/stat processes, machine-wide on Linux; faults: the bench's own on Linux,\n"
	       "getrusage; PTEs copied, page-table pages allocated, shared by fork and copied at a\n"
	       "first change, COW pages copied, and the %s in fork's copy_mm: forklab's\n"
	       "/proc/vmstat; /Linux: median against Linux's). Linux's memory: %s.\n\n", unit(c), c->n,
	       unit(c),
	       c->thp ? "transparent huge pages where it can (--thp)" : "4 KiB pages, as forklab's");
	printf("%-15s %5s  %-15s %12s %12s %12s %7s %9s %9s %9s %9s %9s %9s %9s %9s\n", "operation",
	       "MiB", "kernel", "min", "median", "p90", "/Linux", "forks", "faults", "PTEs", "PT pages",
	       "PT shared", "PT copied", "COW pages", "copy_mm");
	for (int o = 0; o < fb_nops; o++) {
		if (!c->op_on[o])
			continue;
		for (int s = 0; s < c->nsizes; s++) {
			const struct fb_point *base = lx ? fb_find(lx, fb_ops[o].name, c->sizes[s]) : NULL;
			for (int i = 0; i < r->nruns; i++) {
				const struct fb_run *run = &r->runs[i];
				const struct fb_point *pt = fb_find(run, fb_ops[o].name, c->sizes[s]);
				char name[48], ratio[16] = "-";
				if (!pt)
					continue;
				label(run, name, sizeof name);
				double med = cost(run, c, fb_percentile(pt, 0.5));
				if (base && run != lx)
					snprintf(ratio, sizeof ratio, "%.3g",
						 med / cost(lx, c, fb_percentile(base, 0.5)));
				printf("%-15s %5u  %-15s %12.0f %12.0f %12.0f %7s", fb_ops[o].name,
				       c->sizes[s], name, cost(run, c, pt->ticks[0]), med,
				       cost(run, c, fb_percentile(pt, 0.9)), ratio);
				for (int k = FB_FORKS; k <= FB_COW_COPIES; k++)
					counter_cell(pt, k);
				copy_mm_cell(run, c, pt);
				printf("\n");
			}
		}
	}
}

static int json(const struct fb_results *r, const struct fl_bench_config *c, FILE *f)
{
	fprintf(f, "{\"unit\": \"%s\", \"icount\": %s, \"linux_thp\": %s, \"n\": %d, \"runs\": [",
		unit(c), c->icount ? "true" : "false", c->thp ? "true" : "false", c->n);
	for (int i = 0; i < r->nruns; i++) {
		const struct fb_run *run = &r->runs[i];
		fprintf(f, "%s\n {\"kernel\": \"%s\", \"fork\": ", i ? "," : "", run->kernel);
		fprintf(f, *run->fork ? "\"%s\"" : "null", run->fork);
		fprintf(f, ", \"tick_ns\": %.6f, \"points\": [", run->tick_ns);
		for (int p = 0; p < run->npoints; p++) {
			const struct fb_point *pt = &run->points[p];
			fprintf(f, "%s\n  {\"op\": \"%s\", \"rss_mib\": %u, \"n\": %d, \"min\": %.1f, "
				"\"median\": %.1f, \"p90\": %.1f, \"counters\": {", p ? "," : "", pt->op,
				pt->mib, pt->n, cost(run, c, pt->ticks[0]),
				cost(run, c, fb_percentile(pt, 0.5)), cost(run, c, fb_percentile(pt, 0.9)));
			for (int k = 0; k < FB_NCOUNTERS; k++) {
				fprintf(f, "%s\"%s\": ", k ? ", " : "", fb_counter_names[k]);
				fprintf(f, pt->counters[k] < 0 ? "null" : "%lld", pt->counters[k]);
			}
			fprintf(f, "}, \"samples\": [");
			for (int s = 0; s < pt->n; s++)
				fprintf(f, "%s%.1f", s ? ", " : "", cost(run, c, pt->ticks[s]));
			fprintf(f, "]}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n]}\n");
	return ferror(f) ? -1 : 0;
}

/* One panel per operation: the median against the size, a line per kernel
 * and strategy, bars from min to p90; log y, since 0 MiB and 1 GiB differ by
 * orders of magnitude. */
static void plot_script(const struct fb_results *r, const struct fl_bench_config *c, FILE *g)
{
	int nops = 0;
	for (int o = 0; o < fb_nops; o++)
		nops += c->op_on[o];
	int rows = (nops + 1) / 2;
	for (int i = 0; i < r->nruns; i++)
		for (int o = 0; o < fb_nops; o++) {
			if (!c->op_on[o])
				continue;
			fprintf(g, "$r%do%d << EOD\n", i, o);
			for (int s = 0; s < c->nsizes; s++) {
				const struct fb_point *pt = fb_find(&r->runs[i], fb_ops[o].name, c->sizes[s]);
				if (pt)
					fprintf(g, "%d %.1f %.1f %.1f\n", s, cost(&r->runs[i], c, fb_percentile(pt, 0.5)),
						cost(&r->runs[i], c, pt->ticks[0]),
						cost(&r->runs[i], c, fb_percentile(pt, 0.9)));
			}
			fprintf(g, "EOD\n");
		}
	fprintf(g, "set terminal svg size 1100,%d dynamic font 'sans,11' background rgb 'white'\n"
		"set output '%s'\n"
		"set multiplot layout %d,%d title \"forklab bench: %s per operation (median; bars min to "
		"p90; %d runs) against the MiB of touched private memory\"\n"
		"set termoption noenhanced\nset logscale y\nset grid ytics\n"
		"set key outside below horizontal samplen 2\nset xrange [-0.3:%f]\n"
		"set format y '%%.0s%%c'\nset ylabel '%s'\nset xtics (", 40 + 360 * rows, c->plot,
		rows, nops > 1 ? 2 : 1, unit(c), c->n, c->nsizes - 0.7, unit(c));
	for (int s = 0; s < c->nsizes; s++)
		fprintf(g, "%s'%u' %d", s ? ", " : "", c->sizes[s], s);
	fprintf(g, ")\n");
	for (int o = 0; o < fb_nops; o++) {
		if (!c->op_on[o])
			continue;
		fprintf(g, "set title '%s'\nplot ", fb_ops[o].name);
		for (int i = 0; i < r->nruns; i++) {
			char name[48];
			label(&r->runs[i], name, sizeof name);
			fprintf(g, "%s$r%do%d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.6 title '%s'",
				i ? ", " : "", i, o, name);
		}
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
}

int fb_report(const struct fb_results *r, const struct fl_bench_config *c)
{
	table(r, c);
	fflush(stdout);
	if (c->json) {
		FILE *f = fopen(c->json, "w");
		if (!f || json(r, c, f) < 0 || fclose(f)) {
			fprintf(stderr, "forklab bench: --json %s: cannot write the file\n", c->json);
			return 1;
		}
	}
	if (c->plot) {
		FILE *g = popen("gnuplot", "w");
		if (!g) {
			fprintf(stderr, "forklab bench: --plot: cannot start gnuplot\n");
			return 1;
		}
		plot_script(r, c, g);
		if (pclose(g) != 0) {
			fprintf(stderr, "forklab bench: --plot %s: gnuplot failed (its message is above)\n",
				c->plot);
			return 1;
		}
	}
	return 0;
}
