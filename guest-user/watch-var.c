/* A variable read, then written, then read again, each in a function of its
 * own: for gdb's read and access watchpoints (tests/integration/gdb_test.c),
 * which see the read in peek, the write in poke. */
#include <stdio.h>

volatile long watched = 41;

__attribute__((noinline)) static long peek(void)
{
	return watched;
}

__attribute__((noinline)) static void poke(long v)
{
	watched = v;
}

int main(void)
{
	long was = peek();
	poke(was + 1);
	printf("watched: %ld, then %ld\n", was, peek());
	return 0;
}
