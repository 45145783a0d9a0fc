/* The vfork sanitizer: forklab run --explain and --vfork-check
 * (guest-kernel/mm/vfork_san.c, vmm/observe/explain.c). The report on seed
 * 002's program is checked against the program's own ELF, read here with
 * libelf, and against itself (each clobbered word is the last of the child's
 * writes to it); the run's stdout, status and fault reports are those of a
 * run without the sanitizer. */
#include "common/forklab_run.h"
#include "common/native.h"
#include "common/source.h"
#include "observe/retwatch.h"

#include <fcntl.h>
#include <gelf.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct sym { uint64_t addr, size; };

/* A function's address and size in build/guest/NAME's symbol table. */
static struct sym elf_sym(const char *prog, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "build/guest/%s", prog);
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	TEST_ASSERT(e, "%s: cannot read the ELF", path);
	struct sym found = { 0, 0 };
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			if (gelf_getsym(d, i, &s) && !strcmp(elf_strptr(e, sh.sh_link, s.st_name), name))
				found = (struct sym){ s.st_value, s.st_size };
		}
	}
	elf_end(e);
	close(fd);
	TEST_ASSERT(found.addr, "%s: no symbol %s", path, name);
	return found;
}

struct report {
	json_object *o[4096];
	int n;
};

static void read_jsonl(const char *path, struct report *r)
{
	FILE *f = fopen(path, "r");
	TEST_ASSERT(f, "%s: not written", path);
	char line[4096];
	r->n = 0;
	while (fgets(line, sizeof line, f) && r->n < 4096) {
		json_object *o = json_tokener_parse(line);
		TEST_ASSERT(o && json_object_is_type(o, json_type_object), "%s: not a JSON object: %s",
			    path, line);
		r->o[r->n++] = o;
	}
	fclose(f);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	TEST_ASSERT(json_object_object_get_ex(o, key, &v), "report record %s has no \"%s\"",
		    json_object_to_json_string(o), key);
	return json_object_get_string(v);
}

static uint64_t hex(json_object *o, const char *key)
{
	return strtoull(str(o, key), NULL, 16);
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v;
	TEST_ASSERT(json_object_object_get_ex(o, key, &v), "report record %s has no \"%s\"",
		    json_object_to_json_string(o), key);
	return json_object_get_int64(v);
}

/* The first record of an event for a vfork (0: any) with key == val (key NULL: any). */
static json_object *find(const struct report *r, const char *event, int vfork, const char *key,
			 const char *val)
{
	for (int i = 0; i < r->n; i++) {
		json_object *v;
		if (strcmp(str(r->o[i], "event"), event) ||
		    (vfork && (!json_object_object_get_ex(r->o[i], "vfork", &v) ||
			       json_object_get_int(v) != vfork)))
			continue;
		if (!key || !strcmp(str(r->o[i], key), val))
			return r->o[i];
	}
	TEST_FAIL("the report has no \"%s\" record for vfork %d with %s = %s", event, vfork,
		  key ? key : "-", val ? val : "-");
	return NULL;
}

/* The lines of s that start with prefix, concatenated. */
static char *lines_with(const char *s, const char *prefix)
{
	char *out = calloc(1, strlen(s) + 1);
	for (const char *l = s; *l;) {
		const char *nl = strchrnul(l, '\n');
		if (!strncmp(l, prefix, strlen(prefix)))
			strncat(out, l, nl - l + (*nl ? 1 : 0));
		l = *nl ? nl + 1 : nl;
	}
	return out;
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* --explain=FILE PROGRAM [ARG], its report read into rep. */
static struct fr_result explain_run(const char *prog, const char *arg, struct report *rep)
{
	char dir[] = "/tmp/fl-explain-XXXXXX", json[64], opt[96];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(json, sizeof json, "%s/report.jsonl", dir);
	snprintf(opt, sizeof opt, "--explain=%s", json);
	struct fr_result r = FORKLAB("run", opt, prog, arg);
	read_jsonl(json, rep);
	unlink(json);
	rmdir(dir);
	return r;
}

#define EQ(what, want, got)                                                                   \
	TEST_ASSERT((want) == (got), "%s: expected %#llx, got %#llx", what,                   \
		    (unsigned long long)(want), (unsigned long long)(got))

Test(explain, vfork_magic)
{
	struct report rep;
	struct fr_result plain = FORKLAB("run", "vfork-magic");
	struct fr_result r = explain_run("vfork-magic", NULL, &rep);

	/* The program behaves as without the sanitizer. */
	TEST_ASSERT_RUN_STATUS(r, 128 + 11);
	TEST_ASSERT_RUN_STATUS(plain, 128 + 11);
	TEST_ASSERT_RUN_EQ(r, out, "child proc:0\n0\n");
	TEST_ASSERT_RUN_EQ_BYTES(r, out, plain.out, plain.out_len);
	char *kills = lines_with(plain.err, "forklab: pid ");
	TEST_ASSERT(*kills, "the plain run reported no fault: %s", plain.err);
	TEST_ASSERT_RUN(fr_check_eq(&r, "fault reports", lines_with(r.err, "forklab: pid "),
				    strlen(lines_with(r.err, "forklab: pid ")), kills, strlen(kills)));

	struct sym main_ = elf_sym("vfork-magic", "main"), createproc = elf_sym("vfork-magic", "createproc"),
		   vfprintf_ = elf_sym("vfork-magic", "vfprintf");

	/* Two vforks, both by pid 1: the second because the parent re-entered createproc. */
	json_object *v1 = find(&rep, "vfork", 1, NULL, NULL), *v2 = find(&rep, "vfork", 2, NULL, NULL);
	EQ("vfork 1 parent", 1, num(v1, "parent"));
	EQ("vfork 1 child", 2, num(v1, "child"));
	EQ("vfork 2 parent", 1, num(v2, "parent"));
	EQ("vfork 2 child", 3, num(v2, "child"));
	TEST_ASSERT(!strcmp(str(v1, "frames_from"), "DWARF CFI"), "frames from %s", str(v1, "frames_from"));

	/* The parent's frames at vfork 1: createproc, called from main. */
	json_object *f0 = find(&rep, "frame", 1, "function", "createproc");
	json_object *f1 = find(&rep, "frame", 1, "function", "main");
	EQ("frame 0 index", 0, num(f0, "index"));
	EQ("frame 1 index", 1, num(f1, "index"));
	uint64_t ra = hex(f0, "return_address"), slot = hex(f0, "return_slot");
	TEST_ASSERT(ra > main_.addr && ra < main_.addr + main_.size,
		    "createproc's return address %#lx is not in main", ra);
	EQ("frame 0 ends above its return address", slot + 8, hex(f0, "cfa"));
	EQ("frame 1 starts where frame 0 ends", hex(f0, "cfa"), hex(f1, "lo"));
	EQ("frame 0 starts at the vfork's sp", hex(v1, "sp"), hex(f0, "lo"));

	/* Every word whose value the child changed is named, with its values. */
	int clobbered = 0;
	for (int i = 0; i < rep.n; i++) {
		json_object *w = rep.o[i];
		if (strcmp(str(w, "event"), "write") || num(w, "vfork") != 1)
			continue;
		TEST_ASSERT(hex(w, "addr") >= hex(v1, "sp"), "a write below the parent's sp was reported");
		EQ("writer", 2, num(w, "pid"));
		uint64_t word = hex(w, "addr") & ~7ULL, first = 0, last = 0;
		bool seen = false, later = false;
		for (int j = 0; j < rep.n; j++) {
			json_object *u = rep.o[j];
			if (strcmp(str(u, "event"), "write") || num(u, "vfork") != 1 ||
			    (hex(u, "addr") & ~7ULL) != word)
				continue;
			if (!seen)
				first = hex(u, "old"), seen = true;
			last = hex(u, "new");
			later = j > i;
		}
		if (later || first == last)
			continue; /* not the last write to its word, or the word ends unchanged */
		char a[32];
		snprintf(a, sizeof a, "%#lx", word);
		json_object *c = find(&rep, "clobbered", 1, "addr", a);
		EQ("clobbered.was", first, hex(c, "was"));
		EQ("clobbered.now", last, hex(c, "now"));
		EQ("clobbered.writer_rip", hex(w, "rip"), hex(c, "writer_rip"));
		EQ("clobbered.writer", 2, num(c, "writer"));
		TEST_ASSERT(!strcmp(str(c, "slot"), str(w, "slot")), "slot %s, the write's %s",
			    str(c, "slot"), str(w, "slot"));
		clobbered++;
	}
	int named = 0;
	for (int i = 0; i < rep.n; i++)
		named += !strcmp(str(rep.o[i], "event"), "clobbered") && num(rep.o[i], "vfork") == 1;
	EQ("clobbered words named", clobbered, named);

	/* The return address: main's `call exit`, its last instruction, pushed
	 * the address after it, createproc's first byte. */
	char a[32];
	snprintf(a, sizeof a, "%#lx", slot);
	json_object *c = find(&rep, "clobbered", 1, "addr", a);
	TEST_ASSERT(!strcmp(str(c, "slot_kind"), "return_address"), "slot kind %s", str(c, "slot_kind"));
	TEST_ASSERT(!strcmp(str(c, "slot"), "return address of createproc (frame 0)"), "%s", str(c, "slot"));
	EQ("return address was", ra, hex(c, "was"));
	EQ("return address now", createproc.addr, hex(c, "now"));
	EQ("the call exit ends main", main_.addr + main_.size, hex(c, "writer_rip") + 5);
	EQ("main ends where createproc starts", main_.addr + main_.size, createproc.addr);

	json_object *ret = find(&rep, "child_returned", 1, NULL, NULL);
	TEST_ASSERT(!strcmp(str(ret, "function"), "createproc"), "returned from %s", str(ret, "function"));
	EQ("the child's sp is past createproc's frame", hex(f0, "cfa"), hex(ret, "frame_end"));
	TEST_ASSERT(hex(ret, "sp") >= hex(f0, "cfa"), "sp %#lx not past %#lx", hex(ret, "sp"), hex(f0, "cfa"));

	json_object *pr = find(&rep, "parent_ret", 1, NULL, NULL);
	EQ("parent_ret.slot", slot, hex(pr, "slot"));
	EQ("parent_ret.was", ra, hex(pr, "was"));
	EQ("parent_ret.now", createproc.addr, hex(pr, "now"));
	TEST_ASSERT(!strncmp(str(pr, "goes_to"), "0x", 2) && strstr(str(pr, "goes_to"), " <createproc+0 ("),
		    "goes_to %s", str(pr, "goes_to"));

	/* The parent ran createproc again (entered by that ret, 8 bytes higher)
	 * and vforked pid 3, which took the child's path again. */
	json_object *next = find(&rep, "parent_next_vfork", 1, NULL, NULL);
	EQ("next.pid", 1, num(next, "pid"));
	EQ("next.next_vfork", 2, num(next, "next_vfork"));
	EQ("next.cfa_shift", 8, num(next, "cfa_shift"));
	TEST_ASSERT(!strcmp(str(next, "function"), "createproc"), "next vfork in %s", str(next, "function"));
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #1 then pid 1, resumed, made vfork #2 from 0x[0-9a-f]+ "
				"<createproc\\+0x[0-9a-f]+ \\(guest-user/vfork-magic\\.c:19\\)>, in createproc .* its new child, "
				"pid 3, takes the child's path a second time$");

	/* What killed them: pid 3 in vfprintf, pid 1 at 0 by a ret. */
	json_object *e3 = find(&rep, "exit", 2, "role", "the child");
	EQ("exit.pid", 3, num(e3, "pid"));
	TEST_ASSERT(!strcmp(str(e3, "signal"), "SEGV"), "pid 3: SIG%s", str(e3, "signal"));
	TEST_ASSERT(hex(e3, "rip") >= vfprintf_.addr && hex(e3, "rip") < vfprintf_.addr + vfprintf_.size,
		    "pid 3 died at %#lx, not in vfprintf", hex(e3, "rip"));
	json_object *e1 = find(&rep, "exit", 2, "role", "the parent");
	EQ("exit.pid", 1, num(e1, "pid"));
	TEST_ASSERT(!strcmp(str(e1, "signal"), "SEGV"), "pid 1: SIG%s", str(e1, "signal"));
	EQ("pid 1's rip", 0, hex(e1, "rip"));
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #2 pid 1 \\(the parent\\) killed by SIGSEGV at rip 0, sp "
				"0x[0-9a-f]+; it got there by a ret that popped 0 from 0x[0-9a-f]+$");
	/* The text tells the same as the JSON. */
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #1 the parent's next ret through its frames is "
				"createproc's: it pops 0x[0-9a-f]+ and goes to 0x[0-9a-f]+ <createproc\\+0 "
				"\\(guest-user/vfork-magic\\.c:17\\)> instead of 0x[0-9a-f]+ <main\\+0x[0-9a-f]+ "
				"\\(guest-user/vfork-magic\\.c:12\\)>; pid 2's callq 0x[0-9a-f]+ at 0x[0-9a-f]+ "
				"<main\\+0x[0-9a-f]+ \\(guest-user/vfork-magic\\.c:14\\)> "
				"pushed it.*the first byte of the next function, createproc$");

	/* The same ret seen by single steps: from the wrapper's syscall, out
	 * of createproc through the clobbered slot into createproc's first
	 * byte; the second time through a slot no one wrote, into 0. */
	json_object *seen = find(&rep, "parent_ret_observed", 1, NULL, NULL);
	TEST_ASSERT(!strcmp(str(seen, "how"), "stepped") && !strcmp(str(seen, "outcome"), "ret"),
		    "vfork 1's ret: %s, %s", str(seen, "how"), str(seen, "outcome"));
	EQ("observed.pid", 1, num(seen, "pid"));
	EQ("observed.resumed_at: after the wrapper's syscall", hex(v1, "rip"), hex(seen, "resumed_at"));
	TEST_ASSERT(hex(seen, "ret_rip") > createproc.addr && hex(seen, "ret_rip") < createproc.addr + createproc.size,
		    "the ret at %#lx is not createproc's", hex(seen, "ret_rip"));
	EQ("observed.popped_from", slot, hex(seen, "popped_from"));
	EQ("observed.target", createproc.addr, hex(seen, "target"));
	EQ("observed.computed", hex(pr, "now"), hex(seen, "computed"));
	TEST_ASSERT(json_object_get_boolean(json_object_object_get(seen, "same")), "observed and computed differ");
	TEST_ASSERT(num(seen, "steps") > 0 && num(seen, "steps") < FL_RET_STEPS, "%ld steps", num(seen, "steps"));
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #1 observed: pid 1 resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>; "
				"[0-9]+ single steps later its ret at 0x[0-9a-f]+ <createproc\\+0x[0-9a-f]+ "
				"\\(guest-user/vfork-magic\\.c:[0-9]+\\)> popped 0x[0-9a-f]+ and went to 0x[0-9a-f]+ "
				"<createproc\\+0 \\(guest-user/vfork-magic\\.c:17\\)>, as computed$");
	json_object *seen2 = find(&rep, "parent_ret_observed", 2, NULL, NULL);
	TEST_ASSERT(!strcmp(str(seen2, "outcome"), "ret"), "vfork 2's ret: %s", str(seen2, "outcome"));
	EQ("observed 2.popped_from", hex(find(&rep, "frame", 2, "function", "createproc"), "return_slot"),
	   hex(seen2, "popped_from"));
	EQ("observed 2.target", 0, hex(seen2, "target"));
}

