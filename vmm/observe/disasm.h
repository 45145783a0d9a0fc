/* Guest code as instructions (capstone, AT&T syntax as objdump and gdb print
 * it), read through the inspection API, each line with its symbol. */
#ifndef FL_DISASM_H
#define FL_DISASM_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fl_session;

/* Instructions a verdict shows around RIP. */
#define FL_DISASM_AROUND 8

/* Copies up to len bytes of code at addr: a kernel address through the
 * kernel's page tables, a user one through cr3's. Returns how many, stopping
 * at the first unmapped page. */
size_t fl_read_code(struct fl_session *s, uint64_t cr3, uint64_t addr, uint8_t *buf, size_t len);

/* A capstone handle for x86-64, AT&T syntax, with instruction details on;
 * -1 if capstone cannot open one. */
int fl_disasm_open(csh *h);

/* The instruction at addr as "mnemonic operands" in out; its length, or 0
 * if none is readable or decodable there. */
size_t fl_insn_text(struct fl_session *s, uint64_t cr3, uint64_t addr, char *out, size_t n);

/* One line of a listing, on out: prefix, a mark ("=>" or blank), the address
 * and its symbol, the bytes, the instruction with a direct branch's target
 * named, and note (or NULL) after it. cr3 names the address space, as for
 * fl_symbolize. */
void fl_disasm_line(struct fl_session *s, csh h, uint64_t cr3, const cs_insn *insn, bool marked,
		    const char *note, const char *prefix, FILE *out);

/* FL_DISASM_AROUND instructions around rip, rip's marked "=>": up to four
 * before it, decoded from the start of the function holding rip (x86 cannot
 * be decoded backwards), and the rest after. 0, or -1 if no code at rip is
 * readable or decodable (nothing printed). */
int fl_disasm_around(struct fl_session *s, uint64_t cr3, uint64_t rip, const char *prefix,
		     FILE *out);

#endif
