/* The verdict: why the guest stopped, and the machine state that says where. */
#include "run/verdict.h"
#include "observe/disasm.h"
#include "observe/inspect.h"
#include "observe/symbols.h"

#include <forklab/abi.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EFER_LMA (1ULL << 10)

/* panic() has no frame to report: its rip is the return address of its call
 * to panic_regs, and the line worth naming is the call's. */
static bool after_panic_call(struct fl_session *s, uint64_t rip)
{
	uint8_t call[5];
	int32_t rel;
	uint64_t target = fl_symbol(s, "panic_regs");
	if (!target || rip < FL_KERNEL_VBASE || fl_read_code(s, 0, rip - 5, call, 5) != 5 || call[0] != 0xe8)
		return false;
	memcpy(&rel, call + 1, 4);
	return rip + rel == target;
}

/* Where rip is, and for a guest that died, the code around it. Only in long
 * mode: a triple fault on hardware KVM leaves a reset vCPU in real mode,
 * whose rip is no address of the guest's. */
static void where(struct fl_session *s, int status, const struct fl_panic_frame *v)
{
	struct kvm_sregs sr;
	char at[FL_SYM_TEXT];
	if (fl_vcpu_regs(s, NULL, &sr) < 0 || !(sr.efer & EFER_LMA))
		return;
	if (after_panic_call(s, v->rip))
		fprintf(stderr, "forklab: rip is the return address of panic's call at %s\n",
			fl_symbolize(s, v->cr3, v->rip - 5, at, sizeof at));
	else
		fprintf(stderr, "forklab: rip is %s\n", fl_symbolize(s, v->cr3, v->rip, at, sizeof at));
	if (status == FL_EXIT_VERDICT && fl_disasm_around(s, v->cr3, v->rip, "forklab:   ", stderr) < 0)
		fprintf(stderr, "forklab: no code readable at rip\n");
}

void fl_verdict(struct fl_session *s, int status, const struct fl_panic_frame *f,
		const char *fmt, ...)
{
	va_list ap;
	fputs("forklab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);

	struct fl_panic_frame v = { 0 };
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (f) {
		v = *f;
	} else if (fl_vcpu_regs(s, &r, &sr) == 0) {
		v.rip = r.rip, v.rsp = r.rsp, v.cr2 = sr.cr2, v.cr3 = sr.cr3, v.cs = sr.cs.selector;
	}
	struct fl_kstate ks;
	long pid = f ? v.pid : (fl_read_kstate(s, &ks) == 0 ? ks.current_pid : -1);
	char pidtxt[24] = "none";
	if (pid >= 0)
		snprintf(pidtxt, sizeof pidtxt, "%ld", pid);
	fprintf(stderr, "forklab: rip=%#llx rsp=%#llx cr2=%#llx cr3=%#llx cpl=%llu pid=%s\n",
		(unsigned long long)v.rip, (unsigned long long)v.rsp, (unsigned long long)v.cr2,
		(unsigned long long)v.cr3, (unsigned long long)(v.cs & 3), pidtxt);
	where(s, status, &v);
	s->done = 1;
	s->status = status;
}
