/* The kernel's side of the lab port: a message in kernel memory, its physical
 * address written to FL_PORT_LAB, the reply read back from the same message. */
#include "arch.h"
#include "lab.h"

static struct fl_lab_msg msg __attribute__((aligned(64)));

s64 lab_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3)
{
	msg.op = op;
	msg.arg[0] = a0, msg.arg[1] = a1, msg.arg[2] = a2, msg.arg[3] = a3;
	outl(FL_PORT_LAB, (u32)__pa(&msg));
	return msg.ret;
}

static void set_text(const char *text)
{
	size_t n = MIN(strlen(text), FL_LAB_TEXT_MAX - 1);
	memcpy(msg.text, text, n);
	msg.text[n] = 0;
}

s64 lab_call_text(u32 op, const char *text, u64 a0, u64 a1, u64 a2, u64 a3)
{
	set_text(text);
	return lab_call(op, a0, a1, a2, a3);
}

void lab_event(const struct fl_event *ev)
{
	msg.op = FL_LAB_EVENT;
	msg.event = *ev;
	outl(FL_PORT_LAB, (u32)__pa(&msg));
}

void lab_panic(const struct fl_panic_frame *f, const char *text)
{
	msg.op = FL_LAB_PANIC;
	msg.panic = *f;
	set_text(text);
	for (;;)
		outl(FL_PORT_LAB, (u32)__pa(&msg));
}
