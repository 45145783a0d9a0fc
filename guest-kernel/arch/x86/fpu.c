/* User FPU state: saved with fxsave64 at each switch between user tasks,
 * and restored with fxrstor64; a new program starts from the state the CPU
 * had at boot. */
#include "arch.h"
#include "errno.h"
#include "fpu.h"
#include "mm.h"
#include "task.h"

#define FXSAVE_SIZE 512

static u8 init_state[FXSAVE_SIZE] __attribute__((aligned(64)));

static void fpu_save(u8 *area)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(u8(*)[FXSAVE_SIZE])area));
}

static void fpu_restore(const u8 *area)
{
	__asm__ volatile("fxrstor64 %0" ::"m"(*(const u8(*)[FXSAVE_SIZE])area));
}

void fpu_init(void)
{
	fpu_save(init_state);
}

void fpu_switch(struct task *prev, struct task *next)
{
	if (!prev->kthread)
		fpu_save(prev->fpstate);
	if (!next->kthread)
		fpu_restore(next->fpstate);
}

void fpu_fork(struct task *child)
{
	fpu_save(child->fpstate);
}

void fpu_exec(void)
{
	memcpy(current->fpstate, init_state, FXSAVE_SIZE);
	fpu_restore(current->fpstate);
}

u64 fpu_user_size(void)
{
	return FXSAVE_SIZE;
}

long fpu_to_user(u64 ubuf)
{
	fpu_save(current->fpstate);
	return copy_to_user(ubuf, current->fpstate, FXSAVE_SIZE);
}

long fpu_from_user(u64 ubuf)
{
	u8 *area = current->fpstate;
	if (copy_from_user(area, ubuf, FXSAVE_SIZE) < 0)
		return -EFAULT;
	*(u32 *)(area + 24) &= 0xffff; /* MXCSR: reserved bits would #GP in fxrstor */
	fpu_restore(area);
	return 0;
}
