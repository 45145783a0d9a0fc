/* User FPU, SSE, AVX and AVX-512 state, as Linux keeps it: at boot,
 * CR4.OSXSAVE and XCR0 enable every user state component the CPU has that
 * the kernel knows how to switch (x87, SSE, AVX, AVX-512; not MPX, PKRU or
 * AMX); each task has an XSAVE area, saved (XSAVEOPT where present) when it
 * is switched away from and restored (XRSTOR) when it is switched to. A CPU
 * without XSAVE gets FXSAVE. Programs see this through CPUID (OSXSAVE) and
 * XGETBV, and glibc picks its AVX string functions from them. */
#include "arch.h"
#include "errno.h"
#include "fpu.h"
#include "mm.h"
#include "task.h"

#define XFEATURE_FP        (1UL << 0)
#define XFEATURE_SSE       (1UL << 1)
#define XFEATURE_YMM       (1UL << 2)
#define XFEATURE_AVX512    FL_XFEATURES_AVX512 /* opmask, ZMM_Hi256, Hi16_ZMM */
#define FXSAVE_SIZE 512
#define XSAVE_HDR 512                 /* the header: xstate_bv, xcomp_bv, reserved */
#define MXCSR_OFF 24
#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x37f
/* Signal frames (Linux's struct _fpx_sw_bytes in the fxsave area's software
 * bytes, and a second magic after the xsave image). */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define SW_BYTES_OFF 464

u64 fpu_xfeatures;                    /* XCR0; 0 when the CPU has no XSAVE */
bool fpu_have_xsaveopt;
static u32 area_size = FXSAVE_SIZE;   /* bytes of the area the CPU writes */
/* What a new program starts with: FCW and MXCSR at their defaults, every
 * other register zero (xstate_bv = 0: all components in their init state). */
static u8 init_state[FPU_AREA_MAX] __attribute__((aligned(64)));

void fpu_init(void)
{
	u32 a, b, c, d;
	*(u16 *)init_state = FCW_DEFAULT;
	*(u32 *)(init_state + MXCSR_OFF) = MXCSR_DEFAULT;
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1U << 26)) { /* XSAVE */
		write_cr4(read_cr4() | X86_CR4_OSXSAVE);
		cpuid(0xd, 0, &a, &b, &c, &d);
		u64 want = (a | (u64)d << 32) & FL_XFEATURES;
		if ((want & XFEATURE_AVX512) != XFEATURE_AVX512)
			want &= ~XFEATURE_AVX512;
		for (;;) {
			xsetbv(0, want);
			cpuid(0xd, 0, &a, &b, &c, &d); /* EBX: the size for XCR0 as set */
			if (b <= FPU_AREA_MAX || !(want & ~(XFEATURE_FP | XFEATURE_SSE)))
				break;
			want &= (want & XFEATURE_AVX512) ? ~XFEATURE_AVX512 : ~XFEATURE_YMM;
		}
		fpu_xfeatures = want;
		area_size = b;
		u32 lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		if ((lo | (u64)hi << 32) != want)
			printk("forklab: fpu: XCR0 reads %#lx after XSETBV %#lx\n", lo | (u64)hi << 32, want);
		cpuid(0xd, 1, &a, &b, &c, &d);
		fpu_have_xsaveopt = a & 1;
	}
	printk("forklab: fpu: %s, xcr0 %#lx, %u-byte area\n",
	       fpu_xfeatures ? fpu_have_xsaveopt ? "xsaveopt" : "xsave" : "fxsave", fpu_xfeatures, area_size);
}

void fpu_exec(void)
{
	memcpy(current->fpstate, init_state, XSAVE_HDR + 64);
	host_fpu_switch(NULL, current->fpstate);
}

/* The frame holds the image and, with XSAVE, the second magic after it. */
u64 fpu_user_size(void)
{
	return fpu_xfeatures ? area_size + 4 : FXSAVE_SIZE;
}

long fpu_to_user(u64 ubuf)
{
	u8 *area = current->fpstate;
	host_fpu_switch(area, NULL);
	if (fpu_xfeatures) {
		u32 *sw = (u32 *)(area + SW_BYTES_OFF); /* magic1, extended_size, xfeatures, xstate_size */
		sw[0] = FP_XSTATE_MAGIC1;
		sw[1] = area_size + 4;
		*(u64 *)&sw[2] = fpu_xfeatures;
		sw[4] = area_size;
		u32 magic2 = FP_XSTATE_MAGIC2;
		if (copy_to_user(ubuf + area_size, &magic2, 4) < 0)
			return -EFAULT;
	}
	return copy_to_user(ubuf, area, fpu_xfeatures ? area_size : FXSAVE_SIZE) < 0 ? -EFAULT : 0;
}

/* A user image must not make XRSTOR fault in the kernel: MXCSR's reserved
 * bits clear, only enabled components, the standard format, a zero header. */
long fpu_from_user(u64 ubuf)
{
	u8 *area = current->fpstate;
	if (copy_from_user(area, ubuf, fpu_xfeatures ? area_size : FXSAVE_SIZE) < 0)
		return -EFAULT;
	*(u32 *)(area + MXCSR_OFF) &= 0xffff;
	if (fpu_xfeatures) {
		u64 *hdr = (u64 *)(area + XSAVE_HDR);
		hdr[0] &= fpu_xfeatures; /* xstate_bv */
		memset(&hdr[1], 0, 56); /* xcomp_bv and the reserved words */
	}
	host_fpu_switch(NULL, area);
	return 0;
}
