/* The memory one instruction reads and writes, from capstone's decoding
 * (access.c): how read and access watchpoints (Z3, Z4) are seen where
 * breakpoints single-step (stub.h GDB_BP_STEP). Before each step the stub
 * decodes the instruction at RIP; an access that overlaps a watched range
 * stops the guest after the step, as x86's debug registers report a data
 * breakpoint after the instruction. */
#ifndef FL_GDB_ACCESS_H
#define FL_GDB_ACCESS_H

#include <capstone/capstone.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct fl_session;

/* More than any one instruction makes: movs has two operands, a call
 * through memory reads one and pushes. */
#define GDB_MAX_ACCESSES 4

struct gdb_access {
	uint64_t addr;
	uint32_t len;
	bool read, write;
};

/* The accesses of insn (decoded with detail on) run with registers r:
 * its memory operands at base + index * scale + disp (RIP-relative ones
 * from the next instruction's address, %fs: and %gs: through sr's segment
 * bases, a 0x67 prefix's 32-bit addresses), and the stack that push, pop,
 * call, ret, leave, enter and iret touch, which capstone does not list.
 * What is not covered: a string instruction's one element at the current
 * rsi/rdi only (under a rep prefix each iteration is a step of its own);
 * xsave's components past its header; enter's nesting copies; what the CPU
 * itself writes delivering an interrupt or exception. Returns how many. */
int gdb_insn_accesses(const cs_insn *insn, const struct kvm_regs *r, const struct kvm_sregs *sr,
		      struct gdb_access *out);

/* The accesses of the instruction at r->rip in the address space of
 * sr->cr3, decoded with h into insn (cs_malloc's); -1 if no instruction is
 * readable or decodable there, which is the guest's to fault on. */
int gdb_accesses_at(struct fl_session *s, csh h, cs_insn *insn, const struct kvm_regs *r,
		    const struct kvm_sregs *sr, struct gdb_access *out);

/* Whether [a, a + alen) and [b, b + blen) share a byte. */
bool gdb_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);

#endif
