/* libFuzzer target: the gdb stub's decoder and command handler on arbitrary
 * bytes from a hostile client. The bytes go through gdb_decode as they would
 * arrive on the socket; each packet it completes is handled by gdb_command
 * against a stopped guest made by hand (one mapped page, as tests/unit/
 * gdb_test.c builds it). Resume requests are answered and ignored: there is
 * no vCPU to run. */
#include "gdb/stub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* RAM: the four tables at 0x1000-0x4fff, then the data page, last, so that
 * ASan sees a read past it; cleared for each input, as a fresh guest. */
#define DATA_VA 0x400000ULL
#define DATA_PA 0x5000ULL
#define MEM_SIZE (DATA_PA + 4096)

static struct fl_session s;
static struct fl_gdb g;

static void guest(void)
{
	if (!s.vm.mem) {
		s.vm.mem = malloc(MEM_SIZE);
		s.vm.mem_size = MEM_SIZE;
		s.vm.vcpu_fd = -1;
	}
	memset(s.vm.mem, 0, MEM_SIZE);
	uint64_t e[4] = { 0x2000 | 7, 0x3000 | 7, 0x4000 | 7, DATA_PA | 7 };
	int shift[4] = { 39, 30, 21, 12 };
	for (int i = 0; i < 4; i++)
		memcpy(s.vm.mem + 0x1000 * (i + 1) + ((DATA_VA >> shift[i]) & 511) * 8, &e[i], 8);
	g = (struct fl_gdb){ .s = &s, .fd = -1, .listen_fd = -1, .cur_tid = GDB_BOOT_TID };
	g.regs.rip = DATA_VA;
	g.sregs.cr3 = 0x1000;
	strcpy(g.stop_reply, "T05thread:1;");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_decoder d;
	static char out[GDB_PACKET_MAX + 1];
	static char frame[2 * GDB_PACKET_MAX + 8];
	guest();
	gdb_decoder_init(&d);
	for (size_t i = 0; i < size; i++)
		if (gdb_decode(&d, data[i]) == GDB_IN_PACKET) {
			gdb_command(&g, d.payload, d.len, out);
			if (strlen(out) > GDB_PACKET_MAX || !gdb_frame(out, strlen(out), frame, sizeof frame))
				abort(); /* a reply that does not fit its frame */
		}
	return 0;
}
