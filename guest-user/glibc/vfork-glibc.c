/* vfork as vfork-demo uses it, through glibc's wrapper (gcc -static): the
 * child execs at once (argv[1], default /bin/hello) while the parent sleeps
 * in the kernel. The wrapper check (--verify) reads glibc's vfork here. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *prog = argc > 1 ? argv[1] : "/bin/hello";
	int status;
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("vfork");
		return 1;
	}
	printf("vfork child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
