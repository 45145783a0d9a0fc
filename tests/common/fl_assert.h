/* The tests' one assertion voice, in the manner of the KVM selftests: a
 * failure names the field (the expression), then expected and actual. Every
 * macro takes an optional printf-style context after its operands, e.g.
 * TEST_ASSERT_EQ(rc, 0, "%s", err), appended to the message. */
#ifndef FL_ASSERT_H
#define FL_ASSERT_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "; context", or "" when the caller gave none (fmt is then just "; "). The
 * string is never freed: each Criterion test runs in a process of its own. */
__attribute__((format(printf, 1, 2), unused))
static const char *fl_assert_context(const char *fmt, ...)
{
	char *s;
	va_list ap;
	if (!strcmp(fmt, "; "))
		return "";
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = "; (context unavailable)";
	va_end(ap);
	return s;
}
#define FL_ASSERT_CONTEXT(...) fl_assert_context("; " __VA_ARGS__)

/* Integers and pointers, compared and printed as 64-bit values in hex. */
#define TEST_ASSERT_EQ(actual, expected, ...)                                              \
	do {                                                                               \
		uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);               \
		if (a_ != e_)                                                              \
			cr_assert_fail("%s: expected %#" PRIx64 " (%s), got %#" PRIx64 "%s", \
				       #actual, e_, #expected, a_,                         \
				       FL_ASSERT_CONTEXT(__VA_ARGS__));                    \
	} while (0)

#define TEST_ASSERT_NE(actual, other, ...)                                                 \
	do {                                                                               \
		uint64_t a_ = (uint64_t)(actual), o_ = (uint64_t)(other);                  \
		if (a_ == o_)                                                              \
			cr_assert_fail("%s: expected anything but %#" PRIx64 " (%s), got it%s", \
				       #actual, o_, #other, FL_ASSERT_CONTEXT(__VA_ARGS__));  \
	} while (0)

/* An order, in the operands' own types: TEST_ASSERT_CMP(n, <, sizeof buf). */
#define TEST_ASSERT_CMP(actual, op, bound, ...)                                            \
	do {                                                                               \
		__typeof__(actual) a_ = (actual);                                          \
		__typeof__(bound) b_ = (bound);                                            \
		if (!(a_ op b_))                                                           \
			cr_assert_fail("%s: expected %s %#" PRIx64 " (%s), got %#" PRIx64 "%s", \
				       #actual, #op, (uint64_t)b_, #bound, (uint64_t)a_,   \
				       FL_ASSERT_CONTEXT(__VA_ARGS__));                    \
	} while (0)

/* NUL-terminated strings; a NULL actual fails and is shown as such. */
#define TEST_ASSERT_STR_EQ(actual, expected, ...)                                          \
	do {                                                                               \
		const char *a_ = (actual), *e_ = (expected);                               \
		if (!a_ || strcmp(a_, e_))                                                 \
			cr_assert_fail("%s: expected \"%s\", got %s%s%s%s", #actual, e_,      \
				       a_ ? "\"" : "", a_ ? a_ : "NULL", a_ ? "\"" : "",   \
				       FL_ASSERT_CONTEXT(__VA_ARGS__));                    \
	} while (0)

/* A condition that is no single comparison: the message names it. */
#define TEST_ASSERT(cond, ...)                                                             \
	do {                                                                               \
		if (!(cond))                                                               \
			cr_assert_fail("%s: expected true, got false%s", #cond,             \
				       FL_ASSERT_CONTEXT(__VA_ARGS__));                    \
	} while (0)

/* Fails the test with a message of its own (a run's explanation, a harness
 * error that has no comparison to show). */
#define TEST_FAIL(...) cr_assert_fail(__VA_ARGS__)

#endif
