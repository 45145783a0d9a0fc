/* Under `make SANITIZE=1`: the test binaries never free what a test
 * allocates (each test runs in a process of its own, forklab_run.h), so
 * LeakSanitizer would report every test. forklab itself keeps it on. */
#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif
