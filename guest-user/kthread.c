/* Reaps the kernel threads that the bootarg kthreads=N starts as children of
 * pid 1 (forklab run --append kthreads=3 kthread): each began at
 * ret_from_kernel_thread and exits with its index. */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

int main(void)
{
	int status, n = 0;
	pid_t pid;
	while ((pid = wait(&status)) > 0) {
		printf("reaped kernel thread pid %d, exit code %d\n", pid,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		n++;
	}
	printf("%d kernel threads reaped\n", n);
	return errno == ECHILD && n > 0 ? 0 : 1;
}
