/* Process system calls that are not fork, exit or wait: execve, identity,
 * and yielding. */
#include "arch.h"
#include "errno.h"
#include "exec.h"
#include "syscall.h"
#include "task.h"

#define MAX_PATH 256
#define EXEC_STRINGS_BYTES (64UL << 10)

/* execve's arguments, copied in before the old address space goes. Static:
 * the kernel is not preemptible and execve does not sleep while using it. */
static char exec_buf[EXEC_STRINGS_BYTES];
static const char *exec_argv[257], *exec_envp[257];

/* Copies a NUL-terminated user string into [*pos, end); 0 or -errno. */
static long copy_string(u64 ustr, char **pos, char *end)
{
	char *dst = *pos;
	for (;;) {
		u64 chunk = MIN((u64)(end - dst), PAGE_SIZE - (ustr & ~PAGE_MASK));
		if (!chunk)
			return -E2BIG;
		if (copy_from_user(dst, ustr, chunk) < 0)
			return -EFAULT;
		char *nul = memchr(dst, 0, chunk);
		if (nul) {
			*pos = nul + 1;
			return 0;
		}
		dst += chunk;
		ustr += chunk;
	}
}

static long copy_strings(u64 uvec, const char **out, char **pos, char *end)
{
	int n = 0;
	for (; uvec; n++) {
		u64 p;
		if (n == 256)
			return -E2BIG;
		if (copy_from_user(&p, uvec + n * 8, 8) < 0)
			return -EFAULT;
		if (!p)
			break;
		out[n] = *pos;
		long r = copy_string(p, pos, end);
		if (r < 0)
			return r;
	}
	out[n] = NULL;
	return 0;
}

long sys_execve(u64 upath, u64 uargv, u64 uenvp)
{
	char *pos = exec_buf, *end = exec_buf + sizeof exec_buf;
	const char *path = pos;
	long r;
	if ((r = copy_string(upath, &pos, MIN(end, pos + MAX_PATH))) < 0)
		return r == -E2BIG ? -ENAMETOOLONG : r;
	if ((r = copy_strings(uargv, exec_argv, &pos, end)) < 0 ||
	    (r = copy_strings(uenvp, exec_envp, &pos, end)) < 0)
		return r;
	return kernel_execve(current, path, exec_argv, exec_envp);
}

long sys_getpid(void)
{
	return current->tgid;
}

long sys_gettid(void)
{
	return current->pid;
}

long sys_getppid(void)
{
	struct task *p = current->group_leader->parent;
	return p ? p->tgid : 0;
}

long sys_sched_yield(void)
{
	schedule();
	return 0;
}

/* Identity: every task is root (uid and gid 0); changing to 0 succeeds. */
long sys_getuid(void) { return 0; }
long sys_getgid(void) { return 0; }
long sys_geteuid(void) { return 0; }
long sys_getegid(void) { return 0; }

static long set_ids(u64 a, u64 b, u64 c)
{
	return (a == 0 || a == (u64)-1 || (u32)a == (u32)-1) && (b == 0 || (u32)b == (u32)-1) &&
	       (c == 0 || (u32)c == (u32)-1) ? 0 : -EPERM;
}

long sys_setuid(u64 uid) { return set_ids(uid, 0, 0); }
long sys_setgid(u64 gid) { return set_ids(gid, 0, 0); }
long sys_setreuid(u64 r, u64 e) { return set_ids(r, e, 0); }
long sys_setregid(u64 r, u64 e) { return set_ids(r, e, 0); }
long sys_setresuid(u64 r, u64 e, u64 s) { return set_ids(r, e, s); }
long sys_setresgid(u64 r, u64 e, u64 s) { return set_ids(r, e, s); }

static long get_ids(u64 r, u64 e, u64 s)
{
	u32 zero = 0;
	return copy_to_user(r, &zero, 4) < 0 || copy_to_user(e, &zero, 4) < 0 ||
	       copy_to_user(s, &zero, 4) < 0 ? -EFAULT : 0;
}

long sys_getresuid(u64 r, u64 e, u64 s) { return get_ids(r, e, s); }
long sys_getresgid(u64 r, u64 e, u64 s) { return get_ids(r, e, s); }
long sys_getgroups(u64 n, u64 list) { return 0; }
long sys_setgroups(u64 n, u64 list) { return n <= 65536 ? 0 : -EINVAL; }
