/* The session's clock: what the t_* fields of struct fl_session are in. */
#include "run/session.h"

#include <time.h>

double fl_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
