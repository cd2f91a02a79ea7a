/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/emul.c: IRET in protected mode on a vCPU's registers
 * and guest memory (no KVM): operand sizes from the D bit and 0x66, 16-
 * and 32-bit stacks, descriptors loaded from the GDT, flags, the frame
 * KVM-PVM delivers at linear ESP, and every case it must refuse without
 * changing anything.
 */
#include <linux/kvm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/tap.h"
#include "vm/emul.h"
#include "vm/mem.h"

#define RAM		(16ULL << 20)
#define GDT		0x1000ULL
#define CODE		0x5000ULL
#define STACK		0x8000ULL

#define CR0_PE		1ULL
#define CR0_PG		(1ULL << 31)

#define SEL_CODE32	0x08	/* flat 32-bit code, not yet accessed */
#define SEL_DATA32	0x10	/* flat 32-bit data */
#define SEL_CODE16	0x18	/* 16-bit code, base 0x20000, limit 0xffff */
#define SEL_CODE_DPL3	0x20	/* flat 32-bit code, DPL 3 */
#define SEL_NOTPRESENT	0x28	/* 32-bit code, not present */
#define SEL_CONFORM	0x30	/* flat 32-bit conforming code, DPL 0 */
#define SEL_DATA16	0x38	/* 16-bit data, base 0x30000, limit 0xffff */
#define GDT_LIMIT	0x3f

static struct mem	m;

static void
bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(1);
}

static void
put32(uint64_t gpa, uint32_t v)
{
	uint8_t	b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
		    v >> 24 };

	if (mem_write(&m, gpa, b, 4) == -1)
		bail("put32");
}

static void
put16(uint64_t gpa, uint16_t v)
{
	uint8_t	b[2] = { v & 0xff, v >> 8 };

	if (mem_write(&m, gpa, b, 2) == -1)
		bail("put16");
}

static void
put_desc(uint16_t sel, uint32_t base, uint32_t limit, uint8_t access,
    uint8_t flags)
{
	put32(GDT + sel, (limit & 0xffff) | (base & 0xffff) << 16);
	put32(GDT + sel + 4, ((base >> 16) & 0xff) | (uint32_t)access << 8 |
	    (limit & 0xf0000) | (uint32_t)flags << 20 | (base & 0xff000000U));
}

static void
put_code(const uint8_t *insn, size_t len)
{
	if (mem_write(&m, CODE, insn, len) == -1)
		bail("put_code");
}

static void
flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

/* frame32: EIP, CS, EFLAGS as 32-bit items at gpa. */
static void
frame32(uint64_t gpa, uint32_t eip, uint32_t cs, uint32_t eflags)
{
	put32(gpa, eip);
	put32(gpa + 4, cs);
	put32(gpa + 8, eflags);
}

/*
 * A CPL-0 vCPU in flat 32-bit protected mode at an IRET at CODE, with a
 * valid frame at its stack's top.
 */
static void
setup(struct kvm_regs *r, struct kvm_sregs *s)
{
	static const uint8_t	iret = 0xcf;

	memset(m.base, 0, 0x40000);
	put_desc(SEL_CODE32, 0, 0xfffff, 0x9a, 0xc);
	put_desc(SEL_DATA32, 0, 0xfffff, 0x93, 0xc);
	put_desc(SEL_CODE16, 0x20000, 0xffff, 0x9b, 0x0);
	put_desc(SEL_CODE_DPL3, 0, 0xfffff, 0xfb, 0xc);
	put_desc(SEL_NOTPRESENT, 0, 0xfffff, 0x1b, 0xc);
	put_desc(SEL_CONFORM, 0, 0xfffff, 0x9f, 0xc);
	put_desc(SEL_DATA16, 0x30000, 0xffff, 0x93, 0x0);
	put_code(&iret, 1);
	frame32(STACK, 0x6000, SEL_CODE32, 0x2);
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	r->rip = CODE;
	r->rsp = STACK;
	r->rflags = 0x2;
	s->cr0 = CR0_PE;
	flat(&s->cs, SEL_CODE32, 0xb);
	flat(&s->ss, SEL_DATA32, 0x3);
	s->ds = s->es = s->fs = s->gs = s->ss;
	s->gdt.base = GDT;
	s->gdt.limit = GDT_LIMIT;
	s->ldt.unusable = 1;
}

