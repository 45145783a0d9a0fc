/* vmm/boot/elf.c: kernel images (validation, loading, symbols) and user program
 * checks, on small ELF images built here and on a kernel linked by cc. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <forklab/abi.h>
#include "boot/elf.h"

#define KPADDR FL_KERNEL_PADDR
#define KVADDR (FL_KERNEL_VBASE + FL_KERNEL_PADDR)
#define BSS 4096

/* The smallest useful image: ELF header, up to two program headers (one used
 * unless a test adds the second), 64 bytes of "code" and 4 KiB of bss. */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t code[64];
};

static void make_image(struct img *m, uint16_t type, uint64_t vaddr, uint64_t paddr)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = type;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = vaddr;
	m->eh.e_phoff = offsetof(struct img, ph);
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 1;
	m->ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = offsetof(struct img, code),
		.p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = sizeof(m->code),
		.p_memsz = sizeof(m->code) + BSS, .p_align = 16,
	};
	for (size_t i = 0; i < sizeof(m->code); i++)
		m->code[i] = (uint8_t)(i + 1);
}

static void make_kernel(struct img *m)
{
	make_image(m, ET_EXEC, KVADDR, KPADDR);
}

/* A program's p_vaddr is congruent to its p_offset modulo the page size,
 * as the kernel maps it (forklab/elf_rules.h). */
#define CODE_OFF offsetof(struct img, code)

static void make_program(struct img *m)
{
	make_image(m, ET_EXEC, 0x400000 + CODE_OFF, 0x400000 + CODE_OFF);
}

/* ---- a per-test scratch directory ---- */

static char dir[] = "/tmp/forklab-elf-XXXXXX";

static void make_dir(void)
{
	TEST_ASSERT_NE(mkdtemp(dir), NULL);
}

static void remove_dir(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	TEST_ASSERT_EQ(system(cmd), 0);
}

TestSuite(elf, .init = make_dir, .fini = remove_dir);

static const char *scratch(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *path = scratch(name);
	FILE *f = fopen(path, "wb");

	TEST_ASSERT_NE(f, NULL, "%s: %s", path, strerror(errno));
	TEST_ASSERT_EQ(fwrite(data, 1, len, f), len);
	TEST_ASSERT_EQ(fclose(f), 0);
	return path;
}

static char err[256];

static int open_kernel(const void *data, size_t len, struct fl_kernel *k)
{
	return fl_kernel_open(write_file("kernel", data, len), k, err, sizeof(err));
}

static void expect_kernel_error(const void *data, size_t len, const char *msg)
{
	struct fl_kernel k;

	TEST_ASSERT_EQ(open_kernel(data, len, &k), -1, "expected \"%s\"", msg);
	TEST_ASSERT_STR_EQ(err, msg);
	TEST_ASSERT_EQ(k.file, NULL, "a failed open leaves nothing to close");
}

static void expect_program_error(const void *data, size_t len, const char *msg)
{
	TEST_ASSERT_EQ(fl_program_check(data, len, err, sizeof(err)), -1, "expected \"%s\"", msg);
	TEST_ASSERT_STR_EQ(err, msg);
}

/* ---- valid kernels ---- */

Test(elf, kernel_valid)
{
	struct img m;
	struct fl_kernel k;

	make_kernel(&m);
	TEST_ASSERT_EQ(open_kernel(&m, sizeof(m), &k), 0, "%s", err);
	TEST_ASSERT_EQ(k.entry, KVADDR);
	TEST_ASSERT_EQ(k.nseg, 1);
	TEST_ASSERT_EQ(k.seg[0].vaddr, KVADDR);
	TEST_ASSERT_EQ(k.seg[0].paddr, KPADDR);
	TEST_ASSERT_EQ(k.seg[0].offset, offsetof(struct img, code));
	TEST_ASSERT_EQ(k.seg[0].filesz, 64);
	TEST_ASSERT_EQ(k.seg[0].memsz, 64 + BSS);
	TEST_ASSERT_EQ(k.seg[0].flags, PF_R | PF_X);
	TEST_ASSERT_EQ(k.file_len, sizeof(m));
	TEST_ASSERT_EQ(memcmp(k.file, &m, sizeof(m)), 0);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "_start", &(uint64_t){ 0 }), -1, "no .symtab");
	fl_kernel_close(&k);
	TEST_ASSERT_EQ(k.file, NULL);
}

