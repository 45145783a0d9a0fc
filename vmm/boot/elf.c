/* Validates the guest kernel image and user programs through libelf, loads the
 * kernel's PT_LOAD segments into guest RAM and looks up its symbols. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <forklab/abi.h>
#include <forklab/elf_rules.h>
#include "boot/elf.h"
#include "error.h"

#define PAGE_MASK 0xfffUL
#define MIB (1UL << 20)


static Elf *open_memory(const void *data, size_t len, char *err, size_t errlen)
{
	Elf *e;

	if (len == 0) {
		fl_fail(err, errlen, "empty file");
		return NULL;
	}
	elf_version(EV_CURRENT);
	/* elf_memory wants a char *, but reading never writes to the image
	 * (tests/unit/elf_test.c checks this against a read-only mapping). */
	e = elf_memory((char *)data, len);
	if (!e && len < sizeof(Elf64_Ehdr))
		fl_fail(err, errlen, "truncated ELF header");
	else if (!e)
		fl_fail(err, errlen, "corrupt ELF file (%s)", elf_errmsg(-1));
	return e;
}

/* What kernels and programs share: identity, machine, and a program header
 * table of the expected entry size that lies wholly inside the file. The count
 * comes from e_phnum itself: elf_getphdrnum quietly shortens a table that runs
 * past the end of the file, which would hide the truncation. */
static int check_header(Elf *e, size_t len, GElf_Ehdr *eh, size_t *phnum,
			char *err, size_t errlen)
{
	const char *ident;

	if (elf_kind(e) != ELF_K_ELF)
		return fl_fail(err, errlen, "not an ELF file");
	ident = elf_getident(e, NULL);
	if (!ident || ident[EI_CLASS] != ELFCLASS64)
		return fl_fail(err, errlen, "not a 64-bit ELF file");
	if (ident[EI_DATA] != ELFDATA2LSB)
		return fl_fail(err, errlen, "not a little-endian ELF file");
	if (!gelf_getehdr(e, eh))
		return fl_fail(err, errlen, "bad ELF header (%s)", elf_errmsg(-1));
	if (eh->e_machine != EM_X86_64)
		return fl_fail(err, errlen, "not an x86-64 ELF file");
	if (eh->e_phnum == 0)
		return fl_fail(err, errlen, "no loadable segments");
	/* PN_XNUM moves the count into section 0; no image of ours needs that many. */
	if (eh->e_phnum == PN_XNUM)
		return fl_fail(err, errlen, "too many program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fl_fail(err, errlen, "program header entries are %u bytes, not %zu",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	*phnum = eh->e_phnum;
	if (eh->e_phoff > len || *phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr))
		return fl_fail(err, errlen, "program headers extend past the end of the file");
	return 0;
}

/* Reads program header i and checks what every segment owes: its bytes are in
 * the file, and a loadable one neither has more file than memory bytes nor
 * wraps around the virtual address space. */
static int get_segment(Elf *e, size_t i, size_t len, GElf_Phdr *ph, char *err, size_t errlen)
{
	if (!gelf_getphdr(e, (int)i, ph))
		return fl_fail(err, errlen, "bad program header %zu (%s)", i, elf_errmsg(-1));
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return fl_fail(err, errlen, "segment %zu extends past the end of the file", i);
	if (ph->p_type != PT_LOAD)
		return 0;
	if (ph->p_filesz > ph->p_memsz)
		return fl_fail(err, errlen, "segment %zu has more file bytes than memory bytes", i);
	if (ph->p_memsz > UINT64_MAX - ph->p_vaddr)
		return fl_fail(err, errlen, "segment %zu wraps around the address space", i);
	return 0;
}

