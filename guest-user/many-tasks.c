/* Many tasks at once, far past the 64 the guest kernel once had room for:
 * CHILDREN children alive together, all asleep in read on one pipe (as
 * LTP's pipe13), woken at once when its last writer closes, each exiting
 * with a code of its own, all reaped; then THREADS threads of one process
 * alive together, met at a barrier (futexes), all joined. The threads'
 * stacks are slices of one array, so that the guest's limit on mappings
 * (musl maps a stack and its guard page for each thread) is not what this
 * meets. The output is the same natively and in the guest
 * (tests/integration/differential_test.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 300
#define THREADS 100
#define STACK (64 << 10)

static int code_of(int i)
{
	return i % 250 + 1;
}

static int children(void)
{
	static pid_t pids[CHILDREN];
	int ready[2], go[2], n = 0;
	if (pipe(ready) || pipe(go))
		return 0;
	for (; n < CHILDREN; n++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			break;
		}
		if (pid == 0) {
			char c = 0;
			close(go[1]);
			write(ready[1], &c, 1);
			_exit(read(go[0], &c, 1) == 0 ? code_of(n) : 255); /* 0: EOF, the last writer gone */
		}
		pids[n] = pid;
		char c;
		if (read(ready[0], &c, 1) != 1) /* it runs: every child so far is alive */
			break;
	}
	printf("%d children alive at once\n", n);
	close(go[1]);
	int reaped = 0, right = 0, status;
	for (pid_t pid; (pid = wait(&status)) > 0; reaped++)
		for (int i = 0; i < n; i++)
			if (pids[i] == pid) {
				right += WIFEXITED(status) && WEXITSTATUS(status) == code_of(i);
				pids[i] = 0;
			}
	printf("%d reaped, %d with their own exit code\n", reaped, right);
	return n == CHILDREN && reaped == n && right == n;
}

static pthread_barrier_t all_up;

static void *thread(void *arg)
{
	pthread_barrier_wait(&all_up); /* every thread alive together */
	return (char *)arg + 1;
}

static int threads(void)
{
	static pthread_t t[THREADS];
	static char stacks[THREADS][STACK] __attribute__((aligned(4096)));
	int n = 0, right = 0;
	pthread_barrier_init(&all_up, NULL, THREADS + 1);
	for (; n < THREADS; n++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, stacks[n], STACK);
		if (pthread_create(&t[n], &attr, thread, (char *)NULL + n)) {
			perror("pthread_create");
			break;
		}
	}
	if (n < THREADS) /* the barrier would hold those made for ever */
		return printf("%d threads made\n", n), 0;
	pthread_barrier_wait(&all_up);
	printf("%d threads alive at once\n", n);
	for (int i = 0; i < n; i++) {
		void *r;
		right += pthread_join(t[i], &r) == 0 && r == (char *)NULL + i + 1;
	}
	printf("%d joined with their own result\n", right);
	return n == THREADS && right == n;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int ok = children();
	ok &= threads();
	return ok ? 0 : 1;
}
