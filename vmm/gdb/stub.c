/* Run control for the gdb stub (stub.h): stopping, serving packets while
 * stopped, and resuming with KVM_SET_GUEST_DEBUG. The socket raises SIGIO,
 * whose handler only sets immediate_exit, so a ^C ends KVM_RUN with EINTR;
 * the vCPU loop then calls fl_gdb_interrupted. */
#include "gdb/stub.h"
#include "gdb/transport.h"
#include "error.h"
#include "observe/disasm.h"
#include "observe/inspect.h"
#include "run/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* gdb's signal numbers in stop replies. */
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

/* ---- threads ---- */

static int current_tid(const struct fl_session *s)
{
	struct fl_kstate k;
	return fl_read_kstate(s, &k) == 0 && k.current && k.current_pid > 0 &&
	       k.current_pid <= 0x7fffffff ? (int)k.current_pid : GDB_BOOT_TID;
}

static int selected(const struct fl_gdb *g, int tid)
{
	return tid > 0 ? tid : g->cur_tid;
}

bool gdb_thread_alive(struct fl_gdb *g, int tid)
{
	struct gdb_task t;
	return tid <= 0 || tid == g->cur_tid || gdb_task_find(g->s, &g->kt, tid, &t) == 0;
}

uint64_t gdb_thread_cr3(struct fl_gdb *g)
{
	struct gdb_task t;
	int tid = selected(g, g->g_tid);
	if (tid == g->cur_tid || gdb_task_find(g->s, &g->kt, tid, &t) < 0)
		return g->sregs.cr3;
	if (t.v.cr3)
		return t.v.cr3;
	/* A kernel thread has no mm: the kernel's own tables. */
	uint64_t pml4 = fl_symbol(g->s, "kernel_pml4");
	return pml4 >= FL_KERNEL_VBASE ? pml4 - FL_KERNEL_VBASE : g->sregs.cr3;
}

static bool vcpu_in_user_mode(const struct fl_gdb *g)
{
	return (g->sregs.cs.selector & 3) == 3;
}

int gdb_thread_regs(struct fl_gdb *g, int tid, struct gdb_regfile *f)
{
	struct gdb_task t;
	tid = selected(g, tid);
	if (tid == g->cur_tid) {
		gdb_regs_from_vcpu(f, &g->regs, &g->sregs, g->have_fpu ? &g->fpu : NULL);
		if (vcpu_in_user_mode(g))
			gdb_regs_user_from_vcpu(f, &g->regs, &g->sregs);
		else if (gdb_task_find(g->s, &g->kt, tid, &t) == 0)
			gdb_task_user_regs(&t, f);
		return 0;
	}
	if (gdb_task_find(g->s, &g->kt, tid, &t) < 0)
		return -1;
	return gdb_task_regs(g->s, &g->kt, &t, f);
}

/* Where a write of register regno of thread tid goes: into the vCPU's
 * register regno (vcpu true), or to the 64 bits at kernel address va. The
 * running task's user registers are the vCPU's own while it runs in user
 * mode, its pt_regs while it is in the kernel. -1: the register has no
 * home to write. */
struct reg_home {
	bool vcpu;
	int regno;
	uint64_t va;
};

static int reg_home(struct fl_gdb *g, int tid, int regno, struct reg_home *h)
{
	struct gdb_task t;
	bool user = gdb_user_reg_ptregs_offset(regno) >= 0;
	tid = selected(g, tid);
	*h = (struct reg_home){ .vcpu = true, .regno = regno };
	if (tid == g->cur_tid && !user)
		return gdb_reg_writable(regno) ? 0 : -1;
	if (tid == g->cur_tid && vcpu_in_user_mode(g)) {
		h->regno = gdb_user_reg_core(regno);
		return h->regno >= 0 && gdb_reg_writable(h->regno) ? 0 : -1;
	}
	h->vcpu = false;
	if (gdb_reg_size(regno) != 8 || gdb_task_find(g->s, &g->kt, tid, &t) < 0)
		return -1;
	return gdb_task_reg_home(&g->kt, &t, regno, &h->va);
}

bool gdb_thread_reg_writable(struct fl_gdb *g, int tid, int regno)
{
	struct reg_home h;
	return regno >= 0 && regno < GDB_NREGS && reg_home(g, tid, regno, &h) == 0;
}

