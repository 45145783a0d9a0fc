/* Running the vCPU (vcpu.c). */
#ifndef FL_VCPU_H
#define FL_VCPU_H

#include "run/session.h"

/* Runs the vCPU until the session is done: one switch on the exit reason,
 * port I/O to the devices, MMIO to the event path, the rest to verdicts. */
void fl_vcpu_loop(struct fl_session *s);

#endif
