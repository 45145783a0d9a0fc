/* A 64 TiB private mapping (MAP_NORESERVE) with a page touched at each end:
 * long in address space, small in pages. Kernel and host work on it must be
 * bounded by its pages and tables, not its length (issue 12).
 *   bigvma fork       fork once; the child exits (what --verify checks at a fork)
 *   bigvma mprotect   mprotect all of it read-only (a write then faults, in a
 *                     child), then read-write again (the write succeeds), and
 *                     msync all of it
 *   bigvma cost MIB   the TSC ticks of one mprotect(PROT_READ) over a MIB MiB
 *                     mapping with both ends touched (instructions under the
 *                     nested bed's NESTED_ICOUNT=1)
 * Prints what it did; exit 1 on a failure. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (64UL << 40)

/* How a child writing the mapping's last page ends: "ok" or a signal. */
static const char *write_last(volatile char *p)
{
	pid_t pid = fork();
	if (pid == 0) {
		p[LEN - 1] = 2;
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return "fork or wait failed";
	return WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : WEXITSTATUS(st) ? "exit != 0" : "ok";
}

static int cost(unsigned long mib)
{
	unsigned long len = mib << 20;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!len || p == MAP_FAILED)
		return perror("mmap"), 1;
	p[0] = 1, p[len - 1] = 1;
	unsigned long long t0 = __builtin_ia32_rdtsc();
	int r = mprotect((void *)p, len, PROT_READ);
	unsigned long long t1 = __builtin_ia32_rdtsc();
	if (r < 0)
		return perror("mprotect"), 1;
	printf("mprotect of %lu MiB, 2 pages present: %llu ticks\n", mib, t1 - t0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "cost") && argc > 2)
		return cost(strtoul(argv[2], NULL, 0));
	volatile char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap 64 TiB");
		return 1;
	}
	p[0] = 1, p[LEN - 1] = 1;
	if (!strcmp(cmd, "fork")) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(p[0] + p[LEN - 1] == 2 ? 0 : 1);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return printf("fork: the child failed\n"), 1;
		printf("fork: the child saw both pages\n");
		return 0;
	}
	if (!strcmp(cmd, "mprotect")) {
		if (mprotect((void *)p, LEN, PROT_READ) < 0)
			return perror("mprotect PROT_READ"), 1;
		printf("read-only: read %d %d, write %s\n", p[0], p[LEN - 1], write_last(p));
		if (mprotect((void *)p, LEN, PROT_READ | PROT_WRITE) < 0)
			return perror("mprotect PROT_READ|PROT_WRITE"), 1;
		printf("read-write: write %s, msync %d\n", write_last(p),
		       msync((void *)p, LEN, MS_ASYNC));
		return 0;
	}
	fprintf(stderr, "usage: bigvma fork|mprotect|cost MIB\n");
	return 2;
}
