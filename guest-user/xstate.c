/* Extended register state across context switches: N processes (argv[1],
 * default 8) each load their own values into every vector register the CPU
 * and the kernel enabled (xmm0-15, or ymm0-15 with AVX, or zmm0-31 and
 * k0-7 with AVX-512), then call sched_yield ITERS times (argv[2], default
 * 2000) from one asm block, so nothing but the kernel runs between the
 * loads and the final check. A kernel that saves only the legacy fxsave
 * area loses the upper halves of the ymm/zmm registers at the first switch.
 * Prints the level checked and "ok", or the first register that changed. */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum level { SSE, AVX, AVX512 };
static const char *const level_name[] = { "sse (xmm0-15)", "avx (ymm0-15)", "avx-512 (zmm0-31, k0-7)" };
static const int vec_bytes[] = { 16, 32, 64 };

static enum level detect(void)
{
	unsigned a, b, c, d, lo, hi;
	__cpuid_count(1, 0, a, b, c, d);
	if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
		return SSE;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) != 6) /* the kernel enabled SSE and AVX state */
		return SSE;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 16)) && (lo & 0xe0) == 0xe0 ? AVX512 : AVX;
}

/* Loads regs from `in`, yields `iters` times, stores them to `out`. */
#define YIELD_LOOP                                                              \
	"1:\n\t"                                                                \
	"movl $24, %%eax\n\t" /* sched_yield */                                 \
	"syscall\n\t"                                                           \
	"decq %%r12\n\t"                                                        \
	"jnz 1b\n\t"

#define X16(op, w, base, off) \
	op " " #off "*0(" base "), %%" w "0\n\t" op " " #off "*1(" base "), %%" w "1\n\t"     \
	op " " #off "*2(" base "), %%" w "2\n\t" op " " #off "*3(" base "), %%" w "3\n\t"     \
	op " " #off "*4(" base "), %%" w "4\n\t" op " " #off "*5(" base "), %%" w "5\n\t"     \
	op " " #off "*6(" base "), %%" w "6\n\t" op " " #off "*7(" base "), %%" w "7\n\t"     \
	op " " #off "*8(" base "), %%" w "8\n\t" op " " #off "*9(" base "), %%" w "9\n\t"     \
	op " " #off "*10(" base "), %%" w "10\n\t" op " " #off "*11(" base "), %%" w "11\n\t" \
	op " " #off "*12(" base "), %%" w "12\n\t" op " " #off "*13(" base "), %%" w "13\n\t" \
	op " " #off "*14(" base "), %%" w "14\n\t" op " " #off "*15(" base "), %%" w "15\n\t"
#define S16(op, w, base, off) \
	op " %%" w "0, " #off "*0(" base ")\n\t" op " %%" w "1, " #off "*1(" base ")\n\t"     \
	op " %%" w "2, " #off "*2(" base ")\n\t" op " %%" w "3, " #off "*3(" base ")\n\t"     \
	op " %%" w "4, " #off "*4(" base ")\n\t" op " %%" w "5, " #off "*5(" base ")\n\t"     \
	op " %%" w "6, " #off "*6(" base ")\n\t" op " %%" w "7, " #off "*7(" base ")\n\t"     \
	op " %%" w "8, " #off "*8(" base ")\n\t" op " %%" w "9, " #off "*9(" base ")\n\t"     \
	op " %%" w "10, " #off "*10(" base ")\n\t" op " %%" w "11, " #off "*11(" base ")\n\t" \
	op " %%" w "12, " #off "*12(" base ")\n\t" op " %%" w "13, " #off "*13(" base ")\n\t" \
	op " %%" w "14, " #off "*14(" base ")\n\t" op " %%" w "15, " #off "*15(" base ")\n\t"
/* zmm16-31 and k0-7 have no short loop either. */
#define Z16HI(op, base) \
	op " 64*16(" base "), %%zmm16\n\t" op " 64*17(" base "), %%zmm17\n\t" op " 64*18(" base "), %%zmm18\n\t" \
	op " 64*19(" base "), %%zmm19\n\t" op " 64*20(" base "), %%zmm20\n\t" op " 64*21(" base "), %%zmm21\n\t" \
	op " 64*22(" base "), %%zmm22\n\t" op " 64*23(" base "), %%zmm23\n\t" op " 64*24(" base "), %%zmm24\n\t" \
	op " 64*25(" base "), %%zmm25\n\t" op " 64*26(" base "), %%zmm26\n\t" op " 64*27(" base "), %%zmm27\n\t" \
	op " 64*28(" base "), %%zmm28\n\t" op " 64*29(" base "), %%zmm29\n\t" op " 64*30(" base "), %%zmm30\n\t" \
	op " 64*31(" base "), %%zmm31\n\t"
