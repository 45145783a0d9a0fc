/* The GDB Remote Serial Protocol's framing, as pure functions: a byte-at-a-
 * time decoder for what gdb sends ($payload#cs, ^C, acks) and the encoders
 * for replies. Nothing here does I/O, so the unit tests and the fuzzer drive
 * it with arbitrary bytes. */
#ifndef FL_GDB_PACKET_H
#define FL_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet we accept or send (PacketSize in qSupported): a whole
 * register file or 2 KiB of memory in hex, with room to spare. */
#define GDB_PACKET_MAX 4096

enum gdb_input {
	GDB_IN_NONE,        /* the byte was consumed; nothing complete yet */
	GDB_IN_PACKET,      /* a packet with a good checksum: payload/len */
	GDB_IN_BAD_CHECKSUM,/* a whole packet whose checksum is wrong: reply '-' */
	GDB_IN_OVERLONG,    /* a packet longer than GDB_PACKET_MAX: dropped, reply '-' */
	GDB_IN_INTERRUPT,   /* ^C (0x03) outside a packet */
	GDB_IN_ACK,         /* '+' */
	GDB_IN_NAK,         /* '-': resend the last reply */
};

struct gdb_decoder {
	enum { GDB_DEC_IDLE, GDB_DEC_BODY, GDB_DEC_SUM1, GDB_DEC_SUM2 } state;
	bool overlong;
	uint8_t sum, want;
	size_t len;
	/* The payload, unescaped ('}' x -> x ^ 0x20) and NUL-terminated. */
	char payload[GDB_PACKET_MAX + 1];
};

void gdb_decoder_init(struct gdb_decoder *d);
/* Feeds one byte; when the result is GDB_IN_PACKET, d->payload holds
 * d->len bytes until the next call. */
enum gdb_input gdb_decode(struct gdb_decoder *d, uint8_t byte);

/* Frames payload[0, len) as $...#cs into out (escaping $, #, } and *);
 * returns the frame's length, or 0 if it does not fit in cap. */
size_t gdb_frame(const char *payload, size_t len, char *out, size_t cap);

/* Hex helpers. gdb_hex_value: the digit's value, or -1. */
int gdb_hex_value(char c);
/* Exactly n hex digit pairs from s into out; -1 if any is not hex. */
int gdb_hex_decode(const char *s, size_t pairs, uint8_t *out);
/* Writes 2*n hex digits of in[0, n) to out (no NUL). */
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);
/* A hex number of 1 to 16 digits at *p, advancing *p past it; -1 if none or
 * too long. */
int gdb_parse_hex(const char **p, uint64_t *v);

#endif
