/* For --explain's observed ret (tests/integration/explain_test.c): a vfork
 * whose child only _exits, then a parent that leaves the function that
 * called vfork in one of six ways (argv[1]), each an outcome of the host's
 * single steps (vmm/observe/retwatch.c):
 *   detour   it overwrites its own return slot, after the child released
 *            it, with detour's address: its ret goes there, not where the
 *            slot said at the release;
 *   read     the same by read(2) from a pipe: the kernel's copy writes it;
 *   thread   the same by a thread it joins: another task writes it;
 *   longjmp  it leaves by longjmp, no ret: main's next call reuses the slot;
 *   spin     it runs more instructions than the steps allow before its ret;
 *   exit     it exits before any ret.
 * Each prints and exits as natively. */
#include <pthread.h>
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

static const char *how = "";

/* Entered by a ret, not by a call: RSP is 16-byte aligned as before a call,
 * so a call from here gives detoured an ABI-correct stack. */
__attribute__((noreturn, used)) void detoured(void)
{
	printf("%s: the parent's ret went to detour\n", how);
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

__attribute__((noipa)) static int spawn_read(void)
{
	int st = child_status(vfork());
	void *to = (void *)detour, **slot = (void **)__builtin_frame_address(0) + 1;
	int p[2];
	if (pipe(p) || write(p[1], &to, sizeof to) != sizeof to || read(p[0], slot, sizeof to) != sizeof to)
		return -1;
	return st;
}

static void *write_slot(void *slot)
{
	*(void *volatile *)slot = (void *)detour;
	return NULL;
}

__attribute__((noipa)) static int spawn_thread(void)
{
	int st = child_status(vfork());
	pthread_t t;
	if (pthread_create(&t, NULL, write_slot, (void **)__builtin_frame_address(0) + 1) ||
	    pthread_join(t, NULL))
		return -1;
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
	how = argc > 1 ? argv[1] : "";
	int (*const detours[])(void) = { spawn_detour, spawn_read, spawn_thread };
	const char *const detour_how[] = { "detour", "read", "thread" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(how, detour_how[i])) {
			printf("%s: not reached, %d\n", how, detours[i]());
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
	fprintf(stderr, "usage: vfork-ret detour|read|thread|longjmp|spin|exit\n");
	return 2;
}
