/* Symbols and source lines for guest addresses (symbols.h): libdw over the
 * kernel ELF and the user programs, which of them a user address belongs to
 * decided by the guest's own memory. */
#include "observe/symbols.h"
#include "observe/inspect.h"
#include "run/session.h"

#include <forklab/abi.h>
#include <forklab/elf_rules.h>

#include <dirent.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An object's declaration, once found: --verify asks for the same kernel
 * stacks at every fork, and finding one walks every compilation unit. */
struct decl {
	uint64_t start;
	const char *file;
	int line;
};

/* Recent lookups: --verify asks for the same few addresses at every fork,
 * and libdw's symbol search is linear in the symbol table (12 us a lookup
 * in build/kernel.elf, measured on this project's host). */
#define CACHE 256

struct fl_symfile {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	char *path;
	struct decl *decl;
	int ndecl;
	struct fl_sym cache[CACHE];
	int cached[CACHE];      /* lookup's result, +1; 0: empty */
};

/* A program's DWARF is its own: never look for separate debug files (nor
 * ask a debuginfod server), which would make a lookup slow or network-bound. */
static int no_separate_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				 Dwarf_Addr base, const char *file, const char *debuglink,
				 GElf_Word crc, char **debuginfo_file_name)
{
	return -1;
}

static const Dwfl_Callbacks callbacks = {
	.find_debuginfo = no_separate_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct fl_symfile *fl_symfile_open(const char *path, uint64_t bias, char *err, size_t errlen)
{
	struct fl_symfile *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path)) || !(f->dwfl = dwfl_begin(&callbacks))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* ET_EXEC: bias ignored; ET_DYN: loaded at bias plus its p_vaddr. */
	f->mod = dwfl_report_elf(f->dwfl, path, path, -1, bias, true);
	if (!f->mod || dwfl_report_end(f->dwfl, NULL, NULL) != 0) {
		snprintf(err, errlen, "%s: %s", path, dwfl_errmsg(-1));
		goto fail;
	}
	return f;
fail:
	if (f) {
		if (f->dwfl)
			dwfl_end(f->dwfl);
		free(f->path);
		free(f);
	}
	return NULL;
}

void fl_symfile_close(struct fl_symfile *f)
{
	if (!f)
		return;
	dwfl_end(f->dwfl);
	free(f->path);
	free(f->decl);
	free(f);
}

/* An object's declaration: the top-level variable whose location is its
 * address. Data has no line-table row; its declaration is the line to show. */
static void find_decl(struct fl_symfile *f, uint64_t addr, struct fl_sym *out)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;
	while ((cu = dwfl_module_nextcu(f->mod, cu, &bias))) {
		Dwarf_Die die;
		if (dwarf_child(cu, &die) != 0)
			continue;
		do {
			Dwarf_Attribute a;
			Dwarf_Op *op;
			size_t n;
			if (dwarf_tag(&die) != DW_TAG_variable || !dwarf_attr(&die, DW_AT_location, &a) ||
			    dwarf_getlocation(&a, &op, &n) != 0 || n != 1 || op[0].atom != DW_OP_addr ||
			    op[0].number + bias != addr)
				continue;
			out->file = dwarf_decl_file(&die);
			if (dwarf_decl_line(&die, &out->line) != 0)
				out->line = 0;
			return;
		} while (dwarf_siblingof(&die, &die) == 0);
	}
}

static void object_decl(struct fl_symfile *f, uint64_t addr, struct fl_sym *out)
{
	for (int i = 0; i < f->ndecl; i++)
		if (f->decl[i].start == addr) {
			out->file = f->decl[i].file, out->line = f->decl[i].line;
			return;
		}
	find_decl(f, addr, out);
	struct decl *n = realloc(f->decl, (f->ndecl + 1) * sizeof *n);
	if (n) {
		f->decl = n;
		f->decl[f->ndecl++] = (struct decl){ addr, out->file, out->line };
	}
}

static int lookup(struct fl_symfile *f, uint64_t addr, struct fl_sym *out)
{
	GElf_Off off;
	GElf_Sym sym;
	memset(out, 0, sizeof *out);
	out->addr = addr;
	out->module = f->path;
	out->name = dwfl_module_addrinfo(f->mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!out->name)
		return -1;
	out->start = addr - off;
	out->size = sym.st_size;
	Dwfl_Line *l = dwfl_module_getsrc(f->mod, addr);
	if (l) {
		out->file = dwfl_lineinfo(l, NULL, &out->line, NULL, NULL, NULL);
	} else if (GELF_ST_TYPE(sym.st_info) == STT_OBJECT) {
		object_decl(f, out->start, out);
	}
	if (!out->file)
		out->line = 0;
	return 0;
}

int fl_symfile_lookup(struct fl_symfile *f, uint64_t addr, struct fl_sym *out)
{
	unsigned i = (unsigned)((addr * 0x9e3779b97f4a7c15ULL) >> 56) % CACHE;
	if (f->cached[i] && f->cache[i].addr == addr) {
		*out = f->cache[i];
		return f->cached[i] - 1;
	}
	int r = lookup(f, addr, out);
	f->cache[i] = *out;
	f->cached[i] = r + 1;
	return r;
}

const char *fl_sym_format(const struct fl_sym *sym, char *buf, size_t len)
{
	if (!sym->name)
		snprintf(buf, len, "%#" PRIx64, sym->addr);
	else if (!sym->file || sym->line <= 0)
		snprintf(buf, len, "%s+%#" PRIx64, sym->name, sym->addr - sym->start);
	else
		snprintf(buf, len, "%s+%#" PRIx64 " (%s:%d)", sym->name, sym->addr - sym->start,
			 sym->file, sym->line);
	return buf;
}

/* ---- a run's ELFs: the kernel, the program, the built-ins ---- */

