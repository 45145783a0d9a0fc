/* A seeded system-call fuzzer: PROCS processes each make CALLS system calls
 * with random numbers (0-450) and arguments drawn from pools of hostile
 * values. The kernel must survive it, and once every process has exited, all
 * its pages must be free again (forklab run --stats). Issue 12.
 *
 *   sysfuzz SEED [PROCS [CALLS [trace]]]   defaults: 20 processes, 5000 calls each;
 *                                          trace: each call on stderr before it is made
 *
 * Call k of process p depends only on (SEED, p, k), so a run is reproducible
 * and a process can be restarted anywhere. A process that dies (a call
 * unmapped its code, a bad rt_sigreturn...) is restarted at the next call; one
 * that makes no progress for STALL_S seconds (a call blocked with our timer
 * signal masked) is killed and restarted likewise. One that outlives SIGKILL
 * is a hung kernel: exit 1. A 20 ms interval timer interrupts blocking calls.
 * Every 30 s a line says how many calls have been made.
 *
 * Never called, because they would end the test rather than test the kernel:
 * exit and exit_group (the process ends: nothing is tested, each costs a
 * restart); kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo and
 * pidfd_send_signal (pid pools hold 0, -1 and 1: they would kill the parent,
 * init, and every sibling); reboot, kexec_load and kexec_file_load (they end
 * the machine on Linux); execve and execveat (a success replaces the fuzzer);
 * pause and rt_sigsuspend (they wait for a signal for ever once a call has
 * masked or ignored ours: every one would cost a watchdog kill).
 *
 * clone is called without CLONE_PARENT, and the parent catches every signal
 * it can: a child made with CLONE_PARENT is the parent's, and its exit signal
 * is random. Linux's init ignores a signal it has no handler for; forklab's
 * pid 1 is the user's program, and dies of it as it would natively.
 *
 * Each process works in its own directory under /tmp/sysfuzz, with 0-2 on
 * /dev/null; the parent removes the tree at the end, so that files a call
 * created do not count as leaked pages, and as pid 1 it kills and reaps
 * whatever the fuzzed forks left. Prints one line of totals. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64
#define MAX_NR 450
#define STALL_S 3
#define KILL_GRACE_S 5
#define REPORT_S 30     /* a line of progress */
#define DIR "/tmp/sysfuzz"

static const int excluded[] = {
	SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo,
	SYS_rt_tgsigqueueinfo, 424 /* pidfd_send_signal */, SYS_reboot, SYS_kexec_load,
	320 /* kexec_file_load */, SYS_execve, SYS_execveat, SYS_pause, SYS_rt_sigsuspend,
};

/* Per process, in memory the parent shares: the next call and its number. */
struct progress {
	volatile long next;
	volatile long nr;
};
static struct progress *prog;
static uint64_t seed;
static bool trace;      /* argument 4 "trace": each call on stderr before it is made */
#define TRACE_FD 31     /* the parent's stderr, kept for the fuzzed processes (fd limit 32) */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static bool is_excluded(long nr)
{
	for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
		if (excluded[i] == nr)
			return true;
	return false;
}

/* An argument from one of the pools, chosen by r. */
static long pick(uint64_t r, char *buf, size_t buflen)
{
	static const long pool[] = {
		0, 1, 2, 3, 4, -1, -2, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x7fffffff, 0x80000000L,
		0xffffffffL, 1L << 32, 1L << 40, 0x7fffffffffffffffL, (long)0x8000000000000000UL,
		0x10000, 0x400000, 0x7f0000000000L /* the kernel's reserved slot */, 0x7ffffffff000L,
		0x800000000000L /* non-canonical */, (long)0xdead000000000000UL,
		(long)0xffff800000000000UL, (long)0xffff888000000000UL /* the direct map */,
		(long)0xffffffff80000000UL /* the kernel image */, (long)0xffffffffff600000UL,
	};
	uint64_t v = r >> 8;
	switch (r & 7) {
	case 0: case 1: return pool[v % (sizeof pool / sizeof pool[0])];
	case 2: return v % 16;                          /* fds, small counts and flags */
	case 3: return (long)(buf + v % buflen);        /* inside a buffer of random bytes */
	case 4: return (long)(buf + buflen - v % 16);   /* at its end */
	case 5: return (long)v << 8;                    /* large, often huge */
	case 6: return v % 4096;
	default: return (long)mix(r);
	}
}

static void on_tick(int sig)
{
}

static volatile long caught;

static void on_signal(int sig)
{
	caught++;
}

