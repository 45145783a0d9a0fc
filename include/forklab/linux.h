/* Linux's own numbers that the guest kernel, the VMM and the tests all use:
 * clone flags, signals, wait options and the x86 MSRs. One copy, so a check
 * on the host reads the same names as the kernel code it checks. Host code
 * that includes glibc's <sched.h>, <signal.h> or <sys/wait.h> first gets
 * glibc's definitions, which are Linux's values too: hence the guards. */
#ifndef FORKLAB_LINUX_H
#define FORKLAB_LINUX_H

/* clone(2) flags (include/uapi/linux/sched.h). */
#ifndef CLONE_VM
#define CSIGNAL              0x000000ffUL /* the exit signal, in the low byte */
#define CLONE_VM             0x00000100UL
#define CLONE_FS             0x00000200UL
#define CLONE_FILES          0x00000400UL
#define CLONE_SIGHAND        0x00000800UL
#define CLONE_VFORK          0x00004000UL
#define CLONE_PARENT         0x00008000UL
#define CLONE_THREAD         0x00010000UL
#define CLONE_SYSVSEM        0x00040000UL
#define CLONE_SETTLS         0x00080000UL
#define CLONE_PARENT_SETTID  0x00100000UL
#define CLONE_CHILD_CLEARTID 0x00200000UL
#define CLONE_DETACHED       0x00400000UL
#define CLONE_CHILD_SETTID   0x01000000UL
#endif

/* Signals (x86-64). */
#ifndef SIGCHLD
#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1  10
#define SIGSEGV  11
#define SIGUSR2  12
#define SIGPIPE  13
#define SIGALRM  14
#define SIGTERM  15
#define SIGSTKFLT 16
#define SIGCHLD  17
#define SIGCONT  18
#define SIGSTOP  19
#define SIGTSTP  20
#define SIGTTIN  21
#define SIGTTOU  22
#define SIGURG   23
#define SIGXCPU  24
#define SIGXFSZ  25
#define SIGVTALRM 26
#define SIGPROF  27
#define SIGWINCH 28
#define SIGIO    29
#define SIGPWR   30
#define SIGSYS   31
#define NSIG     65 /* signals are 1..64 */
#define SIG_DFL  0
#define SIG_IGN  1
#endif

/* wait4/waitid options and waitid's id types and codes. */
#ifndef WNOHANG
#define WNOHANG    0x00000001
#define WUNTRACED  0x00000002
#define WEXITED    0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL     0x40000000
#define __WCLONE   0x80000000
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#endif
#ifndef CLD_EXITED
#define CLD_EXITED 1 /* waitid's si_code */
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6
#endif

/* Model-specific registers. */
#define MSR_EFER      0xc0000080
#define MSR_STAR      0xc0000081
#define MSR_LSTAR     0xc0000082
#define MSR_CSTAR     0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_FS_BASE   0xc0000100
#define MSR_GS_BASE   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176

#endif
