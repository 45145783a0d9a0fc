/* Copy-on-write from the user's side: after fork each process sees its own
 * private memory (heap, stack, data) yet shares MAP_SHARED memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 16

static char data_page[4096] = "initialised data";

int main(void)
{
	char *heap = malloc(PAGES * 4096);
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char stack_buf[64] = "parent stack";
	if (!heap || shared == MAP_FAILED)
		return 1;
	memset(heap, 'p', PAGES * 4096);
	strcpy(shared, "before fork");
	pid_t pid = fork();
	if (pid == 0) {
		volatile char *h = heap; /* every write must happen: each is a COW fault */
		for (int i = 0; i < PAGES * 4096; i += 4096)
			h[i] = 'c';
		h[PAGES * 4096 - 1] = 'c';
		strcpy(stack_buf, "child stack");
		strcpy(data_page, "child data");
		strcpy(shared, "written by the child");
		int ok = h[0] == 'c' && h[PAGES * 4096 - 1] == 'c';
		_exit(ok ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	int heap_ok = 1;
	for (int i = 0; i < PAGES * 4096; i++)
		heap_ok &= heap[i] == 'p';
	printf("child exit: %d\n", WEXITSTATUS(status));
	printf("parent heap untouched: %s\n", heap_ok ? "yes" : "no");
	printf("parent stack: %s\n", stack_buf);
	printf("parent data: %s\n", data_page);
	printf("shared page: %s\n", shared);
	return WEXITSTATUS(status) == 0 && heap_ok && !strcmp(stack_buf, "parent stack") &&
	       !strcmp(data_page, "initialised data") && !strcmp(shared, "written by the child") ? 0 : 1;
}
