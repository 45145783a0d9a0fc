/* forklab run --trace FILE.json: the kernel's events, written as they arrive
 * in the Chrome/Perfetto Trace Event Format (its JSON object form), which
 * ui.perfetto.dev, chrome://tracing and tools/trace/view.html open as is.
 *
 * One track per task (pid = its tgid, tid = its pid, named by its command),
 * with a "running" slice from each schedule-in to the next (the kernel sends
 * no schedule-out: the next schedule-in, or the idle event, is it); an
 * instant for every other event; a flow from each clone to the child's first
 * user instruction. An event's args hold the task's registers and the checks
 * the verifier (verify.c) made at that event.
 *
 * Time is the guest's TSC, read from the vCPU as each event arrives, less
 * the time forklab itself spent on the events before (the guest's TSC runs
 * on while the VMM handles an exit), in microseconds at the guest's TSC
 * rate. The exits themselves are not taken out.
 *
 * json-c builds each event and writes it at once: it escapes what comes from
 * the guest (command names) and keeps every event valid JSON, and the file
 * streams, so a long run needs no more memory than its tasks. */
#include "observe/trace.h"
#include "observe/api.h"
#include "observe/events.h"
#include "observe/inspect.h"
#include "run/session.h"
#include "run/verdict.h"

#include <forklab/linux.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#define MSR_IA32_TSC 0x10
/* As the verifier's limit on clone records: far beyond the guest kernel's
 * task table (TASK_SLOTS) in a real run, so more means a guest flooding us. */
#define MAX_TRACKS 65536

struct track {
	int pid, tgid;
	char comm[16];           /* as the kernel's: inherited at clone, set at exec */
	uint64_t flow;           /* the clone awaiting this task's first user instruction, or 0 */
};

struct fl_tracer {
	FILE *out;
	bool quiet_checks;       /* the checks go only to this trace */
	uint32_t tsc_khz;
	uint64_t tsc_in, stolen; /* the TSC as this event arrived; forklab's time so far */
	void *by_pid;            /* tsearch tree of struct track */
	struct track **tracks;   /* in order of appearance */
	int ntracks, cap;
	struct track *running;   /* whose running slice is open, or NULL */
	uint64_t run_ts, last_ts; /* ns */
	json_object *run_args;   /* the open slice's: registers at schedule-in */
	json_object *checks;     /* the verifier's, at the event being handled */
	uint64_t clones;
	long events, nchecks, failed;
	int error;               /* errno of the first failed write, or 0 */
	bool written;            /* an event is in the file: the next needs a comma */
};

static const char *const reg_names[21] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax",
	"cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
};

static json_object *hex(uint64_t v)
{
	char s[24];
	snprintf(s, sizeof s, "%#" PRIx64, v);
	return json_object_new_string(s);
}

static json_object *pt_regs_json(const struct pt_regs *r)
{
	json_object *o = json_object_new_object();
	for (int i = 0; i < 21; i++)
		json_object_object_add(o, reg_names[i], hex(((const uint64_t *)r)[i]));
	return o;
}

/* At a first user instruction: the vCPU's registers, and what iretq loads. */
static json_object *user_frame_json(const struct fl_user_frame *f)
{
	const struct kvm_regs *r = &f->regs;
	const struct { const char *name; uint64_t v; } regs[] = {
		{ "ax", r->rax }, { "bx", r->rbx }, { "cx", r->rcx }, { "dx", r->rdx },
		{ "si", r->rsi }, { "di", r->rdi }, { "bp", r->rbp }, { "r8", r->r8 },
		{ "r9", r->r9 }, { "r10", r->r10 }, { "r11", r->r11 }, { "r12", r->r12 },
		{ "r13", r->r13 }, { "r14", r->r14 }, { "r15", r->r15 }, { "ip", f->iret.ip },
		{ "cs", f->iret.cs }, { "flags", f->iret.flags }, { "sp", f->iret.sp },
		{ "ss", f->iret.ss }, { "fs_base", f->fs_base },
	};
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < sizeof regs / sizeof *regs; i++)
		json_object_object_add(o, regs[i].name, hex(regs[i].v));
	return o;
}

static int by_pid(const void *a, const void *b)
{
	int x = ((const struct track *)a)->pid, y = ((const struct track *)b)->pid;
	return (x > y) - (x < y);
}

