/* vmm/observe/inspect.c's page walker and guest-virtual copies, on x86-64 page tables
 * written by hand into a plain buffer: no KVM, and a hostile guest is easy to fake. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "observe/inspect.h"

#define MEM_SIZE (8ULL << 20)
#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL
#define PS    0x80ULL
#define ADDR  0x000ffffffffff000ULL
#define PWU   (FL_PTE_P | FL_PTE_W | FL_PTE_U)

/* Page-table pages come from the first MiB, data pages from above it. */
static struct fl_vm vm;
static uint64_t cr3, next_table;

static void setup(void)
{
	/* Exactly MEM_SIZE bytes, so valgrind or ASan flag any read past guest RAM. */
	vm = (struct fl_vm){ .mem = calloc(1, MEM_SIZE), .mem_size = MEM_SIZE };
	TEST_ASSERT_NE(vm.mem, NULL);
	cr3 = 0x1000;
	next_table = 0x2000;
}

static void teardown(void)
{
	free(vm.mem);
}

TestSuite(inspect, .init = setup, .fini = teardown);

static uint64_t *at(uint64_t gpa)
{
	return (uint64_t *)(vm.mem + gpa);
}

/* va's slot in the table at gpa `table`, at the level decoding bits [shift, shift+9). */
static uint64_t *slot(uint64_t table, uint64_t va, int shift)
{
	return at(table + ((va >> shift) & 511) * 8);
}

/* Maps va to pa with a page of `size`. Upper levels grant P|W|U, so the leaf's
 * flags decide until a test changes them through entry(). */
static void map(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	int leaf = size == SZ_1G ? 30 : size == SZ_2M ? 21 : 12;
	uint64_t table = cr3;

	for (int shift = 39; shift > leaf; shift -= 9) {
		uint64_t *e = slot(table, va, shift);

		if (!(*e & FL_PTE_P)) {
			TEST_ASSERT_CMP(next_table, <, 0x100000ULL, "page tables outgrew their MiB");
			*e = next_table | PWU;
			next_table += SZ_4K;
		}
		table = *e & ADDR;
	}
	*slot(table, va, leaf) = pa | flags | FL_PTE_P | (leaf > 12 ? PS : 0);
}

/* va's entry at the level of `shift` (39 = PML4 ... 12 = PT), already mapped. */
static uint64_t *entry(uint64_t va, int shift)
{
	uint64_t table = cr3;

	for (int s = 39; s > shift; s -= 9)
		table = *slot(table, va, s) & ADDR;
	return slot(table, va, shift);
}

static int walk(uint64_t va)
{
	uint64_t gpa;

	return fl_gva_to_gpa(&vm, cr3, va, &gpa, NULL, NULL);
}

static uint64_t gpa_of(uint64_t va)
{
	uint64_t gpa = ~0ULL;

	TEST_ASSERT_EQ(fl_gva_to_gpa(&vm, cr3, va, &gpa, NULL, NULL), 0, "va %#lx", va);
	return gpa;
}

/* The start, middle and last byte of the page at va land on the page at pa. */
static void expect_page(uint64_t va, uint64_t pa, uint64_t size, uint64_t mid)
{
	TEST_ASSERT_EQ(gpa_of(va), pa, "start of %#lx", va);
	TEST_ASSERT_EQ(gpa_of(va + mid), pa + mid, "middle of %#lx", va);
	TEST_ASSERT_EQ(gpa_of(va + size - 1), pa + size - 1, "last byte of %#lx", va);
}

/* The leaf entry's address, read back from the buffer. */
static void expect_leaf(uint64_t va, uint64_t want_entry, int shift)
{
	uint64_t gpa, rights, pte = ~0ULL;

	TEST_ASSERT_EQ(fl_gva_to_gpa(&vm, cr3, va, &gpa, &rights, &pte), 0);
	TEST_ASSERT_EQ(pte, (uint64_t)((uint8_t *)entry(va, shift) - vm.mem));
	TEST_ASSERT_EQ(*at(pte), want_entry);
}

Test(inspect, page_4k)
{
	uint64_t va = 0x00007f0000123000, kva = 0xffffffff80201000;

	/* Bit 7 of a PTE is PAT, not PS: still a 4 KiB leaf, not part of the address. */
	map(va, 0x345000, SZ_4K, FL_PTE_W | PS);
	map(kva, 0x101000, SZ_4K, 0);
	expect_page(va, 0x345000, SZ_4K, 0x7ff);
	expect_page(kva, 0x101000, SZ_4K, 0x800);
	expect_leaf(va, 0x345000 | FL_PTE_W | PS | FL_PTE_P, 12);
	/* CR3's low 12 bits are a PCID (or PWT/PCD), not part of the table's address. */
	cr3 |= 0xabc;
	expect_page(va, 0x345000, SZ_4K, 0x7ff);
	cr3 &= ~0xfffULL;
	/* The neighbours share the page table but are not present. */
	TEST_ASSERT_EQ(walk(va - 1), -1);
	TEST_ASSERT_EQ(walk(va + SZ_4K), -1);
}

Test(inspect, page_2m)
{
	uint64_t va = 0x00007f0000400000, got = 0;

	/* Bit 12 of a huge entry is PAT, not an address bit. */
	map(va, 0x400000, SZ_2M, FL_PTE_W | 0x1000);
	expect_page(va, 0x400000, SZ_2M, 0x12345);
	expect_leaf(va, 0x400000 | 0x1000 | PS | FL_PTE_W | FL_PTE_P, 21);
	vm.mem[0x5fffff] = 0xa5;
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, va + SZ_2M - 1, &got, 1), 0);
	TEST_ASSERT_EQ(got, 0xa5);
}

Test(inspect, page_1g)
{
	uint64_t far = 0xffff8000c0000000, low = 0x40000000, got = 0;

	/* Only the tables need be in RAM: the page itself may lie beyond it... */
	map(far, 0x80000000, SZ_1G, 0x1000);
	expect_page(far, 0x80000000, SZ_1G, 0x1234567);
	expect_leaf(far, 0x80000000 | 0x1000 | PS | FL_PTE_P, 30);
	/* ...but then its bytes cannot be copied. */
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, far, &got, 1), -1);
	TEST_ASSERT_EQ(fl_write_gva(&vm, cr3, far, &got, 1), -1);

	map(low, 0, SZ_1G, FL_PTE_W);
	expect_page(low, 0, SZ_1G, 0x700000);
	vm.mem[0x7ffff8] = 0x5a;
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, low + 0x7ffff8, &got, 1), 0);
	TEST_ASSERT_EQ(got, 0x5a);
}

/* W and U need every level, NX needs one; each level is tried alone. */
Test(inspect, rights)
{
	uint64_t va = 0x00007f0000123000, gpa, rights;

	map(va, 0x345000, SZ_4K, FL_PTE_W | FL_PTE_U);
	TEST_ASSERT_EQ(fl_gva_to_gpa(&vm, cr3, va, &gpa, &rights, NULL), 0);
	TEST_ASSERT_EQ(rights, PWU);
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t *e = entry(va, shift), saved = *e;
		const struct { uint64_t clear, set, want; } cases[] = {
			{ FL_PTE_W, 0, FL_PTE_P | FL_PTE_U },
			{ FL_PTE_U, 0, FL_PTE_P | FL_PTE_W },
			{ 0, FL_PTE_NX, PWU | FL_PTE_NX },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			*e = (saved & ~cases[i].clear) | cases[i].set;
			rights = ~0ULL;
			TEST_ASSERT_EQ(fl_gva_to_gpa(&vm, cr3, va, &gpa, &rights, NULL), 0);
			TEST_ASSERT_EQ(gpa, 0x345000, "NX is not an address bit");
			TEST_ASSERT_EQ(rights, cases[i].want, "level %d, case %zu: %#lx", shift, i, rights);
		}
		*e = saved;
	}
}

