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
long sys_flock(u64 fd, u64 op); /* fs/locks.c */
long sys_fsync(u64 fd);
long sys_fdatasync(u64 fd);
long sys_syncfs(u64 fd);
long sys_sync(void);
/* kernel/poll.c */
long sys_poll(u64 fds, u64 nfds, u64 timeout_ms);
long sys_ppoll(u64 fds, u64 nfds, u64 ts, u64 sigmask, u64 size);
long sys_select(u64 n, u64 in, u64 out, u64 ex, u64 tv);
long sys_pselect6(u64 n, u64 in, u64 out, u64 ex, u64 ts, u64 sig);
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
/* A new mapping's VMA under the mm lock, with vmflags added to prot's: an
 * anonymous one (its pages made now if MAP_SHARED), or a file's, which
 * joins no neighbour and whose pages the caller maps. */
long mmap_region(u64 addr, u64 len, u64 prot, u64 flags, u32 vmflags, bool file);
long sys_munmap(u64 addr, u64 len);
long sys_mprotect(u64 addr, u64 len, u64 prot);
/* kernel/sys_process.c: identity (everyone is root) */
long sys_getuid(void);
long sys_getgid(void);
long sys_geteuid(void);
long sys_getegid(void);
long sys_setuid(u64 uid);
long sys_setgid(u64 gid);
long sys_setreuid(u64 r, u64 e);
long sys_setregid(u64 r, u64 e);
long sys_setresuid(u64 r, u64 e, u64 s);
long sys_setresgid(u64 r, u64 e, u64 s);
long sys_getresuid(u64 r, u64 e, u64 s);
long sys_getresgid(u64 r, u64 e, u64 s);
long sys_getgroups(u64 n, u64 list);
long sys_setgroups(u64 n, u64 list);
/* fs/open.c */
long sys_open(u64 path, u64 flags, u64 mode);
long sys_openat(u64 dirfd, u64 path, u64 flags, u64 mode);
long sys_creat(u64 path, u64 mode);
long sys_lseek(u64 fd, u64 off, u64 whence);
long sys_pread64(u64 fd, u64 buf, u64 n, u64 off);
long sys_pwrite64(u64 fd, u64 buf, u64 n, u64 off);
long sys_ftruncate(u64 fd, u64 len);
long sys_truncate(u64 path, u64 len);
long sys_getdents64(u64 fd, u64 buf, u64 count);
/* fs/dir.c */
long sys_mkdir(u64 path, u64 mode);
long sys_mknod(u64 path, u64 mode, u64 dev);
long sys_mknodat(u64 dirfd, u64 path, u64 mode, u64 dev);
long sys_mkdirat(u64 dirfd, u64 path, u64 mode);
long sys_rmdir(u64 path);
long sys_unlink(u64 path);
long sys_unlinkat(u64 dirfd, u64 path, u64 flags);
long sys_rename(u64 oldpath, u64 newpath);
long sys_renameat(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath);
long sys_renameat2(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath, u64 flags);
long sys_link(u64 oldpath, u64 newpath);
long sys_linkat(u64 olddfd, u64 oldpath, u64 newdfd, u64 newpath, u64 flags);
long sys_symlink(u64 target, u64 path);
long sys_symlinkat(u64 target, u64 dirfd, u64 path);
long sys_readlink(u64 path, u64 buf, u64 size);
long sys_readlinkat(u64 dirfd, u64 path, u64 buf, u64 size);
/* fs/stat.c */
long sys_stat(u64 path, u64 buf);
long sys_fstat(u64 fd, u64 buf);
long sys_lstat(u64 path, u64 buf);
long sys_newfstatat(u64 dirfd, u64 path, u64 buf, u64 flags);
long sys_statx(u64 dirfd, u64 path, u64 flags, u64 mask, u64 buf);
long sys_access(u64 path, u64 mode);
long sys_faccessat(u64 dirfd, u64 path, u64 mode);
long sys_faccessat2(u64 dirfd, u64 path, u64 mode, u64 flags);
long sys_chmod(u64 path, u64 mode);
long sys_fchmod(u64 fd, u64 mode);
long sys_fchmodat(u64 dirfd, u64 path, u64 mode);
long sys_chown(u64 path, u64 uid, u64 gid);
long sys_fchown(u64 fd, u64 uid, u64 gid);
long sys_lchown(u64 path, u64 uid, u64 gid);
long sys_fchownat(u64 dirfd, u64 path, u64 uid, u64 gid, u64 flags);
long sys_utimensat(u64 dirfd, u64 path, u64 times, u64 flags);
long sys_umask(u64 mask);
long sys_chdir(u64 path);
long sys_fchdir(u64 fd);
long sys_getcwd(u64 buf, u64 size);
/* fs/devices.c */
long sys_getrandom(u64 buf, u64 n, u64 flags);
/* fs/proc.c */
long sys_sysinfo(u64 info);
/* fs/mmap.c */
/* A file's mapping; sys_mmap has checked the flags (MAP_SHARED or
 * MAP_PRIVATE, MAP_FIXED's address), the offset's alignment and the fd. */
struct file;
long file_mmap(struct file *f, u64 addr, u64 len, u64 prot, u64 flags, u64 off);
long sys_msync(u64 addr, u64 len, u64 flags);
/* kernel/sys_misc.c */
long sys_uname(u64 buf);
long sys_clock_gettime(u64 clk, u64 ts);
long sys_clock_getres(u64 clk, u64 res);
long sys_prctl(u64 option, u64 arg2, u64 arg3, u64 arg4, u64 arg5);
long sys_getrusage(u64 who, u64 ru);
long sys_times(u64 buf);
struct cputime;
long rusage_to_user(const struct cputime *c, u64 uru); /* wait4's too */
long sys_gettimeofday(u64 tv, u64 tz);
long sys_time(u64 t);
/* kernel/sys_process.c: resource limits */
long sys_getrlimit(u64 res, u64 old);
long sys_setrlimit(u64 res, u64 new_);
long sys_prlimit64(u64 pid, u64 res, u64 new_, u64 old);
/* fs/stat.c */
long sys_statfs(u64 path, u64 buf);
long sys_fstatfs(u64 fd, u64 buf);
long sys_clock_nanosleep(u64 clk, u64 flags, u64 req, u64 rem);
long sys_nanosleep(u64 req, u64 rem);
long sys_arch_prctl(u64 code, u64 addr);
long sys_set_tid_address(u64 tidptr);

#endif
