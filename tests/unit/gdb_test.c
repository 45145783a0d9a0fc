/* The gdb stub's packet codec and commands (vmm/gdb/packet.c, commands.c) on a
 * stopped guest made by hand: guest RAM in a buffer with one page mapped, the
 * vCPU's registers in the stub's copy, no KVM. Bad packets must get error
 * replies, never a crash or an overrun (run under ASan by make fuzz's
 * target for the same code, tests/fuzz/gdb_packet.c). */
#include "common/fl_assert.h"
#include "common/ram_session.h"
#include "gdb/stub.h"
#include "observe/inspect.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define MEM_SIZE (4ULL << 20)
#define DATA_VA 0x400000ULL    /* mapped, one 4 KiB page */
#define DATA_PA 0x200000ULL

static struct fl_session s;
static struct fl_gdb g;
static char out[GDB_PACKET_MAX + 1];

static uint64_t *at(uint64_t pa)
{
	return (uint64_t *)(s.vm.mem + pa);
}

/* CR3 0x1000, then one table a level at 0x2000, 0x3000, 0x4000. */
static void setup(void)
{
	fl_ram_session(&s, MEM_SIZE);
	*at(0x1000 + ((DATA_VA >> 39) & 511) * 8) = 0x2000 | 7;
	*at(0x2000 + ((DATA_VA >> 30) & 511) * 8) = 0x3000 | 7;
	*at(0x3000 + ((DATA_VA >> 21) & 511) * 8) = 0x4000 | 7;
	*at(0x4000 + ((DATA_VA >> 12) & 511) * 8) = DATA_PA | 7;
	memcpy(s.vm.mem + DATA_PA, "forklab", 8);
	g = (struct fl_gdb){ .s = &s, .fd = -1, .listen_fd = -1, .cur_tid = GDB_BOOT_TID };
	g.regs.rax = 0x1122334455667788ULL;
	g.regs.rip = DATA_VA;
	g.sregs.cr3 = 0x1000;
	g.sregs.cs.selector = FL_KERNEL_CS;
	snprintf(g.stop_reply, sizeof g.stop_reply, "T05thread:1;");
}

static void teardown(void)
{
	free(s.vm.mem);
}

TestSuite(gdb, .init = setup, .fini = teardown);

static const char *cmd(const char *pkt)
{
	enum gdb_action a = gdb_command(&g, pkt, strlen(pkt), out);
	TEST_ASSERT_EQ(a, GDB_ACT_REPLY, "packet \"%s\"", pkt);
	TEST_ASSERT_CMP(strlen(out), <=, (size_t)GDB_PACKET_MAX, "reply to \"%s\"", pkt);
	return out;
}

/* Feeds bytes to a fresh decoder: the last result that was not GDB_IN_NONE. */
static enum gdb_input decode(struct gdb_decoder *d, const char *bytes, size_t n)
{
	enum gdb_input last = GDB_IN_NONE;
	gdb_decoder_init(d);
	for (size_t i = 0; i < n; i++) {
		enum gdb_input in = gdb_decode(d, (uint8_t)bytes[i]);
		if (in != GDB_IN_NONE)
			last = in;
	}
	return last;
}

Test(gdb, good_packet_and_escape)
{
	static struct gdb_decoder d;
	/* "X0,1:}]" carries the byte '}' escaped; the checksum covers the escaped form. */
	char frame[64] = { 0 };
	size_t n = gdb_frame("X0,1:}", 6, frame, sizeof frame);
	TEST_ASSERT_STR_EQ(frame + n - 3, "#f9", "frame %.*s", (int)n, frame);
	TEST_ASSERT_EQ(decode(&d, frame, n), GDB_IN_PACKET);
	TEST_ASSERT_EQ(d.len, 6);
	TEST_ASSERT_STR_EQ(d.payload, "X0,1:}");
	TEST_ASSERT_EQ(decode(&d, "\x03", 1), GDB_IN_INTERRUPT);
	TEST_ASSERT_EQ(decode(&d, "-", 1), GDB_IN_NAK);
}

Test(gdb, frame_escapes_all_four_and_fits_exactly)
{
	static struct gdb_decoder d;
	/* '$', '#', '}' and '*' each take two bytes: 1 + 9 + 3 in all. */
	char frame[13];
	TEST_ASSERT_EQ(gdb_frame("$#}*a", 5, frame, 12), 0);
	size_t n = gdb_frame("$#}*a", 5, frame, sizeof frame);
	TEST_ASSERT_EQ(n, 13);
	TEST_ASSERT_EQ(memcmp(frame, "$}\x04}\x03}]}\x0a" "a#", 11), 0, "frame %.*s", (int)n, frame);
	TEST_ASSERT_EQ(decode(&d, frame, n), GDB_IN_PACKET);
	TEST_ASSERT_EQ(d.len, 5);
	TEST_ASSERT_EQ(memcmp(d.payload, "$#}*a", 5), 0);
}