/* vfork used as intended: the parent's steps pause while the child and
 * hello run (the parent waits), and main's ret goes where its frame says. */
Test(explain, vfork_demo_parent_ret)
{
	struct report rep;
	struct fr_result plain = FORKLAB("run", "vfork-demo");
	struct fr_result r = explain_run("vfork-demo", NULL, &rep);
	TEST_ASSERT_RUN_STATUS(r, 0);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, plain.out, plain.out_len);
	struct sym main_ = elf_sym("vfork-demo", "main");
	json_object *f0 = find(&rep, "frame", 1, "function", "main");
	json_object *seen = find(&rep, "parent_ret_observed", 1, NULL, NULL);
	TEST_ASSERT(!strcmp(str(seen, "how"), "stepped") && !strcmp(str(seen, "outcome"), "ret"),
		    "the ret: %s, %s", str(seen, "how"), str(seen, "outcome"));
	TEST_ASSERT(hex(seen, "ret_rip") > main_.addr && hex(seen, "ret_rip") < main_.addr + main_.size,
		    "the ret at %#lx is not main's", hex(seen, "ret_rip"));
	EQ("observed.popped_from", hex(f0, "return_slot"), hex(seen, "popped_from"));
	EQ("observed.target", hex(f0, "return_address"), hex(seen, "target"));
	TEST_ASSERT(json_object_get_boolean(json_object_object_get(seen, "same")), "observed and computed differ");
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #1 observed: .* its ret at 0x[0-9a-f]+ <main\\+0x[0-9a-f]+ "
				"\\(guest-user/vfork-demo\\.c:[0-9]+\\)> popped 0x[0-9a-f]+ and went to 0x[0-9a-f]+ "
				"<libc_start_main_stage2\\+0x[0-9a-f]+>, as computed$");
}