int gdb_thread_reg_write(struct fl_gdb *g, int tid, int regno, const uint8_t *bytes)
{
	struct reg_home h;
	struct gdb_regfile f;
	uint64_t v = 0;
	if (regno < 0 || regno >= GDB_NREGS || reg_home(g, tid, regno, &h) < 0)
		return -1;
	memcpy(&v, bytes, gdb_reg_size(regno) < 8 ? gdb_reg_size(regno) : 8);
	if (!h.vcpu)
		return fl_write_kva(g->s, h.va, &v, sizeof v);
	gdb_regs_from_vcpu(&f, &g->regs, &g->sregs, NULL);
	gdb_reg_set(&f, h.regno, v);
	gdb_regs_to_vcpu(&f, &g->regs, &g->sregs);
	g->regs_dirty = true;
	return 0;
}

/* ---- breakpoints ---- */

static struct gdb_sw_bp *sw_find(struct fl_gdb *g, uint64_t addr)
{
	for (int i = 0; i < g->nsw; i++)
		if (g->sw[i].addr == addr)
			return &g->sw[i];
	return NULL;
}

/* int3s live in guest memory only while the guest runs, so gdb's reads
 * while it is stopped see the program's own bytes. The byte is written at
 * the guest-physical address the selected task mapped when gdb set it: a
 * breakpoint in a user page shared copy-on-write stops every task that
 * shares it. */
static void sw_insert_all(struct fl_gdb *g)
{
	for (int i = 0; i < g->nsw; i++) {
		struct gdb_sw_bp *b = &g->sw[i];
		uint8_t *p = b->how == GDB_BP_INT3 ? fl_gpa_to_hva(&g->s->vm, b->gpa, 1) : NULL;
		if (!p)
			continue;
		b->saved = *p;
		*p = 0xcc;
		b->inserted = true;
	}
}

static void sw_remove_all(struct fl_gdb *g)
{
	for (int i = g->nsw - 1; i >= 0; i--) {
		struct gdb_sw_bp *b = &g->sw[i];
		uint8_t *p;
		if (b->inserted && (p = fl_gpa_to_hva(&g->s->vm, b->gpa, 1)) && *p == 0xcc)
			*p = b->saved;
		b->inserted = false;
	}
}

static bool sw_any(const struct fl_gdb *g, enum gdb_bp_method how)
{
	for (int i = 0; i < g->nsw; i++)
		if (g->sw[i].how == how)
			return true;
	return false;
}

static int hw_free_slot(const struct fl_gdb *g)
{
	for (int i = 0; i < 4; i++)
		if (!g->hw[i].used)
			return i;
	return -1;
}

/* DR7's R/W field for Z1..Z4: execute, write, read (x86 has none: access),
 * access. */
static const int dr7_rw[5] = { 0, 0, 1, 3, 3 };

int gdb_bp_insert(struct fl_gdb *g, int type, uint64_t addr, uint64_t kind)
{
	int slot;
	if (type == 0) {
		uint64_t gpa;
		if (sw_find(g, addr))
			return 0;
		if (g->nsw == GDB_MAX_SW_BP ||
		    fl_gva_to_gpa(&g->s->vm, gdb_thread_cr3(g), addr, &gpa, NULL, NULL) < 0)
			return -1;
		struct gdb_sw_bp b = { .addr = addr, .gpa = gpa, .how = g->bp_method };
		if (b.how == GDB_BP_DR && (slot = hw_free_slot(g)) >= 0)
			g->hw[slot] = (struct gdb_hw_bp){ .addr = addr, .type = 1, .len = 1, .used = true, .z0 = true };
		else if (b.how == GDB_BP_DR)
			b.how = GDB_BP_INT3; /* the four registers are taken */
		g->sw[g->nsw++] = b;
		return 0;
	}
	/* Hardware: 1, 2, 4 or 8 bytes, aligned; an execute breakpoint is 1. */
	uint64_t len = type == 1 ? 1 : kind;
	if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)))
		return -1;
	/* Where breakpoints single-step there are no debug registers that
	 * work (PVM has none, shared/docs/platform.md; the nested bed's never
	 * fire): each step checks an execute breakpoint's address, a write
	 * watchpoint's bytes for a change, and for a read or access watchpoint
	 * the memory the instruction about to run touches (watch_before_step). */
	if ((g->bp_method == GDB_BP_STEP && type > 2 && !g->insn) || (slot = hw_free_slot(g)) < 0)
		return -1;
	struct gdb_hw_bp b = { .addr = addr, .type = type, .len = (int)len, .used = true };
	if (g->bp_method == GDB_BP_STEP && type == 2) {
		b.cr3 = gdb_thread_cr3(g);
		if (fl_read_gva(&g->s->vm, b.cr3, addr, &b.old, len) < 0)
			return -1;
	}
	g->hw[slot] = b;
	return 0;
}

