/* The initramfs both ways: vmm/boot/cpio.c builds newc archives, the guest kernel's
 * parser (guest-kernel/lib/cpio.c) reads them back and refuses damaged ones. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot/cpio.h"                              /* vmm's builder, via -Ivmm */
#include "../../guest-kernel/include/cpio.h"   /* the guest's parser */

#define HDR_LEN 110
#define F_MODE 1
#define F_SIZE 6
#define F_NAMESZ 11

/* A heap copy of exactly len bytes, so a sanitizer or valgrind flags any read
 * past the end of the archive. */
static uint8_t *exact_copy(const void *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	TEST_ASSERT_NE(p, NULL);
	memcpy(p, src, len);
	return p;
}

/* Header field i (0 = ino ... 12 = check) as 8 characters. */
static void set_field(uint8_t *hdr, int i, const char *digits)
{
	memcpy(hdr + 6 + 8 * i, digits, 8);
}

/* One file "abc" holding "hello", then the trailer: 116 + 8 + 124 bytes. */
static struct fl_cpio small_archive(void)
{
	struct fl_cpio c = { 0 };

	TEST_ASSERT_EQ(fl_cpio_add(&c, "abc", "hello", 5, S_IFREG | 0644), 0);
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);
	TEST_ASSERT_EQ(c.len, 248);
	return c;
}

/* cpio_next from offset 0 on an exact copy of buf[0, len) with one header
 * field replaced. */
static int parse_with_field(const struct fl_cpio *c, int field, const char *digits)
{
	uint8_t *p = exact_copy(c->buf, c->len);
	struct cpio_file f;
	size_t off = 0;
	int rc;

	set_field(p, field, digits);
	rc = cpio_next(p, c->len, &off, &f);
	free(p);
	return rc;
}

/* ---- the builder, read back by the parser ---- */

struct entry { const char *name; const char *data; size_t size; uint32_t mode; };

Test(cpio, round_trip)
{
	static const char names[8][9] = { "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh" };
	struct entry want[4 + 8] = {
		{ "bin", NULL, 0, S_IFDIR | 0755 },
		{ "bin/hello", "hello", 5, S_IFREG | 0755 },
		{ "empty", NULL, 0, S_IFREG | 0644 },
		{ "four", "abcd", 4, S_IFREG | 0600 },
	};
	struct fl_cpio c = { 0 };
	struct cpio_file f;
	size_t i, off = 0, n = 4;
	uint8_t *buf;

	/* Every name length mod 4 against every data size mod 4. */
	for (i = 0; i < 8; i++)
		want[n++] = (struct entry){ names[i], "0123456789abcdef" + i, 7 - i, S_IFREG | 0444 };
	for (i = 0; i < n; i++)
		TEST_ASSERT_EQ(fl_cpio_add(&c, want[i].name, want[i].data, want[i].size, want[i].mode), 0);
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);
	TEST_ASSERT_EQ(c.len % 4, 0);

	buf = exact_copy(c.buf, c.len);
	for (i = 0; i < n; i++) {
		TEST_ASSERT_EQ(off % 4, 0, "entry %zu starts aligned", i);
		TEST_ASSERT_EQ(cpio_next(buf, c.len, &off, &f), 1, "entry %zu", i);
		TEST_ASSERT_EQ(f.namelen, strlen(want[i].name));
		TEST_ASSERT_EQ(memcmp(f.name, want[i].name, f.namelen + 1), 0, "%s, NUL-terminated", want[i].name);
		TEST_ASSERT_EQ(f.mode, want[i].mode, "%s: mode 0%o", want[i].name, f.mode);
		TEST_ASSERT_EQ(f.size, want[i].size, "%s: size", want[i].name);
		TEST_ASSERT_EQ(((const uint8_t *)f.data - buf) % 4, 0, "%s: data aligned", want[i].name);
		if (f.size)
			TEST_ASSERT_EQ(memcmp(f.data, want[i].data, f.size), 0, "%s: data", want[i].name);
	}
	size_t trailer = off;
	TEST_ASSERT_EQ(cpio_next(buf, c.len, &off, &f), 0, "TRAILER!!! ends it");
	TEST_ASSERT_EQ(off, trailer, "the trailer leaves *off alone");
	TEST_ASSERT_EQ(cpio_next(buf, c.len, &off, &f), 0, "and says so again");
	free(buf);
	fl_cpio_free(&c);
	TEST_ASSERT_EQ(c.buf, NULL);
	TEST_ASSERT_EQ(c.len, 0);
}

