/* vfork-demo itself, built with glibc (gcc -static) rather than musl: the
 * child execs at once (argv[1], default /bin/hello) while the parent sleeps
 * in the kernel. The wrapper check (--verify) reads glibc's vfork here. */
#include "../vfork-demo.c"
