/* forklab run --verify: for every fork, vfork and clone, the host checks the
 * child's frame and thread record at the clone, both tasks' registers at
 * their first user instruction, the memory they share, and the vfork wait.
 * For every signal handler: the frame holds the interrupted registers, and
 * after rt_sigreturn the task's pt_regs are those registers again.
 * Every value is read from guest memory or the vCPU, never from the kernel's
 * word. One line per check; JSON Lines with --verify=FILE. */
#include "observe/verify.h"
#include "observe/api.h"
#include "observe/inspect.h"
#include "observe/symbols.h"
#include "observe/wrapper.h"
#include "run/session.h"
#include "run/verdict.h"

#include <forklab/linux.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSS_RSP0 4 /* offset of rsp0 in the x86-64 TSS */

/* One clone-family call, from its event to both first returns. */
struct clone_rec {
	int seq;
	uint64_t parent, child, flags, stack, tls, frame;
	int ppid, cpid;
	struct pt_regs pregs;    /* the parent's frame at the syscall */
	struct fl_thread cthread;
	bool parent_done, child_done, released;
	int passed, failed;
};

/* A handler's frame, from its delivery to its rt_sigreturn. */
struct sig_rec {
	uint64_t task, frame;
	struct pt_regs before;   /* the task's pt_regs when the frame was written */
};

struct fl_verifier {
	FILE *json;
	bool quiet;              /* no lines on stderr, no exit 122: the checks only go to report */
	fl_check_fn report;      /* each check also goes here (the trace writer), or NULL */
	void *report_arg;
	bool fork_shared;        /* --append fork=shared: fork shares last-level tables */
	struct clone_rec *rec;
	int nrec, cap;
	struct sig_rec *sig;     /* frames not yet returned from, oldest first */
	int nsig, sigcap, deliveries, returns;
	int passed, failed;
};

