/* The vfork sanitizer (bootarg vfork.sanitize, set by forklab run --explain
 * and --vfork-check; mm/vfork_san.c): while a vfork child runs, the parent's
 * stack above its vfork-time RSP is write-protected in the page tables the
 * two share, and each write there is single-stepped and reported to the host. */
#ifndef K_VFORK_SAN_H
#define K_VFORK_SAN_H

#include "kernel.h"

struct task;
struct mm;
struct vma;
struct pt_regs;

/* Software bits of a watched PTE (bits 9-11 are the CPU's to ignore). */
#define PTE_SAN   (1UL << 9)  /* write-protected by the sanitizer */
#define PTE_SAN_W (1UL << 10) /* and writable before */

extern bool vfork_sanitize;

void vfork_san_init(const char *bootargs);
/* kernel_clone, before the vfork parent sleeps: protect its stack for child. */
void vfork_san_start(struct task *child, u64 stack);
/* The child's exec or exit released the parent (or the parent was killed). */
void vfork_san_end(struct task *child);
/* A write fault on a present PTE_SAN page (handle_mm_fault): the write is
 * let through, single-stepped when it is the CPU's. 0, or -errno. */
int vfork_san_fault(struct mm *mm, struct vma *v, u64 addr, u64 *pte, unsigned flags);
/* A user #DB: true if it ended a sanitizer step (no SIGTRAP then). */
bool vfork_san_step_done(struct pt_regs *regs);

#endif
