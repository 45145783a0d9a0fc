/* What `forklab bench` measured: runs of guest-user/forkbench (one native,
 * one per fork strategy in the guest), each a list of points (operation x
 * size) with every sample and the kernel's counters. The program's "@fb"
 * records are parsed here; report.c presents them. */
#ifndef FL_BENCH_RESULTS_H
#define FL_BENCH_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

/* The counters forkbench reports, in its order: totals over a point's runs,
 * -1 where the kernel keeps none (Linux has only the first two). */
enum {
	FB_FORKS, FB_FAULTS, FB_PTES, FB_PT_PAGES, FB_PT_SHARED, FB_PT_COPIES, FB_COW_COPIES,
	FB_COW_REUSES,
	FB_FORK_TSC, FB_COPY_MM_TSC, /* guest TSC ticks in fork, and in its copy_mm (--stats) */
	FB_NCOUNTERS
};
extern const char *const fb_counter_names[FB_NCOUNTERS];

struct fb_point {
	char op[24];
	unsigned mib;          /* touched private memory of the measuring process */
	int n;
	long long counters[FB_NCOUNTERS];
	uint64_t *ticks;       /* n samples, sorted: rdtsc ticks, instructions under icount */
};

struct fb_run {
	char kernel[16];       /* "linux" or "forklab" */
	char fork[16];         /* forklab's fork strategy (--append fork=...); "" for Linux */
	double tick_ns;        /* ns per tick, as the program calibrated it */
	struct fb_point *points;
	int npoints;
	bool ended;            /* the program's run finished (fb_run_end) */
	int status;            /* its exit status */
	char error[256];       /* the program's "@fb error" or "@fb skip" line, if any */
};

#define FB_MAX_RUNS 8
struct fb_results {
	struct fb_run runs[FB_MAX_RUNS];
	int nruns;
};

/* Starts a run: later records belong to it. NULL when FB_MAX_RUNS are taken. */
struct fb_run *fb_run_begin(struct fb_results *r, const char *kernel, const char *fork);
void fb_run_end(struct fb_run *run, int status);
/* Frees every run's points; r is empty again. */
void fb_results_free(struct fb_results *r);

/* One line of a record stream, without its newline. Returns 1 for a "@fb
 * begin" record (*op and *mib name the point that starts), 0 for any other
 * record, -1 for a line that is no record (the caller shows it), -2 for a
 * malformed record or one outside a run. "@fb run KERNEL FORK" and "@fb end
 * STATUS" (the --raw stream of a nested bench) start and end runs; FORK is
 * "-" for Linux. */
int fb_parse_line(struct fb_results *r, const char *line, char op[24], unsigned *mib);

/* Nearest-rank percentile (0 < p <= 1) of a point's sorted samples, in ticks. */
uint64_t fb_percentile(const struct fb_point *pt, double p);
/* A run's point for (op, mib), or NULL. */
const struct fb_point *fb_find(const struct fb_run *run, const char *op, unsigned mib);

#endif