/* "key":"text", or "key":null: a source path in the text may hold any byte. */
static void json_where(FILE *f, const char *key, const char *text)
{
	if (!text) {
		fprintf(f, "\"%s\":null,", key);
		return;
	}
	fprintf(f, "\"%s\":\"", key);
	for (const char *c = text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputs("\",", f);
}

/* Records one check: a line on stderr, a JSON object if asked. For an
 * address, expected_at and actual_at say where it is (symbols.h), else NULL. */
static void check_at(struct fl_verifier *v, struct clone_rec *r, const char *event, const char *name,
		     bool ok, const char *expected, const char *actual, const char *expected_at,
		     const char *actual_at)
{
	const char *verdict = ok ? "PASS" : "FAIL";
	char who[24];
	snprintf(who, sizeof who, "%s", event); /* cow, signal, sigreturn */
	if (r)
		snprintf(who, sizeof who, "#%d", r->seq);
	if (v->report)
		v->report(&(struct fl_check){ r ? r->seq : 0, event, name, expected, actual, ok },
			  v->report_arg);
	if (!v->quiet) {
		fprintf(stderr, "verify: %s %s %-22s expected %-20s actual %s", who, verdict, name,
			expected, actual);
		if (actual_at)
			fprintf(stderr, "%*s at %s", (int)(strlen(actual) < 20 ? 20 - strlen(actual) : 0),
				"", actual_at);
		if (expected_at && (!actual_at || strcmp(expected_at, actual_at)))
			fprintf(stderr, " (expected at %s)", expected_at);
		fputc('\n', stderr);
	}
	if (v->json) {
		fprintf(v->json, "{\"clone\":%d,\"event\":\"%s\",\"syscall\":\"%s\",\"parent\":%d,"
			"\"child\":%d,\"check\":\"%s\",\"expected\":\"%s\",\"actual\":\"%s\",",
			r ? r->seq : 0, event, r ? fl_clone_name(r->flags) : "", r ? r->ppid : 0,
			r ? r->cpid : 0, name, expected, actual);
		json_where(v->json, "expected_at", expected_at);
		json_where(v->json, "actual_at", actual_at);
		fprintf(v->json, "\"verdict\":\"%s\"}\n", ok ? "pass" : "fail");
	}
	ok ? v->passed++ : v->failed++;
	if (r)
		ok ? r->passed++ : r->failed++;
}

static void check(struct fl_verifier *v, struct clone_rec *r, const char *event, const char *name,
		  bool ok, const char *expected, const char *actual)
{
	check_at(v, r, event, name, ok, expected, actual, NULL, NULL);
}

static void check_eq(struct fl_verifier *v, struct clone_rec *r, const char *event,
		     const char *name, uint64_t expected, uint64_t actual)
{
	char e[32], a[32];
	snprintf(e, sizeof e, "%#" PRIx64, expected);
	snprintf(a, sizeof a, "%#" PRIx64, actual);
	check(v, r, event, name, expected == actual, e, a);
}

/* check_eq for guest virtual addresses: each value with its symbol and
 * source line when it has one (kernel addresses in the kernel ELF, user ones
 * in the program mapped at cr3). */
static void check_va(struct fl_verifier *v, struct fl_session *s, struct clone_rec *r,
		     const char *event, const char *name, uint64_t cr3, uint64_t expected,
		     uint64_t actual)
{
	char e[32], a[32], e_at[FL_SYM_TEXT], a_at[FL_SYM_TEXT];
	struct fl_sym es, as;
	snprintf(e, sizeof e, "%#" PRIx64, expected);
	snprintf(a, sizeof a, "%#" PRIx64, actual);
	bool e_known = fl_sym_lookup(s, cr3, expected, &es) == 0;
	bool a_known = expected == actual ? e_known : fl_sym_lookup(s, cr3, actual, &as) == 0;
	check_at(v, r, event, name, expected == actual, e, a,
		 e_known ? fl_sym_format(&es, e_at, sizeof e_at) : NULL,
		 a_known ? fl_sym_format(expected == actual ? &es : &as, a_at, sizeof a_at) : NULL);
}

static void fail_read(struct fl_verifier *v, struct clone_rec *r, const char *event,
		      const char *what)
{
	check(v, r, event, what, false, "readable", "outside guest memory");
}

/* ---- at the clone: frame.*, thread.*, mm.* ---- */

static const char *const reg_names[21] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax",
	"cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
};

/* frame.*: the child's frame is the parent's, but for ax = 0 and, when clone
 * passes a stack, sp. Linux changes no other field on x86-64. */
static void check_frame(struct fl_verifier *v, struct fl_session *s, struct clone_rec *r,
			uint64_t cr3, const struct pt_regs *child)
{
	const uint64_t *p = (const uint64_t *)&r->pregs, *c = (const uint64_t *)child;
	for (int i = 0; i < 21; i++) {
		uint64_t expected = p[i];
		if (i == offsetof(struct pt_regs, ax) / 8)
			expected = 0;
		if (i == offsetof(struct pt_regs, sp) / 8 && r->stack)
			expected = r->stack;
		char name[32];
		snprintf(name, sizeof name, "frame.%s", reg_names[i]);
		check_va(v, s, r, "clone", name, cr3, expected, c[i]);
	}
}

/* The part of VMA m that has ever had pages: [max(start, lo), min(end, hi)). */
static void mapped_range(const struct fl_vma *m, uint64_t *lo, uint64_t *hi)
{
	*lo = m->lo > m->start ? m->lo : m->start;
	*hi = m->hi < m->end ? m->hi : m->end;
}

/* The first page at or above va, below hi, that the tables at cr3 map, or hi:
 * absent tables are skipped whole, so a huge VMA with few pages costs what its
 * tables hold, not its length. A hostile guest can alias its tables to map
 * everything, so the walk also ends at the --timeout. */
