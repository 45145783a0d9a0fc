/* /proc, generated: directories and links are made at lookup (inodes that
 * go away with their last reference), file text at open, into one page.
 * /proc/self, /proc/PID/{exe,cwd,fd/N,stat,status,cmdline,maps,comm,pagemap},
 * /proc/{meminfo,stat,vmstat,uptime,loadavg,mounts,cpuinfo}, /proc/sys/kernel/{pid_max,threads-max,core_pattern}. */
#include "arch.h"
#include "errno.h"
#include "file.h"
#include "fs.h"
#include "task.h"

struct proc_entry {
	const char *name;
	u8 kind;
	u32 mode;
};

static const struct proc_entry root_entries[] = {
	{ "self", PROC_SELF, S_IFLNK | 0777 }, { "meminfo", PROC_MEMINFO, S_IFREG | 0444 },
	{ "stat", PROC_STAT, S_IFREG | 0444 }, { "uptime", PROC_UPTIME, S_IFREG | 0444 },
	{ "loadavg", PROC_LOADAVG, S_IFREG | 0444 }, { "mounts", PROC_MOUNTS, S_IFREG | 0444 },
	{ "cpuinfo", PROC_CPUINFO, S_IFREG | 0444 }, { "vmstat", PROC_VMSTAT, S_IFREG | 0444 },
	{ "sys", PROC_SYS, S_IFDIR | 0555 }, { NULL },
};
static const struct proc_entry pid_entries[] = {
	{ "exe", PROC_EXE, S_IFLNK | 0777 }, { "cwd", PROC_CWD, S_IFLNK | 0777 },
	{ "fd", PROC_FDDIR, S_IFDIR | 0500 }, { "stat", PROC_PID_STAT, S_IFREG | 0444 },
	{ "status", PROC_PID_STATUS, S_IFREG | 0444 }, { "cmdline", PROC_PID_CMDLINE, S_IFREG | 0444 },
	{ "maps", PROC_PID_MAPS, S_IFREG | 0444 }, { "comm", PROC_PID_COMM, S_IFREG | 0644 },
	{ "pagemap", PROC_PID_PAGEMAP, S_IFREG | 0400 }, { NULL },
};
static const struct proc_entry sys_entries[] = { { "kernel", PROC_SYS_KERNEL, S_IFDIR | 0555 }, { NULL } };
static const struct proc_entry kernel_entries[] = {
	{ "pid_max", PROC_PID_MAX, S_IFREG | 0644 }, { "tainted", PROC_TAINTED, S_IFREG | 0444 },
	{ "threads-max", PROC_THREADS_MAX, S_IFREG | 0644 },
	{ "core_pattern", PROC_CORE_PATTERN, S_IFREG | 0444 }, { NULL },
};

#define PID_POS 16 /* /proc's readdir: pid directories from here, by task slot */

static const struct proc_entry *entries_of(u8 kind)
{
	switch (kind) {
	case PROC_ROOT: return root_entries;
	case PROC_PID: return pid_entries;
	case PROC_SYS: return sys_entries;
	case PROC_SYS_KERNEL: return kernel_entries;
	}
	return NULL;
}

static struct inode *proc_inode(struct inode *dir, u8 kind, u32 mode, int pid, int fd)
{
	struct inode *i = inode_alloc(mode);
	if (!i)
		return NULL;
	i->proc = kind;
	i->pid = pid;
	i->fd = fd;
	i->parent = iget(dir);
	i->parent_ref = true;
	return i;
}

static bool parse_num(const char *s, size_t len, int *out)
{
	long v = 0;
	if (!len || len > 9)
		return false;
	for (size_t k = 0; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		v = v * 10 + s[k] - '0';
	}
	*out = v;
	return true;
}

static struct task *proc_task(const struct inode *i)
{
	struct task *t = find_pid(i->pid);
	return t && !t->kthread ? t : NULL;
}

