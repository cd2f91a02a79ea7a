/* SPDX-License-Identifier: ISC */
/* ACPI: find and check RSDP, XSDT/RSDT, FADT, MADT, DSDT; S5 and reset. */
#include "guest.h"

struct acpi_info	 acpi;

struct sdt_header {
	char		sig[4];
	uint32_t	length;
	uint8_t		revision;
	uint8_t		checksum;
	char		oemid[6];
	char		oem_table_id[8];
	uint32_t	oem_revision;
	uint32_t	creator_id;
	uint32_t	creator_revision;
} __attribute__((packed));

/* FADT offsets (ACPI 6.x, table 5.9). */
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_CENTURY		108
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_X_DSDT		140
#define FADT_SLEEP_CONTROL_REG	244
#define FADT_RESET_REG_SUP	(1U << 10)

static int
rd8(uint64_t a)
{
	return *(const volatile uint8_t *)a;
}

static uint32_t
rd32(uint64_t a)
{
	return *(const volatile uint32_t *)a;
}

static uint64_t
rd64(uint64_t a)
{
	return *(const volatile uint64_t *)a;
}

/* acpi_checksum: 1 if the bytes sum to zero. */
int
acpi_checksum(const void *p, size_t n)
{
	const uint8_t	*b = p;
	uint8_t		 sum = 0;

	while (n-- > 0)
		sum += *b++;
	return sum == 0;
}

static int
rsdp_valid(uint64_t a)
{
	if (memcmp((const void *)a, "RSD PTR ", 8) != 0)
		return 0;
	if (!acpi_checksum((const void *)a, 20))
		return 0;
	if (rd8(a + 15) >= 2 && !acpi_checksum((const void *)a, rd32(a + 20)))
		return 0;
	return 1;
}

static uint64_t
rsdp_find(void)
{
	uint64_t	 a;

	a = bp64(BP_ACPI_RSDP);
	if (a != 0 && a < 0x100000000ULL && rsdp_valid(a))
		return a;
	for (a = 0xe0000; a < 0x100000; a += 16)
		if (rsdp_valid(a))
			return a;
	return 0;
}

/* Check one table's header and checksum; log it.  Returns 1 if good. */
static int
table_check(uint64_t a, const char *sig)
{
	const struct sdt_header *h = (const struct sdt_header *)a;

	if (a == 0 || a >= 0x100000000ULL)
		return 0;
	if (sig != NULL && memcmp(h->sig, sig, 4) != 0) {
		printf("# acpi: table at 0x%lx is not %s\n", a, sig);
		return 0;
	}
	if (h->length < sizeof(*h) || h->length > (1U << 24)) {
		printf("# acpi: table at 0x%lx: bad length %u\n", a,
		    h->length);
		return 0;
	}
	if (!acpi_checksum(h, h->length)) {
		printf("# acpi: %c%c%c%c at 0x%lx: bad checksum\n", h->sig[0],
		    h->sig[1], h->sig[2], h->sig[3], a);
		return 0;
	}
	return 1;
}

/* Read a generic address structure: space (0 memory, 1 I/O) and address. */
static void
gas_read(uint64_t a, int *space, uint64_t *addr)
{
	*space = rd8(a);
	*addr = rd64(a + 4);
	if (*addr == 0 || (*space != 0 && *space != 1))
		*space = -1;
}

static void
fadt_parse(uint64_t f)
{
	uint32_t	 len = rd32(f + 4);

	acpi.sci_irq = rd8(f + FADT_SCI_INT) | rd8(f + FADT_SCI_INT + 1) << 8;
	acpi.pm1a_evt = rd32(f + FADT_PM1A_EVT_BLK);
	acpi.pm1a_cnt = rd32(f + FADT_PM1A_CNT_BLK);
	acpi.pm_tmr = rd32(f + FADT_PM_TMR_BLK);
	acpi.century = rd8(f + FADT_CENTURY);
	acpi.fadt_flags = len > FADT_FLAGS ? rd32(f + FADT_FLAGS) : 0;
	acpi.reset_space = -1;
	if (len >= FADT_RESET_VALUE + 1) {
		gas_read(f + FADT_RESET_REG, &acpi.reset_space,
		    &acpi.reset_addr);
		acpi.reset_value = rd8(f + FADT_RESET_VALUE);
	}
	acpi.dsdt = rd32(f + FADT_DSDT);
	if (len >= FADT_X_DSDT + 8 && rd64(f + FADT_X_DSDT) != 0)
		acpi.dsdt = rd64(f + FADT_X_DSDT);
	acpi.sleep_space = -1;
	if (len >= FADT_SLEEP_CONTROL_REG + 12)
		gas_read(f + FADT_SLEEP_CONTROL_REG, &acpi.sleep_space,
		    &acpi.sleep_addr);
}

