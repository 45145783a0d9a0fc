/* Which kind of /dev/kvm this is, found by behaviour rather than by name. */
#ifndef FL_HOSTKIND_H
#define FL_HOSTKIND_H

#include "kvm/vm.h"

/* Runs one user-mode `syscall` in the fresh VM: on hardware KVM it lands at
 * LSTAR in ring 0; on a PVM host it reaches LSTAR still in ring 3, because PVM
 * runs the guest kernel deprivileged (README, "Host kinds"). */
int fl_detect_host_kind(struct fl_vm *vm, enum fl_host_kind *kind, char *err, size_t errlen);

#endif
