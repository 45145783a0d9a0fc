/* One run from configuration to exit status: build the initramfs, open the
 * kernel, create the VM, boot, run the vCPU under a timeout, report. */
#include "run/launch.h"
#include "error.h"
#include "boot/boot.h"
#include "boot/initramfs.h"
#include "gdb/stub.h"
#include "kvm/vcpu.h"
#include "observe/inspect.h"
#include "observe/symbols.h"
#include "run/session.h"

#include <forklab/abi.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The session the --timeout signal ends: a signal handler gets no argument. */
static struct fl_session *volatile timeout_session;

static void on_timeout(int sig)
{
	struct fl_session *s = timeout_session;
	if (!s)
		return;
	s->timed_out = 1;
	s->vm.run->immediate_exit = 1; /* in case the signal lands outside KVM_RUN */
}

/* SIGALRM without SA_RESTART: it interrupts KVM_RUN and a blocking console read. */
static int arm_timeout(struct fl_session *s, timer_t *t)
{
	struct sigaction sa = { .sa_handler = on_timeout };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { .it_value.tv_sec = s->cfg->timeout_s };
	s->timed_out = 0;
	timeout_session = s;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGALRM, &sa, NULL) < 0 || timer_create(CLOCK_MONOTONIC, &ev, t) < 0 ||
	       timer_settime(*t, 0, &its, NULL) < 0 ? -1 : 0;
}

/* After the VM is gone: its host kind and TSC rate are passed in. */
static void report_timings(const struct fl_session *s, enum fl_host_kind kind, uint32_t tsc_khz,
			   double t_entry, double t_end)
{
	fprintf(stderr, "forklab: host kind %s (%s), TSC %u kHz\n", fl_host_kind_name(kind),
		kind == FL_HOST_PVM ? "kernel code emulated, syscalls enter through int3" :
				      "hardware virtualization", tsc_khz);
	fprintf(stderr, "forklab: inputs %.3f ms, create->first guest instruction %.3f ms, "
		"boot->init's first instruction %.3f ms, run %.3f ms, exit %.3f ms\n",
		s->t_vm - s->t_start, t_entry - s->t_vm,
		s->t_booted ? s->t_booted - t_entry : -1.0,
		s->t_booted && s->t_exited ? s->t_exited - s->t_booted : -1.0,
		s->t_exited ? t_end - s->t_exited : -1.0);
}

/* One line of key=value pairs, for people and for tests alike. */
static void report_stats(const struct fl_session *s)
{
	struct fl_kstate k;
	if (fl_read_kstate(s, &k) < 0) {
		fprintf(stderr, "forklab: stats: the kernel's state is unreadable\n");
		return;
	}
	fprintf(stderr, "forklab: stats: total_pages=%lu free_pages_at_init=%lu free_pages=%lu "
		"forks=%lu ptes_copied=%lu pt_pages=%lu pt_shared=%lu pt_copies=%lu cow_copies=%lu "
		"cow_reuses=%lu switches=%lu faults=%lu oom_kills=%lu fork_tsc=%lu copy_mm_tsc=%lu "
		"fork_tsc_avg=%lu copy_mm_tsc_avg=%lu\n",
		k.total_pages, k.free_pages_at_init, k.free_pages, k.forks, k.ptes_copied, k.pt_pages,
		k.pt_shared, k.pt_copies, k.cow_copies, k.cow_reuses, k.switches, k.faults, k.oom_kills,
		k.fork_tsc, k.copy_mm_tsc, k.forks ? k.fork_tsc / k.forks : 0,
		k.forks ? k.copy_mm_tsc / k.forks : 0);
}

int fl_launch(const struct fl_config *c)
{
	struct fl_session s = { .cfg = c };
	struct fl_cpio initrd;
	struct fl_kernel k;
	char err[512] = "", why[400] = "", init_path[256];
	int status = FL_EXIT_USAGE;
	timer_t timer;

	s.t_start = fl_now_ms();
	if (fl_initramfs_build(c, &initrd, init_path, err, sizeof err) < 0)
		goto out;
	if (fl_kernel_open(c->kernel, &k, why, sizeof why) < 0) {
		fl_fail(err, sizeof err, "kernel %s: %s", c->kernel, why);
		goto out_initrd;
	}
	if (!k.kstate) {
		fl_fail(err, sizeof err, "kernel %s: no %s symbol: stripped, or not a forklab kernel",
			c->kernel, FL_KSTATE_SYMBOL);
		goto out_kernel;
	}
	s.t_vm = fl_now_ms();
	if (fl_vm_create(&s.vm, c->mem_size, err, sizeof err) < 0)
		goto out_kernel;
	s.kernel = &k;
	if (c->gdb && !(s.gdb = fl_gdb_open(&s, err, sizeof err)))
		goto out_vm;
	if (fl_boot(&s.vm, c, &k, &initrd, init_path, err, sizeof err) < 0)
		goto out_gdb;
	if (arm_timeout(&s, &timer) < 0) {
		fl_fail(err, sizeof err, "cannot arm the --timeout timer");
		goto out_gdb;
	}
	if (s.gdb)
		fl_gdb_start(s.gdb);
	double t_entry = fl_now_ms();
	fl_vcpu_loop(&s);
	fl_gdb_close(s.gdb);
	s.gdb = NULL;
	if (c->stats)
		report_stats(&s);
	timer_delete(timer);
	timeout_session = NULL;
	status = s.status;
	enum fl_host_kind kind = s.vm.host_kind;
	uint32_t tsc_khz = s.vm.tsc_khz;
	fl_vm_destroy(&s.vm);
	fl_symbols_free(&s);
	if (c->verbose)
		report_timings(&s, kind, tsc_khz, t_entry, fl_now_ms());
	goto out_kernel;
out_gdb:
	fl_gdb_close(s.gdb);
out_vm:
	fl_vm_destroy(&s.vm);
	fl_symbols_free(&s);
out_kernel:
	fl_kernel_close(&k);
out_initrd:
	fl_cpio_free(&initrd);
out:
	if (*err)
		fprintf(stderr, "forklab: %s\n", err);
	return status;
}
