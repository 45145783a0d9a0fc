/* forklab run --explain and --vfork-check: the host's half of the vfork
 * sanitizer (the kernel's is mm/vfork_san.c). At each vfork the host reads
 * the parent's registers and stack and finds its frames (DWARF CFI where the
 * program has it, else the rbp chain); each write the child makes to the
 * watched stack is named by the slot it hits. --explain tells, when the
 * parent resumes, which words changed, where the parent's next ret goes and
 * why (computed from the slot, then seen by single steps: retwatch.c), and
 * then what the parent did and what killed it. --vfork-check
 * reports each misuse as a finding. Addresses are printed by explain_addr
 * alone. */
#include "observe/explain.h"
#include "observe/api.h"
#include "observe/disasm.h"
#include "observe/inspect.h"
#include "observe/retwatch.h"
#include "observe/symbols.h"
#include "observe/unwind.h"
#include "run/session.h"

#include <forklab/linux.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 32
#define SNAP_BELOW 128           /* bytes below the vfork-time RSP: the popped return address */
#define SNAP_MAX   (256UL << 10) /* of the parent's stack above it */
#define MAX_VFORKS 4096          /* beyond it a guest floods us: later vforks are not told */
#define MAX_WRITES 65536         /* per vfork, likewise */
#define ADDR_TEXT  (FL_SYM_TEXT + 24) /* explain_addr's: hex, then <symbol (file:line)> */

/* One parent frame at the vfork: its words are [lo, cfa). */
struct frame {
	uint64_t pc;                 /* where it continues: a return address */
	uint64_t lo, cfa;
	uint64_t slot[FL_DW_NREGS];  /* where it saved rbx, rbp, ... and (FL_DW_RA) its return address */
};

struct write {
	int pid;
	uint64_t addr, old, new, rip, sp, info;
};

struct vfork {
	int seq, ppid, cpid;
	uint64_t parent, child;      /* tasks */
	uint64_t cr3, rip, sp, start, end;
	uint64_t cstack;             /* clone's stack argument: the child's own stack (posix_spawn) */
	struct fl_vma vma[FL_MAX_VMAS];
	int nvma;
	uint8_t *snap;               /* the parent's stack at the vfork: [snap_lo, snap_hi) */
	uint64_t snap_lo, snap_hi;
	struct frame f[MAX_FRAMES];
	int nf;
	const char *how;             /* how the frames were found */
	struct write *w;
	int nw, capw;
	bool watched, released, execd, returned, next_told;
	/* At the release: frame 0's return slot and the word in it, the ret
	 * computed; ret_watch until the parent's return to user mode, where
	 * it resumed. */
	uint64_t ra_slot, ra_now, resumed;
	bool ret_watch;
};

struct fl_explain {
	bool explain, check;
	FILE *json;
	struct vfork *v;
	int nv, capv;
	int findings, writes;
	struct fl_retwatch ret;      /* stepping the parent of v[stepped] */
	int stepped;
};

/* ---- addresses, words and instructions ---- */

/* Every address printed here: hex, then <function+offset (file:line)> where
 * the program mapped at cr3 (or the kernel) has a symbol for it. */
static const char *explain_addr(struct fl_session *s, uint64_t cr3, uint64_t addr, char *buf,
				size_t n)
{
	struct fl_sym sym;
	char at[FL_SYM_TEXT];
	if (fl_sym_lookup(s, cr3, addr, &sym) == 0)
		snprintf(buf, n, "%#" PRIx64 " <%s>", addr, fl_sym_format(&sym, at, sizeof at));
	else
		snprintf(buf, n, "%#" PRIx64, addr);
	return buf;
}

static bool snap_word(void *arg, uint64_t addr, uint64_t *out)
{
	const struct vfork *v = arg;
	if (addr < v->snap_lo || addr + 8 > v->snap_hi)
		return false;
	memcpy(out, v->snap + (addr - v->snap_lo), 8);
	return true;
}

static bool in_exec(const struct vfork *v, uint64_t addr)
{
	for (int i = 0; i < v->nvma; i++)
		if ((v->vma[i].flags & VM_EXEC) && addr >= v->vma[i].start && addr < v->vma[i].end)
			return true;
	return false;
}

static const char *const dw_reg[FL_DW_NREGS] = {
	"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
	"r13", "r14", "r15", "return address",
};

/* The function frame i runs in. */
static const char *frame_func(struct fl_session *s, const struct vfork *v, int i, char *buf,
			      size_t n)
{
	struct fl_sym sym;
	if (fl_sym_lookup(s, v->cr3, v->f[i].pc - 1, &sym) == 0)
		snprintf(buf, n, "%s", sym.name);
	else
		snprintf(buf, n, "the function at %#" PRIx64, v->f[i].pc);
	return buf;
}

