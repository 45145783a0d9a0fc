/* Host-side verification: the C API's hooks seen from a test, forklab run
 * --verify on the programs of the seeds, and each fault-injection bootarg
 * failing exactly its own check. */
#include "common/fl_assert.h"
#include "observe/forklab.h"
#include "common/forklab_run.h"

#include <criterion/criterion.h>
#include <forklab/linux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the C API: a story per test ---- */

struct seen {
	struct fl_event clone;           /* the first clone-family event */
	struct fl_user_frame parent, child;
	int returns;
};

static void on_clone(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct seen *seen = arg;
	if (!seen->clone.kind)
		seen->clone = *ev;
}

static void on_return(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct seen *seen = arg;
	struct fl_user_frame f;
	TEST_ASSERT_EQ(fl_user_frame(s, ev, &f), 0, "reading the first user frame");
	if (ev->task == seen->clone.task && !seen->parent.task)
		seen->parent = f;
	else if (ev->task == seen->clone.clone.child && !seen->child.task)
		seen->child = f;
	seen->returns++;
}

static int run_with_hooks(const char *program, struct seen *seen)
{
	struct fl_config c;
	fl_config_init(&c, "build", program);
	fl_hook_add(&c, FL_EV_CLONE, on_clone, seen);
	fl_hook_add(&c, FL_EV_RETURN, on_return, seen);
	return fl_launch(&c);
}

Test(api, fork_demo_first_user_instructions)
{
	struct seen seen = { 0 };
	TEST_ASSERT_EQ(run_with_hooks("fork-demo", &seen), 0);
	TEST_ASSERT_EQ(seen.clone.kind, FL_EV_CLONE);
	TEST_ASSERT_EQ(seen.returns, 2);
	/* The parent gets the child's pid, the child 0; both resume after syscall. */
	TEST_ASSERT_EQ(seen.parent.regs.rax, seen.clone.clone.child_pid);
	TEST_ASSERT_EQ(seen.child.regs.rax, 0);
	TEST_ASSERT_EQ(seen.child.iret.ip, seen.parent.iret.ip);
	TEST_ASSERT_EQ(seen.child.iret.sp, seen.parent.iret.sp);
	TEST_ASSERT_EQ(seen.child.iret.cs, FL_USER_CS);
	TEST_ASSERT_EQ(seen.child.regs.rbx, seen.parent.regs.rbx);
	TEST_ASSERT_EQ(seen.child.regs.r12, seen.parent.regs.r12);
}

Test(api, clone_stack_runs_on_its_stack_with_its_tls)
{
	struct seen seen = { 0 };
	TEST_ASSERT_EQ(run_with_hooks("clone-stack", &seen), 0);
	TEST_ASSERT_EQ(seen.child.iret.sp, seen.clone.clone.stack);  /* the stack argument */
	TEST_ASSERT_EQ(seen.child.fs_base, seen.clone.clone.tls);  /* the tls argument */
	TEST_ASSERT_NE(seen.child.iret.sp, seen.parent.iret.sp);
	TEST_ASSERT_EQ(seen.child.regs.rax, 0);
}

/* Every clone of a program, through the C API: both return values, where each
 * task resumes, its stack and TLS, and the vfork order asserted here from the
 * hooks; the frame, thread record and shared memory by the built-in verifier
 * attached as a hook. */
#define MAX_CLONES 8
struct story {
	struct { struct fl_event clone; struct fl_user_frame parent, child; int released_at; } c[MAX_CLONES];
	int n, tick;
};

