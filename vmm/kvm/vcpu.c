/* The vCPU loop: one switch on the exit reason, port I/O dispatched through a
 * table of devices. */
#include "kvm/vcpu.h"
#include "devices/lab.h"
#include "devices/serial.h"
#include "gdb/stub.h"
#include "observe/events.h"
#include "observe/inspect.h"
#include "run/verdict.h"

#include <errno.h>
#include <forklab/abi.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static const struct {
	uint16_t base, len;
	void (*io)(struct fl_session *, uint16_t, int, uint8_t *, int);
} ports[] = {
	{ FL_PORT_SERIAL, 8, fl_serial_io },
	{ FL_PORT_LAB, 4, fl_lab_io },
};

static void port_io(struct fl_session *s)
{
	struct kvm_run *run = s->vm.run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	int out = run->io.direction == KVM_EXIT_IO_OUT;
	if (run->io.data_offset + (uint64_t)run->io.size * run->io.count > s->vm.run_size)
		return fl_verdict(s, FL_EXIT_VERDICT, NULL, "malformed I/O exit");
	size_t d = 0;
	while (d < sizeof ports / sizeof ports[0] &&
	       (uint16_t)(run->io.port - ports[d].base) >= ports[d].len)
		d++;
	for (uint32_t i = 0; i < run->io.count && !s->done; i++, data += run->io.size) {
		if (d < sizeof ports / sizeof ports[0])
			ports[d].io(s, run->io.port, out, data, run->io.size);
		else if (!out)
			memset(data, 0xff, run->io.size); /* no device: a floating bus */
	}
}

void fl_vcpu_loop(struct fl_session *s)
{
	struct kvm_run *run = s->vm.run;
	while (!s->done) {
		if (ioctl(s->vm.vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && s->timed_out)
				fl_verdict(s, FL_EXIT_TIMEOUT, NULL, "timeout: the guest ran for %u s",
					   s->cfg->timeout_s);
			else if (errno == EINTR && s->gdb && fl_gdb_interrupted(s->gdb))
				continue;
			else if (errno != EINTR && errno != EAGAIN)
				fl_verdict(s, FL_EXIT_VERDICT, NULL, "KVM_RUN failed: %s", strerror(errno));
			continue;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			port_io(s);
			break;
		case KVM_EXIT_SHUTDOWN: {
			/* Hardware KVM (SVM) resets the vCPU on shutdown; PVM keeps its state. */
			struct kvm_sregs sr;
			bool reset = fl_vcpu_regs(s, NULL, &sr) == 0 && !(sr.cr0 & 1);
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "triple fault (KVM_EXIT_SHUTDOWN)%s",
				   reset ? " - the vCPU was reset: its registers before are lost" : "");
			break;
		}
		case KVM_EXIT_INTERNAL_ERROR:
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "emulation failure (KVM_EXIT_INTERNAL_ERROR, suberror %u)",
				   run->internal.suberror);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "vCPU entry failed (reason %#llx)",
				   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_MMIO:
			fl_event_mmio(s, run->mmio.phys_addr, run->mmio.is_write);
			break;
		case KVM_EXIT_DEBUG:
			if (s->gdb)
				fl_gdb_debug_exit(s->gdb);
			else if (s->debug_exit)
				s->debug_exit(s, s->debug_arg);
			else
				fl_verdict(s, FL_EXIT_VERDICT, NULL, "unexpected debug exit");
			break;
		case KVM_EXIT_HLT:
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest halted with interrupts off");
			break;
		default:
			fl_verdict(s, FL_EXIT_VERDICT, NULL, "unexpected exit reason %u", run->exit_reason);
			break;
		}
	}
}
