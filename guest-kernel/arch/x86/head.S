/* Kernel entry from the VMM: 64-bit mode, boot page tables, RDI = FDT
 * physical address. Switch to the boot stack and go to C. */
	.section .text.entry, "ax"
	.globl _start
_start:
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call start_kernel
1:	hlt
	jmp 1b

	.section .bss
	.balign 16
boot_stack:
	.skip 16384
boot_stack_top:
