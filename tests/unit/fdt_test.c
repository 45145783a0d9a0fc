/* vmm/boot/fdt.c: the boot device tree, read back property by property with
 * libfdt's getters, and its failures when the buffer is too small. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>

#include <forklab/abi.h>
#include "boot/fdt.h"

static const char *const argv4[] = { "/bin/fork-demo", "two words", "", "--flag=a b" };

static struct fl_boot_info sample(void)
{
	return (struct fl_boot_info){
		.mem_size = 0x123456000UL,  /* above 4 GiB: both reg cells matter */
		.initrd_start = 0x1000000, .initrd_end = 0x1234567,
		.bootargs = "quiet loglevel=3",
		.host_kind = "pvm",
		.lab_port = FL_PORT_LAB, .tsc_khz = 2345678,
		.init_argv = argv4, .init_argc = 4,
	};
}

static char err[256];

static const void *prop(const void *fdt, const char *path, const char *name, int want_len)
{
	int node = fdt_path_offset(fdt, path), len = -1;
	const void *p;

	TEST_ASSERT_CMP(node, >=, 0, "%s: %s", path, fdt_strerror(node));
	p = fdt_getprop(fdt, node, name, &len);
	TEST_ASSERT_NE(p, NULL, "%s:%s missing", path, name);
	TEST_ASSERT_EQ(len, want_len, "%s:%s is %d bytes", path, name, len);
	return p;
}

static void expect_u32(const void *fdt, const char *path, const char *name, uint32_t v)
{
	TEST_ASSERT_EQ(fdt32_ld(prop(fdt, path, name, 4)), v, "%s:%s", path, name);
}

static void expect_u64(const void *fdt, const char *path, const char *name, uint64_t v)
{
	TEST_ASSERT_EQ(fdt64_ld(prop(fdt, path, name, 8)), v, "%s:%s", path, name);
}

static void expect_str(const void *fdt, const char *path, const char *name, const char *s)
{
	TEST_ASSERT_STR_EQ(prop(fdt, path, name, (int)strlen(s) + 1), s, "%s:%s", path, name);
}

Test(fdt, read_back)
{
	static uint8_t fdt[FL_FDT_MAX];
	struct fl_boot_info bi = sample();
	const fdt32_t *reg;
	int node, count = 0;

	TEST_ASSERT_EQ(fl_fdt_build(fdt, sizeof(fdt), &bi, err, sizeof(err)), 0, "%s", err);
	TEST_ASSERT_EQ(fdt_check_header(fdt), 0);
	TEST_ASSERT_CMP(fdt_totalsize(fdt), <=, sizeof(fdt));

	expect_u32(fdt, "/", "#address-cells", 2);
	expect_u32(fdt, "/", "#size-cells", 2);
	fdt_for_each_subnode(node, fdt, 0)
		count++;
	TEST_ASSERT_EQ(count, 2, "/memory@0 and /chosen only");

	expect_str(fdt, "/memory@0", "device_type", "memory");
	reg = prop(fdt, "/memory@0", "reg", 16);
	TEST_ASSERT_EQ(fdt32_ld(&reg[0]), 0);
	TEST_ASSERT_EQ(fdt32_ld(&reg[1]), 0);
	TEST_ASSERT_EQ(fdt32_ld(&reg[2]), 0x1);
	TEST_ASSERT_EQ(fdt32_ld(&reg[3]), 0x23456000);

	expect_str(fdt, "/chosen", "bootargs", "quiet loglevel=3");
	expect_u64(fdt, "/chosen", "linux,initrd-start", 0x1000000);
	expect_u64(fdt, "/chosen", "linux,initrd-end", 0x1234567);
	expect_str(fdt, "/chosen", FL_FDT_HOST_KIND, "pvm");
	expect_u32(fdt, "/chosen", FL_FDT_LAB_PORT, 0x510);
	expect_u32(fdt, "/chosen", FL_FDT_TSC_KHZ, 2345678);

	prop(fdt, "/chosen", FL_FDT_INIT_ARGV, 15 + 10 + 1 + 11);
	node = fdt_path_offset(fdt, "/chosen");
	TEST_ASSERT_EQ(fdt_stringlist_count(fdt, node, FL_FDT_INIT_ARGV), 4);
	for (int i = 0; i < 4; i++) {
		int len;
		const char *s = fdt_stringlist_get(fdt, node, FL_FDT_INIT_ARGV, i, &len);

		TEST_ASSERT_NE(s, NULL, "argv[%d]", i);
		TEST_ASSERT_STR_EQ(s, argv4[i]);
		TEST_ASSERT_EQ(len, (int)strlen(argv4[i]));
	}
}

