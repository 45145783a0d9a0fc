/* Small system calls: identity, time, TLS. */
#include "arch.h"
#include "errno.h"
#include "ktime.h"
#include "syscall.h"
#include "task.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define CLOCK_REALTIME 0
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1


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

/* The realtime clocks start at the host's wall clock; the others count from
 * boot. All run on the TSC. */
static u64 clock_ns(u64 clk)
{
	u64 ns = tsc_to_ns(rdtsc() - boot_tsc);
	if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI)
		ns += boot_realtime_ns;
	return ns;
}

long sys_clock_gettime(u64 clk, u64 uts)
{
	if (clk > 11)
		return -EINVAL;
	u64 ns = clock_ns(clk);
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	return copy_to_user(uts, &ts, sizeof ts) < 0 ? -EFAULT : 0;
}

long sys_gettimeofday(u64 utv, u64 utz)
{
	u64 ns = clock_ns(CLOCK_REALTIME);
	struct { s64 sec, usec; } tv = { ns / 1000000000, ns % 1000000000 / 1000 };
	struct { s32 minuteswest, dsttime; } tz = { 0, 0 };
	if (utv && copy_to_user(utv, &tv, sizeof tv) < 0)
		return -EFAULT;
	return utz && copy_to_user(utz, &tz, sizeof tz) < 0 ? -EFAULT : 0;
}

long sys_time(u64 ut)
{
	s64 t = clock_ns(CLOCK_REALTIME) / 1000000000;
	if (ut && copy_to_user(ut, &t, sizeof t) < 0)
		return -EFAULT;
	return t;
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

/* Sleeps until the TSC reaches deadline; rem gets the time left if a
 * signal's handler cuts the sleep short. */
static long sleep_until(u64 deadline, u64 urem)
{
	static struct wait_queue sleepers;
	if (sleep_on(&sleepers, deadline))
		return 0;
	/* A signal: -EINTR with the time left if a handler runs, else the sleep restarts. */
	u64 now = rdtsc(), ns = now < deadline ? tsc_to_ns(deadline - now) : 0;
	struct timespec rem = { ns / 1000000000, ns % 1000000000 };
	if (urem && copy_to_user(urem, &rem, sizeof rem) < 0)
		return -EFAULT;
	return -ERESTARTNOHAND;
}

long sys_nanosleep(u64 ureq, u64 urem)
{
	u64 ticks;
	long r = timespec_to_tsc(ureq, &ticks);
	return r < 0 ? r : sleep_until(rdtsc() + ticks, urem);
}

/* glibc's nanosleep and sleep use this. TIMER_ABSTIME takes the clock's own
 * time, so its origin (boot or the wall clock) comes off first. */
long sys_clock_nanosleep(u64 clk, u64 flags, u64 ureq, u64 urem)
{
	u64 ticks;
	if (clk > 11)
		return -EINVAL;
	long r = timespec_to_tsc(ureq, &ticks);
	if (r < 0)
		return r;
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(rdtsc() + ticks, urem);
	u64 origin = clock_ns(clk) - tsc_to_ns(rdtsc() - boot_tsc); /* 0, or the wall clock at boot */
	u64 origin_ticks = origin / 1000000 * tsc_khz + origin % 1000000 * tsc_khz / 1000000;
	return sleep_until(boot_tsc + (ticks > origin_ticks ? ticks - origin_ticks : 0), 0);
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