/* Where single steps cannot reach user code (PVM), the ret is computed, and
 * the report says so. */
Test(explain, vfork_magic_ret_computed_without_user_steps)
{
	struct report rep;
	setenv("FORKLAB_STEP_USER", "no", 1);
	struct fr_result r = explain_run("vfork-magic", NULL, &rep);
	TEST_ASSERT_RUN_STATUS(r, 128 + 11);
	TEST_ASSERT_RUN_EQ(r, out, "child proc:0\n0\n");
	json_object *seen = find(&rep, "parent_ret_observed", 1, NULL, NULL);
	TEST_ASSERT(!strcmp(str(seen, "how"), "computed") && !strcmp(str(seen, "outcome"), "not_stepped"),
		    "vfork 1's ret: %s, %s", str(seen, "how"), str(seen, "outcome"));
	TEST_ASSERT(!has(seen, "steps"), "steps counted where none were taken");
	EQ("computed target", elf_sym("vfork-magic", "createproc").addr, hex(seen, "target"));
	TEST_ASSERT_RUN_MATCHES(r, err, "^explain: #1 computed, not observed \\(this host's single steps stop "
				"only in the kernel\\): pid 1 resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>; its ret "
				"out of createproc's frame pops 0x[0-9a-f]+ and goes to 0x[0-9a-f]+ <createproc\\+0 ");
	TEST_ASSERT_RUN_LACKS(r, err, "single steps later");
}

/* ---- guest-user/vfork-ret: each outcome of the observed ret ---- */

/* vfork-ret HOW natively, in the guest, and in the guest with --explain=FILE
 * (its report into rep): all three print out and end with status. The
 * explain run is returned. */
