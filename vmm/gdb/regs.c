/* The register table (regs.h). Sizes and order follow gdb's own i386
 * features (org.gnu.gdb.i386.core, .sse, .segments), which gdb checks by
 * name; the control registers go in a feature of ours, group "system", and
 * the user-mode registers (pt_regs) in another, group "user". */
#include "gdb/regs.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct reg {
	const char *name;
	unsigned bits;
	const char *type, *group;
} regs[GDB_NREGS] = {
	[GDB_RAX] = { "rax", 64, "int64", "general" }, [GDB_RBX] = { "rbx", 64, "int64", "general" },
	[GDB_RCX] = { "rcx", 64, "int64", "general" }, [GDB_RDX] = { "rdx", 64, "int64", "general" },
	[GDB_RSI] = { "rsi", 64, "int64", "general" }, [GDB_RDI] = { "rdi", 64, "int64", "general" },
	[GDB_RBP] = { "rbp", 64, "data_ptr", "general" }, [GDB_RSP] = { "rsp", 64, "data_ptr", "general" },
	[GDB_R8] = { "r8", 64, "int64", "general" }, [GDB_R9] = { "r9", 64, "int64", "general" },
	[GDB_R10] = { "r10", 64, "int64", "general" }, [GDB_R11] = { "r11", 64, "int64", "general" },
	[GDB_R12] = { "r12", 64, "int64", "general" }, [GDB_R13] = { "r13", 64, "int64", "general" },
	[GDB_R14] = { "r14", 64, "int64", "general" }, [GDB_R15] = { "r15", 64, "int64", "general" },
	[GDB_RIP] = { "rip", 64, "code_ptr", "general" },
	[GDB_EFLAGS] = { "eflags", 32, "i386_eflags", "general" },
	[GDB_CS] = { "cs", 32, "int32", "general" }, [GDB_SS] = { "ss", 32, "int32", "general" },
	[GDB_DS] = { "ds", 32, "int32", "general" }, [GDB_ES] = { "es", 32, "int32", "general" },
	[GDB_FS] = { "fs", 32, "int32", "general" }, [GDB_GS] = { "gs", 32, "int32", "general" },
	[GDB_ST0 + 0] = { "st0", 80, "i387_ext", "float" }, [GDB_ST0 + 1] = { "st1", 80, "i387_ext", "float" },
	[GDB_ST0 + 2] = { "st2", 80, "i387_ext", "float" }, [GDB_ST0 + 3] = { "st3", 80, "i387_ext", "float" },
	[GDB_ST0 + 4] = { "st4", 80, "i387_ext", "float" }, [GDB_ST0 + 5] = { "st5", 80, "i387_ext", "float" },
	[GDB_ST0 + 6] = { "st6", 80, "i387_ext", "float" }, [GDB_ST0 + 7] = { "st7", 80, "i387_ext", "float" },
	[GDB_FCTRL] = { "fctrl", 32, "int", "float" }, [GDB_FSTAT] = { "fstat", 32, "int", "float" },
	[GDB_FTAG] = { "ftag", 32, "int", "float" }, [GDB_FISEG] = { "fiseg", 32, "int", "float" },
	[GDB_FIOFF] = { "fioff", 32, "int", "float" }, [GDB_FOSEG] = { "foseg", 32, "int", "float" },
	[GDB_FOOFF] = { "fooff", 32, "int", "float" }, [GDB_FOP] = { "fop", 32, "int", "float" },
	[GDB_XMM0 + 0] = { "xmm0", 128, "vec128", "vector" }, [GDB_XMM0 + 1] = { "xmm1", 128, "vec128", "vector" },
	[GDB_XMM0 + 2] = { "xmm2", 128, "vec128", "vector" }, [GDB_XMM0 + 3] = { "xmm3", 128, "vec128", "vector" },
	[GDB_XMM0 + 4] = { "xmm4", 128, "vec128", "vector" }, [GDB_XMM0 + 5] = { "xmm5", 128, "vec128", "vector" },
	[GDB_XMM0 + 6] = { "xmm6", 128, "vec128", "vector" }, [GDB_XMM0 + 7] = { "xmm7", 128, "vec128", "vector" },
	[GDB_XMM0 + 8] = { "xmm8", 128, "vec128", "vector" }, [GDB_XMM0 + 9] = { "xmm9", 128, "vec128", "vector" },
	[GDB_XMM0 + 10] = { "xmm10", 128, "vec128", "vector" }, [GDB_XMM0 + 11] = { "xmm11", 128, "vec128", "vector" },
	[GDB_XMM0 + 12] = { "xmm12", 128, "vec128", "vector" }, [GDB_XMM0 + 13] = { "xmm13", 128, "vec128", "vector" },
	[GDB_XMM0 + 14] = { "xmm14", 128, "vec128", "vector" }, [GDB_XMM0 + 15] = { "xmm15", 128, "vec128", "vector" },
	[GDB_MXCSR] = { "mxcsr", 32, "int", "vector" },
	[GDB_FS_BASE] = { "fs_base", 64, "int", "general" }, [GDB_GS_BASE] = { "gs_base", 64, "int", "general" },
	[GDB_CR0] = { "cr0", 64, "int", "system" }, [GDB_CR2] = { "cr2", 64, "int", "system" },
	[GDB_CR3] = { "cr3", 64, "int", "system" }, [GDB_CR4] = { "cr4", 64, "int", "system" },
	[GDB_EFER] = { "efer", 64, "int", "system" },
	[GDB_USER_RAX + 0] = { "user_rax", 64, "int64", "user" },
	[GDB_USER_RAX + 1] = { "user_rbx", 64, "int64", "user" },
	[GDB_USER_RAX + 2] = { "user_rcx", 64, "int64", "user" },
	[GDB_USER_RAX + 3] = { "user_rdx", 64, "int64", "user" },
	[GDB_USER_RAX + 4] = { "user_rsi", 64, "int64", "user" },
	[GDB_USER_RAX + 5] = { "user_rdi", 64, "int64", "user" },
	[GDB_USER_RAX + 6] = { "user_rbp", 64, "data_ptr", "user" },
	[GDB_USER_RAX + 7] = { "user_rsp", 64, "data_ptr", "user" },
	[GDB_USER_RAX + 8] = { "user_r8", 64, "int64", "user" },
	[GDB_USER_RAX + 9] = { "user_r9", 64, "int64", "user" },
	[GDB_USER_RAX + 10] = { "user_r10", 64, "int64", "user" },
	[GDB_USER_RAX + 11] = { "user_r11", 64, "int64", "user" },
	[GDB_USER_RAX + 12] = { "user_r12", 64, "int64", "user" },
	[GDB_USER_RAX + 13] = { "user_r13", 64, "int64", "user" },
	[GDB_USER_RAX + 14] = { "user_r14", 64, "int64", "user" },
	[GDB_USER_RAX + 15] = { "user_r15", 64, "int64", "user" },
	[GDB_USER_RIP] = { "user_rip", 64, "code_ptr", "user" },
	[GDB_USER_EFLAGS] = { "user_eflags", 64, "int", "user" },
	[GDB_USER_CS] = { "user_cs", 64, "int", "user" },
	[GDB_USER_SS] = { "user_ss", 64, "int", "user" },
	[GDB_USER_ORIG_RAX] = { "user_orig_rax", 64, "int64", "user" },
};

