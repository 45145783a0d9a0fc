/* The built-in verifier behind forklab run --verify (verify.c). */
#ifndef FL_VERIFY_H
#define FL_VERIFY_H

#include "run/config.h"

#include <stdbool.h>
#include <stdio.h>

struct fl_verifier;
/* Adds the verifier's hook to c; json (or NULL) gets one object per check. */
struct fl_verifier *fl_verify_attach(struct fl_config *c, FILE *json);
/* One check as it is made: clone is the call's number (1, 2, ...; 0 for the
 * checks of cow, pt_copy, signal and sigreturn events), event the event it
 * was made at (clone, return, cow, ...). */
struct fl_check {
	int clone;
	const char *event, *name, *expected, *actual;
	bool ok;
};
typedef void (*fl_check_fn)(const struct fl_check *check, void *arg);
/* Hands every check to fn as well (the trace writer, trace.c). quiet: to fn
 * alone, with no line on stderr, and the run's status left as it was. */
void fl_verify_report(struct fl_verifier *v, fl_check_fn fn, void *arg, bool quiet);
/* Prints the totals, and "verification failed" last if a check failed;
 * returns the run's exit status: FL_EXIT_VERIFY then, else `status`. */
int fl_verify_finish(struct fl_verifier *v, int status);

#endif
