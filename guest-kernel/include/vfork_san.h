/* The vfork sanitizer (bootarg vfork.sanitize, set by forklab run --explain
 * and --vfork-check; mm/vfork_san.c): while a vfork child runs, the parent's
 * stack above its vfork-time RSP is write-protected in the page tables the
 * two share, and each write there is single-stepped and reported to the host. */
#ifndef K_VFORK_SAN_H
#define K_VFORK_SAN_H

#include "kernel.h"

struct completion;
struct task;
struct mm;
struct vma;
struct pt_regs;

/* A writable page write-protected by the sanitizer: a software bit of the
 * PTE (bits 9-11 are the CPU's to ignore). */
#define PTE_SAN (1UL << 9)

extern bool vfork_sanitize;

void vfork_san_init(const char *bootargs);
/* kernel_clone's vfork wait, with the parent's stack protected from the
 * child (if it shares the mm) until the child's exec or exit releases it;
 * wait_for_completion's result. */
bool vfork_san_wait(struct task *child, struct completion *released);
/* A write fault on a PTE_SAN page at va (do_wp_page, whose arguments these
 * are, for a plain jump): the write is let through, single-stepped when it
 * is the task's own instruction. 0. */
int vfork_san_fault(struct mm *mm, const struct vma *v, u64 va, u64 *pte);
/* A user #DB: true if it ended a sanitizer step (no SIGTRAP then). */
bool vfork_san_step_done(struct pt_regs *regs);

#endif