static uint64_t next_mapped(const struct fl_session *s, uint64_t cr3, uint64_t va, uint64_t hi)
{
	while (va < hi && !s->timed_out) {
		uint64_t table = cr3 & FL_PTE_ADDR, e = 0;
		int shift = 39;
		for (; shift >= 12; shift -= 9) {
			const void *p = fl_gpa_to_hva(&s->vm, table + ((va >> shift) & 511) * 8, 8);
			if (p)
				memcpy(&e, p, 8);
			if (!p || !(e & FL_PTE_P) || shift == 12 || (e & 0x80))
				break; /* absent, a 4 KiB leaf, or a large page (PS) */
			table = e & FL_PTE_ADDR;
		}
		if (shift >= 12 && (e & FL_PTE_P))
			return va;
		va = (va | ((1ULL << shift) - 1)) + 1; /* past what the absent entry covers */
	}
	return hi; /* the end, or the timeout: the caller's loop ends either way */
}

/* mm.own_page_tables and mm.cow_shared, for fork: separate page tables, and
 * every private writable page mapped read-only in both, to the same frame. */
static void check_cow(struct fl_verifier *v, struct fl_session *s, struct clone_rec *r,
		      const struct fl_task_view *pt, const struct fl_task_view *ct)
{
	struct fl_mm_head mm;
	char a[96] = ""; /* the first bad page, described; empty while all is well */
	check(v, r, "clone", "mm.own_page_tables", pt->cr3 != ct->cr3, "child cr3 != parent cr3",
	      pt->cr3 != ct->cr3 ? "different" : "the same");
	if (fl_mm_read(s, pt->head.mm, &mm) < 0)
		return fail_read(v, r, "clone", "mm.cow");
	long shared = 0;
	for (int i = 0; i < mm.nvma && !*a; i++) {
		const struct fl_vma *m = &mm.vma[i];
		if (!(m->flags & VM_WRITE) || (m->flags & VM_SHARED))
			continue; /* read-only or MAP_SHARED: not copy-on-write */
		uint64_t lo, hi;
		mapped_range(m, &lo, &hi);
		for (uint64_t va = next_mapped(s, pt->cr3, lo, hi); va < hi && !*a;
		     va = next_mapped(s, pt->cr3, va + 4096, hi)) {
			uint64_t pg, cg, pr, cr;
			if (fl_gva_to_gpa(&s->vm, pt->cr3, va, &pg, &pr, NULL) < 0)
				continue; /* never touched: nothing to share */
			if (fl_gva_to_gpa(&s->vm, ct->cr3, va, &cg, &cr, NULL) < 0)
				snprintf(a, sizeof a, "%#" PRIx64 " missing in the child", va);
			else if (pg != cg)
				snprintf(a, sizeof a, "%#" PRIx64 " in frames %#" PRIx64 " and %#" PRIx64, va, pg, cg);
			else if ((pr | cr) & FL_PTE_W)
				snprintf(a, sizeof a, "%#" PRIx64 " writable in the %s", va,
					 pr & FL_PTE_W ? "parent" : "child");
			else
				shared++;
		}
	}
	if (s->timed_out)
		return; /* the run ends at its timeout: no verdict on a walk cut short */
	bool ok = !*a;
	if (ok)
		snprintf(a, sizeof a, "%ld pages read-only, one frame", shared);
	check(v, r, "clone", "mm.cow_shared", ok, "read-only, one frame", a);
}

/* mm.shared_tables, for fork with fork=shared: wherever the parent has a
 * last-level table under a VMA, the child's PD entry points at the same
 * table, and neither entry allows writes (the first write takes the table
 * back, on_pt_copy). */