/* Z1 and Z2 where breakpoints single-step (gdb_bp_insert). */
static bool hw_stepped(const struct fl_gdb *g)
{
	if (g->bp_method != GDB_BP_STEP)
		return false;
	for (int i = 0; i < 4; i++)
		if (g->hw[i].used)
			return true;
	return false;
}

/* Whether an access would fault (not mapped; a user access to a
 * supervisor page; a write to a read-only one, which the kernel's CR0.WP
 * makes fault too): the instruction does not complete, and runs again
 * after the handler, when it is seen. */
static bool access_faults(struct fl_gdb *g, const struct kvm_sregs *sr, const struct gdb_access *a)
{
	bool user = (sr->cs.selector & 3) == 3;
	uint64_t ends[2] = { a->addr, a->addr + a->len - 1 }, gpa, rights;
	for (int i = 0; i < 2; i++)
		if (fl_gva_to_gpa(&g->s->vm, sr->cr3, ends[i], &gpa, &rights, NULL) < 0 ||
		    (user && !(rights & FL_PTE_U)) ||
		    (a->write && !(rights & FL_PTE_W) && (user || (sr->cr0 & (1ULL << 16)))))
			return true;
	return false;
}

/* Before a step, with a Z3 or Z4 where breakpoints single-step: the
 * memory the instruction at RIP reads and writes, decoded. The first
 * watched range that one of its reads overlaps (a Z3), or a read or
 * write (a Z4), is the stop reply's reason after the step, unless the
 * instruction faults. Hardware watchpoints match linear addresses, in
 * any address space: so do these. What cannot be decoded (an unmapped
 * RIP, bad bytes) touches nothing; the guest faults on it itself. */
static void watch_before_step(struct fl_gdb *g)
{
	struct gdb_access a[GDB_MAX_ACCESSES];
	struct kvm_regs r;
	struct kvm_sregs sr;
	int n;
	if (g->bp_method != GDB_BP_STEP || !g->insn)
		return;
	bool any = false;
	for (int i = 0; i < 4; i++)
		any |= g->hw[i].used && g->hw[i].type >= 3;
	if (!any || fl_vcpu_regs(g->s, &r, &sr) < 0 ||
	    (n = gdb_accesses_at(g->s, g->cs, g->insn, &r, &sr, a)) <= 0)
		return;
	for (int i = 0; i < 4; i++) {
		const struct gdb_hw_bp *b = &g->hw[i];
		for (int k = 0; b->used && b->type >= 3 && k < n; k++) {
			if (!(a[k].read || b->type == 4) || !gdb_ranges_overlap(a[k].addr, a[k].len, b->addr, b->len))
				continue;
			for (int f = 0; f < n; f++)
				if (access_faults(g, &sr, &a[f]))
					return;
			snprintf(g->watch_hit, sizeof g->watch_hit, "%s:%llx;", b->type == 3 ? "rwatch" : "awatch",
				 (unsigned long long)b->addr);
			return;
		}
	}
}

/* After one step: a read or access watchpoint that the instruction just
 * run touched (watch_before_step), a stepped watchpoint whose bytes
 * changed (the instruction wrote them; its new value becomes the one to
 * compare with), or, unless gdb itself is stepping, a stepped breakpoint
 * at pc. Fills why with the stop reply's reason; false if there is none. */
static bool stepped_stop(struct fl_gdb *g, uint64_t pc, char *why, size_t n)
{
	if (g->watch_hit[0]) {
		snprintf(why, n, "%s", g->watch_hit);
		g->watch_hit[0] = 0;
		return true;
	}
	for (int i = 0; i < 4 && g->bp_method == GDB_BP_STEP; i++) {
		struct gdb_hw_bp *b = &g->hw[i];
		uint64_t now = 0;
		if (!b->used || b->type != 2 || fl_read_gva(&g->s->vm, b->cr3, b->addr, &now, b->len) < 0 ||
		    now == b->old)
			continue;
		b->old = now;
		snprintf(why, n, "watch:%llx;", (unsigned long long)b->addr);
		return true;
	}
	if (g->stepping)
		return false;
	for (int i = 0; i < 4 && g->bp_method == GDB_BP_STEP; i++)
		if (g->hw[i].used && g->hw[i].type == 1 && g->hw[i].addr == pc) {
			snprintf(why, n, "hwbreak:;");
			return true;
		}
	if (!sw_find(g, pc))
		return false;
	snprintf(why, n, "swbreak:;");
	return true;
}

