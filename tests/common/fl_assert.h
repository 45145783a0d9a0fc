/* TEST_ASSERT_EQ for host-side tests, in the manner of the KVM selftests: on
 * failure it names the field and prints expected and actual, in hex. */
#ifndef FL_ASSERT_H
#define FL_ASSERT_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>

#define TEST_ASSERT_EQ(actual, expected)                                                   \
	do {                                                                               \
		uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);               \
		cr_assert(a_ == e_, "%s: expected %#" PRIx64 " (%s), got %#" PRIx64,        \
			  #actual, e_, #expected, a_);                                     \
	} while (0)

#define TEST_ASSERT_NE(actual, other)                                                      \
	do {                                                                               \
		uint64_t a_ = (uint64_t)(actual), o_ = (uint64_t)(other);                  \
		cr_assert(a_ != o_, "%s: expected anything but %#" PRIx64 " (%s)", #actual, \
			  o_, #other);                                                      \
	} while (0)

#endif