struct inode *proc_lookup(struct inode *dir, const char *name, size_t len)
{
	int n;
	if (dir->proc == PROC_ROOT && parse_num(name, len, &n)) {
		struct task *t = find_pid(n);
		return t && t->state != TASK_ZOMBIE ? proc_inode(dir, PROC_PID, S_IFDIR | 0555, n, 0) : NULL;
	}
	if (dir->proc == PROC_FDDIR) {
		struct task *t = proc_task(dir);
		if (!parse_num(name, len, &n) || !t || !t->files || n >= NR_OPEN || !t->files->fd[n])
			return NULL;
		return proc_inode(dir, PROC_FDLINK, S_IFLNK | 0700, dir->pid, n);
	}
	const struct proc_entry *e = entries_of(dir->proc);
	for (; e && e->name; e++)
		if (strlen(e->name) == len && !memcmp(e->name, name, len))
			return proc_inode(dir, e->kind, e->mode, dir->pid, 0);
	return NULL;
}

int proc_next_entry(struct inode *dir, u64 *pos, char *name, u8 *type, u64 *ino)
{
	*ino = inode_ino(dir) * 1000 + *pos;
	if (*pos < 2) {
		memcpy(name, "..", *pos + 1);
		name[*pos + 1] = 0;
		*type = DT_DIR;
		(*pos)++;
		return 1;
	}
	const struct proc_entry *e = entries_of(dir->proc);
	for (u64 k = 0; e && e[k].name; k++)
		if (*pos == 2 + k) {
			memcpy(name, e[k].name, strlen(e[k].name) + 1);
			*type = mode_dtype(e[k].mode);
			(*pos)++;
			return 1;
		}
	if (dir->proc == PROC_ROOT) {
		for (u64 s = *pos < PID_POS ? 0 : *pos - PID_POS; s < (u64)task_slots_used; s++) {
			struct task *t = tasks[s];
			if (!t || t->state == TASK_DEAD || t->state == TASK_ZOMBIE || !thread_group_leader(t))
				continue;
			snprintf(name, NAME_LEN, "%d", t->pid);
			*type = DT_DIR;
			*ino = 100000 + t->pid;
			*pos = PID_POS + s + 1;
			return 1;
		}
	}
	if (dir->proc == PROC_FDDIR) {
		struct task *t = proc_task(dir);
		for (u64 fd = *pos - 2; t && t->files && fd < NR_OPEN; fd++)
			if (t->files->fd[fd]) {
				snprintf(name, NAME_LEN, "%lu", fd);
				*type = DT_LNK;
				*pos = fd + 3;
				return 1;
			}
	}
	return 0;
}

int proc_readlink(struct inode *i, char *buf, size_t n, struct file **magic)
{
	struct task *t = i->proc == PROC_SELF ? NULL : proc_task(i);
	*magic = NULL;
	if (i->proc == PROC_SELF)
		return snprintf(buf, n, "%d", current->tgid);
	if (!t)
		return -ENOENT;
	if (i->proc == PROC_EXE) {
		struct inode *e = task_exe_inode(t);
		return e ? inode_path(e, buf, n) : -ENOENT;
	}
	if (i->proc == PROC_CWD)
		return t->fs ? inode_path(t->fs->cwd, buf, n) : -ENOENT;
	struct file *f = t->files && i->fd < NR_OPEN ? t->files->fd[i->fd] : NULL;
	if (!f)
		return -ENOENT;
	extern struct file console_in, console_out, console_err;
	int len;
	if (f->inode)
		len = inode_path(f->inode, buf, n);
	else if (f == &console_in || f == &console_out || f == &console_err)
		len = snprintf(buf, n, "/dev/console");
	else
		len = snprintf(buf, n, "pipe:[%lu]", ((u64)f->priv >> 4) & 0xffffff);
	*magic = file_get(f);
	return len;
}

/* ---- generated files ---- */

struct buf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void out(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = MIN(b->len + n, b->cap - 1);
}

static char task_state(const struct task *t)
{
	return t->state == TASK_ZOMBIE ? 'Z' : t->state == TASK_SLEEPING ? 'S' : 'R';
}

static int nr_threads(const struct task *t)
{
	int n = 0;
	for_each_thread_of((struct task *)t, x)
		n += x->state != TASK_DEAD;
	return n;
}

static u64 vm_bytes(const struct task *t, bool resident)
{
	u64 n = 0;
	for (int k = 0; t->mm && k < t->mm->nvma; k++) {
		const struct vma *v = &t->mm->vma[k];
		n += resident ? v->hi - v->lo : v->end - v->start;
	}
	return n;
}