/* Process p's calls from its prog[p].next on; never returns. */
static void fuzz(int p, long calls)
{
	static char buf[8192];
	char dir[64];
	int fd = open("/dev/null", O_RDWR);
	snprintf(dir, sizeof dir, DIR "/%d", p);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    (mkdir(dir, 0755) < 0 && errno != EEXIST) || chdir(dir) < 0)
		_exit(3);
	struct sigaction sa = { .sa_handler = on_tick }; /* no SA_RESTART: calls see EINTR */
	struct itimerval tick = { { 0, 20000 }, { 0, 20000 } };
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &tick, NULL) < 0)
		_exit(3);
	pid_t me = getpid();
	for (long k = prog[p].next; k < calls; k = ++prog[p].next) {
		uint64_t r = mix(seed ^ mix(((uint64_t)p << 32) ^ (uint64_t)k));
		for (size_t i = 0; i < sizeof buf; i += 8)
			*(uint64_t *)(buf + i) = mix(r + i);
		long nr;
		for (int t = 0; (nr = mix(r + t) % (MAX_NR + 1)), is_excluded(nr); t++)
			;
		long a[6];
		for (int i = 0; i < 6; i++)
			a[i] = pick(mix(r ^ (0x1000 + i)), buf, sizeof buf);
		if (nr == SYS_clone)
			a[0] &= ~(long)CLONE_PARENT;
		prog[p].nr = nr;
		if (trace) {
			char line[200];
			int n = snprintf(line, sizeof line, "%d %ld: %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
					 p, k, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			write(TRACE_FD, line, n);
		}
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (getpid() != me)
			_exit(0); /* a fork or clone's child: the fuzzing stays with the original */
	}
	_exit(0);
}

static pid_t start(int p, long calls)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		fuzz(p, calls);
	return pid;
}

static int rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path) < 0 && errno != ENOENT;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: sysfuzz SEED [PROCS [CALLS]]\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	int procs = argc > 2 ? atoi(argv[2]) : 20;
	long calls = argc > 3 ? atol(argv[3]) : 5000;
	trace = argc > 4 && !strcmp(argv[4], "trace") && dup2(2, TRACE_FD) == TRACE_FD;
	if (procs < 1 || procs > MAX_PROCS || calls < 1) {
		fprintf(stderr, "sysfuzz: 1 to %d processes, at least one call\n", MAX_PROCS);
		return 2;
	}
	prog = mmap(NULL, sizeof *prog * MAX_PROCS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (prog == MAP_FAILED || (mkdir(DIR, 0755) < 0 && errno != EEXIST)) {
		perror("sysfuzz: setup");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGCHLD)
			sigaction(sig, &sa, NULL); /* SIGKILL and SIGSTOP refuse: so be it */
	pid_t pid[MAX_PROCS];
	long seen[MAX_PROCS];
	double since[MAX_PROCS], killed_at[MAX_PROCS];
	long died = 0, stuck = 0;
	int live = procs;
	double next_report = now() + REPORT_S;
	for (int p = 0; p < procs; p++) {
		pid[p] = start(p, calls), seen[p] = -1, since[p] = now(), killed_at[p] = 0;
		if (pid[p] < 0)
			return perror("sysfuzz: fork"), 1;
	}
	while (live) {
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			int p = 0;
			while (p < procs && pid[p] != w)
				p++;
			if (p == procs)
				continue; /* a fuzzed fork's child, reparented to us */
			if (prog[p].next >= calls) {
				pid[p] = 0, live--;
				continue;
			}
			died += !killed_at[p];
			prog[p].next++; /* the call it died in is not made again */
			pid[p] = start(p, calls), seen[p] = -1, since[p] = now(), killed_at[p] = 0;
			if (pid[p] < 0)
				return perror("sysfuzz: fork"), 1;
		}
		for (int p = 0; p < procs; p++) {
			if (!pid[p])
				continue;
			if (killed_at[p] && now() - killed_at[p] > KILL_GRACE_S) {
				printf("sysfuzz: hung: pid %d (process %d) outlived SIGKILL in system call %ld "
				       "(call %ld)\n", pid[p], p, prog[p].nr, prog[p].next);
				return 1;
			}
			if (prog[p].next != seen[p]) {
				seen[p] = prog[p].next, since[p] = now();
			} else if (!killed_at[p] && now() - since[p] > STALL_S) {
				printf("sysfuzz: watchdog: process %d stuck in call %ld (system call %ld)\n",
				       p, prog[p].next, prog[p].nr);
				kill(pid[p], SIGKILL);
				killed_at[p] = now(), stuck++;
			}
		}
		if (now() >= next_report) {
			long made = 0;
			for (int p = 0; p < procs; p++)
				made += pid[p] ? prog[p].next : calls;
			printf("sysfuzz: %ld calls made\n", made);
			next_report += REPORT_S;
		}
		struct timespec nap = { 0, 20000000 };
		nanosleep(&nap, NULL);
	}
	/* Children of fuzzed forks and clones: as init (forklab's pid 1) they are
	 * ours, and kill(-1) reaches all of them and nothing else. */
	if (getpid() == 1)
		kill(-1, SIGKILL);
	while (waitpid(-1, NULL, getpid() == 1 ? 0 : WNOHANG) > 0)
		;
	if (nftw(DIR, rm, 16, FTW_DEPTH | FTW_PHYS) < 0)
		perror("sysfuzz: removing " DIR);
	printf("sysfuzz: seed %llu: %d processes, %ld calls each: all made; %ld restarts after a "
	       "death, %ld after the watchdog; %ld signals to the parent\n",
	       (unsigned long long)seed, procs, calls, died, stuck, caught);
	return 0;
}
