/* Issue 12, Medium 6 and 7: work on a VMA is bounded by its pages and page
 * tables, not its length. guest-user/bigvma maps 64 TiB and touches a page at
 * each end; a walk per 4 KiB page of that (2^34 of them) never ends. */
#include "common/forklab_run.h"

#include <stdio.h>

/* Medium 6: --verify walked every page of each VMA at a fork (check_cow),
 * for minutes past --timeout; it walks present entries only now. */
Test(bounded, verify_huge_vma)
{
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--verify", "--timeout", "60", "bigvma", "fork");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "fork: the child saw both pages\n");
	TEST_ASSERT_RUN_MATCHES(r, err, "^verify: #1 PASS mm.cow_shared +expected read-only, one frame "
				"+actual [0-9]+ pages read-only, one frame$");
}

/* Medium 7: mprotect found the VMA once per page of its range; it works a
 * VMA and a page table at a time now. msync had the same loop (seen while
 * looking into sysfuzz's stalls). Semantics as Linux's (the same program natively prints the same). */
Test(bounded, mprotect_huge_range)
{
	struct fr_opts o = { .guard_s = 120 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--timeout", "60", "bigvma", "mprotect");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "read-only: read 1 1, write Segmentation fault\n"
			   "read-write: write ok, msync 0\n");
}

/* Item 7's second half: long kernel work reaches preemption points.
 * guest-user/preempt repeats a long call (a tick must land in it) until a
 * spinner process has read the free-page count in its middle, which only a
 * yield inside the call allows: before the preemption points it never did
 * (60 rounds each). The bed runs without icount, so the test asks only
 * whether the spinner ran during the call at all, in up to 90 s of rounds
 * (a run limited to 60 rounds once found no tick in any). */
static void preempt_run(const char *op, const char *mib, const char *want)
{
	struct fr_opts o = { .guard_s = 240 };
	struct fr_result r = FORKLAB_WITH(o, "run", "--mem", "1G", "--timeout", "200", "preempt", op,
					 mib);
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, want);
}

/* fork=copy's copy of the parent's tables yields between 16 MiB chunks. */
Test(bounded, preempt_fork)
{
	preempt_run("fork", "256", "fork 256 MiB: the spinner ran during the call\n");
}

/* munmap's walk yields after each page table. */
Test(bounded, preempt_munmap)
{
	preempt_run("munmap", "64", "munmap 64 MiB: the spinner ran during the call\n");
}

/* So does exit's release of the address space. */
Test(bounded, preempt_exit)
{
	preempt_run("exit", "64", "exit 64 MiB: the spinner ran during the call\n");
}

/* exec yields after each page of the program it copies in (exec_lock keeps
 * its buffers meanwhile). Without the preemption point the spinner never ran
 * during a 64 MiB exec. */
Test(bounded, preempt_exec)
{
	preempt_run("exec", "64", "exec 64 MiB: the spinner ran during the call\n");
}

/* Two execs at once, each yielding while it loads: the second waits on
 * exec_lock for the first's static buffers. Without the lock the first
 * image got the second's argv. */
Test(bounded, preempt_exec_pair_keeps_each_argv)
{
	preempt_run("exec-pair", "32", "exec-pair: 20 rounds, each image with its own arguments\n");
}

/* A read of a tmpfs file yields after each page: here into fresh memory,
 * whose pages the copy makes as it goes. */
Test(bounded, preempt_read)
{
	preempt_run("read", "64", "read 64 MiB: the spinner ran during the call\n");
}

/* Freeing a file's pages (truncate, and unlink of its last name) yields
 * after each index leaf, 512 pages. */
Test(bounded, preempt_truncate)
{
	preempt_run("truncate", "64", "truncate 64 MiB: the spinner ran during the call\n");
}

/* Reads through one shared file offset, each of them yielding: the inode's
 * lock makes each call's offset its own, so every 1 MiB block is read
 * whole, by one of the two. */
Test(bounded, preempt_read_shared_offset)
{
	preempt_run("read-shared", "16", "read-shared: 20 rounds, each block read whole and once\n");
}

/* A fork cut up by yields is still one instant's copy for a sibling thread
 * that writes meanwhile: its first write to a page already copied faults and
 * waits on the mm lock until the fork is done. Without the lock the child
 * saw the last word far ahead of the first. */
Test(bounded, preempt_fork_snapshot)
{
	preempt_run("snapshot", "256", "snapshot 256 MiB: the spinner ran during the call\n");
}

/* Record locks come from a fixed pool of 128 (guest-kernel/fs/locks.c):
 * ENOLCK past it, as Linux's ENOLCK when it cannot allocate a lock; an
 * unlock that splits a lock needs one too; a close gives them back. */
Test(bounded, lock_pool_enolck)
{
	struct fr_result r = FORKLAB("run", "--timeout", "60", "locks", "enolck");
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ(r, out, "locks taken: 128, then No locks available\n"
			   "an unlock that splits a lock is ENOLCK: ok\n"
			   "an unlock of a whole lock works: ok\n"
			   "then a new lock fits: ok\n"
			   "after the close: 128 locks\n");
}

