/* forklab's gdb stub: `forklab run --gdb ADDR`. The vCPU loop hands it debug
 * exits and interrupted KVM_RUNs; while the guest is stopped it serves gdb's
 * packets (commands.c) and then resumes the vCPU with the breakpoints, the
 * watchpoints and the single-step flag gdb asked for. Without --gdb none of
 * this exists: session.gdb is NULL. */
#ifndef FL_GDB_STUB_H
#define FL_GDB_STUB_H

#include "gdb/access.h"
#include "gdb/packet.h"
#include "gdb/regs.h"
#include "gdb/threads.h"
#include "gdb/xfer.h"
#include "kvm/step.h"
#include "run/session.h"

#include <signal.h>
#include <stdbool.h>
#include <linux/kvm.h>

/* How a software breakpoint (Z0) stops the guest: the one place that knows
 * host kinds apart (probe.c gdb_bp_method_for).
 * - GDB_BP_DR: a debug register while one of the four is free, then int3.
 *   Hardware KVM's choice where its probe sees a debug register fire.
 * - GDB_BP_INT3: int3 in guest memory and KVM_GUESTDBG_USE_SW_BP.
 * - GDB_BP_STEP: single-step the kernel until RIP is a breakpoint's. PVM's
 *   choice: a kernel int3 ends the VM there (KVM_EXIT_INTERNAL_ERROR) and
 *   there are no debug registers, but its kernel code is emulated anyway and
 *   its user code is never single-stepped. Also the nested bed's: QEMU's TCG
 *   gives a nested hypervisor neither a guest's int3 (it checks the
 *   software-interrupt intercept, not #BP's) nor its debug registers. */
enum gdb_bp_method { GDB_BP_DR, GDB_BP_INT3, GDB_BP_STEP };
/* Runs the probe in a VM not yet booted. */
enum gdb_bp_method gdb_bp_method_for(struct fl_vm *vm);

#define GDB_MAX_SW_BP 64
#define GDB_MAX_TIDS 256

struct fl_gdb {
	struct fl_session *s;
	const char *addr;
	int listen_fd, fd;          /* fd -1: no gdb attached */
	struct gdb_decoder dec;
	bool noack;
	enum gdb_bp_method bp_method;
	struct gdb_ktypes kt;
	/* While the guest is stopped: the vCPU's state, and gdb's choices. */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	bool have_fpu, regs_dirty;
	char stop_reply[96];
	int cur_tid;                /* the task on the vCPU */
	int g_tid, c_tid;           /* Hg and Hc: 0 means cur_tid */
	int tids[GDB_MAX_TIDS], ntids, tid_next; /* q[fs]ThreadInfo's listing */
	/* qXfer:threads:read's document: made at offset 0 and served from here
	 * in pieces, so that they fit together, until the guest runs again. */
	char threads_xml[GDB_THREAD_XML_MAX(GDB_MAX_TIDS)];
	size_t threads_xml_len;
	bool threads_xml_ok;
	struct gdb_sw_bp {
		uint64_t addr, gpa;
		enum gdb_bp_method how;
		uint8_t saved;      /* GDB_BP_INT3: the byte under the int3 */
		bool inserted;
	} sw[GDB_MAX_SW_BP];
	int nsw;
	/* Z1-Z4 in the debug registers; where breakpoints single-step, checked
	 * at each step: a Z1's address against RIP, a Z2's bytes as read
	 * through cr3 (the page tables of the thread gdb had selected) against
	 * old, a Z3's and a Z4's range against what the instruction about to
	 * run touches (access.h), decoded with cs into insn; a match is
	 * watch_hit, the stop reply's reason once the step is done. */
	struct gdb_hw_bp { uint64_t addr, cr3, old; int type, len; bool used, z0; } hw[4];
	csh cs;
	cs_insn *insn;              /* NULL: no capstone, Z3 and Z4 refused */
	char watch_hit[48];
	bool stepping;
	struct fl_step step;
	bool killed;
	char last[2 * GDB_PACKET_MAX + 8]; /* the last reply's frame, for a '-' */
	size_t last_len;
};

/* What a packet asks the stub to do after its reply. */
enum gdb_action { GDB_ACT_REPLY, GDB_ACT_CONTINUE, GDB_ACT_STEP, GDB_ACT_DETACH, GDB_ACT_KILL };

/* Handles one packet while the guest is stopped (commands.c): the reply's
 * payload goes to out (at most GDB_PACKET_MAX bytes, NUL-terminated); resume
 * actions have none. Never fails: bad input is an error reply. */
enum gdb_action gdb_command(struct fl_gdb *g, const char *pkt, size_t len, char *out);

/* The CR3 through which gdb's memory accesses go: the selected thread's. */
uint64_t gdb_thread_cr3(struct fl_gdb *g);
int gdb_thread_regs(struct fl_gdb *g, int tid, struct gdb_regfile *f);
/* Whether register regno of thread tid has a home to write it to: the live
 * vCPU's registers that KVM lets us set, or where a task's saved state
 * keeps it (threads.h gdb_task_reg_home). The write itself returns -1 for
 * no home or a kernel address that is not mapped. */
bool gdb_thread_reg_writable(struct fl_gdb *g, int tid, int regno);
int gdb_thread_reg_write(struct fl_gdb *g, int tid, int regno, const uint8_t *bytes);
/* tid 0 or -1: the running task; else whether the task is live. */
bool gdb_thread_alive(struct fl_gdb *g, int tid);
/* Software and hardware breakpoints (stub.c); -1 when refused. */
int gdb_bp_insert(struct fl_gdb *g, int type, uint64_t addr, uint64_t kind);
int gdb_bp_remove(struct fl_gdb *g, int type, uint64_t addr, uint64_t kind);

/* The session's side (launch.c, vcpu.c). fl_gdb_open, before boot, probes
 * the breakpoint method and listens (NULL with a reason); fl_gdb_start waits for gdb unless --gdb-nowait and serves it
 * until it resumes the guest. */
struct fl_gdb *fl_gdb_open(struct fl_session *s, char *err, size_t errlen);
void fl_gdb_start(struct fl_gdb *g);
/* A KVM_EXIT_DEBUG. */
void fl_gdb_debug_exit(struct fl_gdb *g);
/* KVM_RUN returned EINTR: if gdb's SIGIO caused it, handle what gdb sent
 * (^C, a connection) and return true. */
bool fl_gdb_interrupted(struct fl_gdb *g);
/* At the end of the run: W or X to gdb, then close. */
void fl_gdb_close(struct fl_gdb *g);

#endif