/* Which slot of which parent frame addr is: text for people, a kind for JSON. */
static int classify(struct fl_session *s, const struct vfork *v, uint64_t addr, char *text, size_t n,
		    const char **kind)
{
	char fn[128];
	for (int i = 0; i < v->nf; i++) {
		const struct frame *f = &v->f[i];
		if (addr < f->lo || addr >= f->cfa)
			continue;
		for (int r = 0; r < FL_DW_NREGS; r++)
			if (f->slot[r] && addr >= f->slot[r] && addr < f->slot[r] + 8) {
				*kind = r == FL_DW_RA ? "return_address" : "saved_register";
				snprintf(text, n, "%s%s of %s (frame %d)", r == FL_DW_RA ? "" : "saved ",
					 dw_reg[r], frame_func(s, v, i, fn, sizeof fn), i);
				return i;
			}
		*kind = "local";
		snprintf(text, n, "local of %s (frame %d, CFA-%#" PRIx64 ")",
			 frame_func(s, v, i, fn, sizeof fn), i, f->cfa - addr);
		return i;
	}
	*kind = v->nf ? "above_frames" : "no_frames";
	snprintf(text, n, v->nf ? "the parent's stack above its outermost frame" :
				  "the parent's stack (its frames unknown)");
	return -1;
}

/* ---- JSON Lines ---- */

static void jhex(json_object *o, const char *key, uint64_t val)
{
	char b[24];
	snprintf(b, sizeof b, "%#" PRIx64, val);
	json_object_object_add(o, key, json_object_new_string(b));
}

