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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

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
	cr_assert(d, "/proc: %s", strerror(errno));
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

/* In the child: own process group, CPU and task limits (as NATIVE_UID if we
 * are root), default signals, stdio, exec. Any failure to contain the run
 * ends it before exec. Only async-signal-safe calls: the test process may
 * have threads. */
static void native_child(char *const *av, const struct rlimit *nproc, int in, int out, int err)
{
	static char *const envp[] = { "HOME=/", "TERM=linux", NULL }; /* the guest's */
	static const gid_t gid = NATIVE_UID;
	struct rlimit cpu = { NATIVE_CPU_S, NATIVE_CPU_S };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
#define FAIL(code, msg) do { (void)!write(err, msg "\n", sizeof msg); _exit(code); } while (0)
	if (setpgid(0, 0) < 0 || setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_NPROC, nproc) < 0)
		FAIL(126, "native_child: setpgid or setrlimit failed");
	if (getuid() == 0 || geteuid() == 0)
		if (setgroups(1, &gid) < 0 || setgid(NATIVE_UID) < 0 || setuid(NATIVE_UID) < 0 ||
		    getuid() == 0 || geteuid() == 0)
			FAIL(126, "native_child: cannot drop root to uid " NATIVE_STR(NATIVE_UID));
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* SIG_IGN survives exec; SIGKILL/STOP just fail */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		FAIL(127, "native_child: dup2 failed");
	execve(av[0], av, envp);
	FAIL(127, "native_child: execve failed");
#undef FAIL
}

/* Runs build/guest/NAME [ARG] natively, stdin /dev/null, stdout and stderr
 * captured until both are at EOF and the program has exited. */
static struct native native_run(const char *name, const char *arg)
{
	struct native n = { 0 };
	char path[256];
	snprintf(path, sizeof path, GUEST_DIR "%s", name);
	char *const av[] = { path, (char *)arg, NULL };
	snprintf(n.r.cmd, sizeof n.r.cmd, "native: %s%s%s", path, arg ? " " : "", arg ? arg : "");
	cr_assert(access(path, X_OK) == 0, "%s: %s (build with `make all`, run from the repo root)",
		  path, strerror(errno));

	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	FILE *f[2] = { open_memstream(&bufs[0], &lens[0]), open_memstream(&bufs[1], &lens[1]) };
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC), out[2], err[2];
	cr_assert(f[0] && f[1] && in >= 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0, "open_memstream, /dev/null or pipe2: %s", strerror(errno));
	/* The cap: NATIVE_NPROC more than the uid the run will have already has. */
	bool root = getuid() == 0 || geteuid() == 0;
	struct rlimit nproc;
	cr_assert(getrlimit(RLIMIT_NPROC, &nproc) == 0, "getrlimit: %s", strerror(errno));
	rlim_t cap = tasks_of(root ? NATIVE_UID : getuid()) + NATIVE_NPROC;
	nproc.rlim_cur = nproc.rlim_max = root || cap < nproc.rlim_max ? cap : nproc.rlim_max;
	double t0 = now_s();
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		native_child(av, &nproc, in, out[1], err[1]);
	setpgid(pid, pid); /* as the child does: whichever runs first */
	close(in);
	close(out[1]);
	close(err[1]);
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		int e = errno;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		cr_assert_fail("pidfd_open: %s", strerror(e));
	}

	struct pollfd p[3] = {
		{ .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN },
		{ .fd = pidfd, .events = POLLIN },
	};
	/* The program exits but stays a zombie, unreaped, so that its pid and
	 * process group id cannot be reused before the group is killed below. */
	while (p[0].fd >= 0 || p[1].fd >= 0 || p[2].fd >= 0) {
		double left = t0 + NATIVE_WALL_S - now_s();
		if (left <= 0) {
			n.timed_out = true;
			break;
		}
		int ready = poll(p, 3, (int)(left * 1e3) + 1);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			char chunk[65536];
			ssize_t got = read(p[i].fd, chunk, sizeof chunk);
			if (got > 0) {
				fwrite(chunk, 1, got, f[i]);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		if (p[2].fd >= 0 && p[2].revents) {
			n.exit_secs = now_s() - t0;
			n.exited = true;
			p[2].fd = -1;
		}
	}
	/* Always: whatever the program left behind in its group dies with it. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL); /* in case its setpgid failed */
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	fclose(f[0]);
	fclose(f[1]);
	if (!n.exited)
		n.exit_secs = now_s() - t0;
	n.r.secs = now_s() - t0;
	n.r.out = bufs[0], n.r.out_len = lens[0];
	n.r.err = bufs[1], n.r.err_len = lens[1];
	n.r.status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	FR_CHECK(n.timed_out ? fr_explain(&n.r, "the native run outlived %d s (or something it "
					  "started kept its stdout open); its process group was "
					  "killed", NATIVE_WALL_S) : NULL);
	FR_CHECK(!strncmp(n.r.err, "native_child: ", 14) ?
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
	FR_CHECK(fr_check_eq(guest, field, g, glen, nat, nlen));
	FR_CHECK(guest->status == native->r.status ? NULL :
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
	FR_CHECK(n.r.out_len ? NULL : fr_explain(&n.r, "the native run printed nothing"));
	assert_same(&g, &n, sort);
}

Test(differential, hello) { differential(60, "hello", NULL, NULL, false); }
Test(differential, clone_stack) { differential(60, "clone-stack", NULL, NULL, false); }
Test(differential, pthreads) { differential(60, "pthreads", NULL, NULL, false); }
Test(differential, cow) { differential(60, "cow", NULL, NULL, false); }
Test(differential, wait_status) { differential(60, "wait-status", NULL, NULL, false); }
Test(differential, fork_storm) { differential(120, "fork-storm", NULL, NULL, false); }

/* Parent and child each print a line; their order is the scheduler's. */
Test(differential, fork_demo) { differential(60, "fork-demo", NULL, NULL, true); }

/* The program to spawn, by its path on each side: then the outputs agree. */
Test(differential, posix_spawn)
{
	char hello[PATH_MAX];
	cr_assert(realpath(GUEST_DIR "hello", hello), GUEST_DIR "hello: %s", strerror(errno));
	differential(60, "posix-spawn", hello, "/bin/hello", false);
}

/* Seed 002: Linux's behaviour, written down, then the guest against a live
 * native run. The native run must end on its own, quickly: a runaway would
 * be this binary misbuilt (see the Makefile's -O0). */
Test(differential, vfork_magic)
{
	struct native n = native_run("vfork-magic", NULL);
	FR_CHECK(n.exit_secs < 5 ? NULL : fr_explain(&n.r, "the native run took %.2f s, expected "
						     "under 5 s", n.exit_secs));
	FR_CHECK(fr_check_eq(&n.r, "native stdout (Linux-observed)", n.r.out, n.r.out_len,
			     VFORK_MAGIC_OUT, strlen(VFORK_MAGIC_OUT)));
	FR_CHECK(n.r.status == VFORK_MAGIC_STATUS ? NULL :
		 fr_explain(&n.r, "native exit status %d, expected %d (SIGSEGV, Linux-observed)",
			    n.r.status, VFORK_MAGIC_STATUS));

	struct fr_result g = guest_run(60, "vfork-magic", NULL);
	assert_same(&g, &n, false);
	ASSERT_MATCHES(g, err, "^forklab: pid 1 killed by SIGSEGV at rip=(0|0x[0-9a-f]+) "
			       "addr=(0|0x[0-9a-f]+)$");
}