Test(elf, kernel_sixteen_segments_fit_seventeen_do_not)
{
	struct { Elf64_Ehdr eh; Elf64_Phdr ph[17]; uint8_t code[64]; } m;
	struct img one;
	struct fl_kernel k;

	make_kernel(&one);
	memset(&m, 0, sizeof(m));
	m.eh = one.eh;
	for (int i = 0; i < 17; i++) {
		m.ph[i] = one.ph[0];
		m.ph[i].p_offset = offsetof(typeof(m), code);
		m.ph[i].p_paddr += i * 0x10000UL;
		m.ph[i].p_vaddr += i * 0x10000UL;
	}
	m.eh.e_phnum = 16;
	TEST_ASSERT_EQ(open_kernel(&m, sizeof(m), &k), 0, "%s", err);
	TEST_ASSERT_EQ(k.nseg, 16);
	TEST_ASSERT_EQ(k.seg[15].paddr, KPADDR + 15 * 0x10000UL);
	fl_kernel_close(&k);

	m.eh.e_phnum = 17;
	expect_kernel_error(&m, sizeof(m), "more than 16 loadable segments");
}

/* ---- loading ---- */

Test(elf, kernel_load_copies_and_zero_fills)
{
	const uint64_t mem_size = 4UL << 20;
	uint8_t *mem = malloc(mem_size);
	struct fl_kernel k;
	uint64_t end = 0;
	struct img m;

	make_kernel(&m);
	TEST_ASSERT_EQ(open_kernel(&m, sizeof(m), &k), 0, "%s", err);
	memset(mem, 0xaa, mem_size);
	TEST_ASSERT_EQ(fl_kernel_load(&k, mem, mem_size, &end, err, sizeof(err)), 0, "%s", err);
	TEST_ASSERT_EQ(end, 0x202000, "0x201040 rounded up to a page, got 0x%lx", end);
	TEST_ASSERT_EQ(memcmp(mem + KPADDR, m.code, sizeof(m.code)), 0);
	for (size_t i = 0; i < BSS; i++)
		TEST_ASSERT_EQ(mem[KPADDR + 64 + i], 0, "bss byte %zu", i);
	TEST_ASSERT_EQ(mem[KPADDR - 1], 0xaa, "nothing written below the segment");
	TEST_ASSERT_EQ(mem[KPADDR + 64 + BSS], 0xaa, "nothing written past memsz");
	fl_kernel_close(&k);
	free(mem);
}

Test(elf, kernel_load_rejects_too_little_memory)
{
	uint8_t *mem = malloc(0x201040);
	struct fl_kernel k;
	uint64_t end = 0;
	struct img m;

	make_kernel(&m);
	TEST_ASSERT_EQ(open_kernel(&m, sizeof(m), &k), 0, "%s", err);
	TEST_ASSERT_EQ(fl_kernel_load(&k, mem, 2UL << 20, &end, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "kernel needs 3 MiB of memory, have 2 MiB");
	TEST_ASSERT_EQ(fl_kernel_load(&k, mem, 0x20103f, &end, err, sizeof(err)), -1,
		       "one byte short of paddr + memsz");
	TEST_ASSERT_EQ(fl_kernel_load(&k, mem, 0x201040, &end, err, sizeof(err)), 0, "%s", err);
	TEST_ASSERT_EQ(end, 0x202000);
	fl_kernel_close(&k);
	free(mem);
}

/* ---- symbols, on a kernel linked by the host compiler like the real one ---- */

static const char linker_script[] =
	"ENTRY(_start)\n"
	"SECTIONS {\n"
	"  . = 0xffffffff80200000;\n"
	"  .text : AT(ADDR(.text) - 0xffffffff80000000) { *(.text*) }\n"
	"  . = ALIGN(4096);\n"
	"  .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data*) }\n"
	"  .bss : AT(ADDR(.bss) - 0xffffffff80000000) { *(.bss*) *(COMMON) }\n"
	"  /DISCARD/ : { *(.note*) *(.comment) *(.eh_frame*) }\n"
	"  fl_marker = 0xffffffff80345678;\n"
	"}\n";

static const char kernel_source[] =
	"long counter = 0x1122334455667788;\n"
	"char zeroes[8192];\n"
	"void _start(void) { for (;;) zeroes[counter & 8191]++; }\n";

static void link_kernel(struct fl_kernel *k)
{
	char cmd[1024];

	write_file("k.ld", linker_script, strlen(linker_script));
	write_file("k.c", kernel_source, strlen(kernel_source));
	snprintf(cmd, sizeof(cmd),
		 "cc -O1 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -fno-asynchronous-unwind-tables"
		 " -nostdlib -static -no-pie -Wl,-T,%s/k.ld -Wl,-z,max-page-size=0x1000"
		 " -Wl,--build-id=none -o %s/k.elf %s/k.c", dir, dir, dir);
	TEST_ASSERT_EQ(system(cmd), 0, "%s", cmd);
	TEST_ASSERT_EQ(fl_kernel_open(scratch("k.elf"), k, err, sizeof(err)), 0, "%s", err);
}

Test(elf, kernel_symbols)
{
	struct fl_kernel k;
	uint64_t v = 0;

	link_kernel(&k);
	TEST_ASSERT_EQ(k.entry, 0xffffffff80200000UL);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "_start", &v), 0);
	TEST_ASSERT_EQ(v, k.entry);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "fl_marker", &v), 0);
	TEST_ASSERT_EQ(v, 0xffffffff80345678UL);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "counter", &v), 0);
	TEST_ASSERT_CMP(v, >, k.entry);
	v = 42;
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "no_such_symbol", &v), -1);
	TEST_ASSERT_EQ(v, 42, "untouched when not found");
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "", &v), -1, "the null symbol is undefined");
	fl_kernel_close(&k);
}

