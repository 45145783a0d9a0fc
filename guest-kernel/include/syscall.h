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
/* kernel/sys_mm.c */
long sys_brk(u64 addr);
long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off);
long sys_munmap(u64 addr, u64 len);
long sys_mprotect(u64 addr, u64 len, u64 prot);
/* kernel/sys_misc.c */
long sys_exit(u64 code);
long sys_exit_group(u64 code);
long sys_getpid(void);
long sys_uname(u64 buf);
long sys_clock_gettime(u64 clk, u64 ts);
long sys_nanosleep(u64 req, u64 rem);
long sys_arch_prctl(u64 code, u64 addr);
long sys_set_tid_address(u64 tidptr);
long sys_rt_sigaction(u64 sig, u64 act, u64 oact, u64 size);
long sys_rt_sigprocmask(u64 how, u64 set, u64 oset, u64 size);

#endif