static void gen_pid_file(struct buf *b, u8 kind, struct task *t)
{
	struct task *p = t->group_leader->parent;
	int ppid = p ? p->tgid : 0;
	u64 ticks = ktime_ns() / 10000000;
	switch (kind) {
	case PROC_PID_STAT:
		out(b, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %lu 0 0 0 20 0 %d 0 %lu %lu %lu "
		    "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		    t->pid, t->comm, task_state(t), ppid, t->tgid, t->tgid, ticks / 2, nr_threads(t),
		    0UL, vm_bytes(t, false), vm_bytes(t, true) / PAGE_SIZE);
		break;
	case PROC_PID_STATUS:
		u32 um = t->fs ? t->fs->umask : 022;
		out(b, "Name:\t%s\nUmask:\t0%u%u%u\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		    "PPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\n"
		    "VmSize:\t%8lu kB\nVmRSS:\t%8lu kB\nThreads:\t%d\n", t->comm,
		    um >> 6 & 7, um >> 3 & 7, um & 7, task_state(t),
		    t->state == TASK_ZOMBIE ? "zombie" : t->state == TASK_SLEEPING ? "sleeping" : "running",
		    t->tgid, t->pid, ppid, NR_OPEN, vm_bytes(t, false) >> 10, vm_bytes(t, true) >> 10,
		    nr_threads(t));
		break;
	case PROC_PID_CMDLINE: /* from the task's own memory, as Linux reads it */
		if (t->mm)
			b->len = access_mm(t->mm, t->mm->arg_start, b->p,
					   MIN(t->mm->arg_end - t->mm->arg_start, b->cap));
		break;
	case PROC_PID_COMM:
		out(b, "%s\n", t->comm);
		break;
	case PROC_PID_MAPS:
		for (int k = 0; t->mm && k < t->mm->nvma; k++) {
			const struct vma *v = &t->mm->vma[k];
			bool heap = v->start >= t->mm->brk_start && v->end <= PAGE_UP(t->mm->brk) &&
				    t->mm->brk > t->mm->brk_start;
			out(b, "%08lx-%08lx %c%c%c%c 00000000 00:00 0 %s\n", v->start, v->end,
			    v->flags & VM_READ ? 'r' : '-', v->flags & VM_WRITE ? 'w' : '-',
			    v->flags & VM_EXEC ? 'x' : '-', v->flags & VM_SHARED ? 's' : 'p',
			    v->flags & VM_GROWSDOWN ? "               [stack]" :
			    heap ? "               [heap]" : "");
		}
		break;
	}
}

