/* The vfork wrapper check (wrapper.h): a walk over the wrapper's
 * instructions that follows where its return address is, from its entry
 * (where `call` left it, at [rsp]) through the syscall to each way out. The
 * paths after the syscall are walked with the parent's rax (the child's pid)
 * and the child's (0), so a branch on the result goes the way it will. */
#include "observe/wrapper.h"
#include "observe/disasm.h"
#include "observe/symbols.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define MAX_CODE 512    /* bytes of the wrapper read from its start */
#define MAX_INSNS 128
#define MAX_STEPS 64    /* instructions on one path */
#define MAX_PATHS 16    /* branches whose way cannot be known fork the walk */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
static const char *const gpr_name[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
/* Registers a `call` may clobber (System V), and the ones `syscall` does. */
#define CALLER_SAVED (1u << RAX | 1u << RCX | 1u << RDX | 1u << RSI | 1u << RDI | 1u << R8 | \
		      1u << R9 | 1u << R10 | 1u << R11)
#define SYSCALL_CLOBBERS (1u << RAX | 1u << RCX | 1u << R11)

/* The general register a capstone register is part of, or -1. */
static int gpr(x86_reg r)
{
	static const x86_reg forms[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B },
	};
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 5; j++)
			if (forms[i][j] && forms[i][j] == r)
				return i;
	return -1;
}

/* Where the return address is, on one path. Stack offsets are from rsp at
 * the wrapper's entry, where the slot holding it starts at 0. */
struct state {
	int64_t sp;
	uint16_t regs;          /* registers holding the return address */
	bool on_stack;          /* the slot at `slot` holds it */
	int64_t slot;
	bool fresh;             /* that slot was written from a register after the syscall */
	bool rax_known, flags_known, zf, sf, cf, of;
	uint64_t rax;
};

enum { PARENT = 1, CHILD = 2 };

struct walk {
	struct fl_session *s;
	csh h;
	uint64_t cr3;
	cs_insn *insn;
	size_t n, sys, last;    /* instructions; the syscall's index; the last one reached */
	uint64_t start, end;
	const char *note[MAX_INSNS]; /* why an instruction matters, or NULL */
	int paths_at[MAX_INSNS];     /* which of PARENT and CHILD reached it, for the note */
	char why[160];               /* the first break of the rule */
	int forks;
};

static int find(const struct walk *w, uint64_t addr)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->insn[i].address == addr)
			return (int)i;
	return -1;
}

/* A break of the rule at instruction i (or -1); the first one found is the
 * check's result, every one is marked in the listing. */
__attribute__((format(printf, 3, 4)))
static void fail(struct walk *w, int i, const char *fmt, ...)
{
	va_list ap;
	if (i >= 0 && !w->note[i])
		w->note[i] = "<- breaks the rule";
	if (w->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof w->why, fmt, ap);
	va_end(ap);
}

static void mark(struct walk *w, int i, const char *note, int path)
{
	if (!w->note[i] || !strcmp(w->note[i], note))
		w->note[i] = note;
	w->paths_at[i] |= path;
}

static uint16_t written(struct walk *w, const cs_insn *in, bool *rsp_written, bool *flags_written)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;
	uint16_t regs = 0;
	*rsp_written = *flags_written = false;
	if (cs_regs_access(w->h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return 0xffff;
	for (int k = 0; k < nwr; k++) {
		int g = gpr(wr[k]);
		if (g == RSP)
			*rsp_written = true;
		else if (g >= 0)
			regs |= 1u << g;
		if (wr[k] == X86_REG_EFLAGS)
			*flags_written = true;
	}
	return regs;
}

/* The flags after cmp/test on rax with what the path knows of rax. */
static void compare(struct state *st, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	st->flags_known = false;
	if (!st->rax_known || x->op_count != 2)
		return;
	const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];
	if (a->type == X86_OP_IMM) { /* AT&T order: the register is the one compared */
		const cs_x86_op *t = a;
		a = b, b = t;
	}
	if (a->type != X86_OP_REG || gpr(a->reg) != RAX || (a->size != 4 && a->size != 8))
		return;
	uint64_t mask = a->size == 4 ? 0xffffffffULL : ~0ULL, sign = a->size == 4 ? 1ULL << 31 : 1ULL << 63;
	uint64_t l = st->rax & mask, r;
	if (in->id == X86_INS_TEST && b->type == X86_OP_REG && gpr(b->reg) == RAX) {
		r = l & l;
		st->cf = st->of = false;
	} else if (in->id == X86_INS_CMP && b->type == X86_OP_IMM) {
		uint64_t v = (uint64_t)b->imm & mask;
		r = (l - v) & mask;
		st->cf = l < v;
		st->of = ((l ^ v) & (l ^ r) & sign) != 0;
	} else {
		return;
	}
	st->zf = r == 0, st->sf = (r & sign) != 0;
	st->flags_known = true;
}

