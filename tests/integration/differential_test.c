/* Differential tests: the same musl-static binary, build/guest/NAME, run
 * natively on this Linux host and as init in forklab's guest, must print the
 * same stdout and end with the same status (128+N when killed by signal N,
 * forklab's convention). stderr differs by design: forklab's kernel reports
 * faults there, Linux does not.
 *
 * Native runs are contained: a misbuilt vfork-magic (see the Makefile's -O0)
 * vforks in a loop, each child exiting unreaped, and fills the host's pid
 * table within seconds, long before any CPU or wall-clock limit. So each
 * native run gets a cap on its processes, RLIMIT_NPROC; as that never binds
 * uid 0, a run started by root drops to NATIVE_UID first. Each also runs in a
 * process group of its own under RLIMIT_CPU, is killed after NATIVE_WALL_S,
 * and its whole group is SIGKILLed when the run ends, always. */
#include "common/forklab_run.h"
#include "common/spawn.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NATIVE_CPU_S 10   /* RLIMIT_CPU of every native process */
#define NATIVE_WALL_S 20  /* then the run's process group is killed */
#define NATIVE_NPROC 256  /* tasks (threads too) a native run may add to its uid's */
#define NATIVE_UID 65534  /* nobody: root's native runs drop to it, for RLIMIT_NPROC */
#define GUEST_DIR "build/guest/"
#define NATIVE_STR_(x) #x
#define NATIVE_STR(x) NATIVE_STR_(x)

/* Linux-observed (Linux 6.x, x86-64, this -O0 build): the vfork child prints
 * its line, returns from createproc into main, prints its "pid" 0 and exits,
 * flushing both lines; the parent then returns through the frame the child
 * overwrote and dies of SIGSEGV. */
#define VFORK_MAGIC_OUT "child proc:0\n0\n"
#define VFORK_MAGIC_STATUS (128 + SIGSEGV)

struct native {
	struct fr_result r;  /* cmd starts with "native:"; signal stays 0, status is 128+N */
	double exit_secs;    /* until the program itself exited (or was killed) */
	bool exited;         /* it exited within NATIVE_WALL_S */
	bool timed_out;      /* it, or something holding its stdout, outlived NATIVE_WALL_S */
};

/* The tasks (processes and their threads) that uid has now, as RLIMIT_NPROC
 * counts them: procfs gives /proc/PID/task 2 + threads links. */
static long tasks_of(uid_t uid)
{
	long n = 0;
	DIR *d = opendir("/proc");
	TEST_ASSERT(d, "/proc: %s", strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		char path[300];
		struct stat st;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/task", e->d_name);
		if (stat(path, &st) == 0 && st.st_uid == uid)
			n += st.st_nlink > 2 ? (long)st.st_nlink - 2 : 1;
	}
	closedir(d);
	return n;
}

struct native_exec {
	char *const *av;
	const struct rlimit *nproc;
};

/* In the child, stdio in place and in its own process group: CPU and task
 * limits (as NATIVE_UID if we are root), default signals, exec. Any failure
 * to contain the run ends it before exec. Only async-signal-safe calls: the
 * test process may have threads. */
static void native_exec(void *arg)
{
	static char *const envp[] = { "HOME=/", "TERM=linux", NULL }; /* the guest's */
	static const gid_t gid = NATIVE_UID;
	const struct native_exec *a = arg;
	struct rlimit cpu = { NATIVE_CPU_S, NATIVE_CPU_S };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
#define FAIL(code, msg) do { (void)!write(2, msg "\n", sizeof msg); _exit(code); } while (0)
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_NPROC, a->nproc) < 0)
		FAIL(126, "native_child: setrlimit failed");
	if (getuid() == 0 || geteuid() == 0)
		if (setgroups(1, &gid) < 0 || setgid(NATIVE_UID) < 0 || setuid(NATIVE_UID) < 0 ||
		    getuid() == 0 || geteuid() == 0)
			FAIL(126, "native_child: cannot drop root to uid " NATIVE_STR(NATIVE_UID));
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* SIG_IGN survives exec; SIGKILL/STOP just fail */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(a->av[0], a->av, envp);
	FAIL(127, "native_child: execve failed");
