/* What makes a file a program the guest kernel runs: one set of rules, used
 * by the kernel's execve (kernel/exec.c: ENOEXEC) and by the host before it
 * packs PROGRAM (vmm/boot/elf.c: exit 2 naming the rule), so that the host
 * never accepts a program the kernel refuses. Freestanding: no libc. */
#ifndef FORKLAB_ELF_RULES_H
#define FORKLAB_ELF_RULES_H

#include <forklab/abi.h>

struct fl_elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct fl_elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define FL_ELF_ET_EXEC 2
#define FL_ELF_ET_DYN 3
#define FL_ELF_PT_LOAD 1
#define FL_ELF_PT_INTERP 3
#define FL_ELF_MAX_PHNUM 64     /* Linux's limit is 64 KiB of headers; 64 serve any program */
#define FL_ELF_HDR_BYTES 4096   /* the kernel reads the headers from the file's first page */
#define FL_ELF_PAGE 4096UL

/* Where a static-PIE (ET_DYN) program loads: its p_vaddr are offsets from here. */
static inline uint64_t fl_elf_bias(const struct fl_elf64_ehdr *eh)
{
	return eh->type == FL_ELF_ET_DYN ? FL_DYN_BASE : 0;
}

/* hdr holds the file's first hdrlen bytes (at least min(size, FL_ELF_HDR_BYTES)),
 * 8-byte aligned; size is the file's. Returns NULL if the kernel runs it, else
 * the rule it breaks; *seg is then the program header at fault, or -1. */
static inline const char *fl_elf_program_rule(const void *hdr, uint64_t hdrlen, uint64_t size,
					      int *seg)
{
	static const uint8_t magic[6] = { 0x7f, 'E', 'L', 'F', 2, 1 };
	const struct fl_elf64_ehdr *eh = hdr;
	*seg = -1;
	if (hdrlen > FL_ELF_HDR_BYTES)
		hdrlen = FL_ELF_HDR_BYTES;
	if (hdrlen > size)
		hdrlen = size;
	if (hdrlen < sizeof *eh)
		return "truncated ELF header";
	for (int i = 0; i < 6; i++)
		if (eh->ident[i] != magic[i])
			return "not a 64-bit little-endian ELF file";
	if (eh->machine != 62)
		return "not an x86-64 ELF file";
	if (eh->type != FL_ELF_ET_EXEC && eh->type != FL_ELF_ET_DYN)
		return "not an executable ELF file";
	if (eh->phentsize != sizeof(struct fl_elf64_phdr))
		return "program header entries are not 56 bytes";
	if (eh->phnum == 0)
		return "no loadable segments";
	if (eh->phnum > FL_ELF_MAX_PHNUM)
		return "more than 64 program headers";
	if (eh->phoff % 8 || eh->phoff > hdrlen ||
	    eh->phnum * sizeof(struct fl_elf64_phdr) > hdrlen - eh->phoff)
		return "program headers not 8-byte aligned within the file's first 4096 bytes";
	const struct fl_elf64_phdr *ph = (const void *)((const uint8_t *)hdr + eh->phoff);
	uint64_t bias = fl_elf_bias(eh), prev_end = 0;
	int loads = 0;
	for (int i = 0; i < eh->phnum; i++) {
		*seg = i;
		if (ph[i].type == FL_ELF_PT_INTERP) {
			*seg = -1;
			return "dynamically linked: forklab runs static programs";
		}
		if (ph[i].type != FL_ELF_PT_LOAD)
			continue;
		if (ph[i].offset > size || ph[i].filesz > size - ph[i].offset)
			return "extends past the end of the file";
		if (ph[i].filesz > ph[i].memsz)
			return "has more file bytes than memory bytes";
		uint64_t room = FL_USER_TOP - bias;
		if (ph[i].memsz > room || ph[i].vaddr > room - ph[i].memsz)
			return "ends above user space (0x7ffffffff000)";
		if ((ph[i].vaddr - ph[i].offset) % FL_ELF_PAGE)
			return "has p_vaddr and p_offset that differ modulo the page size";
		uint64_t start = (ph[i].vaddr + bias) & ~(FL_ELF_PAGE - 1);
		uint64_t end = (ph[i].vaddr + bias + ph[i].memsz + FL_ELF_PAGE - 1) & ~(FL_ELF_PAGE - 1);
		if (start < FL_MMAP_MIN_ADDR)
			return "loads below 64 KiB (the first pages stay unmapped)";
		if (end > FL_RESERVED_START && start < FL_RESERVED_END)
			return "loads in [0x7f0000000000, 0x7f8000000000), reserved for the kernel";
		/* In p_vaddr order, as the ELF specification requires; two segments
		 * may share only a boundary page (its rights are then both's). */
		if (loads && start + FL_ELF_PAGE < prev_end)
			return "overlaps the segment before it, or is out of p_vaddr order";
		prev_end = end > prev_end ? end : prev_end;
		loads++;
	}
	*seg = -1;
	return loads ? (const char *)0 : "no loadable segments";
}

#endif
