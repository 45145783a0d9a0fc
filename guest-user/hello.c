/* The smallest guest program: print a line, exit 0. */
#include <stdio.h>

int main(void)
{
	printf("hello from forklab\n");
	return 0;
}
