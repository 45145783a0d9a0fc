/* The string functions the kernel and libfdt use. Bulk copies use rep movsq:
 * on PVM hosts each loop iteration of kernel code is emulated, and a string
 * instruction is the cheapest loop there is. */
#include "kernel.h"

void *(memcpy)(void *d, const void *s, size_t n)
{
	return __inline_memcpy(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
	if ((u64)d <= (u64)s || (u64)d >= (u64)s + n)
		return memcpy(d, s, n);
	const u8 *sp = (const u8 *)s + n - 1;
	u8 *dp = (u8 *)d + n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(n)::"memory");
	return d;
}

void *(memset)(void *d, int c, size_t n)
{
	return __inline_memset(d, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	for (const u8 *p = s; n; n--, p++)
		if (*p == (u8)c)
			return (void *)p;
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return p - s;
}

size_t strnlen(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i])
		i++;
	return i;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;
	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strstr(const char *h, const char *n)
{
	size_t len = strlen(n);
	for (; *h; h++)
		if (!strncmp(h, n, len))
			return (char *)h;
	return len ? NULL : (char *)h;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;
	if (base == 0)
		base = s[0] == '0' ? (s[1] == 'x' || s[1] == 'X' ? 16 : 8) : 10;
	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'z' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'Z' ? *s - 'A' + 10 : 99;
		if (d >= base)
			break;
		v = v * base + d;
	}
	if (end)
		*end = (char *)s;
	return v;
}