Test(gdb, bad_checksum)
{
	static struct gdb_decoder d;
	TEST_ASSERT_EQ(decode(&d, "$g#68", 5), GDB_IN_BAD_CHECKSUM);
	TEST_ASSERT_EQ(decode(&d, "$g#6z", 5), GDB_IN_BAD_CHECKSUM);
	TEST_ASSERT_EQ(decode(&d, "$g#67", 5), GDB_IN_PACKET);
}

Test(gdb, overlong_packet)
{
	static struct gdb_decoder d;
	static char frame[GDB_PACKET_MAX + 16];
	frame[0] = '$';
	memset(frame + 1, 'a', GDB_PACKET_MAX + 1);
	uint8_t sum = (uint8_t)('a' * (GDB_PACKET_MAX + 1));
	snprintf(frame + GDB_PACKET_MAX + 2, 4, "#%02x", sum);
	TEST_ASSERT_EQ(decode(&d, frame, GDB_PACKET_MAX + 5), GDB_IN_OVERLONG);
	/* and the decoder is ready for the next packet */
	TEST_ASSERT_EQ(gdb_decode(&d, '$'), GDB_IN_NONE);
	gdb_decode(&d, 'g');
	gdb_decode(&d, '#');
	gdb_decode(&d, '6');
	TEST_ASSERT_EQ(gdb_decode(&d, '7'), GDB_IN_PACKET);
}

Test(gdb, unknown_command_is_unsupported)
{
	TEST_ASSERT_STR_EQ(cmd("qNoSuchQuery"), "");
	TEST_ASSERT_STR_EQ(cmd("!"), "");
	TEST_ASSERT_STR_EQ(cmd("vMustReplyEmpty"), "");
	TEST_ASSERT_STR_EQ(cmd("Z9,0,1"), "");
}

Test(gdb, bad_hex)
{
	TEST_ASSERT_STR_EQ(cmd("mxyz,4"), "E01");
	TEST_ASSERT_STR_EQ(cmd("m400000,"), "E01");
	TEST_ASSERT_STR_EQ(cmd("m11112222333344445,4"), "E01"); /* 17 digits */
	TEST_ASSERT_STR_EQ(cmd("M400000,2:zz11"), "E01");
	TEST_ASSERT_STR_EQ(cmd("M400000,2:11"), "E01");       /* fewer bytes than said */
	TEST_ASSERT_STR_EQ(cmd("P0=zz"), "E01");
	TEST_ASSERT_STR_EQ(cmd("P0=1122"), "E01");            /* not 8 bytes */
	TEST_ASSERT_STR_EQ(cmd("pzz"), "E01");
	TEST_ASSERT_STR_EQ(cmd("G00"), "E01");
	TEST_ASSERT_STR_EQ(cmd("Hgxx"), "E01");
	TEST_ASSERT_STR_EQ(cmd("Z0,zz,1"), "E01");
	TEST_ASSERT_STR_EQ(cmd("vCont;x"), "E01");
	TEST_ASSERT_STR_EQ(memcmp(s.vm.mem + DATA_PA, "forklab", 8) ? "changed" : "intact", "intact");
}

Test(gdb, bad_address)
{
	TEST_ASSERT_STR_EQ(cmd("m500000,4"), "E14");
	TEST_ASSERT_STR_EQ(cmd("m800000000000,4"), "E14");    /* not canonical */
	TEST_ASSERT_STR_EQ(cmd("M500000,1:00"), "E14");
	TEST_ASSERT_STR_EQ(cmd("Z0,500000,1"), "E22");
	TEST_ASSERT_STR_EQ(cmd("z0,400000,1"), "E22");        /* none set there */
	TEST_ASSERT_STR_EQ(cmd("p9999"), "E02");
	TEST_ASSERT_STR_EQ(cmd("Hg7"), "E02");                /* no thread 7 */
	/* A read that runs off the mapped page gives the bytes before the hole. */
	TEST_ASSERT_CMP(strlen(cmd("m400ffe,4")), ==, (size_t)4);
}

/* gdb's layout of the g packet, byte offsets by hand from its i386 features:
 * 16 GPRs, rip, eflags (4), six selectors (4), st0-7 (10), eight x87
 * control words (4), xmm0-15 (16), mxcsr (4), fs/gs base, cr0, cr2, cr3. */