static int check_kernel(struct fl_kernel *k, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t phnum, i;

	if (check_header(k->elf, k->file_len, &eh, &phnum, err, errlen) < 0)
		return -1;
	if (eh.e_type != ET_EXEC)
		return fl_fail(err, errlen, "not an executable (ET_EXEC) ELF file");
	for (i = 0; i < phnum; i++) {
		if (get_segment(k->elf, i, k->file_len, &ph, err, errlen) < 0)
			return -1;
		if (ph.p_type != PT_LOAD)
			continue;
		if (k->nseg == sizeof(k->seg) / sizeof(k->seg[0]))
			return fl_fail(err, errlen, "more than %zu loadable segments", k->nseg);
		if (ph.p_paddr < FL_KERNEL_PADDR)
			return fl_fail(err, errlen, "segment %zu loads at physical 0x%" PRIx64
				    ", below 0x%lx", i, ph.p_paddr, FL_KERNEL_PADDR);
		if (ph.p_memsz > UINT64_MAX - ph.p_paddr)
			return fl_fail(err, errlen, "segment %zu wraps around physical memory", i);
		/* The boot page tables map the kernel half as FL_KERNEL_VBASE + physical. */
		if (ph.p_vaddr != ph.p_paddr + FL_KERNEL_VBASE)
			return fl_fail(err, errlen, "segment %zu is linked at 0x%" PRIx64 ", not at 0x%lx +"
				    " its physical address: not a forklab kernel", i, ph.p_vaddr,
				    FL_KERNEL_VBASE);
		k->seg[k->nseg++] = (struct fl_elf_seg){
			.vaddr = ph.p_vaddr, .paddr = ph.p_paddr, .offset = ph.p_offset,
			.filesz = ph.p_filesz, .memsz = ph.p_memsz, .flags = ph.p_flags,
		};
	}
	if (k->nseg == 0)
		return fl_fail(err, errlen, "no loadable segments");

	k->entry = eh.e_entry;
	for (i = 0; i < k->nseg; i++) {
		const struct fl_elf_seg *s = &k->seg[i];

		if ((s->flags & PF_X) && k->entry >= s->vaddr && k->entry - s->vaddr < s->memsz)
			break;
	}
	if (i == k->nseg)
		return fl_fail(err, errlen, "entry point 0x%" PRIx64 " is not in an executable segment",
			    k->entry);

	/* Sections matter to the host: its symbols are how it reads the kernel. */
	if (eh.e_shoff && (eh.e_shoff > k->file_len ||
			   eh.e_shnum > (k->file_len - eh.e_shoff) / sizeof(Elf64_Shdr)))
		return fl_fail(err, errlen, "section headers extend past the end of the file");
	while ((scn = elf_nextscn(k->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return fl_fail(err, errlen, "bad section header (%s)", elf_errmsg(-1));
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > k->file_len || sh.sh_size > k->file_len - sh.sh_offset))
			return fl_fail(err, errlen, "section %zu extends past the end of the file",
				    elf_ndxscn(scn));
		if (sh.sh_type == SHT_SYMTAB && !k->symtab)
			k->symtab = scn;
	}
	return 0;
}

/* Reads the whole file rather than mapping it, so a file truncated under us
 * cannot turn into SIGBUS later. */
