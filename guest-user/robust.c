/* Hostile user code that Linux survives, one case per argument (several may
 * follow each other): each runs in a child, and the parent prints how the
 * child ended. The kernel must carry
 * on after every one (issue 12); the output is Linux's, so most cases run
 * natively too (tests/integration/robust_test.c).
 *
 *   compat-syscall [NR] `syscall` from 32-bit code, with eax = NR (0x7fff)
 *   compat-int80 [NR]   `int $0x80` from 32-bit code
 *   compat-sysenter [NR] `sysenter` from 32-bit code
 *   compat-none         to 32-bit code and back, nothing else
 *   int80 [NR]          `int $0x80` from 64-bit code
 *   cpu-vendor          CPUID's vendor string (compat results depend on it)
 *   nx-exec             call into a present, non-executable page
 *   exec-data           the same on a page first touched by the fetch
 *   prot-none           mprotect(PROT_NONE) on present pages, then read, write, syscalls
 *   int-n               `int $N` for several N
 *   clone-nc-stack      clone with a non-canonical stack; the child only exits
 *   spin-nc-rsp         spin 200 ms (several timer ticks) with a non-canonical RSP
 *   push-nc-rsp         a push with a non-canonical RSP (#SS)
 *   syscall-nc-rsp      getpid and exit with a non-canonical RSP
 *   stack-top           the zero word at the top of the initial stack
 *   futex-cow           pthread_join while the thread's descriptor is copy-on-write
 *   orphan-signal       an orphan made by clone with SIGKILL as its exit signal exits
 *                       after its parent: the reaper (pid 1) must live on
 *   bad-exit-signal     children made by clone with exit signals 65-255 (no signals)
 *                       exit; their parent is not signalled, and reaps them
 *   exec=PATH           execve PATH, and say why it failed
 *   argc-zero           a child execs this program with an empty argv: Linux (since
 *                       5.18) gives the new image argc 1 and argv[0] ""
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NONCANONICAL 0x800000000000UL

/* long compat_call(long nr, long how): switches to 32-bit code (CS 0x23),
 * executes `syscall` (how 0), `int $0x80` (1) or `sysenter` (2) with eax =
 * nr, and comes back to 64-bit mode: eax sign-extended. The 32-bit code uses
 * no stack and no data segment (both would need addresses below 4 GiB), and
 * nothing above r7: a compat entry may zero r8-r15. */
long compat_call(long nr, long how);
__asm__(".text\n"
	".globl compat_call\n"
	"compat_call:\n\t"
	"push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n\t"
	"mov %rsp, compat_saved_rsp(%rip)\n\t"
	"lea 1f(%rip), %rdx\n\t"
	"cmp $1, %rsi; jne 0f; lea 2f(%rip), %rdx\n"
	"0:\tcmp $2, %rsi; jne 0f; lea 3f(%rip), %rdx\n"
	"0:\tcmp $3, %rsi; jne 0f; lea 4f(%rip), %rdx\n"
	"0:\tmov %edi, %eax\n\t"
	"xor %ebx, %ebx; xor %ecx, %ecx; xor %ebp, %ebp\n\t"
	"pushq $0x23\n\t"
	"pushq %rdx\n\t"
	"lretq\n"
	".code32\n"
	"1:\tsyscall\n\t"
	"jmp 4f\n"
	"2:\tint $0x80\n\t"
	"jmp 4f\n"
	"3:\tsysenter\n"
	"4:\tljmp $0x33, $5f\n"
	".code64\n"
	"5:\tmov compat_saved_rsp(%rip), %rsp\n\t"
	"movslq %eax, %rax\n\t"
	"pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n\t"
	"ret\n"
	".bss\n"
	".balign 8\n"
	"compat_saved_rsp: .quad 0\n"
	".text\n");

static const char *signame(int sig)
{
	static char buf[16];
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGILL: return "SIGILL";
	case SIGBUS: return "SIGBUS";
	case SIGTRAP: return "SIGTRAP";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	}
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

/* Runs fn(arg) in a child and prints "what: <how the child ended>". */
static void child(const char *what, void (*fn)(long), long arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	if (WIFSIGNALED(status))
		printf("%s: killed by %s\n", what, signame(WTERMSIG(status)));
	else
		printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

/* ---- 32-bit entries ---- */

static void do_compat(long how_nr)
{
	long r = compat_call(how_nr >> 8, how_nr & 0xff);
	printf("returned %ld\n", r);
}

static int compat(long how, long nr)
{
	static const char *const names[] = { "compat syscall", "compat int $0x80", "compat sysenter",
					      "compat round trip" };
	child(names[how], do_compat, nr << 8 | how);
	return 0;
}

static void int80_64(long nr)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	printf("returned %ld\n", r);
}

