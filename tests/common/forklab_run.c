/* The forklab runner for the tests: build/forklab run through spawn_run
 * (common/spawn.h), and failed checks explained. */
#include "common/forklab_run.h"
#include "common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 512
#define SHOW_MAX 4000  /* bytes of a stream shown in a failure message */

/* The command line as a shell would take it back, for messages. */
static void format_cmd(char *dst, size_t n, const char *const *av)
{
	size_t at = 0;
	for (int i = 0; av[i] && at < n; i++) {
		bool quote = !*av[i] || strpbrk(av[i], " \t\n'\"\\$*?");
		at += snprintf(dst + at, n - at, quote ? "%s'%s'" : "%s%s", i ? " " : "", av[i]);
	}
}

struct exec_arg {
	const struct fr_opts *o;
	char *const *av;
};

/* In the child, stdio in place: signals as a shell leaves them, the setup
 * hook, exec. Nothing here allocates: the test process may have threads. */
static void exec_forklab(void *arg)
{
	const struct exec_arg *a = arg;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* forklab's --timeout needs SIGALRM */
	signal(SIGPIPE, SIG_DFL);
	if (a->o->setup && a->o->setup(a->o->arg) < 0)
		_exit(126);
	execv(a->av[0], a->av);
	dprintf(2, "fr_run: exec %s: %s\n", a->av[0], strerror(errno));
	_exit(127);
}

struct fr_result fr_run(const struct fr_opts *opts, const char *const *argv)
{
	static const struct fr_opts defaults;
	const struct fr_opts *o = opts ? opts : &defaults;
	struct fr_result r = { 0 };
	unsigned guard_s = o->guard_s ? o->guard_s : FR_GUARD_S;
	const char *av[MAX_ARGS + 2] = { FR_FORKLAB };
	int n = 0;
	while (argv[n]) {
		TEST_ASSERT_CMP(n, <, MAX_ARGS, "fr_run: too many arguments");
		av[n + 1] = argv[n];
		n++;
	}
	format_cmd(r.cmd, sizeof r.cmd, av);
	if (access(FR_FORKLAB, X_OK) < 0) {
		char cwd[PATH_MAX];
		TEST_FAIL("%s: %s (working directory %s): build with `make all` and run the "
			  "tests from the repo root", FR_FORKLAB, strerror(errno),
			  getcwd(cwd, sizeof cwd) ? cwd : "?");
	}

	struct exec_arg ea = { o, (char *const *)av };
	struct spawn_result s = spawn_run(&(struct spawn_opts){
		.exec = exec_forklab, .arg = &ea, .in = o->in, .in_len = o->in_len,
		.deadline_s = guard_s,
	});
	r.secs = s.secs;
	r.out = s.out, r.out_len = s.out_len;
	r.err = s.err, r.err_len = s.err_len;
	if (WIFSIGNALED(s.wait_status)) {
		r.signal = WTERMSIG(s.wait_status);
		r.status = 128 + r.signal;
	} else {
		r.status = WEXITSTATUS(s.wait_status);
	}
	if (s.deadline_hit)
		TEST_FAIL("%s", fr_explain(&r, "forklab ran over %u s and was killed: a hung VM?",
					   guard_s));
	return r;
}

