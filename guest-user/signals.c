/* Signals as Linux delivers them, one line per check: handlers and their
 * frames (every register and the SSE state survive a handler), masks,
 * SA_* flags, EINTR and SA_RESTART, sigsuspend, sigtimedwait, sigqueue,
 * SIGCHLD, SIGPIPE, stop and continue, process groups and sessions, alarm,
 * interval and POSIX timers, fork and exec, faults caught and fatal,
 * sigaltstack, delivery to a thread that does not block. Runs the same
 * natively, for the differential test. `signals bench` times a signal's
 * round trip instead (guest rdtsc; under -icount, instructions). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = flags | SA_SIGINFO };
	if (mask)
		sa.sa_mask = *mask;
	sigaction(sig, &sa, NULL);
}

static void dfl(int sig, void (*h)(int))
{
	struct sigaction sa = { .sa_handler = h };
	sigaction(sig, &sa, NULL);
}

static sigset_t set_of(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static void block(int sig, int how)
{
	sigset_t s = set_of(sig, 0);
	sigprocmask(how, &s, NULL);
}

/* The status of a child running fn (its exit code, or 128+N if killed by N). */
static int child_status(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- handlers: a log of what ran ---- */
static volatile int hits[65], last_code, last_pid, last_status, order_len;
static volatile long last_value;
static void *volatile last_addr;
static char order[64];

static void record(int sig, siginfo_t *si, void *uc)
{
	hits[sig]++;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_status = si->si_status;
	last_value = si->si_value.sival_int;
	if (order_len < 60)
		order[order_len++] = sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : '?';
}

static void reset(void)
{
	memset((void *)hits, 0, sizeof hits);
	order_len = 0;
	memset(order, 0, sizeof order);
}

/* USR1's handler raises USR2 inside; where USR2 runs shows the mask. */
static void usr1_raises_usr2(int sig, siginfo_t *si, void *uc)
{
	order[order_len++] = '(';
	raise(SIGUSR2);
	order[order_len++] = ')';
}

static volatile int depth, max_depth;
static void nested(int sig, siginfo_t *si, void *uc)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (hits[sig]++ == 0)
		raise(sig);
	depth--;
}

/* ---- 1. every register survives a handler ---- */
static volatile int reg_flag;
uint64_t regs_before[18], regs_after[18];
static uint8_t xmm_before[16][16], xmm_after[16][16];
static unsigned handler_mxcsr;
static volatile unsigned handler_df;

