/* The guest program's ELF on the host, for --explain and --vfork-check
 * (image.c): symbols, source lines and call-frame information through
 * libdwfl, and one instruction's text through capstone. */
#ifndef FL_IMAGE_H
#define FL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_image;

/* NULL if path is not an ELF file libdwfl can read. */
struct fl_image *fl_image_open(const char *path);
void fl_image_close(struct fl_image *im);

/* The function holding addr and the offset into it, and its source line;
 * false (the strings empty) where the image has no symbol there. */
bool fl_image_where(struct fl_image *im, uint64_t addr, char *func, size_t fn, uint64_t *off,
		    char *line, size_t ln);

/* DWARF register numbers (x86-64 psABI) that the unwinder tracks. */
enum { FL_DW_RBX = 3, FL_DW_RBP = 6, FL_DW_RSP = 7, FL_DW_RA = 16, FL_DW_NREGS = 17 };

/* Register state of one frame while unwinding. */
struct fl_unwind_regs {
	uint64_t v[FL_DW_NREGS];
	bool ok[FL_DW_NREGS];
};
typedef bool (*fl_read_word_fn)(void *arg, uint64_t addr, uint64_t *out);

/* One step of CFI unwinding at pc (a return address: looked up at pc - 1
 * unless at_insn): the frame's CFA, where it saved each register (slots[r],
 * 0 if not in memory), and in *caller the registers one frame up. false
 * if the image has no CFI for pc. */
bool fl_image_unwind(struct fl_image *im, uint64_t pc, bool at_insn, const struct fl_unwind_regs *r,
		     fl_read_word_fn read, void *arg, uint64_t *cfa, uint64_t slots[FL_DW_NREGS],
		     struct fl_unwind_regs *caller);

/* The instruction at addr in code[], as "mnemonic operands"; its length,
 * or 0 if it does not decode. */
size_t fl_insn_text(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t n);

#endif
