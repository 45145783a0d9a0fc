/* Core dumps, as Linux writes them (fs/coredump.c, binfmt_elf.c's
 * elf_core_dump) with core_pattern "core": when a signal whose default
 * action dumps core ends a process whose RLIMIT_CORE is at least a page,
 * the file "core" in its working directory gets an ELF header, a PT_NOTE
 * with each thread's NT_PRSTATUS (its registers) and the process's
 * NT_PRPSINFO, and a PT_LOAD for each VMA holding the pages present in it
 * (the others are holes). The other threads are killed first, so the
 * memory written is one instant's. As on Linux, the file stops at the
 * limit, and the status reports a dump once the file is made, cut short
 * or not. */
#include <forklab/elf_rules.h>
#include <forklab/linux.h>

#include "arch.h"
#include "errno.h"
#include "fs.h"
#include "mm.h"
#include "task.h"

#define COREDUMP_SIGS (1UL << (SIGQUIT - 1) | 1UL << (SIGILL - 1) | 1UL << (SIGTRAP - 1) | \
		       1UL << (SIGABRT - 1) | 1UL << (SIGBUS - 1) | 1UL << (SIGFPE - 1) |      \
		       1UL << (SIGSEGV - 1) | 1UL << (SIGXCPU - 1) | 1UL << (SIGXFSZ - 1) |    \
		       1UL << (SIGSYS - 1))
#define ET_CORE 4
#define EM_X86_64 62
#define PT_NOTE 4
#define NT_PRSTATUS 1
#define NT_PRPSINFO 3

/* Linux's x86-64 struct elf_prstatus and elf_prpsinfo. */
struct prstatus {
	s32 si_signo, si_code, si_errno;
	short cursig;
	u64 sigpend, sighold;
	s32 pid, ppid, pgrp, sid;
	u64 times[8]; /* utime, stime, cutime, cstime: timevals */
	u64 regs[27]; /* user_regs_struct */
	s32 fpvalid;
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct prstatus) == 336, "elf_prstatus");

struct prpsinfo {
	char state, sname, zomb, nice;
	u64 flag;
	u32 uid, gid;
	s32 pid, ppid, pgrp, sid;
	char fname[16], psargs[80];
};
_Static_assert(sizeof(struct prpsinfo) == 136, "elf_prpsinfo");

struct note {
	u32 namesz, descsz, type;
	char name[8]; /* "CORE", padded to 4 */
};

bool core_due(struct task *l, int sig)
{
	return (COREDUMP_SIGS & (1UL << (sig - 1))) && task_rlimit(l, RLIMIT_CORE) >= PAGE_SIZE;
}

/* Writes what of [off, off + n) lies below the limit. */
static void emit(struct inode *f, u64 limit, u64 off, const void *buf, u64 n)
{
	if (off < limit)
		inode_write_kernel(f, off, buf, MIN(n, limit - off));
}

static void put_note(u8 **at, u32 type, const void *desc, u32 size)
{
	struct note n = { 5, size, type, "CORE" };
	memcpy(*at, &n, sizeof n);
	memcpy(*at + sizeof n, desc, size);
	*at += sizeof n + ((size + 3) & ~3U);
}

static void prstatus_of(struct prstatus *p, struct task *t, int sig)
{
	const struct pt_regs *r = task_pt_regs(t);
	const struct task *l = t->group_leader, *pp = l->parent;
	*p = (struct prstatus){ .si_signo = sig, .cursig = sig, .sighold = t->sigmask,
				.sigpend = t->pending | l->shared_pending, .pid = t->pid,
				.ppid = pp ? pp->tgid : 0, .pgrp = l->pgid, .sid = l->sid };
	memcpy(p->regs, r, sizeof *r);        /* r15 .. ss, user_regs_struct's order */
	p->regs[21] = t->thread.fsbase;       /* fs_base; gs_base and the selectors 0 */
}

/* The file "core" in the working directory, empty: created 0600 (less the
 * umask), or an existing regular file with one name that no one runs, cut
 * to 0 (Linux's conditions). NULL if there is none to write. */
static struct inode *core_file(void)
{
	struct nameidata nd;
	struct inode *i = NULL;
	if (path_walk(AT_FDCWD, "core", 0, &nd) < 0)
		return NULL;
	if (nd.inode) {
		if (S_ISREG(nd.inode->mode) && !nd.inode->proc && nd.inode->nlink == 1 &&
		    nd.inode->writecount >= 0 && inode_truncate(nd.inode, 0) == 0)
			i = iget(nd.inode);
	} else if (file_create(&nd, 0600) == 0) {
		i = iget(nd.inode);
	}
	nd_put(&nd);
	return i;
}

