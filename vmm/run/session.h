/* One run of a guest: the VM, what was asked, and how it ended. Devices and
 * the lab port act on it; the vCPU loop stops when `done` is set. */
#ifndef FL_SESSION_H
#define FL_SESSION_H

#include "boot/elf.h"
#include "kvm/vm.h"
#include "run/config.h"

#include <signal.h>

struct fl_gdb;

struct fl_session {
	struct fl_vm vm;
	const struct fl_config *cfg;
	const struct fl_kernel *kernel;
	struct fl_symbols *symbols; /* opened at the first address lookup (observe/symbols.h) */
	int done;
	int status;              /* forklab's exit status once done */
	int exit_signal;         /* the signal that killed pid 1, if one did */
	struct fl_gdb *gdb;      /* --gdb's stub, or NULL */
	/* KVM_EXIT_DEBUG's handler when there is no gdb stub: --explain's ret
	 * watch stepping a vfork parent (observe/retwatch.c); NULL: a debug
	 * exit ends the run with a verdict. */
	void (*debug_exit)(struct fl_session *s, void *arg);
	void *debug_arg;
	/* Set by the --timeout signal handler (launch.c); the vCPU loop turns an
	 * interrupted KVM_RUN into the timeout verdict when it is set. */
	volatile sig_atomic_t timed_out;
	double t_start, t_vm, t_booted, t_exited; /* ms, fl_now_ms */
};

/* Milliseconds on CLOCK_MONOTONIC: the clock of the t_* fields. */
double fl_now_ms(void);

#endif
