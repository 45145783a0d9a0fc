/* Which breakpoint mechanism reaches the VMM on this /dev/kvm (stub.h
 * gdb_bp_method_for), found by behaviour like the host kind: before boot, a
 * three-instruction kernel-mode program runs with a debug register on its
 * second instruction. One or two exits, well under a millisecond. */
#include "gdb/stub.h"
#include "kvm/cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define PROBE_CODE 0x5000UL  /* the host-kind probe's page, free again by now */
#define PROBE_PORT 0x98

/* nop; nop; out %al,$0x98; hlt: DR0 on the second nop must exit first. */
static bool debug_registers_work(struct fl_vm *vm)
{
	static const uint8_t code[] = { 0x90, 0x90, 0xe6, PROBE_PORT, 0xf4 };
	uint8_t *p = fl_gpa_to_hva(vm, PROBE_CODE, sizeof code);
	char err[128];
	memcpy(p, code, sizeof code);
	struct fl_cpu_entry e = {
		.cpl = 0, .cr3 = fl_cpu_boot_page_tables(vm), .rip = PROBE_CODE, .rsp = PROBE_CODE + 0x1000,
	};
	struct kvm_guest_debug d = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
		.arch.debugreg = { [0] = PROBE_CODE + 1, [7] = 1 },
	};
	struct kvm_guest_debug off = { 0 };
	if (fl_cpu_enter(vm, &e, err, sizeof err) < 0 || ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		return false;
	int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	bool hit = r == 0 && vm->run->exit_reason == KVM_EXIT_DEBUG &&
		   vm->run->debug.arch.exception == 1 && vm->run->debug.arch.pc == PROBE_CODE + 1;
	ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &off);
	if (r == 0 && vm->run->exit_reason == KVM_EXIT_IO)
		fl_cpu_settle(vm);
	memset(p, 0, sizeof code);
	return hit;
}

/* FORKLAB_GDB_BREAKPOINTS=dr|int3|step overrides what the probe finds: how
 * the tests run PVM's method on hardware KVM. */
enum gdb_bp_method gdb_bp_method_for(struct fl_vm *vm)
{
	const char *e = getenv("FORKLAB_GDB_BREAKPOINTS");
	if (e && !strcmp(e, "int3"))
		return GDB_BP_INT3;
	if (e && !strcmp(e, "step"))
		return GDB_BP_STEP;
	if (e && !strcmp(e, "dr"))
		return GDB_BP_DR;
	if (vm->host_kind == FL_HOST_PVM)
		return GDB_BP_STEP;
	return debug_registers_work(vm) ? GDB_BP_DR : GDB_BP_STEP;
}