static int cpu_vendor(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	char v[13];
	memcpy(v, &b, 4), memcpy(v + 4, &d, 4), memcpy(v + 8, &c, 4);
	v[12] = 0;
	printf("%s\n", v);
	return 0;
}

/* ---- page faults ---- */

static unsigned char ret_insn[] = { 0xc3 }; /* a present data page: .data is touched at start */

static void nx_exec(long unused)
{
	ret_insn[0] = 0xc3;
	((void (*)(void))ret_insn)();
	printf("returned from a data page\n");
}

static void exec_data(long unused)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return;
	}
	((void (*)(void))p)(); /* not present yet: the fetch faults it in, then faults again on NX */
	printf("returned from an untouched data page\n");
}

static char *protnone_page;

static void read_page(long unused)
{
	printf("read %d\n", *(volatile char *)protnone_page);
}

static void write_page(long unused)
{
	*(volatile char *)protnone_page = 1;
	printf("wrote\n");
}

static int prot_none(void)
{
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	strcpy(p, "kept");
	strcpy(p + 4096, "second");
	protnone_page = p;
	if (mprotect(p, 4096, PROT_NONE) < 0)
		perror("mprotect");
	child("read after PROT_NONE", read_page, 0);
	child("write after PROT_NONE", write_page, 0);
	/* The kernel's own accesses: Linux says EFAULT. */
	errno = 0;
	ssize_t n = write(1, p, 4);
	printf("\nwrite(2) from it: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	int fds[2];
	if (pipe(fds) < 0 || write(fds[1], "abcd", 4) != 4)
		perror("pipe");
	errno = 0;
	n = read(fds[0], p, 4);
	printf("read(2) into it: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	/* (Not clock_gettime: Linux's runs in the vDSO, in user mode: SIGSEGV.) */
	errno = 0;
	int r = sigprocmask(SIG_SETMASK, (sigset_t *)p, NULL);
	printf("sigprocmask from it: %d %s\n", r, r < 0 ? strerror(errno) : "");
	protnone_page = p + 4096;
	child("read of the next page", read_page, 0);
	/* The contents survive, and come back with the rights. */
	if (mprotect(p, 4096, PROT_READ) < 0)
		perror("mprotect");
	printf("after PROT_READ: %s\n", p);
	protnone_page = p;
	child("write after PROT_READ", write_page, 0);
	if (mprotect(p, 4096, PROT_READ | PROT_WRITE) < 0)
		perror("mprotect");
	p[0] = 'K';
	printf("after PROT_READ|PROT_WRITE: %s\n", p);
	/* A fork shares a PROT_NONE page: the child cannot read it either,
	 * and gets it back with mprotect. */
	if (mprotect(p, 4096, PROT_NONE) < 0)
		perror("mprotect");
	child("forked child reads PROT_NONE", read_page, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		mprotect(p, 4096, PROT_READ);
		printf("forked child after PROT_READ: %s\n", p);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	mprotect(p, 4096, PROT_READ);
	printf("parent after PROT_READ: %s\n", p);
	return 0;
}

/* ---- int $N ---- */

#define INT_N(n) static void int_##n(long unused) { __asm__ volatile("int $" #n); printf("returned\n"); }
INT_N(0) INT_N(1) INT_N(3) INT_N(4) INT_N(6) INT_N(8) INT_N(13) INT_N(14) INT_N(32) INT_N(33)
INT_N(0x81) INT_N(0xef) INT_N(0xff)

static int int_n(void)
{
	static const struct { const char *name; void (*fn)(long); } cases[] = {
		{ "int $0", int_0 }, { "int $1", int_1 }, { "int $3", int_3 }, { "int $4", int_4 },
		{ "int $6", int_6 }, { "int $8", int_8 }, { "int $13", int_13 }, { "int $14", int_14 },
		{ "int $32", int_32 }, { "int $33", int_33 }, { "int $0x81", int_0x81 },
		{ "int $0xef", int_0xef }, { "int $0xff", int_0xff },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
		child(cases[i].name, cases[i].fn, 0);
	return 0;
}

/* ---- non-canonical stacks ---- */

static void clone_nc_stack(long unused)
{
	/* The child starts on the stack it was given and only calls exit(7). */
	long r;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "mov $7, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(r)
			 : "a"(56L), "D"((long)SIGCHLD), "S"(NONCANONICAL), "d"(0L)
			 : "rcx", "r11", "r8", "r10", "memory");
	if (r < 0) {
		printf("clone: %s\n", strerror(-r));
		return;
	}
	int status;
	if (waitpid(r, &status, 0) != r)
		perror("waitpid");
	else if (WIFSIGNALED(status))
		printf("the child was killed by %s\n", signame(WTERMSIG(status)));
	else
		printf("the child exited %d\n", WEXITSTATUS(status));
}

static uint64_t rdtsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_nc_rsp(long unused)
{
	/* TSC ticks per 200 ms, measured over 20 ms. */
	double t0 = now();
	uint64_t c0 = rdtsc();
	while (now() - t0 < 0.02)
		;
	uint64_t span = (rdtsc() - c0) * 10;
	double s0 = now();
	/* No stack use in between: every register the loop needs is its own. */
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[nc], %%rsp\n\t"
			 "rdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rax, %%rdx\n\t"
			 "lea (%%rdx,%[span]), %%rsi\n"
			 "1:\trdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rax, %%rdx\n\t"
			 "cmp %%rsi, %%rdx\n\t"
			 "jb 1b\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : [nc] "r"(NONCANONICAL - 64), [span] "r"(span)
			 : "rax", "rbx", "rdx", "rsi", "memory");
	printf("spun with a non-canonical rsp for %s\n",
	       now() - s0 >= 0.15 ? "200 ms" : "less than 150 ms");
}

static void push_nc_rsp(long unused)
{
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[nc], %%rsp\n\t"
			 "push %%rax\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : [nc] "r"(NONCANONICAL + 4096) /* the push writes below: still non-canonical */
			 : "rbx", "memory");
	printf("pushed onto a non-canonical stack\n");
}

static void syscall_nc_rsp(long unused)
{
	long pid;
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %[nc], %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %%rsp"
			 : "=a"(pid)
			 : "a"(39L), [nc] "r"(NONCANONICAL)
			 : "rbx", "rcx", "r11", "memory");
	printf("getpid with a non-canonical rsp: %s\n", pid == getpid() ? "the pid" : "wrong");
	fflush(stdout);
	__asm__ volatile("mov %[nc], %%rsp\n\t"
			 "syscall\n\t"
			 "ud2"
			 :
			 : "a"(60L), "D"(9L), [nc] "r"(NONCANONICAL)
			 : "memory");
}

