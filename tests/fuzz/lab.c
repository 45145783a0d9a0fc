/* libFuzzer target: the lab port (vmm/devices/lab.c) as a hostile guest
 * drives it. Input: the CPL of the port write (any byte, as a signed value),
 * its size, its 4 data bytes (the message's guest-physical address), then
 * guest RAM from address 0, where the message is read. Every outcome is a
 * return code for the guest or a verdict; the sanitizers catch the rest. */
#include "devices/lab.h"
#include "run/config.h"
#include "run/session.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEM (64u << 10)
#define HEAD 6

static uint8_t *mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* FL_LAB_READ reads fd 0 and FL_LAB_WRITE writes fd 1: not the terminal. */
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		abort();
	close(fd);
	mem = malloc(MEM); /* exactly RAM's size: ASan sees any access past it */
	if (!mem)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEAD)
		return 0;
	size_t ram = size - HEAD < MEM ? size - HEAD : MEM;
	memset(mem, 0, MEM);
	memcpy(mem, data + HEAD, ram);
	struct fl_config cfg = { .verbose = data[1] & 0x80 };
	struct fl_session s = { .cfg = &cfg };
	s.vm.kvm_fd = s.vm.vm_fd = s.vm.vcpu_fd = -1; /* no vCPU: KVM calls fail, as checked */
	s.vm.mem = mem;
	s.vm.mem_size = MEM;
	fl_lab_port_write(&s, (int8_t)data[0], data + 2, data[1] & 0x7f);
	return 0;
}
