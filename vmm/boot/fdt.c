/* The boot device tree, written front to back with libfdt's sequential-write
 * API: / (2 address and 2 size cells), /memory@0 and /chosen. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include <forklab/abi.h>
#include "error.h"
#include "boot/fdt.h"


/* argv or envp as an FDT string list: each string with its NUL, back to
 * back, so strings holding spaces arrive intact. */
static int put_strings(void *fdt, const char *name, const char *const *v, size_t count)
{
	size_t i, n, total = 0;
	char *p;
	int r;

	for (i = 0; i < count; i++) {
		total += strlen(v[i]) + 1;
		if (total > INT_MAX)
			return -FDT_ERR_NOSPACE;
	}
	r = fdt_property_placeholder(fdt, name, (int)total, (void **)&p);
	if (r < 0)
		return r;
	for (i = 0; i < count; i++) {
		n = strlen(v[i]) + 1;
		memcpy(p, v[i], n);
		p += n;
	}
	return 0;
}

static int put_tree(void *fdt, int size, const struct fl_boot_info *bi)
{
	fdt64_t reg[2] = { cpu_to_fdt64(0), cpu_to_fdt64(bi->mem_size) };
	int r;

	/* Each step returns 0 or a negative FDT_ERR_*; stop at the first. */
	if ((r = fdt_create(fdt, size)) ||
	    (r = fdt_finish_reservemap(fdt)) ||
	    (r = fdt_begin_node(fdt, "")) ||
	    (r = fdt_property_u32(fdt, "#address-cells", 2)) ||
	    (r = fdt_property_u32(fdt, "#size-cells", 2)) ||

	    (r = fdt_begin_node(fdt, "memory@0")) ||
	    (r = fdt_property_string(fdt, "device_type", "memory")) ||
	    (r = fdt_property(fdt, "reg", reg, sizeof(reg))) ||
	    (r = fdt_end_node(fdt)) ||

	    (r = fdt_begin_node(fdt, "chosen")) ||
	    (r = fdt_property_string(fdt, "bootargs", bi->bootargs)) ||
	    (r = fdt_property_u64(fdt, "linux,initrd-start", bi->initrd_start)) ||
	    (r = fdt_property_u64(fdt, "linux,initrd-end", bi->initrd_end)) ||
	    (r = fdt_property_string(fdt, FL_FDT_HOST_KIND, bi->host_kind)) ||
	    (r = fdt_property_u32(fdt, FL_FDT_LAB_PORT, bi->lab_port)) ||
	    (r = fdt_property_u32(fdt, FL_FDT_TSC_KHZ, bi->tsc_khz)) ||
	    (r = fdt_property_u64(fdt, FL_FDT_REALTIME, bi->realtime_ns)) ||
	    (r = put_strings(fdt, FL_FDT_INIT_ARGV, bi->init_argv, bi->init_argc)) ||
	    (r = put_strings(fdt, FL_FDT_INIT_ENVP, bi->init_envp, bi->init_envc)) ||
	    (r = fdt_property_string(fdt, FL_FDT_INIT_CWD, bi->init_cwd ? bi->init_cwd : "/")) ||
	    (r = fdt_end_node(fdt)) ||

	    (r = fdt_end_node(fdt)))
		return r;
	return fdt_finish(fdt);
}

int fl_fdt_build(void *buf, size_t cap, const struct fl_boot_info *bi, char *err, size_t errlen)
{
	/* libfdt sizes are ints; a larger buffer is simply not used past INT_MAX. */
	int size = cap > INT_MAX ? INT_MAX : (int)cap;
	int r;

	if (bi->init_argc == 0)
		return fl_fail(err, errlen, "no init program");
	r = put_tree(buf, size, bi);
	if (r == -FDT_ERR_NOSPACE)
		return fl_fail(err, errlen, "boot device tree does not fit in %zu bytes", cap);
	if (r < 0)
		return fl_fail(err, errlen, "boot device tree: %s", fdt_strerror(r));
	return 0;
}
