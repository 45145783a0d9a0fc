/* The local APIC timer in x2APIC mode (MSRs, no MMIO): a periodic tick that
 * wakes an idle CPU; KVM's in-kernel irqchip emulates it. */
#include "arch.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1UL << 11)
#define APIC_BASE_EXTD (1UL << 10)
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_LVT_TIMER 0x832
#define X2APIC_TIMER_ICR 0x838
#define X2APIC_TIMER_DIV 0x83e
#define TIMER_VECTOR 32
#define TIMER_PERIODIC (1UL << 17)
/* KVM's APIC timer counts at 1 GHz with divide-by-1: 10 ms, HZ = 100. */
#define TICK_COUNT 10000000UL

void lapic_timer_init(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, 0x100 | 0xff);
	wrmsr(X2APIC_TIMER_DIV, 0xb);
	wrmsr(X2APIC_LVT_TIMER, TIMER_VECTOR | TIMER_PERIODIC);
	wrmsr(X2APIC_TIMER_ICR, TICK_COUNT);
}

void lapic_eoi(void)
{
	wrmsr(X2APIC_EOI, 0);
}
