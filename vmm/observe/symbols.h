/* Guest addresses as people read them: `function+0xoff (file:line)`, from
 * the symbols and DWARF of the kernel ELF and of the user programs (libdw).
 *
 * For any code that prints a guest address, the one call is fl_symbolize:
 *
 *	char at[FL_SYM_TEXT];
 *	fprintf(stderr, "rip %#lx: %s\n", rip, fl_symbolize(s, t.cr3, rip, at, sizeof at));
 *
 * Nothing is opened until the first lookup of a run, and each ELF then once,
 * so a run that prints no address pays nothing. */
#ifndef FL_SYMBOLS_H
#define FL_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_session;
struct Dwfl_Module;

/* What one address resolves to. Strings belong to the ELF's symbol file
 * (for a run: until the session ends); NULL when unknown. */
struct fl_sym {
	uint64_t addr;
	const char *name;     /* the symbol containing addr: a function or an object */
	uint64_t start;       /* its address (addr - start is the offset) */
	uint64_t size;        /* its size in bytes, 0 if the symbol has none */
	const char *file;     /* source file, as the compiler was given it */
	int line;             /* code: the line of addr; an object: its declaration's */
	const char *module;   /* host path of the ELF it was found in */
};

/* Enough for any fl_symbolize text that names a real source path. */
#define FL_SYM_TEXT 512

/* ---- one ELF, no VM (the unit tests use these directly) ---- */

struct fl_symfile;
/* Opens an ELF's symbol table and DWARF with libdw; bias is added to every
 * address it holds (a static-PIE program's load base, else 0). NULL with a
 * one-line reason in err. */
struct fl_symfile *fl_symfile_open(const char *path, uint64_t bias, char *err, size_t errlen);
/* 0 if addr is inside a symbol of the file (out filled as far as known), -1 if not. */
int fl_symfile_lookup(struct fl_symfile *f, uint64_t addr, struct fl_sym *out);
void fl_symfile_close(struct fl_symfile *f);

/* "name+0xoff (file:line)", "name+0xoff", or "0x..." when sym has no name. */
const char *fl_sym_format(const struct fl_sym *sym, char *buf, size_t len);

/* ---- addresses of a run ---- */

/* Kernel addresses (the upper half) resolve in the kernel ELF that runs
 * (--kernel, or build/kernel.elf); user addresses in the program mapped at
 * cr3 (a task's address space, fl_task_view.cr3): the program forklab packed
 * to run, or a built-in one, whichever the guest's memory at cr3 holds.
 * 0 if some symbol holds addr, -1 if none (out->addr still set). */
int fl_sym_lookup(struct fl_session *s, uint64_t cr3, uint64_t addr, struct fl_sym *out);
/* The ELF fl_sym_lookup resolves addr in, or NULL, for other readers of its
 * DWARF (unwind.c); and its libdwfl module, whose addresses are the guest's. */
struct fl_symfile *fl_sym_file(struct fl_session *s, uint64_t cr3, uint64_t addr);
struct Dwfl_Module *fl_symfile_module(struct fl_symfile *f);
/* fl_sym_lookup, formatted by fl_sym_format; returns buf. */
const char *fl_symbolize(struct fl_session *s, uint64_t cr3, uint64_t addr, char *buf, size_t len);

/* Frees what a run's lookups opened (fl_launch calls it at the end). */
void fl_symbols_free(struct fl_session *s);

#endif
