/* Messages to the VMM through the lab port (abi.h): one outl, one exit. */
#ifndef K_LAB_H
#define K_LAB_H

#include "kernel.h"

s64 lab_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3);
s64 lab_call_text(u32 op, const char *text, u64 a0, u64 a1, u64 a2, u64 a3);
void lab_event(const struct fl_event *ev);
/* Like lab_call, with a frame and text (panics). */
void lab_panic(const struct fl_panic_frame *f, const char *text) __attribute__((noreturn));

#endif
