/* Deliberately wrong, for --vfork-check: the vfork child stores into a local
 * of the function that called vfork, a word of the parent's frame (POSIX
 * leaves it undefined). The parent then reads the child's value. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	volatile int seen_by_parent = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		seen_by_parent = 42;
		_exit(0);
	}
	printf("the child's store reached the parent: %d\n", seen_by_parent);
	return 0;
}
