/* User/kernel boundary and task switch: the syscall entry, exception and
 * interrupt stubs, switch_to, ret_from_fork, and the one exit path to user
 * mode. Every entry saves the user registers as a struct pt_regs (abi.h) at
 * the top of the task's kernel stack. Offsets come from asm-offsets.c. */
#include <forklab/abi.h>
#include <asm-offsets.h>

#define ENOSYS 38
#define EFAULT 14

/* Push the general registers below orig_ax, in struct pt_regs order. */
.macro PUSH_REGS_AFTER_DI
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

/* Pop the general registers and orig_ax: RSP is left at the iret frame. */
.macro POP_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	addq $8, %rsp			/* orig_ax */
.endm

	.text
/* Hardware KVM: `syscall` lands here in ring 0 with the user RSP still live.
 * Interrupts are off (FMASK), and stay off in the kernel. */
	.globl entry_SYSCALL_64
entry_SYSCALL_64:
	movq %rsp, cpu_tss+TSS_SP2(%rip)	/* scratch, as Linux uses it */
	movq cpu_tss+TSS_SP0(%rip), %rsp
	pushq $FL_USER_DS		/* pt_regs.ss */
	pushq cpu_tss+TSS_SP2(%rip)	/* pt_regs.sp */
	pushq %r11			/* pt_regs.flags */
	pushq $FL_USER_CS		/* pt_regs.cs */
	pushq %rcx			/* pt_regs.ip */
	pushq %rax			/* pt_regs.orig_ax */
	pushq %rdi
	PUSH_REGS_AFTER_DI
	movq $-ENOSYS, PT_AX(%rsp)	/* pt_regs.ax until the call returns */
	movq %rsp, %rdi
	call do_syscall_64
	jmp restore_regs_and_iret

/* `syscall` from 32-bit code (CSTAR; AMD only: Intel CPUs raise #UD there).
 * forklab has no 32-bit system calls, so this is Linux's answer with IA32
 * emulation off (entry_SYSCALL32_ignore): eax = -ENOSYS, back to the caller
 * at the next instruction, in 32-bit mode. Linux returns with sysretl; this
 * builds the same frame as entry_SYSCALL_64 (cs the 32-bit one) and leaves
 * through the one iretq path, which both host kinds already run. orig_ax
 * -1: nothing to restart. Interrupts stay off (FMASK) until the iretq. */
	.globl entry_SYSCALL_compat
entry_SYSCALL_compat:
	movq %rsp, cpu_tss+TSS_SP2(%rip)
	movq cpu_tss+TSS_SP0(%rip), %rsp
	pushq $FL_USER_DS		/* pt_regs.ss */
	pushq cpu_tss+TSS_SP2(%rip)	/* pt_regs.sp */
	pushq %r11			/* pt_regs.flags */
	pushq $FL_USER32_CS		/* pt_regs.cs */
	pushq %rcx			/* pt_regs.ip: the next instruction (ECX, zero-extended) */
	pushq $-1			/* pt_regs.orig_ax */
	pushq %rdi
	PUSH_REGS_AFTER_DI
	movq $-ENOSYS, PT_AX(%rsp)
	jmp restore_regs_and_iret

/* struct task *switch_to(prev, next), called by context_switch (sched.c):
 * saves prev's callee-saved registers on its stack, its kernel sp and resume
 * ip in its thread record, moves to next's stack, and tail-calls
 * __switch_to(prev, next) (process.c), which returns prev to next's
 * thread.ip: label 1 for a task that switched away here, ret_from_fork for
 * a new one. */
	.globl switch_to
switch_to:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, TASK_THREAD_SP(%rdi)
	leaq 1f(%rip), %rax
	movq %rax, TASK_THREAD_IP(%rdi)
	movq TASK_THREAD_SP(%rsi), %rsp
	pushq TASK_THREAD_IP(%rsi)
	jmp __switch_to
