/* Small system calls: identity, time, TLS. */
#include "arch.h"
#include "errno.h"
#include "ktime.h"
#include "syscall.h"
#include "task.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1


long sys_uname(u64 buf)
{
	static const char fields[6][65] = {
		"Linux", "forklab", "6.1.0-forklab", "#1 forklab", "x86_64", "(none)",
	};
	return copy_to_user(buf, fields, sizeof fields) < 0 ? -EFAULT : 0;
}

u64 tsc_to_ns(u64 tsc)
{
	/* tsc_khz ticks per ms; split to avoid overflow for long uptimes. */
	return tsc / tsc_khz * 1000000 + tsc % tsc_khz * 1000000 / tsc_khz;
}

long sys_clock_gettime(u64 clk, u64 uts)
{
	if (clk > 7)
		return -EINVAL;
	/* Every clock counts from boot: the guest has no wall clock. */
	u64 ns = tsc_to_ns(rdtsc() - boot_tsc);
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	return copy_to_user(uts, &ts, sizeof ts) < 0 ? -EFAULT : 0;
}

long timespec_to_tsc(u64 uts, u64 *ticks)
{
	struct timespec ts;
	if (copy_from_user(&ts, uts, sizeof ts) < 0)
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -EINVAL;
	*ticks = ts.sec * tsc_khz * 1000 + ts.nsec * tsc_khz / 1000000;
	return 0;
}

long sys_nanosleep(u64 ureq, u64 urem)
{
	u64 ticks;
	long r = timespec_to_tsc(ureq, &ticks);
	if (r < 0)
		return r;
	static struct wait_queue sleepers;
	u64 deadline = rdtsc() + ticks;
	if (sleep_on(&sleepers, deadline))
		return 0;
	/* A signal: -EINTR with the time left if a handler runs, else the sleep restarts. */
	u64 now = rdtsc(), ns = now < deadline ? tsc_to_ns(deadline - now) : 0;
	struct timespec rem = { ns / 1000000000, ns % 1000000000 };
	if (urem && copy_to_user(urem, &rem, sizeof rem) < 0)
		return -EFAULT;
	return -ERESTARTNOHAND;
}

long sys_arch_prctl(u64 code, u64 addr)
{
	switch (code) {
	case ARCH_SET_FS:
		if (!access_ok(addr, 0))
			return -EPERM;
		current->thread.fsbase = addr;
		wrmsr(MSR_FS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &current->thread.fsbase, 8) < 0 ? -EFAULT : 0;
	}
	return -EINVAL;
}

long sys_set_tid_address(u64 tidptr)
{
	current->clear_child_tid = tidptr;
	return current->pid;
}
