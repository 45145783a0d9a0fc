/* 1000 fork/exit/wait cycles: every child exits with its index mod 256, and
 * the parent checks each status. The host compares the kernel's free-page
 * count before and after to prove nothing leaks. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define CYCLES 1000

int main(void)
{
	int bad = 0;
	for (int i = 0; i < CYCLES; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(i & 0xff);
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != (i & 0xff))
			bad++;
	}
	printf("%d fork/exit/wait cycles, %d bad\n", CYCLES, bad);
	return bad != 0;
}
