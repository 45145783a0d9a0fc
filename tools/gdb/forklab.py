# gdb helpers for forklab's guest kernel, for a session on `forklab run --gdb`:
#   forklab-ps             the tasks: pid, ppid, state, mm/cr3, kernel stack, thread.sp/ip/sp0
#   forklab-frames PID     the task's pt_regs, marking what differs from its parent's
#                          (what copy_thread changed, until either task runs on)
#   forklab-vma PID        the task's VMAs and the copy-on-write state of their pages
#   $forklab_task(PID)     a struct task * for PID (e.g. p $forklab_task(2)->thread)
# Load with `source tools/gdb/forklab.py`, or let gdb auto-load build/kernel.elf-gdb.py
# (written by make; see README). Every field is read through the kernel's DWARF
# types (build/kernel.elf is built with -g): no offsets are written down here.
import struct

import gdb

# include/forklab/abi.h: the kernel's direct map of guest RAM, and its task states.
PAGE_OFFSET = 0xffff888000000000
STATES = {1: "running", 2: "sleeping", 3: "zombie"}
PTE_P, PTE_W, PTE_U, PTE_PS = 0x1, 0x2, 0x4, 0x80
PTE_ADDR = 0x000ffffffffff000


def tasks():
    """The live tasks (neither unused nor dead), as struct task values: the
    table holds a pointer per slot, NULL for a free one, and slots from
    task_slots_used on were never taken."""
    table = gdb.parse_and_eval("tasks")
    for i in range(int(gdb.parse_and_eval("task_slots_used"))):
        p = table[i]
        if int(p) and int(p["state"]) in STATES:
            yield p.dereference()


def task_by_pid(pid):
    for t in tasks():
        if int(t["pid"]) == pid:
            return t
    raise gdb.GdbError("forklab: no live task with pid %d" % pid)


def pt_regs(t):
    """The user registers at the top of t's kernel stack (task_pt_regs)."""
    regs = gdb.lookup_type("struct pt_regs")
    return (t["thread"]["sp0"].cast(regs.pointer()) - 1).dereference()


def symbolic(addr):
    """addr as gdb prints a code address: <function+offset>, or the number."""
    return gdb.format_address(addr)


def parse_pid(arg, command):
    try:
        return int(gdb.parse_and_eval(arg))
    except (gdb.error, ValueError):
        raise gdb.GdbError("usage: %s PID" % command)


