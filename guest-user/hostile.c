/* A program that attacks the kernel, each attack in a child that must die of
 * a signal while the kernel carries on. Forklab-only: on the PVM host the
 * address below is its syscall trampoline. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Into the PVM trampoline with a non-canonical return address: iretq to it
 * would fault inside the kernel. */
static void bad_return_address(void)
{
	__asm__ volatile("mov $0x8000000000000000, %%rcx; mov $39, %%eax;"
			 "mov $0x7f0000000000, %%rdx; jmp *%%rdx" ::: "rcx", "rax", "rdx");
}

static void kernel_read(void)
{
	printf("%lx\n", *(volatile unsigned long *)0xffffffff80200000UL);
}

static void kernel_jump(void)
{
	((void (*)(void))0xffffffff80200000UL)();
}

static void privileged(void)
{
	__asm__ volatile("cli; hlt");
}

int main(void)
{
	static const struct { const char *name; void (*fn)(void); int sig; } attacks[] = {
		{ "return to a non-canonical address", bad_return_address, SIGSEGV },
		{ "read kernel memory", kernel_read, SIGSEGV },
		{ "jump into the kernel", kernel_jump, SIGSEGV },
		{ "cli; hlt", privileged, SIGSEGV },
	};
	int bad = 0;
	for (unsigned i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		int status;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			attacks[i].fn();
			_exit(0);
		}
		waitpid(pid, &status, 0);
		int ok = WIFSIGNALED(status) && WTERMSIG(status) == attacks[i].sig;
		printf("%s: %s\n", attacks[i].name, ok ? "killed" : "NOT killed");
		bad += !ok;
	}
	printf("the kernel is still here\n");
	return bad;
}
