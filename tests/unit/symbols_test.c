/* vmm/observe/symbols.c without a VM: build/kernel.elf's addresses as
 * `function+0xoff (file:line)`, each line found in the source itself, and
 * the ways a lookup degrades. */
#include "common/fl_assert.h"
#include "common/source.h"
#include "common/forklab_run.h"
#include "boot/elf.h"
#include "observe/symbols.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define KERNEL "build/kernel.elf"

/* A kernel symbol's address, from the symbol table the VMM reads (elf.c). */
static uint64_t kernel_symbol(const char *name)
{
	struct fl_kernel k;
	char err[256];
	uint64_t v = 0;
	TEST_ASSERT_EQ(fl_kernel_open(KERNEL, &k, err, sizeof err), 0, "%s", err);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, name, &v), 0, "%s has no %s", KERNEL, name);
	fl_kernel_close(&k);
	return v;
}

static struct fl_symfile *open_kernel(void)
{
	char err[256];
	struct fl_symfile *f = fl_symfile_open(KERNEL, 0, err, sizeof err);
	TEST_ASSERT(f, "%s", err);
	return f;
}

/* A C function's first instruction is on the line that names it, or on its
 * opening brace below (gcc puts the prologue there). */
Test(symbols, kernel_function_entry)
{
	struct fl_symfile *f = open_kernel();
	struct fl_sym sym;
	uint64_t at = kernel_symbol("panic_regs");
	TEST_ASSERT_EQ(fl_symfile_lookup(f, at, &sym), 0);
	TEST_ASSERT_STR_EQ(sym.name, "panic_regs");
	TEST_ASSERT_EQ(sym.start, at);
	TEST_ASSERT_STR_EQ(sym.file, "guest-kernel/kernel/printk.c");
	int decl = source_line("guest-kernel/kernel/printk.c", "void panic_regs(");
	TEST_ASSERT_CMP(sym.line, >=, decl);
	TEST_ASSERT_CMP(sym.line, <=, decl + 1);
	char text[FL_SYM_TEXT], want[FL_SYM_TEXT];
	snprintf(want, sizeof want, "panic_regs+0 (guest-kernel/kernel/printk.c:%d)", sym.line);
	TEST_ASSERT_STR_EQ(fl_sym_format(&sym, text, sizeof text), want);
	fl_symfile_close(f);
}

/* Assembly has lines too (gas -g): ret_from_fork's first instruction
 * follows its label in entry.S. */
Test(symbols, kernel_assembly_line)
{
	struct fl_symfile *f = open_kernel();
	struct fl_sym sym;
	TEST_ASSERT_EQ(fl_symfile_lookup(f, kernel_symbol("ret_from_fork"), &sym), 0);
	TEST_ASSERT_STR_EQ(sym.name, "ret_from_fork");
	TEST_ASSERT_STR_EQ(sym.file, "guest-kernel/arch/x86/entry.S");
	int label = source_line("guest-kernel/arch/x86/entry.S", "ret_from_fork:");
	TEST_ASSERT_CMP(sym.line, >, label);
	TEST_ASSERT_CMP(sym.line, <=, label + 3, "the first instruction after the label");
	fl_symfile_close(f);
}

/* Inside an object: its name, the offset, and the line that declares it
 * (data has no line-table row). */
Test(symbols, kernel_object_declaration)
{
	struct fl_symfile *f = open_kernel();
	struct fl_sym sym;
	uint64_t at = kernel_symbol("free_slots");
	TEST_ASSERT_EQ(fl_symfile_lookup(f, at + 0x18, &sym), 0);
	TEST_ASSERT_STR_EQ(sym.name, "free_slots");
	TEST_ASSERT_EQ(sym.addr - sym.start, 0x18);
	TEST_ASSERT_STR_EQ(sym.file, "guest-kernel/kernel/fork.c");
	TEST_ASSERT_EQ(sym.line, source_line("guest-kernel/kernel/fork.c", " free_slots["));
	fl_symfile_close(f);
}

/* Outside every symbol: the bare address; a symbol without a line: no line. */
Test(symbols, degrades)
{
	struct fl_symfile *f = open_kernel();
	struct fl_sym sym;
	char text[FL_SYM_TEXT];
	TEST_ASSERT_EQ(fl_symfile_lookup(f, 0x1000, &sym), -1);
	TEST_ASSERT_STR_EQ(fl_sym_format(&sym, text, sizeof text), "0x1000");
	TEST_ASSERT_EQ(fl_symfile_lookup(f, 0xffffffffff000000ULL, &sym), -1);
	sym = (struct fl_sym){ .addr = 0x401008, .name = "vfork", .start = 0x401000 };
	TEST_ASSERT_STR_EQ(fl_sym_format(&sym, text, sizeof text), "vfork+0x8");
	fl_symfile_close(f);
}

/* Bad input: a one-line reason naming the file, never a crash. */
Test(symbols, bad_files)
{
	char err[256];
	TEST_ASSERT(!fl_symfile_open("build/no-such-file", 0, err, sizeof err));
	TEST_ASSERT(strstr(err, "build/no-such-file") && !strchr(err, '\n'), "err: %s", err);
	TEST_ASSERT(!fl_symfile_open("README.md", 0, err, sizeof err));
	TEST_ASSERT(strstr(err, "README.md") && !strchr(err, '\n'), "err: %s", err);
}
