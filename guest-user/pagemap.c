/* Copy-on-write seen from inside, through /proc/self/pagemap (one 8-byte
 * entry a page: bit 63 present, bit 56 mapped by this process alone, bit
 * 61 a shared mapping, bits 0-54 the frame): a page before and after its
 * first write, after fork in both processes, and after the parent's write
 * copies it. The same output natively and in the guest (differential test).
 * With argument "frames" it also compares frame numbers, which Linux shows
 * only to CAP_SYS_ADMIN: the child's frame is the parent's until the write,
 * which moves the parent alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRESENT (1ULL << 63)
#define SHARED_MAPPING (1ULL << 61)
#define EXCLUSIVE (1ULL << 56)
#define FRAME(e) ((e) & ((1ULL << 55) - 1))

static int pm;

static uint64_t entry(const void *p)
{
	uint64_t e = 0;
	if (pread(pm, &e, 8, (uintptr_t)p / 4096 * 8) != 8)
		perror("pread pagemap");
	return e;
}

static void show(const char *what, const void *p)
{
	uint64_t e = entry(p);
	printf("%s: %s%s%s\n", what, e & PRESENT ? "present" : "not present",
	       !(e & PRESENT) ? "" : e & EXCLUSIVE ? ", this process's alone" : ", shared with another",
	       e & SHARED_MAPPING ? ", a shared mapping" : "");
}

int main(int argc, char **argv)
{
	int frames = argc > 1 && !strcmp(argv[1], "frames");
	setvbuf(stdout, NULL, _IONBF, 0);
	pm = open("/proc/self/pagemap", O_RDONLY);
	char *r = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pm < 0 || r == MAP_FAILED)
		return perror("pagemap or mmap"), 1;
	uint64_t e;
	printf("a read at offset 4: %s\n", pread(pm, &e, 8, 4) < 0 && errno == EINVAL ? "EINVAL" : "allowed");
	printf("a read of 4 bytes: %s\n", pread(pm, &e, 4, 0) < 0 && errno == EINVAL ? "EINVAL" : "allowed");
	printf("past the end of user space: %zd bytes\n", pread(pm, &e, 8, 0x7ffffffff000ULL / 4096 * 8));
	show("a page never touched", r);
	r[0] = r[4096] = 1;
	show("after its first write", r);

	int up[2], down[2];
	if (pipe(up) || pipe(down))
		return 1;
	uint64_t before = entry(r);
	pid_t pid = fork();
	if (pid == 0) {
		/* An open pagemap shows the address space of its opener (Linux
		 * binds the file to the mm at open): the child opens its own. */
		close(pm);
		pm = open("/proc/self/pagemap", O_RDONLY);
		uint64_t mine = entry(r), after;
		show("the child, after fork", r);
		write(up[1], &mine, 8);
		read(down[0], &after, 8); /* the parent has written r[0] */
		show("the child, after the parent's write", r);
		show("the child, a page neither wrote", r + 4096);
		if (frames)
			printf("the child's frame is still the one from before: %s\n",
			       FRAME(entry(r)) == FRAME(mine) ? "yes" : "no");
		_exit(0);
	}
	uint64_t childs;
	read(up[0], &childs, 8);
	show("the parent, after fork", r);
	if (frames)
		printf("the child's frame is the parent's: %s\n",
		       FRAME(childs) == FRAME(before) && FRAME(before) ? "yes" : "no");
	r[0] = 2;
	show("the parent, after its write", r);
	if (frames)
		printf("the parent's frame moved: %s\n", FRAME(entry(r)) != FRAME(before) ? "yes" : "no");
	write(down[1], &childs, 8);
	int st;
	waitpid(pid, &st, 0);
	show("the parent, a page neither wrote, the child gone", r + 4096);
	char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 1;
	printf("a MAP_SHARED page: %s\n", entry(s) & SHARED_MAPPING ? "a shared mapping" : "not marked");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