Test(gdb, register_layout)
{
	static const struct { int regno; size_t off; const char *hex; } want[] = {
		{ GDB_RAX, 0, "8877665544332211" },
		{ GDB_RIP, 128, "0000400000000000" },
		{ GDB_CS, 140, "10000000" },
		{ GDB_CR3, 568, "0010000000000000" },
	};
	char regs[2 * GDB_REGS_BYTES + 1], pkt[8];
	strcpy(regs, cmd("g"));
	TEST_ASSERT_EQ(gdb_reg_offset(GDB_NREGS), (size_t)GDB_REGS_BYTES);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		size_t n = strlen(want[i].hex);
		TEST_ASSERT_EQ(gdb_reg_offset(want[i].regno), want[i].off, "register %d", want[i].regno);
		TEST_ASSERT(!strncmp(regs + 2 * want[i].off, want[i].hex, n),
			    "register %d in g at byte %zu: expected %s, got %.*s", want[i].regno,
			    want[i].off, want[i].hex, (int)n, regs + 2 * want[i].off);
		snprintf(pkt, sizeof pkt, "p%x", want[i].regno);
		TEST_ASSERT_STR_EQ(cmd(pkt), want[i].hex, "packet %s", pkt);
	}
}

Test(gdb, memory_and_registers)
{
	TEST_ASSERT_STR_EQ(cmd("m400000,7"), "666f726b6c6162");
	TEST_ASSERT_STR_EQ(cmd("M400000,2:4b4c"), "OK");
	TEST_ASSERT_STR_EQ(cmd("m400000,3"), "4b4c72");
	const char *regs = cmd("g");
	TEST_ASSERT_EQ(strlen(regs), 2 * GDB_REGS_BYTES);
	TEST_ASSERT(!strncmp(regs, "8877665544332211", 16), "rax first, little-endian: %.16s", regs);
	TEST_ASSERT_STR_EQ(cmd("P0=0100000000000000"), "OK");
	TEST_ASSERT_EQ(g.regs.rax, 1);
	TEST_ASSERT_STR_EQ(cmd("P3d=0000000000000000"), "E22"); /* cr3 (61) is read-only */
	/* A length past what a reply holds is cut, never overrun. */
	TEST_ASSERT_CMP(strlen(cmd("m400000,ffffffff")), <=, (size_t)GDB_PACKET_MAX);
	TEST_ASSERT_STR_EQ(cmd("qfThreadInfo"), "m1");
	TEST_ASSERT_STR_EQ(cmd("qsThreadInfo"), "l");
	TEST_ASSERT_STR_EQ(cmd("?"), "T05thread:1;");
	TEST_ASSERT(!strncmp(cmd("qXfer:features:read:target.xml:0,40"), "m<?xml", 6), "%s", out);
}

/* Where breakpoints single-step (PVM, the nested bed), Z1 and Z2 are taken
 * into the four slots to be checked at each step, a Z2 with the bytes it
 * watches as they are now; a read cannot be seen by stepping: Z3 and Z4
 * are refused. */
Test(gdb, stepped_hardware_breakpoints)
{
	g.bp_method = GDB_BP_STEP;
	TEST_ASSERT_STR_EQ(cmd("Z3,400000,8"), "E22");
	TEST_ASSERT_STR_EQ(cmd("Z4,400000,8"), "E22");
	TEST_ASSERT_STR_EQ(cmd("Z2,500000,4"), "E22");        /* not mapped */
	TEST_ASSERT_STR_EQ(cmd("Z2,400002,4"), "E22");        /* not aligned */
	TEST_ASSERT_STR_EQ(cmd("Z2,400000,8"), "OK");
	uint64_t want;
	memcpy(&want, "forklab", 8);
	TEST_ASSERT_EQ(g.hw[0].old, want, "the watched bytes at insert");
	TEST_ASSERT_EQ(g.hw[0].cr3, 0x1000);
	TEST_ASSERT_STR_EQ(cmd("Z1,400010,1"), "OK");
	TEST_ASSERT_STR_EQ(cmd("Z1,400020,1"), "OK");
	TEST_ASSERT_STR_EQ(cmd("Z2,400008,4"), "OK");
	TEST_ASSERT_STR_EQ(cmd("Z1,400030,1"), "E22");        /* four, as in hardware */
	TEST_ASSERT_STR_EQ(cmd("z2,400000,8"), "OK");
	TEST_ASSERT_STR_EQ(cmd("Z1,400030,1"), "OK");
	TEST_ASSERT_STR_EQ(cmd("z2,400000,8"), "E22");        /* gone already */
}
