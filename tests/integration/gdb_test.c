/* `forklab run --gdb` driven by Debian's real gdb in batch mode, seed 001's
 * session on fork-demo: break at copy_thread, the child's pt_regs->ax after
 * finish, ret_from_fork, forklab-ps (tools/gdb/forklab.py), both tasks named
 * in info threads (qXfer:threads:read), then single steps to the child's first
 * user instruction, and kill. Then a write to the user registers of a child
 * that has not run yet, which the child sees as fork's return value. The
 * asserts read gdb's own output, and forklab's output and exit status. */
#include "common/forklab_run.h"
#include "common/spawn.h"
#include "boot/elf.h"

#include <forklab/abi.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GDB_GUARD_S 300.0  /* the whole session, stepping included, in the nested bed */

/* Marks around forklab-ps's table, so that its lines can be counted. */
#define PS_BEGIN "=== forklab-ps"
#define PS_END "=== end forklab-ps"
#define THREADS_BEGIN "=== info threads"
#define THREADS_END "=== end info threads"

/* The start of every session script: batch gdb on the kernel's symbols. */
#define GDB_SETUP \
	"set pagination off\n" \
	"set confirm off\n" \
	"file build/kernel.elf\n"

static const char session[] =
	GDB_SETUP
	"source tools/gdb/forklab.py\n"
	"target remote %s\n"
	"break copy_thread\n"
	"continue\n"
	"set $child = p\n"
	"set $parent_ip = ((struct pt_regs *)current->thread.sp0 - 1)->ip\n"
	"printf \"parent pid=%%d user rip=%%#lx\\n\", current->pid, $parent_ip\n"
	"finish\n"
	"printf \"child pid=%%d pt_regs.ax=%%ld\\n\", $child->pid, ((struct pt_regs *)$child->thread.sp0 - 1)->ax\n"
	"delete\n"
	"break ret_from_fork\n"
	"continue\n"
	"printf \"at ret_from_fork: pid=%%d\\n\", current->pid\n"
	"echo " PS_BEGIN "\\n\n"
	"forklab-ps\n"
	"echo " PS_END "\\n\n"
	"echo " THREADS_BEGIN "\\n\n"
	"info threads\n"
	"echo " THREADS_END "\\n\n"
	"delete\n"
	"while ($cs & 3) == 0\n"
	"  stepi\n"
	"end\n"
	"printf \"first user instruction: pid=%%d rax=%%#lx rip=%%#lx cs=%%#lx\\n\", current->pid, $rax, $rip, $cs\n"
	"kill\n";

struct gdb_run {
	struct spawn_result gdb;
	int forklab_status;
	char forklab_out[8192];
};

static void exec_gdb(void *arg)
{
	execlp("gdb", "gdb", "-batch", "-nx", "-x", (const char *)arg, (char *)NULL);
	_exit(127);
}

static void read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* forklab with --gdb on a Unix socket in a fresh directory and then the
 * options and PROGRAM in args, then gdb with the session script (a format
 * taking the socket's path), then forklab's end. */
static struct gdb_run run_session(const char *script_fmt, const char *const *args)
{
	struct gdb_run r = { 0 };
	char dir[] = "/tmp/forklab-gdb-XXXXXX", sock[64], script[64], out[64], addr[80];
	TEST_ASSERT(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof sock, "%s/sock", dir);
	snprintf(script, sizeof script, "%s/session.gdb", dir);
	snprintf(out, sizeof out, "%s/forklab.out", dir);
	snprintf(addr, sizeof addr, "unix:%s", sock);
	FILE *f = fopen(script, "w");
	TEST_ASSERT(f != NULL, "%s: %s", script, strerror(errno));
	fprintf(f, script_fmt, sock);
	fclose(f);

	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		const char *argv[16] = { FR_FORKLAB, "run", "--gdb", addr };
		for (int i = 0; args[i] && i < 11; i++)
			argv[4 + i] = args[i];
		execv(FR_FORKLAB, (char *const *)argv);
		_exit(127);
	}
	struct stat st;
	double t0 = spawn_now_s();
	while (stat(sock, &st) < 0 && spawn_now_s() - t0 < 60 && waitpid(pid, NULL, WNOHANG) == 0)
		usleep(20000);
	struct spawn_opts o = { .exec = exec_gdb, .arg = script, .deadline_s = GDB_GUARD_S,
				.own_group = true };
	r.gdb = spawn_run(&o);

	/* gdb has killed the guest by now, or failed: forklab must end either way. */
	int ws = 0;
	for (t0 = spawn_now_s(); waitpid(pid, &ws, WNOHANG) == 0; usleep(20000))
		if (spawn_now_s() - t0 > 30) {
			kill(pid, SIGKILL);
			waitpid(pid, &ws, 0);
			break;
		}
	r.forklab_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	read_file(out, r.forklab_out, sizeof r.forklab_out);
	unlink(out);
	unlink(script);
	unlink(sock);
	rmdir(dir);
	return r;
}

