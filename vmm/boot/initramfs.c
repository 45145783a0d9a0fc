/* Packs guest programs as /bin/NAME. The program to run comes first (the
 * kernel finds it fastest there); a host path given on the command line is
 * packed under its basename, shadowing a built-in of the same name. Then
 * each --pack: a host file or tree, with the directories above it. */
#include "boot/initramfs.h"
#include "error.h"
#include "boot/elf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* O_NONBLOCK: a FIFO (or a terminal) must not block the open; fstat then
 * refuses it. It changes nothing for a regular file. */
static int read_file(const char *path, void **data, size_t *len, char *err, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fl_fail(err, n, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fl_fail(err, n, "%s: not a regular file", path);
		goto fail;
	}
	*len = st.st_size;
	*data = malloc(*len ? *len : 1);
	if (!*data) {
		fl_fail(err, n, "%s: out of memory", path);
		goto fail;
	}
	for (size_t off = 0; off < *len;) {
		ssize_t r = read(fd, (char *)*data + off, *len - off);
		if (r <= 0) {
			fl_fail(err, n, "%s: %s", path, r ? strerror(errno) : "file shrank while reading");
			free(*data);
			goto fail;
		}
		off += r;
	}
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Adds one program as /bin/NAME; `check` validates it as a guest ELF first. */
static int add_program(struct fl_cpio *c, const char *path, const char *name, int check,
		       char *err, size_t n)
{
	void *data;
	size_t len;
	char why[200], gpath[256];
	if (read_file(path, &data, &len, err, n) < 0)
		return -1;
	if (check && fl_program_check(data, len, why, sizeof why) < 0) {
		fl_fail(err, n, "%s: %s", path, why);
		free(data);
		return -1;
	}
	snprintf(gpath, sizeof gpath, "bin/%s", name);
	int r = fl_cpio_add(c, gpath, data, len, S_IFREG | 0755);
	free(data);
	if (r < 0)
		fl_fail(err, n, "initramfs: cannot add %s", path);
	return r;
}

static int add_builtins(struct fl_cpio *c, const char *dir, const char *skip, char *err, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return fl_fail(err, n, "guest programs directory %s: %s", dir, strerror(errno));
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip)))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		r = add_program(c, path, e->d_name, 0, err, n);
	}
	closedir(d);
	return r;
}

/* Directory entries for every component above guest path p ("a/b/c": a, a/b). */
static int add_parents(struct fl_cpio *c, const char *p)
{
	char dir[256];
	for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(dir, sizeof dir, "%.*s", (int)(s - p), p);
		if (fl_cpio_add(c, dir, NULL, 0, S_IFDIR | 0755) < 0)
			return -1;
	}
	return 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* host, as guest path gpath (no leading /): a file, a symlink, or a
 * directory and everything below it, in name order. */
static int add_tree(struct fl_cpio *c, const char *host, const char *gpath, int depth,
		    char *err, size_t n)
{
	struct stat st;
	if (lstat(host, &st) < 0)
		return fl_fail(err, n, "--pack %s: %s", host, strerror(errno));
	if (depth > 64 || strlen(gpath) >= 255)
		return fl_fail(err, n, "--pack %s: too deep or too long a path in the guest", host);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t len = readlink(host, target, sizeof target);
		if (len < 0 || (size_t)len == sizeof target)
			return fl_fail(err, n, "--pack %s: unreadable link", host);
		return fl_cpio_add(c, gpath, target, len, S_IFLNK | 0777) < 0 ?
			       fl_fail(err, n, "--pack %s: %s", host, strerror(errno)) : 0;
	}
	if (S_ISREG(st.st_mode)) {
		void *data;
		size_t len;
		if (read_file(host, &data, &len, err, n) < 0)
			return -1;
		int r = fl_cpio_add(c, gpath, data, len, S_IFREG | (st.st_mode & 07777));
		free(data);
		return r < 0 ? fl_fail(err, n, "--pack %s: %s", host, strerror(errno)) : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return fl_fail(err, n, "--pack %s: not a file, directory or symbolic link", host);
	if (fl_cpio_add(c, gpath, NULL, 0, S_IFDIR | (st.st_mode & 07777)) < 0)
		return fl_fail(err, n, "--pack %s: %s", host, strerror(errno));
	struct dirent **names;
	int count = scandir(host, &names, NULL, name_cmp), r = 0;
	if (count < 0)
		return fl_fail(err, n, "--pack %s: %s", host, strerror(errno));
	for (int i = 0; i < count; i++) {
		const char *e = names[i]->d_name;
		if (r == 0 && strcmp(e, ".") && strcmp(e, "..")) {
			char h[4096], g[512];
			snprintf(h, sizeof h, "%s/%s", host, e);
			snprintf(g, sizeof g, "%s/%s", gpath, e);
			r = add_tree(c, h, g, depth + 1, err, n);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static int add_packs(const struct fl_config *cfg, struct fl_cpio *c, char *err, size_t n)
{
	for (int i = 0; i < cfg->npacks; i++) {
		char g[256];
		snprintf(g, sizeof g, "%s", cfg->packs[i].guest + 1); /* no leading / */
		size_t len = strlen(g);
		while (len && g[len - 1] == '/')
			g[--len] = 0;
		if (add_parents(c, g) < 0)
			return fl_fail(err, n, "initramfs: out of memory");
		if (add_tree(c, cfg->packs[i].host, g, 0, err, n) < 0)
			return -1;
	}
	return 0;
}

int fl_initramfs_build(const struct fl_config *cfg, struct fl_cpio *c, char *init_path,
		       char *err, size_t n)
{
	char path[4096], base[200];
	memset(c, 0, sizeof *c);
	if (strchr(cfg->program, '/')) {
		snprintf(path, sizeof path, "%s", cfg->program);
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s", cfg->program);
		snprintf(base, sizeof base, "%s", basename(tmp));
	} else {
		snprintf(path, sizeof path, "%s/%s", cfg->guest_dir, cfg->program);
		snprintf(base, sizeof base, "%s", cfg->program);
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) /* "", ".", ".." too */
			return fl_fail(err, n, "unknown program '%s': not a built-in (see 'forklab list') "
				       "and not a path", cfg->program);
	}
	/* The program first: the kernel indexes the archive lazily, from the start. */
	if (add_program(c, path, base, 1, err, n) < 0 ||
	    add_builtins(c, cfg->guest_dir, base, err, n) < 0 || add_packs(cfg, c, err, n) < 0 ||
	    fl_cpio_finish(c) < 0) {
		if (!*err)
			fl_fail(err, n, "initramfs: out of memory");
		fl_cpio_free(c);
		return -1;
	}
	snprintf(init_path, 256, "/bin/%s", base);
	return 0;
}
