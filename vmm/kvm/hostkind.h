/* Which kind of /dev/kvm this is, found by behaviour rather than by name. */
#ifndef FL_HOSTKIND_H
#define FL_HOSTKIND_H

#include "kvm/vm.h"

/* Runs one user-mode `syscall` in the fresh VM: on hardware KVM it lands at
 * LSTAR in ring 0; on a PVM host it reaches LSTAR still in ring 3, because PVM
 * runs the guest kernel deprivileged (README, "Host kinds"). */
int fl_detect_host_kind(struct fl_vm *vm, enum fl_host_kind *kind, char *err, size_t errlen);

/* Whether KVM_GUESTDBG_SINGLESTEP stops after user instructions: not on PVM,
 * whose single steps stop only in the emulated kernel, user code running
 * natively (shared/docs/platform.md). FORKLAB_STEP_USER=no says no on any
 * host: how the tests run PVM's answer on hardware KVM. */
bool fl_host_steps_user(const struct fl_vm *vm);

#endif
