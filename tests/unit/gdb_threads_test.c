/* The gdb stub's tasks (vmm/gdb/threads.c, xfer.c, commands.c): the thread
 * list as qXfer:threads:read serves it, in pieces, and register writes of
 * tasks that are not on the vCPU, on a kernel made by hand in a buffer: a
 * table of task pointers (one slot free), the tasks and kernel stacks
 * behind the kernel's 1 GiB mapping, no KVM.
 * The four tasks are those a fork leaves: pid 1 on the vCPU, pid 2 that
 * copy_thread made and that never ran, pid 3 asleep where switch_to left
 * it (with a hostile command name), and pid 4 a kernel thread. */
#include "common/fl_assert.h"
#include "common/ram_session.h"
#include "gdb/stub.h"
#include "observe/inspect.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define MEM_SIZE (4ULL << 20)
#define KVA(pa) (FL_KERNEL_VBASE + (pa))
#define PML4_PA 0x1000ULL
#define KSTATE_PA 0x10000ULL
#define TASKS_PA 0x20000ULL
#define TABLE_PA 0x30000ULL
#define NSLOTS 5   /* the tasks in slots 0, 1, 3 and 4: a free slot among them */
#define TASK_SIZE 128
#define COMM_OFF 64
#define PARENT_OFF 80
#define RET_FROM_FORK KVA(0x5000)
#define SWITCH_TO_RET KVA(0x6023)
#define STACK_PA(i) (0x100000ULL + (uint64_t)(i) * FL_KSTACK_SIZE)
#define REGS_PA(i) (STACK_PA(i) + FL_KSTACK_SIZE - sizeof(struct pt_regs))
#define FRAME_PA (STACK_PA(2) + 0x3000) /* pid 3's thread.sp */

static struct fl_session s;
static struct fl_kernel k;
static struct fl_gdb g;
static char out[GDB_PACKET_MAX + 1];

static void *at(uint64_t pa)
{
	return s.vm.mem + pa;
}

static struct fl_task_head *task(int i)
{
	return at(TASKS_PA + (uint64_t)i * TASK_SIZE);
}

static struct pt_regs *regs(int i)
{
	return at(REGS_PA(i));
}

static void add_task(int i, int pid, int state, const char *comm, int parent_slot, bool kthread)
{
	struct fl_task_head *t = task(i);
	uint64_t parent = parent_slot < 0 ? 0 : KVA(TASKS_PA + (uint64_t)parent_slot * TASK_SIZE);
	t->pid = t->tgid = pid;
	t->state = state;
	t->kthread = kthread;
	t->stack = KVA(STACK_PA(i));
	t->thread.sp0 = t->stack + FL_KSTACK_SIZE;
	memcpy((char *)t + COMM_OFF, comm, strnlen(comm, 16));
	memcpy((char *)t + PARENT_OFF, &parent, 8);
	((uint64_t *)at(TABLE_PA))[i < 2 ? i : i + 1] = KVA(TASKS_PA + (uint64_t)i * TASK_SIZE);
	for (int r = 0; r < 21; r++) /* every pt_regs word its own value: pid, slot */
		((uint64_t *)regs(i))[r] = (uint64_t)pid << 8 | (uint64_t)r;
}