static int read_file(const char *path, struct fl_kernel *k, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block: refused below */
	if (fd < 0)
		return fl_fail(err, errlen, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		fl_fail(err, errlen, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fl_fail(err, errlen, "not a regular file");
		goto out;
	}
	if (st.st_size == 0) {
		fl_fail(err, errlen, "empty file");
		goto out;
	}
	k->file = malloc(st.st_size);
	if (!k->file) {
		fl_fail(err, errlen, "%s", strerror(errno));
		goto out;
	}
	while (k->file_len < (size_t)st.st_size) {
		n = read(fd, (char *)k->file + k->file_len, st.st_size - k->file_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fl_fail(err, errlen, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		k->file_len += n;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* k->file holds the image: parse and check it, or free it. */
static int open_image(struct fl_kernel *k, char *err, size_t errlen)
{
	k->elf = open_memory(k->file, k->file_len, err, errlen);
	if (!k->elf || check_kernel(k, err, errlen) < 0) {
		fl_kernel_close(k);
		return -1;
	}
	fl_kernel_symbol(k, "kernel_pml4", &k->kernel_pml4);
	fl_kernel_symbol(k, FL_KSTATE_SYMBOL, &k->kstate);
	return 0;
}

int fl_kernel_open(const char *path, struct fl_kernel *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (read_file(path, k, err, errlen) < 0) {
		fl_kernel_close(k);
		return -1;
	}
	return open_image(k, err, errlen);
}

int fl_kernel_open_memory(const void *data, size_t len, struct fl_kernel *k, char *err,
			  size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->file = malloc(len ? len : 1);
	if (!k->file)
		return fl_fail(err, errlen, "%s", strerror(errno));
	memcpy(k->file, data, len);
	k->file_len = len;
	return open_image(k, err, errlen);
}

/* Zeroes [p, p+n). Whole pages are dropped with MADV_DONTNEED, which reads
 * as zero on private anonymous memory (guest RAM, or a malloc'd test buffer)
 * without touching them: writing the kernel's 1.4 MiB .bss would make the
 * host fault in and clear every page of it first. */
static void zero_fill(uint8_t *p, uint64_t n)
{
	uint8_t *lo = (uint8_t *)(((uintptr_t)p + 4095) & ~(uintptr_t)4095);
	uint8_t *hi = (uint8_t *)((uintptr_t)(p + n) & ~(uintptr_t)4095);
	if (hi <= lo || madvise(lo, hi - lo, MADV_DONTNEED) < 0) {
		memset(p, 0, n);
		return;
	}
	memset(p, 0, lo - p);
	memset(hi, 0, p + n - hi);
}

int fl_kernel_load(const struct fl_kernel *k, void *guest_mem, uint64_t mem_size,
		   uint64_t *end_paddr, char *err, size_t errlen)
{
	uint64_t end = 0;
	size_t i;

	/* fl_kernel_open made every paddr + memsz free of overflow. */
	for (i = 0; i < k->nseg; i++)
		if (k->seg[i].paddr + k->seg[i].memsz > end)
			end = k->seg[i].paddr + k->seg[i].memsz;
	if (end > mem_size)
		return fl_fail(err, errlen, "kernel needs %" PRIu64 " MiB of memory, have %" PRIu64 " MiB",
			    end / MIB + (end % MIB != 0), mem_size / MIB);

	for (i = 0; i < k->nseg; i++) {
		const struct fl_elf_seg *s = &k->seg[i];
		uint8_t *dst = (uint8_t *)guest_mem + s->paddr;

		memcpy(dst, (const uint8_t *)k->file + s->offset, s->filesz);
		zero_fill(dst + s->filesz, s->memsz - s->filesz);
	}
	*end_paddr = (end + PAGE_MASK) & ~PAGE_MASK;
	return 0;
}

int fl_kernel_symbol(const struct fl_kernel *k, const char *name, uint64_t *value)
{
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Sym sym;
	const char *s;
	size_t i, n;

	if (!k->symtab || !gelf_getshdr(k->symtab, &sh))
		return -1;
	data = elf_getdata(k->symtab, NULL);
	if (!data)
		return -1;
	n = data->d_size / sizeof(Elf64_Sym);
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		s = elf_strptr(k->elf, sh.sh_link, sym.st_name);
		if (s && strcmp(s, name) == 0) {
			*value = sym.st_value;
			return 0;
		}
	}
	return -1;
}

void fl_kernel_close(struct fl_kernel *k)
{
	elf_end(k->elf);
	free(k->file);
	memset(k, 0, sizeof(*k));
}

static int check_program(Elf *e, size_t len, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t phnum, i, nload = 0;

	if (check_header(e, len, &eh, &phnum, err, errlen) < 0)
		return -1;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fl_fail(err, errlen, "not an executable ELF file");
	for (i = 0; i < phnum; i++) {
		if (get_segment(e, i, len, &ph, err, errlen) < 0)
			return -1;
		if (ph.p_type == PT_INTERP)
			return fl_fail(err, errlen, "dynamically linked: forklab runs static programs");
		nload += ph.p_type == PT_LOAD;
	}
	if (nload == 0)
		return fl_fail(err, errlen, "no loadable segments");
	return 0;
}

int fl_program_check(const void *data, size_t len, char *err, size_t errlen)
{
	Elf *e;
	int rc;

	e = open_memory(data, len, err, errlen);
	if (!e)
		return -1;
	rc = check_program(e, len, err, errlen);
	elf_end(e);
	/* Then every rule the kernel's execve applies, so that what passes here runs. */
	int seg;
	const char *rule = rc ? NULL : fl_elf_program_rule(data, len, len, &seg);
	if (rule && seg >= 0)
		return fl_fail(err, errlen, "segment %d %s", seg, rule);
	if (rule)
		return fl_fail(err, errlen, "%s", rule);
	return rc;
}
