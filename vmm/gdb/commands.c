/* gdb's packets while the guest is stopped (stub.h gdb_command): registers,
 * memory through the selected task's page tables, threads, breakpoints and
 * the resume requests. Every reply fits GDB_PACKET_MAX; every number is
 * parsed with bounds; an unknown packet gets the empty reply that RSP
 * defines as "not supported". */
#include "gdb/stub.h"
#include "observe/inspect.h"

#include <stdio.h>
#include <string.h>

#define E_BAD "E01"     /* a malformed packet */
#define E_NOENT "E02"   /* no such thread or register */
#define E_FAULT "E14"   /* EFAULT: an address that is not mapped */
#define E_INVAL "E22"   /* EINVAL: a request we cannot honour */

/* The most memory one m reply carries: two hex digits a byte. */
#define MEM_MAX ((GDB_PACKET_MAX - 1) / 2)

static enum gdb_action reply(char *out, const char *s)
{
	snprintf(out, GDB_PACKET_MAX + 1, "%s", s);
	return GDB_ACT_REPLY;
}

/* A thread id: hex, or -1 (all threads) and 0 (any thread). */
static int parse_tid(const char *p, int *tid)
{
	uint64_t v;
	if (!strcmp(p, "-1")) {
		*tid = -1;
		return 0;
	}
	if (gdb_parse_hex(&p, &v) < 0 || *p || v > 0x7fffffff)
		return -1;
	*tid = (int)v;
	return 0;
}

static enum gdb_action read_regs(struct fl_gdb *g, char *out)
{
	struct gdb_regfile f;
	if (gdb_thread_regs(g, g->g_tid, &f) < 0)
		return reply(out, E_NOENT);
	char *o = out;
	for (int r = 0; r < GDB_NREGS; r++) {
		size_t sz = gdb_reg_size(r);
		if (f.avail[r])
			gdb_hex_encode(f.bytes + gdb_reg_offset(r), sz, o);
		else
			memset(o, 'x', 2 * sz);
		o += 2 * sz;
	}
	*o = 0;
	return GDB_ACT_REPLY;
}

/* G: every register; those whose value changes must have a home to go to
 * (stub.h gdb_thread_reg_writable), else nothing is written. gdb sends
 * zeros for a register it holds as unavailable, which reads as zeros here:
 * unchanged. "xx" leaves one as it is. */
static enum gdb_action write_regs(struct fl_gdb *g, const char *p, size_t len, char *out)
{
	struct gdb_regfile cur;
	uint8_t want[GDB_REGS_BYTES];
	bool change[GDB_NREGS] = { false };
	if (len != 2 * GDB_REGS_BYTES)
		return reply(out, E_BAD);
	if (gdb_thread_regs(g, g->g_tid, &cur) < 0)
		return reply(out, E_NOENT);
	for (int r = 0; r < GDB_NREGS; r++) {
		size_t off = gdb_reg_offset(r), sz = gdb_reg_size(r);
		if (p[2 * off] == 'x')
			continue;
		if (gdb_hex_decode(p + 2 * off, sz, want + off) < 0)
			return reply(out, E_BAD);
		change[r] = memcmp(want + off, cur.bytes + off, sz) != 0;
		if (change[r] && !gdb_thread_reg_writable(g, g->g_tid, r))
			return reply(out, E_INVAL);
	}
	for (int r = 0; r < GDB_NREGS; r++)
		if (change[r] && gdb_thread_reg_write(g, g->g_tid, r, want + gdb_reg_offset(r)) < 0)
			return reply(out, E_FAULT);
	return reply(out, "OK");
}

static enum gdb_action read_reg(struct fl_gdb *g, const char *p, char *out)
{
	uint64_t n;
	struct gdb_regfile f;
	if (gdb_parse_hex(&p, &n) < 0 || *p)
		return reply(out, E_BAD);
	if (n >= GDB_NREGS)
		return reply(out, E_NOENT);
	if (gdb_thread_regs(g, g->g_tid, &f) < 0)
		return reply(out, E_NOENT);
	size_t sz = gdb_reg_size((int)n);
	if (f.avail[n])
		gdb_hex_encode(f.bytes + gdb_reg_offset((int)n), sz, out);
	else
		memset(out, 'x', 2 * sz);
	out[2 * sz] = 0;
	return GDB_ACT_REPLY;
}

