/* The one header shared by the guest kernel and the host VMM: boot layout,
 * I/O ports, lab messages and the register frame. Nothing else crosses. */
#ifndef FORKLAB_ABI_H
#define FORKLAB_ABI_H

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stddef.h>
#endif

/* ---- Guest-physical layout at boot (the VMM builds it, the kernel trusts it) ---- */
#define FL_BOOT_AREA      0x1000UL   /* [this, FL_FDT_PADDR): VMM boot page tables */
#define FL_FDT_PADDR      0x10000UL  /* flattened device tree, at most FL_FDT_MAX */
#define FL_FDT_MAX        0x10000UL
#define FL_KERNEL_PADDR   0x200000UL /* kernel image load address */
#define FL_MEM_MIN        (16UL << 20)
#define FL_MEM_MAX        (3UL << 30)  /* stays below the 32-bit MMIO hole */

/* Kernel virtual layout, as Linux has it. */
#define FL_KERNEL_VBASE   0xffffffff80000000UL /* image: VA = PA + FL_KERNEL_VBASE */
#define FL_PAGE_OFFSET    0xffff888000000000UL /* direct map of all guest RAM */
#define FL_USER_TOP       0x00007ffffffff000UL
/* User mappings stay above the first 64 KiB and out of the PML4 slot whose
 * tables every address space shares (the PVM trampoline's, reserved on
 * every host); static-PIE programs load at FL_DYN_BASE. */
#define FL_MMAP_MIN_ADDR  0x10000UL
#define FL_RESERVED_START (254UL << 39)
#define FL_RESERVED_END   (255UL << 39)
#define FL_DYN_BASE       0x0000555555554000UL

/* The boot page tables map [FL_KERNEL_VBASE, +1 GiB) to physical [0, 1 GiB)
 * with 2 MiB pages; the kernel entry runs there with RDI = FDT physical address.
 * All guest memory the VMM did not write is zero (the kernel relies on it for
 * .bss and for never-used pages). */

/* Kernel stacks. */
#define FL_KSTACK_SIZE 16384

/* ---- I/O ports ---- */
#define FL_PORT_SERIAL    0x3f8  /* 16550 subset: kernel log and panics */
#define FL_PORT_LAB       0x510  /* outl of a struct fl_lab_msg physical address */

/* ---- Events (bootarg "trace"): what the host verifies and tests hook ---- */

/* A kernel store to this page is the return-to-user event: it comes after
 * every user register is restored and just before iretq, so the host reads
 * the task's real registers and, at the kernel RSP, the iret frame. */
#define FL_EVENT_MMIO_GPA 0xfe000000UL
#define FL_EVENT_MMIO_VA  0xffffffffc0000000UL

/* ---- FDT properties under /chosen, besides bootargs and linux,initrd-* ---- */
#define FL_FDT_HOST_KIND  "forklab,host-kind"  /* string: "kvm" or "pvm" */
#define FL_FDT_LAB_PORT   "forklab,lab-port"   /* u32 */
#define FL_FDT_TSC_KHZ    "forklab,tsc-khz"    /* u32 */
#define FL_FDT_INIT_ARGV  "forklab,init-argv"  /* string list: path, args... */
#define FL_FDT_INIT_ENVP  "forklab,init-envp"  /* string list: NAME=VALUE... */
#define FL_FDT_INIT_CWD   "forklab,init-cwd"   /* string: pid 1's working directory */
#define FL_FDT_REALTIME   "forklab,realtime-ns" /* u64: the host's CLOCK_REALTIME at boot */

/* A new program's argv and envp, for execve and for pid 1 alike: at most
 * FL_ARG_MAX strings each, argv[0] included (Linux's limit is far larger: a
 * quarter of the stack limit, in bytes). pid 1's strings travel in the FDT:
 * at most FL_INIT_ARG_BYTES of them, NULs included. */
#define FL_ARG_MAX        256
#define FL_INIT_ARG_BYTES (48UL << 10) /* with --append, within FL_FDT_MAX */
/* --append's bytes: Linux's x86 command line holds 2048 with the NUL. */
#define FL_APPEND_MAX     2000

/* Segment selectors: the Linux GDT layout. */
#define FL_KERNEL_CS 0x10
#define FL_KERNEL_DS 0x18
#define FL_USER32_CS 0x23
#define FL_USER_DS   0x2b
#define FL_USER_CS   0x33
#define FL_TSS_SEL   0x40

