/* The inspection API (inspect.h): page walks, guest memory, kernel symbols
 * and the kernel's task and mm records, all bounds-checked. */
#include "observe/inspect.h"
#include "run/session.h"

#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#define ADDR_MASK 0x000ffffffffff000ULL
#define PS 0x80ULL

int fl_gva_to_gpa(const struct fl_vm *vm, uint64_t cr3, uint64_t va, uint64_t *gpa,
		  uint64_t *rights, uint64_t *pte)
{
	uint64_t table = cr3 & ADDR_MASK, r = FL_PTE_P | FL_PTE_W | FL_PTE_U;
	if ((int64_t)(va << 16) >> 16 != (int64_t)va)
		return -1; /* not canonical */
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t at = table + ((va >> shift) & 511) * 8, e;
		const void *p = fl_gpa_to_hva(vm, at, 8);
		if (!p)
			return -1;
		memcpy(&e, p, 8);
		if (!(e & FL_PTE_P) || (shift == 39 && (e & PS)))
			return -1; /* PS is reserved in a PML4 entry: the CPU faults */
		r &= e | FL_PTE_NX;
		r |= e & FL_PTE_NX;
		bool leaf = shift == 12 || ((e & PS) && (shift == 30 || shift == 21));
		if (leaf) {
			uint64_t size = 1ULL << shift;
			*gpa = (e & ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			if (rights)
				*rights = r;
			if (pte)
				*pte = at;
			return 0;
		}
		table = e & ADDR_MASK;
	}
	return -1;
}

int fl_pmd_entry(const struct fl_vm *vm, uint64_t cr3, uint64_t va, uint64_t *entry)
{
	uint64_t table = cr3 & ADDR_MASK;
	for (int shift = 39; shift >= 21; shift -= 9) {
		const void *p = fl_gpa_to_hva(vm, table + ((va >> shift) & 511) * 8, 8);
		if (!p)
			return -1;
		memcpy(entry, p, 8);
		if (shift == 21)
			return 0;
		if (!(*entry & FL_PTE_P) || (*entry & PS))
			return -1;
		table = *entry & ADDR_MASK;
	}
	return -1;
}

static int copy_gva(const struct fl_vm *vm, uint64_t cr3, uint64_t va, void *buf, size_t len,
		    int write)
{
	uint8_t *b = buf;
	while (len) {
		uint64_t gpa;
		size_t chunk = 4096 - (va & 4095);
		if (chunk > len)
			chunk = len;
		if (fl_gva_to_gpa(vm, cr3, va, &gpa, NULL, NULL) < 0)
			return -1;
		uint8_t *p = fl_gpa_to_hva(vm, gpa, chunk);
		if (!p)
			return -1;
		if (write)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		b += chunk, va += chunk, len -= chunk;
	}
	return 0;
}

int fl_read_gva(const struct fl_vm *vm, uint64_t cr3, uint64_t va, void *buf, size_t len)
{
	return copy_gva(vm, cr3, va, buf, len, 0);
}

int fl_write_gva(const struct fl_vm *vm, uint64_t cr3, uint64_t va, const void *buf, size_t len)
{
	/* All or nothing: check that every page is mapped before writing any. */
	for (uint64_t a = va & ~4095ULL, gpa; a < va + len; a += 4096)
		if (fl_gva_to_gpa(vm, cr3, a, &gpa, NULL, NULL) < 0)
			return -1;
	return copy_gva(vm, cr3, va, (void *)buf, len, 1);
}

uint64_t fl_symbol(const struct fl_session *s, const char *name)
{
	uint64_t v;
	return s->kernel && fl_kernel_symbol(s->kernel, name, &v) == 0 ? v : 0;
}

int fl_read_kva(const struct fl_session *s, uint64_t va, void *buf, size_t len)
{
	uint64_t pml4 = s->kernel ? s->kernel->kernel_pml4 : 0;
	if (pml4 < FL_KERNEL_VBASE)
		return -1;
	return fl_read_gva(&s->vm, pml4 - FL_KERNEL_VBASE, va, buf, len);
}

int fl_write_kva(const struct fl_session *s, uint64_t va, const void *buf, size_t len)
{
	uint64_t pml4 = s->kernel ? s->kernel->kernel_pml4 : 0;
	if (pml4 < FL_KERNEL_VBASE)
		return -1;
	return fl_write_gva(&s->vm, pml4 - FL_KERNEL_VBASE, va, buf, len);
}

int fl_read_kstate(const struct fl_session *s, struct fl_kstate *out)
{
	uint64_t va = s->kernel ? s->kernel->kstate : 0;
	if (va < FL_KERNEL_VBASE)
		return -1;
	const void *p = fl_gpa_to_hva(&s->vm, va - FL_KERNEL_VBASE, sizeof *out);
	if (!p)
		return -1;
	memcpy(out, p, sizeof *out);
	return 0;
}

int fl_mm_read(const struct fl_session *s, uint64_t mm_va, struct fl_mm_head *out)
{
	if (fl_read_kva(s, mm_va, out, sizeof *out) < 0)
		return -1;
	if (out->nvma < 0 || out->nvma > FL_MAX_VMAS)
		return -1; /* the guest is untrusted: a count past the array is an error */
	return 0;
}

int fl_task_read(const struct fl_session *s, uint64_t task_va, struct fl_task_view *t)
{
	memset(t, 0, sizeof *t);
	t->va = task_va;
	if (fl_read_kva(s, task_va, &t->head, sizeof t->head) < 0)
		return -1;
	t->stack_lo = t->head.stack;
	t->stack_hi = t->head.stack + FL_KSTACK_SIZE;
	t->regs_va = t->stack_hi - sizeof(struct pt_regs);
	if (fl_read_kva(s, t->regs_va, &t->regs, sizeof t->regs) < 0)
		return -1;
	struct fl_mm_head mm;
	if (t->head.mm) {
		if (fl_mm_read(s, t->head.mm, &mm) < 0)
			return -1;
		t->cr3 = mm.cr3;
	}
	return 0;
}

int fl_vcpu_regs(const struct fl_session *s, struct kvm_regs *r, struct kvm_sregs *sr)
{
	if (r && ioctl(s->vm.vcpu_fd, KVM_GET_REGS, r) < 0)
		return -1;
	if (sr && ioctl(s->vm.vcpu_fd, KVM_GET_SREGS, sr) < 0)
		return -1;
	return 0;
}

int fl_vcpu_msr(const struct fl_session *s, uint32_t index, uint64_t *value)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e.index = index };
	if (ioctl(s->vm.vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return -1;
	*value = m.e.data;
	return 0;
}

void fl_guest_name(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; i + 1 < cap && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = 0;
}