static void setup(void)
{
	fl_ram_session(&s, MEM_SIZE);
	/* The kernel's image mapping: PML4[511] -> PDPT[510], a 1 GiB page at 0. */
	*(uint64_t *)at(PML4_PA + 511 * 8) = 0x2000 | 3;
	*(uint64_t *)at(0x2000 + 510 * 8) = 0x0 | 0x80 | 3;
	k = (struct fl_kernel){ .kernel_pml4 = KVA(PML4_PA), .kstate = KVA(KSTATE_PA) };
	s.kernel = &k;
	struct fl_kstate *ks = at(KSTATE_PA);
	ks->current_pid = 1;
	ks->current = KVA(TASKS_PA);

	add_task(0, 1, 1, "init", -1, false);
	add_task(1, 2, 1, "fork-demo", 0, false);
	task(1)->thread.ip = RET_FROM_FORK;
	task(1)->thread.sp = KVA(REGS_PA(1));
	regs(1)->ax = 0;
	add_task(2, 3, 2, "a<b>&\"'\x01", 0, false);
	task(2)->thread.ip = SWITCH_TO_RET;
	task(2)->thread.sp = KVA(FRAME_PA);
	task(2)->thread.fsbase = 0x7000;
	uint64_t frame[7] = { 0xf15, 0xf14, 0xf13, 0xf12, 0xb0, 0xb9, SWITCH_TO_RET };
	memcpy(at(FRAME_PA), frame, sizeof frame);
	add_task(3, 4, 2, "kworker", -1, true);
	task(3)->thread.sp = KVA(STACK_PA(3) + 0x3000);

	g = (struct fl_gdb){ .s = &s, .fd = -1, .listen_fd = -1, .cur_tid = 1 };
	g.kt = (struct gdb_ktypes){ .tasks = KVA(TABLE_PA), .ntasks = NSLOTS,
				    .comm_off = COMM_OFF, .parent_off = PARENT_OFF,
				    .ret_from_fork = RET_FROM_FORK };
	g.regs.rax = 0xaaaa;
	g.regs.rip = KVA(0x7000);
	g.sregs.cr3 = PML4_PA;
	g.sregs.cs.selector = FL_KERNEL_CS;
}

static void teardown(void)
{
	free(s.vm.mem);
}

TestSuite(gdb_threads, .init = setup, .fini = teardown);

static const char *cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *cmd(const char *fmt, ...)
{
	char pkt[GDB_PACKET_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pkt, sizeof pkt, fmt, ap);
	va_end(ap);
	enum gdb_action a = gdb_command(&g, pkt, strlen(pkt), out);
	TEST_ASSERT_EQ(a, GDB_ACT_REPLY, "packet \"%s\"", pkt);
	TEST_ASSERT_CMP(strlen(out), <=, (size_t)GDB_PACKET_MAX, "reply to \"%s\"", pkt);
	return out;
}

/* P for thread tid: register regno = v, little-endian at its size. */
static const char *set_reg(int tid, int regno, uint64_t v)
{
	uint8_t b[16] = { 0 };
	char hex[33];
	size_t sz = gdb_reg_size(regno);
	TEST_ASSERT_STR_EQ(cmd("Hg%x", tid), "OK");
	memcpy(b, &v, sz < 8 ? sz : 8);
	gdb_hex_encode(b, sz, hex);
	hex[2 * sz] = 0;
	return cmd("P%x=%s", regno, hex);
}

/* p for thread tid: the register as a number, or -1 for "xx...". */
static int64_t get_reg(int tid, int regno)
{
	uint8_t b[8] = { 0 };
	TEST_ASSERT_STR_EQ(cmd("Hg%x", tid), "OK");
	const char *r = cmd("p%x", regno);
	if (r[0] == 'x')
		return -1;
	TEST_ASSERT_EQ(gdb_hex_decode(r, gdb_reg_size(regno), b), 0, "p%x gave %s", regno, r);
	int64_t v;
	memcpy(&v, b, 8);
	return v;
}

static const char threads_doc[] =
	"<threads>"
	"<thread id=\"1\" name=\"init\">pid 1 ppid 0 running (on the vCPU)</thread>"
	"<thread id=\"2\" name=\"fork-demo\">pid 2 ppid 1 running</thread>"
	"<thread id=\"3\" name=\"a&lt;b&gt;&amp;&quot;&apos;?\">pid 3 ppid 1 sleeping</thread>"
	"<thread id=\"4\" name=\"kworker\">pid 4 ppid 0 sleeping</thread>"
	"</threads>";

Test(gdb_threads, advertised)
{
	TEST_ASSERT(strstr(cmd("qSupported:multiprocess+;xmlRegisters=i386"), ";qXfer:threads:read+;"),
		    "qSupported: %s", out);
}