static void check_shared_tables(struct fl_verifier *v, struct fl_session *s, struct clone_rec *r,
				const struct fl_task_view *pt, const struct fl_task_view *ct)
{
	struct fl_mm_head mm;
	char a[96] = "";
	if (fl_mm_read(s, pt->head.mm, &mm) < 0)
		return fail_read(v, r, "clone", "mm.shared_tables");
	long tables = 0;
	uint64_t last = 1; /* the region counted last: one table may serve several VMAs */
	for (int i = 0; i < mm.nvma && !*a; i++) {
		const struct fl_vma *m = &mm.vma[i];
		uint64_t lo, hi;
		mapped_range(m, &lo, &hi);
		for (uint64_t va = lo & ~0x1fffffULL; va < hi && !*a && !s->timed_out; va += 0x200000) {
			uint64_t pe, ce;
			if (fl_pmd_entry(&s->vm, pt->cr3, va, &pe) < 0 || !(pe & FL_PTE_P))
				continue;
			if (fl_pmd_entry(&s->vm, ct->cr3, va, &ce) < 0 || !(ce & FL_PTE_P))
				snprintf(a, sizeof a, "%#" PRIx64 ": no table in the child", va);
			else if ((pe ^ ce) & FL_PTE_ADDR)
				snprintf(a, sizeof a, "%#" PRIx64 ": tables %#" PRIx64 " and %#" PRIx64, va,
					 (uint64_t)(pe & FL_PTE_ADDR), (uint64_t)(ce & FL_PTE_ADDR));
			else if ((pe | ce) & FL_PTE_W)
				snprintf(a, sizeof a, "%#" PRIx64 ": writable in the %s", va,
					 pe & FL_PTE_W ? "parent" : "child");
			else if (va != last)
				tables++, last = va;
		}
	}
	if (s->timed_out)
		return;
	bool ok = !*a;
	if (ok)
		snprintf(a, sizeof a, "%ld tables shared, read-only", tables);
	check(v, r, "clone", "mm.shared_tables", ok, "the parent's tables, read-only", a);
}

/* vfork.wrapper, when the child runs on the parent's stack: the libc wrapper
 * that made the syscall keeps its return address in a register across it
 * and pushes it back on both paths (wrapper.c prints its listing). */
static void check_wrapper(struct fl_verifier *v, struct fl_session *s, struct clone_rec *r,
			  uint64_t cr3)
{
	struct fl_wrapper_result w;
	char prefix[32], at[FL_SYM_TEXT];
	snprintf(prefix, sizeof prefix, "verify: #%d   ", r->seq);
	fl_wrapper_check(s, cr3, r->pregs.ip, r->cpid, prefix, v->quiet ? NULL : stderr, &w);
	if (!w.checked) {
		if (v->quiet)
			return;
		fprintf(stderr, "verify: #%d vfork wrapper: no symbol holds the syscall at %#" PRIx64
			", not checked\n", r->seq, w.syscall);
		return;
	}
	check_at(v, r, "clone", "vfork.wrapper", w.ok, "return address in a register", w.how, NULL,
		 fl_symbolize(s, cr3, w.syscall, at, sizeof at));
}

/* Far beyond the guest kernel's task table (TASK_SLOTS, 4096 live tasks) in a real
 * run; a guest past it floods us. */
#define MAX_CLONE_RECORDS 65536