extern void regs_test(void);
__asm__(".text\n.globl regs_test\nregs_test:\n"
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
	"mov %rsp, regs_before+128(%rip)\n"
	"lea xmm_before(%rip), %rax\n"
	"movdqu 0(%rax), %xmm0\nmovdqu 16(%rax), %xmm1\nmovdqu 32(%rax), %xmm2\nmovdqu 48(%rax), %xmm3\n"
	"movdqu 64(%rax), %xmm4\nmovdqu 80(%rax), %xmm5\nmovdqu 96(%rax), %xmm6\nmovdqu 112(%rax), %xmm7\n"
	"movdqu 128(%rax), %xmm8\nmovdqu 144(%rax), %xmm9\nmovdqu 160(%rax), %xmm10\nmovdqu 176(%rax), %xmm11\n"
	"movdqu 192(%rax), %xmm12\nmovdqu 208(%rax), %xmm13\nmovdqu 224(%rax), %xmm14\nmovdqu 240(%rax), %xmm15\n"
	"mov regs_before+0(%rip), %rax\nmov regs_before+8(%rip), %rbx\nmov regs_before+16(%rip), %rcx\n"
	"mov regs_before+24(%rip), %rdx\nmov regs_before+32(%rip), %rsi\nmov regs_before+40(%rip), %rdi\n"
	"mov regs_before+48(%rip), %rbp\nmov regs_before+56(%rip), %r8\nmov regs_before+64(%rip), %r9\n"
	"mov regs_before+72(%rip), %r10\nmov regs_before+80(%rip), %r11\nmov regs_before+88(%rip), %r12\n"
	"mov regs_before+96(%rip), %r13\nmov regs_before+104(%rip), %r14\nmov regs_before+112(%rip), %r15\n"
	"std\n"
	"1: cmpl $0, reg_flag(%rip)\nje 1b\n"
	"pushf\npopq regs_after+136(%rip)\ncld\n"
	"mov %rax, regs_after+0(%rip)\nmov %rbx, regs_after+8(%rip)\nmov %rcx, regs_after+16(%rip)\n"
	"mov %rdx, regs_after+24(%rip)\nmov %rsi, regs_after+32(%rip)\nmov %rdi, regs_after+40(%rip)\n"
	"mov %rbp, regs_after+48(%rip)\nmov %r8, regs_after+56(%rip)\nmov %r9, regs_after+64(%rip)\n"
	"mov %r10, regs_after+72(%rip)\nmov %r11, regs_after+80(%rip)\nmov %r12, regs_after+88(%rip)\n"
	"mov %r13, regs_after+96(%rip)\nmov %r14, regs_after+104(%rip)\nmov %r15, regs_after+112(%rip)\n"
	"mov %rsp, regs_after+128(%rip)\n"
	"lea xmm_after(%rip), %rax\n"
	"movdqu %xmm0, 0(%rax)\nmovdqu %xmm1, 16(%rax)\nmovdqu %xmm2, 32(%rax)\nmovdqu %xmm3, 48(%rax)\n"
	"movdqu %xmm4, 64(%rax)\nmovdqu %xmm5, 80(%rax)\nmovdqu %xmm6, 96(%rax)\nmovdqu %xmm7, 112(%rax)\n"
	"movdqu %xmm8, 128(%rax)\nmovdqu %xmm9, 144(%rax)\nmovdqu %xmm10, 160(%rax)\nmovdqu %xmm11, 176(%rax)\n"
	"movdqu %xmm12, 192(%rax)\nmovdqu %xmm13, 208(%rax)\nmovdqu %xmm14, 224(%rax)\nmovdqu %xmm15, 240(%rax)\n"
	"pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

/* Clobbers every register it may; the compiler saves the callee-saved ones. */
static void clobber(int sig, siginfo_t *si, void *uc)
{
	unsigned long fl;
	__asm__ volatile("stmxcsr %0" : "=m"(handler_mxcsr));
	__asm__ volatile("sub $128, %%rsp; pushf; pop %0; add $128, %%rsp" : "=r"(fl)); /* past the red zone */
	handler_df = !!(fl & 0x400);
	__asm__ volatile("mov $-1, %%rax; mov $-1, %%rbx; mov $-1, %%rcx; mov $-1, %%rdx; mov $-1, %%rsi;"
			 "mov $-1, %%rdi; mov $-1, %%r8; mov $-1, %%r9; mov $-1, %%r10; mov $-1, %%r11;"
			 "mov $-1, %%r12; mov $-1, %%r13; mov $-1, %%r14; mov $-1, %%r15;"
			 "pcmpeqd %%xmm0, %%xmm0; pcmpeqd %%xmm1, %%xmm1; pcmpeqd %%xmm2, %%xmm2;"
			 "pcmpeqd %%xmm7, %%xmm7; pcmpeqd %%xmm8, %%xmm8; pcmpeqd %%xmm15, %%xmm15;"
			 ::: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
			 "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm7", "xmm8", "xmm15", "memory");
	unsigned odd = 0x7f80; /* all exceptions masked, round to nearest */
	__asm__ volatile("ldmxcsr %0" ::"m"(odd));
	reg_flag = 1;
}

static void test_registers(void)
{
	for (int i = 0; i < 15; i++)
		regs_before[i] = 0x0101010101010101ULL * (i + 1) ^ 0x8000000000000000ULL;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			xmm_before[i][j] = i * 16 + j + 1;
	unsigned m = 0x1f80 | 1 << 13, m2 = 0; /* rounding down */
	__asm__ volatile("ldmxcsr %0" ::"m"(m));
	on(SIGALRM, clobber, 0, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	regs_test();
	__asm__ volatile("stmxcsr %0" : "=m"(m2));
	unsigned dflt = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(dflt));
	int bad = 0;
	for (int i = 0; i < 15; i++)
		if (regs_before[i] != regs_after[i]) {
			printf("  register %d: %#lx, expected %#lx\n", i, (unsigned long)regs_after[i],
			       (unsigned long)regs_before[i]);
			bad = 1;
		}
	check("async handler: 15 general registers restored", !bad);
	check("async handler: rsp restored", regs_before[16] == regs_after[16]);
	check("async handler: DF restored, and clear in the handler",
	      (regs_after[17] & 0x400) && !handler_df);
	check("async handler: xmm0-15 restored", !memcmp(xmm_before, xmm_after, sizeof xmm_before));
	check("async handler: mxcsr restored", m2 == m);
	check("async handler: the handler starts with the default mxcsr", handler_mxcsr == 0x1f80);
	dfl(SIGALRM, SIG_DFL);
}

/* ---- 2. faults ---- */
static sigjmp_buf jb;
static void fault_jump(int sig, siginfo_t *si, void *uc)
{
	hits[sig]++;
	last_code = si->si_code;
	last_addr = si->si_addr;
	siglongjmp(jb, sig);
}

static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	hits[sig]++;
	last_code = si->si_code;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static volatile int zero;
static void null_write(void)
{
	*(volatile int *)(uintptr_t)zero = 1;
}

static void segv_blocked(void)
{
	on(SIGSEGV, fault_jump, 0, NULL);
	block(SIGSEGV, SIG_BLOCK);
	null_write();
}

static void segv_in_handler_handler(int sig, siginfo_t *si, void *uc)
{
	null_write(); /* SIGSEGV is blocked here: the task dies of it */
}

static void segv_twice(void)
{
	on(SIGSEGV, segv_in_handler_handler, 0, NULL);
	null_write();
}

static void segv_ignored(void)
{
	dfl(SIGSEGV, SIG_IGN);
	null_write();
}

static void test_faults(void)
{
	reset();
	on(SIGSEGV, fault_jump, 0, NULL);
	if (sigsetjmp(jb, 1) == 0)
		null_write();
	check("SIGSEGV handler runs, siglongjmp out", hits[SIGSEGV] == 1);
	check("SIGSEGV si_code SEGV_MAPERR, si_addr 0", last_code == SEGV_MAPERR && last_addr == NULL);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)ro = 1;
	check("write to a read-only page: SEGV_ACCERR at its address",
	      hits[SIGSEGV] == 2 && last_code == SEGV_ACCERR && last_addr == ro);
	munmap(ro, 4096);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	check("siglongjmp restored the mask (SIGSEGV unblocked)", !sigismember(&cur, SIGSEGV));
	on(SIGFPE, fault_jump, 0, NULL);
	if (sigsetjmp(jb, 1) == 0) {
		volatile int a = 1, b = zero;
		a = a / b;
	}
	check("SIGFPE handler: FPE_INTDIV", hits[SIGFPE] == 1 && last_code == FPE_INTDIV);
	on(SIGILL, skip_ud2, 0, NULL);
	__asm__ volatile("ud2");
	check("SIGILL handler moves RIP past ud2: ILL_ILLOPN", hits[SIGILL] == 1 && last_code == ILL_ILLOPN);
	dfl(SIGSEGV, SIG_DFL);
	dfl(SIGFPE, SIG_DFL);
	dfl(SIGILL, SIG_DFL);
	printf("SIGSEGV while blocked: status %d\n", child_status(segv_blocked));
	printf("SIGSEGV inside its own handler: status %d\n", child_status(segv_twice));
	printf("SIGSEGV while ignored: status %d\n", child_status(segv_ignored));
}