struct program {
	char *path;
	struct fl_symfile *f;   /* NULL until tried; then NULL again only if it failed */
	bool tried;
};

struct fl_symbols {
	struct fl_symfile *kernel;
	bool kernel_tried;
	struct program *prog;   /* the program forklab packed first, then the built-ins */
	int nprog;
};

static void add_program(struct fl_symbols *y, const char *path)
{
	struct program *n = realloc(y->prog, (y->nprog + 1) * sizeof *n);
	if (!n)
		return;
	y->prog = n;
	n[y->nprog] = (struct program){ strdup(path), NULL, false };
	if (n[y->nprog].path)
		y->nprog++;
}

/* The same files, in the same precedence, that the initramfs packs as /bin/NAME. */
static void list_programs(struct fl_symbols *y, const struct fl_config *c)
{
	char path[4096];
	if (!c->program || !c->guest_dir)
		return; /* a session with no program (the events fuzz target) */
	const char *shadow = strrchr(c->program, '/');
	if (shadow) {
		add_program(y, c->program);
		shadow++;
	} else {
		snprintf(path, sizeof path, "%s/%s", c->guest_dir, c->program);
		add_program(y, path);
		shadow = c->program;
	}
	DIR *d = opendir(c->guest_dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, shadow))
			continue;
		snprintf(path, sizeof path, "%s/%s", c->guest_dir, e->d_name);
		add_program(y, path);
	}
	if (d)
		closedir(d);
}

static struct fl_symbols *symbols(struct fl_session *s)
{
	if (!s->symbols && (s->symbols = calloc(1, sizeof *s->symbols)))
		list_programs(s->symbols, s->cfg);
	return s->symbols;
}

/* One probe: the file's bytes at [off, off + n) are the guest's at va. */
static bool same_bytes(struct fl_session *s, uint64_t cr3, uint64_t va, const uint8_t *file,
		       size_t size, uint64_t off, size_t n)
{
	uint8_t mem[64];
	return off + n <= size && fl_read_gva(&s->vm, cr3, va, mem, n) == 0 &&
	       !memcmp(mem, file + off, n);
}

/* Whether cr3 maps this program: the first and last bytes of each of its
 * read-only segments are in guest memory as in the file. Exec copies every
 * segment's file bytes at once, so both ends are there to compare. */
static bool maps_program(struct fl_session *s, uint64_t cr3, struct fl_symfile *f)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(f->mod, &bias);
	size_t phnum, size;
	const uint8_t *file = elf ? (const uint8_t *)elf_rawfile(elf, &size) : NULL;
	int probes = 0;
	if (!file || elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_W) ||
		    ph.p_filesz < 64)
			continue;
		uint64_t va = ph.p_vaddr + bias, end = ph.p_filesz - 64;
		if (!same_bytes(s, cr3, va, file, size, ph.p_offset, 64) ||
		    !same_bytes(s, cr3, va + end, file, size, ph.p_offset + end, 64))
			return false;
		probes++;
	}
	return probes > 0;
}

/* The load bias exec gives the file (forklab/elf_rules.h), read from its header. */
static uint64_t program_bias(const char *path)
{
	struct fl_elf64_ehdr eh;
	FILE *fp = fopen(path, "rb");
	bool ok = fp && fread(&eh, sizeof eh, 1, fp) == 1;
	if (fp)
		fclose(fp);
	return ok ? fl_elf_bias(&eh) : 0;
}

static struct fl_symfile *program_at(struct fl_session *s, uint64_t cr3)
{
	struct fl_symbols *y = symbols(s);
	char err[256];
	for (int i = 0; y && i < y->nprog; i++) {
		struct program *p = &y->prog[i];
		if (!p->tried) {
			p->tried = true;
			p->f = fl_symfile_open(p->path, program_bias(p->path), err, sizeof err);
		}
		if (p->f && maps_program(s, cr3, p->f))
			return p->f;
	}
	return NULL;
}

static struct fl_symfile *kernel_file(struct fl_session *s)
{
	struct fl_symbols *y = symbols(s);
	char err[256];
	if (y && !y->kernel_tried) {
		y->kernel_tried = true;
		if (s->cfg->kernel) /* NULL: a kernel opened from memory (the events fuzz target) */
			y->kernel = fl_symfile_open(s->cfg->kernel, 0, err, sizeof err);
	}
	return y ? y->kernel : NULL;
}

struct fl_symfile *fl_sym_file(struct fl_session *s, uint64_t cr3, uint64_t addr)
{
	return addr >= FL_KERNEL_VBASE ? kernel_file(s) : addr < FL_USER_TOP ? program_at(s, cr3) : NULL;
}

struct Dwfl_Module *fl_symfile_module(struct fl_symfile *f)
{
	return f->mod;
}

int fl_sym_lookup(struct fl_session *s, uint64_t cr3, uint64_t addr, struct fl_sym *out)
{
	struct fl_symfile *f = fl_sym_file(s, cr3, addr);
	memset(out, 0, sizeof *out);
	out->addr = addr;
	return f ? fl_symfile_lookup(f, addr, out) : -1;
}

const char *fl_symbolize(struct fl_session *s, uint64_t cr3, uint64_t addr, char *buf, size_t len)
{
	struct fl_sym sym;
	fl_sym_lookup(s, cr3, addr, &sym);
	return fl_sym_format(&sym, buf, len);
}

void fl_symbols_free(struct fl_session *s)
{
	struct fl_symbols *y = s->symbols;
	if (!y)
		return;
	fl_symfile_close(y->kernel);
	for (int i = 0; i < y->nprog; i++) {
		fl_symfile_close(y->prog[i].f);
		free(y->prog[i].path);
	}
	free(y->prog);
	free(y);
	s->symbols = NULL;
}