/* ---- futexes and copy-on-write ---- */

static void *nap(void *unused)
{
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	return NULL;
}

/* pthread_join sleeps on a word of the thread's descriptor, shared
 * copy-on-write with a forked child; the thread's exit clears the word,
 * which copies the page, then wakes the joiner: the wake must find it. */
static void futex_cow(long unused)
{
	pthread_t t;
	if (pthread_create(&t, NULL, nap, NULL)) {
		printf("pthread_create failed\n");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		nanosleep(&(struct timespec){ 1, 0 }, NULL); /* holding the pages shared */
		_exit(0);
	}
	pthread_join(t, NULL);
	printf("joined the thread\n");
	waitpid(pid, NULL, 0);
}

/* ---- reparenting ---- */

/* A child's exit signal is its parent's business: once the child is an
 * orphan, its exit sends the reaper SIGCHLD, whatever clone said (Linux's
 * reparent_leader). We are the reaper: pid 1 in the guest, a subreaper
 * natively. The grandchild runs on raw system calls only (a clone child
 * shares no libc state safely). */
static int orphan_signal(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t mid = fork();
	if (mid == 0) {
		if (syscall(SYS_clone, SIGKILL, 0, 0, 0, 0) == 0) {
			struct timespec nap = { 0, 200 * 1000 * 1000 }; /* until mid has exited */
			syscall(SYS_nanosleep, &nap, NULL);
			syscall(SYS_exit, 7);
		}
		_exit(0);
	}
	int st;
	waitpid(mid, &st, 0);
	pid_t orphan = waitpid(-1, &st, __WALL);
	if (orphan < 0 || !WIFEXITED(st)) {
		printf("no orphan to reap (%s)\n", orphan < 0 ? strerror(errno) : "killed");
		return 1;
	}
	printf("the orphan exited with %d; its SIGKILL exit signal did not reach the reaper\n",
	       WEXITSTATUS(st));
	return 0;
}

/* clone's exit signal is CSIGNAL's 8 bits; 65-255 are no signal, and the
 * child's exit sends nothing (Linux's valid_signal test). Several children
 * at once, so that a slot overrun would hit a live task. */