Test(elf, kernel_load_linked_image)
{
	const uint64_t mem_size = 4UL << 20;
	uint8_t *mem = malloc(mem_size);
	uint64_t counter, zeroes, end;
	struct fl_kernel k;

	link_kernel(&k);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "counter", &counter), 0);
	TEST_ASSERT_EQ(fl_kernel_symbol(&k, "zeroes", &zeroes), 0);
	memset(mem, 0xaa, mem_size);
	TEST_ASSERT_EQ(fl_kernel_load(&k, mem, mem_size, &end, err, sizeof(err)), 0, "%s", err);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + counter - FL_KERNEL_VBASE), 0x1122334455667788UL);
	for (size_t i = 0; i < 8192; i++)
		TEST_ASSERT_EQ(mem[zeroes - FL_KERNEL_VBASE + i], 0, ".bss byte %zu", i);
	TEST_ASSERT_EQ(end % 4096, 0);
	TEST_ASSERT_CMP(end, >=, zeroes - FL_KERNEL_VBASE + 8192);
	TEST_ASSERT_CMP(end, <, zeroes - FL_KERNEL_VBASE + 8192 + 4096);
	fl_kernel_close(&k);
	free(mem);
}

/* ---- hostile kernel files ---- */

Test(elf, kernel_missing_file)
{
	struct fl_kernel k;

	TEST_ASSERT_EQ(fl_kernel_open(scratch("absent"), &k, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "No such file or directory");
}

Test(elf, kernel_directory)
{
	struct fl_kernel k;

	TEST_ASSERT_EQ(fl_kernel_open(dir, &k, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "not a regular file");
}

Test(elf, kernel_empty)
{
	expect_kernel_error("", 0, "empty file");
}

Test(elf, kernel_not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is no kernel\n";

	expect_kernel_error(text, sizeof(text) - 1, "not an ELF file");
	expect_kernel_error("\x7f" "EL", 3, "not an ELF file");
}

Test(elf, kernel_truncated)
{
	struct img m;

	make_kernel(&m);
	expect_kernel_error(&m, 40, "truncated ELF header");
	expect_kernel_error(&m, sizeof(Elf64_Ehdr), "program headers extend past the end of the file");
	expect_kernel_error(&m, offsetof(struct img, ph[1]) - 1,
			    "program headers extend past the end of the file");
	expect_kernel_error(&m, sizeof(m) - 1, "segment 0 extends past the end of the file");
	for (size_t len = 1; len < sizeof(m); len++) {
		struct fl_kernel k;

		TEST_ASSERT_EQ(open_kernel(&m, len, &k), -1, "cut at %zu", len);
		TEST_ASSERT_NE(err[0], 0, "a reason at %zu", len);
	}
}

Test(elf, kernel_wrong_identity)
{
	struct img m;

	make_kernel(&m);
	m.eh.e_ident[EI_CLASS] = ELFCLASS32;
	expect_kernel_error(&m, sizeof(m), "not a 64-bit ELF file");

	make_kernel(&m);
	m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	expect_kernel_error(&m, sizeof(m), "not a little-endian ELF file");

	make_kernel(&m);
	m.eh.e_machine = EM_AARCH64;
	expect_kernel_error(&m, sizeof(m), "not an x86-64 ELF file");

	make_kernel(&m);
	m.eh.e_type = ET_DYN;
	expect_kernel_error(&m, sizeof(m), "not an executable (ET_EXEC) ELF file");
}

Test(elf, kernel_bogus_program_header_table)
{
	struct img m;

	make_kernel(&m);
	m.eh.e_phnum = 0;
	expect_kernel_error(&m, sizeof(m), "no loadable segments");

	make_kernel(&m);
	m.ph[0].p_type = PT_NOTE;
	expect_kernel_error(&m, sizeof(m), "no loadable segments");

	make_kernel(&m);
	m.eh.e_phoff = 0xffffffffffffff00UL;
	expect_kernel_error(&m, sizeof(m), "program headers extend past the end of the file");

	make_kernel(&m);
	m.eh.e_phnum = 0xfff0;
	expect_kernel_error(&m, sizeof(m), "program headers extend past the end of the file");

	make_kernel(&m);
	m.eh.e_phnum = PN_XNUM;
	expect_kernel_error(&m, sizeof(m), "too many program headers");

	make_kernel(&m);
	m.eh.e_phentsize = 32;
	expect_kernel_error(&m, sizeof(m), "program header entries are 32 bytes, not 56");
}

Test(elf, kernel_bogus_segments)
{
	struct img m;

	make_kernel(&m);
	m.ph[0].p_offset = sizeof(m) - 63;
	expect_kernel_error(&m, sizeof(m), "segment 0 extends past the end of the file");

	make_kernel(&m);
	m.ph[0].p_offset = UINT64_MAX - 8;  /* offset + filesz wraps to a small number */
	expect_kernel_error(&m, sizeof(m), "segment 0 extends past the end of the file");

	make_kernel(&m);
	m.ph[0].p_filesz = m.ph[0].p_memsz = UINT64_MAX;
	expect_kernel_error(&m, sizeof(m), "segment 0 extends past the end of the file");

	make_kernel(&m);
	m.ph[0].p_memsz = 63;
	expect_kernel_error(&m, sizeof(m), "segment 0 has more file bytes than memory bytes");

	make_kernel(&m);
	m.ph[0].p_memsz = UINT64_MAX - 100;
	expect_kernel_error(&m, sizeof(m), "segment 0 wraps around the address space");

	make_kernel(&m);
	m.ph[0].p_paddr = UINT64_MAX - 100;
	expect_kernel_error(&m, sizeof(m), "segment 0 wraps around physical memory");

	make_kernel(&m);
	m.ph[0].p_paddr = 0x100000;
	expect_kernel_error(&m, sizeof(m), "segment 0 loads at physical 0x100000, below 0x200000");

	/* The index names the program header, as readelf -l numbers them. */
	make_kernel(&m);
	m.eh.e_phnum = 2;
	m.ph[1] = m.ph[0];
	m.ph[1].p_offset = sizeof(m) + 1;
	expect_kernel_error(&m, sizeof(m), "segment 1 extends past the end of the file");
}

Test(elf, kernel_bad_entry)
{
	struct img m;

	make_kernel(&m);
	m.eh.e_entry = KVADDR + 64 + BSS;
	expect_kernel_error(&m, sizeof(m), "entry point 0xffffffff80201040 is not in an executable segment");

	make_kernel(&m);
	m.eh.e_entry = KVADDR - 1;
	expect_kernel_error(&m, sizeof(m), "entry point 0xffffffff801fffff is not in an executable segment");

	make_kernel(&m);
	m.ph[0].p_flags = PF_R | PF_W;
	expect_kernel_error(&m, sizeof(m), "entry point 0xffffffff80200000 is not in an executable segment");

	make_kernel(&m);
	m.eh.e_entry = KVADDR + 64 + BSS - 1;  /* last byte of the segment, in its bss */
	{
		struct fl_kernel k;

		TEST_ASSERT_EQ(open_kernel(&m, sizeof(m), &k), 0, "%s", err);
		fl_kernel_close(&k);
	}
}

/* ---- user programs ---- */

Test(elf, program_valid)
{
	struct img m;

	make_program(&m);
	TEST_ASSERT_EQ(fl_program_check(&m, sizeof(m), err, sizeof(err)), 0, "%s", err);

	make_image(&m, ET_DYN, CODE_OFF, CODE_OFF);  /* static-pie: the kernel picks the base */
	TEST_ASSERT_EQ(fl_program_check(&m, sizeof(m), err, sizeof(err)), 0, "%s", err);

	make_program(&m);
	m.ph[0].p_memsz = 2 * 4096 - CODE_OFF;
	m.ph[0].p_vaddr = FL_USER_TOP - m.ph[0].p_memsz;  /* ends exactly at the top */
	TEST_ASSERT_EQ(fl_program_check(&m, sizeof(m), err, sizeof(err)), 0, "%s", err);
}

Test(elf, program_dynamic)
{
	struct img m;

	make_program(&m);
	m.eh.e_phnum = 2;
	m.ph[1] = m.ph[0];
	m.ph[0] = (Elf64_Phdr){
		.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = offsetof(struct img, code),
		.p_filesz = 8, .p_memsz = 8, .p_align = 1,
	};
	expect_program_error(&m, sizeof(m), "dynamically linked: forklab runs static programs");
}

Test(elf, program_bin_sh_is_dynamic)
{
	static char sh[4 << 20];
	FILE *f = fopen("/bin/sh", "rb");
	size_t n;

	TEST_ASSERT_NE(f, NULL);
	n = fread(sh, 1, sizeof(sh), f);
	fclose(f);
	TEST_ASSERT_CMP(n, <, sizeof(sh));
	expect_program_error(sh, n, "dynamically linked: forklab runs static programs");
}

Test(elf, program_bad_layout)
{
	struct img m;

	make_program(&m);
	m.ph[0].p_vaddr = FL_USER_TOP - m.ph[0].p_memsz + 1;
	expect_program_error(&m, sizeof(m), "segment 0 ends above user space (0x7ffffffff000)");

	make_program(&m);
	m.ph[0].p_vaddr = FL_KERNEL_VBASE;
	expect_program_error(&m, sizeof(m), "segment 0 ends above user space (0x7ffffffff000)");

	make_program(&m);
	m.ph[0].p_vaddr = 0xfffffffffffff000UL;
	expect_program_error(&m, sizeof(m), "segment 0 wraps around the address space");

	make_program(&m);
	m.ph[0].p_filesz = 65;
	m.ph[0].p_memsz = 64;
	expect_program_error(&m, sizeof(m), "segment 0 extends past the end of the file");

	make_program(&m);
	m.ph[0].p_memsz = 32;
	expect_program_error(&m, sizeof(m), "segment 0 has more file bytes than memory bytes");

	make_program(&m);
	m.ph[0].p_type = PT_GNU_STACK;
	expect_program_error(&m, sizeof(m), "no loadable segments");

	make_program(&m);
	m.eh.e_phoff = sizeof(m) - sizeof(Elf64_Phdr) + 1;
	expect_program_error(&m, sizeof(m), "program headers extend past the end of the file");
}

/* Issue 12: what the guest kernel's execve refuses, the host refuses first,
 * naming the rule (forklab/elf_rules.h): these ended in a kernel-death
 * verdict before. */
Test(elf, program_kernel_rules)
{
	struct img m;

	make_program(&m);
	m.ph[0].p_vaddr = 0x1000 + CODE_OFF;
	expect_program_error(&m, sizeof(m), "segment 0 loads below 64 KiB (the first pages stay unmapped)");

	make_program(&m);
	m.ph[0].p_vaddr = FL_RESERVED_START + 0x1000 + CODE_OFF;
	expect_program_error(&m, sizeof(m), "segment 0 loads in [0x7f0000000000, 0x7f8000000000), "
			     "reserved for the kernel");

	make_program(&m);
	m.ph[0].p_vaddr = 0x400000;
	expect_program_error(&m, sizeof(m),
			     "segment 0 has p_vaddr and p_offset that differ modulo the page size");

	/* A second segment over the first, or below it. */
	make_program(&m);
	m.eh.e_phnum = 2;
	m.ph[1] = m.ph[0];
	expect_program_error(&m, sizeof(m), "segment 1 overlaps the segment before it, or is out of "
			     "p_vaddr order");
	m.ph[1].p_vaddr -= 0x10000;
	expect_program_error(&m, sizeof(m), "segment 1 overlaps the segment before it, or is out of "
			     "p_vaddr order");
	/* Sharing the first's last page is fine: the kernel merges the rights. */
	m.ph[1].p_vaddr = ((m.ph[0].p_vaddr + m.ph[0].p_memsz - 1) & ~0xfffUL) + CODE_OFF;
	TEST_ASSERT_EQ(fl_program_check(&m, sizeof(m), err, sizeof(err)), 0, "%s", err);
}

/* More program headers than the kernel reads (64), and headers past the
 * first page, which the kernel reads alone. */
Test(elf, program_header_limits)
{
	static uint8_t buf[8192] __attribute__((aligned(8)));
	struct img m;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));

	make_program(&m);
	memcpy(buf, &m.eh, sizeof(m.eh));
	for (int i = 0; i < 65; i++)
		ph[i] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0, .p_filesz = 4, .p_memsz = 4 };
	ph[0] = m.ph[0];
	ph[0].p_offset = 4096; /* the "code": zeros at a page-aligned offset */
	ph[0].p_vaddr = 0x400000;
	((Elf64_Ehdr *)buf)->e_phnum = 65;
	expect_program_error(buf, sizeof(buf), "more than 64 program headers");

	((Elf64_Ehdr *)buf)->e_phnum = 64;
	TEST_ASSERT_EQ(fl_program_check(buf, sizeof(buf), err, sizeof(err)), 0, "%s", err);

	memmove(buf + 4096 - 56, ph, 56); /* one header, straddling the first page's end */
	((Elf64_Ehdr *)buf)->e_phoff = 4096 - 56 + 8;
	((Elf64_Ehdr *)buf)->e_phnum = 1;
	memmove(buf + 4096 - 48, buf + 4096 - 56, 56);
	expect_program_error(buf, sizeof(buf), "program headers not 8-byte aligned within the file's "
			     "first 4096 bytes");
}

