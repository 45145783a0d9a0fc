/* The system calls a musl program needs to start, print and exit, checked
 * one by one with their Linux semantics, bad pointers included. Prints one
 * line per check; runs the same natively, for the differential test. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

/* Runs fn in a child and returns the signal that killed it, or 0. */
static int dies_of(void (*fn)(void *), void *arg)
{
	int status;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void poke(void *p)
{
	*(volatile char *)p = 1;
}

static long sys(long nr, long a, long b, long c)
{
	long r = syscall(nr, a, b, c);
	return r < 0 ? -errno : r;
}

int main(void)
{
	struct winsize ws;
	struct utsname u;
	struct timespec a, b, req = { 0, 20 * 1000 * 1000 };

	check("write to a kernel address gives EFAULT", sys(SYS_write, 1, (long)0xffff888000000000UL, 8) == -EFAULT);
	check("write from an unmapped address gives EFAULT", sys(SYS_write, 1, 0x1000, 8) == -EFAULT);
	check("read into a kernel address gives EFAULT", sys(SYS_read, 0, (long)0xffffffff80200000UL, 8) == -EFAULT);
	check("uname with a bad pointer gives EFAULT", sys(SYS_uname, 0x10, 0, 0) == -EFAULT);
	check("an unknown system call gives ENOSYS", sys(500, 0, 0, 0) == -ENOSYS);
	check("TIOCGWINSZ on a pipe gives ENOTTY", ioctl(1, TIOCGWINSZ, &ws) < 0 && errno == ENOTTY);
	check("uname says Linux x86_64", uname(&u) == 0 && !strcmp(u.sysname, "Linux") && !strcmp(u.machine, "x86_64"));
	check("getpid is positive", getpid() > 0);

	clock_gettime(CLOCK_MONOTONIC, &a);
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec;
	check("nanosleep 20 ms sleeps at least 20 ms", ns >= 20 * 1000 * 1000);

	/* musl's sbrk refuses increments: use the system call itself. */
	char *brk0 = (char *)syscall(SYS_brk, 0);
	check("brk grows the heap", (char *)syscall(SYS_brk, brk0 + 3 * 4096) == brk0 + 3 * 4096);
	brk0[3 * 4096 - 1] = 7;
	check("the new heap is zeroed and writable", brk0[0] == 0 && brk0[3 * 4096 - 1] == 7);

	char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("anonymous mmap is zero-filled", m != MAP_FAILED && m[0] == 0 && m[8 * 4096 - 1] == 0);
	m[4096] = 'x';
	check("mprotect to read-only", mprotect(m, 2 * 4096, PROT_READ) == 0 && m[4096] == 'x');
	check("writing a read-only page gives SIGSEGV", dies_of(poke, m + 4096) == SIGSEGV);
	check("munmap", munmap(m + 4 * 4096, 4096) == 0);
	check("touching an unmapped page gives SIGSEGV", dies_of(poke, m + 4 * 4096) == SIGSEGV);
	check("the rest of the mapping survives", (m[5 * 4096] = 1) == 1);
	check("mmap of length 0 gives EINVAL", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);

	struct sigaction sa = { .sa_handler = SIG_IGN }, old;
	check("rt_sigaction records a disposition", sigaction(SIGUSR1, &sa, NULL) == 0 &&
	      sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == SIG_IGN);
	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	check("rt_sigprocmask blocks and reports", sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
	      sigprocmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGUSR2));
	return failed;
}
