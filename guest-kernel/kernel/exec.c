/* execve for static ELF executables, and "#!" scripts whose interpreter is
 * one: validate (the file is untrusted), build a new mm with the PT_LOAD
 * segments copied in, lay out argv, envp and auxv on the stack as Linux
 * does, and point pt_regs at the entry. */
#include <forklab/elf_rules.h>

#include "arch.h"
#include "errno.h"
#include "exec.h"
#include "fs.h"
#include "trace.h"

#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define STACK_TOP FL_USER_TOP
#define STACK_SIZE (8UL << 20)
#define MAX_ARG_STRINGS FL_ARG_MAX
#define MAX_ARG_BYTES (128UL << 10)

enum { AT_NULL, AT_PHDR = 3, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY,
       AT_UID = 11, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK,
       AT_SECURE = 23, AT_RANDOM = 25, AT_EXECFN = 31 };

/* The program: a tmpfs inode, whose first bytes (ELF and program headers)
 * are read in place for a file still in the initrd, or copied out of its
 * pages into exec_hdr otherwise. */
struct exec_file {
	struct inode *ino;
	const u8 *data;   /* the first hdrlen bytes */
	size_t size, hdrlen;
};
static u8 exec_hdr[PAGE_SIZE];

static struct task *exec_holder;
static struct wait_queue exec_waiters;

bool exec_lock(void)
{
	while (exec_holder)
		if (!sleep_on_killable(&exec_waiters))
			return false;
	exec_holder = current;
	return true;
}

void exec_unlock(void)
{
	exec_holder = NULL;
	wake_up(&exec_waiters);
}

/* The rules the host checks too (forklab/elf_rules.h). */
static int check_elf(const struct exec_file *f)
{
	int seg;
	return fl_elf_program_rule(f->data, f->hdrlen, f->size, &seg) ? -ENOEXEC : 0;
}

/* Copies one PT_LOAD's file bytes into fresh pages; the pages past them
 * (.bss) are left to the fault handler, demand-zero, as Linux maps them
 * (a 512 MiB .bss was 131072 pages cleared before the first instruction).
 * Segments may share a page at their boundary; that page then keeps the
 * earlier contents, gains the later ones, and gets the union of both rights
 * in a VMA of its own. */
static int load_segment(struct mm *mm, const struct exec_file *f, const struct fl_elf64_phdr *ph,
			u64 bias)
{
	u32 flags = (ph->flags & PF_R ? VM_READ : 0) | (ph->flags & PF_W ? VM_WRITE : 0) |
		    (ph->flags & PF_X ? VM_EXEC : 0);
	u64 vstart = ph->vaddr + bias, start = vstart & PAGE_MASK, end = PAGE_UP(vstart + ph->memsz);
	u64 fend = vstart + ph->filesz, fresh = start;
	struct vma *shared = vma_find(mm, start);
	if (shared) {
		if (vma_protect(mm, start, start + PAGE_SIZE, shared->flags | flags) < 0)
			return -ENOMEM;
		fresh += PAGE_SIZE;
	}
	if (fresh < end && vma_add(mm, fresh, end, flags) < 0)
		return -ENOEXEC; /* overlapping segments */
	struct vma *v = fresh < end ? vma_find(mm, fresh) : NULL;
	for (u64 va = start; va < MIN(end, PAGE_UP(fend)); va += PAGE_SIZE) {
		u64 pa;
		if (va < fresh) {
			if (user_pa(mm, va, false, &pa) < 0)
				return -ENOMEM;
			pa &= PAGE_MASK;
		} else if (!(pa = page_alloc(true)) || map_user_page(mm, v, va, pa) < 0) {
			return -ENOMEM;
		}
		u64 lo = MAX(va, vstart), hi = MIN(va + PAGE_SIZE, fend);
		if (lo < hi)
			inode_copy_phys(f->ino, ph->offset + (lo - vstart), pa + (lo - va), hi - lo);
		cond_resched(); /* the new mm is no one else's yet; exec_lock keeps the buffers */
	}
	return 0;
}

static u64 exec_table[1 + MAX_ARG_STRINGS + 1 + MAX_ARG_STRINGS + 1 + 2 * 20];

/* Writes onto the new user stack, remembering whether any write faulted. */
struct stack_writer {
	u64 sp;
	bool fault;
};

static u64 push(struct stack_writer *w, const void *p, size_t n)
{
	w->sp -= n;
	if (copy_to_user(w->sp, p, n) < 0)
		w->fault = true;
	return w->sp;
}