static void cpuid4(u32 leaf, u32 sub, u32 *r)
{
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

/* Linux's names for the CPUID bits most programs look for: leaf 1 edx, leaf
 * 0x80000001 edx, leaf 1 ecx, leaf 7 ebx, leaf 7 ecx. */
static const char *const flag_names[5][32] = {
	{ "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", NULL, "sep", "mtrr",
	  "pge", "mca", "cmov", "pat", "pse36", NULL, "clflush", NULL, NULL, NULL, "mmx", "fxsr", "sse",
	  "sse2", "ss", "ht" },
	{ [11] = "syscall", [20] = "nx", [26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm" },
	{ "pni", "pclmulqdq", [9] = "ssse3", [12] = "fma", [13] = "cx16", [19] = "sse4_1",
	  [20] = "sse4_2", [21] = "x2apic", [22] = "movbe", [23] = "popcnt", [25] = "aes",
	  [26] = "xsave", [28] = "avx", [29] = "f16c", [30] = "rdrand", [31] = "hypervisor" },
	{ "fsgsbase", [3] = "bmi1", [5] = "avx2", [7] = "smep", [8] = "bmi2", [9] = "erms",
	  [16] = "avx512f", [17] = "avx512dq", [18] = "rdseed", [19] = "adx", [20] = "smap",
	  [28] = "avx512cd", [29] = "sha_ni", [30] = "avx512bw", [31] = "avx512vl" },
	{ [1] = "avx512vbmi", [2] = "umip", [6] = "avx512_vbmi2", [8] = "gfni", [9] = "vaes",
	  [10] = "vpclmulqdq", [11] = "avx512_vnni", [12] = "avx512_bitalg", [14] = "avx512_vpopcntdq" },
};

/* One processor, from CPUID, with Linux's field names. */
static void gen_cpuinfo(struct buf *b)
{
	u32 r[4], vendor[4] = { 0 }, brand[13] = { 0 }, words[5];
	cpuid4(0, 0, r);
	u32 max = r[0];
	vendor[0] = r[1], vendor[1] = r[3], vendor[2] = r[2];
	cpuid4(0x80000000, 0, r);
	if (r[0] >= 0x80000004)
		for (u32 l = 0; l < 3; l++)
			cpuid4(0x80000002 + l, 0, &brand[l * 4]);
	cpuid4(0x80000001, 0, r);
	words[1] = r[3];
	cpuid4(1, 0, r);
	words[0] = r[3], words[2] = r[2];
	u32 family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family >= 6)
		model |= ((r[0] >> 16) & 0xf) << 4;
	u32 r7[4] = { 0 };
	if (max >= 7)
		cpuid4(7, 0, r7);
	words[3] = r7[1], words[4] = r7[2];
	const char *name = (const char *)brand;
	while (*name == ' ')
		name++;
	out(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
	    "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\ncache size\t: 0 KB\n"
	    "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\n"
	    "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
	    (const char *)vendor, family, model, *name ? name : "unknown", r[0] & 0xf,
	    tsc_khz / 1000, tsc_khz % 1000, max);
	for (int w = 0; w < 5; w++)
		for (int bit = 0; bit < 32; bit++)
			if ((words[w] >> bit & 1) && flag_names[w][bit])
				out(b, " %s", flag_names[w][bit]);
	out(b, "\nbogomips\t: %lu.%02lu\nclflush size\t: 64\ncache_alignment\t: 64\n"
	    "address sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n",
	    tsc_khz / 500, tsc_khz / 5 % 100);
}

static void gen(struct buf *b, struct inode *i)
{
	u64 ns = ktime_ns(), ticks = ns / 10000000;
	u64 total = fl_kstate.total_pages * 4, free = fl_kstate.free_pages * 4;
	u64 shmem = tmpfs_pages_used() * 4;
	int nproc = 0, lastpid = 0;
	for_each_task(t)
		if (t->state != TASK_DEAD) {
			nproc++;
			lastpid = MAX(lastpid, t->pid);
		}
	switch (i->proc) {
	case PROC_MEMINFO:
		out(b, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
		    "Buffers:               0 kB\nCached:         %8lu kB\nSwapCached:            0 kB\n"
		    "SwapTotal:             0 kB\nSwapFree:              0 kB\nShmem:          %8lu kB\n"
		    "Slab:                  0 kB\nSReclaimable:          0 kB\n",
		    total, free, free, shmem, shmem);
		break;
	case PROC_STAT:
		out(b, "cpu  %lu 0 0 0 0 0 0 0 0 0\ncpu0 %lu 0 0 0 0 0 0 0 0 0\nintr 0\nctxt %lu\n"
		    "btime 0\nprocesses %lu\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n",
		    ticks, ticks, fl_kstate.switches, fl_kstate.forks + 1);
		break;
	case PROC_VMSTAT: /* Linux's pgfault, then the counters of `forklab run --stats` */
		out(b, "pgfault %lu\noom_kill %lu\nptes_copied %lu\npt_pages %lu\npt_shared %lu\n"
		    "pt_copies %lu\ncow_copies %lu\ncow_reuses %lu\nfork_tsc %lu\ncopy_mm_tsc %lu\n",
		    fl_kstate.faults, fl_kstate.oom_kills, fl_kstate.ptes_copied, fl_kstate.pt_pages,
		    fl_kstate.pt_shared, fl_kstate.pt_copies, fl_kstate.cow_copies, fl_kstate.cow_reuses,
		    fl_kstate.fork_tsc, fl_kstate.copy_mm_tsc);
		break;
	case PROC_UPTIME:
		out(b, "%lu.%02lu 0.00\n", ns / 1000000000, ns / 10000000 % 100);
		break;
	case PROC_LOADAVG:
		out(b, "0.00 0.00 0.00 1/%d %d\n", nproc, lastpid);
		break;
	case PROC_PID_MAX:
		out(b, "32768\n");
		break;
	case PROC_THREADS_MAX: /* the task limit (kernel/fork.c), as RLIMIT_NPROC reports it */
		out(b, "%d\n", task_limit);
		break;
	case PROC_TAINTED:
		out(b, "0\n");
		break;
	case PROC_CORE_PATTERN: /* the only one: kernel/coredump.c */
		out(b, "core\n");
		break;
	case PROC_CPUINFO:
		gen_cpuinfo(b);
		break;
	case PROC_MOUNTS:
		out(b, "rootfs / tmpfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\n");
		break;
	default: {
		struct task *t = proc_task(i);
		if (t)
			gen_pid_file(b, i->proc, t);
	}
	}
}

static long proc_read(struct file *f, u64 ubuf, u64 n)
{
	if (f->pos >= f->aux)
		return 0;
	n = MIN(n, f->aux - f->pos);
	if (copy_to_user(ubuf, (char *)f->priv + f->pos, n) < 0)
		return -EFAULT;
	f->pos += n;
	return n;
}

static void proc_release(struct file *f)
{
	page_put(__pa(f->priv));
}

static long proc_ioctl(struct file *f, u64 cmd, u64 arg)
{
	return -ENOTTY;
}

static const struct file_ops proc_file_ops = { .read = proc_read, .release = proc_release,
					       .ioctl = proc_ioctl };

/* /proc/PID/pagemap, as Linux's: an 8-byte entry per virtual page, at
 * offset (address / 4096) * 8: bit 63 present, bits 0-54 the frame number
 * (everyone is root, so it is always shown), bit 56 the page mapped by this
 * address space alone (after a fork, until a write copies it or the other
 * side lets it go; not while fork=shared shares its table), bit 61 a page of
 * a shared mapping. Reads are whole entries at entry offsets (else EINVAL,
 * as Linux), at most PAGEMAP_READ of them a call: a read never yields (the
 * other mm is read unlocked) and stays bounded, so a longer one is short. */
#define PM_PRESENT (1UL << 63)
#define PM_SHARED (1UL << 61)
#define PM_EXCLUSIVE (1UL << 56)
#define PAGEMAP_READ 8192

static long pagemap_read(struct file *f, u64 ubuf, u64 n)
{
	if (f->pos % 8 || n % 8)
		return -EINVAL;
	struct task *t = find_pid(f->inode->pid);
	struct mm *mm = t ? t->mm : NULL;
	u64 done = 0, va = f->pos / 8 * PAGE_SIZE;
	for (n = MIN(n, 8 * PAGEMAP_READ); mm && done < n && va < FL_USER_TOP; done += 8, va += PAGE_SIZE) {
		u64 *pte = pte_walk(mm, va, false), e = 0;
		if (pte && (*pte & PTE_P)) {
			u64 pa = *pte & PTE_ADDR;
			const struct vma *v = vma_find(mm, va);
			e = PM_PRESENT | pa / PAGE_SIZE |
			    (page_refcount(pa) == 1 && page_refcount(__pa(pte) & PAGE_MASK) == 1 ?
				     PM_EXCLUSIVE : 0) |
			    (v && (v->flags & VM_SHARED) ? PM_SHARED : 0);
		}
		if (copy_to_user(ubuf + done, &e, 8) < 0)
			return done ? (long)done : -EFAULT;
	}
	f->pos += done;
	return done;
}

static const struct file_ops pagemap_ops = { .read = pagemap_read, .ioctl = proc_ioctl };

int proc_open(struct inode *i, struct file *f)
{
	if (i->proc == PROC_PID_PAGEMAP) {
		f->ops = &pagemap_ops;
		return 0;
	}
	u64 pa = page_alloc(false);
	if (!pa)
		return -ENOMEM;
	struct buf b = { __va(pa), 0, PAGE_SIZE };
	b.p[0] = 0;
	gen(&b, i);
	f->priv = b.p;
	f->aux = b.len;
	f->ops = &proc_file_ops;
	return 0;
}

/* sysinfo(2), which busybox free and uptime read: the same numbers as /proc. */
struct sysinfo {
	s64 uptime;
	u64 loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
	char pad2[4];
};

long sys_sysinfo(u64 uinfo)
{
	struct sysinfo si = { 0 };
	si.uptime = ktime_ns() / 1000000000;
	si.totalram = fl_kstate.total_pages * PAGE_SIZE;
	si.freeram = fl_kstate.free_pages * PAGE_SIZE;
	si.sharedram = tmpfs_pages_used() * PAGE_SIZE;
	for_each_task(t)
		si.procs += t->state != TASK_DEAD;
	si.mem_unit = 1;
	return copy_to_user(uinfo, &si, sizeof si) < 0 ? -EFAULT : 0;
}