static void
madt_parse(uint64_t m)
{
	uint64_t	 p, end = m + rd32(m + 4);
	uint32_t	 flags, id;
	int		 type, len, irq;

	acpi.lapic_addr = rd32(m + 36);
	for (irq = 0; irq < 16; irq++) {
		acpi.isa_gsi[irq] = irq;
		acpi.isa_flags[irq] = 0;
	}
	for (p = m + 44; p + 2 <= end; p += len) {
		type = rd8(p);
		len = rd8(p + 1);
		if (len < 2 || p + len > end)
			break;
		switch (type) {
		case 0:		/* processor local APIC */
		case 9:		/* processor local x2APIC */
			flags = type == 0 ? rd32(p + 4) : rd32(p + 8);
			id = type == 0 ? (uint32_t)rd8(p + 3) : rd32(p + 4);
			if ((flags & 1) == 0)
				break;
			if (acpi.ncpus < MAX_CPUS)
				acpi.apic_ids[acpi.ncpus] = id;
			acpi.ncpus++;
			break;
		case 1:		/* I/O APIC */
			if (acpi.ioapic_addr == 0) {
				acpi.ioapic_addr = rd32(p + 4);
				acpi.ioapic_gsi_base = rd32(p + 8);
			}
			break;
		case 2:		/* interrupt source override */
			irq = rd8(p + 3);
			if (rd8(p + 2) == 0 && irq < 16) {
				acpi.isa_gsi[irq] = rd32(p + 4);
				acpi.isa_flags[irq] = rd8(p + 8) |
				    rd8(p + 9) << 8;
			}
			break;
		}
	}
}

/*
 * The \_S5_ sleep type: find the name, then a package whose first element
 * is a byte constant (BytePrefix n, Zero, One).  -1 if not found.
 */
static int
dsdt_s5(uint64_t d)
{
	const uint8_t	*p = (const uint8_t *)d, *q;
	uint32_t	 len = rd32(d + 4), i;

	for (i = sizeof(struct sdt_header); i + 12 < len; i++) {
		if (memcmp(p + i, "_S5_", 4) != 0)
			continue;
		q = p + i + 4;
		if (*q++ != 0x12)		/* PackageOp */
			continue;
		q += (*q >> 6) + 1;		/* PkgLength */
		q++;				/* NumElements */
		if (*q == 0x0a)
			return q[1];
		if (*q == 0x00 || *q == 0x01)
			return *q;
	}
	return -1;
}

/* acpi_init: find every table we use; acpi.ok says all checksums held. */
void
acpi_init(void)
{
	uint64_t	 root, e;
	uint32_t	 n, i;
	int		 xsdt, ok = 1;

	acpi.slp_typ_s5 = -1;
	acpi.reset_space = acpi.sleep_space = -1;
	if ((acpi.rsdp = rsdp_find()) == 0) {
		printf("# acpi: no RSDP\n");
		return;
	}
	xsdt = rd8(acpi.rsdp + 15) >= 2 && rd64(acpi.rsdp + 24) != 0;
	root = xsdt ? rd64(acpi.rsdp + 24) : rd32(acpi.rsdp + 16);
	if (xsdt)
		acpi.xsdt = root;
	else
		acpi.rsdt = root;
	if (!table_check(root, xsdt ? "XSDT" : "RSDT")) {
		printf("# acpi: bad root table\n");
		return;
	}
	n = (rd32(root + 4) - sizeof(struct sdt_header)) / (xsdt ? 8 : 4);
	for (i = 0; i < n; i++) {
		e = xsdt ? rd64(root + 36 + 8 * i) : rd32(root + 36 + 4 * i);
		if (!table_check(e, NULL)) {
			ok = 0;
			continue;
		}
		if (memcmp((const void *)e, "FACP", 4) == 0 && acpi.fadt == 0)
			acpi.fadt = e;
		else if (memcmp((const void *)e, "APIC", 4) == 0 &&
		    acpi.madt == 0)
			acpi.madt = e;
	}
	if (acpi.fadt != 0) {
		fadt_parse(acpi.fadt);
		if (table_check(acpi.dsdt, "DSDT"))
			acpi.slp_typ_s5 = dsdt_s5(acpi.dsdt);
		else
			ok = 0;
	}
	if (acpi.madt != 0)
		madt_parse(acpi.madt);
	acpi.ok = ok && acpi.fadt != 0 && acpi.madt != 0;
}

/* io_write: one byte to a generic address (space 0 memory, 1 I/O). */
void
io_write(int space, uint64_t addr, uint8_t v)
{
	if (space == 1)
		outb((uint16_t)addr, v);
	else if (space == 0 && addr < 0x100000000ULL)
		*(volatile uint8_t *)addr = v;
}

/*
 * acpi_poweroff: enter S5 (SLP_TYP 5 if the DSDT has no \_S5_).  Returns
 * only if that did not work.  Prints nothing: trap_fatal calls it at CPL0.
 */
void
acpi_poweroff(void)
{
	int	 typ = acpi.slp_typ_s5 >= 0 ? acpi.slp_typ_s5 : 5;

	if ((acpi.fadt_flags & FADT_HW_REDUCED) && acpi.sleep_space >= 0)
		io_write(acpi.sleep_space, acpi.sleep_addr,
		    (typ & 7) << 2 | 1 << 5);
	else if (acpi.pm1a_cnt != 0)
		outw(acpi.pm1a_cnt, (typ & 7) << 10 | 1 << 13);
}

/* acpi_reset: write the FADT reset register.  Returns if nothing happened. */
void
acpi_reset(void)
{
	if (acpi.reset_space < 0) {
		printf("# acpi: no reset register\n");
		return;
	}
	io_write(acpi.reset_space, acpi.reset_addr, acpi.reset_value);
}
