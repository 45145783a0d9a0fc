/* Guest-side cost of process creation, timed with rdtsc inside the guest:
 * fork, vfork, clone(CLONE_VM) and posix_spawn of a small program, each
 * N times (argv[1], default 200), as min/median TSC ticks and microseconds.
 * "create" is the call until it returns in the parent; "cycle" adds the
 * child's exit and the parent's wait. "COW write fault" is the parent's first
 * store to a page it shares with a live child: one fault and one page copy.
 * Under QEMU's -icount shift=0 a tick is one instruction. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static char stack[16384] __attribute__((aligned(16)));
static volatile char cow_page[4096] __attribute__((aligned(4096)));
static double ns_per_tick;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *t, int n)
{
	qsort(t, n, sizeof *t, cmp);
	printf("%-22s min %10lu  median %10lu ticks   min %9.1f  median %9.1f us\n", name,
	       (unsigned long)t[0], (unsigned long)t[n / 2], t[0] * ns_per_tick / 1000,
	       t[n / 2] * ns_per_tick / 1000);
}

static int child_fn(void *arg)
{
	return 0;
}

static void calibrate(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 50000000L);
	ns_per_tick = ((b.tv_sec - a.tv_sec) * 1e9 + b.tv_nsec - a.tv_nsec) / (double)(rdtsc() - t0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	const char *spawn_prog = argc > 2 ? argv[2] : "/bin/exit-status";
	uint64_t *create = calloc(n, 8), *cycle = calloc(n, 8);
	int status;
	if (n < 1 || !create || !cycle)
		return 2;
	calibrate();

	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		pid_t pid = fork();
		if (!pid)
			_exit(0);
		create[i] = rdtsc() - t0;
		waitpid(pid, &status, 0);
		cycle[i] = rdtsc() - t0;
	}
	report("fork create", create, n);
	report("fork+exit+wait", cycle, n);

	for (int i = 0; i < n; i++) {
		int go[2];
		char c;
		cow_page[0] = 1; /* ours alone again: a present, written page */
		if (pipe(go))
			return 2;
		pid_t pid = fork();
		if (!pid) { /* keep the page shared until the parent has written */
			read(go[0], &c, 1);
			_exit(0);
		}
		uint64_t t0 = rdtsc();
		cow_page[0] = 2;
		create[i] = rdtsc() - t0;
		write(go[1], "x", 1);
		waitpid(pid, &status, 0);
		close(go[0]);
		close(go[1]);
	}
	report("COW write fault", create, n);

	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		pid_t pid = vfork();
		if (!pid)
			_exit(0);
		create[i] = rdtsc() - t0; /* the parent resumes only after the child's _exit */
		waitpid(pid, &status, 0);
		cycle[i] = rdtsc() - t0;
	}
	report("vfork+_exit", create, n);
	report("vfork+_exit+wait", cycle, n);

	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		pid_t pid = clone(child_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
		create[i] = rdtsc() - t0;
		waitpid(pid, &status, 0);
		cycle[i] = rdtsc() - t0;
	}
	report("clone(CLONE_VM) create", create, n);
	report("clone(CLONE_VM) cycle", cycle, n);

	char *args[] = { (char *)spawn_prog, NULL };
	for (int i = 0; i < n; i++) {
		pid_t pid;
		uint64_t t0 = rdtsc();
		if (posix_spawn(&pid, spawn_prog, NULL, NULL, args, environ)) {
			printf("posix_spawn %s failed\n", spawn_prog);
			return 1;
		}
		create[i] = rdtsc() - t0;
		waitpid(pid, &status, 0);
		cycle[i] = rdtsc() - t0;
	}
	report("posix_spawn", create, n);
	report("posix_spawn+exit+wait", cycle, n);
	return 0;
}
