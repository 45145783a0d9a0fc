/* musl threads: pthread_create is clone(CLONE_VM|CLONE_THREAD|CLONE_SETTLS|
 * CLONE_CHILD_CLEARTID|...), a mutex and pthread_join are futexes. */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int same_pid = 1;

static void *work(void *arg)
{
	if (getpid() != *(pid_t *)arg || syscall(SYS_gettid) == getpid())
		same_pid = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		if (i % 500 == 0)
			sched_yield();
		pthread_mutex_unlock(&lock);
	}
	return (void *)(long)ROUNDS;
}

int main(void)
{
	pthread_t t[THREADS];
	pid_t pid = getpid();
	long sum = 0;
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, &pid)) {
			printf("pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		sum += (long)ret;
	}
	printf("threads: %d, counter: %ld, joined sum: %ld, one process: %s\n", THREADS, counter,
	       sum, same_pid ? "yes" : "no");
	return counter == THREADS * ROUNDS && sum == counter && same_pid ? 0 : 1;
}
