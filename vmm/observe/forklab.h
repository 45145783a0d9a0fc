/* The host-side C API in one header: configure a run, hook the kernel's
 * events, read guest state, and launch. A test reads like a story:
 *
 *	struct fl_config c;
 *	fl_config_init(&c, "build", "fork-demo");
 *	fl_hook_add(&c, FL_EV_RETURN, on_return, &seen);
 *	status = fl_launch(&c);
 *
 * and asserts on what its hooks saw (tests/common/fl_assert.h). Nothing in
 * vmm/ includes this header: each file includes the parts it uses. */
#ifndef FORKLAB_H
#define FORKLAB_H

#include "observe/api.h"
#include "observe/events.h"
#include "observe/inspect.h"
#include "observe/symbols.h"
#include "observe/verify.h"
#include "run/config.h"
#include "run/launch.h"

#endif