int gdb_bp_remove(struct fl_gdb *g, int type, uint64_t addr, uint64_t kind)
{
	for (int i = 0; type == 0 && i < g->nsw; i++) {
		if (g->sw[i].addr != addr)
			continue;
		for (int h = 0; h < 4; h++)
			if (g->hw[h].used && g->hw[h].z0 && g->hw[h].addr == addr)
				g->hw[h].used = false;
		g->sw[i] = g->sw[--g->nsw];
		return 0;
	}
	for (int i = 0; type && i < 4; i++)
		if (g->hw[i].used && !g->hw[i].z0 && g->hw[i].addr == addr && g->hw[i].type == type) {
			g->hw[i].used = false;
			return 0;
		}
	return -1;
}

/* DR7 for the hardware slots: L bit, R/W and LEN (1, 2, 8, 4 bytes -> 0, 1, 2, 3). */
static uint64_t dr7(const struct fl_gdb *g, struct kvm_guest_debug *d)
{
	uint64_t v = 0;
	for (int i = 0; i < 4; i++) {
		if (!g->hw[i].used)
			continue;
		int len = g->hw[i].len == 1 ? 0 : g->hw[i].len == 2 ? 1 : g->hw[i].len == 8 ? 2 : 3;
		d->arch.debugreg[i] = g->hw[i].addr;
		v |= 1ull << (2 * i) | (uint64_t)dr7_rw[g->hw[i].type] << (16 + 4 * i) |
		     (uint64_t)len << (18 + 4 * i);
	}
	return v;
}

