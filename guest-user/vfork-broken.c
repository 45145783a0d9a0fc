/* A vfork wrapper written wrong on purpose, for the wrapper check: unlike
 * libc's, it leaves its return address on the stack it shares with the
 * child. The child returns through that slot and calls execl, whose own
 * return address lands in it; the parent then returns to where the child's
 * execl call would have gone, its _exit(127), and never reports the child. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t broken_vfork(void);
__asm__(".text\n"
	".globl broken_vfork\n"
	".type broken_vfork, @function\n"
	"broken_vfork:\n"
	"	mov $58, %eax\n" /* SYS_vfork; the return address stays at [rsp] */
	"	syscall\n"
	"	ret\n"
	".size broken_vfork, . - broken_vfork\n");

int main(void)
{
	int status;
	fflush(stdout);
	pid_t pid = broken_vfork();
	if (pid == 0) {
		execl("/bin/hello", "hello", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("vfork");
		return 1;
	}
	printf("vfork child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