static int setup_stack(struct mm *mm, struct pt_regs *regs, const char *path,
		       const char *const *argv, const char *const *envp, u64 entry, u64 phdr,
		       u16 phnum)
{
	int argc = 0, envc = 0;
	size_t bytes = 0;
	while (argv[argc] && argc <= MAX_ARG_STRINGS)
		bytes += strlen(argv[argc++]) + 1;
	while (envp[envc] && envc <= MAX_ARG_STRINGS)
		bytes += strlen(envp[envc++]) + 1;
	if (argc > MAX_ARG_STRINGS || envc > MAX_ARG_STRINGS || bytes > MAX_ARG_BYTES)
		return -E2BIG;
	if (vma_add(mm, STACK_TOP - STACK_SIZE, STACK_TOP, VM_READ | VM_WRITE | VM_GROWSDOWN) < 0)
		return -ENOMEM;

	/* Linux leaves a zero word at the very top (bprm->p starts at vm_end - 8);
	 * AT_EXECFN's string ends just below it, and parsers that run off the
	 * last string stop there (glibc's tunables did not, without it). */
	struct stack_writer w = { STACK_TOP - 8, false };
	u64 *t = exec_table;
	u64 execfn = push(&w, path, strlen(path) + 1), platform = push(&w, "x86_64", 7);
	u64 rnd[2] = { rdtsc() * 0x9e3779b97f4a7c15UL, (u64)mm ^ rdtsc() };
	u64 random = push(&w, rnd, 16);
	/* The strings as Linux lays them out, argv[0] lowest, then the rest of
	 * argv, then envp: /proc/PID/cmdline reads [arg_start, arg_end). */
	u64 *argp = t + 1, *envpp = argp + argc + 1;
	for (int i = envc - 1; i >= 0; i--)
		envpp[i] = push(&w, envp[i], strlen(envp[i]) + 1);
	mm->arg_end = w.sp;
	for (int i = argc - 1; i >= 0; i--)
		argp[i] = push(&w, argv[i], strlen(argv[i]) + 1);
	mm->arg_start = w.sp;
	t[0] = argc;
	argp[argc] = envpp[envc] = 0;
	t = envpp + envc + 1;
	const u64 aux[][2] = {
		{ AT_PHDR, phdr }, { AT_PHENT, sizeof(struct fl_elf64_phdr) }, { AT_PHNUM, phnum },
		{ AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 }, { AT_FLAGS, 0 }, { AT_ENTRY, entry },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_HWCAP, 0 },
		{ AT_CLKTCK, 100 }, { AT_PLATFORM, platform }, { AT_SECURE, 0 },
		{ AT_RANDOM, random }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
	};
	memcpy(t, aux, sizeof aux);
	t += 2 * ARRAY_SIZE(aux);
	size_t table = (t - exec_table) * 8;
	w.sp = (w.sp - table) & ~15UL; /* rsp at argc, 16-byte aligned, as the ABI wants */
	if (w.fault || copy_to_user(w.sp, exec_table, table) < 0)
		return -EFAULT;
	memset(regs, 0, sizeof *regs);
	regs->ip = entry;
	regs->sp = w.sp;
	regs->cs = FL_USER_CS;
	regs->ss = FL_USER_DS;
	regs->flags = X86_EFLAGS_IF | 0x2;
	return 0;
}

/* Looks name up and reads its first bytes into f: a regular file with an
 * execute bit, open for writing by no one. 0, or -errno with nd put. */
static int exec_open(const char *name, struct nameidata *nd, struct exec_file *f)
{
	int r = path_walk(AT_FDCWD, name, LOOKUP_FOLLOW, nd);
	if (r < 0)
		return r;
	struct inode *i = nd->inode;
	if (!i)
		r = nd->file ? -EACCES : -ENOENT;
	else if (!S_ISREG(i->mode) || i->proc || !(i->mode & 0111))
		r = -EACCES;
	else if (i->writecount > 0)
		r = -ETXTBSY;
	if (r < 0) {
		nd_put(nd);
		return r;
	}
	*f = (struct exec_file){ .ino = i, .size = i->size };
	if (i->ro) {
		f->data = i->ro;
		f->hdrlen = f->size;
	} else {
		f->hdrlen = MIN(f->size, sizeof exec_hdr);
		f->data = exec_hdr;
		inode_read_kernel(i, 0, exec_hdr, f->hdrlen);
	}
	return 0;
}

/* "#!" scripts, as Linux's binfmt_script: the first line, within the first
 * BINPRM_BUF bytes, names the interpreter and at most one argument (the
 * rest of the line, spaces inside kept). The new argv is the interpreter,
 * the argument, the file (the path exec looked up), then argv[1] on; the
 * interpreter is exec'd in its turn, a script again at most MAX_SCRIPTS
 * deep (then ELOOP, as Linux's exec_binprm). Each depth keeps its line:
 * the strings of every depth stay in the argv. */
#define BINPRM_BUF 256
#define MAX_SCRIPTS 5
static char script_line[MAX_SCRIPTS][BINPRM_BUF];
static const char *script_argv[MAX_ARG_STRINGS + 1];

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_script(const struct exec_file *f)
{
	return f->hdrlen >= 2 && f->data[0] == '#' && f->data[1] == '!';
}

