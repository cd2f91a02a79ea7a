/* SPDX-License-Identifier: ISC */
/*
 * Instructions KVM's emulator lacks, run on a vCPU's registers (emul.h).
 *
 * IRET in protected mode, after the Intel SDM's pseudo-code for IRET:
 * the operand size is the code segment's D bit, inverted by a 0x66
 * prefix; EIP, CS and EFLAGS are popped (16 or 32 bits each) from SS:SP
 * or SS:ESP as SS's B bit says; CS must name a present code segment in
 * the GDT or LDT whose privilege matches the selector's RPL, and EIP
 * must lie within its limit; EFLAGS takes the popped flags CPL 0 may set.
 * Refused: CPL other than 0, paging, long and virtual-8086 mode, a
 * nested task return (NT), a return to virtual-8086 mode or to an outer
 * privilege level; no firmware seen here needs them. NMI blocking, which
 * an IRET ends, stays as KVM keeps it (no firmware here takes NMIs).
 *
 * Where the frame is. KVM-PVM delivers an interrupt or exception in
 * 32-bit protected mode with the frame at ESP taken as a linear address,
 * ignoring SS's base (measured with iPXE, whose stack segment has a
 * non-zero base: the frame {EIP, CS 0x08, EFLAGS 0x246} was at linear
 * ESP, while SS:ESP held the interrupted code's stale stack words; over
 * a whole network boot, about 950 IRETs, the frame at linear ESP was a
 * valid one every time and the one at SS:ESP never). So
 * with a non-zero SS base there are two candidate frames: the one IRET
 * architecturally pops (at SS base + ESP) and the one such a delivery
 * left (at ESP). A candidate is taken only if it passes every check IRET
 * makes and its EFLAGS image is one a CPU writes (bit 1 set, reserved
 * bits clear); the delivered frame is tried first, as IRETs with a
 * non-zero SS base come from interrupt handlers. A hardware KVM never
 * gets here: it runs IRET itself.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "emul.h"
#include "mem.h"

#define EMUL_MAX_INSN	15		/* longest x86 instruction */

#define CR0_PE		(1ULL << 0)
#define CR0_PG		(1ULL << 31)
#define EFER_LMA	(1ULL << 10)

#define FL_FIXED1	(1U << 1)
#define FL_NT		(1U << 14)
#define FL_VM		(1U << 17)
/* The flags IRET at CPL 0 loads: CF PF AF ZF SF TF IF DF OF IOPL NT. */
#define FL_IRET16	0x7fd5U
/* With a 32-bit operand also RF AC VIF VIP ID. */
#define FL_IRET32	(FL_IRET16 | 0x3d0000U)
/* Bits a CPU never sets in an EFLAGS image: 3, 5, 15, 22-31. */
#define FL_RESERVED	0xffc08028U

/* Descriptor type bits (S = 1). */
#define DESC_CODE	0x8
#define DESC_CONFORM	0x4		/* code: conforming */
#define DESC_EXPDOWN	0x4		/* data: expand-down */
#define DESC_ACCESSED	0x1

/* One candidate IRET frame and what loading it would give. */
struct emul_frame {
	uint32_t		eip;
	uint16_t		sel;
	uint32_t		eflags;
	uint32_t		sp;		/* SP/ESP after the pops */
	struct kvm_segment	cs;		/* CS as loaded from its descriptor */
	uint64_t		desc;		/* its descriptor's linear address */
	uint8_t			desc_type;	/* its type byte as in memory */
};

/* The vCPU state being emulated. */
struct emul {
	const struct mem	*mem;
	const struct kvm_regs	*regs;
	const struct kvm_sregs	*sregs;
	const char		*why;
};

static int
emul_fail(struct emul *e, int error, const char *why)
{
	e->why = why;
	errno = error;
	return -1;
}

/*
 * emul_read: len bytes at a linear address (paging is off, so linear is
 * physical) within the low 4 GiB. 0, or -1 (EFAULT) outside guest RAM.
 */
static int
emul_read(struct emul *e, uint64_t linear, void *buf, size_t len)
{
	if (linear > 0xffffffffULL || len > 0x100000000ULL - linear ||
	    mem_read(e->mem, linear, buf, len) == -1)
		return emul_fail(e, EFAULT, "guest address outside RAM");
	return 0;
}

/* emul_in_limit: bytes [off, off + len) lie within segment seg. */
static int
emul_in_limit(const struct kvm_segment *seg, uint64_t off, uint64_t len)
{
	return off + len - 1 <= seg->limit;
}