static enum gdb_action write_reg(struct fl_gdb *g, const char *p, char *out)
{
	uint64_t n;
	uint8_t b[16];
	if (gdb_parse_hex(&p, &n) < 0 || *p++ != '=')
		return reply(out, E_BAD);
	if (n >= GDB_NREGS)
		return reply(out, E_NOENT);
	size_t sz = gdb_reg_size((int)n);
	if (strlen(p) != 2 * sz || gdb_hex_decode(p, sz, b) < 0)
		return reply(out, E_BAD);
	if (!gdb_thread_reg_writable(g, g->g_tid, (int)n))
		return reply(out, E_INVAL);
	if (gdb_thread_reg_write(g, g->g_tid, (int)n, b) < 0)
		return reply(out, E_FAULT);
	return reply(out, "OK");
}

/* ADDR,LEN then the separator sep (0: end of packet). */
static int parse_addr_len(const char **p, char sep, uint64_t *addr, uint64_t *len)
{
	if (gdb_parse_hex(p, addr) < 0 || *(*p)++ != ',' || gdb_parse_hex(p, len) < 0)
		return -1;
	if (sep ? **p != sep : **p != 0)
		return -1;
	if (sep)
		(*p)++;
	return 0;
}

static enum gdb_action read_mem(struct fl_gdb *g, const char *p, char *out)
{
	uint64_t addr, len, cr3 = gdb_thread_cr3(g);
	uint8_t buf[MEM_MAX];
	if (parse_addr_len(&p, 0, &addr, &len) < 0)
		return reply(out, E_BAD);
	if (len > MEM_MAX)
		len = MEM_MAX; /* RSP lets a reply be shorter than asked */
	/* Page by page: the bytes before the first unmapped one, or E14. */
	uint64_t done = 0;
	while (done < len) {
		uint64_t chunk = 4096 - ((addr + done) & 4095);
		if (chunk > len - done)
			chunk = len - done;
		if (fl_read_gva(&g->s->vm, cr3, addr + done, buf + done, chunk) < 0)
			break;
		done += chunk;
	}
	if (!done && len)
		return reply(out, E_FAULT);
	gdb_hex_encode(buf, done, out);
	out[2 * done] = 0;
	return GDB_ACT_REPLY;
}

/* M (hex) and X (binary, already unescaped by the decoder). */
static enum gdb_action write_mem(struct fl_gdb *g, const char *p, size_t plen, bool binary,
				 char *out)
{
	const char *start = p;
	uint64_t addr, len;
	uint8_t buf[GDB_PACKET_MAX];
	if (parse_addr_len(&p, ':', &addr, &len) < 0 || len > sizeof buf)
		return reply(out, E_BAD);
	size_t have = plen - (size_t)(p - start);
	if (binary ? have != len : (have != 2 * len || gdb_hex_decode(p, len, buf) < 0))
		return reply(out, E_BAD);
	if (binary)
		memcpy(buf, p, len);
	if (len && fl_write_gva(&g->s->vm, gdb_thread_cr3(g), addr, buf, len) < 0)
		return reply(out, E_FAULT);
	return reply(out, "OK");
}

static enum gdb_action breakpoint(struct fl_gdb *g, bool insert, const char *p, char *out)
{
	uint64_t type, addr, kind;
	if (gdb_parse_hex(&p, &type) < 0 || *p++ != ',' || gdb_parse_hex(&p, &addr) < 0 ||
	    *p++ != ',' || gdb_parse_hex(&p, &kind) < 0 || (*p && *p != ';'))
		return reply(out, E_BAD);
	if (type > 4)
		return reply(out, ""); /* not a kind we know: unsupported */
	int r = insert ? gdb_bp_insert(g, (int)type, addr, kind) : gdb_bp_remove(g, (int)type, addr, kind);
	return reply(out, r < 0 ? E_INVAL : "OK");
}

static void thread_listing(struct fl_gdb *g)
{
	g->ntids = gdb_tasks_list(g->s, &g->kt, g->tids, GDB_MAX_TIDS);
	if (!g->ntids)
		g->tids[g->ntids++] = g->cur_tid;
	g->tid_next = 0;
}

/* qfThreadInfo/qsThreadInfo: as many ids as fit, then "l". */
static enum gdb_action thread_info(struct fl_gdb *g, bool first, char *out)
{
	if (first)
		thread_listing(g);
	if (g->tid_next >= g->ntids)
		return reply(out, "l");
	size_t n = 0;
	out[n++] = 'm';
	while (g->tid_next < g->ntids && n + 10 < GDB_PACKET_MAX)
		n += sprintf(out + n, "%s%x", n > 1 ? "," : "", g->tids[g->tid_next++]);
	out[n] = 0;
	return GDB_ACT_REPLY;
}

