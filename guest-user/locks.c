/* Record locks (fcntl F_GETLK, F_SETLK, F_SETLKW, F_OFD_*), one line per
 * fact, the same output as on Linux (differential test): the checks of
 * struct flock; a process never conflicts with itself (its locks are
 * replaced, split and merged); F_GETLK's report; EAGAIN, F_SETLKW's wait,
 * EINTR, SA_RESTART and EDEADLK; fork's child inherits no lock (Open POSIX
 * fork/11-1); the close of any fd of the file, exit and the close-on-exec
 * of an exec drop a process's locks, exec keeps them; threads share them;
 * OFD locks belong to the open file description. Parent and children take
 * turns through pipes; a child that must be blocked in the kernel is
 * waited for through /proc/PID/stat. flock(2)'s locks belong to the
 * open file description and never meet fcntl's. Run from a writable
 * directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_NAME "locks.tmp"

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000 }, NULL);
}

/* fork, with stdout flushed first so that no line is printed twice. */
static pid_t xfork(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p < 0) {
		perror("fork");
		exit(1);
	}
	return p;
}

static void child_done(void)
{
	fflush(stdout);
	_exit(failed);
}

static void reap(pid_t p)
{
	int st;
	waitpid(p, &st, 0);
	failed |= !WIFEXITED(st) || WEXITSTATUS(st);
}

static int lk(int fd, int cmd, int type, int whence, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

static int set(int fd, int type, off_t start, off_t len)
{
	return lk(fd, F_SETLK, type, SEEK_SET, start, len);
}

static int fails(int r, int err)
{
	return r == -1 && errno == err;
}

/* F_GETLK's answer for a write lock (or type) over start+len, as text:
 * "none", or "W 0+100 by parent" (pid named relative to `holder`). */
static const char *getlk(int fd, int cmd, int type, off_t start, off_t len, pid_t holder)
{
	static char buf[80];
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, cmd, &fl) == -1) {
		snprintf(buf, sizeof buf, "error %s", strerror(errno));
		return buf;
	}
	if (fl.l_type == F_UNLCK)
		return "none";
	snprintf(buf, sizeof buf, "%s %lld+%lld by %s", fl.l_type == F_WRLCK ? "W" : "R",
		 (long long)fl.l_start, (long long)fl.l_len,
		 fl.l_pid == holder ? "holder" : fl.l_pid == -1 ? "-1" : "another pid");
	return buf;
}

static void check_sees(const char *what, int fd, int type, off_t start, off_t len, pid_t holder,
		       const char *expect)
{
	const char *got = getlk(fd, F_GETLK, type, start, len, holder);
	char line[200];
	snprintf(line, sizeof line, "%s: %s", what, got);
	check(line, !strcmp(got, expect));
}

/* Runs fn(fd, arg) in a child, which sees the parent's locks from outside. */
static void in_child(void (*fn)(int, pid_t), int fd)
{
	pid_t holder = getpid(), p = xfork();
	if (!p) {
		fn(fd, holder);
		child_done();
	}
	reap(p);
}

/* Waits until task pid sleeps in the kernel (state S in /proc/PID/stat). */
static void wait_sleeping(pid_t pid)
{
	for (int n = 0; n < 2000; n++) {
		char path[64], buf[256];
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (f) {
			size_t len = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[len] = 0;
			char *rp = strrchr(buf, ')');
			if (rp && rp[1] == ' ' && rp[2] == 'S')
				return;
		}
		nap_ms(5);
	}
	printf("pid %d never slept\n", (int)pid);
	failed = 1;
}

static int reopen(int flags)
{
	return open(FILE_NAME, flags);
}

/* ---- struct flock's checks ---- */

