/* Process system calls that are not fork, exit or wait: execve, identity,
 * and yielding. */
#include "arch.h"
#include "errno.h"
#include "exec.h"
#include "syscall.h"
#include "task.h"

#define MAX_PATH 256
#define EXEC_STRINGS_BYTES (64UL << 10)

/* execve's arguments, copied in before the old address space goes. Static,
 * as exec.c's buffers, under exec_lock (exec.h). */
static char exec_buf[EXEC_STRINGS_BYTES];
static const char *exec_argv[FL_ARG_MAX + 1], *exec_envp[FL_ARG_MAX + 1];

/* Copies a NUL-terminated user string into [*pos, end); 0 or -errno. */
static long copy_string(u64 ustr, char **pos, char *end)
{
	long n = strncpy_from_user(*pos, ustr, end - *pos);
	if (n < 0)
		return n;
	if (n == end - *pos)
		return -E2BIG;
	*pos += n + 1;
	return 0;
}

static long copy_strings(u64 uvec, const char **out, char **pos, char *end)
{
	int n = 0;
	for (; uvec; n++) {
		u64 p;
		if (n == FL_ARG_MAX)
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

static long execve_locked(u64 upath, u64 uargv, u64 uenvp)
{
	char *pos = exec_buf, *end = exec_buf + sizeof exec_buf;
	const char *path = pos;
	long r;
	if ((r = copy_string(upath, &pos, MIN(end, pos + MAX_PATH))) < 0)
		return r == -E2BIG ? -ENAMETOOLONG : r;
	if ((r = copy_strings(uargv, exec_argv, &pos, end)) < 0 ||
	    (r = copy_strings(uenvp, exec_envp, &pos, end)) < 0)
		return r;
	if (!exec_argv[0]) { /* an empty argv: one empty string, as Linux since 5.18 */
		exec_argv[0] = "";
		exec_argv[1] = NULL;
	}
	return kernel_execve(current, path, exec_argv, exec_envp);
}

long sys_execve(u64 upath, u64 uargv, u64 uenvp)
{
	if (!exec_lock())
		return -EINTR; /* being killed: no one sees it */
	long r = execve_locked(upath, uargv, uenvp);
	exec_unlock();
	return r;
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

/* ---- resource limits ---- */

/* A process's limits, shared copy-on-write: fork copies a pointer, and only
 * setrlimit makes a block of the process's own. They are recorded and
 * reported; the kernel's own limits (task_limit, NR_OPEN, memory) are
 * what bind, and the defaults report those (RLIMIT_NPROC: rlimits_init). */
#define RLIM_INFINITY (~0UL)
#define RLIMIT_STACK 3
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14

static struct rlimits default_limits = {
	.refs = 1, /* never freed */
	.lim = {
		[0] = { RLIM_INFINITY, RLIM_INFINITY },  /* CPU */
		[1] = { RLIM_INFINITY, RLIM_INFINITY },  /* FSIZE */
		[2] = { RLIM_INFINITY, RLIM_INFINITY },  /* DATA */
		[5] = { RLIM_INFINITY, RLIM_INFINITY },  /* RSS */
		[9] = { RLIM_INFINITY, RLIM_INFINITY },  /* AS */
		[10] = { RLIM_INFINITY, RLIM_INFINITY }, /* LOCKS */
		[15] = { RLIM_INFINITY, RLIM_INFINITY }, /* RTTIME */
		[RLIMIT_STACK] = { 8UL << 20, RLIM_INFINITY },
		[RLIMIT_CORE] = { 0, RLIM_INFINITY },
		[RLIMIT_NOFILE] = { NR_OPEN, NR_OPEN },
		[RLIMIT_MEMLOCK] = { 8UL << 20, 8UL << 20 },
		[RLIMIT_SIGPENDING] = { NSIG - 1, NSIG - 1 },
		[RLIMIT_MSGQUEUE] = { 819200, 819200 },
		[RLIMIT_NICE] = { 0, 0 },
		[RLIMIT_RTPRIO] = { 0, 0 },
	},
};

void rlimits_init(void)
{
	default_limits.lim[RLIMIT_NPROC] = (struct rlimit64){ task_limit, task_limit };
}

u64 task_rlimit(const struct task *leader, int res)
{
	return (leader->rlimits ? leader->rlimits : &default_limits)->lim[res].cur;
}

void rlimits_put(struct rlimits *r)
{
	if (r && !--r->refs)
		kobj_free(r);
}

/* prlimit64 for the caller's process (pid 0 or its own): old and new are
 * user pointers to struct rlimit64, either may be 0. */
static long do_prlimit(u64 res, u64 unew, u64 uold)
{
	struct task *leader = current->group_leader;
	struct rlimits *r = leader->rlimits ? leader->rlimits : &default_limits;
	struct rlimit64 new;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(&new, unew, sizeof new) < 0)
		return -EFAULT;
	if (unew && (new.cur > new.max || (res == RLIMIT_NOFILE && new.max > NR_OPEN)))
		return res == RLIMIT_NOFILE && new.cur <= new.max ? -EPERM : -EINVAL;
	if (uold && copy_to_user(uold, &r->lim[res], sizeof r->lim[res]) < 0)
		return -EFAULT;
	if (!unew)
		return 0;
	if (r->refs > 1 || r == &default_limits) { /* shared: a block of our own */
		struct rlimits *own = kobj_alloc();
		if (!own)
			return -ENOMEM;
		*own = *r;
		own->refs = 1;
		rlimits_put(leader->rlimits);
		leader->rlimits = r = own;
	}
	r->lim[res] = new;
	return 0;
}

long sys_prlimit64(u64 pid, u64 res, u64 unew, u64 uold)
{
	if (pid && (int)pid != current->tgid)
		return find_pid((int)pid) ? -EPERM : -ESRCH; /* others' limits are not modelled */
	return do_prlimit(res, unew, uold);
}

long sys_getrlimit(u64 res, u64 uold)
{
	return do_prlimit(res, 0, uold);
}

long sys_setrlimit(u64 res, u64 unew)
{
	return do_prlimit(res, unew, 0);
}
