/* The built-in verifier behind forklab run --verify (verify.c). */
#ifndef FL_VERIFY_H
#define FL_VERIFY_H

#include "run/config.h"

#include <stdio.h>

struct fl_verifier;
/* Adds the verifier's hook to c; json (or NULL) gets one object per check. */
struct fl_verifier *fl_verify_attach(struct fl_config *c, FILE *json);
/* Prints the totals, and "verification failed" last if a check failed;
 * returns the run's exit status: FL_EXIT_VERIFY then, else `status`. */
int fl_verify_finish(struct fl_verifier *v, int status);

#endif