static void jstr(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void jint(json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

static json_object *jnew(const char *event, const struct vfork *v)
{
	json_object *o = json_object_new_object();
	jstr(o, "event", event);
	if (v)
		jint(o, "vfork", v->seq);
	return o;
}

static void jemit(struct fl_explain *x, json_object *o)
{
	if (x->json)
		fprintf(x->json, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* ---- the vfork: frames ---- */

static void regs_from(struct fl_unwind_regs *r, const struct pt_regs *p)
{
	const uint64_t v[16] = { p->ax, p->dx, p->cx, p->bx, p->si, p->di, p->bp, p->sp,
				 p->r8, p->r9, p->r10, p->r11, p->r12, p->r13, p->r14, p->r15 };
	memset(r, 0, sizeof *r);
	for (int i = 0; i < 16; i++)
		r->v[i] = v[i], r->ok[i] = true;
}

/* Out of the libc wrapper to the function that called vfork: by its CFI;
 * else the wrapper popped its return address into a register (musl's rdx,
 * glibc's rdi), and the word it popped is still just below RSP; else it is
 * a leaf with the return address at RSP (musl's __clone). */
static bool leave_wrapper(struct fl_session *s, struct vfork *v, struct fl_unwind_regs *r,
			  uint64_t *pc)
{
	uint64_t cfa, slots[FL_DW_NREGS], below, top;
	struct fl_unwind_regs c;
	if (fl_unwind_step(s, v->cr3, v->rip, true, r, snap_word, v, &cfa, slots, &c) &&
	    c.ok[FL_DW_RA]) {
		*pc = c.v[FL_DW_RA], *r = c;
		return true;
	}
	if (snap_word(v, v->sp - 8, &below) && in_exec(v, below))
		for (int i = 0; i < 16; i++)
			if (i != FL_DW_RSP && r->v[i] == below) {
				*pc = below;
				return true;
			}
	if (snap_word(v, v->sp, &top) && in_exec(v, top)) {
		*pc = top;
		r->v[FL_DW_RSP] = v->sp + 8;
		return true;
	}
	return false;
}

static void unwind(struct fl_session *s, struct vfork *v, const struct pt_regs *p)
{
	struct fl_unwind_regs r, c;
	uint64_t pc, cfa, slots[FL_DW_NREGS];
	regs_from(&r, p);
	if (!leave_wrapper(s, v, &r, &pc))
		return;
	bool cfi_seen = false, fp_seen = false;
	while (v->nf < MAX_FRAMES) {
		struct frame *f = &v->f[v->nf];
		memset(f, 0, sizeof *f);
		f->pc = pc, f->lo = r.v[FL_DW_RSP];
		if (fl_unwind_step(s, v->cr3, pc, false, &r, snap_word, v, &cfa, slots, &c) &&
		    cfa > f->lo) {
			f->cfa = cfa;
			memcpy(f->slot, slots, sizeof slots);
			cfi_seen = true;
		} else if (r.ok[FL_DW_RBP] && r.v[FL_DW_RBP] >= f->lo && r.v[FL_DW_RBP] + 16 <= v->end) {
			uint64_t bp = r.v[FL_DW_RBP]; /* push %rbp; mov %rsp,%rbp */
			f->cfa = bp + 16;
			f->slot[FL_DW_RBP] = bp, f->slot[FL_DW_RA] = bp + 8;
			c = r;
			c.ok[FL_DW_RBP] = snap_word(v, bp, &c.v[FL_DW_RBP]);
			c.ok[FL_DW_RA] = snap_word(v, bp + 8, &c.v[FL_DW_RA]);
			c.v[FL_DW_RSP] = bp + 16;
			fp_seen = true;
		} else {
			break;
		}
		v->nf++;
		if (!c.ok[FL_DW_RA] || !in_exec(v, c.v[FL_DW_RA]) || c.v[FL_DW_RSP] >= v->end)
			break;
		pc = c.v[FL_DW_RA], r = c;
	}
	v->how = cfi_seen && fp_seen ? "DWARF CFI and the rbp chain" : cfi_seen ? "DWARF CFI" :
		 "the rbp chain";
}

static struct vfork *new_vfork(struct fl_explain *x)
{
	if (x->nv == MAX_VFORKS)
		return NULL;
	if (x->nv == x->capv) {
		int cap = x->capv ? x->capv * 2 : 16;
		struct vfork *n = realloc(x->v, cap * sizeof *n);
		if (!n)
			return NULL;
		x->v = n, x->capv = cap;
	}
	struct vfork *v = &x->v[x->nv];
	memset(v, 0, sizeof *v);
	v->seq = ++x->nv;
	return v;
}

static void tell_frames(struct fl_explain *x, struct fl_session *s, const struct vfork *v)
{
	char fn[128], a[ADDR_TEXT], b[ADDR_TEXT];
	fprintf(stderr, "explain: #%d the parent's frames at the vfork (%s):\n", v->seq,
		v->nf ? v->how : "none found");
	for (int i = 0; i < v->nf; i++) {
		const struct frame *f = &v->f[i];
		uint64_t ra = 0;
		bool has_ra = f->slot[FL_DW_RA] && snap_word((void *)v, f->slot[FL_DW_RA], &ra);
		fprintf(stderr, "explain: #%d   frame %d %s: [%#" PRIx64 ", %#" PRIx64 ")", v->seq, i,
			frame_func(s, v, i, fn, sizeof fn), f->lo, f->cfa);
		if (has_ra)
			fprintf(stderr, ", return address %s at %#" PRIx64, explain_addr(s, v->cr3, ra, a, sizeof a),
				f->slot[FL_DW_RA]);
		if (f->slot[FL_DW_RBP])
			fprintf(stderr, ", saved rbp at %#" PRIx64, f->slot[FL_DW_RBP]);
		fputc('\n', stderr);
		json_object *o = jnew("frame", v);
		jint(o, "index", i);
		jstr(o, "function", fn);
		jhex(o, "pc", f->pc);
		jstr(o, "pc_where", explain_addr(s, v->cr3, f->pc, b, sizeof b));
		jhex(o, "lo", f->lo);
		jhex(o, "cfa", f->cfa);
		if (has_ra) {
			jhex(o, "return_slot", f->slot[FL_DW_RA]);
			jhex(o, "return_address", ra);
		}
		if (f->slot[FL_DW_RBP])
			jhex(o, "saved_rbp_slot", f->slot[FL_DW_RBP]);
		jemit(x, o);
	}
}

/* The parent resumed, and now makes another vfork: what its ret did. */
static void tell_next(struct fl_explain *x, struct fl_session *s, struct vfork *old,
		      const struct vfork *v)
{
	char fn[128], a[ADDR_TEXT];
	old->next_told = true;
	if (!v->nf)
		return;
	int64_t shift = (int64_t)(v->f[0].cfa - old->f[0].cfa);
	fprintf(stderr, "explain: #%d then pid %d, resumed, made vfork #%d from %s, in %s with its "
		"frame at [%#" PRIx64 ", %#" PRIx64 "), %" PRId64 " bytes %s its frame at vfork #%d: "
		"the code that called vfork runs again, and its new child, pid %d, takes the child's "
		"path a second time\n",
		old->seq, old->ppid, v->seq, explain_addr(s, v->cr3, v->f[0].pc, a, sizeof a),
		frame_func(s, v, 0, fn, sizeof fn), v->f[0].lo, v->f[0].cfa, shift < 0 ? -shift : shift,
		shift < 0 ? "below" : "above", old->seq, v->cpid);
	json_object *o = jnew("parent_next_vfork", old);
	jint(o, "pid", old->ppid);
	jint(o, "next_vfork", v->seq);
	jstr(o, "function", fn);
	jhex(o, "pc", v->f[0].pc);
	jhex(o, "cfa", v->f[0].cfa);
	jint(o, "cfa_shift", shift);
	jemit(x, o);
}

static void on_clone(struct fl_explain *x, struct fl_session *s, const struct fl_event *ev)
{
	if ((ev->clone.flags & (CLONE_VM | CLONE_VFORK)) != (CLONE_VM | CLONE_VFORK) ||
	    ev->clone.flags == FL_CLONE_KTHREAD)
		return;
	struct fl_task_view t;
	struct fl_mm_head mm;
	struct vfork *v = new_vfork(x);
	if (!v || fl_task_read(s, ev->task, &t) < 0 || fl_mm_read(s, t.head.mm, &mm) < 0)
		return;
	v->ppid = ev->pid, v->cpid = (int)ev->clone.child_pid;
	v->parent = ev->task, v->child = ev->clone.child;
	v->cr3 = t.cr3, v->rip = t.regs.ip, v->sp = v->start = t.regs.sp;
	v->cstack = ev->clone.stack;
	v->nvma = mm.nvma < FL_MAX_VMAS ? mm.nvma : FL_MAX_VMAS;
	memcpy(v->vma, mm.vma, v->nvma * sizeof v->vma[0]);
	for (int i = 0; i < v->nvma; i++)
		if (v->sp >= v->vma[i].start && v->sp < v->vma[i].end)
			v->end = v->vma[i].end;
	v->snap_lo = v->sp - SNAP_BELOW;
	v->snap_hi = v->end && v->end - v->sp < SNAP_MAX ? v->end : v->sp + SNAP_MAX;
	/* Page by page: a page the parent never touched is not mapped. */
	if (v->end && (v->snap = calloc(1, v->snap_hi - v->snap_lo)))
		for (uint64_t a = v->snap_lo; a < v->snap_hi; a = (a | 0xfff) + 1) {
			uint64_t next = (a | 0xfff) + 1 < v->snap_hi ? (a | 0xfff) + 1 : v->snap_hi;
			fl_read_gva(&s->vm, v->cr3, a, v->snap + (a - v->snap_lo), next - a);
		}
	if (v->snap)
		unwind(s, v, &t.regs);
	for (int i = x->nv - 2; i >= 0; i--)
		if (x->v[i].ppid == v->ppid && x->v[i].released && !x->v[i].next_told && x->explain) {
			tell_next(x, s, &x->v[i], v);
			break;
		}
	if (!x->explain)
		return;
	char a[ADDR_TEXT];
	fprintf(stderr, "explain: #%d pid %d vforked pid %d at %s, sp %#" PRIx64 "\n", v->seq, v->ppid,
		v->cpid, explain_addr(s, v->cr3, v->rip, a, sizeof a), v->sp);
	json_object *o = jnew("vfork", v);
	jint(o, "parent", v->ppid);
	jint(o, "child", v->cpid);
	jhex(o, "rip", v->rip);
	jstr(o, "rip_where", a);
	jhex(o, "sp", v->sp);
	jstr(o, "frames_from", v->nf ? v->how : "none");
	jemit(x, o);
	tell_frames(x, s, v);
}

static struct vfork *find_child(struct fl_explain *x, uint64_t child)
{
	for (int i = x->nv - 1; i >= 0; i--)
		if (x->v[i].child == child && !x->v[i].released)
			return &x->v[i];
	return NULL;
}

static void on_watch(struct fl_explain *x, const struct fl_event *ev)
{
	struct vfork *v = find_child(x, ev->vfork_watch.child);
	if (!v)
		return;
	v->watched = true;
	v->start = ev->vfork_watch.start, v->end = ev->vfork_watch.end;
	if (!x->explain)
		return;
	fprintf(stderr, "explain: #%d watching the parent's stack [%#" PRIx64 ", %#" PRIx64 "): %" PRIu64
		" pages write-protected while pid %d runs\n", v->seq, v->start, v->end,
		ev->vfork_watch.pages, v->cpid);
	json_object *o = jnew("watch", v);
	jhex(o, "start", v->start);
	jhex(o, "end", v->end);
	jint(o, "pages", (int64_t)ev->vfork_watch.pages);
	jemit(x, o);
}

/* ---- the child's writes ---- */

static void finding(struct fl_explain *x, struct fl_session *s, const struct vfork *v,
		    const char *kind, const char *what, int pid, uint64_t addr, const char *slot,
		    uint64_t rip)
{
	char a[ADDR_TEXT];
	x->findings++;
	fprintf(stderr, "vfork-check: vfork #%d (pid %d -> pid %d): pid %d %s at %#" PRIx64 " (%s), "
		"rip %s\n", v->seq, v->ppid, v->cpid, pid, what, addr, slot, explain_addr(s, v->cr3, rip, a, sizeof a));
	json_object *o = jnew("finding", v);
	jstr(o, "kind", kind);
	jint(o, "pid", pid);
	jhex(o, "addr", addr);
	jstr(o, "slot", slot);
	jhex(o, "rip", rip);
	jstr(o, "rip_where", a);
	jemit(x, o);
}

/* Why a write to the watched stack is no misuse, or NULL. */
static const char *allowed(const struct vfork *v, const struct write *w)
{
	if (v->cstack && w->addr < v->cstack + 16)
		return "the top of the child's own stack, where the libc's clone left fn and arg";
	uint64_t changed = 0;
	for (int b = 0; b < 64; b += 8)
		if (((w->old ^ w->new) >> b) & 0xff)
			changed |= 0xffULL << b;
	if (v->nf && w->rip == v->f[0].pc && !w->info && !(w->new & changed))
		return "vfork's return value stored in its caller (POSIX allows a pid_t variable for it)";
	return NULL;
}

/* The watch of the write's mm: the unreleased vfork whose child wrote, else
 * (a task the child made with CLONE_VM) the latest one watching addr. */
static struct vfork *vfork_of_write(struct fl_explain *x, const struct fl_event *ev)
{
	for (int i = x->nv - 1; i >= 0; i--)
		if (!x->v[i].released && x->v[i].cpid == ev->pid)
			return &x->v[i];
	for (int i = x->nv - 1; i >= 0; i--)
		if (!x->v[i].released && x->v[i].watched && ev->vfork_write.addr >= x->v[i].start &&
		    ev->vfork_write.addr < x->v[i].end)
			return &x->v[i];
	return NULL;
}

static void on_write(struct fl_explain *x, struct fl_session *s, const struct fl_event *ev)
{
	const struct fl_ev_vfork_write *e = &ev->vfork_write;
	struct vfork *v = vfork_of_write(x, ev);
	if (!v || v->nw == MAX_WRITES)
		return;
	if (v->nw == v->capw) {
		int cap = v->capw ? v->capw * 2 : 32;
		struct write *n = realloc(v->w, cap * sizeof *n);
		if (!n)
			return;
		v->w = n, v->capw = cap;
	}
	v->w[v->nw++] = (struct write){ ev->pid, e->addr, e->old, e->new, e->rip, e->sp, e->info };
	x->writes++;
	char slot[256], insn[96] = "", a[ADDR_TEXT], b[ADDR_TEXT], c[ADDR_TEXT];
	const char *kind;
	classify(s, v, e->addr, slot, sizeof slot, &kind);
	bool kernel = e->info & FL_VFORK_WRITE_KERNEL;
	size_t len = kernel ? 0 : fl_insn_text(s, v->cr3, e->rip, insn, sizeof insn);
	bool call = len && !strncmp(insn, "call", 4) && e->new == e->rip + len;
	const char *ok = allowed(v, &v->w[v->nw - 1]);
	if (x->explain) {
		if (kernel)
			fprintf(stderr, "explain: #%d pid %d's system call %" PRIu64 " (at %s) wrote %#" PRIx64
				" (%s): was %#" PRIx64 "\n", v->seq, ev->pid,
				e->info & ~FL_VFORK_WRITE_KERNEL, explain_addr(s, v->cr3, e->rip, a, sizeof a),
				e->addr, slot, e->old);
		else
			fprintf(stderr, "explain: #%d pid %d wrote %#" PRIx64 " (%s): the word at %#" PRIx64
				" %s -> %s, at %s (%s), sp %#" PRIx64 "%s%s%s\n", v->seq, ev->pid, e->addr, slot,
				e->addr & ~(uint64_t)7, explain_addr(s, v->cr3, e->old, a, sizeof a),
				explain_addr(s, v->cr3, e->new, b, sizeof b),
				explain_addr(s, v->cr3, e->rip, c, sizeof c), insn, e->sp, ok ? " (allowed: " : "",
				ok ? ok : "", ok ? ")" : "");
		json_object *o = jnew("write", v);
		jint(o, "pid", ev->pid);
		jhex(o, "addr", e->addr);
		jstr(o, "slot", slot);
		jstr(o, "slot_kind", kind);
		jhex(o, "old", e->old);
		if (!kernel)
			jhex(o, "new", e->new);
		jhex(o, "rip", e->rip);
		jstr(o, "rip_where", explain_addr(s, v->cr3, e->rip, a, sizeof a));
		jstr(o, "insn", insn);
		jhex(o, "sp", e->sp);
		if (kernel)
			jint(o, "syscall", (int64_t)(e->info & ~FL_VFORK_WRITE_KERNEL));
		if (ok)
			jstr(o, "allowed", ok);
		jemit(x, o);
	}
	/* On a stack of its own (clone's), the child cannot pop the parent's frames. */
	bool returned = !v->returned && v->nf && !v->cstack && e->sp >= v->f[0].cfa && !kernel;
	if (returned)
		v->returned = true;
	if (!x->check)
		return;
	char fn[128], what[256];
	if (returned) {
		snprintf(what, sizeof what, "returned from %s, the function that called vfork: its sp "
			 "%#" PRIx64 " is past that frame's end %#" PRIx64, frame_func(s, v, 0, fn, sizeof fn),
			 e->sp, v->f[0].cfa);
		finding(x, s, v, "returned", what, ev->pid, e->addr, slot, e->rip);
	}
	if (ok)
		return;
	if (kernel)
		snprintf(what, sizeof what, "had system call %" PRIu64 " write the parent's stack",
			 e->info & ~FL_VFORK_WRITE_KERNEL);
	else if (call)
		snprintf(what, sizeof what, "called a function (%s), its return address landing on the "
			 "parent's stack", insn);
	else
		snprintf(what, sizeof what, "wrote the parent's stack (%s)", insn);
	finding(x, s, v, kernel ? "syscall_write" : call ? "call" : "write", what, ev->pid, e->addr, slot,
		e->rip);
}

/* ---- the parent resumes ---- */

static const struct write *last_write(const struct vfork *v, uint64_t word)
{
	for (int i = v->nw - 1; i >= 0; i--)
		if ((v->w[i].addr & ~(uint64_t)7) == word)
			return &v->w[i];
	return NULL;
}

/* Why a word now holds what the child's instruction left. */
static void why_value(struct fl_session *s, const struct vfork *v, const struct write *w,
		      uint64_t now, char *out, size_t n)
{
	char insn[96], a[ADDR_TEXT];
	size_t len = fl_insn_text(s, v->cr3, w->rip, insn, sizeof insn);
	*out = 0;
	if (!len || strncmp(insn, "call", 4) || now != w->rip + len) {
		snprintf(out, n, "pid %d's %s at %s left it there", w->pid, len ? insn : "instruction",
			 explain_addr(s, v->cr3, w->rip, a, sizeof a));
		return;
	}
	int k = snprintf(out, n, "pid %d's %s at %s pushed it: the return address of that call",
			 w->pid, insn, explain_addr(s, v->cr3, w->rip, a, sizeof a));
	struct fl_sym to, from;
	if (fl_sym_lookup(s, v->cr3, now, &to) == 0 && to.start == now &&
	    fl_sym_lookup(s, v->cr3, w->rip, &from) == 0 && strcmp(from.name, to.name) && k > 0 &&
	    (size_t)k < n)
		snprintf(out + k, n - k, "; the call is the last instruction of %s (its callee does not "
			 "return), so the address after it is the first byte of the next function, %s",
			 from.name, to.name);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void on_release(struct fl_explain *x, struct fl_session *s, const struct fl_event *ev)
{
	struct vfork *v = find_child(x, ev->task);
	if (!v)
		return;
	v->released = true;
	if (!x->explain)
		return;
	char slot[256], a[ADDR_TEXT], b[ADDR_TEXT], why[2 * ADDR_TEXT + 256], fn[128];
	const char *kind;
	fprintf(stderr, "explain: #%d pid %d released pid %d by its %s: %d writes reached the parent's "
		"stack\n", v->seq, v->cpid, v->ppid, v->execd ? "exec" : "exit", v->nw);
	json_object *o = jnew("release", v);
	jstr(o, "by", v->execd ? "exec" : "exit");
	jint(o, "writes", v->nw);
	jemit(x, o);
	/* Each word the child left changed, lowest address first. */
	uint64_t *words = malloc((v->nw + 1) * sizeof *words);
	int nwords = 0;
	for (int i = 0; words && i < v->nw; i++)
		if (v->w[i].addr >= v->start)
			words[nwords++] = v->w[i].addr & ~(uint64_t)7;
	qsort(words, nwords, sizeof *words, cmp_u64);
	for (int i = 0; i < nwords; i++) {
		uint64_t word = words[i];
		if (i && word == words[i - 1])
			continue;
		const struct write *w = last_write(v, word);
		uint64_t was, now;
		if (!snap_word(v, word, &was))
			was = w->old;
		if (fl_read_gva(&s->vm, v->cr3, word, &now, 8) < 0 || was == now)
			continue;
		classify(s, v, word, slot, sizeof slot, &kind);
		why_value(s, v, w, now, why, sizeof why);
		fprintf(stderr, "explain: #%d clobbered %#" PRIx64 " (%s): was %s, now %s; %s\n", v->seq,
			word, slot, explain_addr(s, v->cr3, was, a, sizeof a), explain_addr(s, v->cr3, now, b, sizeof b), why);
		o = jnew("clobbered", v);
		jhex(o, "addr", word);
		jstr(o, "slot", slot);
		jstr(o, "slot_kind", kind);
		jhex(o, "was", was);
		jhex(o, "now", now);
		jhex(o, "writer_rip", w->rip);
		jint(o, "writer", w->pid);
		jstr(o, "why", why);
		jemit(x, o);
	}
	free(words);
	if (v->returned) {
		const struct write *w = NULL;
		for (int i = 0; i < v->nw && !w; i++)
			if (v->w[i].sp >= v->f[0].cfa)
				w = &v->w[i];
		fprintf(stderr, "explain: #%d the child returned from %s, the function that called vfork: "
			"at %s its sp was %#" PRIx64 ", past that frame's end %#" PRIx64 "; the calls it makes "
			"from there put their frames where the parent's are\n", v->seq, frame_func(s, v, 0, fn, sizeof fn),
			explain_addr(s, v->cr3, w->rip, a, sizeof a), w->sp, v->f[0].cfa);
		o = jnew("child_returned", v);
		jstr(o, "function", fn);
		jhex(o, "rip", w->rip);
		jhex(o, "sp", w->sp);
		jhex(o, "frame_end", v->f[0].cfa);
		jemit(x, o);
	}
	uint64_t ra_slot = v->nf ? v->f[0].slot[FL_DW_RA] : 0, was, now;
	if (!ra_slot || !snap_word(v, ra_slot, &was) || fl_read_gva(&s->vm, v->cr3, ra_slot, &now, 8) < 0)
		return;
	frame_func(s, v, 0, fn, sizeof fn);
	const struct write *w = last_write(v, ra_slot);
	if (was == now || !w)
		snprintf(why, sizeof why, "unchanged");
	else
		why_value(s, v, w, now, why, sizeof why);
	fprintf(stderr, "explain: #%d the parent's next ret through its frames is %s's: it pops %#" PRIx64
		" and goes to %s%s%s; %s\n", v->seq, fn, ra_slot, explain_addr(s, v->cr3, now, a, sizeof a),
		was == now ? "" : " instead of ", was == now ? "" : explain_addr(s, v->cr3, was, b, sizeof b), why);
	o = jnew("parent_ret", v);
	jstr(o, "function", fn);
	jhex(o, "slot", ra_slot);
	jhex(o, "was", was);
	jhex(o, "now", now);
	jstr(o, "goes_to", explain_addr(s, v->cr3, now, a, sizeof a));
	jstr(o, "why", why);
	jemit(x, o);
	v->ra_slot = ra_slot, v->ra_now = now;
	v->ret_watch = true;
}

/* ---- the parent's ret, observed ---- */

static json_object *jret(const struct vfork *v, const char *how, const char *outcome)
{
	json_object *o = jnew("parent_ret_observed", v);
	jstr(o, "how", how);
	jstr(o, "outcome", outcome);
	jint(o, "pid", v->ppid);
	jhex(o, "resumed_at", v->resumed);
	jhex(o, "slot", v->ra_slot);
	jhex(o, "computed", v->ra_now);
	return o;
}

/* "pid P's INSN at ADDR", the parent's instruction at rip, into out ("the
 * kernel's INSN at ADDR, for pid P" in the kernel half: its system call);
 * into o as KEY_rip, KEY_where and KEY_insn. */
static const char *parent_insn(struct fl_session *s, const struct vfork *v, uint64_t rip,
			       json_object *o, const char *key, char *out, size_t n)
{
	char insn[96] = "", a[ADDR_TEXT], k[32];
	fl_insn_text(s, v->cr3, rip, insn, sizeof insn);
	explain_addr(s, v->cr3, rip, a, sizeof a);
	if (rip >> 63)
		snprintf(out, n, "the kernel's %s at %s, for pid %d,", *insn ? insn : "instruction", a,
			 v->ppid);
	else
		snprintf(out, n, "pid %d's %s at %s", v->ppid, *insn ? insn : "instruction", a);
	snprintf(k, sizeof k, "%s_rip", key);
	jhex(o, k, rip);
	snprintf(k, sizeof k, "%s_where", key);
	jstr(o, k, a);
	snprintf(k, sizeof k, "%s_insn", key);
	jstr(o, k, insn);
	return out;
}

/* The watch's outcome: the ret the single steps saw, beside the computed one. */
static void on_ret_seen(struct fl_session *s, const struct fl_ret_seen *seen, void *arg)
{
	struct fl_explain *x = arg;
	const struct vfork *v = &x->v[x->stepped];
	char fn[128], a[ADDR_TEXT], b[ADDR_TEXT], c[ADDR_TEXT], d[ADDR_TEXT], by[ADDR_TEXT + 128];
	char differ[3 * ADDR_TEXT + 256] = "";
	static const char *const outcome[] = {
		[FL_RET_TAKEN] = "ret", [FL_RET_LEFT] = "left", [FL_RET_BUDGET] = "budget",
		[FL_RET_EXITED] = "exited",
	};
	json_object *o = jret(v, "stepped", outcome[seen->end]);
	jint(o, "steps", seen->steps);
	frame_func(s, v, 0, fn, sizeof fn);
	explain_addr(s, v->cr3, v->resumed, a, sizeof a);
	explain_addr(s, v->cr3, v->ra_now, b, sizeof b);
	if (seen->end == FL_RET_LEFT) {
		if (seen->left_rip)
			snprintf(differ, sizeof differ, "%s moved its sp to",
				 parent_insn(s, v, seen->left_rip, o, "left", by, sizeof by));
		else
			snprintf(differ, sizeof differ, "its sp was");
		jhex(o, "left_sp", seen->left_sp);
		fprintf(stderr, "explain: #%d observed: pid %d, resumed at %s, left %s's frame without a "
			"ret: %u single steps later %s %#" PRIx64 ", above the frame's return slot %#" PRIx64
			"; computed, that ret would have gone to %s\n", v->seq, v->ppid, a, fn, seen->steps,
			differ, seen->left_sp, v->ra_slot, b);
	} else if (seen->end == FL_RET_BUDGET) {
		fprintf(stderr, "explain: #%d observed: pid %d, resumed at %s, made no ret out of %s's frame "
			"in %u single steps; computed, it goes to %s\n", v->seq, v->ppid, a, fn, seen->steps, b);
	} else if (seen->end == FL_RET_EXITED) {
		fprintf(stderr, "explain: #%d observed: pid %d, resumed at %s, exited after %u single steps, "
			"before any ret out of %s's frame\n", v->seq, v->ppid, a, seen->steps, fn);
	}
	if (seen->end != FL_RET_TAKEN) {
		jemit(x, o);
		return;
	}
	/* The ret popped the slot (retwatch.h): it went elsewhere only if the
	 * slot's word changed after the release. */
	bool same = seen->target == v->ra_now;
	if (!same && seen->writer)
		snprintf(differ, sizeof differ, ", not to %s as computed: the slot changed after the child "
			 "released it; %s wrote it", b, parent_insn(s, v, seen->writer, o, "writer", by, sizeof by));
	else if (!same)
		snprintf(differ, sizeof differ, ", not to %s as computed: the slot changed after the child "
			 "released it, while pid %d was off the vCPU: another task sharing its memory "
			 "wrote it", b, v->ppid);
	fprintf(stderr, "explain: #%d observed: pid %d resumed at %s; %u single steps later its ret at %s "
		"popped %#" PRIx64 " and went to %s%s\n", v->seq, v->ppid, a, seen->steps,
		explain_addr(s, v->cr3, seen->rip, c, sizeof c), seen->sp,
		explain_addr(s, v->cr3, seen->target, d, sizeof d), same ? ", as computed" : differ);
	jhex(o, "ret_rip", seen->rip);
	jstr(o, "ret_where", c);
	jhex(o, "popped_from", seen->sp);
	jhex(o, "target", seen->target);
	jstr(o, "target_where", d);
	json_object_object_add(o, "same", json_object_new_boolean(same));
	jemit(x, o);
}

/* The parent's first user instruction after the release: single-step it to
 * its ret out of the frame that called vfork, or say the ret is computed. */
static void on_return(struct fl_explain *x, struct fl_session *s, const struct fl_event *ev)
{
	struct vfork *v = NULL;
	for (int i = x->nv - 1; i >= 0 && !v; i--)
		if (x->v[i].parent == ev->task && x->v[i].ret_watch)
			v = &x->v[i];
	if (!v)
		return;
	v->ret_watch = false;
	struct fl_user_frame uf;
	v->resumed = fl_user_frame(s, ev, &uf) == 0 ? uf.iret.ip : 0;
	const char *why = fl_retwatch_unavailable(s);
	if (!why && fl_retwatch_start(s, &x->ret, v->parent, v->cr3, v->ra_slot, v->ra_now, on_ret_seen, x) == 0) {
		x->stepped = v->seq - 1;
		return;
	}
	if (!why)
		why = "the vCPU is stepping another vfork's parent";
	char fn[128], a[ADDR_TEXT], b[ADDR_TEXT];
	fprintf(stderr, "explain: #%d computed, not observed (%s): pid %d resumed at %s; its ret out of "
		"%s's frame pops %#" PRIx64 " and goes to %s\n", v->seq, why, v->ppid,
		explain_addr(s, v->cr3, v->resumed, a, sizeof a), frame_func(s, v, 0, fn, sizeof fn),
		v->ra_slot, explain_addr(s, v->cr3, v->ra_now, b, sizeof b));
	json_object *o = jret(v, "computed", "not_stepped");
	jstr(o, "why", why);
	jhex(o, "target", v->ra_now);
	jstr(o, "target_where", b);
	jemit(x, o);
}

/* ---- exits ---- */

static void on_exit_event(struct fl_explain *x, struct fl_session *s, const struct fl_event *ev)
{
	int sig = ev->exit.wait_status & 0x7f;
	const struct vfork *v = NULL;
	const char *role = NULL;
	for (int i = x->nv - 1; i >= 0 && !v; i--)
		if (x->v[i].ppid == ev->pid)
			v = &x->v[i], role = "the parent";
		else if (x->v[i].cpid == ev->pid)
			v = &x->v[i], role = "the child";
	if (!v || !x->explain)
		return;
	json_object *o = jnew("exit", v);
	jint(o, "pid", ev->pid);
	jstr(o, "role", role);
	if (!sig) {
		fprintf(stderr, "explain: #%d pid %d (%s) exited with status %d\n", v->seq, ev->pid, role,
			(int)(ev->exit.wait_status >> 8) & 0xff);
		jint(o, "status", (ev->exit.wait_status >> 8) & 0xff);
		jemit(x, o);
		return;
	}
	struct fl_task_view t;
	char a[ADDR_TEXT], insn[96] = "", how[256] = "";
	uint64_t popped;
	if (fl_task_read(s, ev->task, &t) < 0) {
		json_object_put(o);
		return;
	}
	fl_insn_text(s, t.cr3, t.regs.ip, insn, sizeof insn);
	if (fl_read_gva(&s->vm, t.cr3, t.regs.sp - 8, &popped, 8) == 0 && popped == t.regs.ip)
		snprintf(how, sizeof how, "; it got there by a ret that popped %#" PRIx64 " from %#" PRIx64,
			 popped, t.regs.sp - 8);
	fprintf(stderr, "explain: #%d pid %d (%s) killed by SIG%s at rip %s%s%s%s, sp %#" PRIx64 "%s%s\n",
		v->seq, ev->pid, role, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
		explain_addr(s, t.cr3, t.regs.ip, a, sizeof a), *insn ? " (" : "", insn, *insn ? ")" : "",
		t.regs.sp, t.regs.sp % 16 == 8 && !strncmp(insn, "mova", 4) ?
		" (an aligned move on a stack 8 bytes off 16-byte alignment: a function up the chain was "
		"entered by a ret or jump, not a call)" : "", how);
	jstr(o, "signal", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	jhex(o, "rip", t.regs.ip);
	jstr(o, "rip_where", a);
	jstr(o, "insn", insn);
	jhex(o, "sp", t.regs.sp);
	jemit(x, o);
}

static void on_event(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct fl_explain *x = arg;
	fl_retwatch_event(s, &x->ret, ev);
	switch (ev->kind) {
	case FL_EV_CLONE: on_clone(x, s, ev); break;
	case FL_EV_RETURN:
		if (x->explain)
			on_return(x, s, ev);
		break;
	case FL_EV_EXEC:
		for (int i = 0; i < x->nv; i++)
			if (x->v[i].cpid == ev->pid && !x->v[i].released)
				x->v[i].execd = true;
		break;
	case FL_EV_VFORK_WATCH: on_watch(x, ev); break;
	case FL_EV_VFORK_WRITE: on_write(x, s, ev); break;
	case FL_EV_VFORK_RELEASE: on_release(x, s, ev); break;
	case FL_EV_EXIT: on_exit_event(x, s, ev); break;
	}
}

struct fl_explain *fl_explain_attach(struct fl_config *c, bool explain, bool check, FILE *json)
{
	struct fl_explain *x = calloc(1, sizeof *x);
	if (!x || fl_hook_add(c, 0, on_event, x) < 0)
		return free(x), NULL;
	x->explain = explain, x->check = check, x->json = json;
	c->vfork_sanitize = true;
	return x;
}

int fl_explain_finish(struct fl_explain *x, int status)
{
	if (x->ret.active) {
		const struct vfork *v = &x->v[x->stepped];
		fprintf(stderr, "explain: #%d observed: the run ended while pid %d was single-stepped, "
			"%u steps, before its ret out of the frame that called vfork\n", v->seq, v->ppid,
			x->ret.seen.steps);
		json_object *o = jret(v, "stepped", "unfinished");
		jint(o, "steps", x->ret.seen.steps);
		jemit(x, o);
	}
	if (x->explain && status != FL_EXIT_USAGE) /* FL_EXIT_USAGE: nothing ran */
		fprintf(stderr, "explain: %d vforks watched, %d writes to a parent's stack\n", x->nv,
			x->writes);
	if (x->check && status != FL_EXIT_USAGE)
		fprintf(stderr, "vfork-check: %d findings in %d vforks\n", x->findings, x->nv);
	bool found = x->check && x->findings && status != FL_EXIT_VERDICT && status != FL_EXIT_TIMEOUT &&
		     status != FL_EXIT_USAGE;
	for (int i = 0; i < x->nv; i++)
		free(x->v[i].w), free(x->v[i].snap);
	free(x->v);
	free(x);
	return found ? FL_EXIT_VFORK_CHECK : status;
}