/* The line of text that starts with prefix; NULL if none. */
static const char *line_with(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, prefix, strlen(prefix)))
			return l;
	return NULL;
}

/* The text between two marks; NULL if either is missing. */
static char *between(const char *text, const char *begin, const char *end)
{
	const char *b = line_with(text, begin), *e = line_with(text, end);
	if (!b || !e || e < b)
		return NULL;
	b = strchr(b, '\n') + 1;
	return strndup(b, (size_t)(e - b));
}

/* Lines between the two marks that list a task (they start with a pid). */
static int ps_tasks(const char *text)
{
	const char *b = line_with(text, PS_BEGIN), *e = line_with(text, PS_END);
	int n = 0, pid;
	for (const char *l = b; b && e && l < e; l = strchr(l, '\n') + 1)
		n += sscanf(l, " %d %*d ", &pid) == 1;
	return n;
}

Test(gdb, fork_demo_session)
{
	struct gdb_run r = run_session(session, (const char *const[]){ "fork-demo", NULL });
	const char *out = r.gdb.out;
	cr_log_info("gdb's output:\n%s\ngdb's stderr:\n%s\nforklab's:\n%s", out, r.gdb.err,
		    r.forklab_out);
	TEST_ASSERT(!r.gdb.deadline_hit, "gdb ran past %.0f s", GDB_GUARD_S);
	TEST_ASSERT(strstr(out, "Breakpoint 1, copy_thread (") != NULL,
		    "gdb stopped at copy_thread; its output:\n%s%s", out, r.gdb.err);

	unsigned long parent_ip = 0, rax = 1, rip = 0, cs = 0;
	int parent = 0, child = 0, pid = 0;
	long ax = -1;
	const char *l = line_with(out, "parent pid=");
	TEST_ASSERT(l && sscanf(l, "parent pid=%d user rip=%lx", &parent, &parent_ip) == 2,
		    "the parent's pt_regs.ip was printed:\n%s", out);
	l = line_with(out, "child pid=");
	TEST_ASSERT(l && sscanf(l, "child pid=%d pt_regs.ax=%ld", &child, &ax) == 2,
		    "the child's pt_regs.ax was printed after finish:\n%s", out);
	TEST_ASSERT_EQ(parent, 1);
	TEST_ASSERT_EQ(child, 2);
	TEST_ASSERT_EQ(ax, 0, "the child's pt_regs.ax after copy_thread returned");

	TEST_ASSERT(strstr(out, ", ret_from_fork (") != NULL, "gdb stopped at ret_from_fork:\n%s", out);
	l = line_with(out, "at ret_from_fork: pid=");
	TEST_ASSERT(l && sscanf(l, "at ret_from_fork: pid=%d", &pid) == 1 && pid == child,
		    "the child is the task at ret_from_fork:\n%s", out);
	TEST_ASSERT_EQ(ps_tasks(out), 2, "tasks listed by forklab-ps:\n%s", out);
	TEST_ASSERT(line_with(out, "   2    1 running  fork-demo") != NULL,
		    "forklab-ps lists the child as pid 2, ppid 1, running:\n%s", out);
	/* gdb names both tasks from qXfer:threads:read: "name" in quotes, the
	 * rest in parentheses. */
	char *threads = between(out, THREADS_BEGIN, THREADS_END);
	TEST_ASSERT(threads != NULL, "info threads was printed:\n%s", out);
	TEST_ASSERT(strstr(threads, "Thread 1 \"fork-demo\" (pid 1 ppid 0 zombie)"),
		    "info threads names the parent:\n%s", threads);
	TEST_ASSERT(strstr(threads, "Thread 2 \"fork-demo\" (pid 2 ppid 1 running (on the vCPU))"),
		    "info threads names the child:\n%s", threads);
	free(threads);

	l = line_with(out, "first user instruction: ");
	TEST_ASSERT(l && sscanf(l, "first user instruction: pid=%d rax=%lx rip=%lx cs=%lx", &pid, &rax,
				&rip, &cs) == 4, "the registers at the first user instruction:\n%s", out);
	TEST_ASSERT_EQ(pid, child);
	TEST_ASSERT_EQ(cs, FL_USER_CS);
	TEST_ASSERT_EQ(rax, 0, "the child's RAX at its first user instruction");
	TEST_ASSERT_EQ(rip, parent_ip, "the child's first RIP against the parent's pt_regs.ip");

	TEST_ASSERT_EQ(r.forklab_status, 128 + SIGKILL, "forklab's status after gdb's kill:\n%s",
		       r.forklab_out);
	TEST_ASSERT(strstr(r.forklab_out, "forklab: gdb killed the guest\n") != NULL,
		    "forklab says gdb killed the guest:\n%s", r.forklab_out);
}

