/* Futexes: sleep until a user word changes (keys: kernel/futex.c). */
#ifndef K_FUTEX_H
#define K_FUTEX_H

#include "kernel.h"

long futex_wake(u64 uaddr, int n);

#endif