/* 1 taken, 0 not, -1 unknown. */
static int taken(const struct state *st, unsigned id)
{
	if (!st->flags_known)
		return -1;
	switch (id) {
	case X86_INS_JE: return st->zf;
	case X86_INS_JNE: return !st->zf;
	case X86_INS_JAE: return !st->cf;
	case X86_INS_JB: return st->cf;
	case X86_INS_JA: return !st->cf && !st->zf;
	case X86_INS_JBE: return st->cf || st->zf;
	case X86_INS_JS: return st->sf;
	case X86_INS_JNS: return !st->sf;
	case X86_INS_JL: return st->sf != st->of;
	case X86_INS_JGE: return st->sf == st->of;
	case X86_INS_JG: return !st->zf && st->sf == st->of;
	case X86_INS_JLE: return st->zf || st->sf != st->of;
	default: return -1;
	}
}

/* Leaving by ret, or by a jump out (a tail call, whose ret comes later): the
 * slot at the top of the stack must be the one pushed back from a register. */
static void leave(struct walk *w, int i, const struct state *st, int path, const char *how)
{
	if (st->on_stack && st->slot == st->sp && st->fresh)
		mark(w, i, how, path);
	else if (st->on_stack && st->slot == st->sp) {
		mark(w, i, "<- pops the slot the child shares", path);
		fail(w, i, "it returns through the stack slot the child shared, not written back "
		     "from a register after the syscall");
	}
	else
		fail(w, i, "it leaves without the return address on top of the stack");
}

static void follow(struct walk *w, size_t i, struct state st, int path);

