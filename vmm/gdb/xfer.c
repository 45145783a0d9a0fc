/* qXfer objects (xfer.h). */
#include "gdb/xfer.h"
#include "gdb/packet.h"
#include "observe/inspect.h"

#include <stdio.h>
#include <string.h>

void gdb_xfer_chunk(const char *obj, size_t objlen, uint64_t off, uint64_t len, char *out)
{
	if (!len) {
		snprintf(out, GDB_PACKET_MAX + 1, "E01");
		return;
	}
	if (off > objlen) {
		snprintf(out, GDB_PACKET_MAX + 1, "E22");
		return;
	}
	if (len > GDB_PACKET_MAX - 1)
		len = GDB_PACKET_MAX - 1; /* a reply may be shorter than asked */
	size_t n = objlen - off < len ? objlen - off : len;
	out[0] = off + n < objlen ? 'm' : 'l';
	memcpy(out + 1, obj + off, n);
	out[n + 1] = 0;
}

/* src (a NUL-terminated printable string) with XML's five specials escaped,
 * appended at out[*n]; false, and nothing appended, if it does not fit. */
static bool put_escaped(char *out, size_t cap, size_t *n, const char *src)
{
	size_t at = *n;
	for (const char *c = src; *c; c++) {
		const char *e = *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : *c == '&' ? "&amp;" :
				*c == '"' ? "&quot;" : *c == '\'' ? "&apos;" : NULL;
		size_t k = e ? strlen(e) : 1;
		if (at + k >= cap)
			return false;
		memcpy(out + at, e ? e : c, k);
		at += k;
	}
	*n = at;
	return true;
}

static bool put(char *out, size_t cap, size_t *n, const char *s)
{
	size_t k = strlen(s);
	if (*n + k >= cap)
		return false;
	memcpy(out + *n, s, k);
	*n += k;
	return true;
}

size_t gdb_threads_xml(const struct gdb_thread_desc *t, int n, char *out, size_t cap)
{
	static const char head[] = "<threads>", tail[] = "</threads>";
	size_t len = 0;
	if (cap < sizeof head + sizeof tail - 1) {
		if (cap)
			out[0] = 0;
		return 0;
	}
	put(out, cap, &len, head);
	for (int i = 0; i < n; i++) {
		char id[32], name[sizeof t[i].name + 1], text[sizeof t[i].text + 1];
		size_t at = len;
		/* Guest bytes, possibly without a NUL: made printable first. */
		fl_guest_name(name, sizeof name, t[i].name);
		fl_guest_name(text, sizeof text, t[i].text);
		snprintf(id, sizeof id, "<thread id=\"%x\"", (unsigned)t[i].tid);
		/* Room for the closing tag must remain after every thread. */
		size_t room = cap - (sizeof tail - 1);
		bool ok = put(out, room, &len, id) &&
			  (!*name || (put(out, room, &len, " name=\"") &&
				      put_escaped(out, room, &len, name) && put(out, room, &len, "\""))) &&
			  put(out, room, &len, ">") && put_escaped(out, room, &len, text) &&
			  put(out, room, &len, "</thread>");
		if (!ok) {
			len = at;
			break;
		}
	}
	put(out, cap, &len, tail);
	out[len] = 0;
	return len;
}
