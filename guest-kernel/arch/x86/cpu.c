/* Descriptor tables: the Linux-layout GDT, one TSS whose rsp0 is the running
 * task's kernel stack top, and an IDT of interrupt gates (IF off in the kernel). */
#include "arch.h"

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type_attr;
	u16 off_mid;
	u32 off_hi, zero;
} __attribute__((packed));

struct tss_struct cpu_tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
/* Null, unused, kernel CS (0x10), kernel DS (0x18), user32 CS (0x23),
 * user DS (0x2b), user CS (0x33), unused, TSS (0x40, two slots). */
static u64 gdt[10] __attribute__((aligned(16))) = {
	[2] = 0x00af9b000000ffffUL, [3] = 0x00cf93000000ffffUL, [4] = 0x00cffb000000ffffUL,
	[5] = 0x00cff3000000ffffUL, [6] = 0x00affb000000ffffUL,
};

extern char trap_0[], trap_1[], trap_2[], trap_3[], trap_4[], trap_5[], trap_6[], trap_7[],
	trap_8[], trap_9[], trap_10[], trap_11[], trap_12[], trap_13[], trap_14[], trap_15[],
	trap_16[], trap_17[], trap_18[], trap_19[], trap_20[], trap_21[], trap_32[], trap_255[];

static void set_gate(int vec, void *fn, int dpl)
{
	u64 a = (u64)fn;
	idt[vec] = (struct idt_gate){
		.off_lo = a, .sel = FL_KERNEL_CS, .type_attr = 0x8e | (dpl << 5),
		.off_mid = a >> 16, .off_hi = a >> 32,
	};
}

void cpu_init(void)
{
	u64 t = (u64)&cpu_tss;
	gdt[8] = (sizeof cpu_tss - 1) | ((t & 0xffffff) << 16) | (0x89UL << 40) | ((t >> 24 & 0xff) << 56);
	gdt[9] = t >> 32;
	cpu_tss.iomap_base = sizeof cpu_tss; /* no I/O bitmap: user port I/O faults (on hardware) */
	struct { u16 limit; u64 base; } __attribute__((packed)) gp = { sizeof gdt - 1, (u64)gdt },
		ip = { sizeof idt - 1, (u64)idt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmovl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\tmovl %%eax, %%fs\n\tmovl %%eax, %%gs\n\t"
			 "ltr %w3"
			 :: "m"(gp), "i"(FL_KERNEL_CS), "i"(FL_KERNEL_DS), "r"(FL_TSS_SEL)
			 : "rax", "memory");

	void *stubs[22] = { trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7,
			    trap_8, trap_9, trap_10, trap_11, trap_12, trap_13, trap_14, trap_15,
			    trap_16, trap_17, trap_18, trap_19, trap_20, trap_21 };
	for (int v = 0; v < 22; v++)
		set_gate(v, stubs[v], v == 3 || v == 4 ? 3 : 0); /* int3/into allowed from user */
	set_gate(32, trap_32, 0);
	set_gate(255, trap_255, 0);
	__asm__ volatile("lidt %0" ::"m"(ip));
}
