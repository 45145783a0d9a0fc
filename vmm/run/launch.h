/* One run from configuration to exit status (launch.c). */
#ifndef FL_LAUNCH_H
#define FL_LAUNCH_H

#include "run/config.h"

/* The whole sequence for a configuration; returns forklab's exit status. */
int fl_launch(const struct fl_config *c);

#endif
