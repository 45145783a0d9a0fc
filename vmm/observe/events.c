/* Events from the traced guest kernel: validated, then handed to the hooks
 * (the built-in verifier, tests). The return-to-user event is not a message
 * but a kernel store to FL_EVENT_MMIO_GPA, made just before iretq with the
 * user registers already restored. */
#include "observe/events.h"
#include "observe/inspect.h"
#include "run/session.h"
#include "run/verdict.h"

#include <forklab/linux.h>
#include <string.h>

void fl_event_dispatch(struct fl_session *s, const struct fl_event *ev)
{
	if (ev->kind == 0 || ev->kind >= FL_EV_KINDS) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: unknown event kind %u", ev->kind);
		return;
	}
	for (int i = 0; i < s->cfg->nhooks && !s->done; i++)
		if (!s->cfg->hooks[i].kind || s->cfg->hooks[i].kind == ev->kind)
			s->cfg->hooks[i].fn(s, ev, s->cfg->hooks[i].arg);
}

void fl_event_mmio(struct fl_session *s, uint64_t gpa, int is_write)
{
	struct fl_kstate k;
	if ((gpa & ~0xfffULL) != FL_EVENT_MMIO_GPA || !is_write || !s->cfg->nhooks ||
	    fl_vcpu_cpl(&s->vm) != 0 || fl_read_kstate(s, &k) < 0) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest touched unbacked physical address %#llx",
			   (unsigned long long)gpa);
		return;
	}
	struct fl_event ev = { .kind = FL_EV_RETURN, .pid = (int32_t)k.current_pid, .task = k.current };
	fl_event_dispatch(s, &ev);
}

int fl_return_frame(const struct fl_session *s, struct fl_iret_frame *f)
{
	struct kvm_regs r;
	if (fl_vcpu_regs(s, &r, NULL) < 0)
		return -1;
	return fl_read_kva(s, r.rsp, f, sizeof *f);
}

const char *fl_clone_name(uint64_t flags)
{
	if (flags == FL_CLONE_KTHREAD)
		return "kernel_thread";
	if ((flags & ~0xffULL) == 0)
		return "fork";
	if ((flags & ~0xffULL) == (CLONE_VM | CLONE_VFORK))
		return "vfork";
	return "clone";
}