/* ---- 3. masks and flags ---- */
static void test_masks(void)
{
	sigset_t usr2 = set_of(SIGUSR2, 0), cur;
	reset();
	on(SIGUSR1, record, 0, NULL);
	raise(SIGUSR1);
	check("raise: handler ran once, si_code SI_TKILL, si_pid is ours",
	      hits[SIGUSR1] == 1 && last_code == SI_TKILL && last_pid == getpid());
	kill(getpid(), SIGUSR1);
	check("kill: si_code SI_USER", hits[SIGUSR1] == 2 && last_code == SI_USER);

	reset();
	on(SIGUSR1, usr1_raises_usr2, 0, &usr2);
	on(SIGUSR2, record, 0, NULL);
	raise(SIGUSR1);
	printf("USR2 in sa_mask: order %s\n", order);
	reset();
	on(SIGUSR1, usr1_raises_usr2, 0, NULL);
	raise(SIGUSR1);
	printf("USR2 not masked: order %s\n", order);

	reset();
	max_depth = 0;
	on(SIGUSR1, nested, 0, NULL);
	raise(SIGUSR1);
	printf("handler raising its own signal: runs %d, deepest %d\n", hits[SIGUSR1], max_depth);
	reset();
	max_depth = 0;
	on(SIGUSR1, nested, SA_NODEFER, NULL);
	raise(SIGUSR1);
	printf("the same with SA_NODEFER: runs %d, deepest %d\n", hits[SIGUSR1], max_depth);

	reset();
	on(SIGUSR1, record, SA_RESETHAND, NULL);
	raise(SIGUSR1);
	struct sigaction old;
	sigaction(SIGUSR1, NULL, &old);
	check("SA_RESETHAND: back to SIG_DFL after one delivery",
	      hits[SIGUSR1] == 1 && old.sa_handler == SIG_DFL);

	reset();
	on(SIGUSR1, record, 0, NULL);
	block(SIGUSR1, SIG_BLOCK);
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	check("blocked: pending, handler not run", sigismember(&pend, SIGUSR1) && hits[SIGUSR1] == 0);
	raise(SIGUSR1);
	block(SIGUSR1, SIG_UNBLOCK);
	check("unblocked: runs before sigprocmask returns, once", hits[SIGUSR1] == 1);
	sigpending(&pend);
	check("nothing pending after", !sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_BLOCK, NULL, &cur);
	check("SIGKILL and SIGSTOP cannot be blocked",
	      (sigfillset(&pend), sigprocmask(SIG_SETMASK, &pend, &cur) == 0) &&
	      (sigprocmask(SIG_SETMASK, &cur, &pend), !sigismember(&pend, SIGKILL) &&
	       !sigismember(&pend, SIGSTOP)));
	struct sigaction sa = { .sa_handler = SIG_IGN };
	check("sigaction on SIGKILL: EINVAL", sigaction(SIGKILL, &sa, NULL) < 0 && errno == EINVAL);

	/* ignored while pending: discarded */
	reset();
	block(SIGUSR2, SIG_BLOCK);
	raise(SIGUSR2);
	dfl(SIGUSR2, SIG_IGN);
	sigpending(&pend);
	check("setting SIG_IGN discards a pending signal", !sigismember(&pend, SIGUSR2));
	block(SIGUSR2, SIG_UNBLOCK);
	dfl(SIGUSR1, SIG_DFL);
	dfl(SIGUSR2, SIG_DFL);
}