static void bad_input(int fd)
{
	int ro = reopen(O_RDONLY), wo = reopen(O_WRONLY);
	check("l_type 5 is EINVAL", fails(set(fd, 5, 0, 1), EINVAL));
	check("l_whence 7 is EINVAL", fails(lk(fd, F_SETLK, F_WRLCK, 7, 0, 1), EINVAL));
	check("a negative start is EINVAL", fails(set(fd, F_WRLCK, -1, 1), EINVAL));
	check("l_len -10 from 5 is EINVAL", fails(set(fd, F_WRLCK, 5, -10), EINVAL));
	check("F_GETLK of F_UNLCK is EINVAL", fails(lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL));
	check("a start past OFFSET_MAX is EOVERFLOW",
	      fails(lk(fd, F_SETLK, F_WRLCK, SEEK_END, LLONG_MAX, 1), EOVERFLOW));
	check("an end past OFFSET_MAX is EOVERFLOW", fails(set(fd, F_WRLCK, 10, LLONG_MAX), EOVERFLOW));
	check("a write lock through O_RDONLY is EBADF", fails(set(ro, F_WRLCK, 0, 1), EBADF));
	check("a read lock through O_WRONLY is EBADF", fails(set(wo, F_RDLCK, 0, 1), EBADF));
	check("F_GETLK of a write lock through O_RDONLY works",
	      !strcmp(getlk(ro, F_GETLK, F_WRLCK, 0, 1, 0), "none"));
	check("a read lock through O_RDONLY works", set(ro, F_RDLCK, 0, 1) == 0);
	check("F_OFD_SETLK with l_pid set is EINVAL", ({
		struct flock fl = { .l_type = F_RDLCK, .l_len = 1, .l_pid = 1 };
		fails(fcntl(fd, F_OFD_SETLK, &fl), EINVAL); }));
	check("a bad fd is EBADF", fails(set(99, F_RDLCK, 0, 1), EBADF));
	check("a bad struct flock address is EFAULT", fails(fcntl(fd, F_SETLK, (void *)8), EFAULT));
	close(ro); /* drops the read lock: the close rule */
	close(wo);
}

/* ---- ranges, seen from a child ---- */

static void sees_whole(int fd, pid_t holder)
{
	check_sees("the child sees the parent's lock on 0+100", fd, F_WRLCK, 10, 5, holder,
		   "W 0+100 by holder");
	check("the child's F_SETLK over it is EAGAIN", fails(set(fd, F_WRLCK, 10, 5), EAGAIN));
	check("the child's read lock over it is EAGAIN", fails(set(fd, F_RDLCK, 99, 1), EAGAIN));
	check("the child may lock from 100 on", set(fd, F_WRLCK, 100, 0) == 0);
}

static void sees_eof(int fd, pid_t holder)
{
	check_sees("l_len 0 reaches past EOF", fd, F_RDLCK, 1000000, 1, holder, "W 200+0 by holder");
	check_sees("l_len -10 from 50 is 40+10", fd, F_RDLCK, 0, 45, holder, "W 40+10 by holder");
	check_sees("SEEK_CUR 30, start -10, len 5 is 20+5", fd, F_WRLCK, 20, 1, holder,
		   "R 20+5 by holder");
	check_sees("SEEK_END -10, len 5 is 90+5", fd, F_WRLCK, 92, 1, holder, "W 90+5 by holder");
}

static void sees_split(int fd, pid_t holder)
{
	check_sees("after an unlock of 40+20 and a read lock on 20+10, 0+20 is first", fd, F_WRLCK, 0,
		   0, holder, "W 0+20 by holder");
	check_sees("... and nothing in 40+20", fd, F_WRLCK, 40, 20, holder, "none");
	check_sees("... and 60+40 after", fd, F_WRLCK, 40, 0, holder, "W 60+40 by holder");
	check_sees("a read lock on 20+10 splits the write lock: 0+20", fd, F_RDLCK, 15, 10, holder,
		   "W 0+20 by holder");
	check_sees("... a read lock 20+10 (no conflict with a read)", fd, F_RDLCK, 20, 10, holder, "none");
	check_sees("... a read lock 20+10 (a write sees it)", fd, F_WRLCK, 20, 10, holder, "R 20+10 by holder");
	check_sees("... and 30+10", fd, F_RDLCK, 25, 10, holder, "W 30+10 by holder");
}

static void sees_merge(int fd, pid_t holder)
{
	check_sees("adjacent write locks 0+10 and 10+10 merge", fd, F_WRLCK, 0, 0, holder,
		   "W 0+20 by holder");
	check_sees("overlapping 30+10 and 35+10 merge", fd, F_WRLCK, 21, 0, holder, "W 30+15 by holder");
	check_sees("a read lock over the write lock 50+10 replaces it", fd, F_WRLCK, 46, 0, holder,
		   "R 50+10 by holder");
	check_sees("read locks 70+5, 80+5 and a write lock between merge as read 70+15", fd, F_WRLCK,
		   61, 0, holder, "R 70+15 by holder");
}

