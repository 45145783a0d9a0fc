/* Kernel messages on the serial console (only with the "verbose" bootarg,
 * since every byte is an exit), and panics, which always reach the host. */
#include "arch.h"
#include "lab.h"
#include "task.h"

bool verbose;

static char *put_num(char *p, char *end, u64 v, int base, int width, char pad, bool neg)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n && p < end)
		*p++ = pad;
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

/* The subset the kernel uses: %s %c %d %u %x %p with l/ll, width, 0 and #. */
int vsnprintf(char *buf, size_t size, const char *f, va_list ap)
{
	char *p = buf, *end = buf + size - 1;
	for (; *f && p < end; f++) {
		if (*f != '%') {
			*p++ = *f;
			continue;
		}
		bool alt = false, lng = false;
		char pad = ' ';
		int width = 0;
		for (f++; *f == '#' || *f == '0'; f++)
			*f == '#' ? (alt = true) : (pad = '0');
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + *f - '0';
		for (; *f == 'l'; f++)
			lng = true;
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s && p < end; s++)
				*p++ = *s;
			break;
		}
		case 'c':
			*p++ = (char)va_arg(ap, int);
			break;
		case 'd': {
			s64 v = lng ? va_arg(ap, long) : va_arg(ap, int);
			p = put_num(p, end, v < 0 ? -(u64)v : (u64)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			p = put_num(p, end, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width, pad, false);
			break;
		case 'p':
			alt = lng = true;
			/* fall through */
		case 'x':
			if (alt && p + 2 < end)
				*p++ = '0', *p++ = 'x';
			p = put_num(p, end, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width, pad, false);
			break;
		default:
			*p++ = *f ? *f : '%';
			if (!*f)
				f--;
		}
	}
	*p = 0;
	return p - buf;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

void printk(const char *fmt, ...)
{
	if (!verbose)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (char *c = buf; *c; c++)
		outb(FL_PORT_SERIAL, *c);
}

void panic_regs(const struct pt_regs *regs, const char *fmt, ...)
{
	char buf[FL_LAB_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	u64 rsp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	struct fl_panic_frame f = {
		.rip = regs ? regs->ip : (u64)__builtin_return_address(0),
		.rsp = regs ? regs->sp : rsp, .cs = regs ? regs->cs : FL_KERNEL_CS,
		.cr2 = read_cr2(), .cr3 = read_cr3(), .error = regs ? regs->orig_ax : 0,
		.pid = current ? current->pid : -1,
	};
	lab_panic(&f, buf);
}