#ifndef __ASSEMBLY__
/* ---- Lab messages: guest kernel -> VMM. Honoured only from CPL0. ---- */
enum fl_lab_op {
	FL_LAB_EXIT = 1,     /* arg0 = wait status of pid 1 (Linux encoding); ends the run */
	FL_LAB_PANIC,        /* text = message, panic = frame; ends the run with a verdict */
	FL_LAB_WRITE,        /* arg0 = fd (1 or 2), arg1 = phys addr, arg2 = len; ret = len */
	FL_LAB_READ,         /* arg0 = fd 0, arg1 = phys addr, arg2 = len; ret = bytes or -errno */
	FL_LAB_KILLED,       /* arg0 = pid, arg1 = signal, arg2 = rip, arg3 = fault addr */
	FL_LAB_ZERO,         /* arg0 = phys addr, arg1 = len: clear guest RAM (PVM fast path) */
	FL_LAB_COPY,         /* arg0 = dst, arg1 = src phys addr, arg2 = len (PVM fast path) */
	FL_LAB_BOOTED,       /* arg0 = TSC at kernel entry, arg1 = TSC at init's exec */
	FL_LAB_EVENT,        /* event = a struct fl_event */
	FL_LAB_FPU,          /* arg0 = phys addr to save the vCPU's XSAVE state to (0: none),
	                        arg1 = phys addr to load it from (0: none); FL_FPU_AREA bytes
	                        each, KVM's standard-format struct kvm_xsave (PVM hosts) */
	FL_LAB_OOM,          /* the OOM killer chose a process: arg0 = pid, arg1 = its pages of
	                        address space, arg2 = pages mapped, arg3 = page-table pages;
	                        text = its command name */
};
#define FL_FPU_AREA 4096
/* The XCR0 bits the kernel enables where the CPU has them: x87, SSE, AVX and
 * AVX-512's three components (all three or none); not MPX, PKRU or AMX. */
#define FL_XFEATURES 0xe7ULL
#define FL_XFEATURES_AVX512 0xe0ULL

enum fl_event_kind {
	FL_EV_CLONE = 1,     /* task: the parent; .clone */
	FL_EV_RETURN,        /* (MMIO) task: current, at its first user instruction after a clone */
	FL_EV_EXEC,          /* task: current; .exec */
	FL_EV_EXIT,          /* task: current; .exit */
	FL_EV_VFORK_WAIT,    /* task: the parent, about to sleep; .vfork.other is the child */
	FL_EV_VFORK_RELEASE, /* task: the child, releasing its parent; .vfork.other is the parent */
	FL_EV_SCHED_IN,      /* task: the one switched to, running on its own stack */
	FL_EV_COW,           /* task: current, after a write fault on a COW page; .cow */
	FL_EV_PT_COPY,       /* task: current, after taking back a table fork=shared shared; .pt_copy */
	FL_EV_SIGNAL,        /* task: current, its handler's frame written, its pt_regs still
	                        the interrupted ones; .signal */
	FL_EV_SIGRETURN,     /* task: current, rt_sigreturn done, pt_regs restored; .signal
	                        (sig and handler 0) */
	FL_EV_IDLE,          /* task: current, back from the idle loop, where no task ran
	                        from .idle.since (a TSC value) until now */
	FL_EV_VFORK_WATCH,   /* (bootarg vfork.sanitize) task: the vfork parent, its stack
	                        pages write-protected for the child's run; .vfork_watch */
	FL_EV_VFORK_WRITE,   /* (bootarg vfork.sanitize) task: the writer, after its write
	                        to a watched page completed; .vfork_write */
	FL_EV_KINDS
};
#define FL_CLONE_KTHREAD (1ULL << 63) /* .clone.flags of a kernel thread */

/* Each kind's payload. Task addresses are kernel VAs of struct task. */
struct fl_ev_clone {
	uint64_t child;       /* the child task */
	int64_t child_pid;
	uint64_t flags;       /* clone's flags (CLONE_*, linux.h), or FL_CLONE_KTHREAD */
	uint64_t stack;       /* clone's stack argument; a kernel thread's function */
	uint64_t tls;         /* clone's tls argument; a kernel thread's argument */
	uint64_t frame;       /* where copy_thread put the child's struct pt_regs */
};
struct fl_ev_exec {
	uint64_t mm;          /* the new struct mm */
};
struct fl_ev_exit {
	int64_t wait_status;  /* Linux encoding */
};
struct fl_ev_vfork {
	uint64_t other;       /* the task on the other side of the vfork */
};
struct fl_ev_cow {
	uint64_t va;          /* the faulting user address */
	uint64_t old_frame;   /* the shared frame's physical address */
	uint64_t new_frame;   /* the writer's frame now: == old_frame when the last
	                         holder got the page back without a copy */
};

