/* Reading guest kernel state from the host: kernel symbols map linearly onto
 * guest-physical memory (abi.h), and every read is bounds-checked. */
#include "session.h"

#include <forklab/abi.h>
#include <string.h>

int fl_read_kstate(const struct fl_session *s, struct fl_kstate *out)
{
	uint64_t va;
	if (!s->kernel || fl_kernel_symbol(s->kernel, FL_KSTATE_SYMBOL, &va) < 0 ||
	    va < FL_KERNEL_VBASE)
		return -1;
	const void *p = fl_gpa(&s->vm, va - FL_KERNEL_VBASE, sizeof *out);
	if (!p)
		return -1;
	memcpy(out, p, sizeof *out);
	return 0;
}
