/* Deliberately wrong, for --vfork-check: vfork in a helper that returns to
 * its caller, which then execs. The child's return pops the helper's frame,
 * and execl's call puts its return address where the helper's was: the
 * parent, resumed, returns from the helper into main just after that call,
 * the child's path, and leaves by its _exit(127). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static pid_t start_child(void)
{
	volatile int tries = 1; /* a frame of its own, so that vfork is not a tail call */
	pid_t pid = vfork();
	return pid < 0 ? -tries : pid;
}

int main(void)
{
	fflush(stdout);
	pid_t pid = start_child();
	if (pid == 0) {
		execl("/bin/hello", "hello", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exited with %d\n", WEXITSTATUS(status));
	return 0;
}
