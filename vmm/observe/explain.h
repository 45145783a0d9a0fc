/* forklab run --explain and --vfork-check (explain.c): the vfork sanitizer's
 * reports, from the kernel's FL_EV_VFORK_WATCH and FL_EV_VFORK_WRITE events. */
#ifndef FL_EXPLAIN_H
#define FL_EXPLAIN_H

#include "run/config.h"

#include <stdio.h>

struct fl_explain;
/* Adds the hook to c and turns the kernel's sanitizer on. explain: the
 * story of each vfork on stderr (and as JSON Lines to json, or NULL);
 * check: one line per misuse found. NULL if out of memory. */
struct fl_explain *fl_explain_attach(struct fl_config *c, bool explain, bool check, FILE *json);
/* Ends the report; returns FL_EXIT_VFORK_CHECK if --vfork-check found a
 * misuse, else status. */
int fl_explain_finish(struct fl_explain *x, int status);

#endif