static struct fr_result vfork_ret(const char *how, const char *out, int status, struct report *rep)
{
	struct native n = native_run_argv((char *const[]){ "build/guest/vfork-ret", (char *)how, NULL },
					  NULL);
	TEST_ASSERT_RUN(fr_check_eq(&n.r, "native stdout", n.r.out, n.r.out_len, out, strlen(out)));
	TEST_ASSERT_RUN(n.r.status == status ? NULL :
			fr_explain(&n.r, "native exit status %d, expected %d", n.r.status, status));
	struct fr_result plain = FORKLAB("run", "vfork-ret", how);
	TEST_ASSERT_RUN_STATUS(plain, status);
	TEST_ASSERT_RUN_EQ(plain, out, out);
	struct fr_result r = explain_run("vfork-ret", how, rep);
	TEST_ASSERT_RUN_STATUS(r, status);
	TEST_ASSERT_RUN_EQ(r, out, out);
	return r;
}

static bool in_sym(uint64_t addr, struct sym f)
{
	return addr >= f.addr && addr < f.addr + f.size;
}

/* The observed ret of vfork #1 made by fn, with outcome; the computed one
 * (parent_ret) unchanged at the release, to main, from frame 0's slot. */
static json_object *observed(const struct report *rep, const char *fn, const char *outcome)
{
	json_object *f0 = find(rep, "frame", 1, "function", fn);
	EQ("frame 0", 0, num(f0, "index"));
	json_object *pr = find(rep, "parent_ret", 1, NULL, NULL);
	EQ("parent_ret.slot", hex(f0, "return_slot"), hex(pr, "slot"));
	EQ("parent_ret.now: unchanged", hex(f0, "return_address"), hex(pr, "now"));
	TEST_ASSERT(in_sym(hex(pr, "now"), elf_sym("vfork-ret", "main")), "the computed ret goes to %#lx, "
		    "not into main", hex(pr, "now"));
	json_object *seen = find(rep, "parent_ret_observed", 1, NULL, NULL);
	TEST_ASSERT(!strcmp(str(seen, "how"), "stepped") && !strcmp(str(seen, "outcome"), outcome),
		    "the ret: %s, %s; expected stepped, %s", str(seen, "how"), str(seen, "outcome"), outcome);
	EQ("observed.pid", 1, num(seen, "pid"));
	EQ("observed.resumed_at: after the wrapper's syscall", hex(find(rep, "vfork", 1, NULL, NULL), "rip"),
	   hex(seen, "resumed_at"));
	EQ("observed.slot", hex(f0, "return_slot"), hex(seen, "slot"));
	EQ("observed.computed", hex(pr, "now"), hex(seen, "computed"));
	return seen;
}

/* vfork-ret HOW, whose parent's slot is written after the release (by
 * spawn_HOW itself, its system call, or its thread): the observed ret, from
 * the slot, went to detour, not to main as computed; the stderr line up to
 * its writer is returned in re. */
static json_object *detoured(const char *how, struct fr_result *r, char *re, size_t n)
{
	static struct report rep;
	char out[96], fn[32];
	snprintf(out, sizeof out, "%s: the parent's ret went to detour\n", how);
	snprintf(fn, sizeof fn, "spawn_%s", how);
	*r = vfork_ret(how, out, 3, &rep);
	json_object *seen = observed(&rep, fn, "ret");
	struct sym spawn = elf_sym("vfork-ret", fn), detour = elf_sym("vfork-ret", "detour");
	TEST_ASSERT(in_sym(hex(seen, "ret_rip"), spawn), "the ret at %#lx is not %s's", hex(seen, "ret_rip"),
		    fn);
	EQ("observed.popped_from", hex(seen, "slot"), hex(seen, "popped_from"));
	EQ("observed.target", detour.addr, hex(seen, "target"));
	TEST_ASSERT(!json_object_get_boolean(json_object_object_get(seen, "same")), "\"same\" is true");
	int64_t steps = num(seen, "steps");
	TEST_ASSERT(steps > 0 && steps < FL_RET_STEPS, "%ld steps", steps);
	snprintf(re, n, "^explain: #1 observed: pid 1 resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>; %ld single "
		 "steps later its ret at %s <%s\\+0x[0-9a-f]+ \\(guest-user/vfork-ret\\.c:[0-9]+\\)> popped %s "
		 "and went to 0x[0-9a-f]+ <detour\\+0>, not to %s <main\\+0x[0-9a-f]+ "
		 "\\(guest-user/vfork-ret\\.c:[0-9]+\\)> as computed: the slot changed after the child "
		 "released it", steps, str(seen, "ret_rip"), fn, str(seen, "slot"), str(seen, "computed"));
	return seen;
}

/* The parent writes its own return slot after the release: its ret goes
 * where it wrote, and the report names the write. */
