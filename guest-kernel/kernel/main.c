/* start_kernel: read the boot information from the FDT, bring up memory,
 * traps, the timer and the host seam, index the initramfs, and exec pid 1. */

#include "arch.h"
#include "bootfdt.h"
#include "exec.h"
#include "file.h"
#include "fs.h"
#include "lab.h"
#include "task.h"
#include "trace.h"

unsigned long strtoul(const char *s, char **end, int base);

struct fl_kstate fl_kstate = { .current_pid = -1 };
u64 boot_tsc, tsc_khz, boot_realtime_ns;
extern char _kernel_end[];
void fdt_glue_enter(void);
void fdt_glue_leave(void);

/* The FDT is read through the kernel-image mapping of low memory, before the
 * direct map exists. */
static void parse_fdt(const void *fdt, struct boot_info *bi)
{
	fdt_glue_enter();
	const char *why = boot_fdt_parse(fdt, bi);
	fdt_glue_leave();
	if (why)
		panic("%s", why);
	tsc_khz = bi->tsc_khz;
	boot_realtime_ns = bi->realtime_ns;
}

/* The first place at or after from where a word of args starts with name. */
static const char *word_start(const char *args, const char *from, const char *name)
{
	for (const char *p = from; p && (p = strstr(p, name)); p++)
		if (p == args || p[-1] == ' ')
			return p;
	return NULL;
}

bool bootarg(const char *args, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = args; (p = word_start(args, p, name)); p += n)
		if (p[n] == 0 || p[n] == ' ')
			return true;
	return false;
}

bool bootarg_ulong(const char *args, const char *name, unsigned long *val)
{
	const char *p = word_start(args, args, name);
	if (p)
		*val = strtoul(p + strlen(name), NULL, 10);
	return p;
}

/* Deliberate failures, so that tests can see the verdicts they produce. */
static void boot_tests(const char *args)
{
	if (bootarg(args, "test.panic"))
		panic("test.panic: panic requested on the command line");
	if (bootarg(args, "test.triple")) { /* no IDT: #UD, then #GP, #DF, shutdown */
		struct { u16 limit; u64 base; } __attribute__((packed)) none = { 0, 0 };
		__asm__ volatile("lidt %0; ud2" ::"m"(none));
	}
	if (bootarg(args, "test.fault")) {
		volatile u64 *p = NULL;
		__asm__ volatile("" : "+r"(p)); /* hide the NULL from the compiler */
		*p = 0;
	}
}

/* Bootarg kthreads=N: N kernel threads, children of pid 1, each reporting
 * on the console and exiting with its index, for init to reap. */
static int kthread_report(void *arg)
{
	char line[96];
	int n = snprintf(line, sizeof line, "kthread %ld: pid %d started at ret_from_fork\n",
			 (long)arg, current->pid);
	lab_call(FL_LAB_WRITE, 1, __pa(line), n, 0);
	return (long)arg;
}

static void start_kthreads(const char *args)
{
	unsigned long n = 0;
	bootarg_ulong(args, "kthreads=", &n);
	for (unsigned long i = 0; i < n && i < 16; i++)
		if (!kernel_thread(kthread_report, (void *)(i + 1)))
			panic("kthreads: no task slot");
}

/* An FDT string list as a NULL-terminated vector of at most max strings. */
static void split_list(const char *list, int len, const char **v, int max)
{
	int n = 0;
	for (const char *s = list; s && s < list + len && n < max; s += strlen(s) + 1)
		v[n++] = s;
	v[n] = NULL;
}

static void start_init(const struct boot_info *bi)
{
	static const char *argv[FL_ARG_MAX + 1], *envp[FL_ARG_MAX + 1];
	split_list(bi->init_argv, bi->init_argv_len, argv, FL_ARG_MAX);
	split_list(bi->init_envp, bi->init_envp_len, envp, FL_ARG_MAX);

	struct task *t = task_alloc();
	/* What pid 1 holds as a zombie at the end: what --stats' leak check
	 * finds still taken (its files and the rest go back at its exit). */
	fl_kstate.free_pages_at_init = fl_kstate.free_pages;
	t->group_leader = t;
	t->live_threads = 1;
	t->pgid = t->sid = 1;
	nr_user_tasks = 1;
	t->files = files_alloc();
	t->sighand = sighand_dup(NULL);
	t->fs = fs_struct_alloc();
	t->files->fd[0] = file_get(&console_in);
	t->files->fd[1] = file_get(&console_out);
	t->files->fd[2] = file_get(&console_err);
	set_current(t);
	cpu_tss.sp0 = t->thread.sp0;
	if (bi->init_cwd && kernel_chdir(bi->init_cwd) < 0) {
		/* Bad input, as the user sees it: one line and exit status 2. */
		char line[320];
		int n = snprintf(line, sizeof line, "forklab: --cwd %s: no such directory in the guest\n",
				 bi->init_cwd);
		lab_call(FL_LAB_WRITE, 2, __pa(line), MIN(n, (int)sizeof line - 1), 0);
		for (;;)
			lab_call(FL_LAB_EXIT, 2 << 8, 0, 0, 0);
	}
	start_kthreads(bi->bootargs);
	int r = kernel_execve(t, argv[0], argv, envp);
	if (r < 0)
		panic("cannot run init %s: error %d", argv[0], -r);
	printk("forklab: pid 1 is %s\n", argv[0]);
	lab_call(FL_LAB_BOOTED, boot_tsc, rdtsc(), 0, 0);
	ret_to_user(task_pt_regs(t));
}

void start_kernel(u64 fdt_pa)
{
	struct boot_info bi = { 0 };
	boot_tsc = rdtsc();
	cpu_init();
	parse_fdt((const void *)(FL_KERNEL_VBASE + fdt_pa), &bi);
	verbose = bootarg(bi.bootargs, "verbose");
	fork_shares_tables = bootarg(bi.bootargs, "fork=shared"); /* else fork=copy (mm/memory.c) */
	trace_init(bi.bootargs);
	printk("forklab: %lu MiB, host %s, TSC %lu kHz, bootargs \"%s\"\n", bi.mem_size >> 20,
	       bi.host_kind, tsc_khz, bi.bootargs);
	vm_init(bi.mem_size);
	page_init(bi.mem_size, __pa(_kernel_end), bi.initrd_start);
	tasks_init(bi.mem_size, bi.bootargs);
	rlimits_init();
	host_init(bi.host_kind);
	fpu_init();
	lapic_timer_init();
	fs_init(__va(bi.initrd_start), bi.initrd_end - bi.initrd_start);
	boot_tests(bi.bootargs);
	start_init(&bi);
}