Test(cpio, header_bytes)
{
	struct fl_cpio c = { 0 };

	TEST_ASSERT_EQ(fl_cpio_add(&c, "bin", NULL, 0, S_IFDIR | 0755), 0);
	TEST_ASSERT_EQ(fl_cpio_add(&c, "bin/x", "xyz", 3, S_IFREG | 0755), 0);
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);

	/* ino 1, mode 040755, nlink 2 for a directory, namesize 4, the rest zero */
	TEST_ASSERT_EQ(memcmp(c.buf, "070701" "00000001" "000041ED" "00000000" "00000000"
		       "00000002" "00000000" "00000000" "00000000" "00000000"
		       "00000000" "00000000" "00000004" "00000000" "bin\0\0\0", 116), 0);
	/* 116: ino 2, mode 0100755, nlink 1, size 3, namesize 6; name to 232, data to 236 */
	TEST_ASSERT_EQ(memcmp(c.buf + 116, "070701" "00000002" "000081ED" "00000000" "00000000"
		       "00000001" "00000000" "00000003" "00000000" "00000000"
		       "00000000" "00000000" "00000006" "00000000" "bin/x\0xyz\0", 120), 0);
	/* 236: the trailer, ino 0, namesize 11, padded to 360 */
	TEST_ASSERT_EQ(memcmp(c.buf + 236, "070701" "00000000" "00000000" "00000000" "00000000"
		       "00000001" "00000000" "00000000" "00000000" "00000000"
		       "00000000" "00000000" "0000000B" "00000000" "TRAILER!!!\0\0\0\0", 124), 0);
	TEST_ASSERT_EQ(c.len, 360);
	fl_cpio_free(&c);
}

Test(cpio, builder_limits)
{
	struct fl_cpio c = { 0 };
	char *name = malloc(PATH_MAX + 1);
	size_t len;

	memset(name, 'n', PATH_MAX);
	name[PATH_MAX] = 0;
	TEST_ASSERT_EQ(fl_cpio_add(&c, "first", "1", 1, S_IFREG | 0644), 0);
	len = c.len;

	errno = 0;
	TEST_ASSERT_EQ(fl_cpio_add(&c, name, NULL, 0, S_IFREG | 0644), -1);
	TEST_ASSERT_EQ(errno, ENAMETOOLONG);
	errno = 0;
	TEST_ASSERT_EQ(fl_cpio_add(&c, "big", "", (size_t)UINT32_MAX + 1, S_IFREG | 0644), -1);
	TEST_ASSERT_EQ(errno, EFBIG);
	TEST_ASSERT_EQ(c.len, len, "failed adds leave the archive alone");
	TEST_ASSERT_EQ(c.ino, 1);

	name[PATH_MAX - 1] = 0;  /* PATH_MAX with its NUL: the longest allowed */
	TEST_ASSERT_EQ(fl_cpio_add(&c, name, "2", 1, S_IFREG | 0644), 0);
	TEST_ASSERT_EQ(memcmp(c.buf + len, "07070100000002", 14), 0, "inos continue");
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);

	struct cpio_file f;
	size_t off = 0;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
	TEST_ASSERT_EQ(f.namelen, PATH_MAX - 1);
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 0);
	free(name);
	fl_cpio_free(&c);
}