Test(inspect, not_present)
{
	uint64_t va = 0x00007f0000123000;

	map(va, 0x345000, SZ_4K, FL_PTE_W);
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t *e = entry(va, shift);

		/* The address bits still point at a valid table: only P says no. */
		*e &= ~FL_PTE_P;
		TEST_ASSERT_EQ(walk(va), -1, "level %d", shift);
		*e |= FL_PTE_P;
		TEST_ASSERT_EQ(gpa_of(va), 0x345000);
	}
}

/* Each non-canonical address has the same table indices as a mapped one. */
Test(inspect, non_canonical)
{
	map(0xffff800000000000, 0x200000, SZ_4K, 0);
	map(0x00007ffffffff000, 0x201000, SZ_4K, 0);
	TEST_ASSERT_EQ(gpa_of(0xffff800000000000), 0x200000);
	TEST_ASSERT_EQ(gpa_of(0x00007ffffffff000), 0x201000);
	TEST_ASSERT_EQ(walk(0x0000800000000000), -1);
	TEST_ASSERT_EQ(walk(0xffff7ffffffff000), -1);
	TEST_ASSERT_EQ(walk(0x00ff7ffffffff000), -1);
}

/* A guest can point any table anywhere: the walker must say no, not read. */
Test(inspect, tables_outside_ram)
{
	uint64_t va = 0xffffff8000203000;  /* PML4 slot 511: the last 8 bytes of its table */
	const uint64_t outside[] = { MEM_SIZE, MEM_SIZE + SZ_4K, ADDR };

	map(va, 0x345000, SZ_4K, 0);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		uint64_t gpa;

		TEST_ASSERT_EQ(fl_gva_to_gpa(&vm, outside[i], va, &gpa, NULL, NULL), -1);
		for (int shift = 39; shift > 12; shift -= 9) {
			uint64_t *e = entry(va, shift), saved = *e;

			*e = outside[i] | PWU;
			TEST_ASSERT_EQ(walk(va), -1, "level %d -> %#lx", shift, outside[i]);
			*e = saved;
		}
	}
	/* A PML4 in the last page of RAM is inside it, up to its last entry. */
	memcpy(at(MEM_SIZE - SZ_4K), at(cr3), SZ_4K);
	cr3 = MEM_SIZE - SZ_4K;
	TEST_ASSERT_EQ(gpa_of(va), 0x345000);
}

/* PS is reserved in a PML4 entry. Read as a 512 GiB leaf, va would map to its
 * own low 39 bits; the table it points at is empty, so va is not mapped. */
Test(inspect, pml4_ps_is_not_a_leaf)
{
	uint64_t va = 0x0000000000345000;

	*slot(cr3, va, 39) = next_table | PWU | PS;
	TEST_ASSERT_EQ(walk(va), -1);
}

/* Virtually adjacent pages, physically apart (the second one lower). */
Test(inspect, copy_across_pages)
{
	uint64_t va = 0x10000000;
	uint8_t buf[16] = { 0 };

	map(va, 0x300000, SZ_4K, FL_PTE_W);
	map(va + SZ_4K, 0x101000, SZ_4K, FL_PTE_W);
	TEST_ASSERT_EQ(fl_write_gva(&vm, cr3, va + 0xff8, "0123456789abcdef", 16), 0);
	TEST_ASSERT_EQ(memcmp(vm.mem + 0x300ff8, "01234567", 8), 0);
	TEST_ASSERT_EQ(memcmp(vm.mem + 0x101000, "89abcdef", 8), 0);
	TEST_ASSERT_EQ(vm.mem[0x300ff7], 0);
	TEST_ASSERT_EQ(vm.mem[0x301000], 0, "the physically next page is not the virtually next");
	TEST_ASSERT_EQ(vm.mem[0x101008], 0);

	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, va + 0xff8, buf, 16), 0);
	TEST_ASSERT_EQ(memcmp(buf, "0123456789abcdef", 16), 0);

	/* Up to the end of the mapped pages is fine; one byte further is not. */
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, va + 0x1ff8, buf, 8), 0);
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, va + 0x1ff8, buf, 9), -1);
	TEST_ASSERT_EQ(fl_read_gva(&vm, cr3, va + 0x1ff8, buf, 16), -1);
}
