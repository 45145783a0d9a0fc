/* The conveniences of the C API that are not the CLI's: configuration
 * defaults, hook registration, and the frame at a first user instruction. */
#include "observe/api.h"
#include "observe/inspect.h"

#include <forklab/linux.h>
#include <stdio.h>
#include <string.h>

void fl_config_init(struct fl_config *c, const char *build_dir, const char *program)
{
	static char kernel[4096], guest[4096];
	memset(c, 0, sizeof *c);
	snprintf(kernel, sizeof kernel, "%s/kernel.elf", build_dir);
	snprintf(guest, sizeof guest, "%s/guest", build_dir);
	c->kernel = kernel;
	c->guest_dir = guest;
	c->program = program;
	c->mem_size = 256UL << 20;
	c->timeout_s = 30;
}

int fl_hook_add(struct fl_config *c, uint32_t kind, fl_event_fn fn, void *arg)
{
	if (c->nhooks == FL_MAX_HOOKS)
		return -1;
	c->hooks[c->nhooks++] = (struct fl_hook){ kind, fn, arg };
	return 0;
}

int fl_user_frame(struct fl_session *s, const struct fl_event *ev, struct fl_user_frame *f)
{
	memset(f, 0, sizeof *f);
	f->pid = ev->pid;
	f->task = ev->task;
	if (ev->kind != FL_EV_RETURN || fl_vcpu_regs(s, &f->regs, NULL) < 0 ||
	    fl_return_frame(s, &f->iret) < 0 || fl_vcpu_msr(s, MSR_FS_BASE, &f->fs_base) < 0)
		return -1;
	return 0;
}