struct fl_ev_pt_copy {
	uint64_t va;          /* the 2 MiB region the last-level table maps */
	uint64_t old_table;   /* the shared table's physical address */
	uint64_t new_table;   /* the mm's table now: == old_table when its last
	                         holder got it back without a copy */
};
struct fl_ev_signal {
	int64_t sig;
	uint64_t frame;       /* user address of the struct rt_sigframe (Linux's layout) */
	uint64_t handler;
};
struct fl_ev_idle {
	uint64_t since;       /* the TSC when the CPU went idle */
};

/* The vfork sanitizer: while a vfork child runs, the parent's user stack
 * from `start` to the end of its VMA is write-protected in the shared page
 * tables; every write there traps, is reported, and completes. */
struct fl_ev_vfork_watch {
	uint64_t child;       /* the child task */
	uint64_t sp;          /* the parent's user RSP at the vfork */
	uint64_t start;       /* first watched byte: sp, or the stack clone gave a
	                         child inside the parent's stack (posix_spawn) */
	uint64_t end;         /* the end of the stack's VMA */
	uint64_t pages;       /* pages write-protected */
};
#define FL_VFORK_WRITE_KERNEL ((uint64_t)1 << 63) /* .info: a kernel write for a system call
                                              (info's low bits: its number); new unknown */
struct fl_ev_vfork_write {
	uint64_t addr;        /* the faulting address */
	uint64_t old, new;    /* the aligned 8 bytes holding addr, before and after */
	uint64_t rip, sp;     /* the writer's user RIP (of the writing instruction) and RSP */
	uint64_t info;        /* 0, or FL_VFORK_WRITE_KERNEL | system call number */
};

struct fl_event {
	uint32_t kind;
	int32_t pid;          /* of task */
	uint64_t task;        /* kernel VA of the task it is about */
	union {               /* by kind; SCHED_IN and RETURN have none */
		struct fl_ev_clone clone;
		struct fl_ev_exec exec;
		struct fl_ev_exit exit;
		struct fl_ev_vfork vfork;
		struct fl_ev_cow cow;
		struct fl_ev_pt_copy pt_copy;
		struct fl_ev_signal signal;
		struct fl_ev_idle idle;
		struct fl_ev_vfork_watch vfork_watch;
		struct fl_ev_vfork_write vfork_write;
	};
};

struct fl_panic_frame {
	uint64_t rip, rsp, cr2, cr3, cs, error;
	int64_t pid;           /* -1 if no task was running */
};

#define FL_LAB_TEXT_MAX 160

struct fl_lab_msg {
	uint32_t op;
	uint32_t pad;
	uint64_t arg[4];
	int64_t ret;
	struct fl_event event;
	struct fl_panic_frame panic;
	char text[FL_LAB_TEXT_MAX]; /* NUL-terminated within the buffer, or cut */
};

/* ---- Task and address-space layouts the host reads (kernel: task.h, mm.h) ---- */

/* The thread record, as in the seeds: saved kernel sp, resume ip, and sp0,
 * the kernel stack top loaded into TSS.rsp0 when the task runs. */
struct fl_thread {
	uint64_t sp, ip, sp0, fsbase;
};

/* The head of the kernel's struct task: these fields at these offsets (the
 * kernel asserts it). */
struct fl_task_head {
	struct fl_thread thread;
	int32_t pid, tgid;
	int32_t state;        /* 1 running, 2 sleeping, 3 zombie, 4 dead */
	uint8_t trace_return; /* emit an event at the next return to user mode */
	uint8_t kthread;
	uint16_t pad_;
	uint64_t mm;          /* kernel VA of the struct mm, 0 for kernel threads */
	uint64_t stack;       /* kernel VA of the kernel stack's lowest byte */
};

/* struct fl_vma's flags (the kernel's own encoding, not Linux's). */
#define VM_READ      1
#define VM_WRITE     2
#define VM_EXEC      4
#define VM_GROWSDOWN 8
#define VM_SHARED    16 /* MAP_SHARED: pages stay shared and writable across fork */
#define VM_NOMAYWRITE 32 /* MAP_SHARED of a file not open for writing: mprotect
			  * may not add PROT_WRITE (Linux's VM_MAYWRITE clear) */
#define VM_PAST_EOF  64 /* a file mapping's pages past the end of the file: a
			  * fault raises SIGBUS */

struct fl_vma {
	uint64_t start, end;  /* [start, end), page aligned */
	uint32_t flags;       /* VM_* */
	uint32_t pad_;
	uint64_t lo, hi;      /* every page ever mapped lies in [lo, hi) */
};
#define FL_MAX_VMAS 64

/* The head of the kernel's struct mm (asserted likewise). */
struct fl_mm_head {
	uint64_t pml4;        /* kernel VA of the top-level page table */
	uint64_t cr3;
	int32_t nvma, ntables, users, pad_;
	uint64_t brk_start, brk, mmap_top;
	struct fl_vma vma[FL_MAX_VMAS]; /* sorted by start; nvma of them valid */
};

/* ---- Kernel state the host reads through the symbol "fl_kstate" ---- */
struct fl_kstate {
	int64_t current_pid;   /* -1 before init runs */
	uint64_t current;      /* kernel VA of the running task, 0 before init */
	uint64_t free_pages;   /* pages the allocator can still hand out */
	uint64_t total_pages;
	uint64_t free_pages_at_init; /* just before pid 1's exec: equal to free_pages
	                                once every user task has exited, or pages leaked */
	/* Work counters, cumulative since boot. */
	uint64_t forks;        /* successful fork/vfork/clone */
	uint64_t ptes_copied;  /* PTEs duplicated by copy-on-write fork */
	uint64_t pt_pages;     /* page-table pages allocated */
	uint64_t cow_copies;   /* pages copied at a write fault */
	uint64_t cow_reuses;   /* COW faults by the last holder: made writable, no copy */
	uint64_t switches;     /* context switches */
	uint64_t pt_shared;    /* last-level tables shared by fork (bootarg fork=shared) */
	uint64_t pt_copies;    /* shared tables copied at the first change in them */
	uint64_t faults;       /* handle_mm_fault calls (Linux's pgfault): CPU faults and
	                          the kernel's own touches of user pages */
	uint64_t oom_kills;    /* processes the OOM killer ended (Linux's oom_kill) */
	uint64_t fork_tsc;     /* TSC ticks in successful forks, from kernel_clone's entry to
	                          its return (instructions under the bed's icount) */
	uint64_t copy_mm_tsc;  /* the part of fork_tsc spent in copy_mm */
};
#define FL_KSTATE_SYMBOL "fl_kstate"

/* ---- The user register frame at the top of every kernel stack (Linux x86-64 order) ---- */
struct pt_regs {
	uint64_t r15, r14, r13, r12, bp, bx;
	uint64_t r11, r10, r9, r8, ax, cx, dx, si, di;
	uint64_t orig_ax;                 /* syscall number, or -1 for exceptions */
	uint64_t ip, cs, flags, sp, ss;   /* the hardware iret frame */
};

_Static_assert(sizeof(struct pt_regs) == 21 * 8, "pt_regs is 21 words");
_Static_assert(offsetof(struct pt_regs, ax) == 80, "pt_regs.ax offset");
_Static_assert(offsetof(struct pt_regs, orig_ax) == 120, "pt_regs.orig_ax offset");
_Static_assert(offsetof(struct pt_regs, ip) == 128, "pt_regs.ip offset");
_Static_assert(offsetof(struct pt_regs, sp) == 152, "pt_regs.sp offset");
_Static_assert(offsetof(struct fl_mm_head, vma) == 56, "mm vma array");
_Static_assert(offsetof(struct fl_lab_msg, arg) == 8, "lab msg args");
_Static_assert(offsetof(struct fl_lab_msg, ret) == 40, "lab msg ret");
_Static_assert(sizeof(struct fl_lab_msg) <= 512, "lab msg fits a small buffer");
_Static_assert(sizeof(struct fl_event) == 64, "event record");
_Static_assert(offsetof(struct fl_lab_msg, event) == 48, "lab msg event");

#endif /* __ASSEMBLY__ */

#endif
