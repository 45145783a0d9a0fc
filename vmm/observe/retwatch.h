/* Where a resumed vfork parent's ret really goes, for --explain (retwatch.c):
 * from the task's return to user mode the vCPU single-steps it (kvm/step.c,
 * as the gdb stub steps) until it executes a ret with RSP at the return slot
 * of the frame that called vfork, or its RSP rises above that slot without
 * one (longjmp, a stack switch: the frame is gone, and a later ret from the
 * slot would be another frame's, a call made from the caller reusing it),
 * or it exits, or FL_RET_STEPS steps are spent. So the ret reported pops
 * the slot itself: a ret above it would need RSP above it first, which a
 * step sees at the instruction that moved it. Steps pause while another
 * task runs. Each step reads the slot, to tell which instruction last
 * changed it. */
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
	FL_RET_LEFT,    /* RSP rose above the slot with no ret: left_rip, left_sp */
	FL_RET_BUDGET,  /* FL_RET_STEPS steps and no such ret */
	FL_RET_EXITED,  /* the task exited, or was killed, first */
};

struct fl_ret_seen {
	enum fl_ret_end end;
	uint64_t rip;       /* the ret's address */
	uint64_t sp;        /* RSP at the ret: the slot it popped */
	uint64_t target;    /* RIP after it: where it went */
	/* The user instruction that moved RSP above the slot, and RSP after it. */
	uint64_t left_rip, left_sp;
	/* The instruction, user or kernel (a system call's copy), after which
	 * the slot last held a new word; 0: it changed while the task was off
	 * the vCPU, or never did. */
	uint64_t writer;
	unsigned steps;     /* single steps taken, kernel ones included */
};

typedef void (*fl_ret_done_fn)(struct fl_session *s, const struct fl_ret_seen *seen, void *arg);

struct fl_retwatch {
	bool active;        /* a watch is under way */
	bool running;       /* its task is on the vCPU: steps are armed */
	uint64_t task, cr3, slot;
	uint64_t word;      /* the slot's word last read */
	uint64_t step_rip;  /* RIP at the last step: the instruction the next one runs */
	uint64_t user_rip;  /* RIP at the last step in user mode */
	struct fl_step step;
	bool ret_next;      /* the instruction about to run is that ret */
	struct fl_ret_seen seen;
	fl_ret_done_fn done;
	void *arg;
};

/* Why this session cannot step user code (a phrase), or NULL if it can. */
const char *fl_retwatch_unavailable(const struct fl_session *s);

/* At a FL_EV_RETURN of task (the vCPU about to enter its user code): watch
 * it for a ret from slot, which holds word in the address space at cr3;
 * done gets the outcome once. -1, and nothing started, while another watch
 * is under way. */
int fl_retwatch_start(struct fl_session *s, struct fl_retwatch *w, uint64_t task, uint64_t cr3,
		      uint64_t slot, uint64_t word, fl_ret_done_fn done, void *arg);

/* Every event while a watch may be under way: SCHED_IN pauses or resumes
 * the steps, the task's EXIT ends the watch. */
void fl_retwatch_event(struct fl_session *s, struct fl_retwatch *w, const struct fl_event *ev);

#endif