/* Where each feature starts, and the types it declares before its registers. */
static const struct feature {
	int first;
	const char *name, *types;
} features[] = {
	{ GDB_RAX, "org.gnu.gdb.i386.core",
	  "<flags id=\"i386_eflags\" size=\"4\">"
	  "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	  "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	  "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	  "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	  "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	  "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	  "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	  "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
	  "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>" },
	{ GDB_XMM0, "org.gnu.gdb.i386.sse",
	  "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	  "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	  "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	  "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	  "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	  "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	  "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
	  "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
	  "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
	  "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
	  "</union>" },
	{ GDB_FS_BASE, "org.gnu.gdb.i386.segments", "" },
	{ GDB_CR0, "org.forklab.x86.sys", "" },
	{ GDB_USER_RAX, "org.forklab.x86.user", "" },
	{ GDB_NREGS, NULL, NULL },
};

size_t gdb_reg_size(int regno)
{
	return regno >= 0 && regno < GDB_NREGS ? regs[regno].bits / 8 : 0;
}

/* The running sums of the table's sizes, made once: a g packet asks for
 * every register's offset, and summing each time made it quadratic. */
size_t gdb_reg_offset(int regno)
{
	static size_t off[GDB_NREGS + 1];
	if (!off[GDB_NREGS])
		for (int i = 0; i < GDB_NREGS; i++)
			off[i + 1] = off[i] + regs[i].bits / 8;
	return off[regno < 0 ? 0 : regno < GDB_NREGS ? regno : GDB_NREGS];
}

