/* Tasks as threads (threads.h). The table's length and the offsets past the
 * head that abi.h shares come from DWARF (libdw), so a change to struct
 * task in the kernel needs no change here. */
#include "gdb/threads.h"
#include "error.h"
#include "run/session.h"

#include <elfutils/libdw.h>
#include <dwarf.h>
#include <string.h>

/* The member's offset in a struct's DIE; -1 if it has none by that name. */
static int member_offset(Dwarf_Die *st, const char *name, size_t *off)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return -1;
	do {
		Dwarf_Attribute a;
		Dwarf_Word w;
		const char *n = dwarf_diename(&m);
		if (dwarf_tag(&m) == DW_TAG_member && n && !strcmp(n, name) &&
		    dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &w) == 0) {
			*off = w;
			return 0;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return -1;
}

/* The variable `tasks`: an array of pointers to struct task, one per slot
 * (NULL: free). Its declaration in task.h has the full type, so the first
 * DIE with a sized array type will do. */
static int find_tasks(Dwarf *dw, Dwarf_Die *array)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				Dwarf_Attribute a;
				Dwarf_Word size;
				const char *n = dwarf_tag(&d) == DW_TAG_variable &&
						dwarf_attr_integrate(&d, DW_AT_name, &a) ? dwarf_formstring(&a) : NULL;
				if (n && !strcmp(n, "tasks") && dwarf_attr_integrate(&d, DW_AT_type, &a) &&
				    dwarf_formref_die(&a, array) && dwarf_tag(array) == DW_TAG_array_type &&
				    dwarf_aggregate_size(array, &size) == 0)
					return 0;
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	return -1;
}

int gdb_ktypes_load(const struct fl_kernel *k, struct gdb_ktypes *t, char *err, size_t n)
{
	memset(t, 0, sizeof *t);
	Dwarf *dw = dwarf_begin_elf(k->elf, DWARF_C_READ, NULL);
	if (!dw)
		return fl_fail(err, n, "the kernel has no DWARF debug information (built without -g?)");
	Dwarf_Die array, ptr, task;
	Dwarf_Attribute a;
	Dwarf_Word total;
	int r = -1;
	if (find_tasks(dw, &array) < 0 || dwarf_aggregate_size(&array, &total) != 0 ||
	    !dwarf_attr(&array, DW_AT_type, &a) || !dwarf_formref_die(&a, &ptr) ||
	    dwarf_tag(&ptr) != DW_TAG_pointer_type || !dwarf_attr(&ptr, DW_AT_type, &a) ||
	    !dwarf_formref_die(&a, &task)) {
		fl_fail(err, n, "the kernel's debug information has no array `tasks` of pointers");
		goto out;
	}
	if (member_offset(&task, "comm", &t->comm_off) < 0 ||
	    member_offset(&task, "parent", &t->parent_off) < 0) {
		fl_fail(err, n, "the kernel's struct task has no comm or parent");
		goto out;
	}
	t->ntasks = total / sizeof(uint64_t);
	if (fl_kernel_symbol(k, "tasks", &t->tasks) < 0 ||
	    fl_kernel_symbol(k, "ret_from_fork", &t->ret_from_fork) < 0) {
		fl_fail(err, n, "the kernel has no symbol tasks or ret_from_fork");
		goto out;
	}
	r = 0;
out:
	dwarf_end(dw);
	if (r < 0)
		memset(t, 0, sizeof *t);
	return r;
}

const char *gdb_task_state(int32_t state)
{
	static const char *const names[] = { "unused", "running", "sleeping", "zombie", "dead" };
	return state >= 0 && state <= 4 ? names[state] : "?";
}

static bool live(int32_t state)
{
	return state >= 1 && state <= 3;
}

/* Slot i's task (*va) and its head, pid and state only: the cheap part of
 * a listing. -1 for a free slot or one that cannot be read. */
static int read_slot(const struct fl_session *s, const struct gdb_ktypes *kt, size_t i,
		     uint64_t *va, struct fl_task_head *h)
{
	if (fl_read_kva(s, kt->tasks + i * sizeof *va, va, sizeof *va) < 0 || !*va)
		return -1;
	return fl_read_kva(s, *va, h, sizeof *h);
}

int gdb_tasks_list(const struct fl_session *s, const struct gdb_ktypes *kt, int *tids, int max)
{
	int n = 0;
	struct fl_task_head h;
	uint64_t va;
	for (size_t i = 0; kt->tasks && i < kt->ntasks && n < max; i++)
		if (read_slot(s, kt, i, &va, &h) == 0 && live(h.state) && h.pid > 0)
			tids[n++] = h.pid;
	return n;
}