/* What gdb shows of a thread: its command name (made printable) and the
 * text in parentheses, with the name in the text too when with_name (for
 * qThreadExtraInfo, whose clients have no other place for it). -1: no
 * such thread. */
static int thread_desc(struct fl_gdb *g, int tid, bool with_name, struct gdb_thread_desc *d)
{
	struct gdb_task t;
	const char *vcpu = tid == g->cur_tid ? " (on the vCPU)" : "";
	memset(d, 0, sizeof *d);
	d->tid = tid;
	if (gdb_task_find(g->s, &g->kt, tid, &t) == 0) {
		fl_guest_name(d->name, sizeof d->name, t.comm);
		snprintf(d->text, sizeof d->text, "pid %d ppid %d %s%s%s%s", t.v.head.pid, t.ppid,
			 gdb_task_state(t.v.head.state), with_name && *d->name ? " " : "",
			 with_name ? d->name : "",
			 vcpu);
	} else if (tid == g->cur_tid) {
		snprintf(d->text, sizeof d->text, "boot (no task yet)");
	} else {
		return -1;
	}
	return 0;
}

static enum gdb_action thread_extra(struct fl_gdb *g, const char *p, char *out)
{
	int tid;
	struct gdb_thread_desc d;
	if (parse_tid(p, &tid) < 0)
		return reply(out, E_BAD);
	if (thread_desc(g, tid, true, &d) < 0)
		return reply(out, E_NOENT);
	gdb_hex_encode((const uint8_t *)d.text, strlen(d.text), out);
	out[2 * strlen(d.text)] = 0;
	return GDB_ACT_REPLY;
}

