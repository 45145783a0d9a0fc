/* wait4 and waitid status words: normal exits, deaths by SIGKILL, SIGTERM and
 * SIGSEGV, WNOHANG, ECHILD, and an orphan reparented away from its parent. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int status)
{
	if (WIFEXITED(status))
		printf("%s: exited %d\n", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(status)));
	else
		printf("%s: status %#x\n", what, status);
}

int main(void)
{
	int status, pipefd[2];
	pid_t pid;

	for (int code = 0; code < 256; code += 85) {
		if (!(pid = fork()))
			_exit(code);
		waitpid(pid, &status, 0);
		report("exit", status);
	}
	int sigs[] = { SIGKILL, SIGTERM };
	for (int i = 0; i < 2; i++) {
		if (!(pid = fork()))
			for (;;)
				pause();
		printf("WNOHANG while running: %d\n", waitpid(pid, &status, WNOHANG));
		kill(pid, sigs[i]);
		waitpid(pid, &status, 0);
		report("kill", status);
	}
	if (!(pid = fork()))
		*(volatile int *)0 = 1;
	siginfo_t si = { 0 };
	waitid(P_PID, pid, &si, WEXITED);
	printf("waitid: code %s, status %s\n", si.si_code == CLD_KILLED ? "CLD_KILLED" : "other",
	       strsignal(si.si_status));
	if (!(pid = fork()))
		_exit(42);
	waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid: code %s, status %d\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other",
	       si.si_status);

	/* An orphan: the middle process exits; its child finds a new parent. */
	pipe(pipefd);
	if (!(pid = fork())) {
		pid_t mid = getpid();
		if (!fork()) {
			while (getppid() == mid)
				sched_yield();
			char c = 'y';
			write(pipefd[1], &c, 1);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);
	char c = 'n';
	read(pipefd[0], &c, 1);
	printf("orphan reparented: %s\n", c == 'y' ? "yes" : "no");
	while (waitpid(-1, &status, 0) > 0)
		; /* as pid 1 (in forklab) the orphan comes back to us */
	printf("no children left: %s\n", errno == ECHILD ? "ECHILD" : "?");
	return 0;
}
