/* mmap's and mprotect's corner cases, each as Linux has them (the LTP's
 * mmap05, 08, 13, 17, 18, 20, mprotect01 and fork14 in small): PROT_NONE
 * file pages fault, a bad fd's mapping fails with EBADF, a file page past
 * the end of the file raises SIGBUS, MAP_FIXED_NOREPLACE refuses a mapped
 * range, MAP_GROWSDOWN grows down to the guard gap, MAP_SHARED_VALIDATE
 * refuses unknown flags, mprotect refuses write rights the file's open
 * mode does not give, a shared futex's word must be readable (futex_wake05)
 * and a thousand adjacent 1 GiB reservations fit. One
 * line per check, the same natively (in a scratch directory) and in
 * forklab's guest, for the differential test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

#define FUTEX_WAKE 1
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | 128)
#define PAGE 4096UL
#define FILE_NAME "mapcompat-file"

static int failed;

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EFAULT: return "EFAULT";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

/* A call returning a pointer: "ok" or its errno, checked against expect. */
static void call_map(const char *what, void *r, int expect)
{
	int e = r == MAP_FAILED ? errno : 0;
	printf("%s: %s%s\n", what, ename(e), e == expect ? "" : "  <-- FAILED");
	failed |= e != expect;
	if (r != MAP_FAILED)
		munmap(r, PAGE);
}

static void call(const char *what, long r, int expect)
{
	int e = r < 0 ? errno : 0;
	printf("%s: %s%s\n", what, ename(e), e == expect ? "" : "  <-- FAILED");
	failed |= e != expect;
}

static sigjmp_buf env;
static volatile sig_atomic_t caught, armed;

/* A fault outside touch() is a bug (of the kernel under test): it ends
 * the program with its signal, rather than jump into a dead frame. */
static void on_fault(int sig)
{
	if (!armed) {
		signal(sig, SIG_DFL);
		return; /* the access again, now fatal */
	}
	caught = sig;
	siglongjmp(env, 1);
}

/* The signal one read (or write) of *p raises: 0 if none. */
static int touch(volatile char *p, bool write)
{
	caught = 0;
	if (sigsetjmp(env, 1) == 0) {
		armed = 1;
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	armed = 0;
	return caught;
}

static int file_of(off_t size)
{
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size) < 0) {
		perror("mapcompat: " FILE_NAME);
		exit(2);
	}
	return fd;
}

/* mmap05: a PROT_NONE mapping's pages, file or anonymous, are present
 * but not the user's. */
static void prot_none(void)
{
	int fd = file_of(PAGE);
	char *f = mmap(NULL, PAGE, PROT_NONE, MAP_SHARED, fd, 0);
	char *a = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("read of a PROT_NONE shared file page: SIGSEGV", f != MAP_FAILED && touch(f, false) == SIGSEGV);
	check("read of a PROT_NONE anonymous page: SIGSEGV", a != MAP_FAILED && touch(a, false) == SIGSEGV);
	check("mprotect(PROT_READ) then reads", mprotect(f, PAGE, PROT_READ) == 0 && touch(f, false) == 0);
	munmap(f, PAGE);
	munmap(a, PAGE);
	close(fd);
}

/* mmap08: the fd is looked up first, before the length (0 here) or the
 * flags are; the offset's alignment comes before it. */
