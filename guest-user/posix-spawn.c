/* musl's posix_spawn: clone(CLONE_VM|CLONE_VFORK) onto a small stack, the
 * child execs, and a failed exec reports its errno through a CLOEXEC pipe.
 * argv[1] is the program to spawn (default /bin/hello, the guest's path). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	char *prog = argc > 1 ? argv[1] : "/bin/hello";
	char *args[] = { prog, NULL };
	pid_t pid;
	int status;
	fflush(stdout);
	int r = posix_spawn(&pid, prog, NULL, NULL, args, environ);
	if (r) {
		printf("posix_spawn %s: %s\n", prog, strerror(r));
		return 1;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		printf("waitpid failed\n");
		return 1;
	}
	printf("spawned program exited with %d\n", WEXITSTATUS(status));
	r = posix_spawn(&pid, "/no/such/program", NULL, NULL, args, environ);
	printf("spawning a missing program: %s\n", r ? strerror(r) : "succeeded?!");
	return r == ENOENT && WEXITSTATUS(status) == 0 ? 0 : 1;
}
