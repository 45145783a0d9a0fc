/* System call dispatch: the number from orig_ax, the arguments from the
 * saved registers (di, si, dx, r10, r8, r9), the result into ax. Both entry
 * paths (syscall on hardware KVM, the int3 trampoline on PVM) arrive here
 * with the same struct pt_regs. */
#include "errno.h"
#include "syscall.h"
#include "task.h"


typedef long (*syscall_fn)(u64, u64, u64, u64, u64, u64);

#define SYS(nr, fn) [nr] = (syscall_fn)(void (*)(void))(fn)
static const syscall_fn table[] = {
	SYS(0, sys_read),
	SYS(1, sys_write),
	SYS(3, sys_close),
	SYS(9, sys_mmap),
	SYS(10, sys_mprotect),
	SYS(11, sys_munmap),
	SYS(12, sys_brk),
	SYS(13, sys_rt_sigaction),
	SYS(14, sys_rt_sigprocmask),
	SYS(15, sys_rt_sigreturn),
	SYS(16, sys_ioctl),
	SYS(19, sys_readv),
	SYS(20, sys_writev),
	SYS(22, sys_pipe),
	SYS(24, sys_sched_yield),
	SYS(32, sys_dup),
	SYS(33, sys_dup2),
	SYS(34, sys_pause),
	SYS(35, sys_nanosleep),
	SYS(36, sys_getitimer),
	SYS(37, sys_alarm),
	SYS(38, sys_setitimer),
	SYS(39, sys_getpid),
	SYS(56, sys_clone),
	SYS(57, sys_fork),
	SYS(58, sys_vfork),
	SYS(59, sys_execve),
	SYS(60, sys_exit),
	SYS(61, sys_wait4),
	SYS(62, sys_kill),
	SYS(63, sys_uname),
	SYS(72, sys_fcntl),
	SYS(109, sys_setpgid),
	SYS(110, sys_getppid),
	SYS(111, sys_getpgrp),
	SYS(112, sys_setsid),
	SYS(121, sys_getpgid),
	SYS(124, sys_getsid),
	SYS(127, sys_rt_sigpending),
	SYS(128, sys_rt_sigtimedwait),
	SYS(129, sys_rt_sigqueueinfo),
	SYS(130, sys_rt_sigsuspend),
	SYS(131, sys_sigaltstack),
	SYS(158, sys_arch_prctl),
	SYS(186, sys_gettid),
	SYS(200, sys_tkill),
	SYS(202, sys_futex),
	SYS(218, sys_set_tid_address),
	SYS(222, sys_timer_create),
	SYS(223, sys_timer_settime),
	SYS(224, sys_timer_gettime),
	SYS(225, sys_timer_getoverrun),
	SYS(226, sys_timer_delete),
	SYS(228, sys_clock_gettime),
	SYS(231, sys_exit_group),
	SYS(234, sys_tgkill),
	SYS(247, sys_waitid),
	SYS(292, sys_dup3),
	SYS(293, sys_pipe2),
	SYS(297, sys_rt_tgsigqueueinfo),
};

/* Unknown numbers below 512 are logged once each; any above, every time. */
static u64 logged[8];

void do_syscall_64(struct pt_regs *regs)
{
	u64 nr = regs->orig_ax;
	if (nr < ARRAY_SIZE(table) && table[nr]) {
		regs->ax = table[nr](regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9);
	} else {
		if (nr >= 512 || !(logged[nr / 64] & (1UL << (nr % 64)))) {
			if (nr < 512)
				logged[nr / 64] |= 1UL << (nr % 64);
			printk("forklab: pid %d (%s): unimplemented system call %lu\n", current->pid,
			       current->comm, nr);
		}
		regs->ax = -ENOSYS;
	}
	exit_to_user_mode();
}
