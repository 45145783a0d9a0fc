/* The verdict: how a run that did not end by the guest's own exit ended. */
#ifndef FL_VERDICT_H
#define FL_VERDICT_H

#include "run/session.h"

#include <forklab/abi.h>

/* Ends the run with exit status `status` and a verdict on stderr: cause, RIP,
 * RSP, CR2, CR3, CPL and the running pid. The registers come from `f` if given
 * (a kernel panic reports the faulting frame), otherwise from the vCPU. */
void fl_verdict(struct fl_session *s, int status, const struct fl_panic_frame *f,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
