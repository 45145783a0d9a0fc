/* Writes through a null pointer: the kernel must kill it with SIGSEGV. */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;
	printf("about to fault\n");
	fflush(stdout);
	*p = 42;
	printf("still alive?\n");
	return 0;
}
