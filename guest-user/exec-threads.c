/* execve in a multithreaded process (issue 12), one case per argument. Each
 * case runs in a child whose threads run, sleep or block while one of them
 * execs this program again; the parent prints how the child ended. Linux
 * (fs/exec.c, de_thread) kills every other thread before the new image runs,
 * and a thread other than the leader takes over the process's pid. No pid is
 * printed, only how it relates to the child's, so the output is the same
 * natively and in forklab's guest (tests/integration/differential_test.c).
 *
 *   leader      the leader execs while threads spin, sleep, wait on a futex
 *               and read an empty pipe
 *   nonleader   another thread execs while the leader waits in pthread_join
 *   both        two threads exec at once: one image runs
 *   blocked     a thread execs while the leader waits in pthread_join, one
 *               thread reads an empty pipe and one waits for its vfork child
 *   exit-group  a thread execs; another calls _exit(7) a little later, by
 *               which time it is gone
 *   leader-gone the leader forks a child and exits (pthread_exit); the child
 *               exits, then a thread execs: the new image reaps the child
 *   storm       8 threads exec at once, and the image they make does the
 *               same, 3 images in all
 *
 * The new image (argv[1] "image", then the case, the child's pid and parent,
 * the pipe's fds, and the storm's generation) says whether it runs as the child's pid,
 * with tid == pid and the child's parent, then puts 8 bytes in the pipe the
 * old threads read: an old thread that lived on would take some, and say so.
 * It ends with SYS_exit, its own thread only, so the process ends only if no
 * old thread lives on (else the parent kills it after 10 s, and says so). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_BYTES 8
#define STORM_THREADS 8
#define STORM_IMAGES 3
#define FUTEX_WAIT_PRIVATE 128 /* musl has no <linux/futex.h> */

extern char **environ;

static const char *self;      /* this program's path, as exec got it (AT_EXECFN) */
static const char *case_name;
static pid_t child_pid, child_ppid;
static int pipefd[2];         /* the old threads read it; the new image writes it */
static atomic_int started, go;
static int generation;        /* storm: the images before this one */

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(1);
}

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000 }, NULL);
}

/* execve of this program as the new image; returns only on failure. */
static void exec_image(void)
{
	char a[5][16];
	snprintf(a[0], sizeof a[0], "%d", (int)child_pid);
	snprintf(a[1], sizeof a[1], "%d", (int)child_ppid);
	snprintf(a[2], sizeof a[2], "%d", pipefd[0]);
	snprintf(a[3], sizeof a[3], "%d", pipefd[1]);
	snprintf(a[4], sizeof a[4], "%d", generation + 1);
	char *av[] = { (char *)self, "image", (char *)case_name, a[0], a[1], a[2], a[3], a[4], NULL };
	execve(self, av, environ);
	say("execve failed\n");
	_exit(1);
}

/* ---- what the old threads do: none of it may run after the exec ---- */

static void *spin(void *unused)
{
	started++;
	for (;;) {
		for (volatile long i = 0; i < 100000; i++)
			;
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		char c;
		if (poll(&p, 1, 0) == 1 && read(pipefd[0], &c, 1) == 1) {
			say("an old spinning thread ran after the exec\n");
			return NULL;
		}
	}
}

static void *sleeper(void *unused)
{
	started++;
	nap_ms(1000);
	say("an old thread woke from its sleep after the exec\n");
	return NULL;
}

static int futex_word;

static void *futex_waiter(void *unused)
{
	started++;
	syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	say("an old thread's futex wait returned\n");
	return NULL;
}

static void *reader(void *unused)
{
	char c;
	started++;
	if (read(pipefd[0], &c, 1) == 1)
		say("an old thread read the new image's byte\n");
	return NULL;
}

/* vfork, then wait for the child: the child sleeps, then exits 3 (the new
 * image reaps it). The child writes nothing of its parent's frame
 * (`forklab run --vfork-check` finds nothing). Its sleep outlasts the exec
 * by far: with 300 ms, a native run on a loaded host once exec'd later, and
 * this thread's vfork returned first. */
static void *vforker(void *unused)
{
	static const struct timespec nap = { 2, 0 };
	started++;
	if (vfork() == 0) {
		syscall(SYS_nanosleep, &nap, NULL);
		_exit(3);
	}
	say("an old thread's vfork returned after the exec\n");
	return NULL;
}

static void *execer(void *unused)
{
	started++;
	while (!go)
		;
	exec_image();
	return NULL;
}

static void *exit_group_later(void *unused)
{
	started++;
	nap_ms(200);
	_exit(7);
}

static void start(void *(*fn)(void *), pthread_t *t)
{
	pthread_t own;
	if (pthread_create(t ? t : &own, NULL, fn, NULL)) {
		say("pthread_create failed\n");
		_exit(1);
	}
}

/* Until n threads have started, and a little more for them to block. */
static void wait_started(int n)
{
	while (started < n)
		sched_yield();
	nap_ms(50);
}

static void join(pthread_t t)
{
	pthread_join(t, NULL);
	say("the leader's pthread_join returned after the exec\n");
}

static void case_leader(void)
{
	start(spin, NULL);
	start(spin, NULL);
	start(sleeper, NULL);
	start(futex_waiter, NULL);
	start(reader, NULL);
	wait_started(5);
	exec_image();
}

