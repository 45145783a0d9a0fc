/* libFuzzer target: kernel event records (vmm/observe/events.c) as the
 * --verify checker (verify.c) decodes them, reading tasks, mms, page tables
 * and signal frames from guest RAM that the input fills. A small kernel
 * image made here gives the symbols the host reads by; each sits at a fixed
 * place in the input, which the seeds use. Input, as guest-physical RAM:
 *   0x000  flags: byte 0 = how many events (at most MAX_EVENTS), byte 1 bit 0
 *          = fork=shared
 *   0x040  the events, struct fl_event each
 *   0x800  fl_kstate; 0xc00 cpu_tss; 0x1000 kernel_pml4; the rest as the
 *          seeds lay it out (tests/fuzz/corpus/events). */
#include "boot/elf.h"
#include "observe/events.h"
#include "observe/symbols.h"
#include "observe/verify.h"
#include "run/config.h"
#include "run/session.h"

#include <elf.h>
#include <forklab/abi.h>
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM (128u << 10)
#define EVENTS_AT 0x40
#define MAX_EVENTS ((0x800 - EVENTS_AT) / sizeof(struct fl_event))

static uint8_t *mem;
static struct fl_kernel kernel;
static FILE *json;

/* Each input runs under a --timeout of its own, as a run does: tables that
 * map everything (aliased) make the checks walk until it fires. Here it is a
 * budget of guest-memory reads, not a timer: it fires at the same place on
 * every run of an input, and such an input ends in under a millisecond where
 * a 20 ms timer made them most of a campaign's time. A well-formed fork reads
 * about 150 times. Every read of guest RAM goes through fl_gpa_to_hva, which
 * this target's link wraps (-Wl,--wrap, Makefile). */
#define READ_BUDGET 16384
static struct fl_session *current;
static unsigned reads;

void *__real_fl_gpa_to_hva(const struct fl_vm *vm, uint64_t gpa, uint64_t len);
void *__wrap_fl_gpa_to_hva(const struct fl_vm *vm, uint64_t gpa, uint64_t len)
{
	if (current && ++reads > READ_BUDGET)
		current->timed_out = 1;
	return __real_fl_gpa_to_hva(vm, gpa, len);
}

/* An ELF image fl_kernel_open accepts: one empty executable PT_LOAD at the
 * kernel's physical base, and absolute symbols at their places in the RAM
 * above. */
static const char strtab[] = "\0kernel_pml4\0fl_kstate\0cpu_tss\0ret_from_fork";
static const char shstrtab[] = "\0.symtab\0.strtab\0.shstrtab";
static const struct { const char *name; uint64_t gpa; } syms[] = {
	{ "kernel_pml4", 0x1000 }, { "fl_kstate", 0x800 }, { "cpu_tss", 0xc00 },
	{ "ret_from_fork", FL_KERNEL_PADDR },
};
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Sym sym[5];
	char strtab[sizeof strtab], shstrtab[sizeof shstrtab];
	Elf64_Shdr sh[4] __attribute__((aligned(8)));
};

