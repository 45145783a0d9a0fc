/* forklab run --trace FILE.json: the kernel's events as a Chrome/Perfetto
 * trace (trace.c). */
#ifndef FL_TRACE_H
#define FL_TRACE_H

#include "observe/verify.h"
#include "run/config.h"

#include <stdio.h>

struct fl_tracer;
/* Adds the trace writer's two hooks to c, one on each side of the
 * verifier's, which it attaches (*v) with verify_json as fl_verify_attach
 * has it: each check goes into the args of the event it was made at, and
 * with quiet_checks nowhere else. NULL if c has no room for three hooks or
 * memory is short. */
struct fl_tracer *fl_trace_attach(struct fl_config *c, FILE *out, FILE *verify_json,
				  bool quiet_checks, struct fl_verifier **v);
/* Closes the last slice, writes the track names and closes out: 0, or -1
 * with errno if any write failed. Says on stderr how many checks failed, if
 * any did and they went nowhere else. */
int fl_trace_finish(struct fl_tracer *t);

#endif
