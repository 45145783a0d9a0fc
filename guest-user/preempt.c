/* Long kernel work must let other processes run (issue 12, item 7). A
 * spinner process reads the free-page count (/proc/meminfo) over and over
 * while this one makes the kernel free or take many pages in one system
 * call. A count the spinner reads strictly between the ones before and
 * after the call can only come from the middle of it: the kernel yielded.
 *   preempt munmap MIB   munmap of MIB MiB, every page present
 *   preempt exit MIB     a child with MIB MiB present exits (the parent waits)
 *   preempt fork MIB     fork with MIB MiB present (the child's page tables)
 *   preempt exec MIB     a vfork child execs a program of MIB MiB (written to
 *                        /tmp first) whose image then waits in pause: exec
 *                        copies it in; the parent resumes when the exec is done
 *   preempt exec-pair MIB two children exec that program at once, with
 *                        different arguments, 20 times: each image must have
 *                        its own (/proc/PID/cmdline), though both execs yield
 *   preempt read MIB     read of a MIB MiB tmpfs file into fresh memory (its
 *                        pages are made as the copy reaches them)
 *   preempt truncate MIB ftruncate to 0 of a MIB MiB tmpfs file (written
 *                        before each round): the file's pages are freed (unlink
 *                        of the last name frees them the same way)
 *   preempt read-shared MIB  a parent and a child read a file of MIB 1 MiB
 *                        blocks through one shared offset, 1 MiB a call, 20
 *                        times: every block read whole, and once
 *   preempt snapshot MIB fork as above while a thread of this process writes
 *                        the region's first and last words, first then last,
 *                        the same value: the child's copy must be one
 *                        instant's (last == first or first - 1), however the
 *                        fork was cut up (the mm lock)
 * Repeats the call (a tick must land in it: in the nested bed, a few in a
 * hundred do) until the spinner has seen the middle of one, for at most
 * SECONDS. Exit 0 when it has (a line on
 * stdout), 1 otherwise or on a failure (a line on stderr, which the test
 * shows). */
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECONDS 90
#define MARGIN 16 /* pages: /proc's own buffers and the spinner's stay below it */

/* Written by the parent (epoch last), read by the spinner; the spinner's
 * first count this round that is off `before` by more than MARGIN. */
struct shared {
	volatile long before, epoch;
	volatile long moved, moved_epoch;
};
static struct shared *sh;

static long free_pages(void)
{
	char buf[512];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, "MemFree:");
	return p ? strtol(p + 8, NULL, 10) / 4 : -1;
}

static void spinner(void)
{
	for (;;) {
		long e = sh->epoch, b = sh->before, f = free_pages();
		if (e > 0 && sh->moved_epoch != e && labs(f - b) > MARGIN) {
			sh->moved = f;
			sh->moved_epoch = e;
		}
	}
}

static char *populate(unsigned long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (unsigned long o = 0; o < len; o += 4096)
		p[o] = 1;
	return p;
}

static void spin_us(long us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/* The snapshot's writer: the first word, then the last, the same value. */
static volatile long *first, *last;
static void *writer(void *arg)
{
	for (long v = 1;; v++) {
		*first = v;
		*last = v;
	}
	return arg;
}

/* A child that waits for go (the parent reads the free count while the
 * child still holds its pages) and then exits; in `exit`, it first
 * populates len, and says so with SIGUSR1. A forked copy of the writer's
 * process checks the writer's words: one instant's. */
static pid_t child_waiting(int go[2], unsigned long len)
{
	pid_t pid;
	if (pipe(go) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		char c;
		close(go[1]);
		if (first) {
			long a = *first, b = *last;
			if (b != a && b != a - 1) {
				fprintf(stderr, "snapshot: the child saw first %ld, last %ld\n", a, b);
				_exit(1);
			}
		}
		if (len) {
			if (!populate(len))
				_exit(1);
			kill(getppid(), SIGUSR1);
		}
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	return pid;
}

/* A static program of len bytes, all one PT_LOAD at 0x400000 whose first
 * instructions loop in pause(): exec copies every byte in. */
static const char *write_big_program(unsigned long len)
{
	static const char path[] = "/tmp/preempt-big";
	static const unsigned char code[] = {
		0xb8, 34, 0, 0, 0, /* mov $SYS_pause, %eax */
		0x0f, 0x05,        /* syscall */
		0xeb, 0xf7,        /* jmp back to the mov */
	};
	unsigned char head[4096] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
	Elf64_Phdr *ph = (Elf64_Phdr *)(eh + 1);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof *eh;
	eh->e_ehsize = sizeof *eh;
	eh->e_phentsize = sizeof *ph;
	eh->e_phnum = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x400000,
			    .p_paddr = 0x400000, .p_filesz = len, .p_memsz = len, .p_align = 4096 };
	size_t at = sizeof *eh + sizeof *ph;
	memcpy(head + at, code, sizeof code);
	eh->e_entry = 0x400000 + at;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, head, sizeof head) != sizeof head || ftruncate(fd, len) < 0)
		return NULL;
	/* Holes would be read as zeros without pages to copy: fill them. */
	for (unsigned long o = sizeof head; o < len; o += sizeof head)
		if (pwrite(fd, head + sizeof head - 64, 64, o) != 64)
			return NULL;
	close(fd);
	return path;
}