static enum gdb_action set_thread(struct fl_gdb *g, const char *p, char *out)
{
	int tid;
	char op = *p++;
	if ((op != 'g' && op != 'c') || parse_tid(p, &tid) < 0)
		return reply(out, E_BAD);
	if (tid > 0 && !gdb_thread_alive(g, tid))
		return reply(out, E_NOENT);
	if (op == 'g')
		g->g_tid = tid == -1 ? 0 : tid;
	else
		g->c_tid = tid;
	return reply(out, "OK");
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static enum gdb_action xfer_features(const char *p, char *out)
{
	uint64_t off, len;
	size_t xlen;
	const char *xml = gdb_target_xml(&xlen);
	if (strncmp(p, "target.xml:", 11))
		return reply(out, E_NOENT);
	p += 11;
	if (parse_addr_len(&p, 0, &off, &len) < 0)
		return reply(out, E_BAD);
	gdb_xfer_chunk(xml, xlen, off, len, out);
	return GDB_ACT_REPLY;
}

/* qXfer:threads:read::OFFSET,LENGTH: the document is made at offset 0 (or
 * when gdb starts elsewhere), the thread list as qfThreadInfo gives it. */
static enum gdb_action xfer_threads(struct fl_gdb *g, const char *p, char *out)
{
	static struct gdb_thread_desc d[GDB_MAX_TIDS];
	uint64_t off, len;
	if (*p++ != ':')
		return reply(out, E_NOENT); /* the annex is empty */
	if (parse_addr_len(&p, 0, &off, &len) < 0)
		return reply(out, E_BAD);
	if (!off || !g->threads_xml_ok) {
		int n = 0;
		thread_listing(g);
		for (int i = 0; i < g->ntids; i++)
			n += thread_desc(g, g->tids[i], false, &d[n]) == 0;
		g->threads_xml_len = gdb_threads_xml(d, n, g->threads_xml, sizeof g->threads_xml);
		g->threads_xml_ok = true;
	}
	gdb_xfer_chunk(g->threads_xml, g->threads_xml_len, off, len, out);
	return GDB_ACT_REPLY;
}

/* vCont;ACTION[:TID]... with one vCPU: the action for the running task, or
 * for all, decides; a step for another task steps the vCPU all the same. */
static enum gdb_action vcont(struct fl_gdb *g, const char *p, char *out)
{
	enum gdb_action act = GDB_ACT_REPLY;
	if (*p == '?')
		return reply(out, "vCont;c;C;s;S");
	while (*p == ';') {
		char a = *++p;
		p++;
		if (a == 'C' || a == 'S') { /* signals are not delivered: the guest's own */
			uint64_t sig;
			if (gdb_parse_hex(&p, &sig) < 0)
				return reply(out, E_BAD);
		} else if (a != 'c' && a != 's') {
			return reply(out, E_BAD);
		}
		if (*p == ':') {
			int tid;
			char id[16];
			size_t n = strcspn(++p, ";");
			if (n >= sizeof id)
				return reply(out, E_BAD);
			memcpy(id, p, n);
			id[n] = 0;
			if (parse_tid(id, &tid) < 0)
				return reply(out, E_BAD);
			p += n;
		}
		if (act == GDB_ACT_REPLY || a == 's' || a == 'S')
			act = a == 's' || a == 'S' ? GDB_ACT_STEP : GDB_ACT_CONTINUE;
	}
	if (*p || act == GDB_ACT_REPLY)
		return reply(out, E_BAD);
	return act;
}

/* c [ADDR] and s [ADDR]: resume, at ADDR if given. */
static enum gdb_action resume(struct fl_gdb *g, const char *p, enum gdb_action act, char *out)
{
	uint64_t addr;
	if (*p) {
		if (gdb_parse_hex(&p, &addr) < 0 || *p)
			return reply(out, E_BAD);
		g->regs.rip = addr;
		g->regs_dirty = true;
	}
	return act;
}

enum gdb_action gdb_command(struct fl_gdb *g, const char *pkt, size_t len, char *out)
{
	*out = 0;
	if (!len)
		return GDB_ACT_REPLY;
	const char *p = pkt + 1;
	switch (pkt[0]) {
	case '?':
		return reply(out, g->stop_reply);
	case 'g':
		return len == 1 ? read_regs(g, out) : reply(out, E_BAD);
	case 'G':
		return write_regs(g, p, len - 1, out);
	case 'p':
		return read_reg(g, p, out);
	case 'P':
		return write_reg(g, p, out);
	case 'm':
		return read_mem(g, p, out);
	case 'M':
		return write_mem(g, p, len - 1, false, out);
	case 'X':
		return write_mem(g, p, len - 1, true, out);
	case 'Z':
	case 'z':
		return breakpoint(g, pkt[0] == 'Z', p, out);
	case 'H':
		return set_thread(g, p, out);
	case 'T': {
		int tid;
		if (parse_tid(p, &tid) < 0)
			return reply(out, E_BAD);
		return reply(out, gdb_thread_alive(g, tid) ? "OK" : E_NOENT);
	}
	case 'c':
		return resume(g, p, GDB_ACT_CONTINUE, out);
	case 's':
		return resume(g, p, GDB_ACT_STEP, out);
	case 'D':
		reply(out, "OK");
		return GDB_ACT_DETACH;
	case 'k':
		return GDB_ACT_KILL;
	case 'v':
		if (!strncmp(pkt, "vCont", 5))
			return vcont(g, pkt + 5, out);
		if (!strncmp(pkt, "vKill", 5)) {
			reply(out, "OK");
			return GDB_ACT_KILL;
		}
		return reply(out, "");
	case 'q':
		if (!strncmp(pkt, "qSupported", 10))
			return reply(out, "PacketSize=1000;qXfer:features:read+;qXfer:threads:read+;"
				     "swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+");
		if (!strcmp(pkt, "qAttached"))
			return reply(out, "1");
		if (!strcmp(pkt, "qC"))
			return snprintf(out, GDB_PACKET_MAX, "QC%x", g->cur_tid), GDB_ACT_REPLY;
		if (!strcmp(pkt, "qfThreadInfo") || !strcmp(pkt, "qsThreadInfo"))
			return thread_info(g, pkt[1] == 'f', out);
		if (!strncmp(pkt, "qThreadExtraInfo,", 17))
			return thread_extra(g, pkt + 17, out);
		if (!strncmp(pkt, "qXfer:features:read:", 20))
			return xfer_features(pkt + 20, out);
		if (!strncmp(pkt, "qXfer:threads:read:", 19))
			return xfer_threads(g, pkt + 19, out);
		if (!strcmp(pkt, "qSymbol::"))
			return reply(out, "OK");
		return reply(out, "");
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			g->noack = true;
			return reply(out, "OK");
		}
		return reply(out, "");
	default:
		return reply(out, "");
	}
}
