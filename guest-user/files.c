/* The file system calls, each checked with Linux's results and errors, in a
 * scratch directory under the working directory (removed at the end). One
 * line per check, nothing that differs between hosts (no inode numbers,
 * times, uids or absolute paths): the same output natively, as any user, and
 * in forklab's guest, for the differential test. With argument "exec-child"
 * it prints one line (run through /proc/self/exe). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCRATCH "files-scratch"

static int failed;

/* A call's result: "ok" or its errno's name, checked against the expected. */
static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EXDEV: return "EXDEV";
	case ELOOP: return "ELOOP";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOSPC: return "ENOSPC";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ESPIPE: return "ESPIPE";
	case EBUSY: return "EBUSY";
	case ENXIO: return "ENXIO";
	case ERANGE: return "ERANGE";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* expect: 0 for success, else the errno. */
static void call(const char *what, long r, int expect)
{
	int e = r < 0 ? errno : 0;
	printf("%s: %s%s\n", what, ename(e), e == expect ? "" : "  <-- FAILED");
	failed |= e != expect;
}

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) < 0)
		printf("put %s: %s  <-- FAILED\n", path, strerror(errno)), failed = 1;
}

static const char *get(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? "(error)" : buf;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without . and ..), sorted, via getdents64. */
static void list(const char *dir)
{
	char buf[512], *names[64];
	int n = 0, dots = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	for (long got; fd >= 0 && (got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;)
		for (long off = 0; off < got;) {
			struct dirent *d = (struct dirent *)(buf + off);
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				dots++;
			else if (n < 64)
				names[n++] = strdup(d->d_name);
			off += d->d_reclen;
		}
	close(fd);
	qsort(names, n, sizeof *names, cmp);
	printf("ls %s:", dir);
	for (int k = 0; k < n; k++)
		printf(" %s", names[k]);
	printf(" (dots %d)\n", dots);
}

static void files_and_offsets(void)
{
	char buf[64];
	call("open O_CREAT|O_EXCL", open("a", O_RDWR | O_CREAT | O_EXCL, 0666), 0);
	call("open O_CREAT|O_EXCL again", open("a", O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
	int fd = open("a", O_RDWR);
	call("write", write(fd, "hello world", 11), 0);
	check("lseek SEEK_CUR = 11", lseek(fd, 0, SEEK_CUR) == 11);
	check("lseek SEEK_SET 6", lseek(fd, 6, SEEK_SET) == 6);
	check("read after seek", read(fd, buf, 5) == 5 && !memcmp(buf, "world", 5));
	check("read at end = 0", read(fd, buf, 5) == 0);
	check("pread 0..5", pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5));
	check("pread keeps offset", lseek(fd, 0, SEEK_CUR) == 11);
	check("pwrite", pwrite(fd, "HE", 2, 0) == 2 && !strcmp(get("a"), "HEllo world"));
	check("lseek SEEK_END +4", lseek(fd, 4, SEEK_END) == 15);
	check("write after a hole", write(fd, "!", 1) == 1);
	check("hole reads as zeros", pread(fd, buf, 16, 0) == 16 && !memcmp(buf, "HEllo world\0\0\0\0!", 16));
	call("lseek negative", lseek(fd, -100, SEEK_SET), EINVAL);
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	lseek(fd, 0, SEEK_SET);
	check("writev", writev(fd, iov, 2) == 4 && !memcmp(get("a"), "abcdo", 5));
	char x[3] = { 0 }, y[3] = { 0 };
	struct iovec rv[2] = { { x, 2 }, { y, 2 } };
	lseek(fd, 0, SEEK_SET);
	check("readv", readv(fd, rv, 2) == 4 && !strcmp(x, "ab") && !strcmp(y, "cd"));
	int d = dup(fd);
	lseek(d, 1, SEEK_SET);
	check("dup shares the offset", lseek(fd, 0, SEEK_CUR) == 1);
	close(d);
	call("ftruncate 5", ftruncate(fd, 5), 0);
	struct stat st;
	check("fstat size 5", fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode));
	call("ftruncate grow 8192", ftruncate(fd, 8192), 0);
	check("grown part is zero", pread(fd, buf, 8, 5) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8));
	call("truncate by name", truncate("a", 3), 0);
	check("stat size 3", stat("a", &st) == 0 && st.st_size == 3);
	close(fd);

	fd = open("a", O_WRONLY | O_APPEND);
	check("F_GETFL O_WRONLY|O_APPEND", (fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK)) ==
	      (O_WRONLY | O_APPEND));
	lseek(fd, 0, SEEK_SET);
	write(fd, "++", 2);
	check("O_APPEND writes at the end", !strcmp(get("a"), "abc++"));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	check("F_SETFL clears O_APPEND, sets O_NONBLOCK",
	      (fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK)) == (O_WRONLY | O_NONBLOCK));
	lseek(fd, 0, SEEK_SET);
	write(fd, "X", 1);
	check("then writes at the offset", !strcmp(get("a"), "Xbc++"));
	call("read on O_WRONLY", read(fd, buf, 1), EBADF);
	close(fd);
	fd = open("a", O_RDONLY);
	call("write on O_RDONLY", write(fd, "x", 1), EBADF);
	close(fd);
	fd = open("a", O_RDWR | O_TRUNC);
	check("O_TRUNC empties", fstat(fd, &st) == 0 && st.st_size == 0);
	close(fd);
	fd = open("big", O_RDWR | O_CREAT, 0644);
	static char page[20000];
	for (size_t k = 0; k < sizeof page; k++)
		page[k] = k * 7;
	check("write 20000 bytes", write(fd, page, sizeof page) == sizeof page);
	static char back[20000];
	check("read them back", pread(fd, back, sizeof back, 0) == sizeof back &&
	      !memcmp(back, page, sizeof page));
	close(fd);
	call("close twice", close(fd), EBADF);
	int p[2];
	pipe(p);
	call("lseek on a pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
	call("pread on a pipe", pread(p[0], buf, 1, 0), ESPIPE);
	check("fstat pipe is a FIFO", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	close(p[0]);
	close(p[1]);
}

/* SEEK_DATA and SEEK_HOLE, page by page (tmpfs's and ext4's 4 KiB): data
 * in pages 0 and 3 of a six-page file, holes in 1-2 and 4-5. */
static void holes(void)
{
	enum { P = 4096 };
	int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	check("sparse: data at pages 0 and 3, six pages",
	      pwrite(fd, "x", 1, 0) == 1 && pwrite(fd, "y", 1, 3 * P + 10) == 1 && ftruncate(fd, 6 * P) == 0);
	check("SEEK_DATA 0 = 0", lseek(fd, 0, SEEK_DATA) == 0);
	check("SEEK_DATA 100 = 100", lseek(fd, 100, SEEK_DATA) == 100);
	check("SEEK_DATA from the first hole = page 3", lseek(fd, P + 5, SEEK_DATA) == 3 * P);
	check("and the offset is set there", lseek(fd, 0, SEEK_CUR) == 3 * P);
	check("SEEK_HOLE 0 = page 1", lseek(fd, 0, SEEK_HOLE) == P);
	check("SEEK_HOLE inside a hole = itself", lseek(fd, 2 * P + 7, SEEK_HOLE) == 2 * P + 7);
	check("SEEK_HOLE from page 3 = page 4", lseek(fd, 3 * P + 1, SEEK_HOLE) == 4 * P);
	call("SEEK_DATA in the last hole", lseek(fd, 4 * P, SEEK_DATA), ENXIO);
	call("SEEK_DATA at the end", lseek(fd, 6 * P, SEEK_DATA), ENXIO);
	call("SEEK_HOLE past the end", lseek(fd, 6 * P + 1, SEEK_HOLE), ENXIO);
	call("SEEK_DATA at -1", lseek(fd, -1, SEEK_DATA), ENXIO);
	check("filled: SEEK_HOLE is the end", pwrite(fd, "z", 1, 5 * P) == 1 && pwrite(fd, "z", 1, 4 * P) == 1 &&
	      pwrite(fd, "z", 1, P) == 1 && pwrite(fd, "z", 1, 2 * P) == 1 && lseek(fd, 0, SEEK_HOLE) == 6 * P);
	check("a file cut inside a page: SEEK_HOLE = its size",
	      ftruncate(fd, 5 * P + 3) == 0 && lseek(fd, 5 * P, SEEK_HOLE) == 5 * P + 3);
	close(fd);
	unlink("sparse");
}

static void names(void)
{
	struct stat st;
	call("mkdir d", mkdir("d", 0755), 0);
	call("mkdir d again", mkdir("d", 0755), EEXIST);
	call("mkdir in a missing dir", mkdir("nope/x", 0755), ENOENT);
	call("mkdir under a file", mkdir("a/x", 0755), ENOTDIR);
	call("mkdirat", mkdirat(AT_FDCWD, "d/e", 0700), 0);
	check("mode 0700 (umask 022)", stat("d/e", &st) == 0 && (st.st_mode & 07777) == 0700 && S_ISDIR(st.st_mode));
	put("d/f", "in d");
	call("open a/ (file with slash)", open("a/", O_RDONLY), ENOTDIR);
	call("creat new/ (slash)", open("new/", O_RDWR | O_CREAT, 0644), EISDIR);
	call("open dir O_WRONLY", open("d", O_WRONLY), EISDIR);
	call("open file O_DIRECTORY", open("a", O_RDONLY | O_DIRECTORY), ENOTDIR);
	call("open missing", open("missing", O_RDONLY), ENOENT);
	call("rmdir non-empty", rmdir("d"), ENOTEMPTY);
	call("rmdir a file", rmdir("a"), ENOTDIR);
	call("rmdir .", rmdir("."), EINVAL);
	call("unlink a dir", unlink("d"), EISDIR);
	call("unlink missing", unlink("missing"), ENOENT);
	call("unlinkat AT_REMOVEDIR", unlinkat(AT_FDCWD, "d/e", AT_REMOVEDIR), 0);
	list("d");

	call("rename file", rename("d/f", "g"), 0);
	check("renamed content", !strcmp(get("g"), "in d"));
	call("rename missing", rename("d/f", "h"), ENOENT);
	put("h", "hh");
	call("rename over a file", rename("g", "h"), 0);
	check("replaced content", !strcmp(get("h"), "in d") && access("g", F_OK) < 0);
	call("rename file over dir", rename("h", "d"), EISDIR);
	mkdir("d/sub", 0755);
	call("rename dir into itself", rename("d", "d/sub/x"), EINVAL);
	mkdir("e", 0755);
	put("e/x", "x");
	call("rename dir over non-empty dir", rename("d", "e"), ENOTEMPTY);
	call("rename dir over file", rename("d", "h"), ENOTDIR);
	unlink("e/x");
	call("rename dir over empty dir", rename("d", "e"), 0);
	check("moved dir has its entries", access("e/sub", F_OK) == 0 && access("d", F_OK) < 0);
	call("renameat2 NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "h", AT_FDCWD, "a", 1), EEXIST);
	call("renameat", renameat(AT_FDCWD, "e", AT_FDCWD, "d"), 0);
	call("rename across file systems", rename("/proc/self/status", "st"), EXDEV);

	call("link", link("h", "h2"), 0);
	check("nlink 2", stat("h", &st) == 0 && st.st_nlink == 2);
	call("link over existing", link("h", "a"), EEXIST);
	call("link a dir", link("d", "d2"), EPERM);
	call("linkat", linkat(AT_FDCWD, "h", AT_FDCWD, "h3", 0), 0);
	unlink("h");
	check("data lives while linked", !strcmp(get("h2"), "in d") && stat("h2", &st) == 0 && st.st_nlink == 2);
	unlink("h3");

	call("symlink", symlink("h2", "s"), 0);
	call("symlink exists", symlink("x", "s"), EEXIST);
	check("read through symlink", !strcmp(get("s"), "in d"));
	char buf[64] = { 0 };
	check("readlink", readlink("s", buf, sizeof buf) == 2 && !memcmp(buf, "h2", 2));
	check("readlink truncates", readlink("s", buf, 1) == 1);
	call("readlink a file", readlink("h2", buf, sizeof buf), EINVAL);
	check("lstat sees the link", lstat("s", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 2);
	check("stat follows it", stat("s", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
	call("O_NOFOLLOW on a symlink", open("s", O_RDONLY | O_NOFOLLOW), ELOOP);
	call("O_CREAT|O_EXCL on a symlink", open("s", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	symlink("loop", "loop");
	call("symlink loop", open("loop", O_RDONLY), ELOOP);
	symlink("d", "dl");
	put("dl/viadl", "v");
	check("a dir through a symlink", access("d/viadl", F_OK) == 0);
	symlink("dangling-target", "dang");
	check("creating through a dangling symlink", close(open("dang", O_WRONLY | O_CREAT, 0644)) == 0 &&
	      access("dangling-target", F_OK) == 0);
	call("symlinkat, readlinkat", symlinkat("../h2", AT_FDCWD, "d/up"), 0);
	check("relative target from its dir", !strcmp(get("d/up"), "in d"));
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	check("readlinkat", readlinkat(dfd, "up", buf, sizeof buf) == 5 && !memcmp(buf, "../h2", 5));
	check("openat relative to a dir fd", !strcmp(get("d/viadl"), "v") && openat(dfd, "viadl", O_RDONLY) >= 0);
	check("fstatat", fstatat(dfd, "up", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
	check("fstatat AT_EMPTY_PATH", fstatat(dfd, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode));
	call("unlinkat relative", unlinkat(dfd, "up", 0), 0);
	close(dfd);
	char longname[300];
	memset(longname, 'n', 299);
	longname[299] = 0;
	call("a 299-byte name", open(longname, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
	call("unlink through . and ..", unlink("d/../d/./viadl"), 0);
	list(".");
	list("d");
}

static void attributes(void)
{
	struct stat st;
	umask(077);
	check("umask returns the old mask", umask(022) == 077);
	put("m", "m");
	check("created 0644", stat("m", &st) == 0 && (st.st_mode & 0777) == 0644);
	call("chmod 0600", chmod("m", 0600), 0);
	check("mode 0600", stat("m", &st) == 0 && (st.st_mode & 07777) == 0600);
	int fd = open("m", O_RDONLY);
	call("fchmod 0640", fchmod(fd, 0640), 0);
	check("mode 0640", fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640);
	call("fchmodat 0755", fchmodat(AT_FDCWD, "m", 0755, 0), 0);
	check("owner is the caller", st.st_uid == getuid() && st.st_gid == getgid());
	call("chown to self", chown("m", getuid(), getgid()), 0);
	call("fchown -1 -1", fchown(fd, -1, -1), 0);
	call("lchown", lchown("m", getuid(), -1), 0);
	call("fchownat", fchownat(AT_FDCWD, "m", -1, getgid(), AT_SYMLINK_NOFOLLOW), 0);
	close(fd);
	call("access F_OK", access("m", F_OK), 0);
	call("access X_OK on 0755", access("m", X_OK), 0);
	chmod("m", 0644);
	call("access X_OK on 0644", access("m", X_OK), EACCES);
	call("access missing", access("nothing", F_OK), ENOENT);
	call("faccessat", faccessat(AT_FDCWD, "m", R_OK, 0), 0);
	call("faccessat2", syscall(439, AT_FDCWD, "m", R_OK, AT_EACCESS), 0);
	struct timespec ts[2] = { { 1000000, 5 }, { 2000000, 7 } };
	call("utimensat", utimensat(AT_FDCWD, "m", ts, 0), 0);
	check("mtime as set", stat("m", &st) == 0 && st.st_mtim.tv_sec == 2000000 && st.st_mtim.tv_nsec == 7);
	struct { unsigned mask, blksize; unsigned long long attr; unsigned nlink, uid, gid;
		 unsigned short mode, pad; unsigned long long ino, size, blocks, amask;
		 unsigned long long rest[26]; } sx;
	call("statx", syscall(332, AT_FDCWD, "m", 0, 0x7ff, &sx), 0);
	check("statx size and mode", sx.size == 1 && (sx.mode & 07777) == 0644 && (sx.mask & 0x7ff) == 0x7ff);
	call("truncate a dir", truncate("d", 0), EISDIR);
	check("getuid == geteuid", getuid() == geteuid() && getgid() == getegid());
	call("setuid(getuid())", setuid(getuid()), 0);
}

static void cwd(void)
{
	char buf[4096];
	int top = open(".", O_RDONLY | O_DIRECTORY);
	mkdir("c", 0755);
	mkdir("c/sub", 0755);
	call("chdir", chdir("c/sub"), 0);
	const char *tail = "/" SCRATCH "/c/sub";
	check("getcwd ends in /" SCRATCH "/c/sub", getcwd(buf, sizeof buf) &&
	      strlen(buf) >= strlen(tail) && !strcmp(buf + strlen(buf) - strlen(tail), tail));
	call("getcwd too small", getcwd(buf, 3) ? 0 : -1, ERANGE);
	put("../../rel", "rel");
	call("chdir ..", chdir(".."), 0);
	check("relative path from there", !strcmp(get("../rel"), "rel"));
	call("chdir to a file", chdir("../rel"), ENOTDIR);
	call("chdir missing", chdir("nowhere"), ENOENT);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		chdir("/");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	check("a child's chdir leaves ours", !strcmp(get("../rel"), "rel"));
	call("fchdir", fchdir(top), 0);
	check("back at the top", access("rel", F_OK) == 0 && access("c/sub", F_OK) == 0);
	call("fchdir to a file", fchdir(open("rel", O_RDONLY)), ENOTDIR);
	close(top);
}

static void devices_and_proc(const char *self)
{
	char buf[4096];
	int fd = open("/dev/null", O_RDWR);
	check("/dev/null: write all, read nothing", write(fd, "xyz", 3) == 3 && read(fd, buf, 10) == 0);
	close(fd);
	memset(buf, 1, 100);
	fd = open("/dev/zero", O_RDONLY);
	check("/dev/zero reads zeros", read(fd, buf, 100) == 100 && !memcmp(buf, (char[100]){ 0 }, 100));
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	call("/dev/full write", write(fd, "x", 1), ENOSPC);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	char r1[32] = { 0 }, r2[32] = { 0 };
	check("/dev/urandom reads", read(fd, r1, 32) == 32 && read(fd, r2, 32) == 32 && memcmp(r1, r2, 32));
	close(fd);
	check("getrandom", syscall(SYS_getrandom, r1, 16, 0) == 16);
	struct stat st;
	check("/dev/null is a char device 1,3", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
	      major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
	check("/dev/shm is a directory", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode));
	int n;

	n = readlink("/proc/self", buf, sizeof buf);
	buf[n > 0 ? n : 0] = 0;
	check("/proc/self is our pid", atoi(buf) == getpid());
	n = readlink("/proc/self/exe", buf, sizeof buf);
	buf[n > 0 ? n : 0] = 0;
	check("/proc/self/exe ends in /files", n > 6 && !strcmp(buf + n - 6, "/files"));
	fd = open("a", O_RDONLY);
	snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
	char target[4096];
	n = readlink(buf, target, sizeof target);
	target[n > 0 ? n : 0] = 0;
	const char *tail = "/" SCRATCH "/a";
	check("/proc/self/fd/N names the file", n >= (int)strlen(tail) &&
	      !strcmp(target + n - strlen(tail), tail));
	close(fd);
	check("/proc/self/stat: pid (files)", sscanf(get("/proc/self/stat"), "%d", &n) == 1 && n == getpid() &&
	      strstr(get("/proc/self/stat"), " (files) "));
	check("/proc/self/status: Name and Pid", strstr(get("/proc/self/status"), "Name:\tfiles\n") != NULL);
	fd = open("/proc/self/cmdline", O_RDONLY);
	n = read(fd, buf, sizeof buf);
	close(fd);
	check("/proc/self/cmdline: argv[0] ends in files", n > 5 && !memcmp(buf + strlen(buf) - 5, "files", 5) &&
	      buf[n - 1] == 0);
	check("/proc/self/maps has the stack", strstr(get("/proc/self/maps"), "[stack]") != NULL);
	check("/proc/meminfo has MemTotal", !strncmp(get("/proc/meminfo"), "MemTotal:", 9));
	double up = -1;
	check("/proc/uptime", sscanf(get("/proc/uptime"), "%lf", &up) == 1 && up >= 0);
	check("/proc/stat starts with cpu", !strncmp(get("/proc/stat"), "cpu ", 4));
	check("/proc/sys/kernel/pid_max", atoi(get("/proc/sys/kernel/pid_max")) > 0);
	DIR *d = opendir("/proc");
	int me = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		me |= atoi(e->d_name) == getpid();
	if (d)
		closedir(d);
	check("/proc lists our pid", me);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", self, "exec-child", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	check("exec of /proc/self/exe", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void mappings(void)
{
	int fd = open("map", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ftruncate(fd, 8192);
	pwrite(fd, "file", 4, 4096);
	char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("mmap MAP_SHARED", s != MAP_FAILED);
	check("sees the file", !memcmp(s + 4096, "file", 4));
	memcpy(s, "shared", 6);
	call("msync", msync(s, 8192, MS_SYNC), 0);
	char buf[8] = { 0 };
	check("write through the mapping reaches the file", pread(fd, buf, 6, 0) == 6 && !memcmp(buf, "shared", 6));
	pwrite(fd, "FILE", 4, 4096);
	check("write to the file reaches the mapping", !memcmp(s + 4096, "FILE", 4));
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("mmap MAP_PRIVATE", p != MAP_FAILED && !memcmp(p, "shared", 6));
	memcpy(p, "privat", 6);
	check("a private write stays private", pread(fd, buf, 6, 0) == 6 && !memcmp(buf, "shared", 6) &&
	      !memcmp(s, "shared", 6));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(s, "child", 5);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	check("a child's write to MAP_SHARED is seen", !memcmp(s, "child", 5));
	munmap(s, 8192);
	munmap(p, 8192);
	call("mmap O_WRONLY file", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
					      open("map", O_WRONLY), 0) == -1 ? -1 : 0, EACCES);
	close(fd);
}

static void cleanup(const char *dir)
{
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			cleanup(path);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child")) {
		printf("exec-child: ran\n");
		return 0;
	}
	umask(022);
	cleanup(SCRATCH);
	call("mkdir " SCRATCH, mkdir(SCRATCH, 0755), 0);
	call("chdir " SCRATCH, chdir(SCRATCH), 0);
	files_and_offsets();
	holes();
	names();
	attributes();
	cwd();
	devices_and_proc(argv[0]);
	mappings();
	chdir("..");
	cleanup(SCRATCH);
	check("scratch removed", access(SCRATCH, F_OK) < 0);
	printf("%s\n", failed ? "FAILED" : "all passed");
	return failed;
}