/* ---- 4. EINTR, SA_RESTART, pause, sigsuspend, sigtimedwait, sigqueue ---- */
static void kill_parent_later(int fd)
{
	fflush(stdout);
	if (fork() == 0) {
		msleep(30);
		kill(getppid(), SIGUSR1);
		msleep(30);
		if (fd >= 0)
			(void)!write(fd, "x", 1);
		_exit(0);
	}
}

static void test_interrupts(void)
{
	int p[2];
	char c;
	reset();
	on(SIGUSR1, record, 0, NULL);
	pipe(p);
	kill_parent_later(p[1]);
	ssize_t r = read(p[0], &c, 1);
	int e = errno;
	wait(NULL);
	check("read interrupted by a handler without SA_RESTART: EINTR", r < 0 && e == EINTR && hits[SIGUSR1] == 1);
	read(p[0], &c, 1);

	on(SIGUSR1, record, SA_RESTART, NULL);
	kill_parent_later(p[1]);
	r = read(p[0], &c, 1);
	wait(NULL);
	check("with SA_RESTART: the read restarts and gets the byte", r == 1 && c == 'x' && hits[SIGUSR1] == 2);
	close(p[0]);
	close(p[1]);

	on(SIGUSR1, record, SA_RESTART, NULL);
	kill_parent_later(-1);
	r = pause();
	e = errno;
	wait(NULL);
	check("pause returns -1 EINTR after a handler (SA_RESTART or not)", r < 0 && e == EINTR && hits[SIGUSR1] == 3);

	on(SIGUSR1, record, 0, NULL);
	kill_parent_later(-1);
	struct timespec ts = { 5, 0 }, rem = { 0, 0 };
	r = nanosleep(&ts, &rem);
	e = errno;
	wait(NULL);
	check("nanosleep: EINTR, with the time left", r < 0 && e == EINTR && rem.tv_sec >= 3 && rem.tv_sec < 5);

	sigset_t usr1 = set_of(SIGUSR1, 0), empty = set_of(0, 0), cur;
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	kill_parent_later(-1);
	r = sigsuspend(&empty);
	e = errno;
	wait(NULL);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	check("sigsuspend: EINTR after the handler, old mask back", r < 0 && e == EINTR && hits[SIGUSR1] == 5 &&
	      sigismember(&cur, SIGUSR1));

	/* sigtimedwait: a blocked signal, taken synchronously */
	siginfo_t si;
	raise(SIGUSR1);
	r = sigtimedwait(&usr1, &si, &(struct timespec){ 1, 0 });
	check("sigtimedwait takes a pending blocked signal, no handler",
	      r == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_TKILL && hits[SIGUSR1] == 5);
	r = sigtimedwait(&usr1, &si, &(struct timespec){ 0, 20000000 });
	check("sigtimedwait times out: EAGAIN", r < 0 && errno == EAGAIN);
	kill_parent_later(-1);
	r = sigwaitinfo(&usr1, &si);
	wait(NULL);
	check("sigwaitinfo sleeps until it comes: SI_USER from the child",
	      r == SIGUSR1 && si.si_code == SI_USER && si.si_pid != getpid());
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);

	/* sigqueue: a value rides along */
	reset();
	on(SIGUSR2, record, 0, NULL);
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 42 });
	check("sigqueue: SI_QUEUE with its value", hits[SIGUSR2] == 1 && last_code == SI_QUEUE && last_value == 42);
	dfl(SIGUSR1, SIG_DFL);
	dfl(SIGUSR2, SIG_DFL);
}

