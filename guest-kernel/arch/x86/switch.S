/* switch_to and the first steps of a new task, as in the seeds: the outgoing
 * task saves its kernel sp and a resume ip in its thread record; the incoming
 * one's thread.sp and thread.ip are loaded. A new task's thread.ip is
 * ret_from_fork (or ret_from_kernel_thread) and its thread.sp its pt_regs. */
#define THREAD_SP 0
#define THREAD_IP 8
#define PT_BP 32
#define PT_BX 40

	.text
/* struct task *switch_to(prev, next): returns, in the task that resumes, the
 * task that switched to it (RDI survives the jump for exactly that). */
	.globl switch_to
switch_to:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, THREAD_SP(%rdi)
	leaq 1f(%rip), %rax
	movq %rax, THREAD_IP(%rdi)
	movq THREAD_SP(%rsi), %rsp
	jmpq *THREAD_IP(%rsi)
1:	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* A forked task's first instructions: RSP is its pt_regs, a copy of the
 * parent's with ax = 0. Leave through the normal exit to user mode. */
	.globl ret_from_fork
ret_from_fork:
	call schedule_tail
	call exit_to_user_mode
	jmp restore_regs_and_iret

/* ret_from_fork again, at an address of its own, for the fault.thread_ip
 * bootarg: the child runs, but its thread.ip is not ret_from_fork. */
	.globl ret_from_fork_other
ret_from_fork_other:
	call schedule_tail
	call exit_to_user_mode
	jmp restore_regs_and_iret

/* A kernel thread: the function in pt_regs.bx, its argument in pt_regs.bp
 * (seed 001's copy_thread). Its return value is its exit code. */
	.globl ret_from_kernel_thread
ret_from_kernel_thread:
	call schedule_tail
	movq PT_BP(%rsp), %rdi
	call *PT_BX(%rsp)
	movl %eax, %edi
	call kthread_exit
	ud2
