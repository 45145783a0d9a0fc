/* What `forklab bench` prints and writes: the table on stdout (forklab
 * beside Linux, with their ratio and forklab's counters per operation), every
 * sample as JSON (--json), and cost against size drawn by gnuplot (--plot). */
#ifndef FL_BENCH_REPORT_H
#define FL_BENCH_REPORT_H

#include "bench/bench.h"
#include "bench/results.h"

/* 0, or 1 when the JSON or the plot could not be written (one line said why). */
int fb_report(const struct fb_results *r, const struct fl_bench_config *c);

#endif