/* ---- the parser's hex fields ---- */

Test(cpio, hex_any_case)
{
	struct fl_cpio c = small_archive();
	struct cpio_file f;
	size_t off = 0;

	set_field(c.buf, F_MODE, "DeadBeeF");
	set_field(c.buf, F_SIZE, "00000005");
	set_field(c.buf, F_NAMESZ, "00000004");
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
	TEST_ASSERT_EQ(f.mode, 0xdeadbeef);
	set_field(c.buf, F_MODE, "000081a4");
	off = 0;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
	TEST_ASSERT_EQ(f.mode, S_IFREG | 0644);
	fl_cpio_free(&c);
}

Test(cpio, hex_decodes_every_value_shape)
{
	struct fl_cpio c = small_archive();
	uint32_t v = 0x12345678;
	struct cpio_file f;
	char digits[9];

	for (int i = 0; i < 4096; i++) {
		v ^= v << 13, v ^= v >> 17, v ^= v << 5;
		snprintf(digits, sizeof(digits), i & 1 ? "%08x" : "%08X", v);
		set_field(c.buf, F_MODE, digits);
		size_t off = 0;
		TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
		TEST_ASSERT_EQ(f.mode, v, "%s gave 0x%x", digits, f.mode);
	}
	for (int nib = 0; nib < 16; nib++) {  /* each digit value in each position */
		for (int pos = 0; pos < 8; pos++) {
			memset(digits, '0', 8);
			digits[pos] = "0123456789abcdef"[nib];
			set_field(c.buf, F_MODE, digits);
			size_t off = 0;
			TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
			TEST_ASSERT_EQ(f.mode, (uint32_t)nib << (28 - 4 * pos), "%.8s", digits);
		}
	}
	fl_cpio_free(&c);
}

/* Every byte value in every position of every field: only hex digits pass.
 * The size fields may then point past the end, which must fail cleanly too. */
Test(cpio, hex_rejects_every_other_byte)
{
	struct fl_cpio c = small_archive();
	uint8_t *p = exact_copy(c.buf, c.len);
	struct cpio_file f;

	for (int field = 0; field < 13; field++) {
		for (int pos = 0; pos < 8; pos++) {
			uint8_t *at = p + 6 + 8 * field + pos, keep = *at;

			for (int b = 0; b < 256; b++) {
				size_t off = 0;
				int rc;

				*at = (uint8_t)b;
				rc = cpio_next(p, c.len, &off, &f);
				if (!isxdigit(b))
					TEST_ASSERT_EQ(rc, -1, "field %d pos %d byte 0x%02x", field, pos, b);
				else if (field != F_SIZE && field != F_NAMESZ)
					TEST_ASSERT_EQ(rc, 1, "field %d pos %d byte 0x%02x", field, pos, b);
			}
			*at = keep;
		}
	}
	free(p);
	fl_cpio_free(&c);
}

/* ---- damaged archives ---- */

Test(cpio, bad_magic)
{
	struct fl_cpio c = small_archive();
	struct cpio_file f;
	size_t off = 0;

	memcpy(c.buf, "070702", 6);  /* newc with checksums: not ours */
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1);
	memcpy(c.buf, "070707", 6);  /* old portable format */
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1);
	memcpy(c.buf, "170701", 6);
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1);
	memcpy(c.buf, "070701", 6);
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1);
	TEST_ASSERT_EQ(off, 124);
	fl_cpio_free(&c);
}

