/* A task's user FPU/SSE/AVX state (arch/x86/fpu.c). The kernel itself uses
 * no FPU register, so the live registers are always the current user
 * task's: they are saved at a switch away, never on kernel entry. */
#ifndef K_FPU_H
#define K_FPU_H

#include "kernel.h"

struct task;

/* A task's save area: the standard (non-compacted) XSAVE format, which is
 * also KVM's struct kvm_xsave, so PVM hosts can fill it from the VMM. x87,
 * SSE, AVX and AVX-512 need 2,696 bytes; a CPU that needs more for those
 * gets fewer features enabled. */
#define FPU_AREA_MAX FL_FPU_AREA

void fpu_init(void);                  /* boot: CR4, XCR0, the area size */
void fpu_exec(void);                  /* current starts with the initial state */

/* Signal frames: current's live state to and from a user buffer of
 * fpu_user_size() bytes, 64-byte aligned, in the layout Linux uses
 * (an fxsave or xsave image, with the FP_XSTATE magic when xsave). */
u64 fpu_user_size(void);
long fpu_to_user(u64 ubuf);
long fpu_from_user(u64 ubuf);        /* -EFAULT, or -EINVAL for a bad image */

/* The instructions themselves, for the host seam (host_fpu_switch, which
 * arch/x86/process.c calls at fork and at every switch). Inline, as
 * Linux's os_xsave: they are on every switch. */
extern u64 fpu_xfeatures;             /* XCR0; 0 when the CPU has no XSAVE */
extern bool fpu_have_xsaveopt;
static inline void fpu_save_native(u8 *area)
{
	u32 lo = fpu_xfeatures, hi = fpu_xfeatures >> 32;
	if (!fpu_xfeatures)
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
	else if (fpu_have_xsaveopt)
		__asm__ volatile("xsaveopt64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
	else
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
}
static inline void fpu_restore_native(const u8 *area)
{
	u32 lo = fpu_xfeatures, hi = fpu_xfeatures >> 32;
	if (!fpu_xfeatures)
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
	else
		__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(lo), "d"(hi) : "memory");
}

#endif