Test(gdb_threads, xml_names_every_task)
{
	char want[sizeof threads_doc + 1] = "l";
	strcat(want, threads_doc);
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::0,fff"), want);
	/* qThreadExtraInfo, for clients without the document, has the name in
	 * its text, as printable as the document's. */
	char text[64];
	const char *hex = cmd("qThreadExtraInfo,3");
	TEST_ASSERT_EQ(gdb_hex_decode(hex, strlen(hex) / 2, (uint8_t *)text), 0);
	text[strlen(hex) / 2] = 0;
	TEST_ASSERT_STR_EQ(text, "pid 3 ppid 1 sleeping a<b>&\"'?");
}

/* gdb reads until an 'l': pieces of any size make the same document, from
 * the snapshot taken at offset 0 even if the guest's memory changes. */
Test(gdb_threads, xml_in_pieces)
{
	char doc[sizeof threads_doc + 64] = "";
	size_t off = 0;
	for (int pieces = 0;; pieces++) {
		TEST_ASSERT_CMP(pieces, <, (int)sizeof threads_doc, "an 'l' ends the document");
		const char *r = cmd("qXfer:threads:read::%zx,7", off);
		TEST_ASSERT(r[0] == 'm' || r[0] == 'l', "offset %zu: %s", off, r);
		TEST_ASSERT_CMP(strlen(r + 1), <=, (size_t)7);
		TEST_ASSERT_CMP(off + strlen(r + 1), <, sizeof doc);
		strcat(doc, r + 1);
		off += strlen(r + 1);
		if (r[0] == 'l')
			break;
		if (!pieces) /* after the first piece: pid 2's name in memory changes */
			memcpy((char *)task(1) + COMM_OFF, "renamed!!", 9);
	}
	TEST_ASSERT_STR_EQ(doc, threads_doc);
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::%zx,7", off), "l"); /* at the end: empty */
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::%zx,7", off + 1), "E22");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::ffffffffffffffff,7"), "E22");
	/* Offset 0 makes it again. */
	TEST_ASSERT(strstr(cmd("qXfer:threads:read::0,fff"), "name=\"renamed!!\""), "%s", out);
}

Test(gdb_threads, xml_bad_requests)
{
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read:annex:0,10"), "E02");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::0,"), "E01");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::zz,10"), "E01");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::0,10,"), "E01");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read::0,0"), "E01");
	TEST_ASSERT_STR_EQ(cmd("qXfer:threads:read:"), "E02");
	/* A length past what a reply holds is cut. */
	TEST_ASSERT_EQ(cmd("qXfer:threads:read::0,ffffffffffffffff")[0], 'l');
}

/* The chunking alone, on an object longer than one reply. */
Test(gdb_threads, chunk_boundaries)
{
	static char obj[3 * GDB_PACKET_MAX];
	memset(obj, 'a', sizeof obj);
	obj[sizeof obj - 1] = 'z';
	gdb_xfer_chunk(obj, sizeof obj, 0, 0x100000, out);
	TEST_ASSERT_EQ(out[0], 'm');
	TEST_ASSERT_EQ(strlen(out), (size_t)GDB_PACKET_MAX);
	gdb_xfer_chunk(obj, sizeof obj, sizeof obj - 3, 3, out);
	TEST_ASSERT_STR_EQ(out, "laaz"); /* exactly to the end: last */
	gdb_xfer_chunk(obj, sizeof obj, sizeof obj - 3, 2, out);
	TEST_ASSERT_STR_EQ(out, "maa");
	gdb_xfer_chunk(obj, 0, 0, 5, out);
	TEST_ASSERT_STR_EQ(out, "l");
}

/* A document that does not fit leaves threads out whole and still closes. */
Test(gdb_threads, xml_cap)
{
	struct gdb_thread_desc d[2] = { { 1, "init", "pid 1" }, { 2, "second", "pid 2" } };
	char buf[128];
	static const char one[] = "<threads><thread id=\"1\" name=\"init\">pid 1</thread></threads>";
	TEST_ASSERT_EQ(gdb_threads_xml(d, 2, buf, sizeof one + 10), strlen(one));
	TEST_ASSERT_STR_EQ(buf, one);
	TEST_ASSERT_EQ(gdb_threads_xml(d, 2, buf, 20), strlen("<threads></threads>"));
	TEST_ASSERT_STR_EQ(buf, "<threads></threads>");
	TEST_ASSERT_EQ(gdb_threads_xml(d, 2, buf, 19), 0);
	TEST_ASSERT_STR_EQ(buf, "");
}