_Static_assert(GDB_NREGS == 85, "the register table");

const char *gdb_target_xml(size_t *len)
{
	static char xml[12288];
	static size_t n;
	if (!n) {
		n = snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM "
			     "\"gdb-target.dtd\"><target version=\"1.0\">"
			     "<architecture>i386:x86-64</architecture>");
		for (int f = 0; features[f].name; f++) {
			n += snprintf(xml + n, sizeof xml - n, "<feature name=\"%s\">%s",
				      features[f].name, features[f].types);
			for (int r = features[f].first; r < features[f + 1].first; r++)
				n += snprintf(xml + n, sizeof xml - n,
					      "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" group=\"%s\" regnum=\"%d\"/>",
					      regs[r].name, regs[r].bits, regs[r].type, regs[r].group, r);
			n += snprintf(xml + n, sizeof xml - n, "</feature>");
		}
		n += snprintf(xml + n, sizeof xml - n, "</target>");
	}
	*len = n;
	return xml;
}

void gdb_reg_set(struct gdb_regfile *f, int regno, uint64_t v)
{
	size_t sz = gdb_reg_size(regno);
	memset(f->bytes + gdb_reg_offset(regno), 0, sz);
	memcpy(f->bytes + gdb_reg_offset(regno), &v, sz < 8 ? sz : 8);
	f->avail[regno] = true;
}

int gdb_reg_get(const struct gdb_regfile *f, int regno, uint64_t *v)
{
	size_t sz = gdb_reg_size(regno);
	if (!sz || sz > 8)
		return -1;
	*v = 0;
	memcpy(v, f->bytes + gdb_reg_offset(regno), sz);
	return 0;
}

/* kvm_regs in gdb's order of the first sixteen. */
#define GPRS(r) { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp, \
		  &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 }

void gdb_regs_from_vcpu(struct gdb_regfile *f, const struct kvm_regs *r,
			const struct kvm_sregs *sr, const struct kvm_fpu *fpu)
{
	const __u64 *gpr[16] = GPRS(r);
	memset(f, 0, sizeof *f);
	for (int i = 0; i < 16; i++)
		gdb_reg_set(f, GDB_RAX + i, *gpr[i]);
	gdb_reg_set(f, GDB_RIP, r->rip);
	gdb_reg_set(f, GDB_EFLAGS, r->rflags);
	const struct kvm_segment *seg[6] = { &sr->cs, &sr->ss, &sr->ds, &sr->es, &sr->fs, &sr->gs };
	for (int i = 0; i < 6; i++)
		gdb_reg_set(f, GDB_CS + i, seg[i]->selector);
	gdb_reg_set(f, GDB_FS_BASE, sr->fs.base);
	gdb_reg_set(f, GDB_GS_BASE, sr->gs.base);
	gdb_reg_set(f, GDB_CR0, sr->cr0);
	gdb_reg_set(f, GDB_CR2, sr->cr2);
	gdb_reg_set(f, GDB_CR3, sr->cr3);
	gdb_reg_set(f, GDB_CR4, sr->cr4);
	gdb_reg_set(f, GDB_EFER, sr->efer);
	if (!fpu)
		return;
	for (int i = 0; i < 8; i++) {
		memcpy(f->bytes + gdb_reg_offset(GDB_ST0 + i), fpu->fpr[i], 10);
		f->avail[GDB_ST0 + i] = true;
	}
	/* KVM gives the abridged (FXSAVE) tag byte; gdb wants the full tag word:
	 * 3 (empty) for a clear bit, 0 (valid) otherwise, as FXSAVE loses the rest. */
	uint32_t ftag = 0;
	for (int i = 0; i < 8; i++)
		ftag |= (fpu->ftwx & (1u << i) ? 0u : 3u) << (2 * i);
	gdb_reg_set(f, GDB_FCTRL, fpu->fcw);
	gdb_reg_set(f, GDB_FSTAT, fpu->fsw);
	gdb_reg_set(f, GDB_FTAG, ftag);
	gdb_reg_set(f, GDB_FISEG, 0);
	gdb_reg_set(f, GDB_FIOFF, fpu->last_ip);
	gdb_reg_set(f, GDB_FOSEG, 0);
	gdb_reg_set(f, GDB_FOOFF, fpu->last_dp);
	gdb_reg_set(f, GDB_FOP, fpu->last_opcode);
	for (int i = 0; i < 16; i++) {
		memcpy(f->bytes + gdb_reg_offset(GDB_XMM0 + i), fpu->xmm[i], 16);
		f->avail[GDB_XMM0 + i] = true;
	}
	gdb_reg_set(f, GDB_MXCSR, fpu->mxcsr);
}

