/* A session over zeroed guest RAM and no vCPU (vcpu_fd -1: register reads
 * fail, a verdict prints zeroed registers): what the unit tests drive the
 * VMM's readers and decoders against, with page tables built by hand. */
#ifndef FL_RAM_SESSION_H
#define FL_RAM_SESSION_H

#include "common/fl_assert.h"
#include "run/session.h"

#include <stdlib.h>

static inline void fl_ram_session(struct fl_session *s, size_t mem)
{
	*s = (struct fl_session){ 0 };
	s->vm.mem = calloc(1, mem);
	s->vm.mem_size = mem;
	s->vm.vcpu_fd = -1;
	TEST_ASSERT_NE(s->vm.mem, NULL);
}

#endif