/* pid 2, which copy_thread made and which never ran: its user registers are
 * its pt_regs, and a write lands there (the fork return value it will see);
 * its rip and rsp are thread.ip and thread.sp; the rest has no home. */
Test(gdb_threads, write_task_that_never_ran)
{
	TEST_ASSERT_EQ(get_reg(2, GDB_USER_RAX), 0, "pid 2's user_rax");
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_USER_RAX, 42), "OK");
	TEST_ASSERT_EQ(regs(1)->ax, 42, "pid 2's pt_regs.ax");
	TEST_ASSERT_EQ(get_reg(2, GDB_USER_RAX), 42);
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_USER_ORIG_RAX, 57), "OK");
	TEST_ASSERT_EQ(regs(1)->orig_ax, 57, "pid 2's pt_regs.orig_ax");
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_USER_RIP, 0x401000), "OK");
	TEST_ASSERT_EQ(regs(1)->ip, 0x401000, "pid 2's pt_regs.ip");
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_USER_RAX + 15, 0x15), "OK");
	TEST_ASSERT_EQ(regs(1)->r15, 0x15, "pid 2's pt_regs.r15");
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_RIP, RET_FROM_FORK + 4), "OK");
	TEST_ASSERT_EQ(task(1)->thread.ip, RET_FROM_FORK + 4, "pid 2's thread.ip");
	TEST_ASSERT_STR_EQ(set_reg(2, GDB_FS_BASE, 0x1234), "OK");
	TEST_ASSERT_EQ(task(1)->thread.fsbase, 0x1234, "pid 2's thread.fsbase");
	static const int no_home[] = { GDB_RAX, GDB_RBX, GDB_R15, GDB_EFLAGS, GDB_CS, GDB_CR3, GDB_GS_BASE,
				       GDB_XMM0 };
	for (size_t i = 0; i < sizeof no_home / sizeof no_home[0]; i++)
		TEST_ASSERT_STR_EQ(set_reg(2, no_home[i], 1), "E22", "register %d", no_home[i]);
	TEST_ASSERT_EQ(regs(1)->ax, 42, "pt_regs.ax after the refused writes");
	/* The running task is untouched by all of it. */
	TEST_ASSERT_EQ(g.regs.rax, 0xaaaa);
	TEST_ASSERT(!g.regs_dirty, "the vCPU's registers were not written");
}

/* pid 3, asleep: the frame switch_to pushed holds rbx, rbp, r12-r15 and the
 * return address; rsp is computed from thread.sp, so it has no home. */
Test(gdb_threads, write_switched_out_task)
{
	TEST_ASSERT_EQ(get_reg(3, GDB_RBX), 0xb0);
	TEST_ASSERT_EQ(get_reg(3, GDB_RSP), (int64_t)KVA(FRAME_PA + 56));
	TEST_ASSERT_EQ(get_reg(3, GDB_RAX), -1, "pid 3's rax is not saved");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_RBX, 0xb1), "OK");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_R15, 0xf16), "OK");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_RBP, 0xba), "OK");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_RIP, SWITCH_TO_RET + 1), "OK");
	uint64_t *frame = at(FRAME_PA);
	TEST_ASSERT_EQ(frame[0], 0xf16, "switch_to frame's r15");
	TEST_ASSERT_EQ(frame[4], 0xb1, "switch_to frame's rbx");
	TEST_ASSERT_EQ(frame[5], 0xba, "switch_to frame's rbp");
	TEST_ASSERT_EQ(frame[6], SWITCH_TO_RET + 1, "switch_to frame's return address");
	TEST_ASSERT_EQ(frame[1], 0xf14, "switch_to frame's r14, not written");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_RSP, KVA(FRAME_PA)), "E22");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_RAX, 1), "E22");
	TEST_ASSERT_EQ(task(2)->thread.sp, KVA(FRAME_PA), "pid 3's thread.sp");
	TEST_ASSERT_STR_EQ(set_reg(3, GDB_USER_RAX + 7, 0x7ffd0000), "OK");
	TEST_ASSERT_EQ(regs(2)->sp, 0x7ffd0000, "pid 3's pt_regs.sp");
}

