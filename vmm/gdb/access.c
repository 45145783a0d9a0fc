/* The memory one instruction touches (access.h). capstone 4 gives each
 * explicit memory operand with its access, READ, WRITE or both; where its
 * tables are wrong for what the kernel and musl run (measured with
 * capstone 4.0.2), fix_access below says so. Operands in AT&T order: the
 * destination last. */
#include "gdb/access.h"
#include "observe/disasm.h"

#include <stddef.h>
#include <string.h>

/* A general register's value as an address component, at its width: the
 * 64-bit registers, and the 32-bit ones of a 0x67 prefix. false for what
 * cannot be an address's part here (a vector index of a gather). */
static bool reg_value(x86_reg reg, const struct kvm_regs *r, uint64_t *v)
{
	static const struct { x86_reg q, d; size_t off; } gpr[] = {
		{ X86_REG_RAX, X86_REG_EAX, offsetof(struct kvm_regs, rax) },
		{ X86_REG_RBX, X86_REG_EBX, offsetof(struct kvm_regs, rbx) },
		{ X86_REG_RCX, X86_REG_ECX, offsetof(struct kvm_regs, rcx) },
		{ X86_REG_RDX, X86_REG_EDX, offsetof(struct kvm_regs, rdx) },
		{ X86_REG_RSI, X86_REG_ESI, offsetof(struct kvm_regs, rsi) },
		{ X86_REG_RDI, X86_REG_EDI, offsetof(struct kvm_regs, rdi) },
		{ X86_REG_RSP, X86_REG_ESP, offsetof(struct kvm_regs, rsp) },
		{ X86_REG_RBP, X86_REG_EBP, offsetof(struct kvm_regs, rbp) },
		{ X86_REG_R8, X86_REG_R8D, offsetof(struct kvm_regs, r8) },
		{ X86_REG_R9, X86_REG_R9D, offsetof(struct kvm_regs, r9) },
		{ X86_REG_R10, X86_REG_R10D, offsetof(struct kvm_regs, r10) },
		{ X86_REG_R11, X86_REG_R11D, offsetof(struct kvm_regs, r11) },
		{ X86_REG_R12, X86_REG_R12D, offsetof(struct kvm_regs, r12) },
		{ X86_REG_R13, X86_REG_R13D, offsetof(struct kvm_regs, r13) },
		{ X86_REG_R14, X86_REG_R14D, offsetof(struct kvm_regs, r14) },
		{ X86_REG_R15, X86_REG_R15D, offsetof(struct kvm_regs, r15) },
	};
	if (reg == X86_REG_INVALID || reg == X86_REG_RIZ || reg == X86_REG_EIZ) {
		*v = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof gpr / sizeof gpr[0]; i++) {
		uint64_t q;
		memcpy(&q, (const char *)r + gpr[i].off, 8);
		if (reg == gpr[i].q || reg == gpr[i].d) {
			*v = reg == gpr[i].d ? (uint32_t)q : q;
			return true;
		}
	}
	return false;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* capstone 4's access for a memory operand, corrected: lea, nop and the
 * prefetches touch no memory (capstone says READ); cmpxchg writes and stos
 * only writes (READ); the destination of a mov (SSE and AVX ones: movups, movq, vmovdqu,
 * movnt*), and the x87, MXCSR and fxsave stores are written, not read.
 * 0: no access. */
static uint8_t fix_access(const cs_insn *insn, int i, uint8_t access)
{
	const cs_x86 *x = &insn->detail->x86;
	const char *m = insn->mnemonic;
	switch (insn->id) {
	case X86_INS_LEA:
	case X86_INS_NOP:
	case X86_INS_PREFETCH:
	case X86_INS_PREFETCHNTA:
	case X86_INS_PREFETCHT0:
	case X86_INS_PREFETCHT1:
	case X86_INS_PREFETCHT2:
	case X86_INS_PREFETCHW:
		return 0;
	case X86_INS_CMPXCHG:
	case X86_INS_CMPXCHG8B:
	case X86_INS_CMPXCHG16B:
		return CS_AC_READ | CS_AC_WRITE;
	case X86_INS_STOSB:
	case X86_INS_STOSW:
	case X86_INS_STOSD:
	case X86_INS_STOSQ:
		return CS_AC_WRITE;
	default:
		break;
	}
	if (starts(m, "rep")) /* "rep movsb": the prefix is in the mnemonic */
		m = strchr(m, ' ') ? strchr(m, ' ') + 1 : m;
	if ((starts(m, "mov") || starts(m, "vmov")) && x->op_count >= 2)
		return i == x->op_count - 1 ? CS_AC_WRITE : CS_AC_READ;
	if (starts(m, "fst") || starts(m, "fist") || starts(m, "fnst") || starts(m, "fbstp") ||
	    starts(m, "stmxcsr") || starts(m, "vstmxcsr") || starts(m, "fxsave") || starts(m, "xsave"))
		return CS_AC_WRITE;
	return access;
}

/* The bytes a memory operand covers where capstone's size is not the
 * area's: fxsave's 512, xsave's legacy area and header (its components
 * after those depend on XCR0 and are not covered). */
static uint32_t fix_size(const cs_insn *insn, uint32_t size)
{
	switch (insn->id) {
	case X86_INS_FXSAVE:
	case X86_INS_FXSAVE64:
	case X86_INS_FXRSTOR:
	case X86_INS_FXRSTOR64:
		return 512;
	case X86_INS_XSAVE:
	case X86_INS_XSAVE64:
	case X86_INS_XSAVEC:
	case X86_INS_XSAVEC64:
	case X86_INS_XSAVEOPT:
	case X86_INS_XSAVEOPT64:
	case X86_INS_XSAVES:
	case X86_INS_XSAVES64:
	case X86_INS_XRSTOR:
	case X86_INS_XRSTOR64:
	case X86_INS_XRSTORS:
	case X86_INS_XRSTORS64:
		return 576;
	default:
		return size;
	}
}

static int add(struct gdb_access *out, int n, uint64_t addr, uint32_t len, bool read, bool write)
{
	if (n < GDB_MAX_ACCESSES && len)
		out[n++] = (struct gdb_access){ .addr = addr, .len = len, .read = read, .write = write };
	return n;
}

/* The stack an instruction pushes to or pops from, which capstone shows
 * only as rsp among the registers read and written. A push or pop's size
 * is its operand's (pushw: 2). */
static int stack_accesses(const cs_insn *insn, const struct kvm_regs *r, struct gdb_access *out, int n)
{
	const cs_x86 *x = &insn->detail->x86;
	uint32_t size = x->op_count && x->operands[0].size ? x->operands[0].size : 8;
	switch (insn->id) {
	case X86_INS_PUSH:
		return add(out, n, r->rsp - size, size, false, true);
	case X86_INS_POP:
		return add(out, n, r->rsp, size, true, false);
	case X86_INS_PUSHF: /* pushfw */
		return add(out, n, r->rsp - 2, 2, false, true);
	case X86_INS_PUSHFQ:
	case X86_INS_CALL:
		return add(out, n, r->rsp - 8, 8, false, true);
	case X86_INS_ENTER: /* its push of rbp; level 0 */
		return add(out, n, r->rsp - 8, 8, false, true);
	case X86_INS_POPF: /* popfw */
		return add(out, n, r->rsp, 2, true, false);
	case X86_INS_POPFQ:
	case X86_INS_RET:
		return add(out, n, r->rsp, 8, true, false);
	case X86_INS_LEAVE: /* rsp = rbp, then pop rbp */
		return add(out, n, r->rbp, 8, true, false);
	case X86_INS_RETF:
	case X86_INS_RETFQ:
		return add(out, n, r->rsp, 16, true, false);
	case X86_INS_IRETD:
		return add(out, n, r->rsp, 20, true, false);
	case X86_INS_IRETQ:
		return add(out, n, r->rsp, 40, true, false);
	default:
		return n;
	}
}

int gdb_insn_accesses(const cs_insn *insn, const struct kvm_regs *r, const struct kvm_sregs *sr,
		      struct gdb_access *out)
{
	int n = 0;
	if (!insn->detail)
		return 0;
	const cs_x86 *x = &insn->detail->x86;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		uint64_t base, index, addr;
		if (op->type != X86_OP_MEM)
			continue;
		uint8_t access = fix_access(insn, i, op->access);
		if (!access)
			continue;
		if (op->mem.base == X86_REG_RIP || op->mem.base == X86_REG_EIP)
			base = insn->address + insn->size;
		else if (!reg_value(op->mem.base, r, &base))
			continue;
		if (!reg_value(op->mem.index, r, &index))
			continue;
		addr = base + index * (uint64_t)op->mem.scale + (uint64_t)op->mem.disp;
		if (x->addr_size == 4)
			addr = (uint32_t)addr;
		if (op->mem.segment == X86_REG_FS)
			addr += sr->fs.base;
		else if (op->mem.segment == X86_REG_GS)
			addr += sr->gs.base;
		n = add(out, n, addr, fix_size(insn, op->size), access & CS_AC_READ, access & CS_AC_WRITE);
	}
	return stack_accesses(insn, r, out, n);
}

int gdb_accesses_at(struct fl_session *s, csh h, cs_insn *insn, const struct kvm_regs *r,
		    const struct kvm_sregs *sr, struct gdb_access *out)
{
	uint8_t code[15];
	size_t len = fl_read_code(s, sr->cr3, r->rip, code, sizeof code);
	const uint8_t *p = code;
	uint64_t at = r->rip;
	if (!cs_disasm_iter(h, &p, &len, &at, insn))
		return -1;
	return gdb_insn_accesses(insn, r, sr, out);
}

bool gdb_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && (a - b < blen || b - a < alen);
}
