/* The guest program's ELF read on the host: libdwfl gives symbols, lines
 * and CFI (.eh_frame, or .debug_frame), capstone one instruction's text.
 * Addresses are the guest's; a static PIE runs at FL_DYN_BASE. */
#include "observe/image.h"

#include <forklab/abi.h>

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fl_image {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	int64_t delta;        /* module address = guest address + delta */
};

static const Dwfl_Callbacks offline = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct fl_image *fl_image_open(const char *path)
{
	struct fl_image *im = calloc(1, sizeof *im);
	if (!im || !(im->dwfl = dwfl_begin(&offline)))
		return free(im), NULL;
	im->mod = dwfl_report_offline(im->dwfl, "program", path, -1);
	dwfl_report_end(im->dwfl, NULL, NULL);
	GElf_Addr bias;
	Elf *elf = im->mod ? dwfl_module_getelf(im->mod, &bias) : NULL;
	GElf_Ehdr eh;
	if (!elf || !gelf_getehdr(elf, &eh)) {
		fl_image_close(im);
		return NULL;
	}
	if (eh.e_type == ET_DYN)
		im->delta = (int64_t)bias - (int64_t)FL_DYN_BASE;
	return im;
}

void fl_image_close(struct fl_image *im)
{
	if (!im)
		return;
	dwfl_end(im->dwfl);
	free(im);
}

bool fl_image_where(struct fl_image *im, uint64_t addr, char *func, size_t fn, uint64_t *off,
		    char *line, size_t ln)
{
	*func = *line = 0;
	*off = 0;
	if (!im)
		return false;
	GElf_Addr a = addr + im->delta, o;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(im->mod, a, &o, &sym, NULL, NULL, NULL);
	if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
		return false;
	snprintf(func, fn, "%s", name);
	*off = o;
	Dwfl_Line *l = dwfl_module_getsrc(im->mod, a);
	int lineno;
	const char *file = l ? dwfl_lineinfo(l, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (file) {
		const char *base = strrchr(file, '/');
		snprintf(line, ln, "%s:%d", base ? base + 1 : file, lineno);
	}
	return true;
}

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

bool fl_image_unwind(struct fl_image *im, uint64_t pc, bool at_insn, const struct fl_unwind_regs *r,
		     fl_read_word_fn read, void *arg, uint64_t *cfa, uint64_t slots[FL_DW_NREGS],
		     struct fl_unwind_regs *caller)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = im ? dwfl_module_eh_cfi(im->mod, &bias) : NULL;
	if (im && !cfi)
		cfi = dwfl_module_dwarf_cfi(im->mod, &bias);
	Dwarf_Frame *frame;
	if (!cfi || dwarf_cfi_addrframe(cfi, pc + im->delta - bias - (at_insn ? 0 : 1), &frame) != 0)
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

size_t fl_insn_text(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t n)
{
	csh h;
	cs_insn *insn;
	*out = 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	size_t size = 0;
	if (cs_disasm(h, code, len, addr, 1, &insn) == 1) {
		snprintf(out, n, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
		size = insn->size;
		cs_free(insn, 1);
	}
	cs_close(&h);
	return size;
}