static void set_guest_debug(struct fl_gdb *g)
{
	struct kvm_guest_debug d = { 0 };
	d.arch.debugreg[7] = g->bp_method == GDB_BP_STEP ? 0 : dr7(g, &d);
	g->watch_hit[0] = 0;
	if (g->stepping || sw_any(g, GDB_BP_STEP) || hw_stepped(g)) {
		d.control |= fl_step_control(&g->step, g->s);
		watch_before_step(g);
	}
	if (sw_any(g, GDB_BP_INT3))
		d.control |= KVM_GUESTDBG_USE_SW_BP;
	if (d.arch.debugreg[7])
		d.control |= KVM_GUESTDBG_USE_HW_BP;
	if (d.control)
		d.control |= KVM_GUESTDBG_ENABLE;
	if (ioctl(g->s->vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		fprintf(stderr, "forklab: gdb: KVM_SET_GUEST_DEBUG: %s\n", strerror(errno));
}

/* ---- the connection ---- */

static struct fl_gdb *sigio_stub;

static void on_sigio(int sig)
{
	struct fl_gdb *g = sigio_stub;
	if (g && g->s->vm.run)
		g->s->vm.run->immediate_exit = 1;
}

static void put_frame(struct fl_gdb *g, const char *payload)
{
	size_t n = gdb_frame(payload, strlen(payload), g->last, sizeof g->last);
	g->last_len = n;
	if (g->fd >= 0 && n && gdb_send(g->fd, g->last, n) < 0) {
		close(g->fd);
		g->fd = -1;
	}
}

static void drop_client(struct fl_gdb *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	g->nsw = 0;
	memset(g->hw, 0, sizeof g->hw);
	g->stepping = false;
	g->noack = false;
	gdb_decoder_init(&g->dec);
}

/* Serves packets until gdb resumes, detaches, kills or goes away. */
static enum gdb_action serve(struct fl_gdb *g)
{
	static char out[GDB_PACKET_MAX + 1];
	char buf[1024];
	for (;;) {
		ssize_t n = recv(g->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return GDB_ACT_DETACH; /* gdb went away: the guest runs on */
		for (ssize_t i = 0; i < n; i++) {
			switch (gdb_decode(&g->dec, (uint8_t)buf[i])) {
			case GDB_IN_PACKET: {
				if (!g->noack)
					gdb_send(g->fd, "+", 1);
				enum gdb_action a = gdb_command(g, g->dec.payload, g->dec.len, out);
				if (a == GDB_ACT_REPLY || *out) /* D and vKill are answered */
					put_frame(g, out);
				if (a != GDB_ACT_REPLY)
					return a; /* gdb sends nothing more until we stop again */
				break;
			}
			case GDB_IN_BAD_CHECKSUM:
			case GDB_IN_OVERLONG:
				if (!g->noack)
					gdb_send(g->fd, "-", 1);
				break;
			case GDB_IN_NAK:
				if (g->last_len)
					gdb_send(g->fd, g->last, g->last_len);
				break;
			default: /* acks, and ^C while already stopped */
				break;
			}
			if (g->fd < 0)
				return GDB_ACT_DETACH;
		}
	}
}

static void fetch_state(struct fl_gdb *g)
{
	fl_step_done(&g->step, g->s);
	fl_vcpu_regs(g->s, &g->regs, &g->sregs);
	g->have_fpu = ioctl(g->s->vm.vcpu_fd, KVM_GET_FPU, &g->fpu) == 0;
	g->regs_dirty = false;
	g->cur_tid = current_tid(g->s);
	g->g_tid = g->c_tid = 0;
	g->threads_xml_ok = false;
}

/* The guest is stopped: tell gdb why (unless it has yet to ask), serve it,
 * then resume as it says. */
static void stop(struct fl_gdb *g, int sig, const char *why, bool announce)
{
	fetch_state(g);
	sw_remove_all(g);
	snprintf(g->stop_reply, sizeof g->stop_reply, "T%02xthread:%x;%s", sig, g->cur_tid, why);
	if (announce)
		put_frame(g, g->stop_reply);
	enum gdb_action a = g->fd >= 0 ? serve(g) : GDB_ACT_DETACH;
	if (g->regs_dirty &&
	    (ioctl(g->s->vm.vcpu_fd, KVM_SET_REGS, &g->regs) < 0 ||
	     ioctl(g->s->vm.vcpu_fd, KVM_SET_SREGS, &g->sregs) < 0))
		fprintf(stderr, "forklab: gdb: writing the registers: %s\n", strerror(errno));
	switch (a) {
	case GDB_ACT_KILL:
		fprintf(stderr, "forklab: gdb killed the guest\n");
		g->killed = true;
		g->s->done = 1;
		g->s->status = 128 + SIGKILL;
		drop_client(g);
		return;
	case GDB_ACT_DETACH:
		drop_client(g);
		break;
	default:
		g->stepping = a == GDB_ACT_STEP;
		break;
	}
	sw_insert_all(g);
	set_guest_debug(g);
	g->s->vm.run->immediate_exit = g->s->timed_out; /* a --timeout while stopped still ends it */
}

static void free_stub(struct fl_gdb *g)
{
	if (g->insn) {
		cs_free(g->insn, 1);
		cs_close(&g->cs);
	}
	free(g);
}

struct fl_gdb *fl_gdb_open(struct fl_session *s, char *err, size_t n)
{
	struct fl_gdb *g = calloc(1, sizeof *g);
	char why[256];
	if (!g) {
		fl_fail(err, n, "--gdb: out of memory");
		return NULL;
	}
	g->s = s;
	g->addr = s->cfg->gdb;
	g->fd = -1;
	g->bp_method = gdb_bp_method_for(&s->vm);
	fl_step_init(&g->step, s);
	gdb_decoder_init(&g->dec);
	if (fl_disasm_open(&g->cs) == 0 && !(g->insn = cs_malloc(g->cs)))
		cs_close(&g->cs);
	if (gdb_ktypes_load(s->kernel, &g->kt, why, sizeof why) < 0) {
		fl_fail(err, n, "--gdb: kernel %s: %s", s->cfg->kernel, why);
		free_stub(g);
		return NULL;
	}
	struct sigaction sa = { .sa_handler = on_sigio, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigio_stub = g;
	if (sigaction(SIGIO, &sa, NULL) < 0 || (g->listen_fd = gdb_listen(g->addr, err, n)) < 0) {
		sigio_stub = NULL;
		free_stub(g);
		return NULL;
	}
	return g;
}

void fl_gdb_start(struct fl_gdb *g)
{
	/* What to type in gdb: a Unix socket's path, or HOST:PORT (:PORT for ours). */
	const char *a = g->addr;
	bool unix_path = !strncmp(a, "unix:", 5);
	const char *how = unix_path ? a + 5 : a, *colon = strchr(a, ':') ? "" : ":";
	if (g->s->cfg->gdb_nowait) {
		fprintf(stderr, "forklab: gdb may attach at %s (target remote %s%s)\n", a, colon, how);
		return;
	}
	fprintf(stderr, "forklab: waiting for gdb at %s (target remote %s%s)\n", a, colon, how);
	g->fd = gdb_accept(g->listen_fd, true);
	if (g->fd < 0) {
		fprintf(stderr, "forklab: gdb: accept: %s; running without it\n", strerror(errno));
		return;
	}
	stop(g, GDB_SIGTRAP, "", false);
}

void fl_gdb_debug_exit(struct fl_gdb *g)
{
	const struct kvm_debug_exit_arch *d = &g->s->vm.run->debug.arch;
	char why[48] = "";
	fl_step_done(&g->step, g->s);
	if (d->exception == 1 && (d->dr6 & 0xf)) {
		int i = __builtin_ctz(d->dr6 & 0xf);
		static const char *const kinds[5] = { "", "hwbreak", "watch", "rwatch", "awatch" };
		int t = g->hw[i].used ? g->hw[i].type : 1;
		if (g->hw[i].used && g->hw[i].z0)
			snprintf(why, sizeof why, "swbreak:;");
		else if (t == 1)
			snprintf(why, sizeof why, "hwbreak:;");
		else
			snprintf(why, sizeof why, "%s:%llx;", kinds[t], (unsigned long long)g->hw[i].addr);
	} else if (d->exception == 1 && (sw_any(g, GDB_BP_STEP) || hw_stepped(g))) {
		/* Stepping to a breakpoint or watchpoint (GDB_BP_STEP): stop only
		 * at one, or where gdb's own step ends. The guest's own iretq or
		 * popf may have cleared TF: set it again. */
		if (!stepped_stop(g, d->pc, why, sizeof why) && !g->stepping) {
			set_guest_debug(g);
			return;
		}
	} else if (d->exception == 3 && sw_find(g, d->pc)) {
		snprintf(why, sizeof why, "swbreak:;");
	}
	/* Anything else (a step, an int3 the guest itself executed) is a plain
	 * SIGTRAP for gdb to show. */
	if (g->fd < 0) {
		set_guest_debug(g); /* gdb left: nothing should trap any more */
		return;
	}
	stop(g, GDB_SIGTRAP, why, true);
}

bool fl_gdb_interrupted(struct fl_gdb *g)
{
	struct kvm_run *run = g->s->vm.run;
	if (!run->immediate_exit)
		return false;
	run->immediate_exit = g->s->timed_out;
	if (g->fd < 0) {
		g->fd = gdb_accept(g->listen_fd, false);
		if (g->fd >= 0)
			stop(g, GDB_SIGTRAP, "", false); /* gdb asks with '?' */
		return true;
	}
	/* A second client while one is attached is turned away. */
	int extra = gdb_accept(g->listen_fd, false);
	if (extra >= 0)
		close(extra);
	char buf[256];
	ssize_t n = recv(g->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(g);
		set_guest_debug(g);
		return true;
	}
	for (ssize_t i = 0; i < n; i++)
		if (gdb_decode(&g->dec, (uint8_t)buf[i]) == GDB_IN_INTERRUPT) {
			stop(g, GDB_SIGINT, "", true);
			break;
		}
	return true;
}

/* A Linux signal number as gdb's remote protocol numbers it (gdb's enum
 * gdb_signal), for the X reply: the two differ from SIGBUS (7) on. */
static int gdb_signo(int sig)
{
	static const unsigned char map[32] = {
		0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15,
		0, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12,
	};
	return sig > 0 && sig < 32 && map[sig] ? map[sig] : 143; /* GDB_SIGNAL_UNKNOWN */
}

void fl_gdb_close(struct fl_gdb *g)
{
	if (!g)
		return;
	if (g->fd >= 0 && !g->killed) {
		char msg[16];
		int sig = g->s->exit_signal;
		if (sig)
			snprintf(msg, sizeof msg, "X%02x", gdb_signo(sig));
		else
			snprintf(msg, sizeof msg, "W%02x", g->s->status & 0xff);
		put_frame(g, msg);
	}
	drop_client(g);
	close(g->listen_fd);
	gdb_unlink(g->addr);
	sigio_stub = NULL;
	signal(SIGIO, SIG_IGN);
	free_stub(g);
}