1:	popq %r15			/* RAX: the task we came from */
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* Every new task's first instructions (copy_thread's thread.ip): RAX is the
 * task switched from, RSP the task's pt_regs. A forked child's frame is its
 * parent's with ax = 0, so it leaves through the normal exit to user mode. A
 * kernel thread's frame is a kernel one, with its function in bx and the
 * argument in bp (seed 001); the function's return value is its exit code. */
	.globl ret_from_fork
ret_from_fork:
	movq %rax, %rdi
	call schedule_tail		/* sched.c */
	testb $3, PT_CS(%rsp)
	jnz restore_regs_and_iret
	movq PT_BP(%rsp), %rdi
	call *PT_BX(%rsp)
	movl %eax, %edi
	call kthread_exit
	ud2

/* ret_to_user(regs): enter user mode with the frame at regs (exec of init). */
	.globl ret_to_user
ret_to_user:
	movq %rdi, %rsp
	/* fall through */

/* The one way back to user mode (and out of kernel-mode traps): pop the
 * frame and iretq. With tracing off, the only cost of the return-to-user
 * event is the first test. */
	.globl restore_regs_and_iret
restore_regs_and_iret:
	cmpb $0, trace_return_pending(%rip)
	jne traced_return
pop_and_iret:
	POP_REGS
	iretq

/* Some task awaits its return-to-user event: if it is this one, and we are
 * returning to user mode, signal the host after the registers are the user's. */
traced_return:
	testb $3, PT_CS(%rsp)
	jz pop_and_iret
	movq current(%rip), %rax	/* any register may be used: all are popped below */
	testb $1, TASK_TRACE_RETURN(%rax)
	jz pop_and_iret
	movb $0, TASK_TRACE_RETURN(%rax)
	call trace_return_done
	POP_REGS
	movb $0, FL_EVENT_MMIO_VA	/* the event: a store, so no register is disturbed */
	iretq

/* Exceptions and interrupts: each stub leaves orig_ax (the error code, or -1)
 * and the vector on the stack; trap_common swaps the vector for RDI, which
 * puts RDI in its pt_regs slot. */
.macro TRAP vec, has_error
	.globl trap_\vec
trap_\vec:
	.if \has_error == 0
	pushq $-1
	.endif
	pushq $\vec
	jmp trap_common
.endm

trap_common:
	cld				/* user code may have left DF set */
	xchgq %rdi, (%rsp)
	PUSH_REGS_AFTER_DI
	movq %rdi, %rsi
	movq %rsp, %rdi
	call do_trap
	jmp restore_regs_and_iret

	TRAP 0, 0
	TRAP 1, 0
	TRAP 2, 0
	TRAP 3, 0
	TRAP 4, 0
	TRAP 5, 0
	TRAP 6, 0
	TRAP 7, 0
	TRAP 8, 1
	TRAP 9, 0
	TRAP 10, 1
	TRAP 11, 1
	TRAP 12, 1
	TRAP 13, 1
	TRAP 14, 1
	TRAP 15, 0
	TRAP 16, 0
	TRAP 17, 1
	TRAP 18, 0
	TRAP 19, 0
	TRAP 20, 0
	TRAP 21, 1
	TRAP 32, 0			/* LAPIC timer */
	TRAP 255, 0			/* spurious */

/* copy_user(dst, src, n): the only kernel code allowed to touch user
 * addresses. A fault inside it that cannot be resolved resumes at
 * copy_user_fault, which returns -EFAULT. */
	.globl copy_user, copy_user_start, copy_user_end, copy_user_fault
copy_user:
copy_user_start:
	movq %rdx, %rcx
	shrq $3, %rcx
	rep movsq
	movl %edx, %ecx
	andl $7, %ecx
	rep movsb
copy_user_end:
	xorl %eax, %eax
	ret
copy_user_fault:
	movq $-EFAULT, %rax
	ret

/* PVM hosts: LSTAR points here, in ring 3. int3 is the one way into ring 0
 * from user mode there; the #BP handler recognises this address. */
	.section .trampoline, "ax"
	.globl pvm_trampoline
pvm_trampoline:
	int3