static void on_clone(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	if (v->nrec == MAX_CLONE_RECORDS) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: more than %d clone events",
			   MAX_CLONE_RECORDS);
		return;
	}
	if (v->nrec == v->cap) {
		int cap = v->cap ? v->cap * 2 : 64;
		struct clone_rec *n = realloc(v->rec, cap * sizeof *n);
		if (!n)
			return;
		v->rec = n, v->cap = cap;
	}
	struct clone_rec *r = &v->rec[v->nrec];
	memset(r, 0, sizeof *r);
	r->seq = ++v->nrec;
	r->parent = ev->task, r->child = ev->clone.child, r->cpid = (int)ev->clone.child_pid;
	r->flags = ev->clone.flags, r->stack = ev->clone.stack, r->tls = ev->clone.tls;
	r->frame = ev->clone.frame, r->ppid = ev->pid;
	bool kthread = r->flags == FL_CLONE_KTHREAD;
	if (kthread) /* no return to watch for: the parent is in the kernel, the child stays there */
		r->stack = 0, r->parent_done = r->child_done = true;

	struct fl_task_view pt, ct;
	struct pt_regs child;
	if (!v->quiet)
		fprintf(stderr, "verify: #%d %s: parent pid %d, child pid %d, flags %#" PRIx64 "\n",
			r->seq, fl_clone_name(r->flags), r->ppid, r->cpid, r->flags);
	if (fl_task_read(s, r->parent, &pt) < 0 || fl_task_read(s, r->child, &ct) < 0 ||
	    fl_read_kva(s, r->frame, &child, sizeof child) < 0)
		return fail_read(v, r, "clone", "tasks");
	r->pregs = pt.regs;
	r->cthread = ct.head.thread;

	/* frame.address and thread.*: the faked scene switch_to will find. */
	check_va(v, s, r, "clone", "frame.address", 0, ct.stack_hi - sizeof(struct pt_regs), r->frame);
	check_va(v, s, r, "clone", "thread.ip", 0, fl_symbol(s, "ret_from_fork"), ct.head.thread.ip);
	check_va(v, s, r, "clone", "thread.sp", 0, r->frame, ct.head.thread.sp);
	check_va(v, s, r, "clone", "thread.sp0", 0, ct.stack_hi, ct.head.thread.sp0);
	if (kthread) {
		check_eq(v, r, "clone", "frame.cs", FL_KERNEL_CS, child.cs);
		check(v, r, "clone", "frame.bx", child.bx != 0, "the function", child.bx ? "set" : "0");
		return;
	}
	check_frame(v, s, r, pt.cr3, &child);
	if (r->flags & CLONE_VM)
		check_eq(v, r, "clone", "mm.same_page_tables", pt.cr3, ct.cr3);
	else
		check_cow(v, s, r, &pt, &ct);
	if ((r->flags & CLONE_VM) && (r->flags & CLONE_VFORK) && !r->stack)
		check_wrapper(v, s, r, pt.cr3);
	if (!(r->flags & CLONE_VM) && v->fork_shared)
		check_shared_tables(v, s, r, &pt, &ct);
}

/* ---- at each task's first user instruction: parent.*, child.*, tss.rsp0,
 * vfork.parent_waited ---- */

static void on_return(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	struct fl_user_frame f;
	struct fl_task_view t;
	if (fl_user_frame(s, ev, &f) < 0 || fl_task_read(s, ev->task, &t) < 0)
		return fail_read(v, NULL, "return", "registers");
	for (int i = v->nrec - 1; i >= 0; i--) {
		struct clone_rec *r = &v->rec[i];
		bool parent = r->parent == ev->task && !r->parent_done;
		bool child = r->child == ev->task && !r->child_done;
		if (!parent && !child)
			continue;
		if (parent) {
			r->parent_done = true;
			check_eq(v, r, "return", "parent.rax", (uint64_t)r->cpid, f.regs.rax);
			check_va(v, s, r, "return", "parent.rip", t.cr3, r->pregs.ip, f.iret.ip);
			if (r->flags & CLONE_VFORK)
				check(v, r, "return", "vfork.parent_waited", r->released,
				      "child exec/exit first", r->released ? "it did" : "parent ran first");
		} else {
			uint64_t rsp0;
			r->child_done = true;
			check_eq(v, r, "return", "child.rax", 0, f.regs.rax);
			check_va(v, s, r, "return", "child.rip", t.cr3, r->pregs.ip, f.iret.ip);
			check_va(v, s, r, "return", "child.rsp", t.cr3, r->stack ? r->stack : r->pregs.sp,
				 f.iret.sp);
			if (fl_read_kva(s, fl_symbol(s, "cpu_tss") + TSS_RSP0, &rsp0, 8) < 0)
				fail_read(v, r, "return", "tss.rsp0");
			else
				check_va(v, s, r, "return", "tss.rsp0", 0, r->cthread.sp0, rsp0);
			if (r->flags & CLONE_SETTLS)
				check_va(v, s, r, "return", "child.fs_base", t.cr3, r->tls, f.fs_base);
		}
		if (r->parent_done && r->child_done && !v->quiet)
			fprintf(stderr, "verify: #%d %s: parent pid %d, child pid %d: %d passed, %d failed\n",
				r->seq, fl_clone_name(r->flags), r->ppid, r->cpid, r->passed, r->failed);
		return;
	}
}