/* One instruction's effect on the state; false ends the path. */
static bool step(struct walk *w, size_t i, struct state *st, int path, size_t *next)
{
	const cs_insn *in = &w->insn[i];
	const cs_x86 *x = &in->detail->x86;
	bool rsp_w, flags_w;
	uint16_t wr = written(w, in, &rsp_w, &flags_w);
	bool after = i > w->sys;
	*next = i + 1;
	if (i > w->last)
		w->last = i;
	if (i == w->sys) {
		st->regs &= ~SYSCALL_CLOBBERS;
		st->fresh = false;
		return true;
	}
	switch (in->id) {
	case X86_INS_POP: {
		int g = gpr(x->operands[0].reg);
		if (x->operands[0].type != X86_OP_REG || g < 0)
			break;
		bool ra = st->on_stack && st->slot == st->sp;
		st->regs = ra ? st->regs | 1u << g : st->regs & ~(1u << g);
		if (ra && !after)
			mark(w, i, "<- return address popped", 0);
		st->sp += 8;
		st->on_stack = st->on_stack && st->slot >= st->sp;
		return true;
	}
	case X86_INS_PUSH: {
		st->sp -= 8;
		int g = x->operands[0].type == X86_OP_REG ? gpr(x->operands[0].reg) : -1;
		if (g >= 0 && (st->regs >> g & 1)) {
			st->on_stack = true, st->slot = st->sp, st->fresh = after;
			if (after)
				mark(w, i, "<- pushed back", path);
		} else if (st->on_stack && st->slot == st->sp) {
			st->on_stack = false;
		}
		return true;
	}
	case X86_INS_RET:
		leave(w, i, st, path, "<- returns through it");
		return false;
	case X86_INS_SYSCALL:
		fail(w, (int)i, "a second syscall in the wrapper");
		return false;
	case X86_INS_CALL:
		/* The callee pops what the call pushes; it may clobber these. */
		st->regs &= ~CALLER_SAVED;
		st->rax_known = st->flags_known = false;
		if (!st->regs && !st->on_stack)
			fail(w, (int)i, "the return address is lost across a call");
		return true;
	case X86_INS_MOV:
		if (x->op_count == 2 && !rsp_w) {
			const cs_x86_op *src = &x->operands[0], *dst = &x->operands[1];
			if (dst->access & CS_AC_READ || src->access & CS_AC_WRITE) {
				const cs_x86_op *t = src; /* Intel order */
				src = dst, dst = t;
			}
			int gs = src->type == X86_OP_REG ? gpr(src->reg) : -1;
			int gd = dst->type == X86_OP_REG ? gpr(dst->reg) : -1;
			bool ra_src = (gs >= 0 && (st->regs >> gs & 1) && src->size == 8) ||
				      (src->type == X86_OP_MEM && gpr(src->mem.base) == RSP &&
				       src->mem.index == X86_REG_INVALID && st->on_stack &&
				       st->slot == st->sp + src->mem.disp);
			if (gd >= 0) {
				st->regs = ra_src ? st->regs | 1u << gd : st->regs & ~(1u << gd);
				if (gd == RAX)
					st->rax_known = false;
				if (ra_src && !after)
					mark(w, i, "<- return address copied", 0);
				return true;
			}
			if (dst->type == X86_OP_MEM && gpr(dst->mem.base) == RSP &&
			    dst->mem.index == X86_REG_INVALID) {
				int64_t at = st->sp + dst->mem.disp;
				if (ra_src) {
					st->on_stack = true, st->slot = at, st->fresh = after;
					if (after)
						mark(w, i, "<- written back", path);
				} else if (st->on_stack && st->slot == at) {
					st->on_stack = false;
				}
				return true;
			}
		}
		break;
	case X86_INS_TEST:
	case X86_INS_CMP:
		compare(st, in);
		return true;
	case X86_INS_JMP:
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t to = x->operands[0].imm;
			int j = to >= w->start && to < w->end ? find(w, to) : -1;
			if (j < 0) {
				leave(w, i, st, path, "<- leaves with it on top of the stack");
				return false;
			}
			*next = j;
			return true;
		}
		fail(w, (int)i, "an indirect jump, which this check does not follow");
		return false;
	default:
		if (cs_insn_group(w->h, in, CS_GRP_JUMP) && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_IMM) {
			int j = find(w, x->operands[0].imm), t = taken(st, in->id);
			if (!after) {
				fail(w, (int)i, "a branch before the syscall, which this check does not follow");
				return false;
			}
			if (j < 0 || t < 0) {
				if (j < 0 || ++w->forks > MAX_PATHS) {
					fail(w, (int)i, "a branch this check cannot follow");
					return false;
				}
				follow(w, j, *st, path); /* either way: walk both */
				return true;
			}
			if (t)
				*next = j;
			return true;
		}
		break;
	}
	if (rsp_w) {
		bool imm = x->op_count == 2 && x->operands[0].type == X86_OP_IMM;
		if ((in->id == X86_INS_ADD || in->id == X86_INS_SUB) && imm)
			st->sp += in->id == X86_INS_ADD ? x->operands[0].imm : -x->operands[0].imm;
		else {
			fail(w, (int)i, "a change of rsp this check does not follow");
			return false;
		}
		st->on_stack = st->on_stack && st->slot >= st->sp;
	}
	st->regs &= ~wr;
	if (wr & 1u << RAX)
		st->rax_known = false;
	if (flags_w)
		st->flags_known = false;
	return true;
}

static void follow(struct walk *w, size_t i, struct state st, int path)
{
	for (int steps = 0; i < w->n; steps++) {
		if (steps == MAX_STEPS) {
			fail(w, (int)i, "a path longer than this check follows");
			return;
		}
		size_t next;
		if (!step(w, i, &st, path, &next))
			return;
		i = next;
	}
	if (i >= w->n)
		fail(w, -1, "a path runs past the code read");
}