static void make_kernel(void)
{
	static struct image im;
	uint64_t text = FL_KERNEL_VBASE + FL_KERNEL_PADDR;
	memcpy(im.eh.e_ident, ELFMAG, SELFMAG);
	im.eh.e_ident[EI_CLASS] = ELFCLASS64, im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im.eh.e_ident[EI_VERSION] = EV_CURRENT;
	im.eh.e_type = ET_EXEC, im.eh.e_machine = EM_X86_64, im.eh.e_version = EV_CURRENT;
	im.eh.e_entry = text, im.eh.e_ehsize = sizeof im.eh;
	im.eh.e_phoff = offsetof(struct image, ph), im.eh.e_phentsize = sizeof im.ph, im.eh.e_phnum = 1;
	im.eh.e_shoff = offsetof(struct image, sh), im.eh.e_shentsize = sizeof im.sh[0];
	im.eh.e_shnum = 4, im.eh.e_shstrndx = 3;
	im.ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = text,
			      .p_paddr = FL_KERNEL_PADDR, .p_memsz = 4096, .p_align = 4096 };
	memcpy(im.strtab, strtab, sizeof strtab);
	memcpy(im.shstrtab, shstrtab, sizeof shstrtab);
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		const char *at = memmem(strtab, sizeof strtab, syms[i].name, strlen(syms[i].name) + 1);
		im.sym[i + 1] = (Elf64_Sym){ .st_name = at - strtab, .st_shndx = SHN_ABS,
					     .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
					     .st_value = FL_KERNEL_VBASE + syms[i].gpa };
	}
	im.sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_SYMTAB, .sh_link = 2, .sh_info = 1,
				 .sh_offset = offsetof(struct image, sym), .sh_size = sizeof im.sym,
				 .sh_entsize = sizeof im.sym[0], .sh_addralign = 8 };
	im.sh[2] = (Elf64_Shdr){ .sh_name = 9, .sh_type = SHT_STRTAB, .sh_addralign = 1,
				 .sh_offset = offsetof(struct image, strtab), .sh_size = sizeof strtab };
	im.sh[3] = (Elf64_Shdr){ .sh_name = 17, .sh_type = SHT_STRTAB, .sh_addralign = 1,
				 .sh_offset = offsetof(struct image, shstrtab), .sh_size = sizeof shstrtab };
	char err[256];
	if (fl_kernel_open_memory(&im, sizeof im, &kernel, err, sizeof err) < 0) {
		fprintf(stderr, "events fuzz target: its kernel image: %s\n", err);
		abort();
	}
}

/* ASan keeps freed memory poisoned for a while (256 MB of it by default) to
 * catch late uses. Each input here is up to 112 KiB, copied twice by
 * libFuzzer: cycling through that much fresh memory took a third of the time
 * in page faults. 16 MB still spans the last hundred inputs' frees. */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

/* At the end of each input, and before a crash ends the process (after the
 * sanitizer's report): the lines that led to it are not lost. */
static void flush_lines(void)
{
	fflush(stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_kernel();
	mem = malloc(MEM); /* exactly RAM's size: ASan sees any access past it */
	json = fopen("/dev/null", "w"); /* the JSON lines are formatted too */
	/* The verifier's lines on stderr, written once an input: unbuffered,
	 * each fprintf was a system call of its own, a fifth of the time. */
	static char line_buf[1 << 16];
	if (!mem || !json || setvbuf(stderr, line_buf, _IOFBF, sizeof line_buf))
		abort();
	__sanitizer_set_death_callback(flush_lines);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < EVENTS_AT)
		return 0;
	size_t n = size < MEM ? size : MEM;
	memcpy(mem, data, n);
	memset(mem + n, 0, MEM - n);
	struct fl_config cfg = { .verify = true, .fork_shared = data[1] & 1 };
	struct fl_session s = { .cfg = &cfg, .kernel = &kernel };
	s.vm.kvm_fd = s.vm.vm_fd = s.vm.vcpu_fd = -1; /* no vCPU: its registers cannot be read */
	s.vm.mem = mem;
	s.vm.mem_size = MEM;
	struct fl_verifier *v = fl_verify_attach(&cfg, json);
	if (!v)
		abort();
	current = &s, reads = 0;
	/* Each record arrives in a lab message of its own: taken before any is
	 * acted on. None arrives after the timeout, which ends the run. */
	struct fl_event ev[MAX_EVENTS];
	size_t nev = data[0] < MAX_EVENTS ? data[0] : MAX_EVENTS;
	memcpy(ev, mem + EVENTS_AT, sizeof ev);
	for (size_t i = 0; i < nev && !s.done && !s.timed_out; i++)
		fl_event_dispatch(&s, &ev[i]);
	current = NULL;
	fl_verify_finish(v, 0);
	fl_symbols_free(&s);
	flush_lines();
	return 0;
}