static void ranges(int fd)
{
	check("the parent write-locks 0+100", set(fd, F_WRLCK, 0, 100) == 0);
	check("the parent's own F_GETLK finds no conflict",
	      !strcmp(getlk(fd, F_GETLK, F_WRLCK, 0, 0, 0), "none"));
	check("the parent re-locks its own range", set(fd, F_WRLCK, 0, 100) == 0);
	in_child(sees_whole, fd);
	check("the child's lock from 100 went with its exit", !strcmp(getlk(fd, F_GETLK, F_WRLCK, 100, 0, 0),
	      "none") && set(fd, F_UNLCK, 0, 0) == 0);

	set(fd, F_WRLCK, 200, 0);
	set(fd, F_WRLCK, 50, -10);
	lseek(fd, 30, SEEK_SET);
	lk(fd, F_SETLK, F_RDLCK, SEEK_CUR, -10, 5);
	lk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 5);
	in_child(sees_eof, fd);
	set(fd, F_UNLCK, 0, 0);

	set(fd, F_WRLCK, 0, 100);
	check("the parent unlocks 40+20", set(fd, F_UNLCK, 40, 20) == 0);
	set(fd, F_RDLCK, 20, 10);
	in_child(sees_split, fd);
	set(fd, F_UNLCK, 0, 0);

	set(fd, F_WRLCK, 0, 10);
	set(fd, F_WRLCK, 10, 10);
	set(fd, F_WRLCK, 30, 10);
	set(fd, F_WRLCK, 35, 10);
	set(fd, F_WRLCK, 50, 10);
	set(fd, F_RDLCK, 50, 10);
	set(fd, F_RDLCK, 70, 5);
	set(fd, F_RDLCK, 80, 5);
	set(fd, F_WRLCK, 75, 5);
	set(fd, F_RDLCK, 72, 10);
	in_child(sees_merge, fd);
	set(fd, F_UNLCK, 0, 0);
}

/* ---- F_SETLKW ---- */

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	handled++;
}

static void handle_usr1(int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

/* A child that F_SETLKWs a write lock on 0+10 (after setting the handler
 * with flags) and writes the result, then the signals it handled, to the pipe. */
static pid_t waiter(int fd, int pfd[2], int sa_flags)
{
	pipe(pfd);
	pid_t p = xfork();
	if (!p) {
		handle_usr1(sa_flags);
		int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
		int res[2] = { r ? errno : 0, handled };
		write(pfd[1], res, sizeof res);
		child_done();
	}
	return p;
}

static void setlkw(int fd)
{
	int pfd[2], res[2];
	set(fd, F_WRLCK, 0, 10);
	pid_t p = waiter(fd, pfd, 0);
	wait_sleeping(p);
	check("F_SETLKW waits while another process holds the lock", !readable(pfd[0], 100));
	set(fd, F_UNLCK, 0, 10);
	check("F_SETLKW gets the lock at the unlock", read(pfd[0], res, sizeof res) == sizeof res &&
	      res[0] == 0);
	reap(p);
	close(pfd[0]);
	close(pfd[1]);

	set(fd, F_RDLCK, 0, 10);
	p = waiter(fd, pfd, 0);
	wait_sleeping(p);
	check("a read lock turned write lets nobody in", set(fd, F_WRLCK, 0, 10) == 0 &&
	      !readable(pfd[0], 100));
	kill(p, SIGUSR1);
	check("a signal's handler (no SA_RESTART) makes F_SETLKW EINTR",
	      read(pfd[0], res, sizeof res) == sizeof res && res[0] == EINTR && res[1] == 1);
	reap(p);
	close(pfd[0]);
	close(pfd[1]);

	p = waiter(fd, pfd, SA_RESTART);
	wait_sleeping(p);
	kill(p, SIGUSR1);
	nap_ms(50);
	wait_sleeping(p);
	check("with SA_RESTART, F_SETLKW waits again after the handler", !readable(pfd[0], 100));
	set(fd, F_UNLCK, 0, 10);
	check("... and gets the lock at the unlock", read(pfd[0], res, sizeof res) == sizeof res &&
	      res[0] == 0 && res[1] == 1);
	reap(p);
	close(pfd[0]);
	close(pfd[1]);
}

/* Parent holds 0+10 and the child 10+10; the child waits for 0+10. */
static void deadlock(int fd)
{
	int go[2], res[2];
	pipe(go);
	set(fd, F_WRLCK, 0, 10);
	pid_t p = xfork();
	if (!p) {
		set(fd, F_WRLCK, 10, 10);
		write(go[1], "x", 1);
		int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
		int out[2] = { r ? errno : 0, 0 };
		write(go[1], out, sizeof out);
		child_done();
	}
	char c;
	read(go[0], &c, 1);
	wait_sleeping(p);
	check("F_SETLKW on a lock whose holder waits for ours is EDEADLK",
	      fails(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 10, 10), EDEADLK));
	check("F_SETLK there is EAGAIN", fails(set(fd, F_WRLCK, 10, 10), EAGAIN));
	check("F_SETLKW on a range of its own that nobody waits for works",
	      lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 30, 10) == 0);
	set(fd, F_UNLCK, 0, 0);
	check("the waiter gets the lock once the parent unlocks",
	      read(go[0], res, sizeof res) == sizeof res && res[0] == 0);
	reap(p);
	close(go[0]);
	close(go[1]);
}