#undef FAIL
}

/* Runs build/guest/NAME [ARG] natively, stdin empty, stdout and stderr
 * captured until both are at EOF and the program has exited; its whole
 * process group is SIGKILLed at the end, always. */
static struct native native_run(const char *name, const char *arg)
{
	struct native n = { 0 };
	char path[256];
	snprintf(path, sizeof path, GUEST_DIR "%s", name);
	char *const av[] = { path, (char *)arg, NULL };
	snprintf(n.r.cmd, sizeof n.r.cmd, "native: %s%s%s", path, arg ? " " : "", arg ? arg : "");
	TEST_ASSERT(access(path, X_OK) == 0, "%s: %s (build with `make all`, run from the repo root)",
		    path, strerror(errno));

	/* The cap: NATIVE_NPROC more than the uid the run will have already has. */
	bool root = getuid() == 0 || geteuid() == 0;
	struct rlimit nproc;
	TEST_ASSERT(getrlimit(RLIMIT_NPROC, &nproc) == 0, "getrlimit: %s", strerror(errno));
	rlim_t cap = tasks_of(root ? NATIVE_UID : getuid()) + NATIVE_NPROC;
	nproc.rlim_cur = nproc.rlim_max = root || cap < nproc.rlim_max ? cap : nproc.rlim_max;
	struct native_exec ne = { av, &nproc };
	struct spawn_result s = spawn_run(&(struct spawn_opts){
		.exec = native_exec, .arg = &ne, .deadline_s = NATIVE_WALL_S, .own_group = true,
		.stop_at_deadline = true,
	});
	n.exit_secs = s.exit_secs;
	n.exited = s.exited;
	n.timed_out = s.deadline_hit;
	n.r.secs = s.secs;
	n.r.out = s.out, n.r.out_len = s.out_len;
	n.r.err = s.err, n.r.err_len = s.err_len;
	n.r.status = WIFSIGNALED(s.wait_status) ? 128 + WTERMSIG(s.wait_status) :
						  WEXITSTATUS(s.wait_status);
	TEST_ASSERT_RUN(n.timed_out ? fr_explain(&n.r, "the native run outlived %d s (or something it "
					       "started kept its stdout open); its process group was "
					       "killed", NATIVE_WALL_S) : NULL);
	TEST_ASSERT_RUN(!strncmp(n.r.err, "native_child: ", 14) ?
			fr_explain(&n.r, "the native run could not start (status %d)", n.r.status) : NULL);
	return n;
}

/* `forklab run --timeout SECS NAME [ARG]`: stdout and status as the user sees them. */
static struct fr_result guest_run(unsigned secs, const char *name, const char *arg)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%u", secs);
	struct fr_opts o = { .guard_s = secs + 60 };
	return fr_run(&o, (const char *const[]){ "run", "--timeout", timeout, name, arg, NULL });
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s (each with its newline; a last unterminated one kept as is)
 * in sorted order. */
static char *sorted_lines(const char *s, size_t len)
{
	size_t n = 0, cap = 16;
	char **lines = malloc(cap * sizeof *lines);
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(s + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (s + at)) + 1 : len - at;
		if (n == cap)
			lines = realloc(lines, (cap *= 2) * sizeof *lines);
		lines[n++] = strndup(s + at, l);
		at += l;
	}
	qsort(lines, n, sizeof *lines, cmp_lines);
	char *out = calloc(1, len + 1);
	for (size_t i = 0; i < n; i++)
		strcat(out, lines[i]);
	return out;
}

/* The guest's stdout and status are the native run's; stdout compared line
 * by line in sorted order if the line order is the scheduler's. */
