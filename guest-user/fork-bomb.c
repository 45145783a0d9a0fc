/* A bounded fork bomb: children that sleep until killed pile up until fork
 * fails. forklab's task limit, which it first prints as RLIMIT_NPROC
 * reports it, must turn that into EAGAIN, not a crash; then every child is
 * killed and reaped. With an argument KB, each child first
 * maps KB of shared memory (populated at once), so that memory runs out
 * first: fork or the child's mmap must fail with ENOMEM. Not for native runs:
 * Linux's limits are the host's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX 1000

int main(int argc, char **argv)
{
	static pid_t kids[MAX];
	size_t kb = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	int n = 0, err = 0, ready[2];
	struct rlimit nproc;
	if (pipe(ready) || getrlimit(RLIMIT_NPROC, &nproc))
		return 1;
	printf("RLIMIT_NPROC %llu\n", (unsigned long long)nproc.rlim_cur);
	while (n < MAX) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			/* Report whether the memory could be had: errno, or 0. */
			char e = 0;
			if (kb && mmap(NULL, kb << 10, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				       -1, 0) == MAP_FAILED)
				e = errno;
			write(ready[1], &e, 1);
			for (;;)
				pause();
		}
		kids[n++] = pid;
		char e;
		if (read(ready[0], &e, 1) != 1 || e) {
			err = e;
			break;
		}
	}
	printf("stopped after %d children: %s\n", n, err ? strerror(err) : "never");
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	int reaped = 0, status;
	while (wait(&status) > 0)
		reaped += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	printf("reaped %d killed children\n", reaped);
	return err == (kb ? ENOMEM : EAGAIN) && reaped == n ? 0 : 1;
}