/* A chain of three: the parent holds A, child 1 holds B and waits for C,
 * child 2 holds C and waits for A; the parent asking for B closes the loop. */
static void deadlock_chain(int fd)
{
	int go[2];
	pipe(go);
	set(fd, F_WRLCK, 0, 1);
	pid_t c2 = xfork();
	if (!c2) {
		set(fd, F_WRLCK, 2, 1);
		write(go[1], "x", 1);
		lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		child_done();
	}
	char c;
	read(go[0], &c, 1);
	wait_sleeping(c2);
	pid_t c1 = xfork();
	if (!c1) {
		set(fd, F_WRLCK, 1, 1);
		write(go[1], "x", 1);
		lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 2, 1);
		child_done();
	}
	read(go[0], &c, 1);
	wait_sleeping(c1);
	check("a deadlock through a chain of three processes is EDEADLK",
	      fails(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1), EDEADLK));
	set(fd, F_UNLCK, 0, 0);
	reap(c2);
	reap(c1);
	close(go[0]);
	close(go[1]);
}

/* ---- fork, close, exit, exec, threads ---- */

static void fork_11_1(int fd, pid_t holder)
{
	check_sees("fork's child does not hold its parent's lock", fd, F_WRLCK, 1, 99, holder,
		   "W 0+100 by holder");
	check("... and cannot take it", fails(set(fd, F_WRLCK, 1, 99), EAGAIN));
	close(fd);
}

static void sees_none(int fd, pid_t holder)
{
	check_sees("the lock is gone", fd, F_WRLCK, 0, 0, holder, "none");
}

static void sees_held(int fd, pid_t holder)
{
	check_sees("the lock is still there", fd, F_WRLCK, 0, 0, holder, "W 0+10 by holder");
}

static void closes(int fd)
{
	set(fd, F_WRLCK, 0, 100);
	in_child(fork_11_1, fd);
	set(fd, F_UNLCK, 10, 0);
	in_child(sees_held, fd);
	printf("(above: the child's close of its copy of the fd left the parent's lock)\n");

	int other = reopen(O_RDWR);
	close(other);
	in_child(sees_none, fd);
	printf("(above: the close of another fd of the file dropped the lock)\n");

	set(fd, F_WRLCK, 0, 10);
	int d = dup(fd);
	close(d);
	in_child(sees_none, fd);
	printf("(above: the close of a dup dropped it)\n");

	set(fd, F_WRLCK, 0, 10);
	int n = open("/dev/null", O_RDONLY);
	close(n);
	in_child(sees_held, fd);
	printf("(above: the close of another file's fd did not)\n");

	int d2 = dup(fd);
	dup2(n = open("/dev/null", O_RDONLY), d2);
	close(n);
	in_child(sees_none, fd);
	printf("(above: dup2 over a dup of the fd dropped it)\n");
	close(d2);
}

