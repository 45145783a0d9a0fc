/* The host-side C API in one header: configure a run, hook the kernel's
 * events, read guest state, and launch. A test reads like a story:
 *
 *	struct fl_config c;
 *	fl_config_init(&c, "build", "fork-demo");
 *	fl_hook_add(&c, FL_EV_RETURN, on_return, &seen);
 *	status = fl_launch(&c);
 *
 * and asserts on what its hooks saw (tests/common/fl_assert.h). */
#ifndef FORKLAB_H
#define FORKLAB_H

#include "run/config.h"
#include "observe/events.h"
#include "observe/inspect.h"
#include "run/session.h"
#include "observe/verify.h"

/* Defaults as `forklab run PROGRAM` has them, with the kernel and the built-in
 * programs under build_dir (build/kernel.elf, build/guest/). */
void fl_config_init(struct fl_config *c, const char *build_dir, const char *program);
/* 0, or -1 when FL_MAX_HOOKS are taken. */
int fl_hook_add(struct fl_config *c, uint32_t kind, fl_event_fn fn, void *arg);

/* A task at its first user instruction (a FL_EV_RETURN hook): the vCPU's
 * general registers, what iretq loads (RIP, CS, RFLAGS, RSP, SS) and the FS
 * base, as the CPU will have them. */
struct fl_user_frame {
	int pid;
	uint64_t task;
	struct kvm_regs regs;        /* regs.rip/rsp are the kernel's: use iret */
	struct fl_iret_frame iret;
	uint64_t fs_base;
};
int fl_user_frame(struct fl_session *s, const struct fl_event *ev, struct fl_user_frame *out);

#endif