static void assert_same(const struct fr_result *guest, const struct native *native, bool sort)
{
	const char *g = guest->out, *nat = native->r.out;
	size_t glen = guest->out_len, nlen = native->r.out_len;
	if (sort) {
		g = sorted_lines(g, glen);
		nat = sorted_lines(nat, nlen);
	}
	char field[1200];
	snprintf(field, sizeof field, "guest stdout%s, expected to be the native run's (%s)",
		 sort ? " (lines sorted)" : "", native->r.cmd);
	TEST_ASSERT_RUN(fr_check_eq(guest, field, g, glen, nat, nlen));
	TEST_ASSERT_RUN(guest->status == native->r.status ? NULL :
			fr_explain(guest, "exit status: native %d (%s), guest %d", native->r.status,
			native->r.cmd, guest->status));
}

/* Both runs of build/guest/NAME [ARG]: natively with native_arg, in the guest
 * with guest_arg. */
static void differential(unsigned secs, const char *name, const char *native_arg,
			 const char *guest_arg, bool sort)
{
	struct native n = native_run(name, native_arg);
	struct fr_result g = guest_run(secs, name, guest_arg);
	/* Every program here prints: an empty native stdout means a broken run. */
	TEST_ASSERT_RUN(n.r.out_len ? NULL : fr_explain(&n.r, "the native run printed nothing"));
	assert_same(&g, &n, sort);
}

Test(differential, hello) { differential(60, "hello", NULL, NULL, false); }
Test(differential, clone_stack) { differential(60, "clone-stack", NULL, NULL, false); }
Test(differential, pthreads) { differential(60, "pthreads", NULL, NULL, false); }
Test(differential, cow) { differential(60, "cow", NULL, NULL, false); }
Test(differential, wait_status) { differential(60, "wait-status", NULL, NULL, false); }
Test(differential, fork_storm) { differential(120, "fork-storm", NULL, NULL, false); }
/* Handlers, masks, restarts, stops, groups, timers, faults (guest-user/signals.c). */
Test(differential, signals) { differential(120, "signals", NULL, NULL, false); }

/* Parent and child each print a line; their order is the scheduler's. */
Test(differential, fork_demo) { differential(60, "fork-demo", NULL, NULL, true); }

/* The program to spawn, by its path on each side: then the outputs agree. */
Test(differential, posix_spawn)
{
	char hello[PATH_MAX];
	TEST_ASSERT(realpath(GUEST_DIR "hello", hello), GUEST_DIR "hello: %s", strerror(errno));
	differential(60, "posix-spawn", hello, "/bin/hello", false);
}

/* Seed 002: Linux's behaviour, written down, then the guest against a live
 * native run. The native run must end on its own, quickly: a runaway would
 * be this binary misbuilt (see the Makefile's -O0). */
Test(differential, vfork_magic)
{
	struct native n = native_run("vfork-magic", NULL);
	TEST_ASSERT_RUN(n.exit_secs < 5 ? NULL : fr_explain(&n.r, "the native run took %.2f s, expected "
			"under 5 s", n.exit_secs));
	TEST_ASSERT_RUN(fr_check_eq(&n.r, "native stdout (Linux-observed)", n.r.out, n.r.out_len,
			VFORK_MAGIC_OUT, strlen(VFORK_MAGIC_OUT)));
	TEST_ASSERT_RUN(n.r.status == VFORK_MAGIC_STATUS ? NULL :
			fr_explain(&n.r, "native exit status %d, expected %d (SIGSEGV, Linux-observed)",
			n.r.status, VFORK_MAGIC_STATUS));

	struct fr_result g = guest_run(60, "vfork-magic", NULL);
	assert_same(&g, &n, false);
	TEST_ASSERT_RUN_MATCHES(g, err, "^forklab: pid 1 killed by SIGSEGV at rip=(0|0x[0-9a-f]+) "
				"addr=(0|0x[0-9a-f]+)$");
}