/*
 * refused: emul_insn fails with errno error and leaves the registers and
 * the GDT as they were.
 */
static void
refused(struct kvm_regs *r, struct kvm_sregs *s, int error, const char *what)
{
	struct kvm_regs		r0 = *r;
	struct kvm_sregs	s0 = *s;
	uint8_t			gdt0[GDT_LIMIT + 1];
	const char		*why = NULL;
	int			rv;

	memcpy(gdt0, m.base + GDT, sizeof(gdt0));
	errno = 0;
	rv = emul_insn(&m, r, s, &why);
	tap_ok(rv == -1 && errno == error && memcmp(&r0, r, sizeof(r0)) == 0 &&
	    memcmp(&s0, s, sizeof(s0)) == 0 &&
	    memcmp(gdt0, m.base + GDT, sizeof(gdt0)) == 0 && why != NULL &&
	    why[0] != '\0', "%s: refused (%s), nothing changed", what,
	    why != NULL ? why : "no reason");
}

static void
test_iretd(void)
{
	struct kvm_regs		r;
	struct kvm_sregs	s;
	const char		*why;

	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_CODE32, 0x246);
	r.rflags = 0x2 | (1U << 18);		/* AC: IRETD clears it */
	tap_is(emul_insn(&m, &r, &s, &why), 0, "IRETD: emulated");
	tap_ok(r.rip == 0x6000 && r.rsp == STACK + 12,
	    "IRETD: EIP from the frame, ESP past 3 dwords");
	tap_ok(r.rflags == 0x246, "IRETD: EFLAGS from the frame (IF, ZF, PF "
	    "set; AC cleared), got 0x%llx", (unsigned long long)r.rflags);
	tap_ok(s.cs.selector == SEL_CODE32 && s.cs.base == 0 &&
	    s.cs.limit == 0xffffffff && s.cs.db == 1 && s.cs.g == 1 &&
	    s.cs.type == 0xb && s.cs.present && s.cs.s && s.cs.dpl == 0,
	    "IRETD: CS loaded from the GDT (marked accessed)");
	tap_ok(m.base[GDT + SEL_CODE32 + 5] == 0x9b,
	    "IRETD: the descriptor in the GDT is marked accessed too");

	/* Into a 16-bit code segment: CS's descriptor decides its base. */
	setup(&r, &s);
	frame32(STACK, 0x1234, SEL_CODE16, 0x2);
	tap_is(emul_insn(&m, &r, &s, &why), 0, "IRETD to 16-bit code");
	tap_ok(r.rip == 0x1234 && s.cs.base == 0x20000 &&
	    s.cs.limit == 0xffff && s.cs.db == 0 && s.cs.g == 0,
	    "IRETD to 16-bit code: base 0x20000, limit 0xffff, D clear");

	/* A conforming code segment of DPL 0. */
	setup(&r, &s);
	frame32(STACK, 0x7000, SEL_CONFORM, 0x202);
	tap_is(emul_insn(&m, &r, &s, &why), 0, "IRETD to conforming code");
	tap_ok(r.rip == 0x7000 && s.cs.selector == SEL_CONFORM &&
	    s.cs.type == 0xf, "IRETD to conforming code: loaded");

	/* Segment prefixes and 0x67 change nothing for IRET. */
	setup(&r, &s);
	put_code((const uint8_t []){ 0x2e, 0x67, 0x3e, 0xcf }, 4);
	frame32(STACK, 0x6100, SEL_CODE32, 0x2);
	tap_ok(emul_insn(&m, &r, &s, &why) == 0 && r.rip == 0x6100 &&
	    r.rsp == STACK + 12, "prefixes 2e 67 3e before IRETD: ignored");
}