static void story_event(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	struct story *st = arg;
	st->tick++;
	/* Newest first: a task slot, hence its address, is reused by later children. */
	for (int i = st->n - 1; i >= 0; i--) {
		if (ev->kind == FL_EV_VFORK_RELEASE && ev->task == st->c[i].clone.clone.child) {
			st->c[i].released_at = st->tick;
			return;
		}
		if (ev->kind != FL_EV_RETURN)
			continue;
		struct fl_user_frame *f = ev->task == st->c[i].clone.task && !st->c[i].parent.task ?
			&st->c[i].parent : ev->task == st->c[i].clone.clone.child && !st->c[i].child.task ?
			&st->c[i].child : NULL;
		if (f) {
			TEST_ASSERT_EQ(fl_user_frame(s, ev, f), 0);
			f->pid = st->tick; /* when it happened, for the vfork order */
			return;
		}
	}
	if (ev->kind == FL_EV_CLONE && st->n < MAX_CLONES)
		st->c[st->n++].clone = *ev;
}

static void story(const char *program, int clones)
{
	struct story st = { 0 };
	struct fl_config c;
	fl_config_init(&c, "build", program);
	fl_hook_add(&c, 0, story_event, &st);
	struct fl_verifier *v = fl_verify_attach(&c, NULL);
	TEST_ASSERT(v, "fl_verify_attach");
	TEST_ASSERT_EQ(fl_verify_finish(v, fl_launch(&c)), 0);
	TEST_ASSERT_EQ(st.n, clones);
	for (int i = 0; i < st.n; i++) {
		const struct fl_event *cl = &st.c[i].clone;
		const struct fl_user_frame *p = &st.c[i].parent, *ch = &st.c[i].child;
		TEST_ASSERT(p->task && ch->task, "clone %d: both tasks reached user mode", i);
		TEST_ASSERT_EQ(p->regs.rax, cl->clone.child_pid);      /* the parent gets the child's pid */
		TEST_ASSERT_EQ(ch->regs.rax, 0);            /* the child gets 0 */
		TEST_ASSERT_EQ(ch->iret.ip, p->iret.ip);    /* both resume after syscall */
		TEST_ASSERT_EQ(ch->iret.sp, cl->clone.stack ? cl->clone.stack : p->iret.sp);
		if (cl->clone.flags & CLONE_SETTLS)
			TEST_ASSERT_EQ(ch->fs_base, cl->clone.tls);
		if (cl->clone.flags & CLONE_VFORK)           /* the parent after the release */
			TEST_ASSERT(st.c[i].released_at && st.c[i].released_at < p->pid,
				    "clone %d: vfork parent ran before the child let go", i);
	}
}

Test(api, story_fork_demo) { story("fork-demo", 1); }
Test(api, story_vfork_demo) { story("vfork-demo", 1); }
Test(api, story_clone_stack) { story("clone-stack", 1); }
Test(api, story_pthreads) { story("pthreads", 4); }
Test(api, story_posix_spawn) { story("posix-spawn", 2); }

/* Every kind of event reaches a hook, as often as posix-spawn makes it. */
static void count_kind(struct fl_session *s, const struct fl_event *ev, void *arg)
{
	((int *)arg)[ev->kind]++;
}

Test(api, every_event_kind)
{
	int n[FL_EV_KINDS] = { 0 };
	struct fl_config c;
	fl_config_init(&c, "build", "posix-spawn");
	fl_hook_add(&c, 0, count_kind, n);
	TEST_ASSERT_EQ(fl_launch(&c), 0);
	TEST_ASSERT_EQ(n[FL_EV_CLONE], 2);          /* two posix_spawn calls */
	TEST_ASSERT_EQ(n[FL_EV_RETURN], 4);         /* parent and child, twice */
	TEST_ASSERT_EQ(n[FL_EV_VFORK_WAIT], 2);
	TEST_ASSERT_EQ(n[FL_EV_VFORK_RELEASE], 2);  /* one exec, one failed exec's exit */
	TEST_ASSERT_EQ(n[FL_EV_EXEC], 2);           /* init, then /bin/hello */
	TEST_ASSERT_EQ(n[FL_EV_EXIT], 3);           /* both children and init */
	TEST_ASSERT_CMP(n[FL_EV_SCHED_IN], >=, 4);
}

