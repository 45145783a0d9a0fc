/* The x86 layer: CPU setup, traps, the timer, and the host seam (hardware KVM
 * or PVM), which is the only place that knows which host this is. */
#ifndef K_ARCH_H
#define K_ARCH_H

#include "kernel.h"

struct task;

#define X86_EFLAGS_IF 0x200UL

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline u64 read_cr2(void)
{
	u64 v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline u64 read_cr3(void)
{
	u64 v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(u64 v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
static inline u64 read_cr4(void)
{
	u64 v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr4(u64 v)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}
#define X86_CR4_OSXSAVE (1UL << 18)
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void xsetbv(u32 reg, u64 v)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* The hardware TSS (cpu.c). sp0 is the running task's kernel stack top, for
 * traps from user mode and for entry_SYSCALL_64; sp2 is entry_SYSCALL_64's
 * scratch slot for the user RSP, as on Linux. */
struct tss_struct {
	u32 reserved0;
	u64 sp0, sp1, sp2;
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
} __attribute__((packed));
extern struct tss_struct cpu_tss;

void cpu_init(void);                 /* GDT, TSS, IDT */
void lapic_timer_init(void);
void lapic_eoi(void);

/* process.c */
int copy_thread(u64 flags, u64 sp, u64 arg, struct task *p);
/* The arch half of a switch, on next's stack: FPU state, TSS.sp0, FS base,
 * current. Returns prev. */
struct task *__switch_to(struct task *prev, struct task *next);

/* ---- the host seam (arch/x86/host.c) ---- */
enum host_kind { HOST_KVM, HOST_PVM };
extern enum host_kind host_kind;
extern u64 tsc_khz;
void host_init(const char *kind);    /* syscall entry for this host kind */
/* Phys-to-phys copy and clear: on PVM hosts one exit to the VMM instead of
 * emulated string instructions. */
void host_copy(u64 dst_pa, u64 src_pa, u64 len);
void host_zero(u64 pa, u64 len);
/* On PVM, user `syscall` jumps to a trampoline whose int3 lands here. */
bool host_syscall_from_trap(struct pt_regs *regs, int vector);
static inline bool noncanonical(u64 va)
{
	return (u64)(((s64)va >> 47) + 1) > 1; /* bits 63..47 neither all 0 nor all 1 */
}
/* After the exit work of a return to user mode (traps.c, schedule_tail):
 * on PVM, no return with a non-canonical RSP (host.c says why). */
void host_pvm_bad_user_return(struct pt_regs *regs);
static inline void host_user_return(struct pt_regs *regs)
{
	if (__builtin_expect(host_kind == HOST_PVM && noncanonical(regs->sp), 0))
		host_pvm_bad_user_return(regs);
}
/* PVM: a user #UD that hardware would not raise (int $N), as the vector
 * hardware raises; else 6. */
int host_pvm_fixup_ud(struct pt_regs *regs, u64 *error);
/* Saves the live user FPU state into `save`, then loads `load` (either may
 * be NULL). Hardware KVM: fpu.c's instructions. PVM: kernel code is
 * emulated, and the emulator has no XSAVE, so the VMM moves the vCPU's
 * state (KVM_GET_XSAVE/KVM_SET_XSAVE) in one exit. */
void host_fpu_switch(u8 *save, const u8 *load);

/* entry.S */
/* Switches stacks and calls __switch_to; returns, in next, the task it came from. */
struct task *switch_to(struct task *prev, struct task *next);
void ret_from_fork(void);            /* thread.ip of every new task */
void ret_to_user(struct pt_regs *regs) __attribute__((noreturn)); /* rsp = regs; iretq */
long copy_user(void *dst, const void *src, size_t n); /* 0, or -EFAULT on a fault */
extern char copy_user_start[], copy_user_end[], copy_user_fault[];
extern char entry_SYSCALL_64[], entry_SYSCALL_compat[], pvm_trampoline[];

/* Where the PVM trampoline appears in every address space: a PML4 slot of
 * its own, so one set of page tables serves all processes. */
#define PVM_TRAMPOLINE_VA 0x00007f0000000000UL
#define PVM_TRAMPOLINE_PML4_SLOT 254 /* mm.h: RESERVED_START */

#endif
