/* SPDX-License-Identifier: ISC */
/* Local APIC (xAPIC by MMIO at CPL3, or x2APIC by MSR) and I/O APIC. */
#include "guest.h"

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_EN		(1U << 11)
#define APIC_BASE_EXTD		(1U << 10)
#define MSR_X2APIC(reg)		(0x800 + ((reg) >> 4))
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_TPR		0x080
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define ICR_PENDING		(1U << 12)

int			 apic_x2;
static uint64_t		 lapic_base = 0xfee00000;

/*
 * apic_init: mask the 8259 PICs (nobody programmed their vector base: an
 * IRQ through them arrives as vector 0-15 by LINT0's ExtINT), choose the
 * LAPIC access mode (tg.apic=xapic|x2apic; default xapic),
 * software-enable the LAPIC (SVR, spurious vector 0xff), TPR 0.
 */
void
apic_init(void)
{
	char		 mode[16];
	uint32_t	 r[4];
	uint64_t	 base;
	int		 want_x2 = 0;

	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (cmdline_get("tg.apic", mode, sizeof(mode)))
		want_x2 = strncmp(mode, "x2apic", 7) == 0;
	cpuid0(1, 0, r);
	base = sys(SYS_RDMSR, MSR_APIC_BASE, 0);
	if (acpi.lapic_addr != 0)
		lapic_base = acpi.lapic_addr;
	if (want_x2 && (r[2] & (1U << 21)) == 0)
		printf("# apic: x2APIC asked for but not in CPUID\n");
	else if (want_x2 && !apic_x2) {
		if ((base & APIC_BASE_EN) == 0)
			sys(SYS_WRMSR, MSR_APIC_BASE, base | APIC_BASE_EN);
		sys(SYS_WRMSR, MSR_APIC_BASE,
		    base | APIC_BASE_EN | APIC_BASE_EXTD);
		apic_x2 = 1;
	}
	apic_write(LAPIC_TPR, 0);
	apic_write(LAPIC_SVR, 0x1ff);
}

uint32_t
apic_read(uint32_t reg)
{
	if (apic_x2)
		return (uint32_t)sys(SYS_RDMSR, MSR_X2APIC(reg), 0);
	return mmio_read32(lapic_base + reg);
}

void
apic_write(uint32_t reg, uint32_t v)
{
	if (apic_x2)
		sys(SYS_WRMSR, MSR_X2APIC(reg), v);
	else
		mmio_write32(lapic_base + reg, v);
}

/* apic_lapic_id: the boot CPU's APIC id, from its LAPIC ID register. */
uint32_t
apic_lapic_id(void)
{
	return apic_x2 ? apic_read(0x20) : apic_read(0x20) >> 24;
}

/*
 * apic_id: this CPU's APIC id as CPUID tells it (leaf 0xb, else 1), with
 * CPUID run at CPL0 (cpuid0) or, if native, at CPL3.
 */
uint32_t
apic_id(int native)
{
	void		(*fn)(uint32_t, uint32_t, uint32_t *);
	uint32_t	 r[4];

	fn = native ? cpuid : cpuid0;
	fn(0, 0, r);
	if (r[0] >= 0xb) {
		fn(0xb, 0, r);
		if (r[1] != 0)
			return r[3];
	}
	fn(1, 0, r);
	return r[1] >> 24;
}

/* apic_icr: send an IPI (lo: vector, mode, shorthand) to APIC id dest. */
void
apic_icr(uint32_t dest, uint32_t lo)
{
	int	 i;

	if (apic_x2) {
		sys(SYS_WRMSR, MSR_X2APIC(LAPIC_ICR_LO),
		    (uint64_t)dest << 32 | lo);
		return;
	}
	mmio_write32(lapic_base + LAPIC_ICR_HI, dest << 24);
	mmio_write32(lapic_base + LAPIC_ICR_LO, lo);
	for (i = 0; i < 100000; i++)
		if ((mmio_read32(lapic_base + LAPIC_ICR_LO) & ICR_PENDING) == 0)
			break;
}

/* apic_eoi: CPL0 only (from trap()): end the current interrupt. */
void
apic_eoi(void)
{
	if (apic_x2)
		__asm__ volatile("wrmsr" : : "c"(MSR_X2APIC(LAPIC_EOI)),
		    "a"(0), "d"(0));
	else
		mmio_write32(lapic_base + LAPIC_EOI, 0);
}

static void
ioapic_write(uint32_t reg, uint32_t v)
{
	uint64_t	 a = acpi.ioapic_addr ? acpi.ioapic_addr : 0xfec00000;

	mmio_write32(a, reg);
	mmio_write32(a + 0x10, v);
}

/*
 * ioapic_route: deliver gsi as vector to APIC id dest (fixed, physical);
 * flags are the MADT override's MPS INTI flags (polarity, trigger).
 */
void
ioapic_route(uint32_t gsi, uint8_t vector, uint16_t flags, uint32_t dest)
{
	uint32_t	 pin = gsi - acpi.ioapic_gsi_base, lo = vector;

	if ((flags & 3) == 3)
		lo |= 1U << 13;		/* active low */
	if (((flags >> 2) & 3) == 3)
		lo |= 1U << 15;		/* level */
	ioapic_write(0x10 + 2 * pin + 1, dest << 24);
	ioapic_write(0x10 + 2 * pin, lo);
}

void
ioapic_mask(uint32_t gsi)
{
	ioapic_write(0x10 + 2 * (gsi - acpi.ioapic_gsi_base), 1U << 16);
}