/* The track of pid, made on first sight with its tgid from the task head. */
static struct track *track_of(struct fl_session *s, struct fl_tracer *t, int pid, uint64_t task)
{
	struct track key = { .pid = pid }, **found = tfind(&key, &t->by_pid, by_pid);
	if (found)
		return *found;
	if (t->ntracks == MAX_TRACKS) {
		fl_verdict(s, FL_EXIT_VERDICT, NULL, "guest error: events of more than %d tasks",
			   MAX_TRACKS);
		return NULL;
	}
	if (t->ntracks == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct track **n = realloc(t->tracks, cap * sizeof *n);
		if (!n)
			return NULL;
		t->tracks = n, t->cap = cap;
	}
	struct track *k = calloc(1, sizeof *k);
	struct fl_task_view v;
	if (!k)
		return NULL;
	k->pid = k->tgid = pid;
	if (fl_task_read(s, task, &v) == 0 && v.head.pid == pid)
		k->tgid = v.head.tgid;
	if (!tsearch(k, &t->by_pid, by_pid)) {
		free(k);
		return NULL;
	}
	t->tracks[t->ntracks++] = k;
	return k;
}

/* Appends one event to traceEvents, and frees it. */
static void emit(struct fl_tracer *t, json_object *ev)
{
	if (t->written)
		fputs(",\n", t->out);
	fputs(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	      t->out);
	if (ferror(t->out) && !t->error)
		t->error = errno; /* the cause, which the final flush would no longer tell */
	t->written = true;
	json_object_put(ev);
}

/* Microseconds, as the format has them, exact to the nanosecond: a slice's
 * end is then exactly the next one's start. */
static json_object *us(uint64_t ns)
{
	char s[32];
	snprintf(s, sizeof s, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
	return json_object_new_double_s(ns / 1000.0, s);
}

/* The fields every event has; ph is the phase (X slice, i instant, s and f flow). */
static json_object *event(const char *ph, const char *cat, const char *name,
			  const struct track *k, uint64_t ts)
{
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "ph", json_object_new_string(ph));
	json_object_object_add(ev, "cat", json_object_new_string(cat));
	json_object_object_add(ev, "name", json_object_new_string(name));
	json_object_object_add(ev, "pid", json_object_new_int(k->tgid));
	json_object_object_add(ev, "tid", json_object_new_int(k->pid));
	json_object_object_add(ev, "ts", us(ts));
	return ev;
}

static void close_slice(struct fl_tracer *t, uint64_t end)
{
	if (!t->running)
		return;
	json_object *ev = event("X", "sched", "running", t->running, t->run_ts);
	json_object_object_add(ev, "dur", us(end - t->run_ts));
	if (t->run_args) /* none when a switch was inferred from another event */
		json_object_object_add(ev, "args", t->run_args);
	t->run_args = NULL;
	t->running = NULL;
	emit(t, ev);
}

static void open_slice(struct fl_tracer *t, struct track *k, uint64_t ts, json_object *args)
{
	t->running = k;
	t->run_ts = ts;
	t->run_args = args;
}

/* The kernel sets comm from the path exec was given, as AT_EXECFN has it on
 * the new stack: argc, argv[], NULL, envp[], NULL, then the auxv pairs. */
static void read_comm(struct fl_session *s, uint64_t task, char comm[16])
{
	enum { AT_NULL = 0, AT_EXECFN = 31, AUXV_MAX = 64 };
	struct fl_task_view v;
	uint64_t w[2], at;
	char path[4096];
	if (fl_task_read(s, task, &v) < 0 || fl_read_gva(&s->vm, v.cr3, v.regs.sp, w, 8) < 0 ||
	    w[0] > FL_ARG_MAX)
		return;
	at = v.regs.sp + 8 * (w[0] + 2); /* past argc, argv and its NULL */
	for (int i = 0; i <= FL_ARG_MAX; i++, at += 8)
		if (fl_read_gva(&s->vm, v.cr3, at, w, 8) < 0 || !w[0])
			break;
	at += 8;
	for (int i = 0; i < AUXV_MAX; i++, at += 16) {
		if (fl_read_gva(&s->vm, v.cr3, at, w, 16) < 0 || w[0] == AT_NULL)
			return;
		if (w[0] == AT_EXECFN)
			break;
	}
	if (w[0] != AT_EXECFN)
		return;
	/* Page by page: the string may end just below the stack's top. */
	size_t len = 0;
	for (uint64_t va = w[1]; len < sizeof path - 1;) {
		size_t n = 4096 - (va & 4095);
		n = n < sizeof path - 1 - len ? n : sizeof path - 1 - len;
		if (fl_read_gva(&s->vm, v.cr3, va, path + len, n) < 0)
			return;
		if (memchr(path + len, 0, n))
			break;
		len += n, va += n;
	}
	path[sizeof path - 1] = 0;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	fl_guest_name(comm, 16, base);
}

