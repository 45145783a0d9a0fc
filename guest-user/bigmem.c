/* A large address space through fork: maps N MiB (argv[1], default 64),
 * writes every page, forks, and the child rewrites every 16th page
 * (copy-on-write) and checks all of them; the parent checks its own after
 * the child exits. No per-process limit but memory should stop it: past
 * 238 MiB the kernel once ran out of page-table bookkeeping slots. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static int check(const unsigned char *p, size_t pages, int child)
{
	for (size_t i = 0; i < pages; i++) {
		unsigned char want = (unsigned char)(i * 13 + (child && i % 16 == 0 ? 1 : 0));
		if (p[i * PAGE] != want || p[i * PAGE + PAGE - 1] != (unsigned char)i) {
			printf("%s: page %zu holds %u, expected %u\n", child ? "child" : "parent", i,
			       p[i * PAGE], want);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	size_t pages = (size_t)mib * 256;
	unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mib < 1 || p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < pages; i++) {
		p[i * PAGE] = (unsigned char)(i * 13);
		p[i * PAGE + PAGE - 1] = (unsigned char)i;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		for (size_t i = 0; i < pages; i += 16)
			p[i * PAGE]++;
		_exit(check(p, pages, 1));
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 4;
	int bad = check(p, pages, 0);
	printf("bigmem: %ld MiB touched, forked, copied on write: %s\n", mib, bad ? "WRONG" : "ok");
	return bad;
}
