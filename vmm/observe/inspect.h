/* Reading guest state from the host: the one API that the verifier, the CLI
 * and tests use. Every guest address is bounds-checked; nothing here trusts
 * the guest's page tables to stay inside RAM. */
#ifndef FL_INSPECT_H
#define FL_INSPECT_H

#include "kvm/vm.h"

#include <forklab/abi.h>
#include <linux/kvm.h>

struct fl_session;

#define FL_PTE_P  0x1ULL
#define FL_PTE_W  0x2ULL
#define FL_PTE_U  0x4ULL
#define FL_PTE_NX (1ULL << 63)
#define FL_PTE_ADDR 0x000ffffffffff000ULL

/* Walks the page tables at cr3 (4 KiB, 2 MiB and 1 GiB pages). Returns 0 with
 * the guest-physical address and the effective rights (W and U only if every
 * level grants them, NX if any level sets it), or -1 if va is not mapped or a
 * table lies outside RAM. pte (optional) gets the guest-physical address of
 * the leaf entry. */
int fl_gva_to_gpa(const struct fl_vm *vm, uint64_t cr3, uint64_t va, uint64_t *gpa,
		  uint64_t *rights, uint64_t *pte);

/* The page-directory entry (level 2) that maps va at cr3, present or not:
 * which last-level table a 2 MiB region uses, and with what rights. -1 if a
 * level above is missing or lies outside RAM. */
int fl_pmd_entry(const struct fl_vm *vm, uint64_t cr3, uint64_t va, uint64_t *entry);

/* Copies across page boundaries; -1 if any byte is not mapped (and then a
 * write has written nothing). */
int fl_read_gva(const struct fl_vm *vm, uint64_t cr3, uint64_t va, void *buf, size_t len);
int fl_write_gva(const struct fl_vm *vm, uint64_t cr3, uint64_t va, const void *buf, size_t len);

/* Kernel addresses, through the kernel's own page tables (symbol kernel_pml4). */
int fl_read_kva(const struct fl_session *s, uint64_t va, void *buf, size_t len);
int fl_write_kva(const struct fl_session *s, uint64_t va, const void *buf, size_t len);
/* A kernel symbol's address; 0 if the kernel has none by that name. */
uint64_t fl_symbol(const struct fl_session *s, const char *name);
/* The kernel's fl_kstate (abi.h), read through its symbol; -1 if unreadable. */
int fl_read_kstate(const struct fl_session *s, struct fl_kstate *out);
/* A name the guest chose (a command name, an exec path) made safe for a
 * terminal or a file: at most cap - 1 bytes of src up to its NUL, printable
 * ASCII kept, every other byte '?'; dst is NUL-terminated. */
void fl_guest_name(char *dst, size_t cap, const char *src);

/* A task as the host sees it: the head the kernel shares (abi.h), its address
 * space and kernel stack, and the user registers saved at the stack's top. */
struct fl_task_view {
	uint64_t va;                 /* the task's kernel address */
	struct fl_task_head head;    /* pid, tgid, state, thread.sp/ip/sp0, mm, stack */
	uint64_t cr3;                /* of its mm; 0 for a kernel thread */
	uint64_t stack_lo, stack_hi; /* [lo, hi): its kernel stack */
	uint64_t regs_va;            /* its struct pt_regs, at the top of that stack */
	struct pt_regs regs;
};
int fl_task_read(const struct fl_session *s, uint64_t task_va, struct fl_task_view *out);
int fl_mm_read(const struct fl_session *s, uint64_t mm_va, struct fl_mm_head *out);

/* The vCPU's registers now; either pointer may be NULL. */
int fl_vcpu_regs(const struct fl_session *s, struct kvm_regs *r, struct kvm_sregs *sr);
int fl_vcpu_msr(const struct fl_session *s, uint32_t index, uint64_t *value);

#endif