static void exits(int fd)
{
	int go[2];
	pipe(go);
	pid_t p = xfork();
	if (!p) {
		set(fd, F_WRLCK, 0, 10);
		write(go[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(go[0], &c, 1);
	check_sees("a child's lock", fd, F_WRLCK, 0, 0, p, "W 0+10 by holder");
	kill(p, SIGKILL);
	siginfo_t si;
	waitid(P_PID, p, &si, WEXITED | WNOWAIT);
	check_sees("goes at its death, before the wait reaps it", fd, F_WRLCK, 0, 0, p, "none");
	waitpid(p, NULL, 0);
	close(go[0]);
	close(go[1]);
}

/* The image exec'd by execs(): tells the parent and waits for its word. */
static int exec_holder(char **argv)
{
	int w = atoi(argv[2]), r = atoi(argv[3]);
	char c = 'x';
	write(w, &c, 1);
	read(r, &c, 1);
	return 0;
}

static void execs(int fd, int cloexec_fd)
{
	int up[2], down[2];
	pipe(up);
	pipe(down);
	pid_t p = xfork();
	if (!p) {
		set(fd, F_WRLCK, 0, 10);
		if (cloexec_fd)
			open(FILE_NAME, O_RDONLY | O_CLOEXEC);
		char a[2][16];
		snprintf(a[0], sizeof a[0], "%d", up[1]);
		snprintf(a[1], sizeof a[1], "%d", down[0]);
		execl("/proc/self/exe", "locks", "exec-holder", a[0], a[1], (char *)NULL);
		_exit(1);
	}
	char c;
	read(up[0], &c, 1);
	if (cloexec_fd)
		check_sees("exec's close of an O_CLOEXEC fd of the file drops the lock", fd, F_WRLCK, 0,
			   0, p, "none");
	else
		check_sees("a lock survives its holder's exec", fd, F_WRLCK, 0, 0, p, "W 0+10 by holder");
	write(down[1], &c, 1);
	reap(p);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

static int thread_fd;

static void *thread_locks(void *arg)
{
	return (void *)(long)set(thread_fd, F_WRLCK, 0, 10);
}

static void threads(int fd)
{
	pthread_t t;
	void *r;
	thread_fd = fd;
	pthread_create(&t, NULL, thread_locks, NULL);
	pthread_join(t, &r);
	check("a thread takes a lock", r == 0);
	check("another thread of the process does not conflict with it",
	      !strcmp(getlk(fd, F_GETLK, F_WRLCK, 0, 0, 0), "none"));
	in_child(sees_held, fd);
	printf("(above: the thread's lock is its process's, with the process's pid)\n");
	set(fd, F_UNLCK, 0, 0);
}

/* ---- OFD locks ---- */

static void ofd_child(int fd, pid_t holder)
{
	check("fork's child shares the OFD lock of the shared file",
	      !strcmp(getlk(fd, F_OFD_GETLK, F_WRLCK, 0, 0, 0), "none"));
	int own = reopen(O_RDWR);
	const char *got = getlk(own, F_OFD_GETLK, F_WRLCK, 0, 0, 0);
	check("another open file description sees it, l_pid -1", !strcmp(got, "W 0+10 by -1"));
	got = getlk(fd, F_GETLK, F_WRLCK, 0, 0, 0);
	check("a POSIX F_GETLK sees it too", !strcmp(got, "W 0+10 by -1"));
	check("a POSIX lock over it is EAGAIN", fails(set(own, F_RDLCK, 5, 1), EAGAIN));
	close(own);
}

static void ofd(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_len = 10 };
	check("F_OFD_SETLK takes a lock", fcntl(fd, F_OFD_SETLK, &fl) == 0);
	in_child(ofd_child, fd);
	int d = dup(fd);
	close(d);
	int own = reopen(O_RDWR);
	check("closing a dup leaves the OFD lock",
	      !strcmp(getlk(own, F_OFD_GETLK, F_WRLCK, 0, 0, 0), "W 0+10 by -1"));
	int spare = reopen(O_RDWR);
	fl.l_type = F_UNLCK;
	fcntl(spare, F_OFD_SETLK, &fl);
	close(spare);
	check("... and so does another description's unlock or close",
	      !strcmp(getlk(own, F_OFD_GETLK, F_WRLCK, 0, 0, 0), "W 0+10 by -1"));
	int mine = reopen(O_RDWR);
	fl.l_type = F_RDLCK;
	fl.l_start = 20;
	fcntl(mine, F_OFD_SETLK, &fl);
	close(mine);
	check("the last close of a description drops its OFD locks",
	      !strcmp(getlk(own, F_OFD_GETLK, F_WRLCK, 20, 0, 0), "none"));
	fl.l_type = F_UNLCK;
	fl.l_start = 0;
	fcntl(fd, F_OFD_SETLK, &fl);
	check("F_OFD_SETLK F_UNLCK drops it", !strcmp(getlk(own, F_OFD_GETLK, F_WRLCK, 0, 0, 0), "none"));
	close(own);
}

/* ---- flock(2) ---- */

static void flock_child(int fd, pid_t holder)
{
	int own = reopen(O_RDONLY);
	check("fork's child shares the description's flock", flock(fd, LOCK_EX | LOCK_NB) == 0);
	check("another description's LOCK_SH|LOCK_NB is EWOULDBLOCK",
	      fails(flock(own, LOCK_SH | LOCK_NB), EWOULDBLOCK));
	check("fcntl locks do not see flock's", !strcmp(getlk(own, F_GETLK, F_RDLCK, 0, 0, 0), "none") &&
	      set(own, F_RDLCK, 0, 0) == 0);
	close(own);
}

static void flock_shared(int fd, pid_t holder)
{
	int own = reopen(O_RDONLY);
	check("LOCK_SH|LOCK_NB beside a shared lock works", flock(own, LOCK_SH | LOCK_NB) == 0);
	check("converting it to LOCK_EX|LOCK_NB is EWOULDBLOCK", fails(flock(own, LOCK_EX | LOCK_NB),
	      EWOULDBLOCK));
	close(own);
}

static void flocks(int fd)
{
	check("flock of a bad fd is EBADF", fails(flock(99, LOCK_SH), EBADF));
	check("flock operation 0 is EINVAL", fails(flock(fd, 0), EINVAL));
	check("LOCK_EX works", flock(fd, LOCK_EX) == 0);
	in_child(flock_child, fd);
	check("LOCK_SH converts it", flock(fd, LOCK_SH) == 0);
	in_child(flock_shared, fd);

	int pfd[2], res;
	pipe(pfd);
	flock(fd, LOCK_EX);
	pid_t p = xfork();
	if (!p) {
		close(fd); /* its copy would keep the description, and the lock */
		int own = reopen(O_RDONLY);
		res = flock(own, LOCK_EX) ? errno : 0;
		write(pfd[1], &res, sizeof res);
		child_done();
	}
	wait_sleeping(p);
	int d = dup(fd);
	close(d);
	check("LOCK_EX waits for another description's lock, kept by the close of a dup",
	      !readable(pfd[0], 100));
	int extra = dup(fd);
	close(fd);
	check("... and it is there while a dup is open", !readable(pfd[0], 100));
	close(extra);
	check("... and gets it at the last close", read(pfd[0], &res, sizeof res) == sizeof res &&
	      res == 0);
	reap(p);
	close(pfd[0]);
	close(pfd[1]);
}

/* `locks enolck`, for the guest only (Linux has no fixed pool of locks):
 * a 10-byte lock, then one-byte locks apart from each other until F_SETLK
 * fails; an unlock that would split a lock needs a lock too. */
static int enolck(void)
{
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644), n = 1;
	set(fd, F_WRLCK, 0, 10);
	while (n < 100000 && set(fd, F_WRLCK, 10 + 2 * n, 1) == 0)
		n++;
	printf("locks taken: %d, then %s\n", n, strerror(errno));
	check("an unlock that splits a lock is ENOLCK", fails(set(fd, F_UNLCK, 4, 2), ENOLCK));
	check("an unlock of a whole lock works", set(fd, F_UNLCK, 0, 10) == 0);
	check("then a new lock fits", set(fd, F_RDLCK, 0, 1) == 0);
	close(fd);
	fd = open(FILE_NAME, O_RDWR);
	n = 0;
	while (n < 100000 && set(fd, F_WRLCK, 2 * n, 1) == 0)
		n++;
	printf("after the close: %d locks\n", n);
	close(fd);
	unlink(FILE_NAME);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "exec-holder"))
		return exec_holder(argv);
	if (argc == 2 && !strcmp(argv[1], "enolck"))
		return enolck();
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, (char[100]){ 0 }, 100) != 100) {
		perror(FILE_NAME);
		return 1;
	}
	bad_input(fd);
	ranges(fd);
	setlkw(fd);
	deadlock(fd);
	deadlock_chain(fd);
	closes(fd);
	exits(fd);
	execs(fd, 0);
	execs(fd, 1);
	threads(fd);
	ofd(fd);
	flocks(fd);
	unlink(FILE_NAME);
	printf(failed ? "some FAILED\n" : "all passed\n");
	return failed;
}
