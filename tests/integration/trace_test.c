/* forklab run --trace: the file parsed with json-c and held against the run.
 * One track per task, running slices that never overlap (the guest has one
 * vCPU), every event inside a slice of its own task, a flow from each clone
 * to its child's first event, and as many forks, returns and exits as the
 * program and the kernel count; a sleep leaves a gap; a lost file is exit 2. */
#include "common/fl_assert.h"
#include "common/forklab_run.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TID 4096
/* Timestamps are µs with three decimals; sums of them are exact to well
 * under a nanosecond. */
#define EPS 0.0005

struct ev {
	char ph;
	const char *name;
	int pid, tid;
	double ts, dur;
	long id;
	json_object *args;
};

struct trace {
	json_object *root;
	struct ev *ev;
	int n;
};

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Runs `forklab run --trace FILE cmd...` and parses FILE; r gets the run. */
static struct trace run_traced(struct fr_result *r, const char *const *cmd)
{
	char dir[] = "/tmp/fl-trace-XXXXXX", path[64];
	const char *argv[16] = { "run", "--timeout", "600", "--stats", "--trace", path };
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof path, "%s/trace.json", dir);
	for (int i = 0; cmd[i] && i < 9; i++)
		argv[6 + i] = cmd[i];
	*r = fr_run(NULL, argv);
	struct trace t = { .root = json_object_from_file(path) };
	TEST_ASSERT(t.root, "json-c parses %s: %s", path, json_util_get_last_err());
	unlink(path);
	rmdir(dir);
	json_object *events = member(t.root, "traceEvents");
	TEST_ASSERT(events && json_object_is_type(events, json_type_array), "traceEvents");
	t.n = json_object_array_length(events);
	t.ev = calloc(t.n, sizeof *t.ev);
	for (int i = 0; i < t.n; i++) {
		json_object *o = json_object_array_get_idx(events, i);
		struct ev *e = &t.ev[i];
		const char *ph = str(o, "ph");
		TEST_ASSERT(ph && strlen(ph) == 1, "event %d has a phase", i);
		e->ph = *ph;
		e->name = str(o, "name");
		e->pid = json_object_get_int(member(o, "pid"));
		e->tid = json_object_get_int(member(o, "tid"));
		e->ts = json_object_get_double(member(o, "ts"));
		e->dur = json_object_get_double(member(o, "dur"));
		e->id = json_object_get_int64(member(o, "id"));
		e->args = member(o, "args");
		TEST_ASSERT(e->name && e->tid > 0 && e->tid < MAX_TID, "event %d: name and tid %d", i,
			    e->tid);
	}
	return t;
}

#define RUN_TRACED(r, ...) run_traced((r), (const char *const[]){ __VA_ARGS__, NULL })

static int count(const struct trace *t, char ph, const char *name)
{
	int n = 0;
	for (int i = 0; i < t->n; i++)
		n += t->ev[i].ph == ph && !strcmp(t->ev[i].name, name);
	return n;
}

static int by_ts(const void *a, const void *b)
{
	double x = (*(const struct ev *const *)a)->ts, y = (*(const struct ev *const *)b)->ts;
	return (x > y) - (x < y);
}

/* The running slices, in time order: none overlaps the next, and each event
 * lies within a slice of its own task. */
static void check_slices(const struct trace *t)
{
	struct ev **x = calloc(t->n, sizeof *x);
	int nx = 0;
	for (int i = 0; i < t->n; i++)
		if (t->ev[i].ph == 'X')
			x[nx++] = &t->ev[i];
	TEST_ASSERT_CMP(nx, >, 0, "running slices");
	qsort(x, nx, sizeof *x, by_ts);
	for (int i = 0; i + 1 < nx; i++)
		TEST_ASSERT(x[i]->ts + x[i]->dur <= x[i + 1]->ts + EPS,
			    "tid %d's slice at %.3f ends at %.3f, after tid %d's starts at %.3f", x[i]->tid,
			    x[i]->ts, x[i]->ts + x[i]->dur, x[i + 1]->tid, x[i + 1]->ts);
	for (int i = 0; i < t->n; i++) {
		const struct ev *e = &t->ev[i];
		if (e->ph != 'i' && e->ph != 's' && e->ph != 'f')
			continue;
		int lo = 0, hi = nx - 1; /* the last slice that starts at or before e */
		while (lo < hi) {
			int mid = (lo + hi + 1) / 2;
			if (x[mid]->ts <= e->ts + EPS)
				lo = mid;
			else
				hi = mid - 1;
		}
		const struct ev *s = x[lo];
		TEST_ASSERT(s->tid == e->tid && s->ts <= e->ts + EPS && e->ts <= s->ts + s->dur + EPS,
			    "%s of tid %d at %.3f: in tid %d's slice [%.3f, %.3f]", e->name, e->tid, e->ts,
			    s->tid, s->ts, s->ts + s->dur);
	}
	free(x);
}

