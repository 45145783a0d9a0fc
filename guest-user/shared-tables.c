/* What fork=shared must keep invisible: after fork, parent and child change
 * memory that lies under the same last-level page tables (the kernel shares
 * those tables until the first change), and each must see only its own
 * changes, and both must see MAP_SHARED memory as one. One line per check;
 * runs the same natively, for the differential test. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define REGION (64 * PAGE)

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

static int filled(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i += PAGE / 4)
		if (p[i] != c)
			return 0;
	return 1;
}

/* Runs fn in a child and returns its exit status (fn's result). */
static int in_child(int (*fn)(char *), char *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int write_all(char *p)
{
	memset(p, 'c', REGION);
	return filled(p, REGION, 'c') ? 0 : 1;
}

static int unmap_half(char *p)
{
	munmap(p, REGION / 2);
	return filled(p + REGION / 2, REGION / 2, 'p') ? 0 : 1;
}

static int protect_and_read(char *p)
{
	mprotect(p, REGION, PROT_READ);
	return filled(p, REGION, 'p') ? 0 : 1;
}

static int shared_write(char *s)
{
	strcpy(s, "from the child");
	return 0;
}

static int read_into(char *p)
{
	int fd[2];
	if (pipe(fd) < 0 || write(fd[1], "kernel-written", 14) != 14)
		return 2;
	return read(fd[0], p + PAGE, 14) == 14 && !memcmp(p + PAGE, "kernel-written", 14) ? 0 : 1;
}

/* A page mapped by the child beside memory it shares with the parent. */
static char *beside;
static int map_beside(char *p)
{
	char *q = mmap(beside, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (q != beside)
		return 2;
	memset(q, 'n', PAGE);
	return 0;
}

static int grandchild_writes(char *p)
{
	int st = in_child(write_all, p);
	return st == 0 && filled(p, REGION, 'p') ? 0 : 1;
}

static char *brk_to(char *to)
{
	return (char *)syscall(SYS_brk, to);
}

static int shrink_brk(char *top)
{
	if (brk_to(top - PAGE) != top - PAGE || brk_to(top) != top)
		return 2;
	return top[-1] == 0 ? 0 : 1; /* the page came back zeroed: a new one */
}

int main(void)
{
	/* One 2 MiB-aligned stretch, so the pieces share one last-level table. */
	char *base = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 2;
	char *p = (char *)(((unsigned long)base + (2 << 20) - 1) & ~((2UL << 20) - 1));
	char *s = mmap(p + REGION, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	beside = p + REGION + 2 * PAGE;
	munmap(beside, PAGE);
	if (s == MAP_FAILED)
		return 2;
	memset(p, 'p', REGION);
	strcpy(s, "from the parent");
	char *heap = brk_to(0), *top = brk_to(heap + PAGE);
	if (top != heap + PAGE)
		return 2;
	heap[PAGE - 1] = 'h';

	check("child writes its copy", in_child(write_all, p) == 0);
	check("parent keeps its own after the child's writes", filled(p, REGION, 'p'));
	check("child munmaps half", in_child(unmap_half, p) == 0);
	check("parent keeps the half the child unmapped", filled(p, REGION / 2, 'p'));
	check("child mprotects read-only", in_child(protect_and_read, p) == 0);
	memset(p, 'p', REGION); /* still writable here */
	check("parent still writes after the child's mprotect", filled(p, REGION, 'p'));
	check("child writes MAP_SHARED memory", in_child(shared_write, s) == 0);
	check("parent sees it", !strcmp(s, "from the child"));
	check("the kernel writes into the child's copy (read)", in_child(read_into, p) == 0);
	check("parent's page is untouched by it", filled(p + PAGE, 14, 'p'));
	check("child maps a page beside shared memory", in_child(map_beside, p) == 0);
	char *q = mmap(beside, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check("parent's own page there is fresh", q == beside && filled(q, PAGE, 0));
	check("a grandchild writes, its parent keeps", in_child(grandchild_writes, p) == 0);
	check("child shrinks and grows its heap", in_child(shrink_brk, top) == 0);
	check("parent's heap is intact", heap[PAGE - 1] == 'h');
	memset(p, 'q', REGION);
	check("parent writes after all its children exited", filled(p, REGION, 'q'));
	if (failed)
		printf("SOME CHECKS FAILED\n");
	return failed;
}