/* pt_regs's fields in gdb's order of the user registers. */
static const unsigned short ptregs_off[GDB_NREGS - GDB_USER_RAX] = {
	offsetof(struct pt_regs, ax), offsetof(struct pt_regs, bx), offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, dx), offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
	offsetof(struct pt_regs, bp), offsetof(struct pt_regs, sp), offsetof(struct pt_regs, r8),
	offsetof(struct pt_regs, r9), offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13), offsetof(struct pt_regs, r14),
	offsetof(struct pt_regs, r15), offsetof(struct pt_regs, ip), offsetof(struct pt_regs, flags),
	offsetof(struct pt_regs, cs), offsetof(struct pt_regs, ss), offsetof(struct pt_regs, orig_ax),
};

int gdb_user_reg_ptregs_offset(int regno)
{
	return regno >= GDB_USER_RAX && regno < GDB_NREGS ? ptregs_off[regno - GDB_USER_RAX] : -1;
}

int gdb_user_reg_core(int regno)
{
	return regno >= GDB_USER_RAX && regno <= GDB_USER_SS ? GDB_RAX + (regno - GDB_USER_RAX) : -1;
}

void gdb_regs_user_from_ptregs(struct gdb_regfile *f, const struct pt_regs *p)
{
	for (int r = GDB_USER_RAX; r < GDB_NREGS; r++) {
		uint64_t v;
		memcpy(&v, (const char *)p + ptregs_off[r - GDB_USER_RAX], 8);
		gdb_reg_set(f, r, v);
	}
}

void gdb_regs_user_from_vcpu(struct gdb_regfile *f, const struct kvm_regs *r,
			     const struct kvm_sregs *sr)
{
	const __u64 *gpr[16] = GPRS(r);
	for (int i = 0; i < 16; i++)
		gdb_reg_set(f, GDB_USER_RAX + i, *gpr[i]);
	gdb_reg_set(f, GDB_USER_RIP, r->rip);
	gdb_reg_set(f, GDB_USER_EFLAGS, r->rflags);
	gdb_reg_set(f, GDB_USER_CS, sr->cs.selector);
	gdb_reg_set(f, GDB_USER_SS, sr->ss.selector);
}

bool gdb_reg_writable(int regno)
{
	return (regno >= GDB_RAX && regno <= GDB_EFLAGS) || regno == GDB_FS_BASE ||
	       regno == GDB_GS_BASE;
}

void gdb_regs_to_vcpu(const struct gdb_regfile *f, struct kvm_regs *r, struct kvm_sregs *sr)
{
	__u64 *gpr[16] = GPRS(r);
	uint64_t v;
	for (int i = 0; i < 16; i++)
		gdb_reg_get(f, GDB_RAX + i, &v), *gpr[i] = v;
	gdb_reg_get(f, GDB_RIP, &v), r->rip = v;
	gdb_reg_get(f, GDB_EFLAGS, &v), r->rflags = v;
	gdb_reg_get(f, GDB_FS_BASE, &v), sr->fs.base = v;
	gdb_reg_get(f, GDB_GS_BASE, &v), sr->gs.base = v;
}