/*
 * emul_decode: the instruction at CS:EIP. 0 for IRET/IRETD, with its
 * operand size (2 or 4) in *opsize; else -1 (ENOTSUP, or EFAULT if the
 * bytes cannot be fetched).
 */
static int
emul_decode(struct emul *e, int *opsize)
{
	const struct kvm_segment	*cs = &e->sregs->cs;
	uint64_t			 eip;
	uint32_t			 i;
	uint8_t				 b;
	int				 size;

	eip = cs->db ? e->regs->rip & 0xffffffffULL : e->regs->rip & 0xffff;
	size = cs->db ? 4 : 2;
	for (i = 0; i < EMUL_MAX_INSN; i++) {
		if (!emul_in_limit(cs, eip + i, 1))
			return emul_fail(e, EFAULT, "code beyond CS's limit");
		if (emul_read(e, cs->base + eip + i, &b, 1) == -1)
			return -1;
		switch (b) {
		case 0x66:		/* operand size */
			size = cs->db ? 2 : 4;
			continue;
		case 0x67:		/* address size: IRET has no operand */
		case 0x26:		/* segment overrides: likewise */
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65:
			continue;
		case 0xcf:		/* IRET, IRETD */
			*opsize = size;
			return 0;
		default:
			return emul_fail(e, ENOTSUP, "not an instruction "
			    "handled here");
		}
	}
	return emul_fail(e, ENOTSUP, "instruction longer than 15 bytes");
}

/*
 * emul_descriptor: load the code segment selector sel names into f->cs
 * (GDT or LDT, as the CPU does). 0, or -1 (EINVAL for a selector beyond
 * its table or an LDT that is not there, EFAULT).
 */
static int
emul_descriptor(struct emul *e, uint16_t sel, struct emul_frame *f)
{
	const struct kvm_sregs	*s = e->sregs;
	struct kvm_segment	*seg = &f->cs;
	uint64_t		 tbase;
	uint32_t		 tlimit, lo, hi, limit;
	uint8_t			 d[8];

	if (sel & 4) {
		if (s->ldt.unusable || !s->ldt.present || (s->ldt.selector &
		    ~7) == 0)
			return emul_fail(e, EINVAL, "CS in an absent LDT");
		tbase = s->ldt.base;
		tlimit = s->ldt.limit;
	} else {
		tbase = s->gdt.base;
		tlimit = s->gdt.limit;
	}
	if ((uint32_t)(sel & ~7) + 7 > tlimit)
		return emul_fail(e, EINVAL, "CS beyond its descriptor table");
	f->desc = (tbase + (sel & ~7)) & 0xffffffffULL;
	if (emul_read(e, f->desc, d, sizeof(d)) == -1)
		return -1;
	lo = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
	    (uint32_t)d[3] << 24;
	hi = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 |
	    (uint32_t)d[7] << 24;
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000U);
	limit = (lo & 0xffff) | (hi & 0xf0000);
	seg->g = (hi >> 23) & 1;
	seg->limit = seg->g ? limit << 12 | 0xfff : limit;
	seg->type = (hi >> 8) & 0xf;
	seg->s = (hi >> 12) & 1;
	seg->dpl = (hi >> 13) & 3;
	seg->present = (hi >> 15) & 1;
	seg->avl = (hi >> 20) & 1;
	seg->l = (hi >> 21) & 1;
	seg->db = (hi >> 22) & 1;
	seg->unusable = 0;
	f->desc_type = d[5];
	return 0;
}

/*
 * emul_frame: pop an IRET frame of opsize-byte items from the stack at
 * base + SP (SS's base, or 0 for where KVM-PVM delivers frames) and
 * check it as IRET to the same privilege level does. 0, or -1.
 */