/* One track per task: every event of a tid has the same pid, and each tid
 * is named once. Returns the number of tracks. */
static int check_tracks(const struct trace *t)
{
	static int pid_of[MAX_TID], names[MAX_TID];
	int tracks = 0;
	for (int i = 0; i < t->n; i++) {
		const struct ev *e = &t->ev[i];
		if (e->ph == 'M') {
			names[e->tid] += !strcmp(e->name, "thread_name");
			continue;
		}
		if (!pid_of[e->tid])
			pid_of[e->tid] = e->pid, tracks++;
		TEST_ASSERT_EQ(e->pid, pid_of[e->tid], "%s of tid %d at %.3f", e->name, e->tid, e->ts);
	}
	for (int tid = 1; tid < MAX_TID; tid++)
		TEST_ASSERT_EQ(names[tid], pid_of[tid] ? 1 : 0, "thread_name events of tid %d", tid);
	return tracks;
}

/* Each clone's flow: from the clone's instant on the parent's track to the
 * child's track, whose first event it is (the child's first return to user
 * mode, with ax 0), after the clone. */
static void check_flows(const struct trace *t)
{
	for (int i = 0; i < t->n; i++) {
		const struct ev *s = &t->ev[i], *clone = NULL, *f = NULL, *first = NULL;
		if (s->ph != 's')
			continue;
		for (int j = 0; j < t->n; j++) {
			const struct ev *e = &t->ev[j];
			if (e->ph == 'i' && e->tid == s->tid && e->ts == s->ts && e->args &&
			    member(e->args, "child_pid"))
				clone = e;
			if (e->ph == 'f' && e->id == s->id) {
				TEST_ASSERT(!f, "flow %ld ends once", s->id);
				f = e;
			}
		}
		TEST_ASSERT(clone, "flow %ld starts at a clone instant of tid %d at %.3f", s->id, s->tid,
			    s->ts);
		TEST_ASSERT(f, "flow %ld from tid %d at %.3f ends", s->id, s->tid, s->ts);
		int child = json_object_get_int(member(clone->args, "child_pid"));
		TEST_ASSERT_EQ(f->tid, child, "flow %ld ends on the child's track", s->id);
		TEST_ASSERT(f->ts > s->ts, "flow %ld: the child's first instruction follows the clone",
			    s->id);
		for (int j = 0; j < t->n; j++) {
			const struct ev *e = &t->ev[j];
			if (e->tid == child && e->ph == 'X')
				TEST_ASSERT(e->ts > s->ts, "tid %d runs only after its clone", child);
			if (e->tid == child && e->ph == 'i' && (!first || e->ts < first->ts))
				first = e;
		}
		TEST_ASSERT(first && first->ts == f->ts && !strcmp(first->name, "return"),
			    "tid %d's first event is its return to user mode, where the flow ends", child);
		TEST_ASSERT_STR_EQ(str(member(first->args, "regs"), "ax"), "0", "tid %d's rax", child);
	}
}

static long stat_of(const struct fr_result *r, const char *key)
{
	const char *p = strstr(r->err, key);
	TEST_ASSERT(p, "--stats has %s", key);
	return strtol(p + strlen(key), NULL, 10);
}

