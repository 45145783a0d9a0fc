/* The kernel half of every address space: the direct map and the kernel
 * image, built once at boot. Its two PML4 slots are copied into each mm's
 * PML4 (mm_alloc, kernel/fork.c); the user half is mm/memory.c's. */
#include "arch.h"
#include "mm.h"

#define DIRECT_PDS 3 /* 3 GiB of direct map, FL_MEM_MAX */

u64 kernel_pml4[512] __attribute__((aligned(4096)));
static u64 direct_pdpt[512] __attribute__((aligned(4096)));
static u64 image_pdpt[512] __attribute__((aligned(4096)));
static u64 direct_pd[DIRECT_PDS][512] __attribute__((aligned(4096)));
/* FL_EVENT_MMIO_VA -> FL_EVENT_MMIO_GPA, uncached: the return-to-user event. */
static u64 event_pd[512] __attribute__((aligned(4096)));
static u64 event_pt[512] __attribute__((aligned(4096)));
#define PTE_PWT 0x8UL
#define PTE_PCD 0x10UL

void vm_init(u64 mem_size)
{
	/* 2 MiB pages; the first GiB's directory also serves the kernel image. */
	for (u64 i = 0; i < (mem_size + (2UL << 20) - 1) >> 21; i++)
		direct_pd[i / 512][i % 512] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	for (int i = 0; i < DIRECT_PDS; i++)
		direct_pdpt[i] = __pa(direct_pd[i]) | PTE_P | PTE_W;
	image_pdpt[510] = __pa(direct_pd[0]) | PTE_P | PTE_W;
	event_pt[0] = FL_EVENT_MMIO_GPA | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_NX;
	event_pd[0] = __pa(event_pt) | PTE_P | PTE_W;
	image_pdpt[511] = __pa(event_pd) | PTE_P | PTE_W;
	kernel_pml4[PML4_SLOT(FL_PAGE_OFFSET)] = __pa(direct_pdpt) | PTE_P | PTE_W;
	kernel_pml4[511] = __pa(image_pdpt) | PTE_P | PTE_W;
	write_cr3(__pa(kernel_pml4));
}
