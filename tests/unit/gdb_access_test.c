/* vmm/gdb/access.c: the memory an instruction reads and writes, which read
 * and access watchpoints are checked against where breakpoints single-step.
 * Real bytes decoded by the project's capstone handle (observe/disasm.c),
 * registers set by hand; then instructions read from a guest memory buffer
 * with hand-written page tables, hostile ones included. No KVM. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <stdlib.h>

#include "gdb/access.h"
#include "observe/disasm.h"
#include "observe/inspect.h"
#include "run/session.h"

#define RIP 0x401000ULL

static csh h;
static struct kvm_regs regs;
static struct kvm_sregs sregs;
static struct gdb_access acc[GDB_MAX_ACCESSES];

static void setup(void)
{
	TEST_ASSERT_EQ(fl_disasm_open(&h), 0);
	regs = (struct kvm_regs){ .rip = RIP, .rsp = 0x7ffff000, .rbp = 0x7ffff100 };
	sregs = (struct kvm_sregs){ 0 };
}

static void teardown(void)
{
	cs_close(&h);
}

TestSuite(gdb_access, .init = setup, .fini = teardown);

/* The accesses of the instruction in bytes, at RIP with regs and sregs. */
static int accesses(const uint8_t *bytes, size_t len)
{
	cs_insn *insn;
	TEST_ASSERT_EQ(cs_disasm(h, bytes, len, RIP, 1, &insn), 1, "the bytes decode");
	TEST_ASSERT_EQ(insn->size, len, "one instruction of %zu bytes", len);
	int n = gdb_insn_accesses(insn, &regs, &sregs, acc);
	cs_free(insn, 1);
	return n;
}

#define ACCESSES(...) accesses((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void assert_access(int i, uint64_t addr, uint32_t len, bool read, bool write)
{
	TEST_ASSERT_EQ(acc[i].addr, addr, "access %d's address", i);
	TEST_ASSERT_EQ(acc[i].len, len, "access %d's length", i);
	TEST_ASSERT_EQ(acc[i].read, read, "access %d reads", i);
	TEST_ASSERT_EQ(acc[i].write, write, "access %d writes", i);
}

Test(gdb_access, mov_from_memory)
{
	regs.rdi = 0x605040;
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x8b, 0x07), 1, "mov (%%rdi),%%rax");
	assert_access(0, 0x605040, 8, true, false);
	/* base + index * scale + disp, the disp negative */
	regs.rax = 0x1000;
	regs.rbx = 3;
	TEST_ASSERT_EQ(ACCESSES(0x8b, 0x4c, 0x98, 0xf0), 1, "mov -0x10(%%rax,%%rbx,4),%%ecx");
	assert_access(0, 0x1000 + 3 * 4 - 0x10, 4, true, false);
	/* movzwl: the operand's size, not the destination's */
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0xb7, 0x07), 1, "movzwl (%%rdi),%%eax");
	assert_access(0, 0x605040, 2, true, false);
}

Test(gdb_access, rip_relative)
{
	/* mov 0x5e91(%rip),%rax (watch-var's peek): from the next instruction */
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x8b, 0x05, 0x91, 0x5e, 0x00, 0x00), 1);
	assert_access(0, RIP + 7 + 0x5e91, 8, true, false);
	/* mov %rdi,0x5e81(%rip) (its poke): written */
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x89, 0x3d, 0x81, 0x5e, 0x00, 0x00), 1);
	assert_access(0, RIP + 7 + 0x5e81, 8, false, true);
}

