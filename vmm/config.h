/* What one run of the VMM is asked to do: filled by the CLI or by tests. */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

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
};

/* Exit statuses of forklab itself, beside the guest program's own. */
enum {
	FL_EXIT_USAGE = 2,      /* bad input or host: before the guest ran */
	FL_EXIT_TIMEOUT = 124,  /* --timeout expired */
	FL_EXIT_VERDICT = 125,  /* the guest kernel died: panic, triple fault, emulation failure */
};

#endif
