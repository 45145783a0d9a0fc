/* The OOM killer, Linux's mm/oom_kill.c in small. A fault that finds no
 * free page does not fail: the process that maps the most pages gets
 * SIGKILL, the host prints Linux's "Out of memory: Killed process" line,
 * and the fault is tried again once the victim has let its memory go.
 * Unlike Linux, pid 1 may be chosen: here it is the program under study,
 * not an init that keeps the system up. */
#include "lab.h"
#include "mm.h"
#include "task.h"

static bool holds_memory(const struct task *t)
{
	return t->mm && !t->kthread && task_alive(t);
}

bool out_of_memory(void)
{
	struct task *victim = NULL;
	u64 most = 0;
	if (mm_releases) { /* an exit or exec is giving pages back, yielding as it goes */
		schedule();
		return true;
	}
	for_each_task(t) {
		if (!holds_memory(t))
			continue;
		if (t->fatal_sig) { /* already dying: its pages are on their way back */
			if (t != current)
				schedule();
			return true;
		}
		u64 rss = mm_rss(t->mm);
		if (rss > most)
			most = rss, victim = t;
	}
	if (!victim)
		return false;
	struct mm *mm = victim->mm;
	u64 vm = 0;
	for (int i = 0; i < mm->nvma; i++)
		vm += (mm->vma[i].end - mm->vma[i].start) / PAGE_SIZE;
	lab_call_text(FL_LAB_OOM, victim->comm, victim->tgid, vm, most, mm->ntables);
	fl_kstate.oom_kills++;
	/* As Linux: every process that shares the victim's memory dies with it
	 * (a vfork parent, CLONE_VM children), or none of it comes back. */
	for_each_task(t)
		if (holds_memory(t) && t->mm == mm && !t->fatal_sig)
			send_sig(t->group_leader, SIGKILL);
	if (victim->group_leader != current->group_leader)
		schedule();
	return true;
}