static void bad_fd(void)
{
	int fd = file_of(PAGE);
	close(fd);
	call_map("mmap of a closed fd, length 0", mmap(NULL, 0, PROT_WRITE, MAP_SHARED, fd, 0), EBADF);
	call_map("mmap of a closed fd", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
	call_map("mmap of fd -1 without MAP_ANONYMOUS", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	call_map("mmap of a closed fd at offset 1", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	call_map("mmap of a closed fd, neither shared nor private", mmap(NULL, PAGE, PROT_READ, 0, fd, 0), EBADF);
}

/* mmap13: a page of a file mapping wholly past the end of the file
 * raises SIGBUS; the rest of the last page reads as zeros. */
static void past_eof(void)
{
	int fd = file_of(PAGE / 2);
	char *s = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("mmap past the end of a file", s != MAP_FAILED && p != MAP_FAILED);
	check("the last page past the end: zeros, no signal", touch(s + PAGE - 1, false) == 0 &&
	      s[PAGE - 1] == 0 && touch(p + PAGE / 2, true) == 0);
	check("a shared page past the end: write SIGBUS", touch(s + PAGE + 1, true) == SIGBUS);
	check("a shared page past the end: read SIGBUS", touch(s + 2 * PAGE, false) == SIGBUS);
	check("a private page past the end: read SIGBUS", touch(p + PAGE, false) == SIGBUS);
	check("after munmap: SIGSEGV", munmap(s, 3 * PAGE) == 0 && touch(s + PAGE, false) == SIGSEGV);
	munmap(p, 2 * PAGE);
	close(fd);
}

/* mmap17: MAP_FIXED_NOREPLACE maps at addr exactly, or fails with EEXIST
 * if anything is mapped there. */
static void fixed_noreplace(void)
{
	char *a = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a + 2 * PAGE, 2 * PAGE);
	a[0] = 'k';
	call_map("MAP_FIXED_NOREPLACE over a mapping", mmap(a, PAGE, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	call_map("MAP_FIXED_NOREPLACE over part of one", mmap(a + PAGE, 2 * PAGE, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	char *b = mmap(a + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check("MAP_FIXED_NOREPLACE in a hole: at the address", b == a + 2 * PAGE);
	check("the mapping below kept its page", touch(a, false) == 0 && a[0] == 'k');
	munmap(a, 4 * PAGE);
}

/* mmap18: a fault below a MAP_GROWSDOWN mapping grows it, unless it
 * would come within the stack guard gap (256 pages) of the mapping
 * below. Each case in a child, whose death is its answer. */
static int grow_child(bool blocked)
{
	const unsigned long gap = 256 * PAGE, stack = 16 * PAGE;
	char *r = mmap(NULL, gap + stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(r, gap + stack);
	char *top = r + gap + stack;
	char *g = mmap(top - PAGE, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
	if (g == MAP_FAILED)
		return 3;
	if (blocked && mmap(top - stack, PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return 3;
	for (char *p = top - PAGE; p >= top - stack + PAGE; p -= PAGE)
		*(volatile char *)p = 1; /* each one page below the last */
	return 0;
}

static void growsdown(void)
{
	static const char *const what[] = { "MAP_GROWSDOWN grows down 15 pages",
					    "MAP_GROWSDOWN into the guard gap: SIGSEGV" };
	for (int blocked = 0; blocked < 2; blocked++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGSEGV, SIG_DFL);
			_exit(grow_child(blocked));
		}
		int st;
		waitpid(pid, &st, 0);
		check(what[blocked], blocked ? WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV :
		      WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* mmap20: MAP_SHARED_VALIDATE is MAP_SHARED that refuses flags it does
 * not know, with EOPNOTSUPP. */
static void shared_validate(void)
{
	int fd = file_of(PAGE);
	call_map("MAP_SHARED_VALIDATE with flag 1<<10", mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | (1 << 10), fd, 0), EOPNOTSUPP);
	char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0);
	char c = 0;
	if (s != MAP_FAILED)
		*s = 'v';
	check("MAP_SHARED_VALIDATE maps shared: its store reaches the file",
	      s != MAP_FAILED && pread(fd, &c, 1, 0) == 1 && c == 'v');
	if (s != MAP_FAILED)
		munmap(s, PAGE);
	call_map("MAP_SHARED_VALIDATE anonymous", mmap(NULL, PAGE, PROT_READ,
		 MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	close(fd);
}

/* mprotect01: a shared mapping of a file not open for writing may never
 * become writable; a private one may. */
static void protect_rights(void)
{
	int fd = file_of(PAGE);
	close(fd);
	fd = open(FILE_NAME, O_RDONLY);
	int zero = open("/dev/zero", O_RDONLY);
	char *s = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	char *z = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, zero, 0);
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	check("read-only mappings", s != MAP_FAILED && z != MAP_FAILED && p != MAP_FAILED);
	call("mprotect(PROT_WRITE) of MAP_SHARED, O_RDONLY file", mprotect(s, PAGE, PROT_WRITE), EACCES);
	call("mprotect(PROT_WRITE) of MAP_SHARED, O_RDONLY /dev/zero", mprotect(z, PAGE, PROT_WRITE), EACCES);
	call("mprotect(PROT_WRITE) of MAP_PRIVATE, O_RDONLY file", mprotect(p, PAGE, PROT_WRITE), 0);
	call_map("mmap PROT_WRITE, MAP_SHARED of O_RDONLY /dev/zero",
		 mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, zero, 0), EACCES);
	munmap(s, PAGE);
	munmap(z, PAGE);
	munmap(p, PAGE);
	close(fd);
	close(zero);
}

/* futex_wake05: a FUTEX_WAKE without FUTEX_PRIVATE_FLAG looks the word up
 * as a read would, in any mapping. */
static void futex_words(void)
{
	int fd = file_of(PAGE / 2);
	char *f = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *n = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(n + PAGE, PAGE, PROT_NONE);
	char *u = n + 2 * PAGE; /* a hole nothing else is mapped into */
	munmap(u, PAGE);
	call("FUTEX_WAKE of an unmapped word", syscall(SYS_futex, u, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	call("FUTEX_WAKE of a PROT_NONE word", syscall(SYS_futex, n + PAGE, FUTEX_WAKE, 1, NULL, NULL, 0),
	     EFAULT);
	call("FUTEX_WAKE of a private word", syscall(SYS_futex, n, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	call("FUTEX_WAKE of a file's word", syscall(SYS_futex, f, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	call("FUTEX_WAKE of a word past the file's end",
	     syscall(SYS_futex, f + PAGE, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	call("FUTEX_WAKE_PRIVATE of a PROT_NONE word",
	     syscall(SYS_futex, n + PAGE, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	munmap(n, 2 * PAGE);
	munmap(f, 2 * PAGE);
	close(fd);
}

/* fork14 in small: adjacent anonymous reservations with the same rights
 * merge into one VMA, so that more of them fit than any VMA limit, and
 * fork copies none of their (absent) pages. PROT_NONE: Linux counts no
 * commit charge for them, so its fork does not fail either. */
static void many_reservations(void)
{
	enum { N = 1000 };
	static char *m[N];
	int ok = 0;
	for (int i = 0; i < N; i++)
		if ((m[i] = mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) != MAP_FAILED)
			ok++;
	check("1000 mappings of 1 GiB", ok == N);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int st = -1;
	check("fork with them", pid > 0 && waitpid(pid, &st, 0) == pid && st == 0);
	int gone = 0;
	for (int i = 0; i < N; i++)
		gone += m[i] != MAP_FAILED && munmap(m[i], 1UL << 30) == 0;
	check("munmap of each", gone == N);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* a kernel that hangs a check shows the ones before */
	struct sigaction sa = { .sa_handler = on_fault };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	prot_none();
	bad_fd();
	past_eof();
	fixed_noreplace();
	growsdown();
	shared_validate();
	protect_rights();
	futex_words();
	many_reservations();
	unlink(FILE_NAME);
	printf("%s\n", failed ? "FAILED" : "all passed");
	return failed;
}
