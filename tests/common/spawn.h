/* Starting a child process and draining its stdout and stderr: the one loop
 * behind fr_run (build/forklab) and the differential tests' native runs. */
#ifndef TESTS_SPAWN_H
#define TESTS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_opts {
	/* Runs in the child with stdin, stdout and stderr already in place: sets
	 * up what the caller needs and execs, or _exits with a status of its own.
	 * Only async-signal-safe calls: the test process may have threads. */
	void (*exec)(void *arg);
	void *arg;
	const void *in;   /* bytes on the child's stdin, then EOF; NULL: EOF at once */
	size_t in_len;
	double deadline_s;  /* then the child is killed (its group too, with own_group) */
	bool own_group;     /* the child leads a process group, SIGKILLed when the run ends */
	/* At the deadline: stop reading at once (something outside the child may
	 * hold its stdout), rather than drain what the killed child left. */
	bool stop_at_deadline;
};

struct spawn_result {
	char *out, *err;        /* captured stdout and stderr, NUL-terminated, never freed */
	size_t out_len, err_len;
	int wait_status;        /* as waitpid gives it */
	bool exited;            /* the child exited before the deadline */
	bool deadline_hit;
	double exit_secs;       /* until the child exited, or until the end */
	double secs;            /* the whole run, with draining */
};

/* Fails the test on a harness error (pipe, fork, pidfd_open, poll). */
struct spawn_result spawn_run(const struct spawn_opts *o);

double spawn_now_s(void);

#endif
