/* Spins forever in user mode: exists for the --timeout test, which must end a
 * guest that never exits or makes a system call. */
int main(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}
