/* poll, ppoll, select and pselect6 over the file_ops' poll (a file without
 * one is always readable and writable: tmpfs, devices, the console). A
 * sleeper waits on poll_wq, which every pipe change wakes, or its deadline.
 * busybox's read builtin polls its input. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "ktime.h"
#include "syscall.h"
#include "task.h"

struct pollfd {
	s32 fd;
	int16_t events, revents;
};

static u32 file_poll(struct file *f)
{
	return f->ops->poll ? f->ops->poll(f) : POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

/* One pass over the user's pollfds: revents written back, the count ready. */
static long poll_pass(u64 ufds, u64 nfds)
{
	long ready = 0;
	for (u64 i = 0; i < nfds; i++) {
		struct pollfd p;
		if (copy_from_user(&p, ufds + i * sizeof p, sizeof p) < 0)
			return -EFAULT;
		struct file *f = p.fd >= 0 ? fd_file(p.fd) : NULL;
		u32 mask = p.fd < 0 ? 0 : !f ? POLLNVAL : file_poll(f);
		int16_t rev = mask & ((u16)p.events | POLLERR | POLLHUP | POLLNVAL);
		ready += rev != 0;
		if (rev != p.revents && copy_to_user(ufds + i * sizeof p + 6, &rev, 2) < 0)
			return -EFAULT;
	}
	return ready;
}

/* deadline: TSC, 0 for none; nowait: a zero timeout. */
static long do_poll(u64 ufds, u64 nfds, u64 deadline, bool nowait)
{
	if (nfds > 1024)
		return -EINVAL;
	for (;;) {
		long r = poll_pass(ufds, nfds);
		if (r || nowait || (deadline && rdtsc() >= deadline))
			return r;
		if (!sleep_on(&poll_wq, deadline))
			return -ERESTARTNOHAND;
	}
}

long sys_poll(u64 ufds, u64 nfds, u64 timeout_ms)
{
	s32 ms = timeout_ms;
	u64 deadline = ms > 0 ? rdtsc() + (u64)ms * tsc_khz : 0;
	return do_poll(ufds, nfds, deadline, ms == 0);
}

/* A relative timespec: *deadline (TSC) and *nowait, for ppoll and pselect6. */
static long timeout_of(u64 uts, u64 *deadline, bool *nowait)
{
	u64 ticks = 0;
	*deadline = 0, *nowait = false;
	if (!uts)
		return 0;
	long r = timespec_to_tsc(uts, &ticks);
	if (r < 0)
		return r;
	*nowait = !ticks;
	*deadline = rdtsc() + ticks;
	return 0;
}

long sys_ppoll(u64 ufds, u64 nfds, u64 uts, u64 umask, u64 size)
{
	u64 deadline;
	bool nowait;
	long r = timeout_of(uts, &deadline, &nowait);
	if (r < 0 || (r = set_user_sigmask(umask, size)) < 0)
		return r;
	r = do_poll(ufds, nfds, deadline, nowait);
	restore_user_sigmask(umask, r == -ERESTARTNOHAND);
	return r;
}

/* select's fd_sets: NR_OPEN fds fit one word each. */
static long do_select(u64 n, u64 uin, u64 uout, u64 uex, u64 deadline, bool nowait)
{
	u64 in = 0, out = 0, ex = 0;
	if ((s64)(int)n < 0)
		return -EINVAL;
	if (n > 64)
		n = 64;
	u64 valid = n == 64 ? ~0UL : (1UL << n) - 1;
	if ((uin && copy_from_user(&in, uin, 8) < 0) || (uout && copy_from_user(&out, uout, 8) < 0) ||
	    (uex && copy_from_user(&ex, uex, 8) < 0))
		return -EFAULT;
	in &= valid, out &= valid, ex &= valid;
	for (;;) {
		u64 rin = 0, rout = 0;
		for (u64 fd = 0; fd < n; fd++) {
			u64 bit = 1UL << fd;
			if (!((in | out | ex) & bit))
				continue;
			struct file *f = fd_file(fd);
			if (!f)
				return -EBADF;
			u32 m = file_poll(f);
			if ((in & bit) && (m & (POLLIN | POLLRDNORM | POLLHUP | POLLERR)))
				rin |= bit;
			if ((out & bit) && (m & (POLLOUT | POLLWRNORM | POLLERR)))
				rout |= bit;
		}
		long ready = 0;
		for (u64 m = rin; m; m &= m - 1)
			ready++;
		for (u64 m = rout; m; m &= m - 1)
			ready++;
		if (ready || nowait || (deadline && rdtsc() >= deadline)) {
			u64 zero = 0;
			if ((uin && copy_to_user(uin, &rin, 8) < 0) || (uout && copy_to_user(uout, &rout, 8) < 0) ||
			    (uex && copy_to_user(uex, &zero, 8) < 0))
				return -EFAULT;
			return ready;
		}
		if (!sleep_on(&poll_wq, deadline))
			return -ERESTARTNOHAND;
	}
}

struct timeval {
	s64 sec, usec;
};

long sys_select(u64 n, u64 uin, u64 uout, u64 uex, u64 utv)
{
	struct timeval tv;
	u64 deadline = 0;
	bool nowait = false;
	if (utv) {
		if (copy_from_user(&tv, utv, sizeof tv) < 0)
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0)
			return -EINVAL;
		u64 ticks = tv.sec * tsc_khz * 1000 + (tv.usec % 1000000000) * tsc_khz / 1000;
		nowait = !ticks;
		deadline = rdtsc() + ticks;
	}
	return do_select(n, uin, uout, uex, deadline, nowait);
}

long sys_pselect6(u64 n, u64 uin, u64 uout, u64 uex, u64 uts, u64 usig)
{
	u64 deadline, mask = 0;
	bool nowait;
	struct { u64 set, size; } sig = { 0, 0 };
	long r = timeout_of(uts, &deadline, &nowait);
	if (r < 0)
		return r;
	if (usig && copy_from_user(&sig, usig, sizeof sig) < 0)
		return -EFAULT;
	mask = sig.set;
	if ((r = set_user_sigmask(mask, sig.size)) < 0)
		return r;
	r = do_select(n, uin, uout, uex, deadline, nowait);
	restore_user_sigmask(mask, r == -ERESTARTNOHAND);
	return r;
}
