/* The calls LTP and busybox asked for after issue 8's first pass, one line
 * per fact, the same output as on Linux (differential test): clock_getres;
 * fsync, fdatasync, syncfs, sync; F_GETPIPE_SZ/F_SETPIPE_SZ; pipe2's
 * O_NONBLOCK, O_CLOEXEC and O_DIRECT; mknod and mkfifo with FIFO open
 * semantics; ITIMER_VIRTUAL and ITIMER_PROF; the CPU-time clocks, times and
 * getrusage; POSIX timers on the CPU-time clocks; poll; prctl's name; rt_sigqueueinfo queueing RT signals with
 * their si_value; FUTEX_(CMP_)REQUEUE's checks of its counts; ETXTBSY
 * between a program's writers and the processes running it. Run from a
 * writable directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

/* Spins until this process has had ms of CPU time more. */
static void spin_cpu(long ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < ms * 1000000L);
}

static void clocks(void)
{
	struct timespec ts;
	check("clock_getres(CLOCK_REALTIME) is 1 ns",
	      clock_getres(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec == 1);
	check("clock_getres(CLOCK_MONOTONIC) is 1 ns",
	      clock_getres(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_nsec == 1);
	check("clock_getres(CLOCK_PROCESS_CPUTIME_ID) is 1 ns",
	      clock_getres(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts.tv_nsec == 1);
	check("clock_getres(CLOCK_MONOTONIC_COARSE) is a tick",
	      clock_getres(CLOCK_MONOTONIC_COARSE, &ts) == 0 && ts.tv_nsec >= 1000000);
	check("clock_getres(NULL) is allowed", clock_getres(CLOCK_REALTIME, NULL) == 0);
	check("clock_getres(10) is EINVAL", syscall(SYS_clock_getres, 10, &ts) == -1 && errno == EINVAL);

	/* CPU time: a busy loop moves the process and thread clocks, a sleep does not. */
	struct timespec p0, p1, t0, t1, s0, s1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	spin_cpu(300);
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	long pd = (p1.tv_sec - p0.tv_sec) * 1000000000L + p1.tv_nsec - p0.tv_nsec;
	long td = (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec;
	long wall = (now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec;
	check("300 ms of CPU: CLOCK_PROCESS_CPUTIME_ID moved 300-350 ms", pd >= 300000000L && pd < 350000000L);
	check("CLOCK_THREAD_CPUTIME_ID moved as much", td >= 290000000L && td <= pd + 10000000L);
	check("and the wall clock at least as much", wall >= 299000000L);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s0);
	usleep(200000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s1);
	long sd = (s1.tv_sec - s0.tv_sec) * 1000000000L + s1.tv_nsec - s0.tv_nsec;
	check("200 ms asleep: CLOCK_PROCESS_CPUTIME_ID moved under 50 ms", sd >= 0 && sd < 50000000L);
	clockid_t cid;
	check("clock_getcpuclockid(0) reads the same clock",
	      clock_getcpuclockid(0, &cid) == 0 && clock_gettime(cid, &ts) == 0 &&
	      ts.tv_sec * 1000000000L + ts.tv_nsec >= p1.tv_sec * 1000000000L + p1.tv_nsec);

	struct rusage ru;
	check("getrusage(RUSAGE_SELF): user + system >= 250 ms",
	      getrusage(RUSAGE_SELF, &ru) == 0 &&
	      (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
	      ru.ru_stime.tv_usec >= 250000);
	long before = ru.ru_minflt;
	char *pages = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; pages != MAP_FAILED && i < 16; i++)
		pages[i * 4096] = 1;
	check("ru_minflt: touching 16 new pages counts 16 faults or more",
	      getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_minflt - before >= 16);
	munmap(pages, 16 * 4096);
	struct tms t;
	check("times(): user + system >= 25 ticks", times(&t) != (clock_t)-1 && t.tms_utime + t.tms_stime >= 25);

	pid_t c = fork();
	if (!c) {
		spin_cpu(200);
		_exit(0);
	}
	check("a new child starts with no CPU time of its parent's", c > 0);
	struct rusage cru;
	int st;
	check("wait4's rusage: the child's 200 ms of spinning",
	      wait4(c, &st, 0, &cru) == c && cru.ru_utime.tv_sec * 1000000L + cru.ru_utime.tv_usec +
	      cru.ru_stime.tv_sec * 1000000L + cru.ru_stime.tv_usec >= 150000);
	check("getrusage(RUSAGE_CHILDREN) counts it",
	      getrusage(RUSAGE_CHILDREN, &ru) == 0 && ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
	      ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec >= 150000);
}

static volatile sig_atomic_t vt, prof;
static void on_vt(int s) { vt++; }
static void on_prof(int s) { prof++; }

static void cpu_itimers(void)
{
	struct itimerval v = { { 0, 50000 }, { 0, 50000 } }, old;
	signal(SIGVTALRM, on_vt);
	signal(SIGPROF, on_prof);
	check("setitimer(ITIMER_VIRTUAL)", setitimer(ITIMER_VIRTUAL, &v, NULL) == 0);
	check("setitimer(ITIMER_PROF)", setitimer(ITIMER_PROF, &v, NULL) == 0);
	check("getitimer(ITIMER_VIRTUAL): interval 50 ms",
	      getitimer(ITIMER_VIRTUAL, &old) == 0 && old.it_interval.tv_usec == 50000 &&
	      old.it_value.tv_sec == 0 && old.it_value.tv_usec <= 60000);
	usleep(200000);
	check("asleep: no SIGVTALRM", vt == 0);
	while (vt < 3 || prof < 3)
		; /* spinning in user mode: both run down */
	check("spinning: SIGVTALRM and SIGPROF, again and again", vt >= 3 && prof >= 3);
	struct itimerval zero = { 0 };
	check("disarmed", setitimer(ITIMER_VIRTUAL, &zero, &old) == 0 && setitimer(ITIMER_PROF, &zero, NULL) == 0 &&
	      old.it_interval.tv_usec == 50000);
	check("getitimer(3) is EINVAL", getitimer(3, &old) == -1 && errno == EINVAL);
}

/* POSIX timers on the CPU-time clocks: they run down only while the
 * process (or the thread) runs, and fire once it has used their time. */
static volatile sig_atomic_t cpu_fired;
static void on_cpu_timer(int s) { cpu_fired++; }

static void cpu_posix_timers(void)
{
	signal(SIGUSR2, on_cpu_timer);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
	struct itimerspec its = { .it_value = { 0, 50000000 } }, cur;
	timer_t t;
	check("timer_create(CLOCK_PROCESS_CPUTIME_ID)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) == 0);
	check("armed for 50 ms of CPU time", timer_settime(t, 0, &its, NULL) == 0);
	usleep(200000);
	check("asleep 200 ms: not fired, 40 to 50 ms left", !cpu_fired && timer_gettime(t, &cur) == 0 &&
	      cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 40000000 && cur.it_value.tv_nsec <= 50000000);
	spin_cpu(100);
	check("after 100 ms of spinning: fired once, and disarmed", cpu_fired == 1 &&
	      timer_gettime(t, &cur) == 0 && !cur.it_value.tv_sec && !cur.it_value.tv_nsec);
	check("timer_delete", timer_delete(t) == 0);

	cpu_fired = 0;
	struct timespec now;
	check("timer_create(CLOCK_THREAD_CPUTIME_ID)", timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &t) == 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	its.it_value = now;
	its.it_value.tv_nsec += 30000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	its.it_interval = (struct timespec){ 0, 20000000 };
	check("armed at the thread's CPU time + 30 ms (TIMER_ABSTIME), then every 20 ms",
	      timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0);
	usleep(100000);
	check("asleep: not fired", !cpu_fired);
	while (cpu_fired < 3)
		; /* spinning: it fires again and again */
	check("spinning: fired three times", cpu_fired >= 3);
	check("timer_delete", timer_delete(t) == 0);
}

static void syncs(void)
{
	int fd = open("calls.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600), p[2];
	check("fsync on a file", write(fd, "x", 1) == 1 && fsync(fd) == 0);
	check("fdatasync on a file", fdatasync(fd) == 0);
	check("syncfs", syncfs(fd) == 0);
	sync();
	check("sync returns", 1);
	check("fsync on a bad fd is EBADF", fsync(99) == -1 && errno == EBADF);
	check("fsync on a pipe is EINVAL", pipe(p) == 0 && fsync(p[0]) == -1 && errno == EINVAL);
	int nul = open("/dev/null", O_WRONLY);
	check("fsync on /dev/null is EINVAL", fsync(nul) == -1 && errno == EINVAL);
	close(nul), close(p[0]), close(p[1]), close(fd);
	unlink("calls.tmp");
}

static void pipes(void)
{
	int p[2];
	char buf[8192];
	check("pipe2(O_NONBLOCK|O_CLOEXEC)", pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	check("O_NONBLOCK on both ends", (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
	check("FD_CLOEXEC on both ends", fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
	check("an empty non-blocking pipe: EAGAIN", read(p[0], buf, 1) == -1 && errno == EAGAIN);
	check("F_GETPIPE_SZ: 65536", fcntl(p[0], F_GETPIPE_SZ) == 65536);
	memset(buf, 'a', sizeof buf);
	long total = 0, r;
	while ((r = write(p[1], buf, sizeof buf)) > 0)
		total += r;
	check("a full non-blocking pipe holds 65536 bytes, then EAGAIN", total == 65536 && errno == EAGAIN);
	struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
	int avail = 0;
	check("FIONREAD: 65536 bytes waiting", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 65536);
	check("poll: readable, not writable", poll(pf, 2, 0) == 1 && pf[0].revents == POLLIN && !pf[1].revents);
	check("F_SETPIPE_SZ smaller than the contents: EBUSY", fcntl(p[1], F_SETPIPE_SZ, 4096) == -1 && errno == EBUSY);
	while (read(p[0], buf, sizeof buf) > 0)
		;
	check("F_SETPIPE_SZ(5000) rounds up to 8192", fcntl(p[1], F_SETPIPE_SZ, 5000) == 8192 &&
	      fcntl(p[0], F_GETPIPE_SZ) == 8192);
	for (total = 0; (r = write(p[1], buf, 4096)) > 0;)
		total += r;
	check("it holds 8192 bytes", total == 8192);
	check("F_SETPIPE_SZ(0) is one page, when empty", read(p[0], buf, sizeof buf) == 8192 &&
	      fcntl(p[1], F_SETPIPE_SZ, 0) == 4096);
	int nul = open("/dev/null", O_RDONLY);
	check("F_SETPIPE_SZ on a device is EBADF", fcntl(nul, F_SETPIPE_SZ, 4096) == -1 && errno == EBADF);
	close(nul);
	close(p[1]);
	pf[0].revents = 0;
	check("poll: the write end closed is POLLHUP", poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP));
	close(p[0]);

	check("pipe2(O_DIRECT): packets", pipe2(p, O_DIRECT) == 0);
	write(p[1], "one", 3), write(p[1], "three", 5), write(p[1], "x", 1);
	char a[16] = { 0 }, b[16] = { 0 }, c[16] = { 0 };
	check("each read takes one packet", read(p[0], a, sizeof a) == 3 && read(p[0], b, 2) == 2 &&
	      read(p[0], c, sizeof c) == 1);
	check("the rest of a packet too big for the read is gone", !strcmp(a, "one") && !strncmp(b, "th", 2) &&
	      !strcmp(c, "x"));
	close(p[0]), close(p[1]);
	check("pipe2 with another flag is EINVAL", pipe2(p, O_APPEND) == -1 && errno == EINVAL);
}

static void fifos(void)
{
	check("mkfifo", mkfifo("calls.fifo", 0600) == 0);
	struct stat st;
	check("it is a FIFO", stat("calls.fifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600);
	check("mkfifo again: EEXIST", mkfifo("calls.fifo", 0600) == -1 && errno == EEXIST);
	check("O_WRONLY|O_NONBLOCK with no reader: ENXIO",
	      open("calls.fifo", O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
	int r = open("calls.fifo", O_RDONLY | O_NONBLOCK);
	check("O_RDONLY|O_NONBLOCK opens at once", r >= 0);
	int w = open("calls.fifo", O_WRONLY | O_NONBLOCK);
	check("then O_WRONLY|O_NONBLOCK opens", w >= 0);
	check("lseek on a FIFO is ESPIPE", lseek(r, 0, SEEK_SET) == -1 && errno == ESPIPE);
	char buf[16] = { 0 };
	check("data goes through", write(w, "fifo", 4) == 4 && read(r, buf, sizeof buf) == 4 && !strcmp(buf, "fifo"));
	close(w);
	check("the writer gone: end of file", read(r, buf, sizeof buf) == 0);
	close(r);

	/* A blocking open waits for the other end. */
	pid_t c = fork();
	if (!c) {
		usleep(100000);
		int fd = open("calls.fifo", O_WRONLY);
		write(fd, "late", 4);
		_exit(0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = open("calls.fifo", O_RDONLY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	memset(buf, 0, sizeof buf);
	check("O_RDONLY waited for the writer", r >= 0 && ms >= 50 && read(r, buf, sizeof buf) == 4 && !strcmp(buf, "late"));
	waitpid(c, NULL, 0);
	close(r);
	int rw = open("calls.fifo", O_RDWR);
	check("O_RDWR opens without a partner", rw >= 0 && write(rw, "rw", 2) == 2 && read(rw, buf, 2) == 2);
	close(rw);
	unlink("calls.fifo");

	check("mknod(S_IFIFO)", mknod("calls.node", S_IFIFO | 0644, 0) == 0 && stat("calls.node", &st) == 0 &&
	      S_ISFIFO(st.st_mode));
	unlink("calls.node");
	check("mknod(S_IFREG)", mknod("calls.node", S_IFREG | 0644, 0) == 0 && stat("calls.node", &st) == 0 &&
	      S_ISREG(st.st_mode) && st.st_size == 0);
	unlink("calls.node");
	check("mknodat(0 type) is a regular file", mknodat(AT_FDCWD, "calls.node", 0644, 0) == 0 &&
	      stat("calls.node", &st) == 0 && S_ISREG(st.st_mode));
	unlink("calls.node");
	check("mknod of a directory is EPERM", mknod("calls.node", S_IFDIR | 0755, 0) == -1 && errno == EPERM);
	check("mknod of type 0170000 is EINVAL", mknod("calls.node", 0170000 | 0755, 0) == -1 && errno == EINVAL);
}

static siginfo_t got[8];
static int ngot;
static void on_rt(int s, siginfo_t *si, void *uc)
{
	if (ngot < 8)
		got[ngot++] = *si;
}

static void rt_queue(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	sigset_t block, old;
	int rt = SIGRTMIN + 2;
	sigaction(rt, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, rt);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < 3; i++)
		sigqueue(getpid(), rt, (union sigval){ .sival_int = 100 + i });
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 1 });
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 2 });
	sigprocmask(SIG_SETMASK, &old, NULL);
	int usr2 = 0, rts = 0, order = 1;
	for (int i = 0; i < ngot; i++) {
		if (got[i].si_signo == SIGUSR2)
			usr2++;
		if (got[i].si_signo == rt) {
			order &= got[i].si_value.sival_int == 100 + rts && got[i].si_code == SI_QUEUE &&
				 got[i].si_pid == getpid();
			rts++;
		}
	}
	check("three queued instances of an RT signal: three handler calls", rts == 3);
	check("each with its own si_value, in order, SI_QUEUE, our pid", order);
	check("a standard signal queued twice: one call", usr2 == 1);
	/* Both frames are set up on one return, the lower signal's first: the
	 * RT handler runs first, over SIGUSR2's. */
	check("the RT handler ran first, nested over SIGUSR2's", ngot && got[0].si_signo == rt);

	sigprocmask(SIG_BLOCK, &block, &old);
	kill(getpid(), rt);
	kill(getpid(), rt);
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	check("kill queues RT instances too: sigtimedwait takes two", sigtimedwait(&block, &si, &zero) == rt &&
	      si.si_code == SI_USER && sigtimedwait(&block, &si, &zero) == rt &&
	      sigtimedwait(&block, &si, &zero) == -1 && errno == EAGAIN);
	sigqueue(getpid(), rt, (union sigval){ .sival_int = 7 });
	signal(rt, SIG_IGN);
	sigset_t pend;
	sigpending(&pend);
	check("SIG_IGN drops the queued instances", !sigismember(&pend, rt));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(rt, SIG_DFL);
}

static void on_chld(int s) { }

/* SA_NOCLDWAIT with a handler: the child is reaped at its exit, and a wait
 * that the SIGCHLD interrupts finds no child: ECHILD, not EINTR. */
static void nocldwait(void)
{
	struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_NOCLDWAIT }, old;
	sigaction(SIGCHLD, &sa, &old);
	if (fork() == 0)
		_exit(0);
	int st;
	check("SA_NOCLDWAIT: wait gets ECHILD", wait(&st) == -1 && errno == ECHILD);
	sigaction(SIGCHLD, &old, NULL);
}

static void names(void)
{
	char name[16] = { 0 };
	check("prctl(PR_SET_NAME)", prctl(PR_SET_NAME, "calls-renamed", 0, 0, 0) == 0);
	check("prctl(PR_GET_NAME)", prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && !strcmp(name, "calls-renamed"));
	FILE *f = fopen("/proc/self/comm", "r");
	char line[32] = { 0 };
	check("/proc/self/comm shows it", f && fgets(line, sizeof line, f) && !strcmp(line, "calls-renamed\n"));
	if (f)
		fclose(f);
	prctl(PR_SET_NAME, "a-name-longer-than-fifteen", 0, 0, 0);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	check("a long name is cut to 15 bytes", !strcmp(name, "a-name-longer-t"));
	f = fopen("/proc/cpuinfo", "r");
	int proc = 0, flags = 0;
	while (f && fgets(line, sizeof line, f)) {
		proc |= !strncmp(line, "processor\t: 0", 13);
		flags |= !strncmp(line, "flags", 5);
	}
	if (f)
		fclose(f);
	check("/proc/cpuinfo: processor 0 and its flags", proc && flags);
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE refuse a negative count to wake or to
 * move (EINVAL, before the value is compared: LTP's futex_cmp_requeue02, the
 * CVE-2018-6927 fix); the count to move travels in the timeout argument. */
#define FUTEX_REQUEUE 3 /* musl has no <linux/futex.h> */
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_PRIVATE_FLAG 128

static long requeue(int op, unsigned *f, int wake, long move, unsigned val3)
{
	return syscall(SYS_futex, &f[0], op | FUTEX_PRIVATE_FLAG, wake, (void *)move, &f[1], val3);
}

static void futex_requeue(void)
{
	static unsigned f[2] = { 7, 8 };
	check("CMP_REQUEUE with nr_requeue -1 is EINVAL",
	      requeue(FUTEX_CMP_REQUEUE, f, 1, -1, 7) == -1 && errno == EINVAL);
	check("CMP_REQUEUE with nr_wake -1 is EINVAL",
	      requeue(FUTEX_CMP_REQUEUE, f, -1, 1, 7) == -1 && errno == EINVAL);
	check("CMP_REQUEUE with nr_wake -1 and a wrong value is EINVAL",
	      requeue(FUTEX_CMP_REQUEUE, f, -1, 1, 9) == -1 && errno == EINVAL);
	check("CMP_REQUEUE with a wrong value is EAGAIN",
	      requeue(FUTEX_CMP_REQUEUE, f, 1, 1, 9) == -1 && errno == EAGAIN);
	check("CMP_REQUEUE with nobody waiting is 0", requeue(FUTEX_CMP_REQUEUE, f, 1, 1, 7) == 0);
	check("REQUEUE with nr_requeue -1 is EINVAL",
	      requeue(FUTEX_REQUEUE, f, 1, -1, 0) == -1 && errno == EINVAL);
	check("REQUEUE with nobody waiting is 0", requeue(FUTEX_REQUEUE, f, 1, 1, 0) == 0);
}

/* A copy of this program, ./calls-copy, may not be exec'd while a file
 * open for writing holds it, nor opened for writing (or truncated) while a
 * process runs it; the copy says it runs by a byte on fd 3 (argv: "ran"). */
static void text_busy(void)
{
	char buf[4096];
	int in = open("/proc/self/exe", O_RDONLY), out = open("calls-copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			break;
	close(in);
	struct stat st;
	check("copied this program", out >= 0 && fstat(out, &st) == 0 && st.st_size > 0);
	char *argv[] = { "calls-copy", "ran", NULL };
	check("exec of a file open for writing is ETXTBSY",
	      execv("calls-copy", argv) == -1 && errno == ETXTBSY);
	close(out);

	int ran[2];
	if (pipe(ran) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ran[1], 3);
		execv("calls-copy", argv);
		_exit(127);
	}
	close(ran[1]);
	char c = 0;
	check("the copy runs", read(ran[0], &c, 1) == 1 && c == 'r');
	close(ran[0]);
	check("opening a running program for writing is ETXTBSY",
	      open("calls-copy", O_WRONLY) == -1 && errno == ETXTBSY);
	check("O_RDWR|O_TRUNC too, and the file keeps its size",
	      open("calls-copy", O_RDWR | O_TRUNC) == -1 && errno == ETXTBSY &&
	      stat("calls-copy", &st) == 0 && st.st_size > 0);
	check("truncate of a running program is ETXTBSY", truncate("calls-copy", 0) == -1 && errno == ETXTBSY);
	int rd = open("calls-copy", O_RDONLY);
	check("reading it is allowed", rd >= 0);
	close(rd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int fd = open("calls-copy", O_WRONLY | O_TRUNC);
	check("once it has exited, it opens for writing", fd >= 0);
	close(fd);
	unlink("calls-copy");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ran")) /* text_busy's copy */
		return write(3, "r", 1) == 1 ? pause() : 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	clocks();
	cpu_itimers();
	cpu_posix_timers();
	syncs();
	pipes();
	fifos();
	rt_queue();
	nocldwait();
	names();
	futex_requeue();
	text_busy();
	printf("%s\n", failed ? "some failed" : "all passed");
	return failed;
}
