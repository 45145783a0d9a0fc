/* A 512 MiB .bss, more than the guest's default 256 MiB of RAM: it must
 * start at once and cost only the pages it touches, as on Linux, where .bss
 * is demand-zero (issue 12: the kernel cleared every page before the first
 * instruction, and ran out of memory here). */
#include <stdio.h>

static char big[512 << 20];

int main(void)
{
	for (unsigned long i = 0; i < sizeof big; i += sizeof big / 8)
		big[i] += 1;
	big[sizeof big - 1] += 2;
	printf("512 MiB .bss, 9 pages touched: %d %d\n", big[0], big[sizeof big - 1]);
	return 0;
}
