/* glibc-static, unlike the rest of guest-user/ (musl): glibc picks its
 * string functions by CPUID and XGETBV, and on a CPU with AVX its memcpy
 * and memcmp keep data in ymm (or zmm) registers mid-copy. N processes
 * (argv[1], default 8) each copy and compare their own pattern, ROUNDS
 * times (argv[2], default 300) through 256 KiB buffers, so timer ticks
 * preempt them mid-copy. A kernel that loses the upper halves of the
 * vector registers at a switch corrupts the copies. Prints "ok" or the
 * first process and round whose copy differed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (256 * 1024)

static int child(int id, int rounds)
{
	unsigned char *src = malloc(LEN), *dst = malloc(LEN), *ref = malloc(LEN);
	if (!src || !dst || !ref)
		return 2;
	for (size_t i = 0; i < LEN; i++)
		ref[i] = (unsigned char)(id * 131 + i * 7 + (i >> 9));
	for (int r = 0; r < rounds; r++) {
		memcpy(src, ref, LEN);
		memset(dst, 0, LEN);
		memcpy(dst, src, LEN);
		memmove(dst + 1, dst, LEN - 1);
		if (memcmp(dst + 1, ref, LEN - 1) != 0) {
			printf("process %d: round %d: the copy differs from its source\n", id, r);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8, rounds = argc > 2 ? atoi(argv[2]) : 300;
	if (n < 1 || rounds < 1)
		return 2;
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			return 2;
		if (!p)
			exit(child(i, rounds));
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	printf("avx-copy: %d processes, %d rounds of 256 KiB copies each: %s\n", n, rounds,
	       bad ? "CORRUPTED" : "ok");
	return bad != 0;
}