static void case_nonleader(void)
{
	pthread_t t;
	start(spin, NULL);
	start(execer, &t);
	wait_started(2);
	go = 1;
	join(t);
}

static void case_both(void)
{
	pthread_t t;
	start(execer, &t);
	start(execer, NULL);
	wait_started(2);
	go = 1;
	join(t);
}

static void case_blocked(void)
{
	pthread_t t;
	start(reader, &t);
	start(vforker, NULL);
	start(execer, NULL);
	wait_started(3);
	go = 1;
	join(t);
}

static void case_storm(void)
{
	pthread_t t;
	for (int i = 0; i < STORM_THREADS; i++)
		start(execer, i ? NULL : &t);
	wait_started(STORM_THREADS);
	go = 1;
	join(t);
}

static void case_exit_group(void)
{
	pthread_t t;
	start(exit_group_later, NULL);
	start(execer, &t);
	wait_started(2);
	go = 1;
	join(t);
}

static void *wait_then_exec(void *unused)
{
	started++;
	nap_ms(300);
	exec_image();
	return NULL;
}

static void case_leader_gone(void)
{
	fflush(stdout);
	if (fork() == 0) {
		nap_ms(100);
		_exit(5);
	}
	start(wait_then_exec, NULL);
	wait_started(1);
	pthread_exit(NULL);
}

static void describe(int status, char *buf, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "exit %d", WEXITSTATUS(status));
}

/* Runs fn in a child; prints how it ended, and whether any other child is left. */
static void run_case(const char *name, void (*fn)(void))
{
	fflush(stdout);
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		exit(1);
	}
	if (c == 0) {
		case_name = name;
		child_pid = getpid();
		child_ppid = getppid();
		if (pipe(pipefd) < 0) {
			say("pipe failed\n");
			_exit(1);
		}
		fn();
		_exit(1);
	}
	int status = 0;
	pid_t r = 0;
	for (int i = 0; i < 1000 && !(r = waitpid(c, &status, WNOHANG)); i++)
		nap_ms(10);
	if (!r) {
		printf("%s: still running after 10 s: killed\n", name);
		kill(c, SIGKILL);
		r = waitpid(c, &status, 0);
	}
	char how[64];
	describe(status, how, sizeof how);
	printf("%s: wait4 gave %s, %s\n", name, r == c ? "the child's pid" : "another pid", how);
	errno = 0;
	r = waitpid(-1, &status, WNOHANG);
	printf("%s: then %s\n", name, r < 0 && errno == ECHILD ? "no child left" : "another child");
}

/* The new image: argv is "image" CASE PID PPID RFD WFD GENERATION. */
static int image(char **argv)
{
	const char *name = argv[2];
	pid_t pid = atoi(argv[3]), ppid = atoi(argv[4]);
	int rfd = atoi(argv[5]), wfd = atoi(argv[6]);
	printf("%s: new image %s: pid %s, tid %s, parent %s\n", name, argv[7],
	       getpid() == pid ? "the child's" : "another", syscall(SYS_gettid) == getpid() ? "== pid" : "!= pid",
	       getppid() == ppid ? "the child's" : "another");
	fflush(stdout);
	if (!strcmp(name, "storm") && (generation = atoi(argv[7])) < STORM_IMAGES) {
		case_name = name;
		child_pid = pid;
		child_ppid = ppid;
		pipefd[0] = rfd;
		pipefd[1] = wfd;
		case_storm();
	}
	if (write(wfd, "xxxxxxxx", IMAGE_BYTES) != IMAGE_BYTES)
		say("write to the pipe failed\n");
	nap_ms(!strcmp(name, "exit-group") ? 500 : 200); /* an old thread that lived on would run now */
	int n = 0;
	char c;
	fcntl(rfd, F_SETFL, O_NONBLOCK);
	while (read(rfd, &c, 1) == 1)
		n++;
	printf("%s: new image: the pipe holds %d of its %d bytes\n", name, n, IMAGE_BYTES);
	if (!strcmp(name, "blocked") || !strcmp(name, "leader-gone")) {
		/* The old image's child (its vfork child, made by a thread the exec
		 * killed; or the exited leader's) is the process's: the new image's. */
		int status;
		char how[64];
		pid_t r = waitpid(-1, &status, 0);
		describe(status, how, sizeof how);
		printf("%s: new image: reaped %s, %s\n", name, r > 0 ? "the old image's child" : "nothing",
		       r > 0 ? how : strerror(errno));
	}
	fflush(stdout);
	syscall(SYS_exit, 0);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "leader", case_leader }, { "nonleader", case_nonleader }, { "both", case_both },
		{ "blocked", case_blocked }, { "exit-group", case_exit_group },
		{ "leader-gone", case_leader_gone }, { "storm", case_storm },
	};
	self = (const char *)getauxval(AT_EXECFN);
	if (argc == 8 && !strcmp(argv[1], "image"))
		return image(argv);
	for (int i = 1; i < argc; i++) {
		unsigned k = 0;
		while (k < sizeof cases / sizeof cases[0] && strcmp(argv[i], cases[k].name))
			k++;
		if (k == sizeof cases / sizeof cases[0]) {
			fprintf(stderr, "exec-threads: unknown case %s (leader, nonleader, both, blocked, "
					"exit-group, leader-gone, storm)\n", argv[i]);
			return 2;
		}
		run_case(cases[k].name, cases[k].fn);
	}
	return 0;
}