/* ---- forklab run --verify ---- */

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Runs --verify=JSON on a program and checks: all pass, one JSON line per check. */
static void verify_passes(const char *program, const char *append, int status)
{
	char dir[] = "/tmp/fl-verify-XXXXXX", json[64], opt[96];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(json, sizeof json, "%s/checks.jsonl", dir);
	snprintf(opt, sizeof opt, "--verify=%s", json);
	struct fr_result r = append ? FORKLAB("run", "--timeout", "120", opt, "--append", append, program)
				    : FORKLAB("run", "--timeout", "120", opt, program);
	TEST_ASSERT_RUN_STATUS(r, status);
	TEST_ASSERT_RUN_LACKS(r, err, " FAIL ");
	TEST_ASSERT_RUN_LACKS(r, err, "verification failed");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: [1-9][0-9]* clone-family calls, [0-9]+ checks: [0-9]+ passed, 0 failed$");
	size_t len;
	char *lines = fr_slurp(json, &len); /* fails the test if the file is missing */
	int passes = count(r.err, " PASS ");
	TEST_ASSERT_CMP(passes, >, 30, "PASS lines");
	TEST_ASSERT_EQ(count(lines, "\"verdict\":\"pass\"}\n"), passes, "JSON lines vs PASS lines");
	TEST_ASSERT_EQ(count(lines, "\n"), passes, "one JSON object per check");
	free(lines);
	unlink(json);
	rmdir(dir);
}

Test(verify, fork_demo) { verify_passes("fork-demo", NULL, 0); }
Test(verify, vfork_demo) { verify_passes("vfork-demo", NULL, 0); }
Test(verify, clone_stack) { verify_passes("clone-stack", NULL, 0); }
Test(verify, pthreads) { verify_passes("pthreads", NULL, 0); }
Test(verify, posix_spawn) { verify_passes("posix-spawn", NULL, 0); }
Test(verify, vfork_magic_keeps_its_status) { verify_passes("vfork-magic", NULL, 139); }

/* fork=shared: the same checks, mm.shared_tables at each fork, and pt_copy.*
 * wherever a table is taken back. */
Test(verify, shared_tables)
{
	verify_passes("shared-tables", "fork=shared", 0);
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", "--append", "fork=shared",
				     "shared-tables");
	TEST_ASSERT_CMP(count(r.err, "PASS mm.shared_tables"), >=, 9, "forks checked for shared tables");
	TEST_ASSERT_CMP(count(r.err, "PASS pt_copy.same_entries"), >=, 9, "table copies checked");
}


/* Debian's busybox sh (glibc-static) running a four-stage pipeline: every
 * fork it makes passes every check, with either fork mode. */
static void busybox_pipeline(const char *mode)
{
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", "--append", mode,
				     "/bin/busybox", "sh", "-c", "echo x | cat | tr x y | cat");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "y\n");
	TEST_ASSERT_RUN_LACKS(r, err, " FAIL ");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: ([3-9]|[1-9][0-9]+) clone-family calls, [0-9]+ checks: "
				"[0-9]+ passed, 0 failed$");
}

Test(verify, busybox_pipeline) { busybox_pipeline("fork=copy"); }
Test(verify, busybox_pipeline_shared_tables) { busybox_pipeline("fork=shared"); }

/* ---- each injected fault fails its check, and only that ---- */

/* Every expected check fails, and no other. (A fault may make the program
 * misbehave and fork more than once: the same checks then fail again.) */
static void fault_fails(const char *fault, const char *program, const char *const *checks)
{
	struct fr_result r = FORKLAB("run", "--timeout", "60", "--verify", "--append", fault, program);
	TEST_ASSERT_RUN_STATUS(r, FL_EXIT_VERIFY);
	int expected_lines = 0;
	for (int i = 0; checks[i]; i++) {
		char line[96];
		snprintf(line, sizeof line, " FAIL %s ", checks[i]);
		TEST_ASSERT_RUN_CONTAINS(r, err, line);
		expected_lines += count(r.err, line);
	}
	TEST_ASSERT_EQ(count(r.err, " FAIL "), expected_lines, "%s: a check other than %s failed:\n%s",
		       fault, checks[0], r.err);
	size_t n = strlen(r.err);
	TEST_ASSERT(n > 20 && !strcmp(r.err + n - 20, "verification failed\n"),
		    "'verification failed' must come last");
}

Test(fault, child_ax)
{
	/* Both checks read the child's ax: in its frame and in RAX when it runs. */
	fault_fails("fault.child_ax", "fork-demo", (const char *[]){ "frame.ax", "child.rax", NULL });
}

Test(fault, thread_ip)
{
	fault_fails("fault.thread_ip", "fork-demo", (const char *[]){ "thread.ip", NULL });
}

Test(fault, sp0)
{
	fault_fails("fault.sp0", "fork-demo", (const char *[]){ "thread.sp0", NULL });
}

Test(fault, parent_ret)
{
	fault_fails("fault.parent_ret", "fork-demo", (const char *[]){ "parent.rax", NULL });
}

Test(fault, vfork_nowait)
{
	fault_fails("fault.vfork_nowait", "vfork-demo", (const char *[]){ "vfork.parent_waited", NULL });
}

/* fork=shared with the parent's PD entries left writable: the tables are
 * shared but writes go through, in both checks that see it. */
Test(fault, cow_writable_shared_tables)
{
	fault_fails("fork=shared fault.cow_writable", "fork-demo",
		    (const char *[]){ "mm.cow_shared", "mm.shared_tables", NULL });
}

Test(fault, cow_writable)
{
	fault_fails("fault.cow_writable", "fork-demo", (const char *[]){ "mm.cow_shared", NULL });
}

/* ---- signals: the frame holds the interrupted registers, and after
 * rt_sigreturn the task's pt_regs are those again ---- */

#define TRAP_SCRIPT "trap 'echo trapped' USR1; kill -USR1 $$; echo after"

Test(verify, busybox_trap_returns_to_its_registers)
{
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", "/bin/busybox", "sh", "-c",
				     TRAP_SCRIPT);
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "trapped\nafter\n");
	TEST_ASSERT_RUN_CONTAINS(r, err, " PASS signal.frame ");
	TEST_ASSERT_RUN_CONTAINS(r, err, " PASS sigreturn.regs ");
	TEST_ASSERT_RUN_CONTAINS(r, err, "verify: 1 signal deliveries, 1 returns by rt_sigreturn\n");
	TEST_ASSERT_RUN_LACKS(r, err, " FAIL ");
}

/* guest-user/signals.c: handlers that return, leave by siglongjmp, edit
 * their ucontext (a skipped instruction), nest, and run on an alternate
 * stack; no check fails. */
Test(verify, signals_program)
{
	struct fr_result r = FORKLAB("run", "--timeout", "120", "--verify", "signals");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_LACKS(r, err, " FAIL ");
	TEST_ASSERT_RUN_CONTAINS(r, err, "set by the handler)");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: [1-9][0-9]+ signal deliveries, [1-9][0-9]+ returns by "
				"rt_sigreturn$");
}

Test(fault, sigreturn_r11)
{
	struct fr_result r = FORKLAB("run", "--timeout", "60", "--verify", "--append", "fault.sigreturn_r11",
				     "/bin/busybox", "sh", "-c", TRAP_SCRIPT);
	TEST_ASSERT_RUN_STATUS(r, FL_EXIT_VERIFY);
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: sigreturn FAIL sigreturn.regs .* actual r11 0x[0-9a-f]+, "
				"expected 0x[0-9a-f]+$");
	TEST_ASSERT_EQ(count(r.err, " FAIL "), 1, "only sigreturn.regs fails:\n%s", r.err);
}