static const char *const kind_names[FL_EV_KINDS] = {
	[FL_EV_CLONE] = "clone", [FL_EV_RETURN] = "return", [FL_EV_EXEC] = "exec",
	[FL_EV_EXIT] = "exit", [FL_EV_VFORK_WAIT] = "vfork-wait",
	[FL_EV_VFORK_RELEASE] = "vfork-release", [FL_EV_SCHED_IN] = "sched-in",
	[FL_EV_COW] = "cow", [FL_EV_PT_COPY] = "pt-copy", [FL_EV_SIGNAL] = "signal",
	[FL_EV_SIGRETURN] = "sigreturn", [FL_EV_IDLE] = "idle",
	[FL_EV_VFORK_WATCH] = "vfork-watch", [FL_EV_VFORK_WRITE] = "vfork-write",
};

/* The kind's payload, as args. */
static void add_payload(json_object *a, const struct fl_event *ev)
{
	switch (ev->kind) {
	case FL_EV_CLONE:
		json_object_object_add(a, "flags", hex(ev->clone.flags));
		json_object_object_add(a, "child_pid", json_object_new_int64(ev->clone.child_pid));
		json_object_object_add(a, "child_task", hex(ev->clone.child));
		json_object_object_add(a, "stack", hex(ev->clone.stack));
		json_object_object_add(a, "tls", hex(ev->clone.tls));
		json_object_object_add(a, "child_frame", hex(ev->clone.frame));
		break;
	case FL_EV_EXEC: json_object_object_add(a, "mm", hex(ev->exec.mm)); break;
	case FL_EV_EXIT:
		json_object_object_add(a, "wait_status", hex((uint64_t)ev->exit.wait_status));
		break;
	case FL_EV_VFORK_WAIT:
	case FL_EV_VFORK_RELEASE: json_object_object_add(a, "other_task", hex(ev->vfork.other)); break;
	case FL_EV_COW:
		json_object_object_add(a, "va", hex(ev->cow.va));
		json_object_object_add(a, "old_frame", hex(ev->cow.old_frame));
		json_object_object_add(a, "new_frame", hex(ev->cow.new_frame));
		break;
	case FL_EV_PT_COPY:
		json_object_object_add(a, "va", hex(ev->pt_copy.va));
		json_object_object_add(a, "old_table", hex(ev->pt_copy.old_table));
		json_object_object_add(a, "new_table", hex(ev->pt_copy.new_table));
		break;
	case FL_EV_SIGNAL:
	case FL_EV_SIGRETURN:
		json_object_object_add(a, "sig", json_object_new_int64(ev->signal.sig));
		json_object_object_add(a, "frame", hex(ev->signal.frame));
		json_object_object_add(a, "handler", hex(ev->signal.handler));
		break;
	case FL_EV_VFORK_WATCH: /* --explain, --vfork-check */
		json_object_object_add(a, "child_task", hex(ev->vfork_watch.child));
		json_object_object_add(a, "start", hex(ev->vfork_watch.start));
		json_object_object_add(a, "end", hex(ev->vfork_watch.end));
		break;
	case FL_EV_VFORK_WRITE:
		json_object_object_add(a, "addr", hex(ev->vfork_write.addr));
		json_object_object_add(a, "old", hex(ev->vfork_write.old));
		json_object_object_add(a, "new", hex(ev->vfork_write.new));
		json_object_object_add(a, "rip", hex(ev->vfork_write.rip));
		break;
	}
}

/* The task's registers: at a first user instruction the vCPU's own; else the
 * pt_regs at the top of its kernel stack (for a clone, the child's frame and
 * thread record too). */
