/* The x86-64 register file as gdb sees it: one table that gives both the
 * target description (target.xml: core, sse, segments, a system feature
 * with the control registers and a user feature with the task's user-mode
 * registers) and the layout of the g/G/p/P packets. */
#ifndef FL_GDB_REGS_H
#define FL_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <forklab/abi.h>
#include <linux/kvm.h>

/* gdb's numbers, in target.xml's order. */
enum {
	GDB_RAX, GDB_RBX, GDB_RCX, GDB_RDX, GDB_RSI, GDB_RDI, GDB_RBP, GDB_RSP,
	GDB_R8, GDB_R9, GDB_R10, GDB_R11, GDB_R12, GDB_R13, GDB_R14, GDB_R15,
	GDB_RIP, GDB_EFLAGS, GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS,
	GDB_ST0, GDB_FCTRL = GDB_ST0 + 8, GDB_FSTAT, GDB_FTAG, GDB_FISEG, GDB_FIOFF,
	GDB_FOSEG, GDB_FOOFF, GDB_FOP,
	GDB_XMM0, GDB_MXCSR = GDB_XMM0 + 16,
	GDB_FS_BASE, GDB_GS_BASE,
	GDB_CR0, GDB_CR2, GDB_CR3, GDB_CR4, GDB_EFER,
	/* The registers the task has in user mode: its pt_regs while it is in
	 * the kernel (what it returns to), the vCPU's own while it runs there. */
	GDB_USER_RAX, GDB_USER_RIP = GDB_USER_RAX + 16, GDB_USER_EFLAGS, GDB_USER_CS,
	GDB_USER_SS, GDB_USER_ORIG_RAX,
	GDB_NREGS
};

/* Every register's bytes, little-endian, at gdb_reg_offset(); avail[] false
 * for those a stopped task's saved state does not hold (sent as "xx"). */
#define GDB_REGS_BYTES 760
struct gdb_regfile {
	uint8_t bytes[GDB_REGS_BYTES];
	bool avail[GDB_NREGS];
};

size_t gdb_reg_size(int regno);
size_t gdb_reg_offset(int regno);

/* target.xml, built once from the table. */
const char *gdb_target_xml(size_t *len);

/* The live vCPU's registers (fpu may be NULL: the x87/SSE part is then
 * unavailable). */
void gdb_regs_from_vcpu(struct gdb_regfile *f, const struct kvm_regs *r,
			const struct kvm_sregs *sr, const struct kvm_fpu *fpu);
/* One register, as 64 bits (registers wider than that: -1). */
int gdb_reg_get(const struct gdb_regfile *f, int regno, uint64_t *v);
void gdb_reg_set(struct gdb_regfile *f, int regno, uint64_t v);
/* The user feature from a task's pt_regs. */
void gdb_regs_user_from_ptregs(struct gdb_regfile *f, const struct pt_regs *p);
/* The user feature from the vCPU's registers while it runs in user mode:
 * the same values as the core registers; orig_rax is not available. */
void gdb_regs_user_from_vcpu(struct gdb_regfile *f, const struct kvm_regs *r,
			     const struct kvm_sregs *sr);
/* Where pt_regs holds user register regno (GDB_USER_*), as a byte offset;
 * -1 for any other register. */
int gdb_user_reg_ptregs_offset(int regno);
/* The core register that a user register is while the vCPU runs in user
 * mode; -1 for orig_rax, which has none. */
int gdb_user_reg_core(int regno);
/* Back into the vCPU's state: the registers KVM_SET_REGS and KVM_SET_SREGS
 * carry that a debugger may change (general, rip, eflags, fs/gs base).
 * Returns false for a register that cannot be written (selectors, x87, SSE,
 * control registers). */
bool gdb_reg_writable(int regno);
void gdb_regs_to_vcpu(const struct gdb_regfile *f, struct kvm_regs *r, struct kvm_sregs *sr);

#endif
