/* guest-kernel/lib/bootfdt.c, the kernel's reading of the boot FDT, built for
 * the host, on trees vmm/boot/fdt.c builds: every field back as sent. */
#include "common/fl_assert.h"
#include <criterion/criterion.h>
#include <string.h>

#include <forklab/abi.h>
#include "boot/fdt.h"
#include "../guest-kernel/include/bootfdt.h"

static uint8_t tree[FL_FDT_MAX];
static char err[256];

/* Found by tests/fuzz/fdt.c: 64-bit properties sit at 4-byte boundaries, and
 * were loaded through fdt64_t pointers (undefined behaviour, which `make test
 * SANITIZE=1` runs under UBSan). Here the initrd's two cells follow a 4-byte
 * property, so one of them is misaligned for any tree layout. */
Test(bootfdt, round_trip)
{
	static const char *const argv[] = { "/bin/hello", "two words", "" };
	static const char *const envp[] = { "HOME=/" };
	struct fl_boot_info bi = {
		.mem_size = 0x123456000UL, .initrd_start = 0x1000000, .initrd_end = 0x1234567,
		.bootargs = "verbose fork=shared", .host_kind = "kvm", .lab_port = FL_PORT_LAB,
		.tsc_khz = 2345678, .realtime_ns = 0x1122334455667788ULL,
		.init_argv = argv, .init_argc = 3, .init_envp = envp, .init_envc = 1,
		.init_cwd = "/tmp",
	};
	TEST_ASSERT_EQ(fl_fdt_build(tree, sizeof tree, &bi, err, sizeof err), 0, "%s", err);
	struct boot_info got;
	const char *why = boot_fdt_parse(tree, &got);
	TEST_ASSERT_EQ(why, NULL, "%s", why);
	TEST_ASSERT_EQ(got.mem_size, bi.mem_size);
	TEST_ASSERT_EQ(got.initrd_start, bi.initrd_start);
	TEST_ASSERT_EQ(got.initrd_end, bi.initrd_end);
	TEST_ASSERT_EQ(got.tsc_khz, 2345678);
	TEST_ASSERT_EQ(got.realtime_ns, bi.realtime_ns);
	TEST_ASSERT_STR_EQ(got.bootargs, bi.bootargs);
	TEST_ASSERT_STR_EQ(got.host_kind, "kvm");
	TEST_ASSERT_STR_EQ(got.init_cwd, "/tmp");
	TEST_ASSERT_EQ(got.init_argv_len, (int)sizeof("/bin/hello\0two words\0"));
	TEST_ASSERT(!memcmp(got.init_argv, "/bin/hello\0two words\0", got.init_argv_len));
	TEST_ASSERT_EQ(got.init_envp_len, 7);
}

Test(bootfdt, refuses_what_it_cannot_boot)
{
	static const char *const argv[] = { "/bin/hello" };
	struct fl_boot_info bi = { .mem_size = 1 << 28, .bootargs = "", .host_kind = "kvm",
				   .init_argv = argv, .init_argc = 1 };
	TEST_ASSERT_EQ(fl_fdt_build(tree, sizeof tree, &bi, err, sizeof err), 0, "%s", err);
	struct boot_info got;
	TEST_ASSERT_STR_EQ(boot_fdt_parse(tree, &got), "boot: no initrd");
	memset(tree, 0, 64);
	TEST_ASSERT_STR_EQ(boot_fdt_parse(tree, &got), "boot: no usable device tree");
}
