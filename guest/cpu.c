/* SPDX-License-Identifier: ISC */
/* CPU set-up: the few CPL0 steps (TSS, LTR, LIDT, IRETQ) and the CPL3 rest. */
#include "guest.h"

struct tss {
	uint32_t	reserved0;
	uint64_t	rsp[3];
	uint64_t	reserved1;
	uint64_t	ist[7];
	uint64_t	reserved2;
	uint16_t	reserved3;
	uint16_t	iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "struct tss");

struct idt_gate {
	uint16_t	off_lo;
	uint16_t	sel;
	uint8_t		ist;
	uint8_t		type;		/* P | DPL | 0xe (interrupt gate) */
	uint16_t	off_mid;
	uint32_t	off_hi;
	uint32_t	reserved;
} __attribute__((packed));

struct desc_ptr {
	uint16_t	limit;
	uint64_t	base;
} __attribute__((packed));

extern struct tss	tss[MAX_CPUS];	/* entry.S, just before io_bitmap */
extern uint8_t		io_bitmap[];
static struct idt_gate	idt[256] CPL0 __attribute__((aligned(4096)));
static uint8_t		ustacks[MAX_CPUS][USTACK_SIZE] CPL0
			    __attribute__((aligned(4096)));
extern uint8_t		kstacks[];

static const struct desc_ptr idt_ptr = {
	sizeof(idt) - 1, (uint64_t)idt
};

/* Page directories for RAM and MMIO above 4 GiB, filled at CPL3. */
#define HIGH_PDS	60
static uint64_t		high_pd[HIGH_PDS][512] CPL0
			    __attribute__((aligned(4096)));

/*
 * cpu_load: CPL0.  Give CPU idx its TSS (kernel stack for traps from CPL3)
 * and load TR and IDTR.  The IDT's contents are written at CPL3 by the
 * boot CPU (cpu_idt_init) before anything can trap.
 */
static void
cpu_load(uint32_t idx)
{
	struct tss	*t = &tss[idx];
	uint64_t	 base = (uint64_t)t;
	uint64_t	 limit = io_bitmap + 8192 - (uint8_t *)t;
	uint16_t	 sel = SEL_TSS0 + 16 * idx;

	t->rsp[0] = (uint64_t)kstacks + (idx + 1) * KSTACK_SIZE;
	t->iomap_base = io_bitmap - (uint8_t *)t;
	gdt[sel / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
	    (((base >> 24) & 0xff) << 56);
	gdt[sel / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %0" : : "r"(sel));
	__asm__ volatile("lidt %0" : : "m"(idt_ptr));
}

static uint64_t
ustack_top(uint32_t idx)
{
	return (uint64_t)ustacks[idx] + USTACK_SIZE - 8;
}

/* cpu_boot: CPL0, boot CPU, from entry.S.  Never returns. */
void
cpu_boot(void)
{
	cpu_load(0);
	enter_user(user_main, ustack_top(0), boot_zeropage);
}

/* ap_boot: CPL0, application processor idx, from entry.S. */
void
ap_boot(uint32_t idx)
{
	cpu_load(idx);
	enter_user(ap_main, ustack_top(idx), idx);
}

/*
 * cpu_idt_init: CPL3.  Point all 256 vectors at their stubs, as interrupt
 * gates (IF cleared on entry) to the 64-bit kernel code segment.
 */
void
cpu_idt_init(void)
{
	uint64_t	 a;
	int		 i;

	for (i = 0; i < 256; i++) {
		a = (uint64_t)trap_stubs + 16 * i;
		idt[i].off_lo = a & 0xffff;
		idt[i].sel = SEL_KCODE;
		idt[i].ist = 0;
		idt[i].type = 0x8e;
		idt[i].off_mid = (a >> 16) & 0xffff;
		idt[i].off_hi = a >> 32;
		idt[i].reserved = 0;
	}
}

/*
 * cpu_map_range: CPL3.  Identity-map [start, end) above 4 GiB with 2M
 * user pages, write-back.
 * Returns 0, or -1 if it lies beyond what the page directories cover.
 */
int
cpu_map_range(uint64_t start, uint64_t end)
{
	uint64_t	 a, gib;

	if (end > (4ULL + HIGH_PDS) << 30)
		return -1;
	for (a = start & ~0x1fffffULL; a < end; a += 0x200000) {
		gib = a >> 30;
		if (gib < 4)
			continue;
		if (pdpt[gib] == 0) {
			memset(high_pd[gib - 4], 0, 4096);
			pdpt[gib] = (uint64_t)high_pd[gib - 4] | 0x7;
		}
		high_pd[gib - 4][(a >> 21) & 511] = a | 0x87;
	}
	return 0;
}

/*
 * cpu_triple_fault: CPL3.  Clear the IDT and execute UD2: #UD finds no
 * gate, nor does the #GP or #DF that follow, so the CPU shuts down.
 */
void
cpu_triple_fault(void)
{
	memset(idt, 0, sizeof(idt));
	__asm__ volatile("ud2" ::: "memory");
}
