/* Native runs for the differential tests (native.h says how they are contained). */
#include "common/native.h"
#include "common/spawn.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NATIVE_STR_(x) #x
#define NATIVE_STR(x) NATIVE_STR_(x)

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
	const char *cwd;
	const struct rlimit *nproc;
	const char *tmpfs_at, *tmpfs_opts; /* a small file system of the run's own, or NULL */
};

/* A tmpfs at a->tmpfs_at in a mount namespace of the child's own, so it goes
 * away with the run: as root directly, else inside a new user namespace. */
static bool native_tmpfs(const struct native_exec *a)
{
	bool root = getuid() == 0 || geteuid() == 0;
	if (unshare(root ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return false;
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	       mount("forklab-native", a->tmpfs_at, "tmpfs", MS_NOSUID | MS_NODEV, a->tmpfs_opts) == 0;
}

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
	if (a->tmpfs_at && !native_tmpfs(a))
		FAIL(126, "native_child: cannot mount the run's tmpfs (no mount or user namespace)");
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_NPROC, a->nproc) < 0)
		FAIL(126, "native_child: setrlimit failed");
	if (getuid() == 0 || geteuid() == 0)
		if (setgroups(1, &gid) < 0 || setgid(NATIVE_UID) < 0 || setuid(NATIVE_UID) < 0 ||
		    getuid() == 0 || geteuid() == 0)
			FAIL(126, "native_child: cannot drop root to uid " NATIVE_STR(NATIVE_UID));
	if (a->cwd && chdir(a->cwd) < 0)
		FAIL(126, "native_child: cannot enter the scratch directory");
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* SIG_IGN survives exec; SIGKILL/STOP just fail */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(a->av[0], a->av, envp);
	FAIL(127, "native_child: execve failed");
#undef FAIL
}

static struct native native_run(char *const *av, const char *cwd, const char *tmpfs_at,
				const char *tmpfs_opts)
{
	struct native n = { 0 };
	size_t at = snprintf(n.r.cmd, sizeof n.r.cmd, "native:");
	for (int i = 0; av[i] && at < sizeof n.r.cmd; i++)
		at += snprintf(n.r.cmd + at, sizeof n.r.cmd - at, " %s", av[i]);

	/* The cap: NATIVE_NPROC more than the uid the run will have already has. */
	bool root = getuid() == 0 || geteuid() == 0;
	struct rlimit nproc;
	TEST_ASSERT(getrlimit(RLIMIT_NPROC, &nproc) == 0, "getrlimit: %s", strerror(errno));
	rlim_t cap = tasks_of(root ? NATIVE_UID : getuid()) + NATIVE_NPROC;
	nproc.rlim_cur = nproc.rlim_max = root || cap < nproc.rlim_max ? cap : nproc.rlim_max;
	struct native_exec ne = { av, cwd, &nproc, tmpfs_at, tmpfs_opts };
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

struct native native_run_argv(char *const *av, const char *cwd)
{
	return native_run(av, cwd, NULL, NULL);
}

struct native native_run_tmpfs(char *const *av, const char *cwd, const char *at, const char *opts)
{
	return native_run(av, cwd, at, opts);
}


static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return remove(path) < 0 ? -1 : 0;
}

void native_scratch_remove(char *dir)
{
	TEST_ASSERT(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0, "removing %s: %s", dir,
		    strerror(errno));
	free(dir);
}

char *native_scratch_dir(void)
{
	char *d = strdup("/tmp/forklab-native.XXXXXX");
	TEST_ASSERT(d && mkdtemp(d), "mkdtemp: %s", strerror(errno));
	TEST_ASSERT(chmod(d, 0777) == 0, "chmod %s: %s", d, strerror(errno));
	return d;
}
