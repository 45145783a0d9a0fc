/* The lab port: the guest kernel's requests to the host. The guest is
 * untrusted: only CPL0 writes count, every address and length is checked, and
 * a malformed message ends the run with a verdict, never a host fault. */
#include "devices/lab.h"
#include "observe/events.h"
#include "observe/inspect.h"
#include "observe/inspect.h"
#include "observe/symbols.h"
#include "run/verdict.h"

#include <errno.h>
#include <forklab/abi.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int64_t lab_write(struct fl_session *s, const struct fl_lab_msg *m)
{
	int fd = (int)m->arg[0];
	const uint8_t *p = fl_gpa_to_hva(&s->vm, m->arg[1], m->arg[2]);
	if (fd != 1 && fd != 2)
		return -EBADF;
	if (!p)
		return -EFAULT;
	for (uint64_t done = 0; done < m->arg[2];) {
		ssize_t r = write(fd, p + done, m->arg[2] - done);
		if (r < 0 && errno == EINTR && !s->done)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += r;
	}
	return m->arg[2];
}

static int64_t lab_read(struct fl_session *s, const struct fl_lab_msg *m)
{
	uint8_t *p = fl_gpa_to_hva(&s->vm, m->arg[1], m->arg[2]);
	if (m->arg[0] != 0)
		return -EBADF;
	if (!p)
		return -EFAULT;
	ssize_t r = read(0, p, m->arg[2]);
	return r < 0 ? -errno : r;
}

/* Bulk copies and clears for the PVM host, where the kernel's own string
 * instructions are emulated one iteration at a time. */
static void mem_op(struct fl_session *s, const struct fl_lab_msg *m)
{
	uint64_t len = m->op == FL_LAB_ZERO ? m->arg[1] : m->arg[2];
	uint8_t *dst = fl_gpa_to_hva(&s->vm, m->arg[0], len);
	uint8_t *src = m->op == FL_LAB_COPY ? fl_gpa_to_hva(&s->vm, m->arg[1], len) : NULL;
	if (!dst || (m->op == FL_LAB_COPY && !src)) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: memory operation outside RAM "
			   "(dst %#llx, len %#llx)", (unsigned long long)m->arg[0], (unsigned long long)len);
		return;
	}
	if (src)
		memmove(dst, src, len);
	else
		memset(dst, 0, len);
}

/* PVM hosts' FPU switch (the guest kernel's emulator has no XSAVE): the
 * vCPU's state to one guest area, then from another. KVM checks what it
 * loads; an image it refuses is a guest error. */
static void fpu_op(struct fl_session *s, const struct fl_lab_msg *m)
{
	struct kvm_xsave x;
	_Static_assert(sizeof x == FL_FPU_AREA, "struct kvm_xsave is the lab's FPU area");
	uint8_t *save = m->arg[0] ? fl_gpa_to_hva(&s->vm, m->arg[0], sizeof x) : NULL;
	uint8_t *load = m->arg[1] ? fl_gpa_to_hva(&s->vm, m->arg[1], sizeof x) : NULL;
	if ((m->arg[0] && !save) || (m->arg[1] && !load)) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: FPU area outside RAM "
			   "(save %#llx, load %#llx)", (unsigned long long)m->arg[0],
			   (unsigned long long)m->arg[1]);
		return;
	}
	if (save) {
		if (ioctl(s->vm.vcpu_fd, KVM_GET_XSAVE, &x) < 0) {
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "KVM_GET_XSAVE: %s", strerror(errno));
			return;
		}
		memcpy(save, &x, sizeof x);
	}
	if (load) {
		memcpy(&x, load, sizeof x);
		if (ioctl(s->vm.vcpu_fd, KVM_SET_XSAVE, &x) < 0)
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: KVM_SET_XSAVE refused "
				   "the FPU image at %#llx: %s", (unsigned long long)m->arg[1],
				   strerror(errno));
	}
}

/* Linux wait status -> shell-style exit status. */
static int exit_status(uint64_t ws)
{
	int sig = ws & 0x7f;
	return sig ? 128 + sig : (int)((ws >> 8) & 0xff);
}