Test(explain, vfork_ret_slot_written_by_the_parent)
{
	struct fr_result r;
	char re[1024];
	json_object *seen = detoured("detour", &r, re, sizeof re);
	TEST_ASSERT(in_sym(hex(seen, "writer_rip"), elf_sym("vfork-ret", "spawn_detour")) &&
		    hex(seen, "writer_rip") < hex(seen, "ret_rip"),
		    "the slot's writer %#lx is not in spawn_detour before its ret", hex(seen, "writer_rip"));
	TEST_ASSERT(!strncmp(str(seen, "writer_insn"), "mov", 3) && strstr(str(seen, "writer_insn"), "(%rbp)"),
		    "writer_insn %s", str(seen, "writer_insn"));
	snprintf(re + strlen(re), sizeof re - strlen(re), "; pid 1's mov[a-z]* %%[a-z0-9]+, 8\\(%%rbp\\) at %s "
		 "<spawn_detour\\+0x[0-9a-f]+ \\(guest-user/vfork-ret\\.c:%d\\)> wrote it$",
		 str(seen, "writer_rip"), source_line("guest-user/vfork-ret.c", "*slot = (void *)detour;"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

/* The same by read(2): the kernel's copy for the parent's system call
 * wrote it, and is named. */
Test(explain, vfork_ret_slot_written_by_a_system_call)
{
	struct fr_result r;
	char re[1024];
	json_object *seen = detoured("read", &r, re, sizeof re);
	TEST_ASSERT(hex(seen, "writer_rip") >> 63, "the slot's writer %#lx is not in the kernel",
		    hex(seen, "writer_rip"));
	snprintf(re + strlen(re), sizeof re - strlen(re), "; the kernel's .+ at %s <[a-z_]+\\+0x[0-9a-f]+ "
		 "\\(guest-kernel/[^)]+\\)>, for pid 1, wrote it$", str(seen, "writer_rip"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

/* The same by the parent's thread, while the parent waits to join it. */
Test(explain, vfork_ret_slot_written_by_another_task)
{
	struct fr_result r;
	char re[1024];
	json_object *seen = detoured("thread", &r, re, sizeof re);
	TEST_ASSERT(!has(seen, "writer_rip"), "a writer named: %s", str(seen, "writer_where"));
	strcat(re, ", while pid 1 was off the vCPU: another task sharing its memory wrote it$");
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

/* The parent leaves the frame by longjmp: no ret of that frame runs, and
 * printf's, from the slot main's call reused, is not taken for it. */
Test(explain, vfork_ret_frame_left_without_ret)
{
	struct report rep;
	struct fr_result r = vfork_ret("longjmp", "longjmp: back in main, 5\n", 5, &rep);
	json_object *seen = observed(&rep, "spawn_longjmp", "left");
	/* musl's longjmp (assembly) has no size in the symbol table. */
	TEST_ASSERT(hex(seen, "left_rip") > elf_sym("vfork-ret", "longjmp").addr &&
		    strstr(str(seen, "left_where"), "longjmp+0x"), "RSP moved at %s, not in longjmp",
		    str(seen, "left_where"));
	TEST_ASSERT(strstr(str(seen, "left_insn"), ", %rsp"), "left_insn %s", str(seen, "left_insn"));
	/* main called setjmp and spawn_longjmp at one RSP: the frame's end. */
	EQ("observed.left_sp", hex(find(&rep, "frame", 1, "function", "spawn_longjmp"), "cfa"),
	   hex(seen, "left_sp"));
	TEST_ASSERT(!has(seen, "ret_rip") && !has(seen, "target") && !has(seen, "same"),
		    "a ret reported: %s", json_object_to_json_string(seen));
	char re[1024];
	snprintf(re, sizeof re, "^explain: #1 observed: pid 1, resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>, "
		 "left spawn_longjmp's frame without a ret: %ld single steps later pid 1's %s at %s moved "
		 "its sp to %s, above the frame's return slot %s; computed, that ret would have gone to "
		 "0x[0-9a-f]+ <main\\+0x[0-9a-f]+ \\(guest-user/vfork-ret\\.c:[0-9]+\\)>$",
		 num(seen, "steps"), "movq 0x30\\(%rdi\\), %rsp", "0x[0-9a-f]+ <_?longjmp\\+0x[0-9a-f]+>",
		 str(seen, "left_sp"), str(seen, "slot"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
	TEST_ASSERT_RUN_LACKS(r, err, "single steps later its ret");
}

/* The parent runs on past the steps' budget before its ret. */
Test(explain, vfork_ret_budget_spent)
{
	struct report rep;
	struct fr_result r = vfork_ret("spin", "spin: 0\n", 0, &rep);
	json_object *seen = observed(&rep, "spawn_spin", "budget");
	EQ("observed.steps", FL_RET_STEPS, num(seen, "steps"));
	TEST_ASSERT(!has(seen, "ret_rip") && !has(seen, "target"), "a ret reported: %s",
		    json_object_to_json_string(seen));
	char re[512];
	snprintf(re, sizeof re, "^explain: #1 observed: pid 1, resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>, "
		 "made no ret out of spawn_spin's frame in %d single steps; computed, it goes to %s <main\\+",
		 FL_RET_STEPS, str(seen, "computed"));
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

/* The parent exits before its ret. */
Test(explain, vfork_ret_parent_exits_first)
{
	struct report rep;
	struct fr_result r = vfork_ret("exit", "exit: the parent exits before its ret\n", 4, &rep);
	json_object *seen = observed(&rep, "spawn_exit", "exited");
	int64_t steps = num(seen, "steps");
	TEST_ASSERT(steps > 0 && steps < FL_RET_STEPS, "%ld steps", steps);
	TEST_ASSERT(!has(seen, "ret_rip") && !has(seen, "target"), "a ret reported: %s",
		    json_object_to_json_string(seen));
	EQ("the parent's exit", 4, num(find(&rep, "exit", 1, "role", "the parent"), "status"));
	char re[512];
	snprintf(re, sizeof re, "^explain: #1 observed: pid 1, resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>, "
		 "exited after %ld single steps, before any ret out of spawn_exit's frame$", steps);
	TEST_ASSERT_RUN_MATCHES(r, err, re);
}

/* Without user steps each of them is computed, and said to be. */
Test(explain, vfork_ret_computed_without_user_steps)
{
	static const struct { const char *how, *out, *fn; int status; } runs[] = {
		{ "detour", "detour: the parent's ret went to detour\n", "spawn_detour", 3 },
		{ "read", "read: the parent's ret went to detour\n", "spawn_read", 3 },
		{ "thread", "thread: the parent's ret went to detour\n", "spawn_thread", 3 },
		{ "longjmp", "longjmp: back in main, 5\n", "spawn_longjmp", 5 },
		{ "spin", "spin: 0\n", "spawn_spin", 0 },
		{ "exit", "exit: the parent exits before its ret\n", "spawn_exit", 4 },
	};
	setenv("FORKLAB_STEP_USER", "no", 1);
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		struct report rep;
		struct fr_result r = explain_run("vfork-ret", runs[i].how, &rep);
		TEST_ASSERT_RUN_STATUS(r, runs[i].status);
		TEST_ASSERT_RUN_EQ(r, out, runs[i].out);
		json_object *f0 = find(&rep, "frame", 1, "function", runs[i].fn);
		json_object *seen = find(&rep, "parent_ret_observed", 1, NULL, NULL);
		TEST_ASSERT(!strcmp(str(seen, "how"), "computed") && !strcmp(str(seen, "outcome"), "not_stepped"),
			    "%s: %s, %s", runs[i].how, str(seen, "how"), str(seen, "outcome"));
		TEST_ASSERT(!has(seen, "steps"), "%s: steps counted where none were taken", runs[i].how);
		EQ("computed target", hex(f0, "return_address"), hex(seen, "target"));
		char re[512];
		snprintf(re, sizeof re, "^explain: #1 computed, not observed \\(this host's single steps stop "
			 "only in the kernel\\): pid 1 resumed at 0x[0-9a-f]+ <vfork\\+0x[0-9a-f]+>; its ret out "
			 "of %s's frame pops %s and goes to %s <main\\+", runs[i].fn, str(f0, "return_slot"),
			 str(f0, "return_address"));
		TEST_ASSERT_RUN_MATCHES(r, err, re);
		TEST_ASSERT_RUN_LACKS(r, err, "explain: #1 observed");
	}
}

/* --vfork-check on a correct program: no finding, and the run as without it. */
static void no_finding(const char *prog, const char *script, int vforks)
{
	const char *const plain_argv[] = { "run", prog, script ? "sh" : NULL, "-c", script, NULL };
	const char *const check_argv[] = { "run", "--vfork-check", prog, script ? "sh" : NULL, "-c",
					   script, NULL };
	struct fr_result plain = fr_run(NULL, plain_argv), r = fr_run(NULL, check_argv);
	TEST_ASSERT_RUN_STATUS(r, plain.status);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, plain.out, plain.out_len);
	TEST_ASSERT_RUN_LACKS(r, err, "vfork-check: vfork #");
	char want[96];
	if (vforks < 0) /* some: their number is the program's business */
		snprintf(want, sizeof want, "^vfork-check: 0 findings in [1-9][0-9]* vforks$");
	else
		snprintf(want, sizeof want, "^vfork-check: 0 findings in %d vforks$", vforks);
	TEST_ASSERT_RUN_MATCHES(r, err, want);
}

Test(vfork_check, vfork_demo_no_finding) { no_finding("vfork-demo", NULL, 1); }
Test(vfork_check, posix_spawn_no_finding) { no_finding("posix-spawn", NULL, 2); }
Test(vfork_check, pthreads_no_finding) { no_finding("pthreads", NULL, 0); }
/* busybox's xargs runs a command that is not one of its in-process
 * applets (echo is) by vfork and exec (libbb's spawn). */
Test(vfork_check, busybox_pipeline_no_finding)
{
	no_finding("/bin/busybox", "echo 'e d c b a' | tr ' ' '\\n' | sort | xargs sh -c 'echo $0 $@' | "
		   "tr a-z A-Z", -1);
}

/* When the exec fails, libbb's spawn has the child store errno in a
 * volatile local of the parent's frame, on purpose (POSIX leaves it
 * undefined): a finding, in a program no one here wrote. */
Test(vfork_check, busybox_spawn_failure_finds_the_errno_store)
{
	struct fr_result r = FORKLAB("run", "--vfork-check", "/bin/busybox", "sh", "-c",
				     "echo a | xargs nosuchprog");
	TEST_ASSERT_RUN_STATUS(r, 121);
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #[0-9]+ \\(pid [0-9]+ -> pid [0-9]+\\): pid [0-9]+ "
				"wrote the parent's stack \\(movl %eax, 0x[0-9a-f]+\\(%rsp\\)\\) at "
				"0x[0-9a-f]+ \\(.*\\), rip 0x[0-9a-f]+$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: 1 findings in [0-9]+ vforks$");
}

Test(vfork_check, vfork_magic_finds_the_return)
{
	struct fr_result r = FORKLAB("run", "--vfork-check", "vfork-magic");
	TEST_ASSERT_RUN_STATUS(r, 121);
	TEST_ASSERT_RUN_EQ(r, out, "child proc:0\n0\n");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #1 \\(pid 1 -> pid 2\\): pid 2 returned from "
				"createproc, the function that called vfork: its sp 0x[0-9a-f]+ is past that "
				"frame's end 0x[0-9a-f]+ at 0x[0-9a-f]+ \\(local of main \\(frame 1, "
				"CFA-0x14\\)\\), rip 0x[0-9a-f]+ <main\\+0x12 \\(guest-user/vfork-magic\\.c:12\\)>$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #1 \\(pid 1 -> pid 2\\): pid 2 called a function "
				"\\(callq 0x[0-9a-f]+\\), its return address landing on the parent's stack at "
				"0x[0-9a-f]+ \\(return address of createproc \\(frame 0\\)\\), rip 0x[0-9a-f]+ "
				"<main\\+0x29 \\(guest-user/vfork-magic\\.c:13\\)>$");
	/* The stores of vfork's return value are allowed: none at createproc+0xd. */
	TEST_ASSERT_RUN_LACKS(r, err, "<createproc+0xd");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: [1-9][0-9]* findings in 2 vforks$");
}

Test(vfork_check, vfork_local_finds_the_store)
{
	struct fr_result plain = FORKLAB("run", "vfork-local");
	struct fr_result r = FORKLAB("run", "--vfork-check", "vfork-local");
	TEST_ASSERT_RUN_STATUS(r, 121);
	TEST_ASSERT_RUN_EQ_BYTES(r, out, plain.out, plain.out_len);
	TEST_ASSERT_RUN_EQ(r, out, "the child's store reached the parent: 42\n");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #1 \\(pid 1 -> pid 2\\): pid 2 wrote the "
				"parent's stack \\(movl \\$0x2a, 0x[0-9a-f]+\\(%rsp\\)\\) at 0x[0-9a-f]+ "
				"\\(local of main \\(frame 0, CFA-0x[0-9a-f]+\\)\\), rip 0x[0-9a-f]+ "
				"<main\\+0x[0-9a-f]+ \\(guest-user/vfork-local\\.c:12\\)>$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: 1 findings in 1 vforks$");
}

Test(vfork_check, vfork_wrapped_finds_the_return)
{
	struct fr_result r = FORKLAB("run", "--vfork-check", "vfork-wrapped");
	TEST_ASSERT_RUN_STATUS(r, 121);
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #1 \\(pid 1 -> pid 2\\): pid 2 returned from "
				"start_child, the function that called vfork: .* rip 0x[0-9a-f]+ "
				"<main\\+0x[0-9a-f]+ \\(guest-user/vfork-wrapped\\.c:22\\)>$");
	TEST_ASSERT_RUN_MATCHES(r, err, "^vfork-check: vfork #1 \\(pid 1 -> pid 2\\): pid 2 called a function "
				"\\(callq 0x[0-9a-f]+\\), its return address landing on the parent's stack at "
				"0x[0-9a-f]+ \\(return address of start_child \\(frame 0\\)\\), rip 0x[0-9a-f]+ "
				"<main\\+0x[0-9a-f]+ \\(guest-user/vfork-wrapped\\.c:22\\)>$");
}
