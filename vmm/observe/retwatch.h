/* Where a resumed vfork parent's ret really goes, for --explain (retwatch.c):
 * from the task's return to user mode the vCPU single-steps it (kvm/step.c,
 * as the gdb stub steps) until it executes a ret whose RSP is at or above
 * the return slot of the frame that called vfork, or it exits, or
 * FL_RET_STEPS steps are spent. Steps pause while another task runs. */
#ifndef FL_RETWATCH_H
#define FL_RETWATCH_H

#include "kvm/step.h"
#include "run/session.h"

#include <forklab/abi.h>
#include <stdbool.h>
#include <stdint.h>

/* Steps before a watch gives up: a few seconds in the nested bed, where
 * vfork-demo's 3,145 took 0.6 to 1.3 s. */
#define FL_RET_STEPS 10000

enum fl_ret_end {
	FL_RET_TAKEN,   /* the ret ran: rip, sp and target are set */
	FL_RET_BUDGET,  /* FL_RET_STEPS steps and no such ret */
	FL_RET_EXITED,  /* the task exited, or was killed, first */
};

struct fl_ret_seen {
	enum fl_ret_end end;
	uint64_t rip;       /* the ret's address */
	uint64_t sp;        /* RSP at the ret: the slot it popped */
	uint64_t target;    /* RIP after it: where it went */
	unsigned steps;     /* single steps taken, kernel ones included */
};

typedef void (*fl_ret_done_fn)(struct fl_session *s, const struct fl_ret_seen *seen, void *arg);

struct fl_retwatch {
	bool active;        /* a watch is under way */
	bool running;       /* its task is on the vCPU: steps are armed */
	uint64_t task, slot;
	struct fl_step step;
	bool ret_next;      /* the instruction about to run is that ret */
	struct fl_ret_seen seen;
	fl_ret_done_fn done;
	void *arg;
};

/* Why this session cannot step user code (a phrase), or NULL if it can. */
const char *fl_retwatch_unavailable(const struct fl_session *s);

/* At a FL_EV_RETURN of task (the vCPU about to enter its user code): watch
 * it for a ret with RSP >= slot; done gets the outcome once. -1, and nothing
 * started, while another watch is under way. */
int fl_retwatch_start(struct fl_session *s, struct fl_retwatch *w, uint64_t task, uint64_t slot,
		      fl_ret_done_fn done, void *arg);

/* Every event while a watch may be under way: SCHED_IN pauses or resumes
 * the steps, the task's EXIT ends the watch. */
void fl_retwatch_event(struct fl_session *s, struct fl_retwatch *w, const struct fl_event *ev);

#endif