Test(elf, program_wrong_type)
{
	struct img m;

	make_program(&m);
	m.eh.e_type = ET_REL;
	expect_program_error(&m, sizeof(m), "not an executable ELF file");

	make_program(&m);
	m.eh.e_type = ET_CORE;
	expect_program_error(&m, sizeof(m), "not an executable ELF file");

	make_program(&m);
	m.eh.e_machine = EM_386;
	expect_program_error(&m, sizeof(m), "not an x86-64 ELF file");
}

Test(elf, program_truncated)
{
	struct img m;

	make_program(&m);
	expect_program_error(NULL, 0, "empty file");
	expect_program_error(&m, 1, "not an ELF file");
	expect_program_error(&m, 63, "truncated ELF header");
	/* Exact-size heap copies, so a sanitizer sees any read past the end. */
	for (size_t len = 1; len < sizeof(m); len++) {
		void *copy = malloc(len);

		memcpy(copy, &m, len);
		TEST_ASSERT_EQ(fl_program_check(copy, len, err, sizeof(err)), -1, "cut at %zu", len);
		TEST_ASSERT_NE(err[0], 0);
		free(copy);
	}
}

/* libelf gets the image through a char *; it must only read it. */
Test(elf, program_check_does_not_write)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct img m;

	TEST_ASSERT_NE(p, MAP_FAILED);
	make_program(&m);
	memcpy(p, &m, sizeof(m));
	m.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	memcpy(p + 1024, &m, sizeof(m));
	TEST_ASSERT_EQ(mprotect(p, page, PROT_READ), 0);
	TEST_ASSERT_EQ(fl_program_check(p, sizeof(m), err, sizeof(err)), 0, "%s", err);
	expect_program_error(p + 1024, sizeof(m), "not a little-endian ELF file");
	munmap(p, page);
}

/* Random byte damage to the headers: every outcome is 0 or -1 with a reason,
 * never a crash (the suite runs under a sanitizer or valgrind now and then). */
Test(elf, program_fuzz_headers)
{
	uint64_t seed = 0x9e3779b97f4a7c15UL;
	struct img m;

	for (int round = 0; round < 20000; round++) {
		make_program(&m);
		for (int j = 0; j < 1 + round % 4; j++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			((uint8_t *)&m)[(seed >> 8) % offsetof(struct img, code)] = (uint8_t)seed;
		}
		err[0] = 0;
		int rc = fl_program_check(&m, sizeof(m), err, sizeof(err));
		TEST_ASSERT(rc == 0 || (rc == -1 && err[0]), "round %d: rc %d", round, rc);
	}
}