static int bad_exit_signal(void)
{
	static const int sigs[] = { 65, 66, 100, 129, 130, 200, 255 };
	enum { N = sizeof sigs / sizeof sigs[0] };
	pid_t pids[N];
	for (int i = 0; i < N; i++)
		if ((pids[i] = syscall(SYS_clone, sigs[i], 0, 0, 0, 0)) == 0) {
			struct timespec nap = { 0, 50 * 1000 * 1000 }; /* until all exist */
			syscall(SYS_nanosleep, &nap, NULL);
			syscall(SYS_exit, i);
		}
	int reaped = 0;
	for (int i = 0; i < N; i++) {
		int st;
		if (pids[i] > 0 && waitpid(pids[i], &st, __WALL) == pids[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == i)
			reaped++;
	}
	printf("%d of %d children with exit signals 65-255 reaped\n", reaped, N);
	return reaped != N;
}

/* ---- the initial stack ---- */

static int stack_top(void)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	unsigned long end = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "[stack]"))
			sscanf(line, "%*[0-9a-f]-%lx", &end);
	if (f)
		fclose(f);
	if (!fn || !end) {
		printf("no AT_EXECFN or no [stack] line\n");
		return 1;
	}
	unsigned long top = *(unsigned long *)(end - 8);
	printf("top word: %#lx\n", top);
	printf("AT_EXECFN's string ends %ld bytes below the top\n",
	       (long)(end - ((unsigned long)fn + strlen(fn) + 1)));
	return 0;
}

/* execve of path: prints why it failed. */
static int exec(const char *path)
{
	char *const av[] = { (char *)path, NULL };
	execve(path, av, av + 1);
	printf("execve %s: %s\n", path, strerror(errno));
	return 0;
}

static int argc_zero(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { NULL }, *envp[] = { "ROBUST_SHOW_ARGS=1", NULL };
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("argc-zero: the child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* One command; arg is the number after it, or NULL. 0, 1 on a failure of
 * the program itself, -1 for an unknown command. */
static int run(const char *cmd, const char *arg)
{
	long nr = arg ? strtol(arg, NULL, 0) : 0x7fff; /* no such system call in any table */
	if (!strcmp(cmd, "compat-syscall"))
		return compat(0, nr);
	if (!strcmp(cmd, "compat-int80"))
		return compat(1, nr);
	if (!strcmp(cmd, "compat-sysenter"))
		return compat(2, nr);
	if (!strcmp(cmd, "compat-none"))
		return compat(3, nr);
	if (!strcmp(cmd, "int80"))
		return child("int $0x80", int80_64, nr), 0;
	if (!strcmp(cmd, "cpu-vendor"))
		return cpu_vendor();
	if (!strcmp(cmd, "nx-exec"))
		return child("call into .data", nx_exec, 0), 0;
	if (!strcmp(cmd, "exec-data"))
		return child("call into fresh mmap memory", exec_data, 0), 0;
	if (!strcmp(cmd, "prot-none"))
		return prot_none();
	if (!strcmp(cmd, "int-n"))
		return int_n();
	if (!strcmp(cmd, "clone-nc-stack"))
		return child("clone with a non-canonical stack", clone_nc_stack, 0), 0;
	if (!strcmp(cmd, "spin-nc-rsp"))
		return child("spin with a non-canonical rsp", spin_nc_rsp, 0), 0;
	if (!strcmp(cmd, "push-nc-rsp"))
		return child("push with a non-canonical rsp", push_nc_rsp, 0), 0;
	if (!strcmp(cmd, "syscall-nc-rsp"))
		return child("syscalls with a non-canonical rsp", syscall_nc_rsp, 0), 0;
	if (!strcmp(cmd, "stack-top"))
		return stack_top();
	if (!strncmp(cmd, "exec=", 5))
		return exec(cmd + 5);
	if (!strcmp(cmd, "futex-cow"))
		return child("join after copy-on-write", futex_cow, 0), 0;
	if (!strcmp(cmd, "orphan-signal"))
		return orphan_signal();
	if (!strcmp(cmd, "bad-exit-signal"))
		return bad_exit_signal();
	if (!strcmp(cmd, "argc-zero"))
		return argc_zero();
	return -1;
}

/* Each argument a command, a number after one its NR; in order. */
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("ROBUST_SHOW_ARGS")) { /* argc-zero's new image */
		printf("argc=%d argv[0]=\"%s\"\n", argc, argc ? argv[0] : "(none)");
		return 0;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9' ?
				  argv[i + 1] : NULL;
		int r = run(argv[i], arg);
		if (r < 0) {
			fprintf(stderr, "usage: robust COMMAND [NR]...: compat-syscall, compat-int80, "
				"compat-sysenter, compat-none [NR], int80 [NR], cpu-vendor, nx-exec, "
				"exec-data, prot-none, int-n, clone-nc-stack, spin-nc-rsp, push-nc-rsp, "
				"syscall-nc-rsp, stack-top, futex-cow, orphan-signal, bad-exit-signal, exec=PATH, "
				"argc-zero\n");
			return 2;
		}
		status |= r;
		i += arg != NULL;
	}
	return status;
}
