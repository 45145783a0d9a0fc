/* Small system calls: identity, time, TLS. */
#include "arch.h"
#include "errno.h"
#include "ktime.h"
#include "syscall.h"
#include "task.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
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

#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_PERTHREAD 4

/* A CPU-time clock: 2 and 3, or Linux's encoding of another task's
 * (clock_getcpuclockid, pthread_getcpuclockid): ~pid << 3 | perthread | type.
 * Its time in ns in *ns; -EINVAL if no such clock or task. */
static long cpu_clock_ns(s64 clk, u64 *ns)
{
	int pid = 0, type = CPUCLOCK_SCHED;
	bool thread = clk == CLOCK_THREAD_CPUTIME_ID;
	if (clk < 0) {
		pid = ~(int)(clk >> 3);
		type = clk & 3;
		thread = clk & CPUCLOCK_PERTHREAD;
		if (type == 3)
			return -EINVAL;
	}
	struct task *t = pid ? find_pid(pid) : current;
	if (!t || t->kthread || t->state == TASK_ZOMBIE || (thread && pid && t->tgid != current->tgid) ||
	    (!thread && !thread_group_leader(t)))
		return -EINVAL;
	struct cputime c;
	if (thread)
		c = t->cpu, c.exec = task_exec_tsc(t);
	else
		group_cputime(t->group_leader, &c);
	u64 ut, st;
	cputime_split(&c, &ut, &st);
	*ns = type == CPUCLOCK_SCHED ? tsc_to_ns(c.exec) : type == CPUCLOCK_VIRT ? ut : ut + st;
	return 0;
}

static bool clock_valid(s64 clk)
{
	return clk >= 0 && clk <= 11 && clk != 10;
}

long sys_clock_gettime(u64 clk, u64 uts)
{
	u64 ns;
	if ((s64)(int)clk < 0 || clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) {
		long r = cpu_clock_ns((int)clk, &ns);
		if (r < 0)
			return r;
	} else if (!clock_valid(clk)) {
		return -EINVAL;
	} else {
		ns = clock_ns(clk);
	}
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	return copy_to_user(uts, &ts, sizeof ts) < 0 ? -EFAULT : 0;
}

/* Every clock counts in ns (the TSC) but the coarse ones, which move at the
 * tick (HZ = 100). */
long sys_clock_getres(u64 clk, u64 ures)
{
	u64 ns;
	if ((s64)(int)clk < 0) {
		long r = cpu_clock_ns((int)clk, &ns);
		if (r < 0)
			return r;
	} else if (!clock_valid(clk)) {
		return -EINVAL;
	}
	bool coarse = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
	struct timespec ts = { 0, coarse ? 10000000 : 1 };
	return ures && copy_to_user(ures, &ts, sizeof ts) < 0 ? -EFAULT : 0;
}

/* prctl: the task's name (comm, as /proc shows it), and the flags programs
 * set and read back. */
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

long sys_prctl(u64 option, u64 arg2, u64 arg3, u64 arg4, u64 arg5)
{
	char name[16];
	switch (option) {
	case PR_SET_NAME:
		for (int i = 0; i < 15; i++) {
			if (copy_from_user(&name[i], arg2 + i, 1) < 0)
				return -EFAULT;
			if (!name[i])
				break;
		}
		name[15] = 0;
		memcpy(current->comm, name, sizeof name);
		return 0;
	case PR_GET_NAME:
		return copy_to_user(arg2, current->comm, 16) < 0 ? -EFAULT : 0;
	case PR_SET_PDEATHSIG:
		return arg2 < NSIG ? 0 : -EINVAL;
	case PR_GET_PDEATHSIG: {
		s32 zero = 0;
		return copy_to_user(arg2, &zero, 4) < 0 ? -EFAULT : 0;
	}
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
		return arg2 <= 1 ? 0 : -EINVAL;
	}
	return -EINVAL;
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
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (!clock_valid(clk) || clk == CLOCK_PROCESS_CPUTIME_ID)
		return clk == CLOCK_PROCESS_CPUTIME_ID ? -EOPNOTSUPP : -EINVAL;
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

/* ---- CPU time: clocks, getrusage, times ---- */

struct timeval {
	s64 sec, usec;
};

struct rusage {
	struct timeval utime, stime;
	s64 maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
	    nsignals, nvcsw, nivcsw;
};

long rusage_to_user(const struct cputime *c, u64 uru)
{
	u64 ut, st;
	cputime_split(c, &ut, &st);
	struct rusage ru = { .utime = { ut / 1000000000, ut % 1000000000 / 1000 },
			     .stime = { st / 1000000000, st % 1000000000 / 1000 }, .minflt = c->minflt };
	return copy_to_user(uru, &ru, sizeof ru);
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

long sys_getrusage(u64 who, u64 uru)
{
	struct cputime c;
	struct task *l = current->group_leader;
	switch ((int)who) {
	case RUSAGE_SELF: group_cputime(l, &c); break;
	case RUSAGE_CHILDREN: c = l->reaped; break;
	case RUSAGE_THREAD: c = current->cpu, c.exec = task_exec_tsc(current); break;
	default: return -EINVAL;
	}
	return rusage_to_user(&c, uru) < 0 ? -EFAULT : 0;
}

/* times(): clock ticks of 1/100 s (USER_HZ); the return value counts from boot. */
long sys_times(u64 ubuf)
{
	struct cputime self, *ch = &current->group_leader->reaped;
	u64 ut, st, cut, cst;
	group_cputime(current->group_leader, &self);
	cputime_split(&self, &ut, &st);
	cputime_split(ch, &cut, &cst);
	s64 tms[4] = { ut / 10000000, st / 10000000, cut / 10000000, cst / 10000000 };
	if (ubuf && copy_to_user(ubuf, tms, sizeof tms) < 0)
		return -EFAULT;
	return tsc_to_ns(rdtsc() - boot_tsc) / 10000000;
}
