/* `forklab bench`: start guest-user/forkbench natively, then in forklab's
 * guest once per fork strategy (`forklab run --append fork=S forkbench`), or
 * start this same command inside the nested bed under -icount; read the
 * record streams as they come, show progress, then report (report.h). */
#include "bench/bench.h"
#include "bench/report.h"
#include "bench/results.h"
#include "run/session.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const struct fb_op fb_ops[] = {
	{ "fork", "fork, until it returns in the parent" },
	{ "fork+exit+wait", "fork, the child's _exit, the parent's wait" },
	{ "vfork+_exit", "vfork, until the parent resumes after the child's _exit" },
	{ "clone_vm", "clone(CLONE_VM), until it returns in the parent" },
	{ "posix_spawn", "posix_spawn, until it returns (the child has exec'ed)" },
	{ "fork+exec+wait", "fork, exec of a program that exits, wait" },
	{ "cow_fault", "the first write to a page shared with a live child" },
	{ "exit+wait", "a child of this size: from its _exit until the parent's wait returns" },
};
const int fb_nops = sizeof fb_ops / sizeof fb_ops[0];

int fb_op_index(const char *name)
{
	for (int i = 0; i < fb_nops; i++)
		if (!strcmp(fb_ops[i].name, name))
			return i;
	return -1;
}

/* One bench invocation: what was asked, what came back, and the progress line. */
struct bench {
	const struct fl_bench_config *c;
	struct fb_results res;
	bool tty;             /* stderr is a terminal: one self-updating line */
	bool line_shown;      /* the progress line is on screen */
	int announced;        /* runs named on stderr so far */
	int done, total;      /* points begun, points expected */
	double t0;
};

static void clear_progress(struct bench *b)
{
	if (b->line_shown)
		fputs("\r\033[K", stderr);
	b->line_shown = false;
}

static const char *run_label(const struct fb_run *run, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", run->kernel, *run->fork ? " fork=" : "", run->fork);
	return buf;
}

/* Without a terminal, progress is a line per run as it starts. */
static void announce_runs(struct bench *b)
{
	char label[48];
	for (; b->announced < b->res.nruns; b->announced++)
		if (!b->tty && !b->c->raw)
			fprintf(stderr, "forklab bench: running %s\n",
				run_label(&b->res.runs[b->announced], label, sizeof label));
}

static void progress(struct bench *b, const char *op, unsigned mib)
{
	char label[48];
	b->done++;
	if (!b->tty || b->c->raw || !b->res.nruns)
		return;
	fprintf(stderr, "\r\033[Kforklab bench: [%d/%d, %.0f s] %s: %s at %u MiB, %d runs", b->done,
		b->total, (fl_now_ms() - b->t0) / 1000, run_label(&b->res.runs[b->res.nruns - 1], label,
		sizeof label), op, mib, b->c->n);
	fflush(stderr);
	b->line_shown = true;
}

/* Runs argv (with extra environment, NULL-terminated) and feeds its stdout to
 * the parser. Returns its exit status (as forklab reports statuses: 128+N for
 * signal N), or -1 if it could not start or sent a malformed record. */
