/* RSP framing (packet.h): gdb sends $payload#cs with a two-digit modulo-256
 * checksum of the payload as sent, escapes with '}' and interrupts with a
 * lone 0x03. A hostile peer may send anything: every path is bounded. */
#include "gdb/packet.h"

#include <string.h>

void gdb_decoder_init(struct gdb_decoder *d)
{
	memset(d, 0, sizeof *d);
}

enum gdb_input gdb_decode(struct gdb_decoder *d, uint8_t c)
{
	switch (d->state) {
	case GDB_DEC_IDLE:
		if (c == '$') {
			d->state = GDB_DEC_BODY;
			d->len = 0, d->sum = 0, d->overlong = false;
			return GDB_IN_NONE;
		}
		return c == 0x03 ? GDB_IN_INTERRUPT : c == '+' ? GDB_IN_ACK :
		       c == '-' ? GDB_IN_NAK : GDB_IN_NONE; /* noise between packets */
	case GDB_DEC_BODY:
		if (c == '#') {
			d->state = GDB_DEC_SUM1;
			return GDB_IN_NONE;
		}
		d->sum += c;
		if (d->len >= GDB_PACKET_MAX)
			d->overlong = true;
		else
			d->payload[d->len++] = (char)c;
		return GDB_IN_NONE;
	case GDB_DEC_SUM1:
	case GDB_DEC_SUM2: {
		int v = gdb_hex_value((char)c);
		if (d->state == GDB_DEC_SUM1) {
			d->want = (uint8_t)(v < 0 ? 0 : v << 4);
			d->state = v < 0 ? GDB_DEC_IDLE : GDB_DEC_SUM2;
			return v < 0 ? GDB_IN_BAD_CHECKSUM : GDB_IN_NONE;
		}
		d->state = GDB_DEC_IDLE;
		if (d->overlong)
			return GDB_IN_OVERLONG;
		if (v < 0 || (uint8_t)(d->want | v) != d->sum)
			return GDB_IN_BAD_CHECKSUM;
		/* Unescape in place: the checksum covered the escaped form. */
		size_t o = 0;
		for (size_t i = 0; i < d->len; i++)
			d->payload[o++] = d->payload[i] == '}' && i + 1 < d->len ?
					  (char)(d->payload[++i] ^ 0x20) : d->payload[i];
		d->len = o;
		d->payload[o] = 0;
		return GDB_IN_PACKET;
	}
	}
	d->state = GDB_DEC_IDLE;
	return GDB_IN_NONE;
}

size_t gdb_frame(const char *payload, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	/* The bytes sent escaped, as '}' and the byte xor 0x20. A table and no
	 * branch a byte: replies run to GDB_PACKET_MAX bytes of hex, and this
	 * loop was most of the gdb_packet fuzz target's time. */
	static const uint8_t escaped[256] = { ['$'] = 1, ['#'] = 1, ['}'] = 1, ['*'] = 1 };
	size_t need = len + 4; /* '$', then '#' and two digits */
	for (size_t i = 0; i < len; i++)
		need += escaped[(uint8_t)payload[i]];
	if (need > cap)
		return 0;
	size_t o = 0;
	uint8_t sum = 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)payload[i], e = escaped[c];
		out[o] = '}'; /* kept only when e: the byte then goes after it */
		o += e;
		c ^= e << 5;
		out[o++] = (char)c;
		sum += e * '}' + c;
	}
	out[o++] = '#';
	out[o++] = hex[sum >> 4];
	out[o++] = hex[sum & 15];
	return o;
}

int gdb_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gdb_hex_decode(const char *s, size_t pairs, uint8_t *out)
{
	for (size_t i = 0; i < pairs; i++) {
		int hi = gdb_hex_value(s[2 * i]), lo = hi < 0 ? -1 : gdb_hex_value(s[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

int gdb_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0, d;
	while ((d = gdb_hex_value(s[n])) >= 0) {
		if (++n > 16)
			return -1;
		x = x << 4 | (uint64_t)d;
	}
	if (!n)
		return -1;
	*v = x;
	*p = s + n;
	return 0;
}