/* --gdb-nowait: the guest runs at once; gdb's connection stops it (SIGIO on
 * the listening socket ends KVM_RUN), and so does a ^C (gdb's interrupt);
 * after detach the guest runs on. */
static const char attach[] =
	GDB_SETUP
	"target remote %s\n"
	"printf \"attached: pid=%%d cs=%%#lx\\n\", current->pid, $cs\n"
	"info threads\n"
	/* gdb's ^C, two seconds into a continue (batch mode has no terminal). */
	"python import threading; threading.Timer(2, lambda: gdb.post_event("
	"lambda: gdb.execute('interrupt'))).start()\n"
	"continue\n"
	"printf \"interrupted: pid=%%d cs=%%#lx\\n\", current->pid, $cs\n"
	"detach\n";

Test(gdb, nowait_attach_interrupt_detach)
{
	struct gdb_run r = run_session(attach, (const char *const[]){ "--gdb-nowait", "--timeout", "20",
								      "spin", NULL });
	const char *out = r.gdb.out;
	int pid = 0;
	unsigned long cs = 0;
	cr_log_info("gdb's output:\n%s\ngdb's stderr:\n%s\nforklab's:\n%s", out, r.gdb.err,
		    r.forklab_out);
	const char *l = line_with(out, "attached: ");
	TEST_ASSERT(l && sscanf(l, "attached: pid=%d cs=%lx", &pid, &cs) == 2,
		    "gdb attached to the running guest:\n%s%s", out, r.gdb.err);
	TEST_ASSERT_EQ(pid, 1);
	/* The stop lands where the vCPU was: nearly always spin's loop, now and
	 * then the kernel's timer tick (seen once in CI, cs 0x10). */
	TEST_ASSERT(cs == FL_USER_CS || cs == FL_KERNEL_CS,
		    "spin was stopped in user mode or in its tick: cs %#lx", cs);
	TEST_ASSERT(strstr(out, "Thread 1 \"spin\" (pid 1 ppid 0 running (on the vCPU))") != NULL,
		    "info threads names the task:\n%s", out);
	l = line_with(out, "interrupted: ");
	TEST_ASSERT(l && sscanf(l, "interrupted: pid=%d cs=%lx", &pid, &cs) == 2,
		    "gdb's interrupt stopped the guest:\n%s%s", out, r.gdb.err);
	TEST_ASSERT_EQ(pid, 1);
	/* Detached, spin runs on until its --timeout. */
	TEST_ASSERT_EQ(r.forklab_status, 124, "forklab's status:\n%s", r.forklab_out);
}

