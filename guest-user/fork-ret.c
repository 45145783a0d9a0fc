/* fork()'s return value as each side sees it: the child exits with what
 * fork returned to it, the parent waits and exits with the child's status.
 * Untouched, the child gets 0 and the run exits 0; the gdb test sets the
 * child's pt_regs.ax before its first run and sees that value come back.
 * The raw system call, not musl's fork(): its wrapper does the child's
 * bookkeeping only when it sees 0. */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t parent = getpid();
	long r = syscall(SYS_fork);
	int status;
	if (r < 0) {
		perror("fork");
		return 1;
	}
	if (getpid() != parent) {
		printf("child pid %d: fork returned %ld\n", getpid(), r);
		return (int)(r & 0xff);
	}
	pid_t c = wait(&status);
	if (c < 0 || !WIFEXITED(status)) {
		perror("wait");
		return 1;
	}
	printf("parent pid %d: fork returned %ld; child %d exited %d\n", parent, r, c,
	       WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
