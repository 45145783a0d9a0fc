/* `forklab bench`: guest-user/forkbench run natively and in forklab's guest
 * (once per fork strategy) in one invocation, or all of it inside the nested
 * bed under QEMU's icount, then a table, JSON and a gnuplot plot (report.h).
 * main.c parses the options into struct fl_bench_config. */
#ifndef FL_BENCH_H
#define FL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#define FB_MAX_SIZES 16
#define FB_MAX_FORKS 2

/* forkbench's operations, in its order, with their meaning (--help, README). */
struct fb_op { const char *name, *what; };
extern const struct fb_op fb_ops[];
extern const int fb_nops;
/* The index of an operation by name, or -1. */
int fb_op_index(const char *name);

/* Memory a guest needs beside the measured size: the kernel, the initramfs,
 * page tables, the program. A size fits when size + this <= --mem. */
#define FB_MEM_OVERHEAD (256UL << 20)

struct fl_bench_config {
	const char *exe;          /* this forklab binary (the bed runs it too) */
	const char *build_dir;    /* kernel.elf and guest/forkbench */
	int n;                    /* runs per point */
	unsigned sizes[FB_MAX_SIZES]; /* MiB, each fitting mem_size */
	int nsizes;
	bool op_on[32];           /* by fb_ops index */
	const char *forks[FB_MAX_FORKS]; /* "copy", "shared" */
	int nforks;
	uint64_t mem_size;        /* guest RAM */
	unsigned timeout_s;       /* per guest run */
	bool thp;                 /* forkbench -H: Linux may back the memory with huge pages */
	bool icount;              /* run everything in the nested bed under -icount */
	bool raw;                 /* print the record stream on stdout (the bed side of --icount) */
	const char *json;         /* --json FILE, or NULL */
	const char *plot;         /* --plot FILE.svg, or NULL */
};

/* Runs the benchmark and reports. 0; 1 when a run failed or found nothing
 * to measure, with one line on stderr saying which. */
int fl_bench(const struct fl_bench_config *c);

#endif