int gdb_task_find(const struct fl_session *s, const struct gdb_ktypes *kt, int tid,
		  struct gdb_task *out)
{
	struct fl_task_head h;
	for (size_t i = 0; kt->tasks && i < kt->ntasks; i++) {
		uint64_t va, parent = 0;
		if (read_slot(s, kt, i, &va, &h) < 0 || !live(h.state) || h.pid != tid)
			continue;
		memset(out, 0, sizeof *out);
		/* A task whose mm or stack is unreadable is still listed: the
		 * guest is untrusted, and gdb should see what there is. */
		if (fl_task_read(s, va, &out->v) < 0) {
			out->v.va = va;
			out->v.head = h;
			out->v.regs_va = 0;
		}
		if (fl_read_kva(s, va + kt->comm_off, out->comm, sizeof out->comm - 1) < 0)
			out->comm[0] = 0;
		if (fl_read_kva(s, va + kt->parent_off, &parent, sizeof parent) == 0 && parent &&
		    fl_read_kva(s, parent + offsetof(struct fl_task_head, pid), &out->ppid,
				sizeof out->ppid) < 0)
			out->ppid = 0;
		return 0;
	}
	return -1;
}

/* switch_to pushed rbp, rbx, r12..r15 (r15 lowest) below its return
 * address: the words at thread.sp, in gdb's numbers. */
static const int switch_frame[7] = { GDB_R15, GDB_R14, GDB_R13, GDB_R12, GDB_RBX, GDB_RBP, GDB_RIP };

/* copy_thread's new task: switch_to has never left a frame for it. */
static bool never_ran(const struct gdb_ktypes *kt, const struct gdb_task *t)
{
	const struct fl_thread *th = &t->v.head.thread;
	return th->ip == kt->ret_from_fork || th->sp == t->v.regs_va;
}

bool gdb_task_user_regs(const struct gdb_task *t, struct gdb_regfile *f)
{
	if (t->v.head.kthread || !t->v.regs_va)
		return false;
	gdb_regs_user_from_ptregs(f, &t->v.regs);
	return true;
}

int gdb_task_regs(const struct fl_session *s, const struct gdb_ktypes *kt,
		  const struct gdb_task *t, struct gdb_regfile *f)
{
	memset(f, 0, sizeof *f);
	const struct fl_thread *th = &t->v.head.thread;
	gdb_reg_set(f, GDB_CS, FL_KERNEL_CS);
	gdb_reg_set(f, GDB_SS, FL_KERNEL_DS);
	gdb_reg_set(f, GDB_EFLAGS, 0x2);
	gdb_reg_set(f, GDB_FS_BASE, th->fsbase);
	if (t->v.cr3)
		gdb_reg_set(f, GDB_CR3, t->v.cr3);
	gdb_task_user_regs(t, f);
	if (never_ran(kt, t)) {
		gdb_reg_set(f, GDB_RIP, th->ip);
		gdb_reg_set(f, GDB_RSP, th->sp);
		return 0;
	}
	uint64_t frame[7];
	if (fl_read_kva(s, th->sp, frame, sizeof frame) < 0)
		return -1;
	for (int i = 0; i < 7; i++)
		gdb_reg_set(f, switch_frame[i], frame[i]);
	gdb_reg_set(f, GDB_RSP, th->sp + sizeof frame);
	return 0;
}

int gdb_task_reg_home(const struct gdb_ktypes *kt, const struct gdb_task *t, int regno,
		      uint64_t *va)
{
	const struct fl_thread *th = &t->v.head.thread;
	int off = gdb_user_reg_ptregs_offset(regno);
	if (off >= 0) {
		if (t->v.head.kthread || !t->v.regs_va)
			return -1;
		*va = t->v.regs_va + (uint64_t)off;
		return 0;
	}
	if (regno == GDB_FS_BASE) {
		*va = t->v.va + offsetof(struct fl_task_head, thread.fsbase);
		return 0;
	}
	if (never_ran(kt, t)) {
		if (regno != GDB_RIP && regno != GDB_RSP)
			return -1;
		*va = t->v.va + (regno == GDB_RIP ? offsetof(struct fl_task_head, thread.ip) :
						     offsetof(struct fl_task_head, thread.sp));
		return 0;
	}
	for (int i = 0; i < 7; i++)
		if (switch_frame[i] == regno) {
			*va = th->sp + 8 * (uint64_t)i;
			return 0;
		}
	return -1;
}