/* len bytes of s from `from` as a C string literal, at most max of them. */
static void put_quoted(FILE *f, const char *s, size_t len, size_t from, size_t max)
{
	size_t end = len - from > max ? from + max : len;
	fputs(from ? "...\"" : "\"", f);
	for (size_t i = from; i < end; i++) {
		unsigned char c = s[i];
		if (c == '\n')
			fputs("\\n", f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	fputs(end < len ? "\"..." : "\"", f);
}

/* The message: what failed, then the command and its stderr, indented. */
char *fr_explain(const struct fr_result *r, const char *fmt, ...)
{
	char *msg;
	size_t size;
	FILE *f = open_memstream(&msg, &size);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, "\n  command: %s\n  exit status %d", r->cmd, r->status);
	if (r->signal)
		fprintf(f, " (killed by signal %d, %s)", r->signal, strsignal(r->signal));
	fprintf(f, ", %.2f s\n  stderr (%zu bytes):%s", r->secs, r->err_len, r->err_len ? "\n" : " none");
	for (size_t i = 0; i < r->err_len && i < SHOW_MAX; i++) {
		if (i == 0 || r->err[i - 1] == '\n')
			fputs("    | ", f);
		fputc(r->err[i], f);
	}
	if (r->err_len > SHOW_MAX)
		fputs("\n    | ...", f);
	fclose(f);
	return msg;
}

/* got as a quoted string, unless it is stderr, which every message shows. */
static char *quote_actual(const struct fr_result *r, const char *got, size_t got_len)
{
	char *q;
	size_t qs;
	if (got == r->err)
		return strdup("see stderr below");
	FILE *f = open_memstream(&q, &qs);
	put_quoted(f, got, got_len, 0, SHOW_MAX);
	fclose(f);
	return q;
}

char *fr_check_status(const struct fr_result *r, int want)
{
	if (r->signal)
		return fr_explain(r, "exit status: expected %d, but forklab itself was killed by "
				  "signal %d: a bug in forklab", want, r->signal);
	if (r->status == want)
		return NULL;
	return fr_explain(r, "exit status: expected %d, got %d", want, r->status);
}

char *fr_check_eq(const struct fr_result *r, const char *field, const char *got, size_t got_len,
		  const void *want, size_t want_len)
{
	if (got_len == want_len && !memcmp(got, want, want_len))
		return NULL;
	size_t d = 0;
	while (d < got_len && d < want_len && got[d] == ((const char *)want)[d])
		d++;
	/* Show both from a little before the first difference. */
	size_t from = d > 40 ? d - 40 : 0;
	char *e, *g;
	size_t es, gs;
	FILE *fe = open_memstream(&e, &es), *fg = open_memstream(&g, &gs);
	put_quoted(fe, want, want_len, from, 200);
	put_quoted(fg, got, got_len, from, 200);
	fclose(fe);
	fclose(fg);
	return fr_explain(r, "%s: differs from byte %zu on\n  expected (%zu bytes): %s\n"
			  "  actual   (%zu bytes): %s", field, d, want_len, e, got_len, g);
}

char *fr_check_contains(const struct fr_result *r, const char *field, const char *got,
			size_t got_len, const char *needle, bool present)
{
	if (!!memmem(got, got_len, needle, strlen(needle)) == present)
		return NULL;
	return fr_explain(r, "%s: expected %s \"%s\"\n  actual (%zu bytes): %s", field,
			  present ? "to contain" : "not to contain", needle, got_len,
			  quote_actual(r, got, got_len));
}

char *fr_check_match(const struct fr_result *r, const char *field, const char *got,
		     const char *re)
{
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
	if (rc)
		return fr_explain(r, "bad regex in the test: %s", re);
	rc = regexec(&rx, got, 0, NULL, 0);
	regfree(&rx);
	if (!rc)
		return NULL;
	return fr_explain(r, "%s: expected a line matching /%s/\n  actual: %s", field, re,
			  quote_actual(r, got, strlen(got)));
}

char *fr_check_lines(const struct fr_result *r, const char *field, const char *got,
		     size_t got_len, int n)
{
	int lines = 0;
	for (size_t i = 0; i < got_len; i++)
		lines += got[i] == '\n';
	if (lines == n && (got_len == 0 || got[got_len - 1] == '\n'))
		return NULL;
	return fr_explain(r, "%s: expected exactly %d complete line(s), got %zu bytes with %d newline(s)",
			  field, n, got_len, lines);
}

static char tmp_dir[32];

char *fr_tmpfile(const char *name, const void *data, size_t len)
{
	if (!tmp_dir[0]) {
		strcpy(tmp_dir, "/tmp/forklab-test.XXXXXX");
		TEST_ASSERT(mkdtemp(tmp_dir), "mkdtemp %s: %s", tmp_dir, strerror(errno));
	}
	char *path;
	TEST_ASSERT(asprintf(&path, "%s/%s", tmp_dir, name) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	TEST_ASSERT(fd >= 0, "%s: %s", path, strerror(errno));
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		TEST_ASSERT(w > 0, "writing %s: %s", path, strerror(errno));
		done += w;
	}
	close(fd);
	return path;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

void fr_tmp_cleanup(void)
{
	if (tmp_dir[0])
		nftw(tmp_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	tmp_dir[0] = 0;
}

void *fr_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	TEST_ASSERT(fd >= 0 && fstat(fd, &st) == 0, "%s: %s (run `make all` from the repo root)",
		    path, strerror(errno));
	char *data = malloc(st.st_size + 1);
	TEST_ASSERT(data, "out of memory reading %s", path);
	*len = 0;
	while (*len < (size_t)st.st_size) {
		ssize_t got = read(fd, data + *len, st.st_size - *len);
		TEST_ASSERT(got > 0, "reading %s: %s", path, got ? strerror(errno) : "file shrank");
		*len += got;
	}
	close(fd);
	return data;
}
