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
	SYS(2, sys_open),
	SYS(3, sys_close),
	SYS(4, sys_stat),
	SYS(5, sys_fstat),
	SYS(6, sys_lstat),
	SYS(8, sys_lseek),
	SYS(9, sys_mmap),
	SYS(10, sys_mprotect),
	SYS(11, sys_munmap),
	SYS(12, sys_brk),
	SYS(13, sys_rt_sigaction),
	SYS(14, sys_rt_sigprocmask),
	SYS(15, sys_rt_sigreturn),
	SYS(16, sys_ioctl),
	SYS(17, sys_pread64),
	SYS(18, sys_pwrite64),
	SYS(19, sys_readv),
	SYS(20, sys_writev),
	SYS(21, sys_access),
	SYS(22, sys_pipe),
	SYS(24, sys_sched_yield),
	SYS(26, sys_msync),
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
	SYS(76, sys_truncate),
	SYS(77, sys_ftruncate),
	SYS(79, sys_getcwd),
	SYS(80, sys_chdir),
	SYS(81, sys_fchdir),
	SYS(82, sys_rename),
	SYS(83, sys_mkdir),
	SYS(84, sys_rmdir),
	SYS(85, sys_creat),
	SYS(86, sys_link),
	SYS(87, sys_unlink),
	SYS(88, sys_symlink),
	SYS(89, sys_readlink),
	SYS(90, sys_chmod),
	SYS(91, sys_fchmod),
	SYS(92, sys_chown),
	SYS(93, sys_fchown),
	SYS(94, sys_lchown),
	SYS(95, sys_umask),
	SYS(96, sys_gettimeofday),
	SYS(97, sys_getrlimit),
	SYS(99, sys_sysinfo),
	SYS(102, sys_getuid),
	SYS(104, sys_getgid),
	SYS(105, sys_setuid),
	SYS(106, sys_setgid),
	SYS(107, sys_geteuid),
	SYS(108, sys_getegid),
	SYS(109, sys_setpgid),
	SYS(110, sys_getppid),
	SYS(111, sys_getpgrp),
	SYS(112, sys_setsid),
	SYS(113, sys_setreuid),
	SYS(114, sys_setregid),
	SYS(115, sys_getgroups),
	SYS(116, sys_setgroups),
	SYS(117, sys_setresuid),
	SYS(118, sys_getresuid),
	SYS(119, sys_setresgid),
	SYS(120, sys_getresgid),
	SYS(121, sys_getpgid),
	SYS(124, sys_getsid),
	SYS(127, sys_rt_sigpending),
	SYS(128, sys_rt_sigtimedwait),
	SYS(129, sys_rt_sigqueueinfo),
	SYS(130, sys_rt_sigsuspend),
	SYS(131, sys_sigaltstack),
	SYS(137, sys_statfs),
	SYS(138, sys_fstatfs),
	SYS(158, sys_arch_prctl),
	SYS(160, sys_setrlimit),
	SYS(186, sys_gettid),
	SYS(200, sys_tkill),
	SYS(201, sys_time),
	SYS(202, sys_futex),
	SYS(217, sys_getdents64),
	SYS(218, sys_set_tid_address),
	SYS(222, sys_timer_create),
	SYS(223, sys_timer_settime),
	SYS(224, sys_timer_gettime),
	SYS(225, sys_timer_getoverrun),
	SYS(226, sys_timer_delete),
	SYS(228, sys_clock_gettime),
	SYS(230, sys_clock_nanosleep),
	SYS(231, sys_exit_group),
	SYS(234, sys_tgkill),
	SYS(247, sys_waitid),
	SYS(257, sys_openat),
	SYS(258, sys_mkdirat),
	SYS(260, sys_fchownat),
	SYS(262, sys_newfstatat),
	SYS(263, sys_unlinkat),
	SYS(264, sys_renameat),
	SYS(265, sys_linkat),
	SYS(266, sys_symlinkat),
	SYS(267, sys_readlinkat),
	SYS(268, sys_fchmodat),
	SYS(269, sys_faccessat),
	SYS(280, sys_utimensat),
	SYS(292, sys_dup3),
	SYS(293, sys_pipe2),
	SYS(297, sys_rt_tgsigqueueinfo),
	SYS(302, sys_prlimit64),
	SYS(316, sys_renameat2),
	SYS(318, sys_getrandom),
	SYS(332, sys_statx),
	SYS(439, sys_faccessat2),
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
