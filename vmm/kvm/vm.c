/* Creating the VM through the KVM API: capability checks, guest RAM at
 * physical 0, the in-kernel irqchip (LAPIC timer), one vCPU with host CPUID. */
#include "kvm/vm.h"
#include "error.h"
#include "kvm/hostkind.h"

#include <errno.h>
#include <forklab/abi.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int open_kvm(char *err, size_t n)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		fl_fail(err, n, "/dev/kvm does not exist: load kvm (modprobe kvm_intel or kvm_amd) "
			"or run on a host with virtualization enabled");
	else if (errno == EACCES || errno == EPERM)
		fl_fail(err, n, "/dev/kvm: permission denied: add yourself to group kvm "
			"(usermod -aG kvm $USER) or add the udev rule KERNEL==\"kvm\", MODE=\"0666\"");
	else
		fl_fail(err, n, "/dev/kvm: %s", strerror(errno));
	return -1;
}

static int check_caps(int kvm, char *err, size_t n)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ" },
	};
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fl_fail(err, n, "/dev/kvm speaks an unknown KVM API version");
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (ioctl(kvm, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
			return fl_fail(err, n, "/dev/kvm lacks %s", need[i].name);
	return 0;
}

/* The guest sees the host's supported CPUID (SSE for musl, x2APIC for the timer). */
static int set_cpuid(struct fl_vm *vm, char *err, size_t n)
{
	int nent = 128;
	struct kvm_cpuid2 *c = calloc(1, sizeof *c + nent * sizeof c->entries[0]);
	if (!c)
		return fl_fail(err, n, "cpuid: %s", strerror(errno));
	c->nent = nent;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		free(c);
		return fl_fail(err, n, "KVM_SET_CPUID2: %s", strerror(errno));
	}
	bool xsave = false;
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1)
			xsave = e->ecx & (1u << 26);
		if (e->function == 0xd && e->index == 0)
			vm->xcr0 = (e->eax | (uint64_t)e->edx << 32) & FL_XFEATURES;
	}
	if (!xsave)
		vm->xcr0 = 0;
	else if ((vm->xcr0 & FL_XFEATURES_AVX512) != FL_XFEATURES_AVX512)
		vm->xcr0 &= ~FL_XFEATURES_AVX512; /* all three components or none, as the kernel */
	free(c);
	return 0;
}

int fl_vm_create(struct fl_vm *vm, uint64_t mem_size, char *err, size_t n)
{
	memset(vm, 0, sizeof *vm);
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->mem = MAP_FAILED;
	if ((vm->kvm_fd = open_kvm(err, n)) < 0 || check_caps(vm->kvm_fd, err, n) < 0)
		goto out;
	if ((vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0)) < 0) {
		fl_fail(err, n, "KVM_CREATE_VM: %s", strerror(errno));
		goto out;
	}
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		fl_fail(err, n, "guest memory: %s", strerror(errno));
		goto out;
	}
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
		.userspace_addr = (uint64_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fl_fail(err, n, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto out;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		fl_fail(err, n, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto out;
	}
	if ((vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0)) < 0) {
		fl_fail(err, n, "KVM_CREATE_VCPU: %s", strerror(errno));
		goto out;
	}
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		fl_fail(err, n, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto out;
	}
	vm->run_size = sz;
	vm->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		fl_fail(err, n, "mmap kvm_run: %s", strerror(errno));
		goto out;
	}
	if (set_cpuid(vm, err, n) < 0)
		goto out;
	int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = khz > 0 ? khz : 0;
	if (fl_detect_host_kind(vm, &vm->host_kind, err, n) < 0)
		goto out;
	return 0;
out:
	fl_vm_destroy(vm);
	return -1;
}

void fl_vm_destroy(struct fl_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->mem != MAP_FAILED && vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof *vm);
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

void *fl_gpa_to_hva(const struct fl_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

int fl_vcpu_cpl(const struct fl_vm *vm)
{
	struct kvm_sregs s;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	return s.cs.selector & 3;
}

const char *fl_host_kind_name(enum fl_host_kind k)
{
	return k == FL_HOST_PVM ? "pvm" : "kvm";
}