static int stream(struct bench *b, char *const argv[], char *const extra_env[])
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	char **env = environ;
	int nextra = 0, nenv = 0;
	while (extra_env && extra_env[nextra])
		nextra++;
	if (nextra) {
		while (environ[nenv])
			nenv++;
		if (!(env = calloc(nenv + nextra + 1, sizeof *env))) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
		memcpy(env, extra_env, nextra * sizeof *env); /* first, so they win */
		memcpy(env + nextra, environ, nenv * sizeof *env);
	}
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (env != environ)
		free(env);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		fprintf(stderr, "forklab bench: cannot start %s: %s\n", argv[0], strerror(err));
		return -1;
	}
	FILE *in = fdopen(fds[0], "r");
	char *line = NULL, op[24];
	size_t cap = 0;
	ssize_t len;
	unsigned mib;
	bool bad = false;
	announce_runs(b);
	while ((len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		int kind = fb_parse_line(&b->res, line, op, &mib);
		announce_runs(b);
		if (kind >= 0 && b->c->raw) {
			puts(line);
			fflush(stdout);
		}
		if (kind == 1) {
			progress(b, op, mib);
		} else if (kind == -1 || kind == -2) {
			clear_progress(b);
			fprintf(stderr, kind == -1 ? "%s\n" : "forklab bench: malformed record: %s\n", line);
			bad |= kind == -2;
		}
	}
	free(line);
	fclose(in);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (bad)
		return -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void list_arg(char *buf, size_t len, const struct fl_bench_config *c, bool ops)
{
	size_t used = 0;
	buf[0] = 0;
	if (ops) {
		for (int i = 0; i < fb_nops; i++)
			if (c->op_on[i])
				used += snprintf(buf + used, len - used, "%s%s", used ? "," : "", fb_ops[i].name);
	} else {
		for (int i = 0; i < c->nsizes; i++)
			used += snprintf(buf + used, len - used, "%s%u", used ? "," : "", c->sizes[i]);
	}
}

/* The native twin runs a copy of forkbench in a tmpfs, as the guest's lives
 * in its initramfs: in the nested bed, build/ is an overlay on 9p, and
 * Linux's exec of it cost 6 times as much (900,000 instructions for
 * posix_spawn, against 143,000 from /dev/shm) and varied from run to run.
 * Writes the copy's path to prog and its directory to dir (for the cleanup);
 * leaves both alone and says why when /dev/shm is no executable tmpfs. */
static void native_copy(const char *from, char *prog, size_t len, char *dir)
{
	struct statfs fs;
	struct statvfs vfs;
	if (statfs("/dev/shm", &fs) < 0 || fs.f_type != TMPFS_MAGIC || statvfs("/dev/shm", &vfs) < 0 ||
	    (vfs.f_flag & ST_NOEXEC) || !mkdtemp(strcpy(dir, "/dev/shm/forklab-bench.XXXXXX"))) {
		fprintf(stderr, "forklab bench: /dev/shm is no executable tmpfs: Linux execs %s\n", from);
		*dir = 0;
		return;
	}
	char to[96];
	snprintf(to, sizeof to, "%s/forkbench", dir);
	int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t n = 0;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0 && write(out, buf, n) == n)
		;
	if (in >= 0)
		close(in);
	if (out < 0 || close(out) < 0 || n != 0) {
		fprintf(stderr, "forklab bench: copying %s to %s failed: Linux execs it from %s\n", from, dir,
			from);
		unlink(to);
		rmdir(dir);
		*dir = 0;
		return;
	}
	snprintf(prog, len, "%s", to);
}

/* One program run as one fb_run: natively (fork NULL) or in the guest. */
static int local_run(struct bench *b, const char *fork, const char *nstr, const char *sizes,
		     const char *ops)
{
	const struct fl_bench_config *c = b->c;
	char prog[4096], mem[32], timeout[16], append[32], tmpdir[64] = "";
	snprintf(prog, sizeof prog, "%s/guest/forkbench", c->build_dir);
	if (!fork)
		native_copy(prog, prog, sizeof prog, tmpdir);
	snprintf(mem, sizeof mem, "%luK", (unsigned long)(c->mem_size >> 10));
	snprintf(timeout, sizeof timeout, "%u", c->timeout_s);
	snprintf(append, sizeof append, "fork=%s", fork ? fork : "");
	struct fb_run *run = fb_run_begin(&b->res, fork ? "forklab" : "linux", fork ? fork : "-");
	if (c->raw)
		printf("@fb run %s %s\n", run->kernel, fork ? fork : "-");
	char *thp = c->thp ? "-H" : NULL; /* the same arguments on both kernels */
	char *native[] = { prog, "-n", (char *)nstr, "-s", (char *)sizes, "-o", (char *)ops, thp, NULL };
	char *guest[] = { (char *)c->exe, "run", "--mem", mem, "--timeout", timeout, "--append", append,
			  "forkbench", "-n", (char *)nstr, "-s", (char *)sizes, "-o", (char *)ops, thp,
			  NULL };
	int st = stream(b, fork ? guest : native, NULL);
	if (*tmpdir) {
		unlink(prog);
		rmdir(tmpdir);
	}
	fb_run_end(run, st);
	if (c->raw) {
		printf("@fb end %d\n", st);
		fflush(stdout);
	}
	return st;
}

