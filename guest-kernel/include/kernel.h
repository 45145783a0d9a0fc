/* Basics every kernel file uses: types, printk, panic, small helpers. */
#ifndef K_KERNEL_H
#define K_KERNEL_H

#include <forklab/abi.h>
#include <forklab/linux.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int32_t s32;

#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Direct map and kernel-image address conversions (abi.h layout). */
#define __va(pa) ((void *)((u64)(pa) + FL_PAGE_OFFSET))
#define __pa(va) ((u64)(va) >= FL_KERNEL_VBASE ? (u64)(va) - FL_KERNEL_VBASE : \
		  (u64)(va) - FL_PAGE_OFFSET)

extern bool verbose;
/* Whether the space-separated boot arguments hold the word `name`. */
bool bootarg(const char *args, const char *name);        /* bootarg "verbose": kernel messages to the serial console */
/* The number after `name` (which ends in '=') where a word starts with it;
 * *val is left alone when there is none. */
bool bootarg_ulong(const char *args, const char *name, unsigned long *val);
extern struct fl_kstate fl_kstate;

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
__attribute__((noreturn, format(printf, 2, 3)))
void panic_regs(const struct pt_regs *regs, const char *fmt, ...);
#define panic(...) panic_regs(NULL, __VA_ARGS__)

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
/* The kernel's own calls inline the string instructions: fork, exit and the
 * switch call these on every path, and on PVM hosts a call and its return
 * are emulated instructions too. lib/string.c keeps the out-of-line
 * functions for libfdt and for copies the compiler emits. */
static inline void *__inline_memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;
	size_t q = n / 8, r = n & 7;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q)::"memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(r)::"memory");
	return ret;
}
static inline void *__inline_memset(void *d, int c, size_t n)
{
	void *ret = d;
	u64 v = 0x0101010101010101UL * (u8)c;
	size_t q = n / 8, r = n & 7;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
	return ret;
}
#define memcpy(d, s, n) __inline_memcpy(d, s, n)
#define memset(d, c, n) __inline_memset(d, c, n)
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *h, const char *n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
void *memmove(void *d, const void *s, size_t n);
void *memchr(const void *s, int c, size_t n);

#endif
