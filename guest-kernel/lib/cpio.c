/* The guest's newc reader. Every kernel instruction is emulated and costs about
 * 0.6 us, so the 13 hex fields are checked and decoded eight digits at a time. */
#include "../include/cpio.h" /* by path: in the unit tests "cpio.h" is vmm's builder */

#define HDR_LEN   110
#define NFIELDS   13          /* 8-digit fields after the 6-byte magic */
#define F_MODE    1
#define F_SIZE    6
#define F_NAMESZ  11
#define MAGIC     0x313037303730ULL  /* "070701" as a little-endian load */
#define ONES      0x0101010101010101ULL
#define HIGH      0x8080808080808080ULL

static inline uint64_t load8(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8); /* unaligned load, inlined even with -fno-builtin */
	return v;
}

/* Checks the eight ASCII digits in x at once. For a byte b < 0x80, b + (0x80 - lo)
 * has its top bit set exactly when b >= lo and carries into no other byte; bytes
 * >= 0x80 are bad anyway, whatever their carries do to their neighbours. Returns
 * nonzero if any byte is not a hex digit; *alpha gets the top bit of each letter. */
static inline uint64_t hex_bad(uint64_t x, uint64_t *alpha)
{
	uint64_t low = x | 0x20 * ONES; /* folds 'A'-'F' onto 'a'-'f' */
	uint64_t digit = (x + (0x80 - '0') * ONES) & ~(x + (0x80 - '9' - 1) * ONES);
	uint64_t letter = (low + (0x80 - 'a') * ONES) & ~(low + (0x80 - 'f' - 1) * ONES);

	*alpha = letter & HIGH;
	return (x & HIGH) | (~(digit | letter) & HIGH);
}

/* The value of eight checked digits; the first digit is the lowest byte. */
static inline uint32_t hex_value(uint64_t x, uint64_t alpha)
{
	uint64_t v = (x & 0x0f * ONES) + (alpha >> 7) * 9; /* 'a' & 0xf == 1, + 9 = 10 */

	v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ffULL;   /* digit pairs -> bytes */
	v = ((v << 8) | (v >> 16)) & 0x0000ffff0000ffffULL;  /* byte pairs -> 16 bits */
	return (uint32_t)((v << 16) | (v >> 32));
}

static int is_trailer(const char *name)
{
	static const char t[] = "TRAILER!!!";

	for (size_t i = 0; i < sizeof(t) - 1; i++)
		if (name[i] != t[i])
			return 0;
	return 1;
}

int cpio_next(const void *buf, size_t len, size_t *off, struct cpio_file *out)
{
	const uint8_t *h;
	uint64_t x[NFIELDS], alpha[NFIELDS], bad = 0;
	size_t o = *off, namesize, size, data;
	const char *name;

	if (o > len || len - o < HDR_LEN)
		return -1;
	h = (const uint8_t *)buf + o;
	if ((load8(h) & 0xffffffffffffULL) != MAGIC)
		return -1;
	for (int i = 0; i < NFIELDS; i++) {
		x[i] = load8(h + 6 + 8 * i);
		bad |= hex_bad(x[i], &alpha[i]);
	}
	if (bad)
		return -1;

	namesize = hex_value(x[F_NAMESZ], alpha[F_NAMESZ]);
	size = hex_value(x[F_SIZE], alpha[F_SIZE]);
	if (namesize == 0 || namesize > len - o - HDR_LEN)
		return -1;
	name = (const char *)h + HDR_LEN;
	if (name[namesize - 1] != 0)
		return -1;
	if (namesize == sizeof("TRAILER!!!") && is_trailer(name))
		return 0;

	/* Padding is relative to the archive start, as the builder writes it. */
	data = (o + HDR_LEN + namesize + 3) & ~(size_t)3;
	if (data > len || size > len - data)
		return -1;
	out->name = name;
	out->namelen = namesize - 1;
	out->data = (const uint8_t *)buf + data;
	out->size = size;
	out->mode = hex_value(x[F_MODE], alpha[F_MODE]);
	*off = (data + size + 3) & ~(size_t)3;
	return 1;
}