/* The listing, from the wrapper's start to the last instruction a path reached. */
static void listing(struct walk *w, const char *prefix, FILE *out)
{
	for (size_t i = 0; i < w->n && i <= w->last; i++) {
		char note[128];
		const char *text = w->note[i];
		if (text && w->paths_at[i]) {
			snprintf(note, sizeof note, "%s (%s%s%s)", text, w->paths_at[i] & PARENT ? "parent" : "",
				 w->paths_at[i] == (PARENT | CHILD) ? ", " : "",
				 w->paths_at[i] & CHILD ? "child" : "");
			text = note;
		}
		fl_disasm_line(w->s, w->h, w->cr3, &w->insn[i], w->note[i] != NULL, text, prefix, out);
	}
}

void fl_wrapper_check(struct fl_session *s, uint64_t cr3, uint64_t user_rip, int64_t child_pid,
		      const char *prefix, FILE *out, struct fl_wrapper_result *res)
{
	static struct walk w;
	static uint8_t code[MAX_CODE];
	struct fl_sym sym;
	memset(res, 0, sizeof *res);
	memset(&w, 0, sizeof w);
	res->syscall = user_rip - 2;
	if (fl_sym_lookup(s, cr3, res->syscall, &sym) < 0 || fl_disasm_open(&w.h) < 0)
		return;
	w.s = s, w.cr3 = cr3, w.start = sym.start;
	w.end = sym.size ? sym.start + sym.size : sym.start + MAX_CODE;
	size_t len = fl_read_code(s, cr3, w.start, code, w.end - w.start < MAX_CODE ? w.end - w.start : MAX_CODE);
	w.n = cs_disasm(w.h, code, len, w.start, MAX_INSNS, &w.insn);
	int sys = find(&w, res->syscall);
	res->checked = true;
	if (sys < 0 || w.insn[sys].id != X86_INS_SYSCALL) {
		snprintf(res->how, sizeof res->how, "no syscall instruction at %#" PRIx64 " in %s",
			 res->syscall, sym.name);
		goto out;
	}
	w.sys = sys;
	const char *program = strrchr(sym.module, '/');
	if (out)
		fprintf(out, "%svfork wrapper %s in %s, syscall at %#" PRIx64 ":\n", prefix, sym.name,
			program ? program + 1 : sym.module, res->syscall);

	/* To the syscall, the one way in: the return address at [rsp]. */
	struct state st = { .on_stack = true };
	size_t i = 0, next;
	while (i < (size_t)sys && step(&w, i, &st, 0, &next) && next > i) /* forward only */
		i = next;
	uint16_t kept = st.regs & ~SYSCALL_CLOBBERS;
	static char held[64];
	if (i != (size_t)sys)
		fail(&w, (int)i, "the wrapper does not reach its syscall in a straight line");
	else if (!kept && st.on_stack) {
		w.note[sys] = "<- return address left on the stack, in no register";
		fail(&w, sys, "its return address stays on the shared stack, at [rsp%+" PRId64 "], "
		     "across the syscall, in no register", st.slot - st.sp);
	}
	else if (!kept)
		fail(&w, sys, "its return address is in no register that the syscall keeps");
	else {
		snprintf(held, sizeof held, "<- return address in %%%s%s", gpr_name[__builtin_ctz(kept)],
			 st.on_stack ? " (and still on the stack)" : ", not on the stack");
		mark(&w, sys, held, 0);
	}
	/* After it, with each side's rax; walked even past a break, for the listing. */
	if (i == (size_t)sys) {
		struct state parent = st, child = st;
		parent.rax_known = child.rax_known = true;
		parent.rax = (uint64_t)child_pid, child.rax = 0;
		step(&w, sys, &parent, PARENT, &next);
		follow(&w, sys + 1, parent, PARENT);
		step(&w, sys, &child, CHILD, &next);
		follow(&w, sys + 1, child, CHILD);
	}
	if (!w.why[0])
		snprintf(res->how, sizeof res->how, "in %%%s, pushed back on both paths",
			 gpr_name[__builtin_ctz(kept)]);
	if (out)
		listing(&w, prefix, out);
	res->ok = !w.why[0];
	if (w.why[0])
		snprintf(res->how, sizeof res->how, "%s", w.why);
out:
	if (w.n)
		cs_free(w.insn, w.n);
	cs_close(&w.h);
}