/* ---- 5. SIGCHLD, SIGPIPE ---- */
static void write_closed_pipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	(void)!write(p[1], "x", 1);
	_exit(0);
}

static void test_chld_pipe(void)
{
	reset();
	sigset_t chld = set_of(SIGCHLD, 0), empty = set_of(0, 0);
	on(SIGCHLD, record, 0, NULL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	while (!hits[SIGCHLD])
		sigsuspend(&empty);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	check("SIGCHLD: CLD_EXITED, the child's pid and status",
	      last_code == CLD_EXITED && last_pid == pid && last_status == 3);
	int st;
	check("the child is still there to reap", waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 3);

	dfl(SIGCHLD, SIG_IGN);
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(4);
	check("SIGCHLD ignored: children reap themselves, wait says ECHILD",
	      waitpid(-1, &st, 0) < 0 && errno == ECHILD);
	dfl(SIGCHLD, SIG_DFL);

	int p[2];
	pipe(p);
	close(p[0]);
	dfl(SIGPIPE, SIG_IGN);
	check("write to a pipe without readers, SIGPIPE ignored: EPIPE", write(p[1], "x", 1) < 0 && errno == EPIPE);
	reset();
	on(SIGPIPE, record, 0, NULL);
	check("with a handler: it runs, then EPIPE",
	      write(p[1], "x", 1) < 0 && errno == EPIPE && hits[SIGPIPE] == 1 && last_code == SI_USER);
	close(p[1]);
	dfl(SIGPIPE, SIG_DFL);
	printf("SIGPIPE by default: status %d\n", child_status(write_closed_pipe));
}

/* ---- 6. stop and continue ---- */
static void pause_forever(void)
{
	for (;;)
		pause();
}

static void test_stop(void)
{
	int st;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		pause_forever();
	kill(pid, SIGSTOP);
	check("SIGSTOP: wait WUNTRACED reports stopped by 19",
	      waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && (st & 0xffff) == 0x137f);
	check("reported once: WNOHANG then says nothing", waitpid(pid, &st, WUNTRACED | WNOHANG) == 0);
	kill(pid, SIGCONT);
	check("SIGCONT: wait WCONTINUED reports continued (0xffff)",
	      waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st) && st == 0xffff);
	kill(pid, SIGTSTP);
	siginfo_t si = { 0 };
	check("SIGTSTP: waitid WSTOPPED reports CLD_STOPPED, 20",
	      waitid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_code == CLD_STOPPED && si.si_status == SIGTSTP);
	kill(pid, SIGCONT);
	check("waitid WCONTINUED: CLD_CONTINUED",
	      waitid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT);
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGTERM); /* pending while stopped */
	check("a stopped child does not die of SIGTERM until continued",
	      waitpid(pid, &st, WNOHANG) == 0);
	kill(pid, SIGCONT);
	check("continued: SIGTERM kills it", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	if ((pid = fork()) == 0)
		pause_forever();
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGKILL);
	check("SIGKILL kills a stopped child", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* The parent is told with SIGCHLD, CLD_STOPPED, unless SA_NOCLDSTOP. */
	reset();
	sigset_t chld = set_of(SIGCHLD, 0);
	on(SIGCHLD, record, 0, NULL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if ((pid = fork()) == 0)
		pause_forever();
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	check("SIGCHLD for a stop: CLD_STOPPED", hits[SIGCHLD] == 1 && last_code == CLD_STOPPED);
	on(SIGCHLD, record, SA_NOCLDSTOP, NULL);
	kill(pid, SIGCONT);
	waitpid(pid, &st, WCONTINUED);
	check("SA_NOCLDSTOP: no SIGCHLD for a continue", hits[SIGCHLD] == 1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	dfl(SIGCHLD, SIG_DFL);
}

/* ---- 7. process groups and sessions ---- */
static const char *self; /* argv[0]: this program, exec'd again by some tests */

static void group_child(void)
{
	setpgid(0, 0);
	pause_forever();
}

static void session_child(void)
{
	pid_t sid0 = getsid(0);
	int ok = sid0 == getsid(getppid());
	pid_t s = setsid();
	ok = ok && s == getpid() && getsid(0) == getpid() && getpgrp() == getpid() && getpgid(0) == getpid();
	ok = ok && setsid() < 0 && errno == EPERM;
	ok = ok && setpgid(0, getppid()) < 0 && errno == EPERM; /* another session's group */
	_exit(ok ? 0 : 1);
}

static void test_groups(void)
{
	int st;
	check("getpgrp() == getpgid(0) == getpgid(getpid())",
	      getpgrp() == getpgid(0) && getpgid(0) == getpgid(getpid()));
	check("getpgid of no such process: ESRCH", getpgid(999999) < 0 && errno == ESRCH);
	fflush(stdout);
	pid_t a = fork();
	if (a == 0)
		group_child();
	setpgid(a, a);
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, a);
		pause_forever();
	}
	setpgid(b, a);
	check("children in a new group", getpgid(a) == a && getpgid(b) == a && getpgrp() != a);
	check("the child inherits the parent's session", getsid(a) == getsid(0));
	check("kill(-pgid) reaches the whole group", kill(-a, SIGTERM) == 0 &&
	      waitpid(a, &st, 0) == a && WTERMSIG(st) == SIGTERM && waitpid(b, &st, 0) == b &&
	      WTERMSIG(st) == SIGTERM);
	check("kill(-pgid) of an empty group: ESRCH", kill(-a, SIGTERM) < 0 && errno == ESRCH);
	reset();
	on(SIGUSR2, record, 0, NULL);
	check("kill(0) signals our own group", kill(0, SIGUSR2) == 0 && hits[SIGUSR2] == 1);
	dfl(SIGUSR2, SIG_DFL);
	printf("setsid in a child: status %d\n", child_status(session_child));
	/* A child's group may be set until it execs (Linux's PF_FORKNOEXEC):
	 * then EACCES. The child execs once told to; the exec closes the
	 * done pipe: it is over. */
	int go[2], done[2];
	char c;
	pipe2(go, O_CLOEXEC);
	pipe2(done, O_CLOEXEC);
	pid_t e = fork();
	if (e == 0) {
		read(go[0], &c, 1);
		execl(self, self, "pause", (char *)NULL);
		_exit(127);
	}
	check("setpgid of a child before its exec", setpgid(e, e) == 0 && setpgid(e, getpgrp()) == 0);
	write(go[1], "x", 1);
	close(go[0]);
	close(go[1]);
	close(done[1]);
	read(done[0], &c, 1);
	close(done[0]);
	check("setpgid of a child after its exec: EACCES", setpgid(e, e) < 0 && errno == EACCES);
	kill(e, SIGKILL);
	waitpid(e, &st, 0);
}