/* A kernel thread's pt_regs hold nothing: no user registers to read or write. */
Test(gdb_threads, kernel_thread_has_no_user_registers)
{
	TEST_ASSERT_EQ(get_reg(4, GDB_USER_RAX), -1);
	TEST_ASSERT_STR_EQ(set_reg(4, GDB_USER_RAX, 1), "E22");
	TEST_ASSERT_EQ(regs(3)->ax, (4 << 8) | 10, "the kernel thread's pt_regs.ax");
}

/* The running task: core registers are the vCPU's; its user registers are
 * its pt_regs while it is in the kernel and the vCPU's own in user mode. */
Test(gdb_threads, write_running_task)
{
	TEST_ASSERT_EQ(get_reg(1, GDB_USER_RAX), (1 << 8) | 10, "pid 1's pt_regs.ax");
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_USER_RAX, 7), "OK");
	TEST_ASSERT_EQ(regs(0)->ax, 7, "pid 1's pt_regs.ax");
	TEST_ASSERT_EQ(g.regs.rax, 0xaaaa, "the vCPU's rax");
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_RAX, 8), "OK");
	TEST_ASSERT_EQ(g.regs.rax, 8, "the vCPU's rax");

	g.sregs.cs.selector = FL_USER_CS;
	g.sregs.ss.selector = FL_USER_DS;
	g.regs.rflags = 0x246;
	TEST_ASSERT_EQ(get_reg(1, GDB_USER_RAX), 8, "user_rax is rax in user mode");
	TEST_ASSERT_EQ(get_reg(1, GDB_USER_CS), FL_USER_CS);
	TEST_ASSERT_EQ(get_reg(1, GDB_USER_ORIG_RAX), -1, "no orig_rax in user mode");
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_USER_RAX, 9), "OK");
	TEST_ASSERT_EQ(g.regs.rax, 9, "the vCPU's rax");
	TEST_ASSERT_EQ(regs(0)->ax, 7, "pid 1's pt_regs.ax, stale in user mode");
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_USER_EFLAGS, 0x202), "OK");
	TEST_ASSERT_EQ(g.regs.rflags, 0x202);
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_USER_CS, 0x10), "E22");
	TEST_ASSERT_STR_EQ(set_reg(1, GDB_USER_ORIG_RAX, 1), "E22");
	TEST_ASSERT(g.regs_dirty, "the vCPU's registers are to be written back");
}

/* G: a change to a register with a home is written; a change to one with
 * none refuses the whole packet, and nothing is written. */
Test(gdb_threads, write_all_registers)
{
	char g_reply[2 * GDB_REGS_BYTES + 1], pkt[2 * GDB_REGS_BYTES + 2];
	TEST_ASSERT_STR_EQ(cmd("Hg3"), "OK");
	strcpy(g_reply, cmd("g"));
	TEST_ASSERT_EQ(strlen(g_reply), 2 * GDB_REGS_BYTES);
	/* What gdb sends for the registers it holds as unavailable: zeros. */
	for (char *c = g_reply; *c; c++)
		if (*c == 'x')
			*c = '0';
	/* rbx := 0xb2 */
	memcpy(g_reply + 2 * gdb_reg_offset(GDB_RBX), "b2", 2);
	snprintf(pkt, sizeof pkt, "G%s", g_reply);
	TEST_ASSERT_STR_EQ(cmd("%s", pkt), "OK");
	TEST_ASSERT_EQ(((uint64_t *)at(FRAME_PA))[4], 0xb2, "switch_to frame's rbx");
	/* and rax := 1, with rbx := 0xb3: refused, rbx stays */
	memcpy(g_reply + 2 * gdb_reg_offset(GDB_RBX), "b3", 2);
	memcpy(g_reply + 2 * gdb_reg_offset(GDB_RAX), "01", 2);
	snprintf(pkt, sizeof pkt, "G%s", g_reply);
	TEST_ASSERT_STR_EQ(cmd("%s", pkt), "E22");
	TEST_ASSERT_EQ(((uint64_t *)at(FRAME_PA))[4], 0xb2, "switch_to frame's rbx");
}