static void add_registers(struct fl_session *s, json_object *a, const struct fl_event *ev)
{
	struct fl_task_view v, c;
	struct fl_user_frame f;
	struct pt_regs child;
	json_object_object_add(a, "task", hex(ev->task));
	if (ev->kind == FL_EV_RETURN) {
		if (fl_user_frame(s, ev, &f) == 0)
			json_object_object_add(a, "regs", user_frame_json(&f));
		return;
	}
	if (fl_task_read(s, ev->task, &v) < 0)
		return;
	json_object_object_add(a, "pt_regs", pt_regs_json(&v.regs));
	if (ev->kind != FL_EV_CLONE || fl_task_read(s, ev->clone.child, &c) < 0)
		return;
	if (fl_read_kva(s, ev->clone.frame, &child, sizeof child) == 0)
		json_object_object_add(a, "child_pt_regs", pt_regs_json(&child));
	json_object *th = json_object_new_object();
	json_object_object_add(th, "sp", hex(c.head.thread.sp));
	json_object_object_add(th, "ip", hex(c.head.thread.ip));
	json_object_object_add(th, "sp0", hex(c.head.thread.sp0));
	json_object_object_add(th, "fsbase", hex(c.head.thread.fsbase));
	json_object_object_add(a, "child_thread", th);
	json_object_object_add(a, "parent_cr3", hex(v.cr3));
	json_object_object_add(a, "child_cr3", hex(c.cr3));
}

/* A flow's end points: s on the clone's track, f (bound to the enclosing
 * slice) on the child's at its first user instruction. */
static void flow(struct fl_tracer *t, const char *ph, const struct track *k, uint64_t ts, uint64_t id)
{
	json_object *ev = event(ph, "fork", "clone", k, ts);
	json_object_object_add(ev, "id", json_object_new_uint64(id));
	if (*ph == 'f')
		json_object_object_add(ev, "bp", json_object_new_string("e"));
	emit(t, ev);
}

static uint64_t read_tsc(struct fl_session *s, struct fl_tracer *t)
{
	uint64_t tsc;
	return fl_vcpu_msr(s, MSR_IA32_TSC, &tsc) == 0 ? tsc : t->tsc_in;
}

/* First of the two hooks, before the verifier's: the time the event came. */
static void on_arrival(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct fl_tracer *t = arg;
	t->tsc_in = read_tsc(s, t);
}

static void on_check(const struct fl_check *c, void *arg)
{
	struct fl_tracer *t = arg;
	json_object *o = json_object_new_object();
	if (c->clone)
		json_object_object_add(o, "clone", json_object_new_int(c->clone));
	json_object_object_add(o, "check", json_object_new_string(c->name));
	json_object_object_add(o, "expected", json_object_new_string(c->expected));
	json_object_object_add(o, "actual", json_object_new_string(c->actual));
	json_object_object_add(o, "verdict", json_object_new_string(c->ok ? "pass" : "fail"));
	if (!t->checks)
		t->checks = json_object_new_array();
	json_object_array_add(t->checks, o);
	t->nchecks++;
	t->failed += !c->ok;
}

/* ns since the vCPU's TSC started, less forklab's own time so far. */
static uint64_t ns_of(const struct fl_tracer *t, uint64_t tsc)
{
	return tsc < t->stolen ? 0 : (unsigned __int128)(tsc - t->stolen) * 1000000 / t->tsc_khz;
}

/* The second, after the verifier's: the event, its slice and flow. */
static void on_event(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct fl_tracer *t = arg;
	if (!t->tsc_khz)
		t->tsc_khz = s->vm.tsc_khz ? s->vm.tsc_khz : 1000000; /* unknown: 1 tick = 1 ns */
	uint64_t ts = ns_of(t, t->tsc_in);
	struct track *k = track_of(s, t, ev->pid, ev->task);
	if (!k)
		goto out;
	t->events++;
	t->last_ts = ts;
	json_object *a = json_object_new_object();
	json_object_object_add(a, "tsc", json_object_new_uint64(t->tsc_in));
	add_registers(s, a, ev);
	if (ev->kind == FL_EV_IDLE) {
		/* No task ran from since until now: the slice ended then, and this
		 * task runs again now (until the next schedule-in, if any). */
		uint64_t since = ns_of(t, ev->idle.since);
		close_slice(t, since < t->run_ts ? t->run_ts : since > ts ? ts : since);
		open_slice(t, k, ts, a);
		goto out;
	}
	if (ev->kind == FL_EV_SCHED_IN || t->running != k) {
		/* Every other event is the running task's: a new one means a switch. */
		close_slice(t, ts);
		open_slice(t, k, ts, ev->kind == FL_EV_SCHED_IN ? a : NULL);
		if (ev->kind == FL_EV_SCHED_IN)
			goto out;
	}
	add_payload(a, ev);
	if (t->checks) {
		json_object_object_add(a, "checks", t->checks);
		t->checks = NULL;
	}
	const char *name = ev->kind == FL_EV_CLONE ? fl_clone_name(ev->clone.flags) : kind_names[ev->kind];
	if (ev->kind == FL_EV_EXEC) {
		read_comm(s, ev->task, k->comm);
		json_object_object_add(a, "comm", json_object_new_string(k->comm));
	}
	json_object *e = event("i", "fork", name, k, ts);
	json_object_object_add(e, "s", json_object_new_string("t"));
	json_object_object_add(e, "args", a);
	emit(t, e);
	if (ev->kind == FL_EV_CLONE) {
		struct track *c = track_of(s, t, (int)ev->clone.child_pid, ev->clone.child);
		if (!c)
			goto out;
		memcpy(c->comm, k->comm, sizeof c->comm);
		if (ev->clone.flags != FL_CLONE_KTHREAD) { /* a kernel thread never returns to user */
			c->flow = ++t->clones;
			flow(t, "s", k, ts, c->flow);
		}
	} else if (ev->kind == FL_EV_RETURN && k->flow) {
		flow(t, "f", k, ts, k->flow);
		k->flow = 0;
	}
out:
	json_object_put(t->checks); /* those of an event we could not place */
	t->checks = NULL;
	/* A guest TSC read below the arrival's (a failed read, or a TSC that
	 * stepped back) adds nothing: wrapped, it would make every later
	 * timestamp 0. */
	uint64_t now = read_tsc(s, t);
	if (now > t->tsc_in)
		t->stolen += now - t->tsc_in;
}