Test(gdb_access, segment_override)
{
	sregs.fs.base = 0x7f0000001000;
	sregs.gs.base = 0xffffffff80300000;
	TEST_ASSERT_EQ(ACCESSES(0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00), 1,
		       "mov %%fs:0x28,%%rax (the stack protector's canary)");
	assert_access(0, 0x7f0000001028, 8, true, false);
	regs.rax = 0x40;
	TEST_ASSERT_EQ(ACCESSES(0x65, 0x48, 0x89, 0x58, 0x08), 1, "mov %%rbx,%%gs:0x8(%%rax)");
	assert_access(0, 0xffffffff80300048, 8, false, true);
	/* ds, es: base 0 in 64-bit mode */
	regs.rdi = 0x2000;
	TEST_ASSERT_EQ(ACCESSES(0x3e, 0x8b, 0x07), 1, "mov %%ds:(%%rdi),%%eax");
	assert_access(0, 0x2000, 4, true, false);
}

Test(gdb_access, address_size_prefix)
{
	/* 0x67: 32-bit registers, a 32-bit address */
	regs.rbx = 0xffffffff00001000;
	TEST_ASSERT_EQ(ACCESSES(0x67, 0x88, 0x03), 1, "mov %%al,(%%ebx)");
	assert_access(0, 0x1000, 1, false, true);
	regs.rbx = 0xffffffff00000008;
	TEST_ASSERT_EQ(ACCESSES(0x67, 0x88, 0x43, 0xf0), 1, "mov %%al,-0x10(%%ebx): wraps at 4 GiB");
	assert_access(0, 0xfffffff8, 1, false, true);
}

Test(gdb_access, stack)
{
	TEST_ASSERT_EQ(ACCESSES(0x50), 1, "push %%rax");
	assert_access(0, 0x7ffff000 - 8, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x66, 0x50), 1, "pushw %%ax");
	assert_access(0, 0x7ffff000 - 2, 2, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x58), 1, "pop %%rax");
	assert_access(0, 0x7ffff000, 8, true, false);
	TEST_ASSERT_EQ(ACCESSES(0xc3), 1, "ret");
	assert_access(0, 0x7ffff000, 8, true, false);
	TEST_ASSERT_EQ(ACCESSES(0xc2, 0x08, 0x00), 1, "ret $8");
	assert_access(0, 0x7ffff000, 8, true, false);
	TEST_ASSERT_EQ(ACCESSES(0xe8, 0x00, 0x00, 0x00, 0x00), 1, "call rel32");
	assert_access(0, 0x7ffff000 - 8, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x9c), 1, "pushfq");
	assert_access(0, 0x7ffff000 - 8, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x9d), 1, "popfq");
	assert_access(0, 0x7ffff000, 8, true, false);
	TEST_ASSERT_EQ(ACCESSES(0xc9), 1, "leave: pops rbp at rbp");
	assert_access(0, 0x7ffff100, 8, true, false);
	TEST_ASSERT_EQ(ACCESSES(0x48, 0xcf), 1, "iretq");
	assert_access(0, 0x7ffff000, 40, true, false);
	/* through memory: the operand, and the stack */
	regs.rax = 0x603000;
	TEST_ASSERT_EQ(ACCESSES(0xff, 0x10), 2, "call *(%%rax)");
	assert_access(0, 0x603000, 8, true, false);
	assert_access(1, 0x7ffff000 - 8, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0xff, 0x30), 2, "push (%%rax)");
	assert_access(0, 0x603000, 8, true, false);
	assert_access(1, 0x7ffff000 - 8, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x8f, 0x00), 2, "pop (%%rax)");
	assert_access(0, 0x603000, 8, false, true);
	assert_access(1, 0x7ffff000, 8, true, false);
}