static void on_vfork_release(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	for (int i = v->nrec - 1; i >= 0; i--)
		if (v->rec[i].child == ev->task) {
			v->rec[i].released = true;
			return;
		}
}

/* The first write after fork: the writer now has a frame of its own with the
 * shared frame's contents (or, as its last holder, the same frame writable). */
static void on_cow(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	struct fl_task_view t;
	uint64_t gpa, rights, va = ev->cow.va & ~4095ULL, old = ev->cow.old_frame,
		 new = ev->cow.new_frame;
	if (fl_task_read(s, ev->task, &t) < 0 ||
	    fl_gva_to_gpa(&s->vm, t.cr3, va, &gpa, &rights, NULL) < 0)
		return fail_read(v, NULL, "cow", "cow.writer");
	check_eq(v, NULL, "cow", "cow.writer_frame", new, gpa);
	check(v, NULL, "cow", "cow.writable", rights & FL_PTE_W, "writable",
	      rights & FL_PTE_W ? "writable" : "read-only");
	if (new != old) {
		const void *a = fl_gpa_to_hva(&s->vm, old, 4096), *b = fl_gpa_to_hva(&s->vm, new, 4096);
		check(v, NULL, "cow", "cow.same_contents", a && b && !memcmp(a, b, 4096),
		      "equal", a && b && !memcmp(a, b, 4096) ? "equal" : "different");
	}
}

/* ---- signals: signal.frame at delivery, sigreturn.regs after rt_sigreturn ---- */

/* Linux's struct sigcontext (x86-64), at frame + 48 in the rt_sigframe:
 * pretcode, then ucontext's uc_flags, uc_link and uc_stack (40 bytes). */
struct user_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t di, si, bp, bx, dx, ax, cx, sp, ip, flags;
	uint16_t cs, gs, fs, ss;
};
#define SIGCONTEXT_AT 48
/* The flags rt_sigreturn takes from the frame: AC OF DF TF SF ZF AF PF CF RF. */
#define FIX_EFLAGS 0x50dd5ULL

/* The sigcontext's value of pt_regs field i, or false if it has none (orig_ax). */
static bool sc_field(const struct user_sigcontext *sc, int i, uint64_t *val)
{
	const uint64_t by_reg[21] = { sc->r15, sc->r14, sc->r13, sc->r12, sc->bp, sc->bx, sc->r11,
				      sc->r10, sc->r9, sc->r8, sc->ax, sc->cx, sc->dx, sc->si, sc->di,
				      0, sc->ip, sc->cs, sc->flags, sc->sp, sc->ss };
	*val = by_reg[i];
	return i != offsetof(struct pt_regs, orig_ax) / 8;
}