/* ---- 8. timers ---- */
static void test_timers(void)
{
	reset();
	on(SIGALRM, record, 0, NULL);
	check("alarm(5) after none: 0", alarm(5) == 0);
	check("alarm(0) cancels, returns the 5 s left", alarm(0) == 5);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } }, cur;
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	check("getitimer: 0 < value <= 50 ms", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
	      cur.it_value.tv_usec <= 50000);
	pause();
	check("setitimer: SIGALRM, SI_KERNEL", hits[SIGALRM] == 1 && last_code == SI_KERNEL);
	getitimer(ITIMER_REAL, &cur);
	check("one-shot: disarmed after", !cur.it_value.tv_sec && !cur.it_value.tv_usec);
	it = (struct itimerval){ { 0, 10000 }, { 0, 10000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (hits[SIGALRM] < 4)
		pause();
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, &cur);
	check("interval timer: three more, then stopped", hits[SIGALRM] == 4 && cur.it_interval.tv_usec == 10000);

	timer_t t;
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2,
				.sigev_value.sival_int = 7 };
	on(SIGUSR2, record, 0, NULL);
	check("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
	struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
	check("timer_settime", timer_settime(t, 0, &its, NULL) == 0);
	while (!hits[SIGUSR2])
		pause();
	check("POSIX timer: SI_TIMER with its value", last_code == SI_TIMER && last_value == 7);
	check("timer_delete", timer_delete(t) == 0);
	dfl(SIGALRM, SIG_DFL);
	dfl(SIGUSR2, SIG_DFL);
}

/* ---- 9. fork and exec ---- */
static void forked_child(void)
{
	sigset_t pend, cur;
	struct sigaction sa;
	sigpending(&pend);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	sigaction(SIGUSR1, NULL, &sa);
	_exit((!sigismember(&pend, SIGUSR1)) | sigismember(&cur, SIGUSR1) << 1 |
	      (sa.sa_sigaction == record) << 2);
}

/* Dispositions after fork are each process's own, whichever side changes
 * them first, and a thread created later shares its process's. (forklab
 * shares the table copy-on-write: these catch a change leaking across.) */
