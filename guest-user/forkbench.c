/* The benchmark behind `forklab bench`: the same static binary runs natively
 * on Linux and as a forklab guest, so every figure has its Linux twin. For
 * each size (MiB of touched private memory) and each operation it times N
 * runs with rdtsc (under QEMU's -icount shift=0 a tick is one instruction),
 * after one untimed run, and reads the kernels' work counters before and
 * after them. Output is one
 * record a line, for vmm/bench/ to parse:
 *	@fb tick_ns NS
 *	@fb begin OP MIB
 *	@fb point OP MIB N FORKS FAULTS PTES PT_PAGES PT_SHARED PT_COPIES COW_COPIES
 *		COW_REUSES : TICKS...
 *	@fb skip MIB WHY
 * Counters are totals over the N runs, -1 where the kernel has none.
 * Usage: forkbench [-n N] [-s MIB,...] [-o OP,...] [-H]; `forkbench exit`
 * just exits, as the program that posix_spawn and fork+exec start. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static char stack[16384] __attribute__((aligned(16)));
static char small_page[4096] __attribute__((aligned(4096)));
static char self[4096];         /* this program's path, for exec */
static char *region;            /* the touched private memory of this size */
static size_t region_len;
static bool huge;               /* -H: let Linux use transparent huge pages */
/* Shared with the children of exit+wait: when the child called _exit, and
 * that the parent is about to wait. */
static volatile struct handoff { uint64_t t_exit; int waiting; } *handoff;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* ---- the kernels' work counters ---- */

enum {
	C_FORKS, C_FAULTS, C_PTES, C_PT_PAGES, C_PT_SHARED, C_PT_COPIES, C_COW_COPIES, C_COW_REUSES,
	C_FORK_TSC, C_COPY_MM_TSC, NCOUNTERS
};

/* "NAME VALUE" lines (/proc/vmstat) or "NAME VALUE..." (/proc/stat). */
static long long proc_value(const char *path, const char *name)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	size_t len = strlen(name);
	for (char *p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return atoll(p + len + 1);
	return -1;
}

/* Faults of this process and its reaped children where the kernel keeps
 * them per process (Linux's getrusage); else the kernel's total (forklab's
 * /proc/vmstat pgfault, where only this program runs). */
static long long faults(void)
{
	struct rusage self_ru, kids;
	if (getrusage(RUSAGE_SELF, &self_ru) == 0 && getrusage(RUSAGE_CHILDREN, &kids) == 0)
		return self_ru.ru_minflt + self_ru.ru_majflt + kids.ru_minflt + kids.ru_majflt;
	return proc_value("/proc/vmstat", "pgfault");
}

/* forks: /proc/stat's "processes" (every fork, vfork and clone since boot,
 * machine-wide on Linux). The rest: forklab's /proc/vmstat, the counters
 * `forklab run --stats` prints; Linux has none of them. */
static void counters(long long c[NCOUNTERS])
{
	c[C_FORKS] = proc_value("/proc/stat", "processes");
	c[C_FAULTS] = faults();
	c[C_PTES] = proc_value("/proc/vmstat", "ptes_copied");
	c[C_PT_PAGES] = proc_value("/proc/vmstat", "pt_pages");
	c[C_PT_SHARED] = proc_value("/proc/vmstat", "pt_shared");
	c[C_PT_COPIES] = proc_value("/proc/vmstat", "pt_copies");
	c[C_COW_COPIES] = proc_value("/proc/vmstat", "cow_copies");
	c[C_COW_REUSES] = proc_value("/proc/vmstat", "cow_reuses");
	c[C_FORK_TSC] = proc_value("/proc/vmstat", "fork_tsc");
	c[C_COPY_MM_TSC] = proc_value("/proc/vmstat", "copy_mm_tsc");
}

/* ---- the operations: each returns the ticks of one run, 0 on failure ---- */

