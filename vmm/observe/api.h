/* The conveniences of the C API that are not the CLI's (api.c): configuration
 * defaults, hook registration, and the frame at a first user instruction. */
#ifndef FL_API_H
#define FL_API_H

#include "observe/events.h"
#include "run/config.h"

#include <linux/kvm.h>

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
/* 0, or -1 if ev is not a FL_EV_RETURN event or the vCPU is unreadable. */
int fl_user_frame(struct fl_session *s, const struct fl_event *ev, struct fl_user_frame *out);

#endif
