/* Copies to and from user memory. The range check keeps user pointers out of
 * the kernel half; copy_user's fault fixup turns a bad pointer into -EFAULT. */
#include "arch.h"
#include "errno.h"
#include "mm.h"

long copy_from_user(void *dst, u64 usrc, size_t n)
{
	if (!access_ok(usrc, n))
		return -EFAULT;
	return copy_user(dst, (const void *)usrc, n);
}

long strncpy_from_user(char *dst, u64 usrc, size_t cap)
{
	for (size_t done = 0;;) {
		size_t chunk = MIN(cap - done, PAGE_SIZE - ((usrc + done) & ~PAGE_MASK));
		if (!chunk)
			return cap;
		if (copy_from_user(dst + done, usrc + done, chunk) < 0)
			return -EFAULT;
		char *nul = memchr(dst + done, 0, chunk);
		if (nul)
			return nul - dst;
		done += chunk;
	}
}

long copy_to_user(u64 udst, const void *src, size_t n)
{
	if (!access_ok(udst, n))
		return -EFAULT;
	return copy_user((void *)udst, src, n);
}