/* A register write for a task that is not running: after copy_thread the
 * child (pid 2) has never run; its user_rax is its pt_regs.ax, fork's return
 * value in the child. gdb sets it to 42, and fork-ret's child exits with
 * what fork returned to it. Its rax (kernel mode, at ret_from_fork) has no
 * saved home: the write is refused. */
static const char set_child_rax[] =
	GDB_SETUP
	"source tools/gdb/forklab.py\n"
	"target remote %s\n"
	"break copy_thread\n"
	"continue\n"
	"finish\n"
	"python\n"
	"child = [t for t in gdb.selected_inferior().threads() if t.ptid[1] == 2]\n"
	"child[0].switch()\n"
	"print('selected: %%s, on the vCPU: pid %%d' %% (child[0].ptid[1], gdb.parse_and_eval('current->pid')))\n"
	"end\n"
	"printf \"before: user_rax=%%ld pt_regs.ax=%%ld rip=%%#lx\\n\", $user_rax, ((struct pt_regs *)$forklab_task(2)->thread.sp0 - 1)->ax, $rip\n"
	"set var $user_rax = 42\n"
	"maint flush register-cache\n"
	"printf \"after: user_rax=%%ld pt_regs.ax=%%ld\\n\", $user_rax, ((struct pt_regs *)$forklab_task(2)->thread.sp0 - 1)->ax\n"
	"python\n"
	"try:\n"
	"    gdb.execute('set var $rax = 1')\n"
	"    print('rax write: accepted')\n"
	"except gdb.error as e:\n"
	"    print('rax write: refused: %%s' %% e)\n"
	"end\n"
	"delete\n"
	"continue\n";

Test(gdb, write_user_rax_of_child_not_running)
{
	struct gdb_run r = run_session(set_child_rax, (const char *const[]){ "fork-ret", NULL });
	const char *out = r.gdb.out;
	long user_rax = -1, ax = -1;
	unsigned long rip = 0;
	uint64_t ret_from_fork = 0;
	cr_log_info("gdb's output:\n%s\ngdb's stderr:\n%s\nforklab's:\n%s", out, r.gdb.err,
		    r.forklab_out);
	TEST_ASSERT(!r.gdb.deadline_hit, "gdb ran past %.0f s", GDB_GUARD_S);
	TEST_ASSERT(line_with(out, "selected: 2, on the vCPU: pid 1") != NULL,
		    "the child is selected while the parent runs:\n%s%s", out, r.gdb.err);
	const char *l = line_with(out, "before: ");
	TEST_ASSERT(l && sscanf(l, "before: user_rax=%ld pt_regs.ax=%ld rip=%lx", &user_rax, &ax, &rip) == 3,
		    "the child's registers before the write:\n%s", out);
	TEST_ASSERT_EQ(user_rax, 0, "the child's user_rax after copy_thread");
	TEST_ASSERT_EQ(ax, 0, "the child's pt_regs.ax after copy_thread");
	struct fl_kernel k;
	char err[256];
	TEST_ASSERT_EQ(fl_kernel_open("build/kernel.elf", &k, err, sizeof err), 0, "%s", err);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "ret_from_fork", &ret_from_fork), 0);
	fl_kernel_close(&k);
	TEST_ASSERT_EQ(rip, ret_from_fork, "a child that never ran stands at ret_from_fork");
	l = line_with(out, "after: ");
	TEST_ASSERT(l && sscanf(l, "after: user_rax=%ld pt_regs.ax=%ld", &user_rax, &ax) == 2,
		    "the child's registers after the write:\n%s", out);
	TEST_ASSERT_EQ(user_rax, 42, "the child's user_rax read back from the stub");
	TEST_ASSERT_EQ(ax, 42, "the child's pt_regs.ax in guest memory");
	TEST_ASSERT(line_with(out, "rax write: refused: Could not write register \"rax\"; remote failure reply 'E22'"),
		    "the child's kernel rax has no home:\n%s", out);
	TEST_ASSERT(strstr(out, "[Inferior 1 (Remote target) exited with code 052]") != NULL,
		    "the run ends with the child's status, 42:\n%s%s", out, r.gdb.err);
	TEST_ASSERT(strstr(r.forklab_out, "child pid 2: fork returned 42\n") != NULL,
		    "the child saw 42 from fork:\n%s", r.forklab_out);
	TEST_ASSERT(strstr(r.forklab_out, "parent pid 1: fork returned 2; child 2 exited 42\n") != NULL,
		    "the parent saw the child exit 42:\n%s", r.forklab_out);
	TEST_ASSERT_EQ(r.forklab_status, 42, "forklab's status:\n%s", r.forklab_out);
}

