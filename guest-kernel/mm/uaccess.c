/* Copies to and from user memory. The range check keeps user pointers out of
 * the kernel half; copy_user's fault fixup turns a bad pointer into -EFAULT. */
#include "arch.h"
#include "errno.h"
#include "mm.h"
#include "task.h"

/* No present page in [va, va + n) is a supervisor (PROT_NONE) page. */
static bool user_readable(struct mm *mm, u64 va, size_t n)
{
	for (u64 a = va & PAGE_MASK; a < va + n; a += PAGE_SIZE) {
		u64 *pte = pte_walk(mm, a, false);
		if (pte && (*pte & (PTE_P | PTE_U)) == PTE_P)
			return false;
	}
	return true;
}

long copy_from_user(void *dst, u64 usrc, size_t n)
{
	if (!access_ok(usrc, n))
		return -EFAULT;
	/* A read of a PROT_NONE page would not fault in the kernel: look first,
	 * in the rare address space that has one. */
	struct mm *mm = current ? current->mm : NULL;
	if (__builtin_expect(mm && mm->nouser_ptes, 0) && !user_readable(mm, usrc, n))
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
