/* The lab port's message decoding, without KVM: exit statuses, and a hostile
 * guest's messages (bad addresses, lengths, kinds, unterminated text) ending
 * in a verdict or an error code, never a host fault. */
#include "common/fl_assert.h"
#include "common/ram_session.h"
#include "devices/lab.h"
#include "run/config.h"
#include "run/session.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <forklab/abi.h>
#include <stdlib.h>
#include <string.h>

#define MEM (1u << 20)
#define MSG 0x1000u

static struct fl_config cfg;
static struct fl_session s;

static struct fl_lab_msg *setup(uint32_t op)
{
	memset(&cfg, 0, sizeof cfg);
	fl_ram_session(&s, MEM);
	s.cfg = &cfg;
	struct fl_lab_msg *m = (struct fl_lab_msg *)(s.vm.mem + MSG);
	m->op = op;
	return m;
}

static void teardown(void)
{
	free(s.vm.mem);
}

static int exit_with(uint64_t wait_status)
{
	struct fl_lab_msg *m = setup(FL_LAB_EXIT);
	m->arg[0] = wait_status;
	fl_lab_message(&s, MSG);
	TEST_ASSERT(s.done, "EXIT must end the run");
	int status = s.status;
	teardown();
	return status;
}

Test(lab, exit_statuses)
{
	TEST_ASSERT_EQ(exit_with(0), 0);
	TEST_ASSERT_EQ(exit_with(1 << 8), 1);
	TEST_ASSERT_EQ(exit_with(255 << 8), 255);
	TEST_ASSERT_EQ(exit_with(11), 128 + 11);         /* killed by SIGSEGV */
	TEST_ASSERT_EQ(exit_with(9 | 0x80), 128 + 9);    /* core flag ignored */
	TEST_ASSERT_EQ(exit_with(~0ULL), 128 + 127);     /* garbage: still a status, no crash */
}

Test(lab, message_outside_ram)
{
	setup(FL_LAB_EXIT);
	fl_lab_message(&s, MEM - 8); /* the message would run past the end of RAM */
	TEST_ASSERT(s.done);
	TEST_ASSERT_EQ(s.status, FL_EXIT_VERDICT);
	teardown();
}

Test(lab, unknown_op)
{
	setup(0x7777);
	fl_lab_message(&s, MSG);
	TEST_ASSERT(s.done);
	TEST_ASSERT_EQ(s.status, FL_EXIT_VERDICT);
	teardown();
}

Test(lab, write_checks_fd_and_buffer)
{
	struct fl_lab_msg *m = setup(FL_LAB_WRITE);
	m->arg[0] = 5, m->arg[1] = 0x2000, m->arg[2] = 4;
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(m->ret, -EBADF, "fd 5");
	m->arg[0] = 2, m->arg[1] = MEM - 2, m->arg[2] = 4; /* runs past RAM */
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(m->ret, -EFAULT);
	m->arg[1] = 0x2000, m->arg[2] = ~0ULL;            /* a length that wraps */
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(m->ret, -EFAULT);
	TEST_ASSERT(!s.done, "bad writes are errors for the guest, not the end of the run");
	teardown();
}

Test(lab, read_checks_fd_and_buffer)
{
	struct fl_lab_msg *m = setup(FL_LAB_READ);
	m->arg[0] = 1, m->arg[1] = 0x2000, m->arg[2] = 4;
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(m->ret, -EBADF);
	m->arg[0] = 0, m->arg[1] = MEM, m->arg[2] = 1;
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(m->ret, -EFAULT);
	teardown();
}

Test(lab, copy_and_zero_bounds)
{
	struct fl_lab_msg *m = setup(FL_LAB_COPY);
	memset(s.vm.mem + 0x3000, 0xab, 64);
	m->arg[0] = 0x4000, m->arg[1] = 0x3000, m->arg[2] = 64;
	fl_lab_message(&s, MSG);
	TEST_ASSERT(!s.done);
	TEST_ASSERT_EQ(s.vm.mem[0x4000 + 63], 0xab, "the copy happened");
	m->op = FL_LAB_ZERO, m->arg[0] = 0x4000, m->arg[1] = 32;
	fl_lab_message(&s, MSG);
	TEST_ASSERT_EQ(s.vm.mem[0x4000 + 31], 0);
	TEST_ASSERT_EQ(s.vm.mem[0x4000 + 32], 0xab, "only 32 bytes cleared");
	m->op = FL_LAB_COPY, m->arg[0] = MEM - 16, m->arg[1] = 0x3000, m->arg[2] = 64;
	fl_lab_message(&s, MSG);
	TEST_ASSERT(s.done, "a copy past RAM is a guest error");
	TEST_ASSERT_EQ(s.status, FL_EXIT_VERDICT);
	teardown();
}

Test(lab, panic_text_without_terminator)
{
	struct fl_lab_msg *m = setup(FL_LAB_PANIC);
	memset(m->text, 'x', sizeof m->text); /* no NUL anywhere */
	fl_lab_message(&s, MSG);
	TEST_ASSERT(s.done);
	TEST_ASSERT_EQ(s.status, FL_EXIT_VERDICT);
	teardown();
}

Test(lab, event_of_unknown_kind)
{
	struct fl_lab_msg *m = setup(FL_LAB_EVENT);
	m->event.kind = FL_EV_KINDS + 3;
	fl_lab_message(&s, MSG);
	TEST_ASSERT(s.done);
	TEST_ASSERT_EQ(s.status, FL_EXIT_VERDICT);
	teardown();
}

/* Found by tests/fuzz/lab.c: a message at an odd address had its ret stored
 * through a misaligned struct pointer (undefined behaviour: `make test
 * SANITIZE=1` runs this under UBSan). The guest may name any address. */
Test(lab, message_at_unaligned_address)
{
	setup(0);
	struct fl_lab_msg m = { .op = FL_LAB_WRITE, .arg = { 7, 0x2000, 1 } };
	memcpy(s.vm.mem + MSG + 1, &m, sizeof m);
	fl_lab_message(&s, MSG + 1);
	int64_t ret;
	memcpy(&ret, s.vm.mem + MSG + 1 + offsetof(struct fl_lab_msg, ret), sizeof ret);
	TEST_ASSERT_EQ(ret, -EBADF);
	TEST_ASSERT(!s.done);
	teardown();
}