struct fl_tracer *fl_trace_attach(struct fl_config *c, FILE *out, FILE *verify_json,
				  bool quiet_checks, struct fl_verifier **v)
{
	struct fl_tracer *t = calloc(1, sizeof *t);
	if (!t || c->nhooks + 3 > FL_MAX_HOOKS) {
		free(t);
		return NULL;
	}
	t->out = out;
	t->quiet_checks = quiet_checks;
	fl_hook_add(c, 0, on_arrival, t);
	if (!(*v = fl_verify_attach(c, verify_json))) {
		free(t);
		c->nhooks--;
		return NULL;
	}
	fl_verify_report(*v, on_check, t, quiet_checks);
	fl_hook_add(c, 0, on_event, t);
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
	return t;
}

static void metadata(struct fl_tracer *t, const char *name, const struct track *k)
{
	json_object *ev = json_object_new_object(), *a = json_object_new_object();
	json_object_object_add(ev, "ph", json_object_new_string("M"));
	json_object_object_add(ev, "name", json_object_new_string(name));
	json_object_object_add(ev, "pid", json_object_new_int(k->tgid));
	json_object_object_add(ev, "tid", json_object_new_int(k->pid));
	json_object_object_add(a, "name", json_object_new_string(*k->comm ? k->comm : "?"));
	json_object_object_add(ev, "args", a);
	emit(t, ev);
}

int fl_trace_finish(struct fl_tracer *t)
{
	close_slice(t, t->last_ts);
	json_object_put(t->run_args);
	for (int i = 0; i < t->ntracks; i++) {
		struct track *k = t->tracks[i];
		metadata(t, "thread_name", k);
		if (k->pid == k->tgid)
			metadata(t, "process_name", k);
	}
	json_object *other = json_object_new_object();
	json_object_object_add(other, "clock", json_object_new_string(
		"guest TSC less forklab's own handling of events, in us at tsc_khz"));
	json_object_object_add(other, "tsc_khz", json_object_new_int64(t->tsc_khz));
	json_object_object_add(other, "events", json_object_new_int64(t->events));
	json_object_object_add(other, "tasks", json_object_new_int(t->ntracks));
	json_object_object_add(other, "clones", json_object_new_uint64(t->clones));
	json_object_object_add(other, "checks", json_object_new_int64(t->nchecks));
	json_object_object_add(other, "checks_failed", json_object_new_int64(t->failed));
	fprintf(t->out, "\n],\n\"otherData\":%s}\n",
		json_object_to_json_string_ext(other, JSON_C_TO_STRING_PLAIN));
	json_object_put(other);
	if (t->failed && t->quiet_checks)
		fprintf(stderr, "forklab: trace: %ld of %ld checks failed (\"verdict\":\"fail\" in the "
			"events' args)\n", t->failed, t->nchecks);
	errno = 0;
	bool failed = fflush(t->out) != 0 || ferror(t->out);
	failed = fclose(t->out) != 0 || failed;
	if (failed)
		errno = t->error ? t->error : errno ? errno : EIO;
	tdestroy(t->by_pid, free); /* every track, each once */
	free(t->tracks);
	free(t);
	return failed ? -1 : 0;
}