int do_coredump(int sig)
{
	struct task *t = current, *l = t->group_leader;
	struct mm *mm = t->mm;
	if (!mm || !t->fs || !core_due(l, sig))
		return sig;
	kill_other_threads(t, sig); /* the others stop here: one instant's memory */

	/* The ELF and program headers in one page (1 + 64 of them fit), the
	 * notes in another: 11 threads' NT_PRSTATUS and the NT_PRPSINFO. */
	u64 hdr_pa = page_alloc(false), notes_pa = page_alloc(false);
	struct inode *f = hdr_pa && notes_pa ? core_file() : NULL;
	bool dumped = f;
	if (!f)
		goto out;
	u8 *notes = __va(notes_pa), *at = notes;
	for_each_thread_of(t, th) {
		if (th->state == TASK_DEAD ||
		    at + 2 * sizeof(struct note) + sizeof(struct prstatus) + sizeof(struct prpsinfo) >
			    notes + PAGE_SIZE)
			continue;
		struct prstatus p;
		prstatus_of(&p, th, sig);
		put_note(&at, NT_PRSTATUS, &p, sizeof p);
	}
	struct prpsinfo ps = { .sname = 'R', .pid = l->tgid, .pgrp = l->pgid, .sid = l->sid,
			       .ppid = l->parent ? l->parent->tgid : 0 };
	memcpy(ps.fname, t->comm, sizeof ps.fname - 1);
	u64 args = MIN(mm->arg_end - mm->arg_start, sizeof ps.psargs - 1);
	access_mm(mm, mm->arg_start, ps.psargs, args);
	for (u64 k = 0; k + 1 < args; k++) /* argv's strings, space-separated, as Linux's */
		if (!ps.psargs[k])
			ps.psargs[k] = ' ';
	put_note(&at, NT_PRPSINFO, &ps, sizeof ps);

	struct fl_elf64_ehdr *eh = __va(hdr_pa);
	struct fl_elf64_phdr *ph = (void *)(eh + 1);
	u64 notes_at = sizeof *eh + (1 + mm->nvma) * sizeof *ph, off = PAGE_UP(notes_at + (at - notes));
	*eh = (struct fl_elf64_ehdr){ .ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 }, .type = ET_CORE,
				      .machine = EM_X86_64, .version = 1, .phoff = sizeof *eh,
				      .ehsize = sizeof *eh, .phentsize = sizeof *ph,
				      .phnum = 1 + mm->nvma };
	ph[0] = (struct fl_elf64_phdr){ .type = PT_NOTE, .offset = notes_at, .filesz = at - notes };
	for (int k = 0; k < mm->nvma; k++) {
		const struct vma *v = &mm->vma[k];
		ph[1 + k] = (struct fl_elf64_phdr){
			.type = FL_ELF_PT_LOAD, .offset = off, .vaddr = v->start,
			.filesz = v->end - v->start, .memsz = v->end - v->start, .align = PAGE_SIZE,
			.flags = (v->flags & VM_READ ? 4 : 0) | (v->flags & VM_WRITE ? 2 : 0) |
				 (v->flags & VM_EXEC ? 1 : 0) };
		off += v->end - v->start;
	}
	u64 limit = task_rlimit(l, RLIMIT_CORE);
	emit(f, limit, 0, eh, notes_at);
	emit(f, limit, notes_at, notes, at - notes);
	/* Each present page at its place, straight from the direct map: the
	 * others are holes. The mm is this process's alone now. */
	for (int k = 0; k < mm->nvma && ph[1 + k].offset < limit; k++)
		for (u64 va = mm->vma[k].start; va < mm->vma[k].end; va += PAGE_SIZE) {
			u64 *pte = pte_walk(mm, va, false);
			if (pte && (*pte & PTE_P))
				emit(f, limit, ph[1 + k].offset + (va - mm->vma[k].start),
				     __va(*pte & PTE_ADDR), PAGE_SIZE);
		}
	inode_truncate(f, MIN(off, limit)); /* the holes at the end too */
	iput(f);
	if (l != t && l->state == TASK_ZOMBIE)
		l->exit_code |= 0x80; /* the leader went while we wrote: the status says so */
out:
	if (hdr_pa)
		page_put(hdr_pa);
	if (notes_pa)
		page_put(notes_pa);
	return dumped ? sig | 0x80 : sig;
}
