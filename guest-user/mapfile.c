/* mapfile FILE: mmap of a file, for tests/data/acceptance.sh (busybox has
 * no applet that maps a file). FILE must hold at least 8 bytes. A
 * MAP_SHARED mapping's store reaches the file (msync, then read), a
 * MAP_PRIVATE mapping's store does not (copy-on-write), and a mapping made
 * before a write() sees it. One line per fact, the same on Linux. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int ok)
{
	printf("mapfile: %s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

int main(int argc, char **argv)
{
	char buf[8];
	int fd = argc == 2 ? open(argv[1], O_RDWR) : -1;
	if (fd < 0) {
		perror("mapfile: open");
		return 2;
	}
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED) {
		perror("mapfile: mmap");
		return 2;
	}
	memcpy(priv, "PRIVATE!", 8);
	check("MAP_PRIVATE store stays private",
	      pread(fd, buf, 8, 0) == 8 && memcmp(buf, "PRIVATE!", 8) && memcmp(shared, "PRIVATE!", 8));
	memcpy(shared, "SHARED", 6);
	check("msync(MS_SYNC)", msync(shared, 4096, MS_SYNC) == 0);
	check("MAP_SHARED store reaches the file", pread(fd, buf, 6, 0) == 6 && !memcmp(buf, "SHARED", 6));
	check("write() reaches the MAP_SHARED mapping", pwrite(fd, "w", 1, 7) == 1 && shared[7] == 'w');
	check("the private copy kept its bytes", !memcmp(priv, "PRIVATE!", 8));
	munmap(shared, 4096);
	munmap(priv, 4096);
	close(fd);
	return failed;
}
