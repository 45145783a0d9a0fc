/* The structure offsets that the assembly files use, generated from C at
 * build time as Linux's kbuild does: the compiler writes each as a
 * "->NAME value" line into its assembly output, and the Makefile turns those
 * into build/gen/asm-offsets.h. A struct that moves moves the asm with it. */
#include "arch.h"
#include "task.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, offsetof(struct str, mem))

void asm_offsets(void)
{
	OFFSET(PT_BX, pt_regs, bx);
	OFFSET(PT_BP, pt_regs, bp);
	OFFSET(PT_AX, pt_regs, ax);
	OFFSET(PT_CS, pt_regs, cs);

	OFFSET(TASK_THREAD_SP, task, thread.sp);
	OFFSET(TASK_THREAD_IP, task, thread.ip);
	OFFSET(TASK_TRACE_RETURN, task, trace_return);

	OFFSET(TSS_SP0, tss_struct, sp0);
	OFFSET(TSS_SP2, tss_struct, sp2);
}