static void on_signal(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	struct fl_task_view t;
	struct user_sigcontext sc;
	v->deliveries++;
	if (fl_task_read(s, ev->task, &t) < 0 ||
	    fl_read_gva(&s->vm, t.cr3, ev->signal.frame + SIGCONTEXT_AT, &sc, sizeof sc) < 0)
		return fail_read(v, NULL, "signal", "signal.frame");
	const uint64_t *b = (const uint64_t *)&t.regs;
	char e[48], a[96] = "";
	for (int i = 0; i < 21 && !*a; i++) {
		uint64_t x;
		if (sc_field(&sc, i, &x) && x != b[i])
			snprintf(a, sizeof a, "%s %#" PRIx64 ", interrupted %#" PRIx64, reg_names[i], x, b[i]);
	}
	snprintf(e, sizeof e, "signal %" PRId64 "'s regs", ev->signal.sig);
	check(v, NULL, "signal", "signal.frame", !*a, e, *a ? a : "all equal");

	/* A frame at this address left by siglongjmp is gone now. */
	for (int i = 0; i < v->nsig; i++)
		if (v->sig[i].task == ev->task && v->sig[i].frame == ev->signal.frame)
			v->sig[i--] = v->sig[--v->nsig];
	if (v->nsig == v->sigcap) {
		int cap = v->sigcap ? v->sigcap * 2 : 16;
		struct sig_rec *n = cap <= 4096 ? realloc(v->sig, cap * sizeof *n) : NULL;
		if (!n)
			return;
		v->sig = n, v->sigcap = cap;
	}
	v->sig[v->nsig++] = (struct sig_rec){ ev->task, ev->signal.frame, t.regs };
}

/* Every pt_regs field as before the signal: orig_ax -1 (no restart), and
 * what the handler changed in its ucontext taken as it left it. */
static void on_sigreturn(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	struct fl_task_view t;
	struct user_sigcontext sc;
	int at = -1;
	v->returns++;
	for (int i = v->nsig - 1; i >= 0 && at < 0; i--)
		if (v->sig[i].task == ev->task && v->sig[i].frame == ev->signal.frame)
			at = i;
	if (at < 0)
		return check(v, NULL, "sigreturn", "sigreturn.regs", false, "a delivered frame",
			     "a frame no signal put there");
	struct sig_rec rec = v->sig[at];
	int keep = 0; /* this frame and any later one of the task's (abandoned) go */
	for (int i = 0; i < v->nsig; i++)
		if (i < at || v->sig[i].task != ev->task)
			v->sig[keep++] = v->sig[i];
	v->nsig = keep;
	if (fl_task_read(s, ev->task, &t) < 0 ||
	    fl_read_gva(&s->vm, t.cr3, rec.frame + SIGCONTEXT_AT, &sc, sizeof sc) < 0)
		return fail_read(v, NULL, "sigreturn", "sigreturn.regs");
	const uint64_t *b = (const uint64_t *)&rec.before, *n = (const uint64_t *)&t.regs;
	char a[128] = "";
	int edited = 0;
	for (int i = 0; i < 21 && !*a; i++) {
		uint64_t want = b[i], x;
		if (i == offsetof(struct pt_regs, orig_ax) / 8)
			want = (uint64_t)-1;
		else if (i == offsetof(struct pt_regs, flags) / 8)
			want = (b[i] & ~FIX_EFLAGS) | (sc.flags & FIX_EFLAGS), edited += want != b[i];
		else if (sc_field(&sc, i, &x) && x != b[i] && i != offsetof(struct pt_regs, cs) / 8 &&
			 i != offsetof(struct pt_regs, ss) / 8)
			want = x, edited++; /* the handler's own change to its context */
		if (n[i] != want)
			snprintf(a, sizeof a, "%s %#" PRIx64 ", expected %#" PRIx64, reg_names[i], n[i], want);
	}
	char ok[64];
	snprintf(ok, sizeof ok, edited ? "all equal (%d set by the handler)" : "all equal", edited);
	check(v, NULL, "sigreturn", "sigreturn.regs", !*a, "the regs before the signal", *a ? a : ok);
}

/* An exec or exit ends every frame the task had. */
static void forget_signals(uint64_t task, struct fl_verifier *v)
{
	int keep = 0;
	for (int i = 0; i < v->nsig; i++)
		if (v->sig[i].task != task)
			v->sig[keep++] = v->sig[i];
	v->nsig = keep;
}

/* fork=shared: the first change under a shared table gave the mm a table of
 * its own (or, to its last holder, the same one writable): the mm's PD entry
 * now points there, writable, and a copy maps exactly what the shared table
 * maps, frame for frame. */