static int ctl[2];
static void ignore_usr1(void)
{
	dfl(SIGUSR1, SIG_IGN);
}
static void *thread_sets_usr2(void *arg)
{
	dfl(SIGUSR2, SIG_IGN);
	return NULL;
}
static void child_waits_then_checks(void)
{
	char c;
	struct sigaction sa;
	read(ctl[0], &c, 1); /* the parent has changed its own by now */
	sigaction(SIGUSR1, NULL, &sa);
	int own = sa.sa_sigaction == record;
	sigaction(SIGUSR2, NULL, &sa);
	own |= (sa.sa_handler == SIG_DFL) << 1;
	_exit(own);
}
static void test_fork_dispositions(void)
{
	struct sigaction sa;
	on(SIGUSR1, record, 0, NULL);
	int st = child_status(ignore_usr1);
	sigaction(SIGUSR1, NULL, &sa);
	check("fork: the child's sigaction leaves the parent's", st == 0 && sa.sa_sigaction == record);
	fflush(stdout);
	pipe(ctl);
	pid_t pid = fork();
	if (pid == 0)
		child_waits_then_checks();
	dfl(SIGUSR1, SIG_IGN);
	pthread_t th;
	pthread_create(&th, NULL, thread_sets_usr2, NULL);
	pthread_join(th, NULL);
	sigaction(SIGUSR2, NULL, &sa);
	check("a thread made after fork shares its process's dispositions", sa.sa_handler == SIG_IGN);
	write(ctl[1], "x", 1);
	waitpid(pid, &st, 0);
	check("fork: the parent's sigaction and its thread's leave the child's",
	      WIFEXITED(st) && WEXITSTATUS(st) == 3);
	close(ctl[0]);
	close(ctl[1]);
	dfl(SIGUSR1, SIG_DFL);
	dfl(SIGUSR2, SIG_DFL);
}


static void exec_child(void)
{
	on(SIGUSR1, record, 0, NULL);
	dfl(SIGUSR2, SIG_IGN);
	block(SIGTERM, SIG_BLOCK);
	raise(SIGTERM);
	execl(self, self, "exec-check", (char *)NULL);
	_exit(99);
}

static int exec_check(void)
{
	struct sigaction a, b;
	sigset_t cur, pend;
	sigaction(SIGUSR1, NULL, &a);
	sigaction(SIGUSR2, NULL, &b);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	sigpending(&pend);
	return (a.sa_handler == SIG_DFL) | (b.sa_handler == SIG_IGN) << 1 |
	       sigismember(&cur, SIGTERM) << 2 | sigismember(&pend, SIGTERM) << 3;
}

static void test_fork_exec(void)
{
	on(SIGUSR1, record, 0, NULL);
	block(SIGUSR1, SIG_BLOCK);
	raise(SIGUSR1);
	printf("fork: pending cleared, mask and handler inherited: %d (7)\n", child_status(forked_child));
	sigset_t usr1 = set_of(SIGUSR1, 0);
	sigtimedwait(&usr1, NULL, &(struct timespec){ 0, 0 });
	block(SIGUSR1, SIG_UNBLOCK);
	printf("exec: caught to SIG_DFL, ignored kept, mask and pending kept: %d (15)\n",
	       child_status(exec_child));
	dfl(SIGUSR1, SIG_DFL);
}

/* ---- 10. default actions ---- */
static void raise_usr1(void)
{
	raise(SIGUSR1);
}

static void raise_chld_and_urg(void)
{
	raise(SIGCHLD);
	raise(SIGURG);
	raise(SIGWINCH);
	_exit(5);
}

static void kill_self(void)
{
	kill(getpid(), SIGKILL);
	for (;;)
		;
}

static void test_defaults(void)
{
	printf("SIGUSR1 by default: status %d\n", child_status(raise_usr1));
	printf("SIGCHLD, SIGURG, SIGWINCH by default: status %d\n", child_status(raise_chld_and_urg));
	printf("SIGKILL: status %d\n", child_status(kill_self));
}

/* ---- 11. sigaltstack ---- */
static char altstack[65536] __attribute__((aligned(16)));
static volatile int on_alt, alt_flags, frame_aligned;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
	char local;
	stack_t ss;
	on_alt = &local > altstack && &local < altstack + sizeof altstack;
	sigaltstack(NULL, &ss);
	alt_flags = ss.ss_flags;
	hits[sig]++;
}

