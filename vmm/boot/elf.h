/* ELF checks and loading with libelf: the guest kernel image (open, load into
 * guest RAM, symbol lookup) and the static user programs packed for the guest. */
#ifndef FORKLAB_VMM_ELF_H
#define FORKLAB_VMM_ELF_H

#include <stddef.h>
#include <stdint.h>

struct fl_elf_seg { uint64_t vaddr, paddr, offset, filesz, memsz; uint32_t flags; };

struct fl_kernel {
	uint64_t entry;                          /* virtual entry point */
	size_t nseg; struct fl_elf_seg seg[16];  /* PT_LOAD segments */
	void *file; size_t file_len;             /* the whole file, read into memory */
	/* libelf's Elf and Elf_Scn, named by tag so that users of this header
	 * need not include <libelf.h>. */
	struct Elf *elf;                         /* over file, for symbol lookup */
	struct Elf_Scn *symtab;                  /* NULL if the image is stripped */
	/* The two symbols every read of kernel memory needs, found once at open
	 * (a symbol lookup is a linear search): 0 if absent. */
	uint64_t kernel_pml4, kstate;
};

/* Opens and validates a kernel ELF: ELF64, little-endian, x86-64, ET_EXEC, at least
 * one PT_LOAD, every segment inside the file, filesz <= memsz, paddr >= FL_KERNEL_PADDR,
 * entry inside an executable PT_LOAD. Returns 0, or -1 with a one-line reason in err
 * (no path: the caller prefixes it). */
int fl_kernel_open(const char *path, struct fl_kernel *k, char *err, size_t errlen);

/* The same checks on an image already in memory (copied: data may go). */
int fl_kernel_open_memory(const void *data, size_t len, struct fl_kernel *k, char *err,
			  size_t errlen);

/* Copies each PT_LOAD to guest_mem + paddr and zero-fills memsz beyond filesz; fails
 * if a segment does not fit in [0, mem_size). *end_paddr = highest paddr + memsz,
 * page-aligned up. */
int fl_kernel_load(const struct fl_kernel *k, void *guest_mem, uint64_t mem_size,
		   uint64_t *end_paddr, char *err, size_t errlen);

/* Value of a defined symbol from .symtab: 0 if found, -1 if not. */
int fl_kernel_symbol(const struct fl_kernel *k, const char *name, uint64_t *value);

void fl_kernel_close(struct fl_kernel *k);

/* Validates a user program for the guest: ELF64 LE x86-64, ET_EXEC or ET_DYN, no
 * PT_INTERP, at least one PT_LOAD, segments inside the file, filesz <= memsz,
 * then every rule of the kernel's execve (forklab/elf_rules.h: load addresses,
 * alignment, order and overlap, header count). Returns 0 or -1 with err naming
 * the rule. */
int fl_program_check(const void *data, size_t len, char *err, size_t errlen);

#endif
