/* The ret watch (retwatch.h): KVM_SET_GUEST_DEBUG single steps of one task,
 * each debug exit looking at the instruction the task is about to run. */
#include "observe/retwatch.h"
#include "kvm/hostkind.h"
#include "observe/disasm.h"
#include "observe/inspect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

const char *fl_retwatch_unavailable(const struct fl_session *s)
{
	if (s->gdb)
		return "the gdb stub holds the vCPU's debug state";
	if (!fl_host_steps_user(&s->vm))
		return "this host's single steps stop only in the kernel";
	return NULL;
}

static void set_debug(struct fl_session *s, uint32_t control)
{
	struct kvm_guest_debug d = { .control = control ? KVM_GUESTDBG_ENABLE | control : 0 };
	if (ioctl(s->vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		fprintf(stderr, "forklab: explain: KVM_SET_GUEST_DEBUG: %s\n", strerror(errno));
}

static void arm(struct fl_session *s, struct fl_retwatch *w)
{
	w->running = true;
	set_debug(s, fl_step_control(&w->step, s));
}

static void disarm(struct fl_session *s, struct fl_retwatch *w)
{
	w->running = false;
	set_debug(s, 0);
}

static void end(struct fl_session *s, struct fl_retwatch *w, enum fl_ret_end how)
{
	if (w->running)
		disarm(s, w);
	w->active = false;
	w->seen.end = how;
	w->done(s, &w->seen, w->arg);
}

/* Whether the user instruction at rip is a ret (capstone's group for it:
 * ret, ret imm16, and their prefixed forms). */
static bool is_ret(struct fl_session *s, uint64_t cr3, uint64_t rip)
{
	uint8_t code[15];
	size_t len = fl_read_code(s, cr3, rip, code, sizeof code);
	csh h;
	cs_insn *insn;
	bool ret = false;
	if (!len || fl_disasm_open(&h) < 0)
		return false;
	if (cs_disasm(h, code, len, rip, 1, &insn) == 1) {
		ret = cs_insn_group(h, insn, CS_GRP_RET);
		cs_free(insn, 1);
	}
	cs_close(&h);
	return ret;
}

/* Reads the slot through the task's page tables (at any CPL, even while
 * another task's are loaded); a new word there was written by the
 * instruction at by (0: by another task). */
static void note_word(struct fl_session *s, struct fl_retwatch *w, uint64_t by)
{
	uint64_t word;
	if (fl_read_gva(&s->vm, w->cr3, w->slot, &word, 8) == 0 && word != w->word)
		w->word = word, w->seen.writer = by;
}

/* RIP now: the instruction the next step runs. */
static uint64_t rip_now(struct fl_session *s)
{
	struct kvm_regs r;
	return fl_vcpu_regs(s, &r, NULL) == 0 ? r.rip : 0;
}

/* A step is done. The exit after the ret itself has RIP at its target; any
 * other may be the last before it. */
static void on_debug(struct fl_session *s, void *arg)
{
	struct fl_retwatch *w = arg;
	struct kvm_regs r;
	struct kvm_sregs sr;
	fl_step_done(&w->step, s);
	if (!w->active || !w->running) { /* none of ours: nothing should trap */
		set_debug(s, 0);
		return;
	}
	w->seen.steps++;
	bool regs = fl_vcpu_regs(s, &r, &sr) == 0;
	if (regs && w->ret_next) {
		w->seen.target = r.rip;
		return end(s, w, FL_RET_TAKEN);
	}
	/* Kernel steps too: a system call's copy is seen at its instruction. */
	note_word(s, w, w->step_rip);
	bool user = regs && (sr.cs.selector & 3) == 3;
	if (user && r.rsp > w->slot) {
		w->seen.left_rip = w->user_rip, w->seen.left_sp = r.rsp;
		return end(s, w, FL_RET_LEFT);
	}
	if (w->seen.steps >= FL_RET_STEPS)
		return end(s, w, FL_RET_BUDGET);
	/* Returns of the functions it calls pop below the slot: no decoding. */
	if (user && r.rsp == w->slot && is_ret(s, sr.cr3, r.rip)) {
		w->ret_next = true;
		w->seen.rip = r.rip, w->seen.sp = r.rsp;
	}
	if (user)
		w->user_rip = r.rip;
	w->step_rip = regs ? r.rip : 0;
	arm(s, w);
}

int fl_retwatch_start(struct fl_session *s, struct fl_retwatch *w, uint64_t task, uint64_t cr3,
		      uint64_t slot, uint64_t word, fl_ret_done_fn done, void *arg)
{
	if (w->active)
		return -1;
	memset(w, 0, sizeof *w);
	fl_step_init(&w->step, s);
	w->active = true;
	w->task = task, w->cr3 = cr3, w->slot = slot, w->word = word;
	w->step_rip = rip_now(s);
	w->done = done, w->arg = arg;
	s->debug_exit = on_debug, s->debug_arg = w;
	arm(s, w);
	return 0;
}

void fl_retwatch_event(struct fl_session *s, struct fl_retwatch *w, const struct fl_event *ev)
{
	if (!w->active)
		return;
	if (ev->kind == FL_EV_SCHED_IN && ev->task == w->task && !w->running) {
		note_word(s, w, 0); /* while it was off the vCPU */
		w->step_rip = rip_now(s);
		arm(s, w);
	} else if (ev->kind == FL_EV_SCHED_IN && ev->task != w->task && w->running) {
		disarm(s, w);
	} else if (ev->kind == FL_EV_EXIT && ev->task == w->task)
		end(s, w, FL_RET_EXITED);
}
