/* One step of DWARF call-frame unwinding in a user program (unwind.c), for
 * --explain and --vfork-check: the CFI (.eh_frame, or .debug_frame) of the
 * program that symbols.c opened for the address, through the same libdwfl
 * module, so that a run opens each ELF once. */
#ifndef FL_UNWIND_H
#define FL_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

struct fl_session;

/* DWARF register numbers (x86-64 psABI) that the unwinder tracks. */
enum { FL_DW_RBX = 3, FL_DW_RBP = 6, FL_DW_RSP = 7, FL_DW_RA = 16, FL_DW_NREGS = 17 };

/* Register state of one frame while unwinding. */
struct fl_unwind_regs {
	uint64_t v[FL_DW_NREGS];
	bool ok[FL_DW_NREGS];
};
typedef bool (*fl_read_word_fn)(void *arg, uint64_t addr, uint64_t *out);

/* One step at pc (a return address: looked up at pc - 1 unless at_insn) in
 * the program mapped at cr3: the frame's CFA, where it saved each register
 * (slots[r], 0 if not in memory), and in *caller the registers one frame up.
 * false if no program there has CFI for pc. */
bool fl_unwind_step(struct fl_session *s, uint64_t cr3, uint64_t pc, bool at_insn,
		    const struct fl_unwind_regs *r, fl_read_word_fn read, void *arg, uint64_t *cfa,
		    uint64_t slots[FL_DW_NREGS], struct fl_unwind_regs *caller);

#endif
