/* The forklab command line: `forklab run` boots a guest program, `forklab
 * bench` measures process creation beside Linux, `forklab list` names the
 * built-in programs. Bad input exits 2 with one line on stderr
 * (no arguments at all: the usage text). */
#include "bench/bench.h"
#include "gdb/transport.h"
#include "observe/explain.h"
#include "observe/trace.h"
#include "observe/verify.h"
#include "run/config.h"
#include "run/launch.h"

#include <forklab/abi.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: forklab COMMAND [OPTIONS]\n"
	"\n"
	"forklab boots its own x86-64 kernel in a KVM virtual machine to show how an\n"
	"operating system creates processes.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] PROGRAM [ARGS...]  boot the guest kernel and run PROGRAM as pid 1\n"
	"  bench [OPTIONS]                  fork, vfork, clone, spawn, exec, COW and exit costs,\n"
	"                                   natively and in the guest, side by side\n"
	"  list                             list the built-in guest programs\n"
	"  help                             show this text (also -h, --help)\n"
	"\n"
	"'forklab run --help' describes the run options and exit statuses,\n"
	"'forklab bench --help' the benchmark's.\n";

static const char run_usage[] =
	"Usage: forklab run [OPTIONS] PROGRAM [ARGS...]\n"
	"\n"
	"Boots forklab's guest kernel in a KVM VM and runs PROGRAM as pid 1. PROGRAM is\n"
	"the name of a built-in guest program ('forklab list') or a path to a static\n"
	"x86-64 Linux ELF on this host, which is packed into the initramfs. The\n"
	"program's stdout and stderr are forklab's, and forklab's stdin is its fd 0.\n"
	"\n"
	"Options:\n"
	"  --mem SIZE       guest RAM: a number with K, M or G (default 256M, 16M..3G)\n"
	"  --timeout SECS   end the run after SECS seconds (default 30; 0: no limit)\n"
	"  --kernel PATH    boot this kernel ELF instead of the one built beside forklab\n"
	"  --append ARGS    extra kernel boot arguments (fork=copy or fork=shared,\n"
	"                   test.panic, test.fault, test.triple, kthreads=N, fault.*:\n"
	"                   see README)\n"
	"  --verify[=FILE]  check every fork, vfork and clone from the host: the child's\n"
	"                   frame and thread record, both return values, shared memory,\n"
	"                   the vfork wait; one line per check on stderr, JSON Lines to\n"
	"                   FILE; exit 122 and \"verification failed\" if a check fails\n"
	"  --trace FILE     write the kernel's events to FILE as a Chrome/Perfetto trace\n"
	"                   (ui.perfetto.dev, tools/trace/view.html): a track per task,\n"
	"                   clone-to-child flows, registers and checks in each event\n"
	"  --explain[=FILE] the vfork sanitizer: the kernel write-protects a vfork\n"
	"                   parent's stack while the child runs; each write the child\n"
	"                   makes there is named by the frame slot it hits, and when\n"
	"                   the parent resumes: the words changed, where its next ret\n"
	"                   goes and why (computed, then observed by single steps),\n"
	"                   what it did next and what killed it; on stderr, and as\n"
	"                   JSON Lines to FILE\n"
	"  --vfork-check    the same watch as a checker: the child returning from the\n"
	"                   function that called vfork, calling functions whose frames\n"
	"                   land on the parent's, writing the parent's frames; one line\n"
	"                   per finding; exit 121 if there is one\n"
	"  -v, --verbose    kernel messages, the host kind and boot timings on stderr\n"
	"  --stats          the kernel's counters at exit on stderr: free pages (at\n"
	"                   init's start and at exit), forks, PTEs copied, page-table\n"
	"                   pages, COW copies and reuses, context switches\n"
	"  --pack HOST[:GUEST]  copy a host file or directory tree into the guest's\n"
	"                   file system at GUEST (absolute; default /NAME, NAME being\n"
	"                   HOST's last component); repeatable\n"
	"  -e, --env NAME=VALUE  set a variable in PROGRAM's environment (beside\n"
	"                   HOME=/ and TERM=linux, which it may override); repeatable\n"
	"  --cwd DIR        PROGRAM's working directory (absolute; default /)\n"
	"  --gdb [HOST:]PORT|unix:PATH  serve gdb's remote protocol there (HOST\n"
	"                   127.0.0.1 by default) and wait for gdb before the first\n"
	"                   guest instruction; guest tasks are gdb threads; no\n"
	"                   --timeout unless one is given (see README, \"gdb\")\n"
	"  --gdb-nowait     with --gdb: run at once; gdb may attach later\n"
	"  -h, --help       show this text\n"
	"\n"
	"Exit status: the program's own; 128+N if signal N killed it; 2 when the input\n"
	"or the host is bad (nothing ran); 121 when --vfork-check found a misuse; 122\n"
	"when --verify found a failed check; 124\n"
	"when --timeout expired; 125 when the guest kernel died (panic, triple fault,\n"
	"emulation failure, bad lab message).\n";

