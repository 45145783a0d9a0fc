/* The forklab command line: `forklab run` boots a guest program, `forklab
 * list` names the built-in ones. Bad input exits 2 with one line on stderr
 * (no arguments at all: the usage text). */
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
	"  list                             list the built-in guest programs\n"
	"  help                             show this text (also -h, --help)\n"
	"\n"
	"'forklab run --help' describes the run options and exit statuses.\n";

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
	"  --append ARGS    extra kernel boot arguments (test.panic, test.fault,\n"
	"                   test.triple, kthreads=N, fault.*: see README)\n"
	"  --verify[=FILE]  check every fork, vfork and clone from the host: the child's\n"
	"                   frame and thread record, both return values, shared memory,\n"
	"                   the vfork wait; one line per check on stderr, JSON Lines to\n"
	"                   FILE; exit 122 and \"verification failed\" if a check fails\n"
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
	"  -h, --help       show this text\n"
	"\n"
	"Exit status: the program's own; 128+N if signal N killed it; 2 when the input\n"
	"or the host is bad (nothing ran); 122 when --verify found a failed check; 124\n"
	"when --timeout expired; 125 when the guest kernel died (panic, triple fault,\n"
	"emulation failure, bad lab message).\n";

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

static int cmd_run(int argc, char **argv)
{
	static char kernel[PATH_MAX], guest_dir[PATH_MAX];
	const char *verify_path = NULL;
	static const struct option opts[] = {
		{ "mem", required_argument, 0, 'm' },
		{ "timeout", required_argument, 0, 't' },
		{ "kernel", required_argument, 0, 'k' },
		{ "append", required_argument, 0, 'a' },
		{ "verbose", no_argument, 0, 'v' },
		{ "stats", no_argument, 0, 's' },
		{ "verify", optional_argument, 0, 'V' },
		{ "pack", required_argument, 0, 'p' },
		{ "env", required_argument, 0, 'e' },
		{ "cwd", required_argument, 0, 'c' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	snprintf(kernel, sizeof kernel, "%s/kernel.elf", exe_dir);
	snprintf(guest_dir, sizeof guest_dir, "%s/guest", exe_dir);
	struct fl_config c = {
		.kernel = kernel, .guest_dir = guest_dir, .mem_size = 256UL << 20, .timeout_s = 30,
	};
	int o;
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
			break;
		case 'k': c.kernel = optarg; break;
		case 'a': c.append = optarg; break;
		case 'v': c.verbose = true; break;
		case 's': c.stats = true; break;
		case 'V':
			c.verify = true;
			verify_path = optarg;
			if (optarg && !(c.verify_json = fopen(optarg, "w")))
				return bad("--verify=%s: cannot create the file", optarg);
			break;
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
		case 'h': fputs(run_usage, stdout); return 0;
		default:
			return bad("run: unknown or incomplete option '%s' (see 'forklab run --help')",
				   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad("%s", "run: no PROGRAM given (see 'forklab run --help')");
	c.program = argv[optind];
	if (!*c.program)
		return bad("%s", "run: the PROGRAM name is empty (see 'forklab list')");
	c.args = argv + optind + 1;
	c.nargs = argc - optind - 1;
	c.mem_size &= ~0xfffUL;
	struct fl_verifier *v = c.verify ? fl_verify_attach(&c, c.verify_json) : NULL;
	int status = fl_launch(&c);
	if (v)
		status = fl_verify_finish(v, status);
	/* The checks' record is output the user asked for: losing it (a full
	 * disk, /dev/full) fails the run. */
	if (c.verify_json) {
		errno = 0;
		bool failed = fflush(c.verify_json) != 0 || ferror(c.verify_json);
		failed = (fclose(c.verify_json) != 0) || failed;
		if (failed) {
			fprintf(stderr, "forklab: --verify=%s: writing the checks failed: %s\n",
				verify_path, strerror(errno ? errno : EIO));
			return FL_EXIT_USAGE;
		}
	}
	return status;
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
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return fputs(usage, stdout), 0;
	return bad("unknown command '%s' (see 'forklab --help')", cmd);
}
