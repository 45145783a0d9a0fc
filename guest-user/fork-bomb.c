/* A bounded fork bomb: children that sleep until killed pile up until fork
 * fails. forklab's task limit must turn that into EAGAIN, not a crash; then
 * every child is killed and reaped. Not for native runs: Linux's limits are
 * the host's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX 1000

int main(void)
{
	static pid_t kids[MAX];
	int n = 0, err = 0;
	while (n < MAX) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0)
			for (;;)
				pause();
		kids[n++] = pid;
	}
	printf("fork failed after %d children: %s\n", n, err ? strerror(err) : "never");
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	int reaped = 0, status;
	while (wait(&status) > 0)
		reaped += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	printf("reaped %d killed children\n", reaped);
	return err == EAGAIN && reaped == n ? 0 : 1;
}
