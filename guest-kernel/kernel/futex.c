/* FUTEX_WAIT/WAKE/REQUEUE, enough for musl's threads and CLONE_CHILD_CLEARTID.
 * A futex is keyed as Linux's get_futex_key keys it: a private one
 * (FUTEX_PRIVATE_FLAG, or a word in a private mapping) by its address space
 * and virtual address, since copy-on-write moves the word to another frame
 * between a wait and its wake; a word in a MAP_SHARED mapping by its
 * physical address, the same in every process that maps it (those pages are
 * never copied). All waiters share one queue; a wake takes those whose key
 * matches. */
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
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CMD_MASK 0x7f     /* strips FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
#define ETIMEDOUT_ 110

static struct wait_queue futex_q;

static int key_of(u64 uaddr, bool private, struct futex_key *key)
{
	if (uaddr & 3 || !access_ok(uaddr, 4))
		return -EINVAL;
	struct mm *mm = current->mm;
	if (!private) {
		/* As Linux's get_futex_key: the word is looked up as a read would
		 * (unmapped, PROT_NONE or past a file's end: EFAULT) whatever the
		 * mapping. */
		u64 pa;
		if (user_pa(mm, uaddr, false, &pa) < 0)
			return -EFAULT;
		if (vma_find(mm, uaddr)->flags & VM_SHARED) {
			key->mm = NULL;
			key->addr = pa;
			return 0;
		}
	}
	key->mm = mm;
	key->addr = uaddr;
	return 0;
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->mm == b->mm && a->addr == b->addr;
}

/* Wakes up to n waiters on key; moves up to `move` more to key2. */
static long wake_key(const struct futex_key *key, int n, const struct futex_key *key2, int move)
{
	long woken = 0;
	struct task **p = &futex_q.first;
	while (*p) {
		struct task *t = *p;
		if (!key_eq(&t->futex_key, key) || (woken >= n && move <= 0)) {
			p = &t->wait_next;
			continue;
		}
		if (woken < n) {
			*p = t->wait_next;
			wake_task(t);
			woken++;
		} else {
			t->futex_key = *key2;
			move--;
			p = &t->wait_next;
		}
	}
	return woken;
}

long futex_wake(u64 uaddr, int n)
{
	struct futex_key key;
	int r = key_of(uaddr, false, &key);
	return r < 0 ? r : wake_key(&key, n, NULL, 0);
}

long sys_futex(u64 uaddr, u64 op, u64 val, u64 utimeout, u64 uaddr2, u64 val3)
{
	struct futex_key key, key2;
	int cmd = op & FUTEX_CMD_MASK;
	bool private = op & FUTEX_PRIVATE_FLAG;
	int r = key_of(uaddr, private, &key);
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
		current->futex_key = key;
		bool ok = sleep_on(&futex_q, deadline);
		if (!ok)
			return -EINTR;
		return deadline && rdtsc() >= deadline ? -ETIMEDOUT_ : 0;
	}
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return wake_key(&key, (int)val, NULL, 0);
	case FUTEX_CMP_REQUEUE:
	case FUTEX_REQUEUE: {
		/* The count to move comes in the timeout's place. Negative counts
		 * are refused before anything else, as Linux's futex_requeue. */
		u32 cur;
		if ((int)val < 0 || (int)utimeout < 0)
			return -EINVAL;
		if (cmd == FUTEX_CMP_REQUEUE) {
			if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
				return -EFAULT;
			if (cur != (u32)val3)
				return -EAGAIN;
		}
		if ((r = key_of(uaddr2, private, &key2)) < 0)
			return r;
		return wake_key(&key, (int)val, &key2, (int)utimeout);
	}
	}
	return -ENOSYS;
}