Test(gdb_access, write_only)
{
	regs.rdi = 0x605040;
	TEST_ASSERT_EQ(ACCESSES(0x89, 0x0f), 1, "mov %%ecx,(%%rdi)");
	assert_access(0, 0x605040, 4, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x48, 0xc7, 0x07, 0x01, 0x00, 0x00, 0x00), 1, "movq $1,(%%rdi)");
	assert_access(0, 0x605040, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0x94, 0x07), 1, "sete (%%rdi)");
	assert_access(0, 0x605040, 1, false, true);
	/* where capstone 4 says READ */
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0x11, 0x07), 1, "movups %%xmm0,(%%rdi)");
	assert_access(0, 0x605040, 16, false, true);
	TEST_ASSERT_EQ(ACCESSES(0xc5, 0xfe, 0x7f, 0x07), 1, "vmovdqu %%ymm0,(%%rdi)");
	assert_access(0, 0x605040, 32, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x48, 0xab), 1, "stosq");
	assert_access(0, 0x605040, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0xdd, 0x1f), 1, "fstpl (%%rdi)");
	assert_access(0, 0x605040, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0xae, 0x07), 1, "fxsave (%%rdi): its 512 bytes");
	assert_access(0, 0x605040, 512, false, true);
}

Test(gdb_access, read_and_write)
{
	regs.rdi = 0x605040;
	TEST_ASSERT_EQ(ACCESSES(0x01, 0x07), 1, "add %%eax,(%%rdi)");
	assert_access(0, 0x605040, 4, true, true);
	TEST_ASSERT_EQ(ACCESSES(0xff, 0x07), 1, "incl (%%rdi)");
	assert_access(0, 0x605040, 4, true, true);
	TEST_ASSERT_EQ(ACCESSES(0xf0, 0x0f, 0xb1, 0x0f), 1, "lock cmpxchg %%ecx,(%%rdi): capstone 4 says READ");
	assert_access(0, 0x605040, 4, true, true);
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x87, 0x07), 1, "xchg %%rax,(%%rdi)");
	assert_access(0, 0x605040, 8, true, true);
}

Test(gdb_access, strings)
{
	regs.rsi = 0x1000;
	regs.rdi = 0x2000;
	TEST_ASSERT_EQ(ACCESSES(0xa4), 2, "movsb");
	assert_access(0, 0x1000, 1, true, false);
	assert_access(1, 0x2000, 1, false, true);
	TEST_ASSERT_EQ(ACCESSES(0xf3, 0x48, 0xa5), 2, "rep movsq: the current element");
	assert_access(0, 0x1000, 8, true, false);
	assert_access(1, 0x2000, 8, false, true);
	TEST_ASSERT_EQ(ACCESSES(0xac), 1, "lodsb");
	assert_access(0, 0x1000, 1, true, false);
	TEST_ASSERT_EQ(ACCESSES(0xa6), 2, "cmpsb");
	TEST_ASSERT(acc[0].read && acc[1].read && !acc[0].write && !acc[1].write, "cmpsb reads both");
	TEST_ASSERT_EQ(ACCESSES(0xae), 1, "scasb");
	assert_access(0, 0x2000, 1, true, false);
}

Test(gdb_access, no_memory)
{
	regs.rsp = 0x7ffff000;
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x8d, 0x04, 0x24), 0, "lea (%%rsp),%%rax: capstone 4 says READ");
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0x1f, 0x40, 0x00), 0, "nopl 0(%%rax)");
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0x18, 0x07), 0, "prefetchnta (%%rdi)");
	TEST_ASSERT_EQ(ACCESSES(0x48, 0x01, 0xd8), 0, "add %%rbx,%%rax");
	TEST_ASSERT_EQ(ACCESSES(0x0f, 0x05), 0, "syscall");
}

Test(gdb_access, overlap)
{
	TEST_ASSERT(gdb_ranges_overlap(0x1000, 8, 0x1004, 4));
	TEST_ASSERT(gdb_ranges_overlap(0x1004, 4, 0x1000, 8));
	TEST_ASSERT(gdb_ranges_overlap(0x1007, 1, 0x1000, 8), "the last byte");
	TEST_ASSERT(!gdb_ranges_overlap(0x1008, 1, 0x1000, 8), "the byte after");
	TEST_ASSERT(!gdb_ranges_overlap(0xfff, 1, 0x1000, 8), "the byte before");
	TEST_ASSERT(!gdb_ranges_overlap(0x1000, 0, 0x1000, 8), "an empty range");
	TEST_ASSERT(gdb_ranges_overlap(UINT64_MAX, 1, UINT64_MAX - 3, 4), "at the top of the space");
	TEST_ASSERT(!gdb_ranges_overlap(0, 1, UINT64_MAX - 3, 4), "no wrap past the top");
}