static void on_pt_copy(struct fl_session *s, const struct fl_event *ev, struct fl_verifier *v)
{
	struct fl_task_view t;
	uint64_t e, old = ev->pt_copy.old_table, new = ev->pt_copy.new_table;
	if (fl_task_read(s, ev->task, &t) < 0 || fl_pmd_entry(&s->vm, t.cr3, ev->pt_copy.va, &e) < 0)
		return fail_read(v, NULL, "pt_copy", "pt_copy.table");
	check_eq(v, NULL, "pt_copy", "pt_copy.table", new, e & FL_PTE_ADDR);
	check(v, NULL, "pt_copy", "pt_copy.writable", e & FL_PTE_W, "writable",
	      e & FL_PTE_W ? "writable" : "read-only");
	if (new == old)
		return;
	if ((old | new) & 4095) /* the guest's word: a table is a page, or it is no table */
		return fail_read(v, NULL, "pt_copy", "pt_copy.same_entries");
	const uint64_t *a = fl_gpa_to_hva(&s->vm, old, 4096), *b = fl_gpa_to_hva(&s->vm, new, 4096);
	int i = 0, mapped = 0;
	for (; a && b && i < 512; i++) {
		if ((a[i] ^ b[i]) & (FL_PTE_P | FL_PTE_ADDR))
			break;
		mapped += a[i] & FL_PTE_P;
	}
	char got[64];
	if (i == 512)
		snprintf(got, sizeof got, "%d pages, the same frames", mapped);
	else
		snprintf(got, sizeof got, "entry %d differs", i);
	check(v, NULL, "pt_copy", "pt_copy.same_entries", i == 512, "the same frames", got);
}

static void on_event(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct fl_verifier *v = arg;
	switch (ev->kind) {
	case FL_EV_SIGNAL: on_signal(s, ev, v); break;
	case FL_EV_SIGRETURN: on_sigreturn(s, ev, v); break;
	case FL_EV_EXEC:
	case FL_EV_EXIT: forget_signals(ev->task, v); break;
	case FL_EV_CLONE: on_clone(s, ev, v); break;
	case FL_EV_RETURN: on_return(s, ev, v); break;
	case FL_EV_VFORK_RELEASE: on_vfork_release(s, ev, v); break;
	case FL_EV_COW: on_cow(s, ev, v); break;
	case FL_EV_PT_COPY: on_pt_copy(s, ev, v); break;
	}
}

struct fl_verifier *fl_verify_attach(struct fl_config *c, FILE *json)
{
	struct fl_verifier *v = calloc(1, sizeof *v);
	if (!v || fl_hook_add(c, 0, on_event, v) < 0) {
		free(v);
		return NULL;
	}
	v->json = json;
	v->fork_shared = c->fork_shared;
	return v;
}

void fl_verify_report(struct fl_verifier *v, fl_check_fn fn, void *arg, bool quiet)
{
	v->report = fn;
	v->report_arg = arg;
	v->quiet = quiet;
}

int fl_verify_finish(struct fl_verifier *v, int status)
{
	int pending = 0;
	for (int i = 0; i < v->nrec; i++)
		pending += !v->rec[i].parent_done || !v->rec[i].child_done;
	if (v->deliveries && !v->quiet)
		fprintf(stderr, "verify: %d signal deliveries, %d returns by rt_sigreturn\n", v->deliveries,
			v->returns);
	if (!v->quiet)
		fprintf(stderr, "verify: %d clone-family calls, %d checks: %d passed, %d failed%s\n",
			v->nrec, v->passed + v->failed, v->passed, v->failed,
			pending ? " (some tasks never returned to user mode)" : "");
	if (v->failed && !v->quiet)
		fprintf(stderr, "verification failed\n");
	int r = v->failed && !v->quiet ? FL_EXIT_VERIFY : status;
	free(v->rec);
	free(v->sig);
	free(v);
	return r;
}
