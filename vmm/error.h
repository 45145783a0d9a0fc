/* The VMM's error convention: a function that fails writes one line (no
 * newline, no "forklab:" prefix) into the caller's buffer and returns -1. */
#ifndef FL_ERROR_H
#define FL_ERROR_H

#include <stddef.h>

__attribute__((format(printf, 3, 4)))
int fl_fail(char *err, size_t errlen, const char *fmt, ...);

#endif