/* The whole matrix inside the nested bed, under -icount: this command with
 * --raw, whose records come back on the bed's stdout. */
static int nested_run(struct bench *b, const char *nstr, const char *sizes, const char *ops)
{
	const struct fl_bench_config *c = b->c;
	char suite[4096], mem[32], timeout[16], forks[32], nested_mem[40];
	snprintf(suite, sizeof suite, "%s/../tools/nested/run-suite.sh", c->build_dir);
	snprintf(mem, sizeof mem, "%luK", (unsigned long)(c->mem_size >> 10));
	snprintf(timeout, sizeof timeout, "%u", c->timeout_s);
	snprintf(forks, sizeof forks, "%s%s%s", c->forks[0], c->nforks > 1 ? "," : "",
		 c->nforks > 1 ? c->forks[1] : "");
	/* L1 holds the native twin and then the guest's RAM, one after the other. */
	unsigned long l1 = (c->mem_size >> 20) + 1024;
	snprintf(nested_mem, sizeof nested_mem, "NESTED_MEM=%lu", l1 < 2048 ? 2048 : l1);
	char *argv[] = { suite, (char *)c->exe, "bench", "--raw", "-n", (char *)nstr, "--sizes",
			 (char *)sizes, "--ops", (char *)ops, "--fork", forks, "--mem", mem,
			 "--timeout", timeout, c->thp ? "--thp" : NULL, NULL };
	char *env[] = { "NESTED_ICOUNT=1", nested_mem, NULL };
	if (!b->tty)
		fprintf(stderr, "forklab bench: running the matrix in the nested bed under -icount\n");
	return stream(b, argv, env);
}

/* Every run ended well and measured every point. Else one line, and 1. */
static int check_runs(const struct bench *b, int st)
{
	const struct fl_bench_config *c = b->c;
	int want_runs = 1 + c->nforks, want_points = 0;
	char label[48];
	for (int i = 0; i < fb_nops; i++)
		want_points += c->op_on[i] * c->nsizes;
	for (int i = 0; i < b->res.nruns; i++) {
		const struct fb_run *run = &b->res.runs[i];
		if (!run->ended || run->status || run->npoints != want_points) {
			fprintf(stderr, "forklab bench: the %s run %s (status %d, %d of %d points)%s%s\n",
				run_label(run, label, sizeof label),
				!run->ended ? "was cut off" : run->status ? "failed" : "ended early",
				run->status, run->npoints,
				want_points, *run->error ? ": " : "", run->error);
			return 1;
		}
	}
	if (st != 0 || b->res.nruns < want_runs) {
		fprintf(stderr, "forklab bench: %s ended with status %d after %d of %d runs\n",
			c->icount ? "the nested bed" : "the bench", st, b->res.nruns, want_runs);
		return 1;
	}
	return 0;
}

int fl_bench(const struct fl_bench_config *c)
{
	struct bench b = { .c = c, .tty = isatty(2), .t0 = fl_now_ms() };
	char nstr[16], sizes[256], ops[512];
	snprintf(nstr, sizeof nstr, "%d", c->n);
	list_arg(sizes, sizeof sizes, c, false);
	list_arg(ops, sizeof ops, c, true);
	for (int i = 0; i < fb_nops; i++)
		b.total += c->op_on[i] * c->nsizes * (1 + c->nforks);
	int st = 0;
	if (c->icount) {
		st = nested_run(&b, nstr, sizes, ops);
	} else {
		st = local_run(&b, NULL, nstr, sizes, ops);
		for (int i = 0; i < c->nforks && !st; i++)
			st = local_run(&b, c->forks[i], nstr, sizes, ops);
	}
	clear_progress(&b);
	int r = c->raw ? st != 0 : check_runs(&b, st) ? 1 : fb_report(&b.res, c);
	fb_results_free(&b.res);
	return r;
}