static const char bench_usage[] =
	"Usage: forklab bench [OPTIONS]\n"
	"\n"
	"Runs the benchmark program forkbench natively (Linux) and then in forklab's\n"
	"guest, once per fork strategy, in one invocation, and prints a table of the\n"
	"cost of each operation at each size of touched private memory, forklab beside\n"
	"Linux with their ratio and forklab's work counters per operation.\n"
	"Operations: fork, fork+exit+wait, vfork+_exit, clone_vm, posix_spawn,\n"
	"fork+exec+wait, cow_fault, exit+wait (see README).\n"
	"\n"
	"Options:\n"
	"  -n N             runs per point (default 20; 5 with --icount, whose counts\n"
	"                   are deterministic)\n"
	"  --sizes LIST     MiB of touched private memory, comma-separated (default\n"
	"                   0,1,16,64,256,1024, less the sizes --mem cannot hold)\n"
	"  --ops LIST       operations, comma-separated (default: all)\n"
	"  --fork LIST      forklab's fork strategies, each passed as --append fork=S:\n"
	"                   copy, shared (default copy,shared)\n"
	"  --mem SIZE       guest RAM (default 512M); a size fits when it is 256M less\n"
	"  --timeout SECS   limit of each guest run (default 600; 0: none)\n"
	"  --thp            let Linux back the memory with transparent huge pages\n"
	"                   (MADV_HUGEPAGE); by default both kernels use 4 KiB pages\n"
	"  --icount         run it all inside the nested bed (tools/nested/run-suite.sh)\n"
	"                   under QEMU's -icount shift=0: costs in instructions, Linux\n"
	"                   being the bed's L1 kernel and forklab its nested guest\n"
	"  --json FILE      write every sample, with the counters, as JSON\n"
	"  --plot FILE.svg  plot cost against size, one panel per operation (gnuplot)\n"
	"  --raw            print forkbench's records instead of the table (what\n"
	"                   --icount runs inside the bed)\n"
	"  -h, --help       show this text\n"
	"\n"
	"Progress goes to stderr, on one self-updating line when stderr is a terminal.\n"
	"Exit status: 0; 1 when a run failed (one line says which); 2 for bad options\n"
	"or a host that cannot run it (no /dev/kvm without --icount, no gnuplot).\n";

static char exe_dir[PATH_MAX - 32]; /* room for the file names appended to it */

static void find_exe_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
	exe_dir[n > 0 ? n : 0] = 0;
	dirname(exe_dir);
}

static int bad(const char *fmt, const char *arg)
{
	fputs("forklab: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return FL_EXIT_USAGE;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	int shift;
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	case 0: shift = 0; break;
	default: return -1;
	}
	if (*end || v > FL_MEM_MAX >> shift) /* before the shift, which could overflow */
		return -1;
	v <<= shift;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > 86400)
		return -1;
	*out = v;
	return 0;
}

