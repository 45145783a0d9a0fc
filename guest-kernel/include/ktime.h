/* Time: the TSC is the clock, counted from boot; timespecs from user space. */
#ifndef K_KTIME_H
#define K_KTIME_H

#include "kernel.h"

/* Linux's clock ids. */
#define CLOCK_REALTIME 0
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_TAI 11

struct timespec {
	s64 sec, nsec;
};

extern u64 boot_tsc, tsc_khz;
extern u64 boot_realtime_ns; /* the host's wall clock when the VMM built the FDT */
u64 tsc_to_ns(u64 ticks);
/* Reads and checks a user timespec; *ticks is its length in TSC ticks. */
long timespec_to_tsc(u64 uts, u64 *ticks);

#endif
