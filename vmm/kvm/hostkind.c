/* The host-kind probe: a two-instruction user program whose syscall target
 * reports its privilege level with an `out`. One exit, ~0.3 ms. And what
 * else the VMM must know of the host kind: whether user code single-steps. */
#include "kvm/hostkind.h"
#include "error.h"
#include "kvm/cpu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define PROBE_CODE  0x5000UL  /* inside [FL_BOOT_AREA, FL_FDT_PADDR) */
#define PROBE_PORT  0x99

int fl_detect_host_kind(struct fl_vm *vm, enum fl_host_kind *kind, char *err, size_t n)
{
	static const uint8_t user[] = { 0x0f, 0x05, 0xf4 };                 /* syscall; hlt */
	static const uint8_t target[] = { 0xe6, PROBE_PORT, 0xf4 };          /* out %al,$0x99; hlt */
	uint8_t *code = fl_gpa_to_hva(vm, PROBE_CODE, 0x200);
	memcpy(code, user, sizeof user);
	memcpy(code + 0x100, target, sizeof target);

	struct fl_cpu_entry e = {
		.cpl = 3, .cr3 = fl_cpu_boot_page_tables(vm), .rip = PROBE_CODE,
		.rsp = PROBE_CODE + 0x1000, .lstar = PROBE_CODE + 0x100,
	};
	if (fl_cpu_enter(vm, &e, err, n) < 0)
		return -1;
	if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
		return fl_fail(err, n, "host-kind probe: KVM_RUN: %s", strerror(errno));
	if (vm->run->exit_reason != KVM_EXIT_IO || vm->run->io.port != PROBE_PORT)
		return fl_fail(err, n, "host-kind probe: unexpected exit reason %u", vm->run->exit_reason);
	int cpl = fl_vcpu_cpl(vm);
	if (cpl < 0 || fl_cpu_settle(vm) < 0)
		return fl_fail(err, n, "host-kind probe: reading vCPU state: %s", strerror(errno));
	memset(code, 0, 0x200);
	*kind = cpl == 0 ? FL_HOST_KVM : FL_HOST_PVM;
	return 0;
}

bool fl_host_steps_user(const struct fl_vm *vm)
{
	const char *e = getenv("FORKLAB_STEP_USER");
	return vm->host_kind != FL_HOST_PVM && !(e && !strcmp(e, "no"));
}
