/* qXfer objects (gdb's read of a document in pieces): the m/l chunking every
 * object shares, and the thread list as the XML that qXfer:threads:read
 * serves. Pure functions, so the unit tests drive them without a guest. */
#ifndef FL_GDB_XFER_H
#define FL_GDB_XFER_H

#include <stddef.h>
#include <stdint.h>

/* The reply to a read of obj[0, objlen) at OFFSET,LENGTH, into out (at
 * most GDB_PACKET_MAX bytes, NUL-terminated): 'm' and the bytes when more
 * follow, 'l' and the bytes when they reach the end ("l" alone at the end
 * itself), E01 for a zero length, E22 for an offset past the end. obj is
 * text: it holds no NUL. */
void gdb_xfer_chunk(const char *obj, size_t objlen, uint64_t off, uint64_t len, char *out);

/* One thread of the document: its id, the name gdb shows in quotes (a
 * guest's command name, raw bytes up to a NUL; empty for none) and the text
 * gdb shows in parentheses. */
struct gdb_thread_desc {
	int tid;
	char name[16];
	char text[64];
};

/* The largest document: the envelope and, for each thread, its element with
 * every byte of name and text escaped at the longest (&quot;). */
#define GDB_THREAD_XML_MAX(n) (32 + (size_t)(n) * (48 + 6 * (16 + 64)))

/* <threads><thread id="HEX" name="...">text</thread>...</threads> into out
 * (NUL-terminated); returns its length. Guest bytes are made printable
 * (fl_guest_name) and escaped for XML. A thread that would not fit in cap is
 * left out, and the document still closes. */
size_t gdb_threads_xml(const struct gdb_thread_desc *t, int n, char *out, size_t cap);

#endif
