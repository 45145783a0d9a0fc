/* The verdict: why the guest stopped, and the machine state that says where. */
#include "run/verdict.h"
#include "observe/inspect.h"

#include <forklab/abi.h>
#include <stdarg.h>
#include <stdio.h>

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
	s->done = 1;
	s->status = status;
}
