/* Guest code as instructions (disasm.h): capstone over memory read with the
 * inspection API, symbols from symbols.c. */
#include "observe/disasm.h"
#include "observe/inspect.h"
#include "observe/symbols.h"
#include "run/session.h"

#include <forklab/abi.h>
#include <inttypes.h>
#include <string.h>

size_t fl_read_code(struct fl_session *s, uint64_t cr3, uint64_t addr, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t chunk = 4096 - ((addr + done) & 4095);
		if (chunk > len - done)
			chunk = len - done;
		int r = addr >= FL_KERNEL_VBASE ? fl_read_kva(s, addr + done, buf + done, chunk) :
						  fl_read_gva(&s->vm, cr3, addr + done, buf + done, chunk);
		if (r < 0)
			break;
		done += chunk;
	}
	return done;
}

int fl_disasm_open(csh *h)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, h) != CS_ERR_OK)
		return -1;
	cs_option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

size_t fl_insn_text(struct fl_session *s, uint64_t cr3, uint64_t addr, char *out, size_t n)
{
	uint8_t code[15];
	size_t len = fl_read_code(s, cr3, addr, code, sizeof code), size = 0;
	csh h;
	cs_insn *insn;
	*out = 0;
	if (!len || fl_disasm_open(&h) < 0)
		return 0;
	if (cs_disasm(h, code, len, addr, 1, &insn) == 1) {
		snprintf(out, n, "%s%s%s", insn->mnemonic, *insn->op_str ? " " : "", insn->op_str);
		size = insn->size;
		cs_free(insn, 1);
	}
	cs_close(&h);
	return size;
}

/* A direct call's or jump's target, or 0. */
static uint64_t branch_target(csh h, const cs_insn *insn)
{
	if (!insn->detail || !(cs_insn_group(h, insn, CS_GRP_JUMP) || cs_insn_group(h, insn, CS_GRP_CALL)))
		return 0;
	const cs_x86 *x = &insn->detail->x86;
	return x->op_count == 1 && x->operands[0].type == X86_OP_IMM ? (uint64_t)x->operands[0].imm : 0;
}

void fl_disasm_line(struct fl_session *s, csh h, uint64_t cr3, const cs_insn *insn, bool marked,
		    const char *note, const char *prefix, FILE *out)
{
	char at[FL_SYM_TEXT], bytes[3 * 16 + 1] = "", target[FL_SYM_TEXT + 4] = "";
	struct fl_sym sym;
	for (int i = 0; i < insn->size && i < 16; i++)
		snprintf(bytes + 3 * i, 4, "%02x ", insn->bytes[i]);
	/* The symbol without its line: the listing's lines run in one function. */
	snprintf(at, sizeof at, "%#" PRIx64, insn->address);
	if (fl_sym_lookup(s, cr3, insn->address, &sym) == 0)
		snprintf(at, sizeof at, "%#" PRIx64 " <%s+%#" PRIx64 ">", insn->address, sym.name,
			 insn->address - sym.start);
	uint64_t to = branch_target(h, insn);
	if (to && fl_sym_lookup(s, cr3, to, &sym) == 0)
		snprintf(target, sizeof target, " <%s+%#" PRIx64 ">", sym.name, to - sym.start);
	fprintf(out, "%s%s %s:  %-24s %s%s%s%s%s%s\n", prefix, marked ? "=>" : "  ", at, bytes,
		insn->mnemonic, *insn->op_str ? " " : "", insn->op_str, target, note ? "    " : "",
		note ? note : "");
}

/* Decoding starts no further back than this from rip. */
#define MAX_BEFORE 4096

int fl_disasm_around(struct fl_session *s, uint64_t cr3, uint64_t rip, const char *prefix,
		     FILE *out)
{
	static uint8_t code[MAX_BEFORE + FL_DISASM_AROUND * 15];
	struct fl_sym sym;
	csh h;
	cs_insn *insn = NULL;
	size_t n = 0, at = 0;
	if (fl_disasm_open(&h) < 0)
		return -1;
	/* From the function's start, if it leads exactly to rip; else from rip. */
	uint64_t start = fl_sym_lookup(s, cr3, rip, &sym) == 0 && rip - sym.start <= MAX_BEFORE ?
			 sym.start : rip;
	for (int pass = 0; pass < 2 && !n; pass++, start = rip) {
		size_t len = fl_read_code(s, cr3, start, code, rip - start + FL_DISASM_AROUND * 15);
		if (len <= rip - start)
			continue;
		n = cs_disasm(h, code, len, start, 0, &insn);
		for (at = 0; at < n && insn[at].address != rip; at++)
			;
		if (at == n) {
			cs_free(insn, n);
			n = 0;
		}
	}
	size_t first = at > FL_DISASM_AROUND / 2 ? at - FL_DISASM_AROUND / 2 : 0;
	for (size_t i = first; i < n && i < first + FL_DISASM_AROUND; i++)
		fl_disasm_line(s, h, cr3, &insn[i], i == at, NULL, prefix, out);
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	return n ? 0 : -1;
}
