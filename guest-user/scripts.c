/* "#!" scripts, as Linux's execve runs them: each case writes a script
 * into the working directory whose interpreter is this program (by its
 * absolute path, which differs between hosts: printed as SELF), runs it in
 * a child, and prints what the interpreter received: argv, AT_EXECFN, its
 * name (comm) and its /proc/self/exe, or exec's error. The same output
 * natively and in forklab's guest, for the differential test. Run from a
 * writable directory. With SCRIPTS_INTERP in the environment it is the
 * interpreter: it prints and exits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];
static int failed;

static const char *shown(const char *s)
{
	return !strcmp(s, self) ? "SELF" : s;
}

static void read_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
}

static int interpreter(int argc, char **argv)
{
	char comm[32] = "";
	read_self();
	FILE *f = fopen("/proc/self/comm", "r");
	if (f && fgets(comm, sizeof comm, f))
		comm[strcspn(comm, "\n")] = 0;
	if (f)
		fclose(f);
	printf("  argc %d:", argc);
	for (int i = 0; i < argc; i++)
		if (strlen(argv[i]) > 40) /* long-arg's: "#!SELF " and it, the line's length */
			printf(" [a long argument: the line was %zu bytes]", 3 + strlen(self) + strlen(argv[i]));
		else
			printf(" [%s]", shown(argv[i]));
	printf("\n  execfn %s, comm %s, exe %s\n", shown((const char *)getauxval(AT_EXECFN)), comm,
	       self[0] ? "SELF" : "(none)");
	return 0;
}

static void put(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(name, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(name, mode)) {
		printf("writing %s failed\n", name);
		failed = 1;
	}
}

/* Runs path with argv in a child; prints exec's error, or what it printed. */
static void run(const char *what, const char *path, char *const argv[], int want_errno)
{
	printf("%s\n", what);
	fflush(stdout);
	int err[2];
	if (pipe(err) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char *envp[] = { "SCRIPTS_INTERP=1", NULL };
		close(err[0]);
		execve(path, argv, envp);
		int e = errno;
		write(err[1], &e, sizeof e);
		_exit(127);
	}
	close(err[1]);
	int e = 0, st;
	ssize_t n = read(err[0], &e, sizeof e);
	close(err[0]);
	waitpid(pid, &st, 0);
	if (n == sizeof e)
		printf("  exec failed: %s\n", strerror(e));
	if ((n == sizeof e ? e : 0) != want_errno) {
		printf("  <-- FAILED: wanted %s\n", want_errno ? strerror(want_errno) : "success");
		failed = 1;
	}
}

int main(int argc, char **argv)
{
	if (getenv("SCRIPTS_INTERP"))
		return interpreter(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_self();
	if (!self[0])
		return perror("readlink /proc/self/exe"), 1;
	char line[5000], name[16];

	snprintf(line, sizeof line, "#!%s\necho not run\n", self);
	put("plain", line, 0755);
	run("no argument: interpreter, script path, argv[1] on", "./plain",
	    (char *[]){ "zero", "one", "two", NULL }, 0);

	snprintf(line, sizeof line, "#! \t%s   one  arg\twith spaces \t \n", self);
	put("spaced", line, 0755);
	run("one argument: the rest of the line, its inner spaces kept", "spaced",
	    (char *[]){ "zero", NULL }, 0);

	snprintf(line, sizeof line, "#!%s", self);
	put("no-newline", line, 0755);
	run("a file that is only the #! line", "no-newline", (char *[]){ "x", NULL }, 0);

	snprintf(line, sizeof line, "#!%s %0300d\n", self, 7);
	put("long-arg", line, 0755);
	run("an argument cut at 256 bytes", "./long-arg", (char *[]){ "x", NULL }, 0);

	snprintf(line, sizeof line, "#!%0300d\n", 7);
	put("long-interp", line, 0755);
	run("an interpreter path cut at 256 bytes", "./long-interp", (char *[]){ "x", NULL }, ENOEXEC);

	/* A chain: level1 runs SELF, level2 runs ./level1, ... */
	snprintf(line, sizeof line, "#!%s chained\n", self);
	put("level1", line, 0755);
	for (int i = 2; i <= 6; i++) {
		snprintf(name, sizeof name, "level%d", i);
		snprintf(line, sizeof line, "#!./level%d\n", i - 1);
		put(name, line, 0755);
	}
	run("five scripts deep", "./level5", (char *[]){ "argv0", "a", NULL }, 0);
	run("six scripts deep", "./level6", (char *[]){ "argv0", NULL }, ELOOP);

	put("empty", "#!\n", 0755);
	run("no interpreter named", "./empty", (char *[]){ "x", NULL }, ENOEXEC);
	put("blank", "#!  \t \nrest\n", 0755);
	run("only blanks after #!", "./blank", (char *[]){ "x", NULL }, ENOEXEC);
	put("missing", "#!/no/such/interpreter\n", 0755);
	run("an interpreter that does not exist", "./missing", (char *[]){ "x", NULL }, ENOENT);
	snprintf(line, sizeof line, "#!%s\n", self);
	put("not-executable", line, 0644);
	run("a script without an execute bit", "./not-executable", (char *[]){ "x", NULL }, EACCES);
	put("data", "not an interpreter\n", 0644);
	put("via-data", "#!./data\n", 0755);
	run("an interpreter without an execute bit", "./via-data", (char *[]){ "x", NULL }, EACCES);

	const char *made[] = { "plain", "spaced", "no-newline", "long-arg", "long-interp", "level1",
			       "level2", "level3", "level4", "level5", "level6", "empty", "blank",
			       "missing", "not-executable", "data", "via-data" };
	for (size_t i = 0; i < sizeof made / sizeof *made; i++)
		unlink(made[i]);
	printf("%s\n", failed ? "FAILED" : "all passed");
	return failed;
}