Test(cpio, bad_sizes)
{
	struct fl_cpio c = small_archive();

	TEST_ASSERT_EQ(parse_with_field(&c, F_NAMESZ, "00000004"), 1, "the archive as built");
	TEST_ASSERT_EQ(parse_with_field(&c, F_NAMESZ, "00000000"), -1, "namesize 0");
	TEST_ASSERT_EQ(parse_with_field(&c, F_NAMESZ, "00000003"), -1, "no NUL at the end of the name");
	TEST_ASSERT_EQ(parse_with_field(&c, F_NAMESZ, "00000100"), -1, "name past the end");
	TEST_ASSERT_EQ(parse_with_field(&c, F_NAMESZ, "FFFFFFFF"), -1, "huge namesize");
	TEST_ASSERT_EQ(parse_with_field(&c, F_SIZE, "00000100"), -1, "data past the end");
	TEST_ASSERT_EQ(parse_with_field(&c, F_SIZE, "FFFFFFFF"), -1, "huge filesize");
	TEST_ASSERT_EQ(parse_with_field(&c, F_SIZE, "00000084"), 1, "data up to the very end");
	TEST_ASSERT_EQ(parse_with_field(&c, F_SIZE, "00000085"), -1, "one byte past it");
	TEST_ASSERT_EQ(parse_with_field(&c, F_SIZE, "0000000G"), -1, "non-hex filesize");
	TEST_ASSERT_EQ(parse_with_field(&c, 0, "0000 001"), -1, "non-hex ino");
	fl_cpio_free(&c);
}

Test(cpio, bad_offsets)
{
	struct fl_cpio c = small_archive();
	struct cpio_file f;
	size_t off;

	off = 0;
	TEST_ASSERT_EQ(cpio_next(c.buf, 0, &off, &f), -1, "empty archive");
	off = c.len;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1, "at the end");
	off = c.len + 1;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1, "past the end");
	off = SIZE_MAX;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1, "far past the end");
	off = 2;
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), -1, "not on a header");
	fl_cpio_free(&c);
}

/* Every cut of a valid archive: nothing read past the cut, no entry reaching
 * past it, and no success before the trailer's name is whole. */
Test(cpio, every_truncation)
{
	struct fl_cpio c = { 0 };
	size_t trailer_end;

	TEST_ASSERT_EQ(fl_cpio_add(&c, "dir", NULL, 0, S_IFDIR | 0755), 0);
	TEST_ASSERT_EQ(fl_cpio_add(&c, "dir/file", "some data here", 14, S_IFREG | 0644), 0);
	TEST_ASSERT_EQ(fl_cpio_add(&c, "odd", "x", 1, S_IFREG | 0644), 0);
	trailer_end = c.len + HDR_LEN + 11;
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);

	for (size_t len = 0; len <= c.len; len++) {
		uint8_t *p = exact_copy(c.buf, len);
		struct cpio_file f;
		size_t off = 0;
		int rc;

		while ((rc = cpio_next(p, len, &off, &f)) == 1)
			TEST_ASSERT_CMP((size_t)((const uint8_t *)f.data - p) + f.size, <=, len);
		TEST_ASSERT_EQ(rc, len < trailer_end ? -1 : 0, "cut at %zu of %zu", len, c.len);
		free(p);
	}
	fl_cpio_free(&c);
}

/* An entry named TRAILER!!! (`--pack FILE:/TRAILER!!!`) ended the archive for
 * the guest: it and every entry after it were lost without a word. */
Test(cpio, trailer_name_refused)
{
	struct fl_cpio c = { 0 };
	struct cpio_file f;
	size_t off = 0;
	errno = 0;
	TEST_ASSERT_EQ(fl_cpio_add(&c, "TRAILER!!!", "x", 1, S_IFREG | 0644), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	TEST_ASSERT_EQ(fl_cpio_add(&c, "after", "y", 1, S_IFREG | 0644), 0);
	TEST_ASSERT_EQ(fl_cpio_finish(&c), 0);
	TEST_ASSERT_EQ(cpio_next(c.buf, c.len, &off, &f), 1, "the entry after it is read");
	TEST_ASSERT_EQ(f.namelen, 5);
	TEST_ASSERT(!memcmp(f.name, "after", 5));
	fl_cpio_free(&c);
}
