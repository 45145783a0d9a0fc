/* What Debian's libfdt.a needs from a freestanding kernel. It is built as
 * ordinary PIC user code: no SSE (checked), a red zone (harmless: the kernel
 * parses the FDT at boot with interrupts off) and -fstack-protector, which
 * reads the canary at %fs:0x28. So the boot path points FS at fdt_tls while
 * it calls libfdt, and a smashed canary is a panic. */
#include "arch.h"

static u64 fdt_tls[8] = { [5] = 0x2f8dd23a90e1c0deUL }; /* [5] is %fs:0x28 */

void fdt_glue_enter(void)
{
	wrmsr(MSR_FS_BASE, (u64)fdt_tls);
}

void fdt_glue_leave(void)
{
	wrmsr(MSR_FS_BASE, 0);
}

void __stack_chk_fail(void)
{
	panic("libfdt: stack protector canary smashed");
}
