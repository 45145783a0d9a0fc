/* Seed 001's clone: a child on a stack of its own (copy_thread replaces
 * pt_regs.sp) with its own TLS (CLONE_SETTLS sets the FS base). The child
 * checks both from its own registers and uses raw syscalls only, since its
 * TLS is not a libc thread block. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static struct tls { struct tls *self; long magic; } tls_block = { &tls_block, 0x5eed001 };

static long raw_write(const char *s, long n)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(SYS_write), "D"(1), "S"(s), "d"(n)
			 : "rcx", "r11", "memory");
	return r;
}

static int child(void *arg)
{
	struct tls *fs0;
	char *sp;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	int tls_ok = fs0 == &tls_block && fs0->magic == 0x5eed001;
	int stack_ok = sp > child_stack && sp <= child_stack + sizeof child_stack;
#define SAY(ok, yes, no) ((ok) ? raw_write(yes, sizeof yes - 1) : raw_write(no, sizeof no - 1))
	SAY(tls_ok, "child: fs:0 is the TLS block passed to clone\n", "child: WRONG fs:0\n");
	SAY(stack_ok, "child: running on the stack passed to clone\n", "child: WRONG stack\n");
	return tls_ok && stack_ok ? 7 : 1;
}

int main(void)
{
	int status;
	pid_t pid = clone(child, child_stack + sizeof child_stack, CLONE_SETTLS | SIGCHLD, NULL,
			  NULL, &tls_block, NULL);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	printf("parent: child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}
