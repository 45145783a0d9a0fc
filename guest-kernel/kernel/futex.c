/* FUTEX_WAIT/WAKE/REQUEUE, enough for musl's threads and CLONE_CHILD_CLEARTID.
 * A futex is identified by the physical address of its word, so one key
 * serves private and MAP_SHARED futexes alike. All waiters share one queue;
 * a wake takes those whose key matches. */
#include "arch.h"
#include "errno.h"
#include "futex.h"
#include "ktime.h"
#include "syscall.h"
#include "task.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CMD_MASK 0x7f     /* strips FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
#define ETIMEDOUT_ 110

static struct wait_queue futex_q;
static u64 futex_key[MAX_TASKS];    /* by task index: the key it waits on */

static int key_of(u64 uaddr, u64 *key)
{
	if (uaddr & 3 || !access_ok(uaddr, 4))
		return -EINVAL;
	return user_pa(current->mm, uaddr, false, key) < 0 ? -EFAULT : 0;
}

/* Wakes up to n waiters on key; moves up to `move` more to key2. */
static long wake_key(u64 key, int n, u64 key2, int move)
{
	long woken = 0;
	struct task **p = &futex_q.first;
	while (*p) {
		struct task *t = *p;
		if (futex_key[t - tasks] != key || (woken >= n && move <= 0)) {
			p = &t->wait_next;
			continue;
		}
		if (woken < n) {
			*p = t->wait_next;
			wake_task(t);
			woken++;
		} else {
			futex_key[t - tasks] = key2;
			move--;
			p = &t->wait_next;
		}
	}
	return woken;
}

long futex_wake(u64 uaddr, int n)
{
	u64 key;
	int r = key_of(uaddr, &key);
	return r < 0 ? r : wake_key(key, n, 0, 0);
}

long sys_futex(u64 uaddr, u64 op, u64 val, u64 utimeout, u64 uaddr2, u64 val3)
{
	u64 key, key2;
	int cmd = op & FUTEX_CMD_MASK;
	int r = key_of(uaddr, &key);
	if (r < 0)
		return r;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET: {
		u32 cur;
		u64 deadline = 0;
		if (utimeout) {
			u64 ticks;
			long err = timespec_to_tsc(utimeout, &ticks);
			if (err < 0)
				return err;
			/* WAIT takes a relative timeout; WAIT_BITSET an absolute one. */
			deadline = cmd == FUTEX_WAIT ? rdtsc() + ticks : boot_tsc + ticks;
		}
		if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
			return -EFAULT;
		if (cur != (u32)val)
			return -EAGAIN;
		futex_key[current - tasks] = key;
		bool ok = sleep_on(&futex_q, deadline);
		if (!ok)
			return -EINTR;
		return deadline && rdtsc() >= deadline ? -ETIMEDOUT_ : 0;
	}
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return wake_key(key, (int)val, 0, 0);
	case FUTEX_CMP_REQUEUE: {
		u32 cur;
		if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
			return -EFAULT;
		if (cur != (u32)val3)
			return -EAGAIN;
	}
		/* fall through */
	case FUTEX_REQUEUE:
		if ((r = key_of(uaddr2, &key2)) < 0)
			return r;
		return wake_key(key, (int)val, key2, (int)utimeout);
	}
	return -ENOSYS;
}