/* An absolute path with no empty, . or .. component (a trailing / is fine). */
static bool guest_path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= 256)
		return false;
	for (const char *s = p + 1; *s;) {
		const char *e = strchrnul(s, '/');
		size_t n = e - s;
		if ((n == 0 && *e) || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s = *e ? e + 1 : e;
	}
	return true;
}

/* HOST[:GUEST]: HOST must exist; GUEST defaults to /NAME. */
static int parse_pack(char *arg, struct fl_pack *p)
{
	static char guest[FL_MAX_PACKS][256];
	static int used;
	char *colon = strrchr(arg, ':');
	struct stat st;
	if (colon && colon[1] == '/')
		*colon = 0;
	else
		colon = NULL;
	p->host = arg;
	if (!*arg)
		return bad("--pack %s: no host path", arg), -1;
	if (lstat(arg, &st) < 0) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof why, "%s: %s", arg, strerror(errno));
		return bad("--pack %s", why), -1;
	}
	if (colon) {
		p->guest = colon + 1;
	} else {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%s", arg);
		snprintf(guest[used], sizeof guest[used], "/%s", basename(tmp));
		p->guest = guest[used++];
	}
	if (!guest_path_ok(p->guest) || !strcmp(p->guest, "/"))
		return bad("--pack %s: the guest path must be absolute, not /, without . or .. "
			   "components", p->guest), -1;
	return 0;
}

/* --append's fork=copy|shared, checked here so that a typo is an error and
 * not the default; the verifier needs the mode too. */
static int parse_fork_mode(const char *a, bool *shared)
{
	int seen = 0;
	for (const char *p = a; (p = strstr(p, "fork=")); p++) {
		if (p != a && p[-1] != ' ')
			continue;
		size_t n = strcspn(p + 5, " ");
		if (seen++ || !((n == 4 && !strncmp(p + 5, "copy", 4)) ||
				(n == 6 && !strncmp(p + 5, "shared", 6))))
			return -1;
		*shared = n == 6;
	}
	return 0;
}

/* A report the user asked for is output: losing it (a full disk, /dev/full)
 * fails the run, with one line. f may be NULL (not asked). */
static int close_output(FILE *f, const char *opt, const char *path, const char *what)
{
	if (!f)
		return 0;
	errno = 0;
	bool failed = fflush(f) != 0 || ferror(f);
	failed = (fclose(f) != 0) || failed;
	if (failed)
		fprintf(stderr, "forklab: %s=%s: writing %s failed: %s\n", opt, path, what,
			strerror(errno ? errno : EIO));
	return failed ? -1 : 0;
}

