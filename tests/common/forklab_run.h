/* Runs build/forklab as a child with given argv and stdin, captures stdout and
 * stderr, and asserts on the result (TEST_ASSERT_RUN_*, in fl_assert.h's voice)
 * with messages that show expected, actual, the command and its stderr. */
#ifndef TESTS_FORKLAB_RUN_H
#define TESTS_FORKLAB_RUN_H

#include "common/fl_assert.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Relative to the repo root, the tests' working directory (`make test`);
 * `make SANITIZE=1` points it at the sanitized build. */
#ifndef FR_FORKLAB
#define FR_FORKLAB "build/forklab"
#endif
/* A run that lasts longer is killed and fails its test: a hung VM must not
 * hang the suite. Generous, for the nested bed where the VM runs under TCG. */
#define FR_GUARD_S 120

struct fr_opts {
	const void *in;   /* bytes on forklab's stdin, then EOF; NULL: EOF at once */
	size_t in_len;
	/* Runs in the child just before exec, e.g. to change its mount namespace.
	 * On failure it prints why to stderr and returns -1; the run then ends
	 * with status 126 before forklab starts, which the test's asserts show. */
	int (*setup)(void *arg);
	void *arg;
	/* Seconds before the run is killed and fails its test; 0: FR_GUARD_S. Make
	 * it longer than the run's --timeout, so that forklab's own report shows. */
	unsigned guard_s;
};

struct fr_result {
	char cmd[1024];        /* the command line, for failure messages */
	int status;            /* exit status, or 128+N if signal N killed forklab */
	int signal;            /* N if forklab itself was killed by signal N (a bug), else 0 */
	char *out, *err;       /* captured stdout and stderr, NUL-terminated */
	size_t out_len, err_len;
	double secs;           /* wall-clock time of the run */
};

/* argv without argv[0], NULL-terminated; opts may be NULL. The buffers are
 * never freed: every Criterion test runs in a process of its own. */
struct fr_result fr_run(const struct fr_opts *opts, const char *const *argv);

#define FORKLAB(...) fr_run(NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define FORKLAB_WITH(opts, ...) fr_run(&(opts), (const char *const[]){ __VA_ARGS__, NULL })

/* Each check returns NULL if it holds, else a message: what was checked, the
 * expected and actual values, the command and its stderr. */
char *fr_check_status(const struct fr_result *r, int want);
char *fr_check_eq(const struct fr_result *r, const char *field, const char *got, size_t got_len,
		  const void *want, size_t want_len);
char *fr_check_contains(const struct fr_result *r, const char *field, const char *got,
			size_t got_len, const char *needle, bool present);
/* A line of got matches the POSIX extended regex re (^ and $ match at lines). */
char *fr_check_match(const struct fr_result *r, const char *field, const char *got,
		     const char *re);
/* got is exactly n complete lines. */
char *fr_check_lines(const struct fr_result *r, const char *field, const char *got,
		     size_t got_len, int n);

/* The message for a check of the test's own: fmt's text, then the command,
 * its status and its stderr. TEST_ASSERT_RUN(ok ? NULL : fr_explain(&r, "...", ...)). */
char *fr_explain(const struct fr_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TEST_ASSERT_RUN(msg) do { char *fr_m_ = (msg); if (fr_m_) TEST_FAIL("%s", fr_m_); } while (0)

/* field is out or err: TEST_ASSERT_RUN_CONTAINS(r, err, "kernel panic"). */
#define TEST_ASSERT_RUN_STATUS(r, want) TEST_ASSERT_RUN(fr_check_status(&(r), (want)))
#define TEST_ASSERT_RUN_EQ(r, field, want) \
	TEST_ASSERT_RUN(fr_check_eq(&(r), #r "." #field, (r).field, (r).field##_len, (want), strlen(want)))
#define TEST_ASSERT_RUN_EQ_BYTES(r, field, want, len) \
	TEST_ASSERT_RUN(fr_check_eq(&(r), #r "." #field, (r).field, (r).field##_len, (want), (len)))
#define TEST_ASSERT_RUN_CONTAINS(r, field, needle) \
	TEST_ASSERT_RUN(fr_check_contains(&(r), #r "." #field, (r).field, (r).field##_len, (needle), true))
#define TEST_ASSERT_RUN_LACKS(r, field, needle) \
	TEST_ASSERT_RUN(fr_check_contains(&(r), #r "." #field, (r).field, (r).field##_len, (needle), false))
#define TEST_ASSERT_RUN_MATCHES(r, field, re) \
	TEST_ASSERT_RUN(fr_check_match(&(r), #r "." #field, (r).field, (re)))
#define TEST_ASSERT_RUN_LINES(r, field, n) \
	TEST_ASSERT_RUN(fr_check_lines(&(r), #r "." #field, (r).field, (r).field##_len, (n)))

/* Test files live in a directory made with mkdtemp under /tmp on first use,
 * never in the repo (which the nested bed mounts read-only). fr_tmpfile writes
 * len bytes to NAME there and returns its path; fr_tmp_cleanup, a test's
 * .fini, removes the directory. */
char *fr_tmpfile(const char *name, const void *data, size_t len);
void fr_tmp_cleanup(void);

/* The whole of a file such as build/kernel.elf; fails the test if unreadable. */
void *fr_slurp(const char *path, size_t *len);

#endif
