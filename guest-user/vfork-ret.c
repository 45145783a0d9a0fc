/* For --explain's observed ret (tests/integration/explain_test.c): a vfork
 * whose child only _exits, then a parent that leaves the function that
 * called vfork in one of four ways (argv[1]), each an outcome of the host's
 * single steps (vmm/observe/retwatch.c):
 *   detour   it overwrites its own return slot, after the child released
 *            it, with detour's address: its ret goes there, not where the
 *            slot said at the release;
 *   longjmp  it leaves by longjmp, no ret: main's next call reuses the slot;
 *   spin     it runs more instructions than the steps allow before its ret;
 *   exit     it exits before any ret.
 * Each prints and exits as natively. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's only act. 0 from waitpid's status, or -1. */
static int child_status(pid_t pid)
{
	int status;
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WEXITSTATUS(status);
}

/* Entered by spawn_detour's ret, not by a call: RSP is 16-byte aligned as
 * before a call, so a call from here gives detoured an ABI-correct stack. */
__attribute__((noreturn, used)) void detoured(void)
{
	printf("detour: the parent's ret went to detour\n");
	exit(3);
}
void detour(void);
__asm__(".text\n.globl detour\n.type detour, @function\ndetour:\n\tcall detoured\n\tud2\n"
	".size detour, .-detour\n");

__attribute__((noipa)) static int spawn_detour(void)
{
	int st = child_status(vfork());
	/* __builtin_frame_address gives this function an rbp frame: the
	 * return slot is the word above the saved rbp. */
	void *volatile *slot = (void *volatile *)__builtin_frame_address(0) + 1;
	*slot = (void *)detour;
	return st;
}

static jmp_buf back;

__attribute__((noipa)) static void spawn_longjmp(void)
{
	int st = child_status(vfork());
	longjmp(back, st + 5);
}

/* Well over FL_RET_STEPS (10,000) instructions: three or more an iteration. */
__attribute__((noipa)) static int spawn_spin(void)
{
	int st = child_status(vfork());
	for (volatile int i = 0; i < 20000; i++)
		;
	return st;
}

__attribute__((noipa)) static int spawn_exit(void)
{
	int st = child_status(vfork());
	printf("exit: the parent exits before its ret\n");
	exit(st + 4);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	if (!strcmp(how, "detour")) {
		printf("detour: not reached, %d\n", spawn_detour());
		return 1;
	}
	if (!strcmp(how, "longjmp")) {
		int st = setjmp(back);
		if (st) {
			printf("longjmp: back in main, %d\n", st);
			return st;
		}
		spawn_longjmp();
		return 1;
	}
	if (!strcmp(how, "spin")) {
		printf("spin: %d\n", spawn_spin());
		return 0;
	}
	if (!strcmp(how, "exit"))
		spawn_exit();
	fprintf(stderr, "usage: vfork-ret detour|longjmp|spin|exit\n");
	return 2;
}