/* From guest memory: page tables at 0x1000-0x3fff map one code page at
 * CODE; the page after it is not mapped. */
#define CODE 0x400000ULL
#define CODE_PA 0x10000ULL

static struct fl_session s;

static void map_code(void)
{
	s.vm = (struct fl_vm){ .mem = calloc(1, 1 << 20), .mem_size = 1 << 20 };
	TEST_ASSERT_NE(s.vm.mem, NULL);
	uint64_t *pml4 = (uint64_t *)(s.vm.mem + 0x1000), *pdpt = (uint64_t *)(s.vm.mem + 0x2000),
		 *pd = (uint64_t *)(s.vm.mem + 0x3000), *pt = (uint64_t *)(s.vm.mem + 0x4000);
	pml4[0] = 0x2000 | 7;
	pdpt[0] = 0x3000 | 7;
	pd[CODE >> 21] = 0x4000 | 7;
	pt[0] = CODE_PA | 7;
	sregs.cr3 = 0x1000;
}

static int accesses_at(uint64_t rip, const uint8_t *bytes, size_t len)
{
	cs_insn *insn = cs_malloc(h);
	memcpy(s.vm.mem + CODE_PA + (rip - CODE), bytes, len);
	regs.rip = rip;
	int n = gdb_accesses_at(&s, h, insn, &regs, &sregs, acc);
	cs_free(insn, 1);
	return n;
}

Test(gdb_access, from_guest_memory)
{
	map_code();
	regs.rdi = 0x605040;
	TEST_ASSERT_EQ(accesses_at(CODE + 0x10, (const uint8_t[]){ 0x01, 0x07 }, 2), 1, "add %%eax,(%%rdi)");
	assert_access(0, 0x605040, 4, true, true);
	/* the last bytes of the page: an instruction that ends there decodes */
	TEST_ASSERT_EQ(accesses_at(CODE + 0xffe, (const uint8_t[]){ 0x89, 0x0f }, 2), 1);
	assert_access(0, 0x605040, 4, false, true);
	free(s.vm.mem);
}

/* The guest is untrusted: what cannot be read or decoded touches nothing. */
Test(gdb_access, undecodable)
{
	map_code();
	TEST_ASSERT_EQ(accesses_at(CODE + 0x1000, (const uint8_t[]){ 0 }, 0), -1, "RIP not mapped");
	TEST_ASSERT_EQ(accesses_at(CODE + 0xffe, (const uint8_t[]){ 0x48, 0x8b }, 2), -1,
		       "an instruction running into an unmapped page");
	TEST_ASSERT_EQ(accesses_at(CODE + 0x20, (const uint8_t[]){ 0x06 }, 1), -1, "push %%es: invalid in 64-bit mode");
	static const uint8_t prefixes[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66 };
	TEST_ASSERT_EQ(accesses_at(CODE + 0x40, prefixes, sizeof prefixes), -1, "15 prefixes, no opcode");
	cs_insn *insn = cs_malloc(h);
	regs.rip = 0x8000000000000000ULL;
	TEST_ASSERT_EQ(gdb_accesses_at(&s, h, insn, &regs, &sregs, acc), -1, "a non-canonical RIP");
	cs_free(insn, 1);
	sregs.cr3 = 0xfffff000; /* page tables outside RAM */
	TEST_ASSERT_EQ(accesses_at(CODE + 0x10, (const uint8_t[]){ 0x01, 0x07 }, 2), -1, "cr3 outside RAM");
	free(s.vm.mem);
}