static int script_args(const struct exec_file *f, int depth, const char **file,
		       const char *const **argv)
{
	if (depth == MAX_SCRIPTS)
		return -ELOOP;
	char *b = script_line[depth], *last = b + BINPRM_BUF - 1, *e, *p;
	memset(b, 0, BINPRM_BUF);
	memcpy(b, f->data, MIN(f->hdrlen, BINPRM_BUF));
	if (!(e = memchr(b, '\n', BINPRM_BUF))) { /* the interpreter must end within it */
		for (p = b + 2; p <= last && spacetab(*p); p++)
			;
		while (p <= last && *p && !spacetab(*p))
			p++;
		if (p > last)
			return -ENOEXEC;
		e = last;
	}
	while (spacetab(e[-1]))
		e--;
	char *name = b + 2, *sep, *arg = NULL;
	while (name < e && spacetab(*name))
		name++;
	if (name == e)
		return -ENOEXEC;
	for (sep = name; sep < e && *sep && !spacetab(*sep); sep++)
		;
	if (sep < e && *sep)
		for (arg = sep; arg < e && spacetab(*arg); arg++)
			;
	if (arg == e)
		arg = NULL;
	*e = *sep = 0;
	int argc = 0, k = arg ? 3 : 2; /* argc >= 1: an empty argv came as { "" } */
	while ((*argv)[argc])
		argc++;
	if (argc - 1 + k > MAX_ARG_STRINGS)
		return -E2BIG;
	memmove(&script_argv[k], *argv + 1, argc * sizeof *script_argv); /* argv[1..], NULL */
	script_argv[0] = name;
	script_argv[1] = arg;
	script_argv[k - 1] = *file;
	*file = name;
	*argv = script_argv;
	return 0;
}

int kernel_execve(struct task *t, const char *path, const char *const *argv,
		  const char *const *envp)
{
	struct nameidata nd;
	struct exec_file file, *f = &file;
	const char *name = path; /* what is opened: a script's interpreter, in the end */
	int r;
	for (int depth = 0; (r = exec_open(name, &nd, f)) == 0 && is_script(f); depth++) {
		r = script_args(f, depth, &name, &argv);
		nd_put(&nd);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	const struct fl_elf64_ehdr *eh = (const void *)f->data;
	struct mm *mm = NULL, *old = t->mm;
	if ((r = check_elf(f)) < 0 || !(mm = mm_alloc())) {
		nd_put(&nd);
		return r < 0 ? r : -ENOMEM;
	}
	/* The new mm runs the file: no writer may have it open, and none may
	 * open it while an mm runs it (Linux's deny_write_access). */
	if ((r = deny_write_access(nd.inode)) < 0) {
		mm_put(mm);
		nd_put(&nd);
		return r;
	}
	mm->exe_file = iget(nd.inode);
	const struct fl_elf64_phdr *ph = (const void *)(f->data + eh->phoff);
	u64 bias = fl_elf_bias(eh), phdr = 0, brk = 0;
	for (int i = 0; i < eh->phnum && r == 0; i++) {
		if (ph[i].type == PT_PHDR)
			phdr = ph[i].vaddr + bias;
		if (ph[i].type != FL_ELF_PT_LOAD)
			continue;
		if (!phdr && eh->phoff >= ph[i].offset && eh->phoff < ph[i].offset + ph[i].filesz)
			phdr = ph[i].vaddr + bias + eh->phoff - ph[i].offset;
		brk = MAX(brk, PAGE_UP(ph[i].vaddr + bias + ph[i].memsz));
		r = load_segment(mm, f, &ph[i], bias);
	}
	mm->brk_start = mm->brk = brk;
	/* The point of no return: the new mm goes live so the stack can be written. */
	t->mm = mm;
	mm_switch(mm);
	if (r == 0)
		r = setup_stack(mm, task_pt_regs(t), path, argv, envp, eh->entry + bias, phdr, eh->phnum);
	if (r == 0) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		size_t n = MIN(strlen(base), sizeof t->comm - 1);
		memcpy(t->comm, base, n);
		t->comm[n] = 0;
		/* The group's other threads go now, past the last failure that
		 * leaves them running (exit.c); one test when we are alone. It may
		 * sleep; exec_lock keeps the static buffers meanwhile. */
		if (unlikely(t->live_threads != 1))
			r = de_thread(t);
	}
	if (r < 0) {
		t->mm = old;
		mm_switch(old);
		mm_put(mm);
		nd_put(&nd);
		return r;
	}
	nd_put(&nd);
	t->clear_child_tid = 0; /* a word of the old mm (Linux's exec_mm_release) */
	t->group_leader->did_exec = true; /* before close-on-exec, as Linux: a parent that
					     saw the close sees this too */
	t->thread.fsbase = 0;
	wrmsr(MSR_FS_BASE, 0);
	fpu_exec();
	if (t->files)
		files_close_on_exec(t->files);
	signal_exec(t); /* caught signals back to default; mask and pending kept */
	trace_event(t, FL_EV_EXEC, .exec = { (u64)mm });
	release_vfork_parent(t); /* it may run again: we have our own mm */
	if (old)
		mm_put(old);
	return 0;
}