static void
test_iret16(void)
{
	struct kvm_regs		r;
	struct kvm_sregs	s;
	const char		*why;

	/* 0x66 in 32-bit code: a 16-bit frame. */
	setup(&r, &s);
	put_code((const uint8_t []){ 0x66, 0xcf }, 2);
	put16(STACK, 0x4321);
	put16(STACK + 2, SEL_CODE16);
	put16(STACK + 4, 0x0286);
	r.rflags = 0x2 | (1U << 18) | (1U << 21);	/* AC, ID */
	tap_is(emul_insn(&m, &r, &s, &why), 0, "66 IRET: emulated");
	tap_ok(r.rip == 0x4321 && r.rsp == STACK + 6 &&
	    s.cs.selector == SEL_CODE16 && s.cs.base == 0x20000,
	    "66 IRET: IP and CS from 16-bit items, SP past 3 words");
	tap_ok(r.rflags == (0x286 | (1U << 18) | (1U << 21)),
	    "66 IRET: FLAGS low 16 bits loaded, AC and ID kept (0x%llx)",
	    (unsigned long long)r.rflags);

	/* 16-bit code without a prefix, on a 16-bit stack that wraps. */
	setup(&r, &s);
	s.cs.selector = SEL_CODE16;
	s.cs.base = 0x20000;
	s.cs.limit = 0xffff;
	s.cs.db = 0;
	s.cs.g = 0;
	r.rip = 0x100;
	if (mem_write(&m, 0x20100, (const uint8_t []){ 0xcf }, 1) == -1)
		bail("code16");
	s.ss.selector = SEL_DATA16;
	s.ss.base = 0x30000;
	s.ss.limit = 0xffff;
	s.ss.db = 0;
	s.ss.g = 0;
	r.rsp = 0xabcdfffe;			/* SP 0xfffe: IP at the top */
	put16(0x3fffe, 0x0200);
	put16(0x30000, SEL_CODE16);
	put16(0x30002, 0x0002);
	tap_is(emul_insn(&m, &r, &s, &why), 0, "IRET in 16-bit code");
	tap_ok(r.rip == 0x200 && r.rsp == 0xabcd0004,
	    "IRET in 16-bit code: SP wrapped to 0x0004, ESP's top kept "
	    "(rip 0x%llx rsp 0x%llx)", (unsigned long long)r.rip,
	    (unsigned long long)r.rsp);
	tap_ok(r.rflags == 0x2 && s.cs.selector == SEL_CODE16,
	    "IRET in 16-bit code: FLAGS and CS from the frame at SS:SP");

	/* 0x66 in 16-bit code: IRETD. */
	setup(&r, &s);
	s.cs = (struct kvm_segment){ .selector = SEL_CODE16, .base = 0x20000,
	    .limit = 0xffff, .type = 0xb, .present = 1, .s = 1 };
	r.rip = 0x100;
	if (mem_write(&m, 0x20100, (const uint8_t []){ 0x66, 0xcf }, 2) == -1)
		bail("code16");
	frame32(STACK, 0x6000, SEL_CODE32, 0x2);
	tap_ok(emul_insn(&m, &r, &s, &why) == 0 && r.rip == 0x6000 &&
	    r.rsp == STACK + 12 && s.cs.db == 1,
	    "66 IRET in 16-bit code: a 32-bit frame, back to 32-bit code");
}

/* KVM-PVM's frame at linear ESP, and SS's base. */
static void
test_ss_base(void)
{
	struct kvm_regs		r;
	struct kvm_sregs	s;
	const char		*why;

	setup(&r, &s);
	s.ss.base = 0x100000;
	r.rsp = 0x2000;
	/* Stale words at SS:ESP (a return address, an argument, ...). */
	frame32(0x102000, 0x138ef, 0x800, 0x1396e);
	/* The frame the delivery wrote at linear ESP. */
	frame32(0x2000, 0x12d9a, SEL_CODE32, 0x246);
	tap_is(emul_insn(&m, &r, &s, &why), 0, "SS base set: emulated");
	tap_ok(r.rip == 0x12d9a && r.rflags == 0x246 && r.rsp == 0x200c,
	    "SS base set: the frame KVM-PVM delivered at linear ESP");

	setup(&r, &s);
	s.ss.base = 0x100000;
	r.rsp = 0x2000;
	frame32(0x102000, 0x6000, SEL_CODE32, 0x202);
	tap_is(emul_insn(&m, &r, &s, &why), 0, "SS base set, nothing at "
	    "linear ESP: emulated");
	tap_ok(r.rip == 0x6000 && r.rflags == 0x202 && r.rsp == 0x200c,
	    "SS base set, nothing at linear ESP: the frame at SS:ESP");

	setup(&r, &s);
	s.ss.base = 0x100000;
	r.rsp = 0x2000;
	frame32(0x102000, 0x6000, SEL_CODE32, 0x1000);	/* bit 1 clear */
	refused(&r, &s, EINVAL, "SS base set, no frame with plausible flags");

	/* With SS's base 0 both are one: hardware's rules only. */
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_CODE32, 0x0);
	tap_ok(emul_insn(&m, &r, &s, &why) == 0 && r.rflags == 0x2,
	    "SS base 0: a frame with EFLAGS 0 is IRET's to take (bit 1 set)");
}