Test(trace, fork_storm)
{
	struct fr_result r;
	struct trace t = RUN_TRACED(&r, "fork-storm");
	TEST_ASSERT_RUN_STATUS(r, 0);
	int cycles, bad;
	TEST_ASSERT_EQ(sscanf(r.out, "%d fork/exit/wait cycles, %d bad", &cycles, &bad), 2, "%s", r.out);
	TEST_ASSERT_EQ(bad, 0);
	TEST_ASSERT_EQ(stat_of(&r, " forks="), cycles, "the kernel's fork count");

	TEST_ASSERT_EQ(check_tracks(&t), cycles + 1, "tracks: pid 1 and each child");
	check_slices(&t);
	check_flows(&t);
	TEST_ASSERT_EQ(count(&t, 'i', "fork"), cycles);
	TEST_ASSERT_EQ(count(&t, 's', "clone"), cycles);
	TEST_ASSERT_EQ(count(&t, 'f', "clone"), cycles);
	TEST_ASSERT_EQ(count(&t, 'i', "return"), 2 * cycles, "both sides of each fork");
	TEST_ASSERT_EQ(count(&t, 'i', "exit"), cycles + 1);
	TEST_ASSERT_EQ(count(&t, 'M', "thread_name"), cycles + 1);

	/* The verifier's checks ride in the events: all passed, and at each fork. */
	json_object *other = member(t.root, "otherData");
	TEST_ASSERT_CMP(json_object_get_int64(member(other, "checks")), >, 30L * cycles);
	TEST_ASSERT_EQ(json_object_get_int64(member(other, "checks_failed")), 0);
	for (int i = 0; i < t.n; i++) {
		if (t.ev[i].ph != 'i' || strcmp(t.ev[i].name, "fork"))
			continue;
		json_object *checks = member(t.ev[i].args, "checks");
		int n = checks ? json_object_array_length(checks) : 0, seen = 0;
		for (int j = 0; j < n; j++) {
			json_object *c = json_object_array_get_idx(checks, j);
			TEST_ASSERT_STR_EQ(str(c, "verdict"), "pass", "%s at fork %d", str(c, "check"), i);
			seen += !strcmp(str(c, "check"), "frame.ax") || !strcmp(str(c, "check"), "mm.cow_shared");
		}
		TEST_ASSERT_EQ(seen, 2, "frame.ax and mm.cow_shared among the checks at fork %d", i);
	}
}

/* vfork: the parent sleeps from its vfork-wait until the child's exec
 * releases it, and the child's track takes the name of what it execs. */
Test(trace, vfork_demo)
{
	struct fr_result r;
	struct trace t = RUN_TRACED(&r, "vfork-demo");
	TEST_ASSERT_RUN_STATUS(r, 0);
	check_tracks(&t);
	check_slices(&t);
	check_flows(&t);
	const struct ev *wait = NULL, *release = NULL, *parent_back = NULL;
	for (int i = 0; i < t.n; i++) {
		const struct ev *e = &t.ev[i];
		if (e->ph == 'i' && !strcmp(e->name, "vfork-wait"))
			wait = e;
		if (e->ph == 'i' && !strcmp(e->name, "vfork-release"))
			release = e;
		if (e->ph == 'i' && !strcmp(e->name, "return") && e->tid == 1)
			parent_back = e;
		if (e->ph == 'M' && !strcmp(e->name, "thread_name"))
			TEST_ASSERT_STR_EQ(str(e->args, "name"), e->tid == 1 ? "vfork-demo" : "hello",
					   "tid %d's name", e->tid);
	}
	TEST_ASSERT(wait && release && parent_back, "vfork-wait, vfork-release and the parent's return");
	TEST_ASSERT_EQ(wait->tid, 1);
	TEST_ASSERT_EQ(release->tid, 2);
	TEST_ASSERT(wait->ts < release->ts && release->ts < parent_back->ts,
		    "wait %.3f, release %.3f, parent back %.3f", wait->ts, release->ts, parent_back->ts);
}

/* While the program sleeps no task runs: the kernel's idle event ends the
 * running slice where the CPU halted, and the trace shows the gap. */
Test(trace, sleep_leaves_a_gap)
{
	struct fr_result r;
	struct trace t = RUN_TRACED(&r, "/bin/busybox", "sleep", "0.05");
	TEST_ASSERT_RUN_STATUS(r, 0);
	check_tracks(&t);
	check_slices(&t);
	double gap = 0, end = -1;
	for (int i = 0; i < t.n; i++) /* the writer emits slices in time order */
		if (t.ev[i].ph == 'X') {
			if (end >= 0 && t.ev[i].ts - end > gap)
				gap = t.ev[i].ts - end;
			end = t.ev[i].ts + t.ev[i].dur;
		}
	TEST_ASSERT(gap >= 40000, "the longest time between slices is %.3f us, for a 50 ms sleep", gap);
}

/* The trace is output the user asked for: losing it fails the run. */
Test(trace, write_failure_is_exit_2)
{
	struct fr_result r = FORKLAB("run", "--trace", "/dev/full", "fork-demo");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_LINES(r, err, 1);
	TEST_ASSERT_RUN_MATCHES(r, err, "^forklab: --trace /dev/full: writing the trace failed: "
				"No space left on device$");
	r = FORKLAB("run", "--trace", "/nonexistent/t.json", "fork-demo");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_EQ(r, err, "forklab: --trace /nonexistent/t.json: cannot create the file\n");
}
