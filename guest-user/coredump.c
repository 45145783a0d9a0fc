/* Core dumps from the user's side: a child killed by a signal whose default
 * action dumps core leaves "core" in the working directory when
 * RLIMIT_CORE allows it, and its wait status says so (WCOREDUMP, waitid's
 * CLD_DUMPED). The file is read back: an x86-64 ELF core whose NT_PRSTATUS
 * names the child and the signal, whose NT_PRPSINFO names the program, and
 * whose PT_LOAD holding `marker` has the child's bytes, written after the
 * fork. A file cut at the limit still counts as a dump, as on Linux. Natively this needs /proc/sys/kernel/core_pattern to be "core"
 * (printed first). Run from a writable directory. With argument "emit" it
 * writes the core of a child killed by SIGSEGV to stdout instead, for gdb
 * to read on the host. */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char marker[8192];
static volatile unsigned long unmapped = 16; /* a store there is SIGSEGV */
static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failed |= !ok;
}

/* A child that writes its marker and dies of sig (raised, or a fault). */
static pid_t child_dying(int sig, int fault)
{
	unlink("core");
	pid_t pid = fork();
	if (pid == 0) {
		snprintf(marker, sizeof marker, "the child's marker, pid %d", getpid());
		if (fault)
			*(volatile int *)unmapped = 1;
		if (sig == SIGQUIT)
			pause(); /* the parent sends it */
		raise(sig);
		_exit(0);
	}
	return pid;
}

/* The core file's facts, one line each. */
static void read_core(pid_t pid, int sig)
{
	int fd = open("core", O_RDONLY);
	struct stat st;
	check("  core exists", fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0);
	if (fd < 0)
		return;
	char *f = malloc(st.st_size);
	check("  read whole", f && read(fd, f, st.st_size) == st.st_size);
	close(fd);
	const Elf64_Ehdr *eh = (const void *)f;
	check("  an x86-64 ELF core", !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	      eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_type == ET_CORE && eh->e_machine == EM_X86_64);
	const Elf64_Phdr *ph = (const void *)(f + eh->e_phoff);
	int prstatus = 0, psinfo = 0, mark = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_NOTE) {
			for (const char *n = f + ph[i].p_offset; n < f + ph[i].p_offset + ph[i].p_filesz;) {
				const Elf64_Nhdr *nh = (const void *)n;
				const char *desc = n + sizeof *nh + ((nh->n_namesz + 3) & ~3U);
				if (nh->n_type == NT_PRSTATUS && !prstatus) {
					const struct { int signo, code, err; short cursig; } *p = (const void *)desc;
					prstatus = p->cursig == sig && *(const int *)(desc + 32) == pid ? 1 : -1;
				}
				if (nh->n_type == NT_PRPSINFO)
					psinfo = !strcmp(desc + 40, "coredump") ? 1 : -1;
				n = desc + ((nh->n_descsz + 3) & ~3U);
			}
		}
		unsigned long at = (unsigned long)marker;
		if (ph[i].p_type == PT_LOAD && at >= ph[i].p_vaddr && at < ph[i].p_vaddr + ph[i].p_filesz) {
			char want[64];
			snprintf(want, sizeof want, "the child's marker, pid %d", pid);
			mark = !strcmp(f + ph[i].p_offset + (at - ph[i].p_vaddr), want);
		}
	}
	check("  NT_PRSTATUS: the child's pid and the signal", prstatus == 1);
	check("  NT_PRPSINFO: the program's name", psinfo == 1);
	check("  the PT_LOAD at `marker` holds the child's bytes", mark);
	free(f);
}

static void dies(const char *what, int sig, int fault, int want_core)
{
	printf("%s\n", what);
	pid_t pid = child_dying(sig, fault);
	if (sig == SIGQUIT) {
		usleep(100000);
		kill(pid, SIGQUIT);
	}
	siginfo_t si;
	check("  waitid: killed by the signal", waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 &&
	      si.si_status == sig);
	check(want_core ? "  waitid: CLD_DUMPED" : "  waitid: CLD_KILLED",
	      si.si_code == (want_core ? CLD_DUMPED : CLD_KILLED));
	int status;
	waitpid(pid, &status, 0);
	check(want_core ? "  WCOREDUMP" : "  no WCOREDUMP", WIFSIGNALED(status) &&
	      WTERMSIG(status) == sig && !WCOREDUMP(status) == !want_core);
	struct stat st;
	if (want_core == 2) /* cut at a one-page limit: still reported, as Linux does */
		check("  a core file of at most 4096 bytes", stat("core", &st) == 0 && st.st_size > 0 &&
		      st.st_size <= 4096);
	else if (want_core)
		read_core(pid, sig);
	else
		check("  no core file", access("core", F_OK) < 0);
}

static int emit(void)
{
	struct rlimit lim = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_CORE, &lim);
	int st;
	pid_t pid = child_dying(SIGSEGV, 1);
	if (waitpid(pid, &st, 0) != pid || !WCOREDUMP(st))
		return fprintf(stderr, "coredump emit: no core dumped (status %#x)\n", st), 1;
	char buf[65536];
	ssize_t n;
	int fd = open("core", O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
		if (write(1, buf, n) != n)
			return 1;
	return fd < 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "emit"))
		return emit();
	setvbuf(stdout, NULL, _IONBF, 0);
	char pattern[64] = "";
	FILE *p = fopen("/proc/sys/kernel/core_pattern", "r");
	if (p && fgets(pattern, sizeof pattern, p))
		pattern[strcspn(pattern, "\n")] = 0;
	if (p)
		fclose(p);
	printf("core_pattern: %s\n", pattern);

	struct rlimit lim = { 0, RLIM_INFINITY };
	setrlimit(RLIMIT_CORE, &lim);
	dies("RLIMIT_CORE 0, SIGSEGV", SIGSEGV, 1, 0);
	lim.rlim_cur = 4095;
	setrlimit(RLIMIT_CORE, &lim);
	dies("RLIMIT_CORE 4095 (under a page), SIGABRT", SIGABRT, 0, 0);
	lim.rlim_cur = 4096;
	setrlimit(RLIMIT_CORE, &lim);
	dies("RLIMIT_CORE 4096: the file cut there", SIGABRT, 0, 2);
	lim.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_CORE, &lim);
	dies("RLIMIT_CORE unlimited, a fault: SIGSEGV", SIGSEGV, 1, 1);
	dies("raise(SIGABRT)", SIGABRT, 0, 1);
	dies("SIGQUIT from the parent", SIGQUIT, 0, 1);
	dies("SIGTERM does not dump core", SIGTERM, 0, 0);
	unlink("core");
	printf("%s\n", failed ? "FAILED" : "all passed");
	return failed;
}