static void
test_refused(void)
{
	struct kvm_regs		r;
	struct kvm_sregs	s;
	const char		*why;
	uint8_t			prefixes[15];

	setup(&r, &s);
	tap_ok(emul_insn(&m, &r, &s, &why) == 0 && r.rip == 0x6000,
	    "the set-up the cases below change is emulated");
	setup(&r, &s);
	s.cr0 = 0;
	refused(&r, &s, ENOTSUP, "real mode");
	setup(&r, &s);
	s.cr0 |= CR0_PG;
	refused(&r, &s, ENOTSUP, "paging");
	setup(&r, &s);
	s.efer = 1U << 10;
	refused(&r, &s, ENOTSUP, "long mode");
	setup(&r, &s);
	r.rflags |= 1U << 17;
	refused(&r, &s, ENOTSUP, "virtual-8086 mode");
	setup(&r, &s);
	s.cs.selector |= 3;
	s.ss.dpl = 3;
	refused(&r, &s, ENOTSUP, "CPL 3");
	setup(&r, &s);
	r.rflags |= 1U << 14;
	refused(&r, &s, ENOTSUP, "NT set (task return)");

	setup(&r, &s);
	put_code((const uint8_t []){ 0x90 }, 1);
	refused(&r, &s, ENOTSUP, "NOP is not handled here");
	setup(&r, &s);
	put_code((const uint8_t []){ 0xf0, 0xcf }, 2);
	refused(&r, &s, ENOTSUP, "LOCK IRET");
	setup(&r, &s);
	memset(prefixes, 0x66, sizeof(prefixes));
	put_code(prefixes, sizeof(prefixes));
	refused(&r, &s, ENOTSUP, "15 prefixes, no opcode");
	setup(&r, &s);
	r.rip = RAM;
	refused(&r, &s, EFAULT, "code outside guest RAM");
	setup(&r, &s);
	s.cs.limit = CODE - 1;
	refused(&r, &s, EFAULT, "code beyond CS's limit");

	setup(&r, &s);
	frame32(STACK, 0x6000, 0, 0x2);
	refused(&r, &s, EINVAL, "null CS");
	setup(&r, &s);
	frame32(STACK, 0x6000, 0x40, 0x2);
	refused(&r, &s, EINVAL, "CS beyond the GDT's limit");
	setup(&r, &s);
	frame32(STACK, 0x6000, 0x44, 0x2);
	refused(&r, &s, EINVAL, "CS in an LDT that is not there");
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_DATA32, 0x2);
	refused(&r, &s, EINVAL, "CS naming a data segment");
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_NOTPRESENT, 0x2);
	refused(&r, &s, EINVAL, "CS not present");
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_CODE_DPL3 | 3, 0x2);
	refused(&r, &s, ENOTSUP, "return to CPL 3 (outer privilege)");
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_CODE_DPL3, 0x2);
	refused(&r, &s, EINVAL, "RPL 0 on a DPL 3 code segment");
	setup(&r, &s);
	frame32(STACK, 0x10000, SEL_CODE16, 0x2);
	refused(&r, &s, EINVAL, "EIP beyond the new CS's limit");
	setup(&r, &s);
	frame32(STACK, 0x6000, SEL_CODE32, 0x20002);
	refused(&r, &s, ENOTSUP, "return to virtual-8086 mode");
	setup(&r, &s);
	s.gdt.base = RAM - 8;
	s.gdt.limit = 0xffff;
	refused(&r, &s, EFAULT, "descriptor outside guest RAM");
	setup(&r, &s);
	r.rsp = RAM - 8;
	refused(&r, &s, EFAULT, "frame running off the end of RAM");
	setup(&r, &s);
	s.ss.limit = STACK + 7;
	refused(&r, &s, EFAULT, "frame beyond SS's limit");
	setup(&r, &s);
	s.ss.type = 0x7;				/* expand-down */
	refused(&r, &s, ENOTSUP, "expand-down stack");
}

int
main(void)
{
	if (mem_init(&m, RAM) == -1)
		bail("mem_init");
	test_iretd();
	test_iret16();
	test_ss_base();
	test_refused();
	mem_free(&m);
	return tap_done();
}
