/* libFuzzer target: the boot device tree, built by the host (vmm/boot/fdt.c)
 * and read by the guest kernel (guest-kernel/lib/bootfdt.c, built for the
 * host), with any strings and numbers. What the builder accepts within the
 * VMM's contract (a non-empty argv[0], an initrd) must read back equal.
 * Input: mem_size, initrd start and end, realtime (8 bytes each), tsc_khz (4),
 * argc and envc (a byte each, at most 15), then NUL-separated strings:
 * bootargs, host kind, cwd ("-" for none), argv..., envp... */
#include "boot/fdt.h"
#include "../../guest-kernel/include/bootfdt.h"

#include <forklab/abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STRINGS (3 + 15 + 15)

static void fail(const char *what)
{
	fprintf(stderr, "fdt round trip: %s differs\n", what);
	abort();
}

/* A string list as the builder lays it out: each string with its NUL. */
static void same_list(const char *got, int len, const char *const *v, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;
		if (len < (int)l || memcmp(got, v[i], l))
			fail(what);
		got += l, len -= l;
	}
	if (len)
		fail(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t tree[FL_FDT_MAX];
	static char text[FL_FDT_MAX];
	const char *str[MAX_STRINGS];
	struct fl_boot_info bi = { .lab_port = FL_PORT_LAB };
	if (size < 38)
		return 0;
	memcpy(&bi.mem_size, data, 8);
	memcpy(&bi.initrd_start, data + 8, 8);
	memcpy(&bi.initrd_end, data + 16, 8);
	memcpy(&bi.realtime_ns, data + 24, 8);
	memcpy(&bi.tsc_khz, data + 32, 4);
	size_t argc = data[36] % 16, envc = data[37] % 16, len = size - 38;
	if (len >= sizeof text)
		return 0;
	memcpy(text, data + 38, len);
	text[len] = 0;
	/* Strings past the input's end are empty. */
	char *p = text;
	for (size_t i = 0; i < MAX_STRINGS; i++) {
		str[i] = p;
		p += strlen(p) + (p < text + len);
	}
	bi.bootargs = str[0], bi.host_kind = str[1];
	bi.init_cwd = strcmp(str[2], "-") ? str[2] : NULL;
	bi.init_argv = str + 3, bi.init_argc = argc;
	bi.init_envp = str + 3 + argc, bi.init_envc = envc;

	char err[256];
	if (fl_fdt_build(tree, sizeof tree, &bi, err, sizeof err) < 0)
		return 0;
	struct boot_info got;
	const char *why = boot_fdt_parse(tree, &got);
	if (!*bi.init_argv[0] || !bi.initrd_end || bi.initrd_end < bi.initrd_start)
		return 0; /* never built by the VMM: the guest may refuse it or not */
	if (why) {
		fprintf(stderr, "fdt round trip: the guest refuses the host's tree: %s\n", why);
		abort();
	}
	if (got.mem_size != bi.mem_size)
		fail("mem_size");
	if (got.initrd_start != bi.initrd_start || got.initrd_end != bi.initrd_end)
		fail("the initrd");
	if (got.realtime_ns != bi.realtime_ns)
		fail("the real-time clock");
	if (got.tsc_khz != (bi.tsc_khz ? bi.tsc_khz : 1000000))
		fail("tsc_khz");
	if (!got.bootargs || strcmp(got.bootargs, bi.bootargs))
		fail("bootargs");
	if (!got.host_kind || strcmp(got.host_kind, bi.host_kind))
		fail("the host kind");
	const char *cwd = !bi.init_cwd ? "/" : *bi.init_cwd ? bi.init_cwd : NULL;
	if (cwd ? !got.init_cwd || strcmp(got.init_cwd, cwd) : got.init_cwd != NULL)
		fail("the working directory");
	same_list(got.init_argv, got.init_argv_len, bi.init_argv, argc, "argv");
	same_list(got.init_envp, got.init_envp_len, bi.init_envp, envc, "envp");
	return 0;
}
