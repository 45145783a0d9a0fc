/* The boot FDT, read with Debian's libfdt. The kernel calls it at boot with
 * FS on libfdt's canary block (lib/fdt_glue.c); tests/fuzz/fdt.c calls it on
 * the host, on trees that vmm/boot/fdt.c built. */
#include <forklab/abi.h>
#include <libfdt.h>

#include "../include/bootfdt.h" /* by path, as lib/cpio.c: the host build has no -I for it */

/* Properties are only 4-byte aligned: 64-bit values go through fdt64_ld.
 * /chosen is read in one pass over its properties: each by-name lookup would
 * walk the list again, and here every kernel instruction costs ~1 us. */
const char *boot_fdt_parse(const void *fdt, struct boot_info *bi)
{
	int len, chosen, memory, off;
	const void *p;
	const char *name;
	*bi = (struct boot_info){ 0 };
	if (fdt_check_header(fdt) || (chosen = fdt_path_offset(fdt, "/chosen")) < 0 ||
	    (memory = fdt_path_offset(fdt, "/memory@0")) < 0)
		return "boot: no usable device tree";
	if (!(p = fdt_getprop(fdt, memory, "reg", &len)) || len != 16)
		return "boot: /memory@0 has no reg";
	bi->mem_size = fdt64_ld((const fdt64_t *)p + 1);
	fdt_for_each_property_offset(off, fdt, chosen) {
		if (!(p = fdt_getprop_by_offset(fdt, off, &name, &len)))
			break;
		if (!strcmp(name, "linux,initrd-start") && len == 8)
			bi->initrd_start = fdt64_ld(p);
		else if (!strcmp(name, "linux,initrd-end") && len == 8)
			bi->initrd_end = fdt64_ld(p);
		else if (!strcmp(name, "bootargs"))
			bi->bootargs = p;
		else if (!strcmp(name, FL_FDT_HOST_KIND))
			bi->host_kind = p;
		else if (!strcmp(name, FL_FDT_TSC_KHZ) && len == 4)
			bi->tsc_khz = fdt32_ld(p);
		else if (!strcmp(name, FL_FDT_INIT_ARGV))
			bi->init_argv = p, bi->init_argv_len = len;
		else if (!strcmp(name, FL_FDT_INIT_ENVP))
			bi->init_envp = p, bi->init_envp_len = len;
		else if (!strcmp(name, FL_FDT_INIT_CWD) && len > 1 && !((const char *)p)[len - 1])
			bi->init_cwd = p;
		else if (!strcmp(name, FL_FDT_REALTIME) && len == 8)
			bi->realtime_ns = fdt64_ld(p);
	}
	if (!bi->initrd_end || bi->initrd_end < bi->initrd_start)
		return "boot: no initrd";
	if (!bi->init_argv || bi->init_argv_len < 2 || bi->init_argv[bi->init_argv_len - 1])
		return "boot: no init program";
	if (bi->init_envp_len && bi->init_envp[bi->init_envp_len - 1])
		return "boot: a malformed init environment";
	if (!bi->tsc_khz)
		bi->tsc_khz = 1000000; /* the VMM could not tell; assume 1 GHz */
	return NULL;
}