static int cmd_run(int argc, char **argv)
{
	static char kernel[PATH_MAX], guest_dir[PATH_MAX];
	const char *verify_path = NULL, *trace_path = NULL, *explain_path = NULL;
	FILE *trace_out = NULL, *explain_json = NULL;
	bool explain = false, vfork_check = false;
	static const struct option opts[] = {
		{ "mem", required_argument, 0, 'm' },
		{ "timeout", required_argument, 0, 't' },
		{ "kernel", required_argument, 0, 'k' },
		{ "append", required_argument, 0, 'a' },
		{ "verbose", no_argument, 0, 'v' },
		{ "stats", no_argument, 0, 's' },
		{ "verify", optional_argument, 0, 'V' },
		{ "trace", required_argument, 0, 'T' },
		{ "explain", optional_argument, 0, 'X' },
		{ "vfork-check", no_argument, 0, 'C' },
		{ "pack", required_argument, 0, 'p' },
		{ "env", required_argument, 0, 'e' },
		{ "cwd", required_argument, 0, 'c' },
		{ "gdb", required_argument, 0, 'g' },
		{ "gdb-nowait", no_argument, 0, 'G' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	snprintf(kernel, sizeof kernel, "%s/kernel.elf", exe_dir);
	snprintf(guest_dir, sizeof guest_dir, "%s/guest", exe_dir);
	struct fl_config c = {
		.kernel = kernel, .guest_dir = guest_dir, .mem_size = 256UL << 20, .timeout_s = 30,
	};
	int o;
	bool timeout_given = false;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+vhe:", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			if (parse_size(optarg, &c.mem_size) < 0)
				return bad("--mem %s: not a size such as 256M or 1G (at most 3G)", optarg);
			if (c.mem_size < FL_MEM_MIN)
				return bad("--mem %s is too small: forklab needs at least 16M", optarg);
			break;
		case 't':
			if (parse_uint(optarg, &c.timeout_s) < 0)
				return bad("--timeout %s: not a whole number of seconds (0 to 86400)", optarg);
			timeout_given = true;
			break;
		case 'k': c.kernel = optarg; break;
		case 'a':
			c.append = optarg;
			if (parse_fork_mode(optarg, &c.fork_shared) < 0)
				return bad("--append %s: fork= takes copy or shared, once", optarg);
			break;
		case 'v': c.verbose = true; break;
		case 's': c.stats = true; break;
		case 'V':
			c.verify = true;
			verify_path = optarg;
			if (optarg && !(c.verify_json = fopen(optarg, "w")))
				return bad("--verify=%s: cannot create the file", optarg);
			break;
		case 'T':
			trace_path = optarg;
			if (trace_out)
				fclose(trace_out);
			if (!(trace_out = fopen(optarg, "w")))
				return bad("--trace %s: cannot create the file", optarg);
			break;
		case 'X':
			explain = true;
			explain_path = optarg;
			if (optarg && !(explain_json = fopen(optarg, "w")))
				return bad("--explain=%s: cannot create the file", optarg);
			break;
		case 'C': vfork_check = true; break;
		case 'p':
			if (c.npacks == FL_MAX_PACKS)
				return bad("--pack %s: at most 32 --pack options", optarg);
			if (parse_pack(optarg, &c.packs[c.npacks++]) < 0)
				return FL_EXIT_USAGE;
			break;
		case 'e':
			if (c.nenv == FL_MAX_ENV)
				return bad("-e %s: at most 64 -e options", optarg);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return bad("-e %s: not NAME=VALUE", optarg);
			c.env[c.nenv++] = optarg;
			break;
		case 'c':
			if (!guest_path_ok(optarg))
				return bad("--cwd %s: not an absolute guest path without . or .. components",
					   optarg);
			c.cwd = optarg;
			break;
		case 'g': {
			char why[160];
			if (gdb_addr_check(optarg, why, sizeof why) < 0)
				return bad("%s", why);
			c.gdb = optarg;
			break;
		}
		case 'G': c.gdb_nowait = true; break;
		case 'h': fputs(run_usage, stdout); return 0;
		default:
			return bad("run: unknown or incomplete option '%s' (see 'forklab run --help')",
				   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad("%s", "run: no PROGRAM given (see 'forklab run --help')");
	if (c.gdb_nowait && !c.gdb)
		return bad("%s", "run: --gdb-nowait needs --gdb");
	if (c.gdb && !timeout_given)
		c.timeout_s = 0; /* a debugging session takes as long as it takes */
	c.program = argv[optind];
	if (!*c.program)
		return bad("%s", "run: the PROGRAM name is empty (see 'forklab list')");
	c.args = argv + optind + 1;
	c.nargs = argc - optind - 1;
	c.mem_size &= ~0xfffUL;
	struct fl_verifier *v = NULL;
	struct fl_tracer *t = NULL;
	if (trace_out && !(t = fl_trace_attach(&c, trace_out, c.verify_json, !c.verify, &v)))
		return bad("--trace %s: out of memory", trace_path);
	if (c.verify && !t)
		v = fl_verify_attach(&c, c.verify_json);
	struct fl_explain *x = NULL;
	if ((explain || vfork_check) && !(x = fl_explain_attach(&c, explain, vfork_check, explain_json)))
		return bad("%s", "--explain, --vfork-check: out of memory");
	int status = fl_launch(&c);
	if (v)
		status = fl_verify_finish(v, status);
	if (x)
		status = fl_explain_finish(x, status);
	if (close_output(explain_json, "--explain", explain_path, "the report") < 0 ||
	    close_output(c.verify_json, "--verify", verify_path, "the checks") < 0)
		return FL_EXIT_USAGE;
	if (t && fl_trace_finish(t) < 0) {
		fprintf(stderr, "forklab: --trace %s: writing the trace failed: %s\n", trace_path,
			strerror(errno));
		return FL_EXIT_USAGE;
	}
	return status;
}

/* A comma-separated LIST of names, each one of names[]; sets on[index]. */
static int parse_names(const char *opt, const char *list, bool *on, int max,
		       int (*index_of)(const char *))
{
	char buf[512], why[640];
	snprintf(buf, sizeof buf, "%s", list);
	memset(on, 0, max * sizeof *on);
	int n = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		int i = index_of(tok);
		if (i < 0) {
			snprintf(why, sizeof why, "%s %s: unknown name '%s' (see 'forklab bench --help')",
				 opt, list, tok);
			return bad("bench: %s", why), -1;
		}
		on[i] = true;
	}
	if (!n)
		return bad("bench: %s: an empty list", opt), -1;
	return 0;
}

static int fork_index(const char *name)
{
	return !strcmp(name, "copy") ? 0 : !strcmp(name, "shared") ? 1 : -1;
}

/* The directory of path exists and is writable. */
static bool dir_writable(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	return access(dirname(tmp), W_OK) == 0;
}

static bool in_path(const char *prog)
{
	char buf[PATH_MAX], paths[4096];
	snprintf(paths, sizeof paths, "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(paths, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof buf, "%s/%s", d, prog);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

static int cmd_bench(int argc, char **argv)
{
	static char exe[PATH_MAX], path[PATH_MAX + 64];
	static const struct option opts[] = {
		{ "sizes", required_argument, 0, 's' },
		{ "ops", required_argument, 0, 'o' },
		{ "fork", required_argument, 0, 'f' },
		{ "mem", required_argument, 0, 'm' },
		{ "timeout", required_argument, 0, 't' },
		{ "icount", no_argument, 0, 'i' },
		{ "thp", no_argument, 0, 'H' },
		{ "json", required_argument, 0, 'j' },
		{ "plot", required_argument, 0, 'p' },
		{ "raw", no_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	static const unsigned default_sizes[] = { 0, 1, 16, 64, 256, 1024 };
	struct fl_bench_config c = {
		.build_dir = exe_dir, .mem_size = 512UL << 20, .timeout_s = 600,
		.forks = { "copy", "shared" }, .nforks = 2,
	};
	const char *sizes = NULL, *n_arg = NULL, *mem_arg = "512M";
	bool fork_on[2] = { true, true };
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = 0;
	c.exe = exe;
	for (int i = 0; i < fb_nops; i++)
		c.op_on[i] = true;
	int o;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n': n_arg = optarg; break;
		case 's': sizes = optarg; break;
		case 'o':
			if (parse_names("--ops", optarg, c.op_on, fb_nops, fb_op_index) < 0)
				return FL_EXIT_USAGE;
			break;
		case 'f':
			if (parse_names("--fork", optarg, fork_on, 2, fork_index) < 0)
				return FL_EXIT_USAGE;
			break;
		case 'm':
			if (parse_size(optarg, &c.mem_size) < 0 || c.mem_size < FL_MEM_MIN)
				return bad("bench: --mem %s: not a size from 16M to 3G", optarg);
			mem_arg = optarg;
			break;
		case 't':
			if (parse_uint(optarg, &c.timeout_s) < 0)
				return bad("bench: --timeout %s: not a whole number of seconds (0 to 86400)",
					   optarg);
			break;
		case 'i': c.icount = true; break;
		case 'H': c.thp = true; break;
		case 'j': c.json = optarg; break;
		case 'p': c.plot = optarg; break;
		case 'r': c.raw = true; break;
		case 'h': fputs(bench_usage, stdout); return 0;
		default:
			return bad("bench: unknown or incomplete option '%s' (see 'forklab bench --help')",
				   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("bench: unexpected argument '%s' (see 'forklab bench --help')", argv[optind]);
	c.n = c.icount ? 5 : 20;
	if (n_arg) {
		unsigned n;
		if (parse_uint(n_arg, &n) < 0 || n < 1 || n > 10000)
			return bad("bench: -n %s: not a number of runs from 1 to 10000", n_arg);
		c.n = n;
	}
	c.nforks = 0;
	for (int i = 0; i < 2; i++)
		if (fork_on[i])
			c.forks[c.nforks++] = i ? "shared" : "copy";
	/* Sizes: each must fit --mem; the default list keeps those that do. */
	if (sizes) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", sizes);
		for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			unsigned mib;
			if (c.nsizes == FB_MAX_SIZES || parse_uint(tok, &mib) < 0 || mib > 3072)
				return bad("bench: --sizes %s: not a list of at most 16 sizes in MiB (0 to 3072)",
					   sizes);
			if (((uint64_t)mib << 20) + FB_MEM_OVERHEAD > c.mem_size) {
				snprintf(path, sizeof path, "%u MiB does not fit --mem %s (it needs %luM)", mib,
					 mem_arg, (unsigned long)mib + (FB_MEM_OVERHEAD >> 20));
				return bad("bench: --sizes: %s", path);
			}
			c.sizes[c.nsizes++] = mib;
		}
		if (!c.nsizes)
			return bad("bench: --sizes %s: an empty list", sizes);
	} else {
		for (size_t i = 0; i < sizeof default_sizes / sizeof *default_sizes; i++)
			if (((uint64_t)default_sizes[i] << 20) + FB_MEM_OVERHEAD <= c.mem_size)
				c.sizes[c.nsizes++] = default_sizes[i];
	}
	if (c.json && !dir_writable(c.json))
		return bad("bench: --json %s: its directory is missing or not writable", c.json);
	if (c.plot) {
		size_t l = strlen(c.plot);
		if (l < 5 || strcmp(c.plot + l - 4, ".svg") || strchr(c.plot, '\''))
			return bad("bench: --plot %s: not a FILE.svg path (without ')", c.plot);
		if (!dir_writable(c.plot))
			return bad("bench: --plot %s: its directory is missing or not writable", c.plot);
		if (!in_path("gnuplot"))
			return bad("%s", "bench: --plot needs gnuplot (make deps installs gnuplot-nox)");
	}
	snprintf(path, sizeof path, "%s/guest/forkbench", exe_dir);
	if (access(path, X_OK) < 0)
		return bad("bench: %s is missing: run make", path);
	if (c.icount) {
		snprintf(path, sizeof path, "%s/../tools/nested/run-suite.sh", exe_dir);
		if (access(path, X_OK) < 0)
			return bad("bench: --icount needs %s (forklab's source tree around build/)", path);
	} else if (access("/dev/kvm", R_OK | W_OK) < 0) {
		return bad("%s", "bench: /dev/kvm is missing or not usable here; --icount runs the bench "
			   "in the nested bed instead");
	}
	c.mem_size &= ~0xfffUL;
	return fl_bench(&c);
}

static int cmd_list(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/guest", exe_dir);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return bad("guest programs directory %s is missing: run make", dir);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			puts(names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	find_exe_dir();
	if (argc < 2)
		return fputs(usage, stderr), FL_EXIT_USAGE;
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return fputs(usage, stdout), 0;
	return bad("unknown command '%s' (see 'forklab --help')", cmd);
}