static void test_altstack(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old;
	check("sigaltstack too small: ENOMEM",
	      sigaltstack(&(stack_t){ .ss_sp = altstack, .ss_size = 1024 }, NULL) < 0 && errno == ENOMEM);
	check("sigaltstack set", sigaltstack(&ss, &old) == 0 && old.ss_flags == SS_DISABLE);
	reset();
	on(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	check("SA_ONSTACK: the handler runs on it, sigaltstack says SS_ONSTACK",
	      hits[SIGUSR1] == 1 && on_alt && alt_flags == SS_ONSTACK);
	on(SIGUSR1, alt_handler, 0, NULL);
	raise(SIGUSR1);
	check("without SA_ONSTACK: the normal stack", hits[SIGUSR1] == 2 && !on_alt && alt_flags == 0);
	sigaltstack(&(stack_t){ .ss_flags = SS_DISABLE }, &old);
	check("disabled again", old.ss_sp == altstack && old.ss_size == sizeof altstack);
	dfl(SIGUSR1, SIG_DFL);
}

/* The ABI at handler entry: (rsp + 8) % 16 == 0, as after a call. */
void align_handler(int sig, siginfo_t *si, void *uc);
__asm__(".text\nalign_handler:\n"
	"lea 8(%rsp), %rax\nand $15, %eax\nmov %eax, frame_aligned(%rip)\nret\n");

static void test_frame_alignment(void)
{
	on(SIGUSR2, align_handler, 0, NULL);
	frame_aligned = -1;
	raise(SIGUSR2);
	check("handler entry: (rsp + 8) % 16 == 0", frame_aligned == 0);
	dfl(SIGUSR2, SIG_DFL);
}

/* ---- 12. threads: a process signal goes to a thread that does not block it ---- */
static volatile pthread_t handled_by;
static void thread_handler(int sig, siginfo_t *si, void *uc)
{
	handled_by = pthread_self();
}

static void *thread_main(void *arg)
{
	while (!handled_by)
		sched_yield();
	return NULL;
}

static void test_threads(void)
{
	pthread_t th;
	on(SIGUSR1, thread_handler, 0, NULL);
	pthread_create(&th, NULL, thread_main, NULL); /* it inherits our mask: not blocked */
	block(SIGUSR1, SIG_BLOCK);
	kill(getpid(), SIGUSR1);
	pthread_join(th, NULL);
	check("kill() to a process: the thread that does not block it takes it",
	      pthread_equal(handled_by, th));
	handled_by = 0;
	block(SIGUSR1, SIG_UNBLOCK);
	dfl(SIGUSR1, SIG_DFL);
}

/* ---- bench: kill -> handler -> return, in TSC ticks ---- */
static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static volatile uint64_t t_handler;
static void bench_handler(int sig)
{
	t_handler = rdtsc();
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench(int n)
{
	static uint64_t in[1000], out[1000], all[1000], nosig[1000];
	struct sigaction sa = { .sa_handler = bench_handler };
	sigaction(SIGUSR1, &sa, NULL);
	pid_t pid = getpid();
	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		__asm__ volatile("syscall" : "=a"(t_handler) : "a"(39) : "rcx", "r11", "memory");
		nosig[i] = rdtsc() - t0;
	}
	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(62), "D"(pid), "S"(SIGUSR1) : "rcx", "r11", "memory");
		uint64_t t2 = rdtsc();
		in[i] = t_handler - t0;
		out[i] = t2 - t_handler;
		all[i] = t2 - t0;
	}
	qsort(nosig, n, 8, cmp64);
	qsort(in, n, 8, cmp64);
	qsort(out, n, 8, cmp64);
	qsort(all, n, 8, cmp64);
	printf("getpid (no signal)             min %8lu median %8lu ticks\n", nosig[0], nosig[n / 2]);
	printf("kill() until the handler runs  min %8lu median %8lu ticks\n", in[0], in[n / 2]);
	printf("handler return until after kill min %8lu median %8lu ticks\n", out[0], out[n / 2]);
	printf("kill + handler + sigreturn     min %8lu median %8lu ticks\n", all[0], all[n / 2]);
}

/* kill(-1): every process but init and the caller. Guest only: natively it
 * would reach every process of the uid. */
static int kill_all(void)
{
	pid_t a = fork(), b;
	if (a == 0)
		pause_forever();
	if ((b = fork()) == 0)
		pause_forever();
	int sa, sb;
	long r = kill(-1, SIGTERM);
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	printf("kill(-1, SIGTERM): %ld, children killed by %d and %d\n", r, WTERMSIG(sa), WTERMSIG(sb));
	r = kill(-1, 0);
	printf("kill(-1, 0) with nobody else: %s\n", r < 0 && errno == ESRCH ? "ESRCH" : "FAILED");
	return 0;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1 && !strcmp(argv[1], "kill-all"))
		return kill_all();
	if (argc > 1 && !strcmp(argv[1], "exec-check"))
		return exec_check();
	if (argc > 1 && !strcmp(argv[1], "pause"))
		pause_forever();
	if (argc > 1 && !strcmp(argv[1], "bench")) {
		bench(argc > 2 ? atoi(argv[2]) : 200);
		return 0;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	test_registers();
	test_frame_alignment();
	test_faults();
	test_masks();
	test_interrupts();
	test_chld_pipe();
	test_stop();
	test_groups();
	test_timers();
	test_fork_exec();
	test_fork_dispositions();
	test_defaults();
	test_altstack();
	test_threads();
	printf("%s\n", failed ? "SOME CHECKS FAILED" : "all checks passed");
	return failed;
}