/* pid's argv as /proc/PID/cmdline has it, once it is big's image (up to
 * 60 s); its length, or -1. */
static ssize_t cmdline_of(pid_t pid, const char *big, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	for (int tries = 0; tries < 60000; tries++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, cap - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0 && !strcmp(buf, big))
			return n;
		usleep(1000);
	}
	return -1;
}

static int exec_pair(const char *big)
{
	for (int round = 1; round <= 20; round++) {
		pid_t pid[2];
		char want[2][32];
		for (int k = 0; k < 2; k++) {
			snprintf(want[k], sizeof want[k], "%c%d", 'A' + k, round);
			if ((pid[k] = fork()) == 0) {
				execl(big, big, want[k], (char *)NULL);
				_exit(127);
			}
		}
		for (int k = 0; k < 2; k++) {
			char got[256] = { 0 };
			ssize_t n = cmdline_of(pid[k], big, got, sizeof got);
			size_t at = strlen(big) + 1;
			if (n < 0 || (size_t)n <= at || strcmp(got + at, want[k])) {
				fprintf(stderr, "exec-pair: round %d: pid %d's argv[1] is \"%s\", not \"%s\"\n",
					round, pid[k], n < 0 || (size_t)n <= at ? "(none)" : got + at, want[k]);
				kill(pid[0], SIGKILL); /* or they pause for ever */
				kill(pid[1], SIGKILL);
				return 1;
			}
		}
		for (int k = 0; k < 2; k++) {
			int st;
			kill(pid[k], SIGKILL);
			waitpid(pid[k], &st, 0);
		}
	}
	printf("exec-pair: 20 rounds, each image with its own arguments\n");
	return 0;
}

/* A file of len bytes at path, 1 MiB blocks each filled with its number
 * plus one (no hole: every page is data). */
static int write_blocks(const char *path, unsigned long len)
{
	static char block[1 << 20];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	for (unsigned long b = 0; b < len >> 20; b++) {
		memset(block, (int)(b + 1), sizeof block);
		if (write(fd, block, sizeof block) != sizeof block)
			return close(fd), -1;
	}
	return fd;
}

/* Reads fd's shared offset to the end, 1 MiB a call; each call must bring
 * one whole block. Sets seen[b] for each block b; 0, or 1 with a line. */
static int read_blocks(int fd, unsigned char *seen, unsigned long nblocks, const char *who)
{
	static char buf[1 << 20];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		unsigned char b = (unsigned char)buf[0];
		size_t k = 0;
		while (k < (size_t)n && buf[k] == (char)b)
			k++;
		if (n != sizeof buf || k != (size_t)n || b == 0 || b > nblocks) {
			fprintf(stderr, "read-shared: %s read %zd bytes, %zu of them block %u's\n", who, n,
				k, b);
			return 1;
		}
		seen[b - 1]++;
	}
	return n < 0 ? (perror("read"), 1) : 0;
}

static int read_shared(unsigned long len)
{
	unsigned long nblocks = len >> 20;
	if (nblocks < 2 || nblocks > 255)
		return fprintf(stderr, "read-shared: 2 to 255 MiB\n"), 2;
	unsigned char *seen = mmap(NULL, 2 * 256, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				   -1, 0);
	int fd = write_blocks("/tmp/preempt-blocks", len);
	if (seen == MAP_FAILED || fd < 0)
		return perror("read-shared: setting up"), 1;
	for (int round = 1; round <= 20; round++) {
		memset(seen, 0, 2 * 256);
		lseek(fd, 0, SEEK_SET);
		pid_t child = fork();
		if (child == 0)
			_exit(read_blocks(fd, seen + 256, nblocks, "the child"));
		int st, bad = read_blocks(fd, seen, nblocks, "the parent");
		if (waitpid(child, &st, 0) != child || st != 0 || bad)
			return 1;
		for (unsigned long b = 0; b < nblocks; b++)
			if (seen[b] + seen[256 + b] != 1)
				return fprintf(stderr, "read-shared: round %d: block %lu read %d times\n",
					       round, b, seen[b] + seen[256 + b]), 1;
	}
	printf("read-shared: 20 rounds, each block read whole and once\n");
	return 0;
}

