/* The Linux x86-64 system call ABI: numbers, the dispatcher, and the handlers
 * each subsystem provides. */
#ifndef K_SYSCALL_H
#define K_SYSCALL_H

#include "kernel.h"

void do_syscall_64(struct pt_regs *regs);

/* kernel/file.c */
long sys_read(u64 fd, u64 buf, u64 n);
long sys_write(u64 fd, u64 buf, u64 n);
long sys_writev(u64 fd, u64 iov, u64 iovcnt);
long sys_readv(u64 fd, u64 iov, u64 iovcnt);
long sys_ioctl(u64 fd, u64 cmd, u64 arg);
long sys_close(u64 fd);
long sys_dup(u64 fd);
long sys_dup2(u64 oldfd, u64 newfd);
long sys_dup3(u64 oldfd, u64 newfd, u64 flags);
long sys_fcntl(u64 fd, u64 cmd, u64 arg);
/* kernel/pipe.c */
long sys_pipe(u64 fds);
long sys_pipe2(u64 fds, u64 flags);
/* kernel/fork.c */
long sys_fork(void);
long sys_vfork(void);
long sys_clone(u64 flags, u64 newsp, u64 parent_tid, u64 child_tid, u64 tls);
/* kernel/exit.c */
long sys_wait4(u64 pid, u64 status, u64 options, u64 rusage);
long sys_waitid(u64 idtype, u64 id, u64 info, u64 options);
long sys_exit(u64 code);
long sys_exit_group(u64 code);
/* kernel/signal.c */
long sys_kill(u64 pid, u64 sig);
long sys_tgkill(u64 tgid, u64 tid, u64 sig);
long sys_rt_sigaction(u64 sig, u64 act, u64 oact, u64 size);
long sys_rt_sigprocmask(u64 how, u64 set, u64 oset, u64 size);
long sys_rt_sigreturn(void);
long sys_rt_sigpending(u64 set, u64 size);
long sys_rt_sigsuspend(u64 mask, u64 size);
long sys_rt_sigtimedwait(u64 set, u64 info, u64 ts, u64 size);
long sys_rt_sigqueueinfo(u64 pid, u64 sig, u64 info);
long sys_rt_tgsigqueueinfo(u64 tgid, u64 tid, u64 sig, u64 info);
long sys_tkill(u64 tid, u64 sig);
long sys_sigaltstack(u64 ss, u64 oss);
long sys_pause(void);
long sys_setpgid(u64 pid, u64 pgid);
long sys_getpgid(u64 pid);
long sys_getpgrp(void);
long sys_setsid(void);
long sys_getsid(u64 pid);
long sys_alarm(u64 secs);
long sys_getitimer(u64 which, u64 val);
long sys_setitimer(u64 which, u64 val, u64 old);
long sys_timer_create(u64 clock, u64 sev, u64 id);
long sys_timer_settime(u64 id, u64 flags, u64 val, u64 old);
long sys_timer_gettime(u64 id, u64 cur);
long sys_timer_getoverrun(u64 id);
long sys_timer_delete(u64 id);
/* kernel/futex.c */
long sys_futex(u64 uaddr, u64 op, u64 val, u64 timeout, u64 uaddr2, u64 val3);
/* kernel/sys_process.c */
long sys_execve(u64 path, u64 argv, u64 envp);
long sys_getpid(void);
long sys_gettid(void);
long sys_getppid(void);
long sys_sched_yield(void);
/* kernel/sys_mm.c */
long sys_brk(u64 addr);
long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off);
long sys_munmap(u64 addr, u64 len);
long sys_mprotect(u64 addr, u64 len, u64 prot);
/* kernel/sys_misc.c */
long sys_uname(u64 buf);
long sys_clock_gettime(u64 clk, u64 ts);
long sys_nanosleep(u64 req, u64 rem);
long sys_arch_prctl(u64 code, u64 addr);
long sys_set_tid_address(u64 tidptr);

#endif
