/* DWARF CFI unwinding (unwind.h) on the libdwfl module symbols.c opened for
 * the program: addresses in it are the guest's, the load bias applied. */
#include "observe/unwind.h"
#include "observe/symbols.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

/* The location or value a CFI rule's expression gives: the forms libdw
 * produces for CFA rules and register rules (offset, val_offset, register). */
static bool eval(const Dwarf_Op *ops, size_t n, uint64_t cfa, const struct fl_unwind_regs *r,
		 uint64_t *out, bool *is_value)
{
	uint64_t acc = 0;
	*is_value = false;
	for (size_t i = 0; i < n; i++) {
		const Dwarf_Op *op = &ops[i];
		if (op->atom == DW_OP_call_frame_cfa) {
			acc = cfa;
		} else if (op->atom == DW_OP_plus_uconst) {
			acc += op->number;
		} else if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg16) {
			unsigned reg = op->atom - DW_OP_breg0;
			if (!r->ok[reg])
				return false;
			acc = r->v[reg] + (int64_t)op->number;
		} else if (op->atom == DW_OP_bregx) {
			if (op->number >= FL_DW_NREGS || !r->ok[op->number])
				return false;
			acc = r->v[op->number] + (int64_t)op->number2;
		} else if (op->atom == DW_OP_stack_value) {
			*is_value = true;
		} else {
			return false; /* a general DWARF expression: not in the programs seen here */
		}
	}
	*out = acc;
	return true;
}

bool fl_unwind_step(struct fl_session *s, uint64_t cr3, uint64_t pc, bool at_insn,
		    const struct fl_unwind_regs *r, fl_read_word_fn read, void *arg, uint64_t *cfa,
		    uint64_t slots[FL_DW_NREGS], struct fl_unwind_regs *caller)
{
	uint64_t at = pc - (at_insn ? 0 : 1);
	struct fl_symfile *f = fl_sym_file(s, cr3, at);
	Dwfl_Module *mod = f ? fl_symfile_module(f) : NULL;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = mod ? dwfl_module_eh_cfi(mod, &bias) : NULL;
	if (mod && !cfi)
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	Dwarf_Frame *frame;
	if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &frame) != 0)
		return false;
	Dwarf_Op *ops, mem[3];
	size_t n;
	bool value;
	if (dwarf_frame_cfa(frame, &ops, &n) != 0 || !eval(ops, n, 0, r, cfa, &value)) {
		free(frame);
		return false;
	}
	memset(caller, 0, sizeof *caller);
	for (int reg = 0; reg < FL_DW_NREGS; reg++) {
		slots[reg] = 0;
		if (reg == FL_DW_RSP)
			continue;
		if (dwarf_frame_register(frame, reg, mem, &ops, &n) != 0)
			continue;
		if (n == 0) { /* same value, or undefined (mem): not restorable */
			if (!ops && reg != FL_DW_RA) {
				caller->v[reg] = r->v[reg];
				caller->ok[reg] = r->ok[reg];
			}
			continue;
		}
		uint64_t where;
		if (!eval(ops, n, *cfa, r, &where, &value))
			continue;
		if (value || (n == 1 && (ops[0].atom == DW_OP_bregx ||
					 (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg16)))) {
			caller->v[reg] = where; /* val_offset, or the value in a register */
			caller->ok[reg] = true;
		} else if (read(arg, where, &caller->v[reg])) {
			slots[reg] = where;
			caller->ok[reg] = true;
		}
	}
	caller->v[FL_DW_RSP] = *cfa;
	caller->ok[FL_DW_RSP] = true;
	free(frame);
	return true;
}
