/* The one seam between host kinds. Hardware KVM: `syscall` enters ring 0 at
 * entry_SYSCALL_64, and memory copies are plain string instructions. PVM:
 * `syscall` stays in ring 3 and jumps to pvm_trampoline, whose int3 reaches
 * the #BP handler; kernel code is emulated, so bulk copies go to the VMM. */
#include "arch.h"
#include "lab.h"
#include "mm.h"
#include "task.h"

/* FMASK: IF off in the kernel, DF clear for C, TF and AC off. */
#define SYSCALL_FMASK (X86_EFLAGS_IF | 0x400UL | 0x100UL | 0x40000UL)
/* Flags a user may set through the trampoline's R11: the arithmetic flags,
 * TF, DF, AC and ID; IOPL and the rest stay the kernel's. */
#define USER_FLAGS_MASK 0x254dd5UL

enum host_kind host_kind;

/* Page tables that map the trampoline page, shared by every address space. */
static u64 tramp_pdpt[512] __attribute__((aligned(4096)));
static u64 tramp_pd[512] __attribute__((aligned(4096)));
static u64 tramp_pt[512] __attribute__((aligned(4096)));

void host_init(const char *kind)
{
	host_kind = kind && !strcmp(kind, "pvm") ? HOST_PVM : HOST_KVM;
	wrmsr(MSR_STAR, ((u64)FL_USER32_CS << 48) | ((u64)FL_KERNEL_CS << 32));
	wrmsr(MSR_SYSCALL_MASK, SYSCALL_FMASK);
	/* The 32-bit ways in, on both host kinds, as Linux sets them with IA32
	 * emulation off: a compat `syscall` gets -ENOSYS (entry.S; on PVM too
	 * it enters ring 0 at CSTAR: with CSTAR 0 it was a kernel page fault
	 * at 0), and SYSENTER_CS 0 makes `sysenter` fault (#GP on Intel; AMD
	 * has no sysenter in long mode: #UD), a signal for the process. `int
	 * $0x80` finds no gate (cpu.c): #GP, SIGSEGV. */
	wrmsr(MSR_CSTAR, (u64)entry_SYSCALL_compat);
	wrmsr(MSR_IA32_SYSENTER_CS, 0);
	wrmsr(MSR_IA32_SYSENTER_ESP, 0);
	wrmsr(MSR_IA32_SYSENTER_EIP, 0);
	if (host_kind == HOST_KVM) {
		wrmsr(MSR_LSTAR, (u64)entry_SYSCALL_64);
		return;
	}
	tramp_pt[0] = __pa(pvm_trampoline) | PTE_P | PTE_U;
	tramp_pd[0] = __pa(tramp_pt) | PTE_P | PTE_W | PTE_U;
	tramp_pdpt[0] = __pa(tramp_pd) | PTE_P | PTE_W | PTE_U;
	kernel_pml4[PVM_TRAMPOLINE_PML4_SLOT] = __pa(tramp_pdpt) | PTE_P | PTE_W | PTE_U;
	wrmsr(MSR_LSTAR, PVM_TRAMPOLINE_VA);
}

/* A user int3 at the trampoline is a system call: the CPU put the return RIP
 * in RCX and RFLAGS in R11, exactly as `syscall` on hardware. Rewrite the
 * frame so it is the frame entry_SYSCALL_64 would have built. */
bool host_syscall_from_trap(struct pt_regs *regs, int vector)
{
	if (host_kind != HOST_PVM || vector != 3 || (regs->cs & 3) != 3 ||
	    regs->ip != PVM_TRAMPOLINE_VA + 1)
		return false;
	/* A program may jump here itself with any RCX. The iretq back would
	 * fault in the kernel on a non-canonical RIP: make it a user fault. */
	if (regs->cx >= FL_USER_TOP)
		force_sig_exit(11, regs->cx, regs);
	regs->orig_ax = regs->ax;
	regs->ax = -38; /* -ENOSYS until the call returns */
	regs->ip = regs->cx;
	regs->flags = (regs->r11 & USER_FLAGS_MASK) | X86_EFLAGS_IF | 0x2;
	return true;
}

/* PVM: an entry from user mode with a non-canonical RSP fails in the host
 * before this kernel sees it (issue 12: the trampoline's int3 ended the VM
 * with an emulation failure; a timer tick stalled a spinning process). So
 * the kernel never returns to user mode with such an RSP there: the task
 * gets SIGSEGV first (a handler on the alternate stack may take it), as the
 * PVM-guest Linux kernel gives a clone child whose stack is non-canonical.
 * Hardware keeps Linux's own semantics: iretq loads any RSP, and the first
 * use of that stack raises #SS, SIGBUS. A program that makes its own RSP
 * non-canonical between two entries is beyond this kernel's reach on PVM. */
void host_pvm_bad_user_return(struct pt_regs *regs)
{
	if ((regs->cs & 3) != 3)
		return;
	force_sig_fault(SIGSEGV, 0, 13, 0); /* as a #GP */
	exit_to_user_mode();
	if (noncanonical(regs->sp))
		force_sig_exit(SIGSEGV, regs->sp, regs);
}

/* PVM: an `int $N` in user mode arrives as #UD (the host cannot deliver a
 * software interrupt: issue 12 saw SIGILL). On hardware it never raises
 * #UD: the gate's DPL decides, as Linux's IDT does (cpu.c): int3 and into
 * (DPL 3) are #BP and #OF after the instruction, every other vector #GP
 * with the IDT error code, SIGSEGV. Returns the vector to report. */
int host_pvm_fixup_ud(struct pt_regs *regs, u64 *error)
{
	u8 insn[2];
	if ((regs->cs & 3) != 3 || copy_from_user(insn, regs->ip, 2) < 0 || insn[0] != 0xcd)
		return 6;
	if (insn[1] == 3 || insn[1] == 4) {
		regs->ip += 2;
		return insn[1];
	}
	*error = (u64)insn[1] << 3 | 2;
	return 13;
}

void host_fpu_switch(u8 *save, const u8 *load)
{
	if (host_kind == HOST_PVM) {
		lab_call(FL_LAB_FPU, save ? __pa(save) : 0, load ? __pa(load) : 0, 0, 0);
		return;
	}
	if (save)
		fpu_save_native(save);
	if (load)
		fpu_restore_native(load);
}

/* An exit costs about as much as eight emulated string-instruction
 * iterations: shorter copies stay in the kernel. */
#define VMM_COPY_MIN 64

void host_copy(u64 dst_pa, u64 src_pa, u64 len)
{
	if (host_kind == HOST_PVM && len >= VMM_COPY_MIN) {
		lab_call(FL_LAB_COPY, dst_pa, src_pa, len, 0);
		return;
	}
	memcpy(__va(dst_pa), __va(src_pa), len);
}

void host_zero(u64 pa, u64 len)
{
	if (host_kind == HOST_PVM && len >= VMM_COPY_MIN) {
		lab_call(FL_LAB_ZERO, pa, len, 0, 0);
		return;
	}
	memset(__va(pa), 0, len);
}