static int
emul_frame(struct emul *e, uint64_t base, int opsize, struct emul_frame *f)
{
	const struct kvm_segment	*ss = &e->sregs->ss;
	uint32_t			 item[3], sp;
	uint8_t				 b[4];
	int				 i, cpl = 0, rpl, conform;

	if (ss->s && !(ss->type & DESC_CODE) && (ss->type & DESC_EXPDOWN))
		return emul_fail(e, ENOTSUP, "expand-down stack segment");
	sp = ss->db ? (uint32_t)e->regs->rsp : e->regs->rsp & 0xffff;
	for (i = 0; i < 3; i++) {
		if (!emul_in_limit(ss, sp, (uint64_t)opsize))
			return emul_fail(e, EFAULT, "frame beyond SS's limit");
		if (emul_read(e, (base + sp) & 0xffffffffULL, b,
		    (size_t)opsize) == -1)
			return -1;
		item[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8;
		if (opsize == 4)
			item[i] |= (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		sp += (uint32_t)opsize;
		if (!ss->db)
			sp &= 0xffff;
	}
	f->eip = item[0];
	f->sel = (uint16_t)item[1];
	f->eflags = item[2];
	f->sp = sp;
	if (opsize == 4 && (f->eflags & FL_VM))
		return emul_fail(e, ENOTSUP, "IRET to virtual-8086 mode");
	if ((f->sel & ~3) == 0)
		return emul_fail(e, EINVAL, "IRET to a null CS");
	rpl = f->sel & 3;
	if (rpl > cpl)
		return emul_fail(e, ENOTSUP, "IRET to an outer privilege "
		    "level");
	if (emul_descriptor(e, f->sel, f) == -1)
		return -1;
	if (!f->cs.s || !(f->cs.type & DESC_CODE))
		return emul_fail(e, EINVAL, "IRET to a segment that is not "
		    "code");
	conform = (f->cs.type & DESC_CONFORM) != 0;
	if (conform ? f->cs.dpl > rpl : f->cs.dpl != rpl)
		return emul_fail(e, EINVAL, "IRET to a code segment of "
		    "another privilege");
	if (!f->cs.present)
		return emul_fail(e, EINVAL, "IRET to a segment not present");
	if (opsize == 2)
		f->eip &= 0xffff;
	if (f->eip > f->cs.limit)
		return emul_fail(e, EINVAL, "IRET beyond CS's limit");
	return 0;
}

/* emul_cpu_flags: eflags is an image a CPU writes (bit 1 set, no reserved). */
static int
emul_cpu_flags(uint32_t eflags, int opsize)
{
	if (opsize == 2)
		eflags &= 0xffff;
	return (eflags & FL_FIXED1) && !(eflags & FL_RESERVED);
}

/* emul_iret: IRET/IRETD with operand size opsize (see the top). */
static int
emul_iret(struct emul *e, int opsize, struct kvm_regs *regs,
    struct kvm_sregs *sregs)
{
	struct emul_frame	 f;
	uint32_t		 mask;
	uint8_t			 type;

	if (regs->rflags & FL_NT)
		return emul_fail(e, ENOTSUP, "IRET from a nested task");
	if (sregs->ss.base == 0) {
		if (emul_frame(e, 0, opsize, &f) == -1)
			return -1;
	} else if (emul_frame(e, 0, opsize, &f) == -1 ||
	    !emul_cpu_flags(f.eflags, opsize)) {
		if (emul_frame(e, sregs->ss.base, opsize, &f) == -1)
			return -1;
		if (!emul_cpu_flags(f.eflags, opsize))
			return emul_fail(e, EINVAL, "no IRET frame with "
			    "plausible flags");
	}
	/* The CPU marks a descriptor it loads as accessed. */
	type = f.desc_type | DESC_ACCESSED;
	if (type != f.desc_type)
		(void)mem_write(e->mem, f.desc + 5, &type, 1);
	f.cs.type |= DESC_ACCESSED;
	mask = opsize == 4 ? FL_IRET32 : FL_IRET16;
	regs->rflags = (regs->rflags & ~(uint64_t)mask) | (f.eflags & mask) |
	    FL_FIXED1;
	regs->rip = f.eip;
	if (sregs->ss.db)
		regs->rsp = f.sp;
	else
		regs->rsp = (regs->rsp & ~0xffffULL) | f.sp;
	sregs->cs = f.cs;
	return 0;
}

int
emul_insn(const struct mem *mem, struct kvm_regs *regs,
    struct kvm_sregs *sregs, const char **why)
{
	struct emul	e;
	int		opsize;

	e.mem = mem;
	e.regs = regs;
	e.sregs = sregs;
	e.why = "";
	*why = "";
	if (!(sregs->cr0 & CR0_PE)) {
		*why = "real mode";
		errno = ENOTSUP;
		return -1;
	}
	if (sregs->cr0 & CR0_PG) {
		*why = "paging on";
		errno = ENOTSUP;
		return -1;
	}
	if ((sregs->efer & EFER_LMA) || (regs->rflags & FL_VM)) {
		*why = "long or virtual-8086 mode";
		errno = ENOTSUP;
		return -1;
	}
	if ((sregs->cs.selector & 3) != 0 || sregs->ss.dpl != 0) {
		*why = "CPL is not 0";
		errno = ENOTSUP;
		return -1;
	}
	if (emul_decode(&e, &opsize) == -1 ||
	    emul_iret(&e, opsize, regs, sregs) == -1) {
		*why = e.why;
		return -1;
	}
	return 0;
}
