/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness: the instruction emulator (vm/emul.c) on registers
 * and guest memory the input chooses. Whatever the guest set up, the
 * emulator reads and writes only guest RAM (ASan watches), and either
 * refuses with nothing changed or leaves a state IRET can produce.
 */
#include <linux/kvm.h>

#include <errno.h>
#include <string.h>

#include "vm/emul.h"
#include "vm/mem.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_RAM	(16ULL << 20)
#define FUZZ_HDR	40		/* register bytes before memory patches */

static struct mem	fuzz_mem;

static uint32_t
fuzz_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* A segment from 6 input bytes: selector, base, limit class, flags. */
static void
fuzz_seg(struct kvm_segment *s, const uint8_t *p)
{
	static const uint32_t	limits[4] = { 0xffffffff, 0xffff, 0xfff,
		    0x7fffff };

	memset(s, 0, sizeof(*s));
	s->selector = (uint16_t)(p[0] | p[1] << 8);
	/* Small bases stay in RAM; big ones go near or past its end. */
	s->base = (p[2] & 0x80) ? (uint64_t)p[2] << 24 | (uint64_t)p[3] << 16 :
	    (uint64_t)p[3] << 12;
	s->limit = limits[p[4] & 3];
	s->type = (p[4] >> 2) & 0xf;
	s->db = (p[4] >> 6) & 1;
	s->g = p[4] >> 7;
	s->present = p[5] & 1;
	s->s = (p[5] >> 1) & 1;
	s->dpl = (p[5] >> 2) & 3;
	s->unusable = (p[5] >> 4) & 1;
}

/*
 * The input: FUZZ_HDR bytes of registers (CR0 flags, RIP, RSP, RFLAGS,
 * CS, SS, GDT and LDT), then patches of guest memory: 4-byte address
 * (wrapped into the first MiB, or left near RAM's end when its top bit
 * is set), 1-byte length, the bytes.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kvm_regs		r, r0;
	struct kvm_sregs	s, s0;
	const char		*why;
	size_t			i, n;
	uint64_t		gpa;
	int			rv;

	if (fuzz_mem.base == NULL && mem_init(&fuzz_mem, FUZZ_RAM) == -1)
		__builtin_trap();
	if (len < FUZZ_HDR)
		return 0;
	memset(fuzz_mem.base, 0, 1 << 20);
	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	s.cr0 = (data[0] & 1) | (uint64_t)(data[0] & 2) << 30;
	s.efer = (data[0] & 4) ? 1U << 10 : 0;
	r.rip = fuzz_u32(data + 1) & ((data[0] & 8) ? 0xffffffff : 0xfffff);
	r.rsp = fuzz_u32(data + 5) & ((data[0] & 16) ? 0xffffffff : 0xfffff);
	r.rflags = fuzz_u32(data + 9);
	fuzz_seg(&s.cs, data + 13);
	fuzz_seg(&s.ss, data + 19);
	fuzz_seg(&s.ldt, data + 25);
	s.gdt.base = fuzz_u32(data + 31) & ((data[0] & 32) ? 0xffffffff :
	    0xfffff);
	s.gdt.limit = (uint16_t)(data[35] | data[36] << 8);
	s.idt.limit = (uint16_t)(data[37] | data[38] << 8);
	for (i = FUZZ_HDR; i + 5 <= len; i += 5 + n) {
		gpa = fuzz_u32(data + i);
		n = data[i + 4];
		if (n > len - i - 5)
			n = len - i - 5;
		gpa = (gpa & 0x80000000U) ? FUZZ_RAM - (gpa & 0xff) :
		    gpa % (1 << 20);
		(void)mem_write(&fuzz_mem, gpa, data + i + 5, n);
	}
	r0 = r;
	s0 = s;
	errno = 0;
	rv = emul_insn(&fuzz_mem, &r, &s, &why);
	if (why == NULL)
		__builtin_trap();
	if (rv == -1) {
		if ((errno != ENOTSUP && errno != EFAULT && errno != EINVAL) ||
		    why[0] == '\0' || memcmp(&r, &r0, sizeof(r)) != 0 ||
		    memcmp(&s, &s0, sizeof(s)) != 0)
			__builtin_trap();
		return 0;
	}
	/* Emulated: a present code segment, EIP within it, bit 1 set. */
	if (rv != 0 || !s.cs.present || !s.cs.s || !(s.cs.type & 8) ||
	    r.rip > s.cs.limit || !(r.rflags & 2) || (r.rflags & (1U << 17)))
		__builtin_trap();
	return 0;
}