static void reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* fork, until it returns in the parent. */
static uint64_t op_fork(void)
{
	uint64_t t0 = rdtsc();
	pid_t pid = fork();
	if (!pid)
		_exit(0);
	uint64_t t = rdtsc() - t0;
	if (pid < 0)
		return 0;
	reap(pid);
	return t;
}

static uint64_t op_fork_wait(void)
{
	uint64_t t0 = rdtsc();
	pid_t pid = fork();
	if (!pid)
		_exit(0);
	if (pid < 0)
		return 0;
	reap(pid);
	return rdtsc() - t0;
}

/* The parent resumes only after the child's _exit. */
static uint64_t op_vfork(void)
{
	uint64_t t0 = rdtsc();
	pid_t pid = vfork();
	if (!pid)
		_exit(0);
	uint64_t t = rdtsc() - t0;
	if (pid < 0)
		return 0;
	reap(pid);
	return t;
}

static int child_fn(void *arg)
{
	return 0;
}

static uint64_t op_clone_vm(void)
{
	uint64_t t0 = rdtsc();
	pid_t pid = clone(child_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
	uint64_t t = rdtsc() - t0;
	if (pid < 0)
		return 0;
	reap(pid);
	return t;
}

/* Until it returns: musl's posix_spawn waits for the child's exec. */
static uint64_t op_posix_spawn(void)
{
	char *argv[] = { self, "exit", NULL };
	pid_t pid;
	uint64_t t0 = rdtsc();
	int err = posix_spawn(&pid, self, NULL, NULL, argv, environ);
	uint64_t t = rdtsc() - t0;
	if (err)
		return 0;
	reap(pid);
	return t;
}

static uint64_t op_fork_exec(void)
{
	char *argv[] = { self, "exit", NULL };
	uint64_t t0 = rdtsc();
	pid_t pid = fork();
	if (!pid) {
		execve(self, argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return 0;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	uint64_t t = rdtsc() - t0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : 0;
}

/* The parent's first store to a page it shares with a live child: one fault
 * and one page copy. The child holds the page until the parent has written. */
static uint64_t op_cow_fault(void)
{
	volatile char *page = region ? region : small_page;
	int go[2];
	char c;
	if (pipe(go))
		return 0;
	pid_t pid = fork();
	if (!pid) {
		read(go[0], &c, 1);
		_exit(0);
	}
	uint64_t t = 0;
	if (pid > 0) {
		uint64_t t0 = rdtsc();
		page[0]++;
		t = rdtsc() - t0;
		write(go[1], "x", 1);
		reap(pid);
	}
	close(go[0]);
	close(go[1]);
	return t;
}

/* A child of this size (it shares the parent's pages) from its _exit until
 * the parent's wait returns, the parent already asleep in wait. On one CPU
 * (see main) the child yields until the parent has said it is waiting. */
static uint64_t op_exit_wait(void)
{
	handoff->waiting = 0;
	pid_t pid = fork();
	if (!pid) {
		while (!handoff->waiting)
			sched_yield();
		handoff->t_exit = rdtsc();
		_exit(0);
	}
	if (pid < 0)
		return 0;
	handoff->waiting = 1;
	reap(pid);
	return rdtsc() - handoff->t_exit;
}

static const struct op {
	const char *name;
	uint64_t (*run)(void);
} ops[] = {
	{ "fork", op_fork },
	{ "fork+exit+wait", op_fork_wait },
	{ "vfork+_exit", op_vfork },
	{ "clone_vm", op_clone_vm },
	{ "posix_spawn", op_posix_spawn },
	{ "fork+exec+wait", op_fork_exec },
	{ "cow_fault", op_cow_fault },
	{ "exit+wait", op_exit_wait },
};
#define NOPS (sizeof ops / sizeof ops[0])

/* ---- sizes ---- */

/* Touches mib MiB of private anonymous memory, 2 MiB aligned, in 4 KiB
 * pages on both kernels: Linux's transparent huge pages would have fork copy
 * one PMD instead of 512 PTEs. With -H, Linux is asked for huge pages
 * (forklab has none; its madvise is ENOSYS). */
static int set_size(unsigned mib)
{
	const size_t huge_size = 2UL << 20;
	if (region)
		munmap(region, region_len);
	region = NULL;
	region_len = (size_t)mib << 20;
	if (!mib)
		return 0;
	char *p = mmap(NULL, region_len + huge_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	size_t head = -(uintptr_t)p & (huge_size - 1);
	if (head)
		munmap(p, head);
	if (huge_size - head)
		munmap(p + head + region_len, huge_size - head);
	region = p + head;
	madvise(region, region_len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (size_t off = 0; off < region_len; off += 4096)
		region[off] = 1;
	return 0;
}

static void run_point(const struct op *op, unsigned mib, int n, uint64_t *t)
{
	long long before[NCOUNTERS], after[NCOUNTERS];
	printf("@fb begin %s %u\n", op->name, mib);
	fflush(stdout);
	op->run(); /* warm: the first run after a change of size or operation costs more */
	counters(before);
	for (int i = 0; i < n; i++)
		if (!(t[i] = op->run())) {
			printf("@fb error %s at %u MiB: run %d of %d failed\n", op->name, mib, i + 1, n);
			exit(1);
		}
	counters(after);
	printf("@fb point %s %u %d", op->name, mib, n);
	for (int k = 0; k < NCOUNTERS; k++)
		printf(" %lld", before[k] < 0 || after[k] < 0 ? -1 : after[k] - before[k]);
	printf(" :");
	for (int i = 0; i < n; i++)
		printf(" %lu", (unsigned long)t[i]);
	printf("\n");
	fflush(stdout);
}

static double tick_ns(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 50000000L);
	return ((b.tv_sec - a.tv_sec) * 1e9 + b.tv_nsec - a.tv_nsec) / (double)(rdtsc() - t0);
}

static int usage(const char *why)
{
	fprintf(stderr, "forkbench: %s (usage: forkbench [-n N] [-s MIB,...] [-o OP,...] [-H])\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "exit"))
		return 0;
	int n = 20, opt;
	const char *sizes = "0,1,16,64,256", *oplist = NULL;
	while ((opt = getopt(argc, argv, "n:s:o:H")) != -1) {
		switch (opt) {
		case 'H': huge = true; break;
		case 'n': n = atoi(optarg); break;
		case 's': sizes = optarg; break;
		case 'o': oplist = optarg; break;
		default: return usage("bad option");
		}
	}
	if (n < 1 || n > 100000)
		return usage("-n must be 1 to 100000");
	int chosen[NOPS] = { 0 };
	for (size_t k = 0; k < NOPS; k++)
		chosen[k] = !oplist;
	for (char *list = oplist ? strdup(oplist) : NULL, *tok = list ? strtok(list, ",") : NULL; tok;
	     tok = strtok(NULL, ",")) {
		size_t k = 0;
		while (k < NOPS && strcmp(ops[k].name, tok))
			k++;
		if (k == NOPS)
			return usage("unknown operation");
		chosen[k] = 1;
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		return fprintf(stderr, "forkbench: readlink /proc/self/exe failed\n"), 1;
	self[len] = 0;
	uint64_t *t = calloc(n, sizeof *t);
	handoff = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!t || handoff == MAP_FAILED)
		return fprintf(stderr, "forkbench: out of memory\n"), 1;
	handoff->waiting = 0; /* present before fork, so the child shares this frame */
	small_page[0] = 1;
	/* One CPU, as the guest has: fork then returns in the parent on both
	 * kernels, and exit+wait's handoff needs it (forklab: ENOSYS, one vCPU). */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);

	printf("@fb tick_ns %.6f\n", tick_ns());
	char *list = strdup(sizes);
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned mib = atoi(tok);
		if (set_size(mib) < 0) {
			printf("@fb skip %u mmap of %u MiB failed: %s\n", mib, mib, strerror(errno));
			break;
		}
		for (size_t k = 0; k < NOPS; k++)
			if (chosen[k])
				run_point(&ops[k], mib, n, t);
	}
	return 0;
}
