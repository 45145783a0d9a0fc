/* Exceptions and interrupts. A fault in user mode raises the signal Linux
 * would send (taken on the way out: a handler may run, or the task dies); a
 * fault in the kernel panics with its registers, except inside copy_user,
 * where it becomes -EFAULT. */
#include "arch.h"
#include "errno.h"
#include "mm.h"
#include "syscall.h"
#include "task.h"
#include "vfork_san.h"


static const struct { const char *name; u8 sig; } vectors[22] = {
	{ "divide error", SIGFPE }, { "debug", SIGTRAP }, { "NMI", 0 }, { "breakpoint", SIGTRAP },
	{ "overflow", SIGSEGV }, { "bound range", SIGSEGV }, { "invalid opcode", SIGILL },
	{ "device not available", SIGFPE }, { "double fault", 0 }, { "coprocessor overrun", SIGFPE },
	{ "invalid TSS", SIGSEGV }, { "segment not present", SIGBUS }, { "stack fault", SIGBUS },
	{ "general protection", SIGSEGV }, { "page fault", SIGSEGV }, { "reserved", 0 },
	{ "x87 FP error", SIGFPE }, { "alignment check", SIGBUS }, { "machine check", 0 },
	{ "SIMD FP error", SIGFPE }, { "virtualization", 0 }, { "control protection", SIGSEGV },
};

/* The page-fault error code (Intel SDM 4.7; Linux's X86_PF_*). */
#define PF_PROT  0x1   /* the page was present: a rights violation */
#define PF_WRITE 0x2
#define PF_USER  0x4
#define PF_RSVD  0x8   /* a reserved bit set in a paging entry */
#define PF_INSTR 0x10  /* an instruction fetch (NX) */
#define PF_PK    0x20  /* a protection key (never enabled here) */
_Static_assert(FAULT_PRESENT == PF_PROT && FAULT_WRITE == PF_WRITE && FAULT_INSTR == PF_INSTR,
	       "handle_mm_fault's flags are the error code's bits");

/* As Linux's do_user_addr_fault: every bit counts. A reserved bit means a
 * corrupt page table, the kernel's own bug (Linux oopses); a protection key
 * is an access error; the rest decides between resolving the fault (demand
 * zero, copy-on-write) and a SIGSEGV, never a retry of a fault that cannot
 * change (a present page fetched against NX, or read at PROT_NONE). */
static void page_fault(struct pt_regs *regs, u64 error)
{
	u64 addr = read_cr2();
	bool write = error & PF_WRITE;
	bool user = (regs->cs & 3) == 3;
	bool in_copy_user = regs->ip >= (u64)copy_user_start && regs->ip < (u64)copy_user_end;
	unsigned flags = error & (FAULT_PRESENT | FAULT_WRITE | FAULT_INSTR);

	if (error & PF_RSVD)
		panic_regs(regs, "page fault at %#lx with a reserved bit set: a corrupt page table "
			   "(error %#lx)", addr, error);
	int r = -EFAULT;
	if ((user || in_copy_user) && !(error & PF_PK) && current && current->mm && addr < FL_USER_TOP)
		r = handle_mm_fault(current->mm, addr, flags);
	/* Out of memory: the OOM killer frees some, and the access is tried
	 * again; if current is the one dying, its kernel copy fails and its
	 * return to user mode ends it. */
	if (r == 0 || (r == -ENOMEM && out_of_memory() && (user || !current->fatal_sig)))
		return;
	if (user) {
		/* si_code: SEGV_ACCERR's value is BUS_ADRERR's, as Linux gives. */
		force_sig_fault(r == FAULT_SIGBUS ? SIGBUS : SIGSEGV, addr, 14, error);
		return;
	}
	if (in_copy_user) {
		regs->ip = (u64)copy_user_fault;
		return;
	}
	panic_regs(regs, "page fault in the kernel at address %#lx (%s)", addr,
		   error & PF_INSTR ? "instruction fetch" : write ? "write" : "read");
}

void do_trap(struct pt_regs *regs, u64 vector)
{
	if (host_syscall_from_trap(regs, vector)) {
		do_syscall_64(regs);
		host_user_return(regs);
		return;
	}
	bool user = (regs->cs & 3) == 3;
	u64 error = regs->orig_ax;
	if (user)
		regs->orig_ax = -1; /* not a system call: nothing to restart on the way out */
	if (vector == 6 && user && host_kind == HOST_PVM)
		vector = host_pvm_fixup_ud(regs, &error);
	switch (vector) {
	case 14:
		page_fault(regs, error);
		break;
	case 32:
		lapic_eoi();
		sched_tick(user);
		break;
	case 255:
		break;
	case 1:
		if (unlikely(vfork_sanitize) && user && vfork_san_step_done(regs))
			break;
		__attribute__((fallthrough)); /* the program's own single step: SIGTRAP */
	default:
		if (user && vector < ARRAY_SIZE(vectors) && vectors[vector].sig) {
			/* #GP: no address, as Linux */
			force_sig_fault(vectors[vector].sig, vector == 13 ? 0 : regs->ip, vector,
					error == (u64)-1 ? 0 : error);
			break;
		}
		panic_regs(regs, "%s (vector %lu, error %#lx) in the kernel",
			   vector < ARRAY_SIZE(vectors) ? vectors[vector].name : "interrupt", vector, error);
	}
	if (user) {
		exit_to_user_mode();
		host_user_return(regs);
	}
}
