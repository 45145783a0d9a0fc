/* Character devices: /dev/null, zero, full, random, urandom, tty, console;
 * and getrandom. Random bytes come from xorshift64* seeded by the TSC and,
 * where the CPU has it, RDRAND. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "syscall.h"
#include "task.h"

#define DEV(ma, mi) ((ma) << 8 | (mi))

static u64 rng_state;

static u64 rdrand_or_zero(void)
{
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1U << 30)))
		return 0;
	u64 v = 0;
	u8 ok = 0;
	for (int tries = 0; tries < 10 && !ok; tries++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
	return v;
}

void get_random(void *buf, size_t n)
{
	if (!rng_state)
		rng_state = (rdtsc() * 0x9e3779b97f4a7c15UL) ^ rdrand_or_zero() ^ 0x2545f4914f6cdd1dUL;
	rng_state ^= rdtsc();
	u8 *p = buf;
	while (n) {
		rng_state ^= rng_state >> 12;
		rng_state ^= rng_state << 25;
		rng_state ^= rng_state >> 27;
		u64 v = rng_state * 0x2545f4914f6cdd1dUL;
		size_t k = MIN(n, 8);
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

static long random_to_user(u64 ubuf, u64 n)
{
	static u8 buf[PAGE_SIZE];
	u64 done = 0;
	while (done < n) {
		u64 chunk = MIN(n - done, sizeof buf);
		get_random(buf, chunk);
		if (copy_to_user(ubuf + done, buf, chunk) < 0)
			return done ? (long)done : -EFAULT;
		done += chunk;
		cond_resched(); /* buf is refilled before its next use */
	}
	return done;
}

static long null_read(struct file *f, u64 ubuf, u64 n)
{
	return 0;
}

static long sink_write(struct file *f, u64 ubuf, u64 n)
{
	return n;
}

static long zero_read(struct file *f, u64 ubuf, u64 n)
{
	return clear_user_phys(ubuf, n);
}

static long full_write(struct file *f, u64 ubuf, u64 n)
{
	return -ENOSPC;
}

static long random_read(struct file *f, u64 ubuf, u64 n)
{
	return random_to_user(ubuf, n);
}

static long tty_read(struct file *f, u64 ubuf, u64 n)
{
	return console_rw(true, ubuf, n);
}

static long tty_write(struct file *f, u64 ubuf, u64 n)
{
	return console_rw(false, ubuf, n);
}

static long dev_ioctl(struct file *f, u64 cmd, u64 arg)
{
	return -ENOTTY;
}

static const struct file_ops null_ops = { .read = null_read, .write = sink_write, .ioctl = dev_ioctl };
static const struct file_ops zero_ops = { .read = zero_read, .write = sink_write, .ioctl = dev_ioctl };
static const struct file_ops full_ops = { .read = zero_read, .write = full_write, .ioctl = dev_ioctl };
static const struct file_ops random_ops = { .read = random_read, .write = sink_write,
					    .ioctl = dev_ioctl };
static const struct file_ops tty_ops = { .read = tty_read, .write = tty_write, .ioctl = dev_ioctl };

int dev_open(struct inode *i, struct file *f)
{
	switch (i->rdev) {
	case DEV(1, 3): f->ops = &null_ops; return 0;
	case DEV(1, 5): f->ops = &zero_ops; return 0;
	case DEV(1, 7): f->ops = &full_ops; return 0;
	case DEV(1, 8):
	case DEV(1, 9): f->ops = &random_ops; return 0;
	case DEV(5, 0):
	case DEV(5, 1): f->ops = &tty_ops; return 0;
	}
	return -ENXIO;
}

long sys_getrandom(u64 ubuf, u64 n, u64 flags)
{
	if (flags & ~7UL)
		return -EINVAL;
	return random_to_user(ubuf, MIN(n, 33554431UL));
}