/* Every way out of the parent ends the spinner, or the run would not end. */
static pid_t spin;
static void end_spinner(void)
{
	if (spin > 0)
		kill(spin, SIGKILL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *op = argc > 2 ? argv[1] : "";
	unsigned long mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 0, len = mib << 20;
	if (!mib || (strcmp(op, "munmap") && strcmp(op, "exit") && strcmp(op, "fork") &&
		     strcmp(op, "snapshot") && strcmp(op, "exec") && strcmp(op, "exec-pair") &&
		     strcmp(op, "read") && strcmp(op, "read-shared") && strcmp(op, "truncate"))) {
		fprintf(stderr, "usage: preempt munmap|exit|fork|snapshot|exec|exec-pair|read|"
			"read-shared|truncate MIB\n");
		return 2;
	}
	if (!strcmp(op, "read-shared"))
		return read_shared(len);
	if (!strcmp(op, "exec-pair")) {
		const char *big = write_big_program(len);
		return big ? exec_pair(big) : (perror("writing the big program"), 1);
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return perror("mmap"), 1;
	if ((spin = fork()) == 0)
		spinner();
	atexit(end_spinner);
	char *region = NULL;
	const char *big = NULL;
	if (!strcmp(op, "exec") && !(big = write_big_program(len)))
		return perror("writing the big program"), 1;
	int data = !strcmp(op, "read") ? write_blocks("/tmp/preempt-blocks", len) : -1;
	if (!strcmp(op, "read") && data < 0)
		return perror("writing the file"), 1;
	if ((!strcmp(op, "fork") || !strcmp(op, "snapshot")) && !(region = populate(len)))
		return perror("mmap"), 1;
	pthread_t th;
	if (!strcmp(op, "snapshot")) {
		first = (long *)region;
		last = (long *)(region + len - sizeof(long));
		if (pthread_create(&th, NULL, writer, NULL))
			return fprintf(stderr, "pthread_create failed\n"), 1;
	}
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	int round, seen = 0, st, sig, go[2];
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 1, now = t0; now.tv_sec - t0.tv_sec < SECONDS && !seen; round++) {
		pid_t child = 0;
		if (!strcmp(op, "munmap") && !(region = populate(len)))
			return perror("mmap"), 1;
		if (!strcmp(op, "read") && (region = mmap(NULL, len, PROT_READ | PROT_WRITE,
							  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
			return perror("mmap"), 1;
		if (!strcmp(op, "truncate") && (data = write_blocks("/tmp/preempt-blocks", len)) < 0)
			return perror("writing the file"), 1;
		if (!strcmp(op, "exit")) {
			if ((child = child_waiting(go, len)) < 0)
				return perror("fork"), 1;
			sigwait(&usr1, &sig);
		}
		/* A different phase against the 10 ms tick each round: rounds that
		 * sleep and wake on ticks can lock into one phase, the call always
		 * starting just after a tick and ending before the next (seen: 1
		 * run in 6 of snapshot 256 never saw the middle in 2,241 rounds). */
		spin_us(round * 7919L % 10000);
		long before = free_pages();
		sh->before = before;
		sh->epoch = round;
		if (!strcmp(op, "munmap")) {
			if (munmap(region, len) < 0)
				return perror("munmap"), 1;
		} else if (!strcmp(op, "exit")) {
			close(go[1]);
			if (waitpid(child, &st, 0) != child || st != 0)
				return fprintf(stderr, "exit: the child failed (status %#x)\n", st), 1;
		} else if (!strcmp(op, "read")) {
			if (pread(data, region, len, 0) != (ssize_t)len)
				return perror("read"), 1;
		} else if (!strcmp(op, "truncate")) {
			if (ftruncate(data, 0) < 0)
				return perror("ftruncate"), 1;
			close(data);
		} else if (!strcmp(op, "exec")) {
			if ((child = vfork()) == 0) {
				execl(big, big, (char *)NULL);
				_exit(127);
			}
			if (child < 0)
				return perror("vfork"), 1;
		} else if ((child = child_waiting(go, 0)) < 0) {
			return perror("fork"), 1;
		}
		long after = free_pages(), moved = sh->moved, lo = before < after ? before : after,
		     hi = before ^ after ^ lo;
		if (!strcmp(op, "exec")) {
			kill(child, SIGKILL);
			if (waitpid(child, &st, 0) != child || !WIFSIGNALED(st))
				return fprintf(stderr, "exec: the child failed (status %#x)\n", st), 1;
		}
		if (hi - lo < 4 * MARGIN)
			return fprintf(stderr, "%s: the free count moved by %ld pages only\n", op, hi - lo), 1;
		seen = sh->moved_epoch == round && moved > lo + MARGIN && moved < hi - MARGIN;
		if (!strcmp(op, "read"))
			munmap(region, len);
		if (strcmp(op, "munmap") && strcmp(op, "exit") && strcmp(op, "exec") && strcmp(op, "read") &&
		    strcmp(op, "truncate")) {
			close(go[1]);
			if (waitpid(child, &st, 0) != child || st != 0)
				return fprintf(stderr, "%s: the child failed (status %#x)\n", op, st), 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	end_spinner();
	waitpid(spin, &st, 0);
	spin = 0;
	if (!seen) {
		fprintf(stderr, "%s %lu MiB: the spinner never ran during the call (%d rounds, %d s)\n",
			op, mib, round - 1, SECONDS);
		return 1;
	}
	printf("%s %lu MiB: the spinner ran during the call\n", op, mib);
	return 0;
}