/* Hardware breakpoints and watchpoints: in the debug registers on hardware
 * KVM; where breakpoints single-step (PVM, the nested bed) a write
 * watchpoint compares the watched bytes at each step, an execute one
 * checks RIP, and a read one decodes the instruction about to run. The
 * write watchpoint sees the kernel count the fork, the breakpoint the
 * child's first run, the read watchpoint the child's first page allocation
 * or free (the count's increment or decrement reads it). */
static const char hw_session[] =
	GDB_SETUP
	"target remote %s\n"
	"watch fl_kstate.forks\n"
	"continue\n"
	"printf \"watch stop: pid=%%d forks=%%lu\\n\", current->pid, fl_kstate.forks\n"
	"delete\n"
	"hbreak ret_from_fork\n"
	"continue\n"
	"printf \"hbreak stop: pid=%%d\\n\", current->pid\n"
	"delete\n"
	"rwatch fl_kstate.free_pages\n"
	"continue\n"
	"printf \"rwatch stop: pid=%%d\\n\", current->pid\n"
	"kill\n";

/* The session's stops, by either method. */
static void check_hw_session(const struct gdb_run *r)
{
	const char *out = r->gdb.out;
	int pid = 0;
	unsigned long forks = 0;
	cr_log_info("gdb's output:\n%s\ngdb's stderr:\n%s\nforklab's:\n%s", out, r->gdb.err,
		    r->forklab_out);
	TEST_ASSERT(!r->gdb.deadline_hit, "gdb ran past %.0f s", GDB_GUARD_S);
	TEST_ASSERT(strstr(out, "Hardware watchpoint 1: fl_kstate.forks\n\nOld value = 0\nNew value = 1\n"),
		    "the watchpoint saw fork's count go from 0 to 1:\n%s%s", out, r->gdb.err);
	const char *l = line_with(out, "watch stop: ");
	TEST_ASSERT(l && sscanf(l, "watch stop: pid=%d forks=%lu", &pid, &forks) == 2,
		    "the task at the watchpoint:\n%s", out);
	TEST_ASSERT_EQ(pid, 1, "the parent counts its fork");
	TEST_ASSERT_EQ(forks, 1);
	TEST_ASSERT(strstr(out, "hit Breakpoint 2, ret_from_fork ()"), "the hardware breakpoint:\n%s", out);
	l = line_with(out, "hbreak stop: ");
	TEST_ASSERT(l && sscanf(l, "hbreak stop: pid=%d", &pid) == 1, "the task at ret_from_fork:\n%s", out);
	TEST_ASSERT_EQ(pid, 2, "the child's first run");
	TEST_ASSERT(strstr(out, "Hardware read watchpoint 3: fl_kstate.free_pages\n\nValue = "),
		    "the read watchpoint saw the free-page count read:\n%s%s", out, r->gdb.err);
	TEST_ASSERT(strstr(out, " in page_alloc") || strstr(out, " in page_free"), "in the page allocator:\n%s", out);
	l = line_with(out, "rwatch stop: ");
	TEST_ASSERT(l && sscanf(l, "rwatch stop: pid=%d", &pid) == 1, "the task at the read:\n%s", out);
	TEST_ASSERT_EQ(pid, 2, "the child's page");
	TEST_ASSERT_EQ(r->forklab_status, 128 + SIGKILL, "forklab's status:\n%s", r->forklab_out);
}