Test(fdt, kvm_and_empty_bootargs)
{
	static uint8_t fdt[FL_FDT_MAX];
	struct fl_boot_info bi = sample();

	bi.bootargs = "";
	bi.host_kind = "kvm";
	bi.init_argc = 1;
	TEST_ASSERT_EQ(fl_fdt_build(fdt, sizeof(fdt), &bi, err, sizeof(err)), 0, "%s", err);
	expect_str(fdt, "/chosen", "bootargs", "");
	expect_str(fdt, "/chosen", FL_FDT_HOST_KIND, "kvm");
	expect_str(fdt, "/chosen", FL_FDT_INIT_ARGV, "/bin/fork-demo");
}

/* The tree fits a buffer of exactly its size and fails one byte short,
 * without writing past either. */
Test(fdt, exact_fit)
{
	static uint8_t big[FL_FDT_MAX];
	struct fl_boot_info bi = sample();
	char want[64];
	size_t size;
	uint8_t *buf;

	TEST_ASSERT_EQ(fl_fdt_build(big, sizeof(big), &bi, err, sizeof(err)), 0, "%s", err);
	size = fdt_totalsize(big);

	buf = malloc(size + 16);
	memset(buf + size, 0x5a, 16);
	TEST_ASSERT_EQ(fl_fdt_build(buf, size, &bi, err, sizeof(err)), 0, "%s", err);
	TEST_ASSERT_EQ(memcmp(buf, big, size), 0, "same tree whatever the room");
	for (int i = 0; i < 16; i++)
		TEST_ASSERT_EQ(buf[size + i], 0x5a);

	memset(buf + size - 1, 0x5a, 17);
	TEST_ASSERT_EQ(fl_fdt_build(buf, size - 1, &bi, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "boot device tree does not fit in %zu bytes", size - 1);
	TEST_ASSERT_STR_EQ(err, want);
	for (int i = 0; i < 17; i++)
		TEST_ASSERT_EQ(buf[size - 1 + i], 0x5a);
	free(buf);
}

Test(fdt, tiny_buffer)
{
	uint8_t buf[16] = { 0 };
	struct fl_boot_info bi = sample();

	TEST_ASSERT_EQ(fl_fdt_build(buf, sizeof(buf), &bi, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "boot device tree does not fit in 16 bytes");
	TEST_ASSERT_EQ(fl_fdt_build(buf, 0, &bi, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "boot device tree does not fit in 0 bytes");
}

Test(fdt, argv_too_big)
{
	static uint8_t fdt[FL_FDT_MAX];
	struct fl_boot_info bi = sample();
	char *huge = malloc(FL_FDT_MAX + 1);
	const char *argv[2] = { "/bin/sh", huge };

	memset(huge, 'x', FL_FDT_MAX);
	huge[FL_FDT_MAX] = 0;
	bi.init_argv = argv;
	bi.init_argc = 2;
	TEST_ASSERT_EQ(fl_fdt_build(fdt, sizeof(fdt), &bi, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "boot device tree does not fit in 65536 bytes");
	free(huge);
}

Test(fdt, no_init)
{
	static uint8_t fdt[FL_FDT_MAX];
	struct fl_boot_info bi = sample();

	bi.init_argc = 0;
	TEST_ASSERT_EQ(fl_fdt_build(fdt, sizeof(fdt), &bi, err, sizeof(err)), -1);
	TEST_ASSERT_STR_EQ(err, "no init program");
}
