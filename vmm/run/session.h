/* One run of a guest: the VM, what was asked, and how it ended. Devices and
 * the lab port act on it; the vCPU loop stops when `done` is set. */
#ifndef FL_SESSION_H
#define FL_SESSION_H

#include "run/config.h"
#include "boot/elf.h"
#include "kvm/vm.h"

#include <forklab/abi.h>
#include <stdbool.h>

struct fl_session {
	struct fl_vm vm;
	const struct fl_config *cfg;
	const struct fl_kernel *kernel;
	int done;
	int status;              /* forklab's exit status once done */
	double t_start, t_vm, t_booted, t_exited; /* ms, CLOCK_MONOTONIC */
};

double fl_now_ms(void);

struct fl_panic_frame;
/* Ends the run with a verdict on stderr: cause, RIP, RSP, CR2, CR3, CPL and the
 * running pid. The registers come from `f` if given (a kernel panic reports
 * the faulting frame), otherwise from the vCPU. */
void fl_verdict(struct fl_session *s, int status, const struct fl_panic_frame *f,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The kernel's fl_kstate (abi.h), read through its symbol; -1 if unreadable. */
int fl_read_kstate(const struct fl_session *s, struct fl_kstate *out);

/* Port I/O exits. Return 0 if handled (or deliberately ignored). */
void fl_serial_io(struct fl_session *s, uint16_t port, int out, uint8_t *data, int size);
void fl_lab_io(struct fl_session *s, uint16_t port, int out, uint8_t *data, int size);
/* The lab message at guest-physical pa, once the port write is known to come
 * from CPL0: decoded, bounds-checked, acted on, its ret written back. */
void fl_lab_message(struct fl_session *s, uint32_t pa);

/* The vCPU loop, one switch on the exit reason. */
void fl_vcpu_loop(struct fl_session *s);

/* The whole sequence for a configuration; returns forklab's exit status. */
int fl_launch(const struct fl_config *c);

#endif