/* With the method the probe chose for this /dev/kvm. */
Test(gdb, hardware_breakpoint_and_watchpoint)
{
	struct gdb_run r = run_session(hw_session, (const char *const[]){ "fork-demo", NULL });
	check_hw_session(&r);
}

/* With PVM's, single-stepping, whatever this /dev/kvm is. */
Test(gdb, hardware_breakpoint_and_watchpoint_stepped)
{
	TEST_ASSERT_EQ(setenv("FORKLAB_GDB_BREAKPOINTS", "step", 1), 0);
	struct gdb_run r = run_session(hw_session, (const char *const[]){ "fork-demo", NULL });
	check_hw_session(&r);
}

/* Read and access watchpoints on a user variable (guest-user/watch-var.c):
 * in the debug registers on hardware KVM; where breakpoints single-step,
 * by decoding each instruction before its step (vmm/gdb/access.c). The
 * read watchpoint stops after peek's read, the access one after poke's
 * write and after the second peek's read; then the program runs to its
 * end. */
static const char rwatch_session[] =
	GDB_SETUP
	"add-symbol-file build/guest/watch-var\n"
	"target remote %s\n"
	"printf \"functions: peek=%%#lx poke=%%#lx\\n\", &peek, &poke\n"
	"hbreak main\n"
	"continue\n"
	"delete\n"
	"rwatch watched\n"
	"continue\n"
	"printf \"rwatch stop: pid=%%d rip=%%#lx\\n\", current->pid, $rip\n"
	"delete\n"
	"awatch watched\n"
	"continue\n"
	"printf \"awatch stop 1: rip=%%#lx\\n\", $rip\n"
	"continue\n"
	"printf \"awatch stop 2: rip=%%#lx\\n\", $rip\n"
	"delete\n"
	"continue\n";

static void check_rwatch_session(const struct gdb_run *r)
{
	const char *out = r->gdb.out, *l;
	unsigned long rip = 0;
	int pid = 0;
	unsigned long peek = 0, poke = 0;
	cr_log_info("gdb's output:\n%s\ngdb's stderr:\n%s\nforklab's:\n%s", out, r->gdb.err, r->forklab_out);
	TEST_ASSERT(!r->gdb.deadline_hit, "gdb ran past %.0f s", GDB_GUARD_S);
	l = line_with(out, "functions: ");
	TEST_ASSERT(l && sscanf(l, "functions: peek=%lx poke=%lx", &peek, &poke) == 2,
		    "gdb read watch-var's symbols:\n%s%s", out, r->gdb.err);
	TEST_ASSERT(strstr(out, "Hardware read watchpoint 2: watched\n\nValue = 41\n"),
		    "the read watchpoint saw peek read 41:\n%s%s", out, r->gdb.err);
	l = line_with(out, "rwatch stop: ");
	TEST_ASSERT(l && sscanf(l, "rwatch stop: pid=%d rip=%lx", &pid, &rip) == 2, "the read's stop:\n%s", out);
	TEST_ASSERT_EQ(pid, 1);
	TEST_ASSERT(rip > peek && rip < peek + 16, "stopped in peek (%#lx), after its read: %#lx", peek, rip);
	TEST_ASSERT(strstr(out, "in peek () at guest-user/watch-var.c:"), "gdb's stop location:\n%s", out);
	TEST_ASSERT(strstr(out, "Hardware access (read/write) watchpoint 3: watched\n\nOld value = 41\nNew value = 42\n"),
		    "the access watchpoint saw poke write 42:\n%s%s", out, r->gdb.err);
	l = line_with(out, "awatch stop 1: ");
	TEST_ASSERT(l && sscanf(l, "awatch stop 1: rip=%lx", &rip) == 1, "the write's stop:\n%s", out);
	TEST_ASSERT(rip > poke && rip < poke + 16, "stopped in poke (%#lx), after its write: %#lx", poke, rip);
	TEST_ASSERT(strstr(out, "in poke (v=v@entry=42) at guest-user/watch-var.c:"), "gdb's stop location:\n%s", out);
	TEST_ASSERT(strstr(out, "Hardware access (read/write) watchpoint 3: watched\n\nValue = 42\n"),
		    "the access watchpoint saw peek read 42:\n%s%s", out, r->gdb.err);
	l = line_with(out, "awatch stop 2: ");
	TEST_ASSERT(l && sscanf(l, "awatch stop 2: rip=%lx", &rip) == 1, "the second read's stop:\n%s", out);
	TEST_ASSERT(rip > peek && rip < peek + 16, "stopped in peek (%#lx) again: %#lx", peek, rip);
	TEST_ASSERT(strstr(out, "[Inferior 1 (Remote target) exited normally]"), "the program ran to its end:\n%s", out);
	TEST_ASSERT(strstr(r->forklab_out, "watched: 41, then 42\n"), "the program's output:\n%s", r->forklab_out);
	TEST_ASSERT_EQ(r->forklab_status, 0, "forklab's status:\n%s", r->forklab_out);
}