/* The report, then where rip is in the dying task's program: the kernel
 * sends it from that task, which is current. */
static void killed(struct fl_session *s, const struct fl_lab_msg *m)
{
	int sig = (int)(m->arg[1] & 0x7f);
	const char *name = sigabbrev_np(sig);
	fprintf(stderr, "forklab: pid %lld killed by SIG%s at rip=%#llx addr=%#llx\n",
		(long long)m->arg[0], name ? name : "?", (unsigned long long)m->arg[2],
		(unsigned long long)m->arg[3]);
	struct fl_kstate k;
	struct fl_task_view t;
	char at[FL_SYM_TEXT];
	if (fl_read_kstate(s, &k) == 0 && k.current_pid == (int64_t)m->arg[0] &&
	    fl_task_read(s, k.current, &t) == 0)
		fprintf(stderr, "forklab:   rip is %s\n", fl_symbolize(s, t.cr3, m->arg[2], at, sizeof at));
}

/* As Linux's kernel log says it. The name is the program's own (prctl can set
 * it), so only printable bytes reach the terminal. */
static void oom_killed(const struct fl_lab_msg *m)
{
	char comm[17];
	fl_guest_name(comm, sizeof comm, m->text);
	fprintf(stderr, "forklab: Out of memory: Killed process %llu (%s) total-vm:%llukB, rss:%llukB, "
		"pgtables:%llukB\n", (unsigned long long)m->arg[0], comm,
		(unsigned long long)m->arg[1] * 4, (unsigned long long)m->arg[2] * 4,
		(unsigned long long)m->arg[3] * 4);
}

void fl_lab_io(struct fl_session *s, uint16_t port, int out, uint8_t *data, int size)
{
	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	fl_lab_port_write(s, size == 4 ? fl_vcpu_cpl(&s->vm) : -1, data, size);
}

void fl_lab_port_write(struct fl_session *s, int cpl, const uint8_t *data, int size)
{
	if (size != 4 || cpl != 0) {
		if (s->cfg->verbose)
			fprintf(stderr, "forklab: ignored a lab port write from user mode\n");
		return;
	}
	uint32_t pa;
	memcpy(&pa, data, 4);
	fl_lab_message(s, pa);
}

void fl_lab_message(struct fl_session *s, uint32_t pa)
{
	/* Bytes, not a struct pointer: the guest may name any address, aligned or not. */
	uint8_t *gm = fl_gpa_to_hva(&s->vm, pa, sizeof(struct fl_lab_msg));
	struct fl_lab_msg m;
	if (!gm) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: lab message at bad address %#x", pa);
		return;
	}
	memcpy(&m, gm, sizeof m);
	m.text[FL_LAB_TEXT_MAX - 1] = 0;
	int64_t ret = 0;
	switch (m.op) {
	case FL_LAB_EXIT:
		s->t_exited = fl_now_ms();
		s->done = 1;
		s->status = exit_status(m.arg[0]);
		s->exit_signal = m.arg[0] & 0x7f;
		break;
	case FL_LAB_PANIC:
		fl_verdict(s, FL_EXIT_VERDICT, &m.panic, "kernel panic: %s", m.text);
		break;
	case FL_LAB_WRITE:
		ret = lab_write(s, &m);
		break;
	case FL_LAB_READ:
		ret = lab_read(s, &m);
		break;
	case FL_LAB_KILLED:
		killed(s, &m);
		break;
	case FL_LAB_OOM:
		oom_killed(&m);
		break;
	case FL_LAB_ZERO:
	case FL_LAB_COPY:
		mem_op(s, &m);
		break;
	case FL_LAB_FPU:
		fpu_op(s, &m);
		break;
	case FL_LAB_BOOTED:
		s->t_booted = fl_now_ms();
		break;
	case FL_LAB_EVENT:
		fl_event_dispatch(s, &m.event);
		break;
	default:
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: unknown lab message %u", m.op);
		return;
	}
	memcpy(gm + offsetof(struct fl_lab_msg, ret), &ret, sizeof ret);
}