#define Z16HI_ST(op, base) \
	op " %%zmm16, 64*16(" base ")\n\t" op " %%zmm17, 64*17(" base ")\n\t" op " %%zmm18, 64*18(" base ")\n\t" \
	op " %%zmm19, 64*19(" base ")\n\t" op " %%zmm20, 64*20(" base ")\n\t" op " %%zmm21, 64*21(" base ")\n\t" \
	op " %%zmm22, 64*22(" base ")\n\t" op " %%zmm23, 64*23(" base ")\n\t" op " %%zmm24, 64*24(" base ")\n\t" \
	op " %%zmm25, 64*25(" base ")\n\t" op " %%zmm26, 64*26(" base ")\n\t" op " %%zmm27, 64*27(" base ")\n\t" \
	op " %%zmm28, 64*28(" base ")\n\t" op " %%zmm29, 64*29(" base ")\n\t" op " %%zmm30, 64*30(" base ")\n\t" \
	op " %%zmm31, 64*31(" base ")\n\t"
#define K8(base) \
	"kmovq 2048+8*0(" base "), %%k0\n\tkmovq 2048+8*1(" base "), %%k1\n\t"   \
	"kmovq 2048+8*2(" base "), %%k2\n\tkmovq 2048+8*3(" base "), %%k3\n\t"   \
	"kmovq 2048+8*4(" base "), %%k4\n\tkmovq 2048+8*5(" base "), %%k5\n\t"   \
	"kmovq 2048+8*6(" base "), %%k6\n\tkmovq 2048+8*7(" base "), %%k7\n\t"
#define K8_ST(base) \
	"kmovq %%k0, 2048+8*0(" base ")\n\tkmovq %%k1, 2048+8*1(" base ")\n\t"   \
	"kmovq %%k2, 2048+8*2(" base ")\n\tkmovq %%k3, 2048+8*3(" base ")\n\t"   \
	"kmovq %%k4, 2048+8*4(" base ")\n\tkmovq %%k5, 2048+8*5(" base ")\n\t"   \
	"kmovq %%k6, 2048+8*6(" base ")\n\tkmovq %%k7, 2048+8*7(" base ")\n\t"

#define CLOBBER_REGS "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", \
	"xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void run(enum level l, const uint8_t *in, uint8_t *out, long iters)
{
	register long left __asm__("r12") = iters;
	switch (l) {
	case SSE:
		__asm__ volatile(X16("movdqu", "xmm", "%1", 16) YIELD_LOOP S16("movdqu", "xmm", "%2", 16)
				 : "+r"(left) : "r"(in), "r"(out) : CLOBBER_REGS);
		break;
	case AVX:
		__asm__ volatile(X16("vmovdqu", "ymm", "%1", 32) YIELD_LOOP S16("vmovdqu", "ymm", "%2", 32)
				 "vzeroupper\n\t"
				 : "+r"(left) : "r"(in), "r"(out) : CLOBBER_REGS);
		break;
	case AVX512:
		__asm__ volatile(X16("vmovdqu64", "zmm", "%1", 64) Z16HI("vmovdqu64", "%1") K8("%1")
				 YIELD_LOOP
				 S16("vmovdqu64", "zmm", "%2", 64) Z16HI_ST("vmovdqu64", "%2") K8_ST("%2")
				 "vzeroupper\n\t"
				 : "+r"(left) : "r"(in), "r"(out) : CLOBBER_REGS);
		break;
	}
}

#define AREA (64 * 32 + 8 * 8)

static int child(int id, enum level l, long iters)
{
	static uint8_t in[AREA], out[AREA];
	int nvec = l == AVX512 ? 32 : 16, vb = vec_bytes[l];
	for (int i = 0; i < AREA; i++)
		in[i] = (uint8_t)(id * 37 + i * 11 + (i >> 8));
	run(l, in, out, iters);
	for (int r = 0; r < nvec; r++)
		if (memcmp(in + r * vb, out + r * vb, vb)) {
			printf("process %d: vector register %d changed across the switches\n", id, r);
			return 1;
		}
	if (l == AVX512 && memcmp(in + 2048, out + 2048, 64)) {
		printf("process %d: an opmask register changed across the switches\n", id);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	long iters = argc > 2 ? atol(argv[2]) : 2000;
	enum level l = detect();
	if (n < 1 || iters < 1)
		return 2;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			return 2;
		if (!p)
			exit(child(i, l, iters));
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (WIFSIGNALED(st))
				printf("a process died of signal %d\n", WTERMSIG(st));
			bad++;
		}
	printf("xstate: %s in %d processes, %ld yields each: %s\n", level_name[l], n, iters,
	       bad ? "CHANGED" : "ok");
	return bad != 0;
}