/* With the method the probe chose for this /dev/kvm. */
Test(gdb, read_and_access_watchpoints)
{
	struct gdb_run r = run_session(rwatch_session, (const char *const[]){ "watch-var", NULL });
	check_rwatch_session(&r);
}

/* With PVM's, single-stepping, whatever this /dev/kvm is. */
Test(gdb, read_and_access_watchpoints_stepped)
{
	TEST_ASSERT_EQ(setenv("FORKLAB_GDB_BREAKPOINTS", "step", 1), 0);
	struct gdb_run r = run_session(rwatch_session, (const char *const[]){ "watch-var", NULL });
	check_rwatch_session(&r);
}

/* The guest's end reaches gdb: W with the exit code, X with the signal. */
static const char run_to_end[] =
	"set confirm off\n"
	"file build/kernel.elf\n"
	"target remote %s\n"
	"continue\n";

Test(gdb, exit_reaches_gdb)
{
	struct gdb_run r = run_session(run_to_end, (const char *const[]){ "exit-status", "3", NULL });
	TEST_ASSERT(strstr(r.gdb.out, "[Inferior 1 (Remote target) exited with code 03]") != NULL,
		    "gdb saw exit code 3:\n%s%s", r.gdb.out, r.gdb.err);
	TEST_ASSERT_EQ(r.forklab_status, 3, "forklab's status:\n%s", r.forklab_out);
	r = run_session(run_to_end, (const char *const[]){ "fault", NULL });
	TEST_ASSERT(strstr(r.gdb.out, "Program terminated with signal SIGSEGV, Segmentation fault.") != NULL,
		    "gdb saw SIGSEGV:\n%s%s", r.gdb.out, r.gdb.err);
	TEST_ASSERT_EQ(r.forklab_status, 128 + SIGSEGV, "forklab's status:\n%s", r.forklab_out);
}

Test(gdb, bad_address)
{
	struct fr_result r = FORKLAB("run", "--gdb", "host:0", "hello");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_EQ(r, err, "forklab: --gdb host:0: not [HOST:]PORT (PORT 1..65535) or unix:PATH\n");
	r = FORKLAB("run", "--gdb-nowait", "hello");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_EQ(r, err, "forklab: run: --gdb-nowait needs --gdb\n");
}

/* Nothing listens where the socket cannot be made: one line, status 2, and
 * the guest never ran. */
Test(gdb, unusable_socket)
{
	struct fr_result r = FORKLAB("run", "--gdb", "unix:/nonexistent-dir/sock", "hello");
	TEST_ASSERT_RUN_STATUS(r, 2);
	TEST_ASSERT_RUN_EQ(r, out, "");
	TEST_ASSERT_RUN_EQ(r, err, "forklab: --gdb unix:/nonexistent-dir/sock: No such file or directory\n");
}
