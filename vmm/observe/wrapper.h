/* The libc vfork wrapper check (--verify, at every vfork whose child runs on
 * its parent's stack): seed 002's rule, that the wrapper holds its own
 * return address in a register across the system call, never only on the
 * stack the child shares, and pushes it back before it returns, on the
 * parent's path and on the child's. */
#ifndef FL_WRAPPER_H
#define FL_WRAPPER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fl_session;

struct fl_wrapper_result {
	bool checked;         /* false: no symbol holds the syscall, nothing to read */
	bool ok;
	uint64_t syscall;     /* the syscall instruction's address */
	char how[160];        /* what held the return address, or what broke the rule */
};

/* user_rip: the instruction after the parent's syscall (its pt_regs ip) in
 * the program mapped at cr3; child_pid: what the parent's rax will be. Walks
 * the wrapper from its symbol's start to the syscall, then each path after
 * it with the parent's and the child's rax, and prints the wrapper's listing
 * on out (unless NULL), each line after prefix, with the instructions the
 * rule rests on marked "=>" and annotated. */
void fl_wrapper_check(struct fl_session *s, uint64_t cr3, uint64_t user_rip, int64_t child_pid,
		      const char *prefix, FILE *out, struct fl_wrapper_result *res);

#endif