class Ps(gdb.Command):
    """List forklab's tasks: pid, ppid, state, command, mm and its cr3, the
kernel stack, and the thread record (thread.sp, thread.ip, thread.sp0)."""

    def __init__(self):
        super().__init__("forklab-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        current = gdb.parse_and_eval("current")
        print("%4s %4s %-8s %-16s %-18s %-10s %-18s %-18s %-18s %s" % (
            "PID", "PPID", "STATE", "COMM", "MM", "CR3", "STACK", "THREAD.SP", "THREAD.SP0",
            "THREAD.IP"))
        for t in tasks():
            parent = t["parent"]
            ppid = int(parent["pid"]) if int(parent) else 0
            mm = t["mm"]
            cr3 = "%#x" % int(mm["cr3"]) if int(mm) else "-"
            no_mm = "- (kthread)" if int(t["kthread"]) else "- (released)"
            th = t["thread"]
            on_cpu = int(current) == int(t.address)
            print("%4d %4d %-8s %-16s %-18s %-10s %#-18x %#-18x %#-18x %s%s" % (
                int(t["pid"]), ppid, STATES[int(t["state"])], t["comm"].string(),
                "%#x" % int(mm) if int(mm) else no_mm, cr3, int(t["stack"]),
                int(th["sp"]), int(th["sp0"]), symbolic(int(th["ip"])),
                "  (on the vCPU: thread.sp/ip are stale)" if on_cpu else ""))


class Frames(gdb.Command):
    """Print task PID's pt_regs (the user registers at the top of its kernel stack),
marking with * each field that differs from its parent's (or, while copy_process
has yet to set the parent, from the forking task's): after copy_thread and
before either task runs on, those are what copy_thread changed (ax = 0 for a
fork child, sp for a new stack)."""

    def __init__(self):
        super().__init__("forklab-frames", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        t = task_by_pid(parse_pid(arg, "forklab-frames"))
        regs = pt_regs(t)
        # copy_process sets parent after copy_thread: until then the task
        # forking it is the one on the vCPU.
        parent = t["parent"]
        if not int(parent) and int(gdb.parse_and_eval("current")) not in (0, int(t.address)):
            parent = gdb.parse_and_eval("current")
        pregs = pt_regs(parent.dereference()) if int(parent) else None
        print("pid %d pt_regs at %#x%s" % (
            int(t["pid"]), int(regs.address),
            ", against pid %d's" % int(parent["pid"]) if pregs is not None else
            " (no parent)"))
        for f in regs.type.fields():
            v = int(regs[f.name])
            mark = ""
            if pregs is not None and int(pregs[f.name]) != v:
                mark = "  * parent %#x" % int(pregs[f.name])
            print("  %-8s %#18x%s" % (f.name, v, mark))


def read_table(pa):
    mem = gdb.selected_inferior().read_memory(PAGE_OFFSET + pa, 4096)
    return struct.unpack("<512Q", bytes(mem))


def leaf_ptes(pml4_pa, start, end):
    """(va, pte) of each present 4 KiB mapping in [start, end), one table read a level."""
    va = start
    while va < end:
        entry, table, shift = None, pml4_pa, 39
        while shift >= 12:
            e = read_table(table)[(va >> shift) & 511]
            if not e & PTE_P or (shift in (30, 21) and e & PTE_PS):
                break
            if shift == 12:
                entry = e
                break
            table, shift = e & PTE_ADDR, shift - 9
        if entry is not None:
            pt = read_table(table)
            first = (va >> 12) & 511
            for i in range(first, 512):
                a = (va & ~((1 << 21) - 1)) + (i << 12)
                if a >= end:
                    break
                if pt[i] & PTE_P:
                    yield a, pt[i]
            va = (va & ~((1 << 21) - 1)) + (1 << 21)
        else:
            va = (va & ~((1 << shift) - 1)) + (1 << shift)


class Vma(gdb.Command):
    """Print task PID's VMAs and, for each, its pages: present, writable, and
copy-on-write (read-only in a private writable VMA), split into those still shared
(page refcount > 1) and those whose next write takes them back without a copy."""

    def __init__(self):
        super().__init__("forklab-vma", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        t = task_by_pid(parse_pid(arg, "forklab-vma"))
        mm = t["mm"]
        if not int(mm):
            raise gdb.GdbError("forklab: pid %d is a kernel thread: no mm" % int(t["pid"]))
        refs = gdb.parse_and_eval("page_refs")
        pml4_pa = int(mm["cr3"]) & PTE_ADDR
        print("pid %d mm %#x cr3 %#x, %d VMAs" % (int(t["pid"]), int(mm), int(mm["cr3"]),
                                                  int(mm["nvma"])))
        print("  %-32s %-5s %7s %8s %10s %10s" % ("RANGE", "PERM", "PRESENT", "WRITABLE",
                                                 "COW-SHARED", "COW-ALONE"))
        for i in range(int(mm["nvma"])):
            v = mm["vma"][i]
            flags = int(v["flags"])
            perm = "".join(c if flags & b else "-" for c, b in (("r", 1), ("w", 2), ("x", 4))) + \
                ("s" if flags & 16 else "p")
            present = writable = shared = alone = 0
            for va, pte in leaf_ptes(pml4_pa, int(v["lo"]), int(v["hi"])):
                present += 1
                if pte & PTE_W:
                    writable += 1
                elif flags & 2 and not flags & 16:
                    if int(refs[(pte & PTE_ADDR) >> 12]) > 1:
                        shared += 1
                    else:
                        alone += 1
            print("  %#014x-%#014x   %-5s %7d %8d %10d %10d" % (
                int(v["start"]), int(v["end"]), perm, present, writable, shared, alone))


class TaskFunction(gdb.Function):
    """$forklab_task(PID): the struct task * of the live task PID."""

    def __init__(self):
        super().__init__("forklab_task")

    def invoke(self, pid):
        return task_by_pid(int(pid)).address


Ps()
Frames()
Vma()
TaskFunction()
