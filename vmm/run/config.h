/* What one run of the VMM is asked to do: filled by the CLI or by tests. */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <forklab/abi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fl_session;
/* Called for each event the traced kernel reports (abi.h enum fl_event_kind). */
typedef void (*fl_event_fn)(struct fl_session *s, const struct fl_event *ev, void *arg);
struct fl_hook {
	uint32_t kind;      /* FL_EV_*, or 0 for every kind */
	fl_event_fn fn;
	void *arg;
};
#define FL_MAX_HOOKS 8
#define FL_MAX_PACKS 32
#define FL_MAX_ENV 64

struct fl_config {
	const char *kernel;     /* kernel ELF path */
	const char *guest_dir;  /* directory of the built-in guest programs */
	const char *program;    /* built-in name, or a host path containing '/' */
	char *const *args;      /* program arguments after argv[0] */
	int nargs;
	uint64_t mem_size;
	unsigned timeout_s;
	bool verbose;
	bool stats;             /* print the kernel's counters (struct fl_kstate) at exit */
	const char *append;     /* extra kernel bootargs, or NULL */
	bool fork_shared;       /* append has fork=shared: fork shares page tables */
	bool verify;            /* check every clone-family call from the host (verify.c) */
	FILE *verify_json;      /* with verify: one JSON object per check, or NULL */
	bool vfork_sanitize;    /* bootarg vfork.sanitize: watch vfork children's stack
	                           writes (observe/explain.c: --explain, --vfork-check) */
	struct fl_hook hooks[FL_MAX_HOOKS]; /* any hook turns the kernel's tracing on */
	int nhooks;
	/* Host files or trees copied into the guest's file system (--pack). */
	struct fl_pack { const char *host, *guest; } packs[FL_MAX_PACKS];
	int npacks;
	const char *env[FL_MAX_ENV]; /* NAME=VALUE for pid 1, after HOME=/ and TERM=linux */
	int nenv;
	const char *cwd;        /* pid 1's working directory (absolute), or NULL for / */
	const char *gdb;        /* --gdb: [HOST:]PORT or unix:PATH of the gdb stub, or NULL */
	bool gdb_nowait;        /* --gdb-nowait: run at once, gdb attaches when it likes */
};

/* Exit statuses of forklab itself, beside the guest program's own. */
enum {
	FL_EXIT_USAGE = 2,      /* bad input or host: before the guest ran */
	FL_EXIT_VFORK_CHECK = 121, /* --vfork-check: a vfork child misused its parent's stack */
	FL_EXIT_VERIFY = 122,   /* --verify: a check failed */
	FL_EXIT_TIMEOUT = 124,  /* --timeout expired */
	FL_EXIT_VERDICT = 125,  /* the guest kernel died: panic, triple fault, emulation failure */
};

#endif
