/* The OOM killer at work: children that take memory until none is left.
 * Each must die of SIGKILL, as on Linux, while the parent, small, lives on
 * and then gets the memory back. One child writes its pages itself (user
 * faults); the other has the kernel write them, reading /dev/zero into its
 * buffer (faults inside the kernel's copy to user memory). Never run it
 * natively: it takes all the memory there is. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOG (8UL << 30) /* more than any --mem */

static void hog(int by_kernel)
{
	char *p = mmap(NULL, HOG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		_exit(10);
	if (by_kernel) {
		int fd = open("/dev/zero", O_RDONLY);
		for (size_t off = 0; fd >= 0; off += 1 << 20)
			if (read(fd, p + off, 1 << 20) != 1 << 20)
				_exit(11); /* a short read: memory ran out without a kill */
		_exit(12);
	}
	for (size_t off = 0; off < HOG; off += 4096)
		p[off] = 1;
	_exit(13); /* 8 GiB touched: not a machine this test is for */
}

int main(void)
{
	static const char *const how[] = { "user writes", "kernel copies" };
	for (int by_kernel = 0; by_kernel < 2; by_kernel++) {
		pid_t pid = fork();
		if (pid == 0)
			hog(by_kernel);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 1;
		if (WIFSIGNALED(st))
			printf("%s: child killed by signal %d\n", how[by_kernel], WTERMSIG(st));
		else
			printf("%s: child exited %d\n", how[by_kernel], WEXITSTATUS(st));
	}
	/* The children's memory is free again: 16 MiB more for the parent. */
	size_t n = 16 << 20;
	char *q = malloc(n);
	if (!q)
		return 2;
	memset(q, 7, n);
	printf("parent: %zu MiB touched after the kills\n", n >> 20);
	return 0;
}
