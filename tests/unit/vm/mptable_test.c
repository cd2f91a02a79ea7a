/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the MP tables: found where a kernel searches, in memory
 * the e820 map reserves, checksums and lengths, and every entry against
 * the MADT of the same machine.
 */
#include <linux/kvm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/bytes.h"
#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/acpi.h"
#include "vm/boot.h"
#include "vm/mptable.h"
#include "vm/platform.h"
#include "vm/dev/pci.h"

#define TEST_MEM	(64ULL << 20)
#define TEST_CPUSIG	0x00b20f21U	/* family 1Ah: extended bits set */
#define TEST_FEATURES	0x178bfbffU
#define E820_RESERVED	2

/* What the MADT of the same machine says, for the comparison. */
struct madt {
	uint32_t	 lapic_addr;
	int		 ncpus;
	uint8_t		 apic_id[256];
	int		 ioapic_id;
	uint32_t	 ioapic_addr;
	int		 gsi[16];	/* ISA IRQ -> GSI after overrides */
	uint16_t	 flags[16];	/* the overrides' MPS INTI flags */
	int		 nmi_lint;	/* LINT of the all-processor NMI */
};

/* The guest's RAM as the guest would search it. */
static const uint8_t *
at(struct vm *vm, uint64_t gpa, size_t len)
{
	return mem_gpa2hva(&vm->mem, gpa, len);
}

/*
 * scan: the specification's search for the floating pointer (the first
 * KiB, where the EBDA would be, the last KiB of 640 KiB of base memory,
 * the BIOS ROM area), in Linux's order: the first valid one's address,
 * or 0.
 */
static uint64_t
scan(struct vm *vm)
{
	static const uint64_t	 range[][2] = { { 0, 0x400 },
				    { 639 * 0x400, 0x400 },
				    { 0xf0000, 0x10000 } };
	const uint8_t		*p;
	uint64_t		 a;
	size_t			 i;

	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		for (a = range[i][0]; a < range[i][0] + range[i][1]; a += 16) {
			p = at(vm, a, 16);
			if (p != NULL && memcmp(p, "_MP_", 4) == 0 &&
			    p[8] == 1 && sum(p, 16) == 0 &&
			    (p[9] == 1 || p[9] == 4))
				return a;
		}
	return 0;
}

/* reserved: [gpa, gpa + len) lies in one range the e820 map reserves. */
static int
reserved(uint64_t gpa, uint64_t len)
{
	uint8_t		 e820[5 * 20];
	uint64_t	 base, size;
	int		 i, n;

	n = boot_e820(TEST_MEM, e820, 5);
	for (i = 0; i < n; i++) {
		base = le64(e820 + i * 20);
		size = le64(e820 + i * 20 + 8);
		if (le32(e820 + i * 20 + 16) == E820_RESERVED &&
		    gpa >= base && gpa + len <= base + size)
			return 1;
	}
	return 0;
}

/* madt_read: the MADT of acpi_tables for ncpus vCPUs. */
static void
madt_read(int ncpus, struct madt *m)
{
	static uint8_t	 buf[PLAT_ACPI_SIZE];
	const uint8_t	*t = buf + ACPI_OFF_MADT, *e;
	uint32_t	 len, off;
	int		 i;

	memset(m, 0, sizeof(*m));
	m->ioapic_id = m->nmi_lint = -1;
	for (i = 0; i < 16; i++)
		m->gsi[i] = i;
	if (acpi_tables(buf, sizeof(buf), PLAT_ACPI_START, ncpus,
	    NULL) == -1 || memcmp(t, "APIC", 4) != 0) {
		printf("Bail out! no MADT for %d vCPUs\n", ncpus);
		exit(1);
	}
	len = le32(t + 4);
	m->lapic_addr = le32(t + 36);
	for (off = 44; off + 2 <= len && t[off + 1] >= 2; off += e[1]) {
		e = t + off;
		switch (e[0]) {
		case 0:		/* Processor Local APIC: UID, id, flags */
			if ((le32(e + 4) & 1) && m->ncpus < 256)
				m->apic_id[m->ncpus++] = e[3];
			break;
		case 1:		/* I/O APIC: id, address, GSI base */
			m->ioapic_id = e[2];
			m->ioapic_addr = le32(e + 4);
			break;
		case 2:		/* Interrupt Source Override */
			if (e[2] == 0 && e[3] < 16) {
				m->gsi[e[3]] = (int)le32(e + 4);
				m->flags[e[3]] = (uint16_t)le16(e + 8);
			}
			break;
		case 4:		/* Local APIC NMI */
			if (e[2] == 0xff)
				m->nmi_lint = e[5];
			break;
		default:
			break;
		}
	}
}

/* The counts of one walk of the configuration table. */
struct walk {
	int		 bad;		/* an entry of unknown type or size */
	int		 unsorted;
	int		 nent;
	int		 cpus, cpu_order, bsp, cpu_fields;
	int		 pci_bus, isa_bus, bus_order, last_bus;
	int		 ioapics, ioapic_id;
	int		 isa_ok, pci_ok, pci_ints, dest_ok;
	uint32_t	 isa_seen;	/* bit n: ISA IRQ n listed */
	uint32_t	 pins_isa;	/* bit n: input n has an ISA IRQ */
	int		 pin_twice;
	int		 extint_lint0, nmi_lint1;
};

static void
walk_entry(const uint8_t *e, const struct madt *m, uint32_t cpusig,
    uint32_t features, struct walk *w)
{
	uint16_t	 flags;
	int		 slot, pin, irq;

	switch (e[0]) {
	case MPTABLE_CPU:
		if (e[1] != m->apic_id[w->cpus] || !(e[3] & 1))
			w->cpu_order = 0;
		if (e[3] & 2)
			w->bsp += e[1] == 0 ? 1 : 100;
		if (e[2] != PLAT_LAPIC_VERSION || le32(e + 4) != (cpusig &
		    0xfff) || le32(e + 8) != features || le32(e + 12) != 0 ||
		    le32(e + 16) != 0)
			w->cpu_fields = 0;
		w->cpus++;
		break;
	case MPTABLE_BUS:
		if (e[1] == MPTABLE_BUS_PCI && memcmp(e + 2, "PCI   ", 6) == 0)
			w->pci_bus++;
		else if (e[1] == MPTABLE_BUS_ISA &&
		    memcmp(e + 2, "ISA   ", 6) == 0)
			w->isa_bus++;
		else
			w->bad = 1;
		if (e[1] <= w->last_bus)
			w->bus_order = 0;	/* ids must ascend */
		w->last_bus = e[1];
		break;
	case MPTABLE_IOAPIC:
		w->ioapics++;
		w->ioapic_id = e[1];
		if (e[1] != m->ioapic_id || e[2] != PLAT_IOAPIC_VERSION ||
		    !(e[3] & 1) || le32(e + 4) != m->ioapic_addr)
			w->bad = 1;
		break;
	case MPTABLE_IOINT:
		flags = (uint16_t)le16(e + 2);
		if (e[6] != w->ioapic_id)
			w->dest_ok = 0;
		if (e[4] == MPTABLE_BUS_ISA) {
			irq = e[5];
			if (e[1] != 0 || irq >= 16 ||
			    (w->isa_seen & (1U << irq)) ||
			    e[7] != m->gsi[irq] || flags != m->flags[irq])
				w->isa_ok = 0;
			if (irq < 16)
				w->isa_seen |= 1U << irq;
			if (e[7] < 32 && (w->pins_isa & (1U << e[7])))
				w->pin_twice = 1;
			if (e[7] < 32)
				w->pins_isa |= 1U << e[7];
		} else if (e[4] == MPTABLE_BUS_PCI) {
			/* INT# in bits 1:0, the device in 6:2 (D.3). */
			slot = (e[5] >> 2) & 0x1f;
			pin = e[5] & 3;
			if (e[1] != 0 || (e[5] & 0x80) || flags != 0 ||
			    e[7] != pci_intx_gsi(slot, pin + 1))
				w->pci_ok = 0;
			w->pci_ints++;
		} else
			w->bad = 1;
		break;
	case MPTABLE_LINT:
		if (e[1] == 3 && e[4] == MPTABLE_BUS_ISA && e[6] == 0xff &&
		    e[7] == 0)
			w->extint_lint0++;
		else if (e[1] == 1 && e[6] == 0xff && e[7] == m->nmi_lint)
			w->nmi_lint1++;
		else
			w->bad = 1;
		break;
	default:
		w->bad = 1;
		break;
	}
}

/*
 * check_config: the configuration table at gpa for ncpus vCPUs, against
 * the MADT.
 */
static void
check_config(struct vm *vm, uint64_t gpa, int ncpus, uint32_t cpusig,
    uint32_t features)
{
	const uint8_t	*t, *e;
	struct madt	 m;
	struct walk	 w;
	uint32_t	 len, off, size;
	int		 last = -1;

	madt_read(ncpus, &m);
	t = at(vm, gpa, MPTABLE_HDR_LEN);
	tap_ok(t != NULL && memcmp(t, "PCMP", 4) == 0,
	    "%d: the pointer leads to PCMP", ncpus);
	if (t == NULL || memcmp(t, "PCMP", 4) != 0)
		return;
	len = le16(t + 4);
	tap_ok((t = at(vm, gpa, len)) != NULL && reserved(gpa, len),
	    "%d: the table (%u bytes at 0x%llx) in reserved memory", ncpus,
	    len, (unsigned long long)gpa);
	if (t == NULL)
		return;
	tap_is(len, MPTABLE_HDR_LEN + ncpus * MPTABLE_CPU_LEN +
	    (2 + 1 + 15 + (PCI_MAX_SLOTS - 1) * 4 + 2) * MPTABLE_ENTRY_LEN,
	    "%d: base table length", ncpus);
	tap_is(sum(t, len), 0, "%d: base table checksum", ncpus);
	tap_is(t[6], 4, "%d: specification 1.4", ncpus);
	tap_ok(memcmp(t + 8, "VMDLNX  ", 8) == 0 &&
	    memcmp(t + 16, "VMD         ", 12) == 0,
	    "%d: OEM and product ids, space-padded", ncpus);
	tap_ok(le32(t + 28) == 0 && le16(t + 32) == 0,
	    "%d: no OEM table", ncpus);
	tap_ok(le16(t + 40) == 0 && t[42] == 0 && t[43] == 0,
	    "%d: no extended entries (length 0, checksum 0)", ncpus);
	tap_is(le32(t + 36), m.lapic_addr, "%d: local APIC address as the "
	    "MADT's", ncpus);

	memset(&w, 0, sizeof(w));
	w.cpu_order = w.cpu_fields = w.bus_order = w.isa_ok = w.pci_ok = 1;
	w.dest_ok = 1;
	w.ioapic_id = w.last_bus = -1;
	for (off = MPTABLE_HDR_LEN; off < len && !w.bad; off += size) {
		e = t + off;
		size = e[0] == MPTABLE_CPU ? MPTABLE_CPU_LEN :
		    MPTABLE_ENTRY_LEN;
		if (e[0] > MPTABLE_LINT || off + size > len) {
			w.bad = 1;
			break;
		}
		if (e[0] < last)
			w.unsorted = 1;
		last = e[0];
		if (e[0] == MPTABLE_CPU && w.cpus >= m.ncpus) {
			w.cpu_order = 0;
			w.cpus++;
		} else
			walk_entry(e, &m, cpusig, features, &w);
		w.nent++;
	}
	tap_ok(!w.bad && off == len, "%d: entries fill the table exactly",
	    ncpus);
	tap_is(w.nent, le16(t + 34), "%d: entry count", ncpus);
	tap_ok(!w.unsorted, "%d: entries sorted by type", ncpus);
	tap_is(w.cpus, ncpus, "%d: one processor entry per vCPU", ncpus);
	tap_is(m.ncpus, ncpus, "%d: ... as many as the MADT lists", ncpus);
	tap_ok(w.cpu_order, "%d: enabled, APIC ids those of the MADT, in "
	    "order", ncpus);
	tap_is(w.bsp, 1, "%d: the BSP flag on vCPU 0 alone", ncpus);
	tap_ok(w.cpu_fields, "%d: APIC version, CPUID signature (12 bits) "
	    "and features", ncpus);
	tap_ok(w.pci_bus == 1 && w.isa_bus == 1 && w.bus_order,
	    "%d: buses PCI 0 and ISA 1, in order", ncpus);
	tap_is(w.ioapics, 1, "%d: one IOAPIC: the MADT's id, address; "
	    "enabled, version 0x11", ncpus);
	tap_ok(w.dest_ok, "%d: every I/O interrupt goes to that IOAPIC",
	    ncpus);
	tap_ok(w.isa_ok && w.isa_seen == 0xfffb,
	    "%d: ISA IRQs 0-15 but 2, each to the MADT's GSI with its "
	    "flags (IRQ 0 to input 2, SCI level/high)", ncpus);
	tap_ok(!w.pin_twice, "%d: no IOAPIC input has two ISA IRQs", ncpus);
	tap_ok(w.pci_ok && w.pci_ints == (PCI_MAX_SLOTS - 1) * 4,
	    "%d: INTA-D# of PCI slots 1-31 to the DSDT's GSIs", ncpus);
	tap_ok(w.extint_lint0 == 1 && w.nmi_lint1 == 1,
	    "%d: every LAPIC: ExtINT on LINT0, NMI on the MADT's LINT%d",
	    ncpus, m.nmi_lint);
}

static struct kvm_cpuid2 *
cpuid_table(void)
{
	struct kvm_cpuid2	*c;

	if ((c = calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]))) == NULL) {
		printf("Bail out! calloc\n");
		exit(1);
	}
	c->nent = 2;
	c->entries[0].function = 0;
	c->entries[0].eax = 0xd;
	c->entries[1].function = 1;
	c->entries[1].eax = TEST_CPUSIG;
	c->entries[1].edx = TEST_FEATURES;
	return c;
}

/* test_build: mptable_build for ncpus vCPUs, found and walked as a guest. */
static void
test_build(int ncpus, int with_cpuid)
{
	struct kvm_cpuid2	*c = with_cpuid ? cpuid_table() : NULL;
	struct vm		 vm;
	const uint8_t		*fp;
	uint64_t		 a;

	fakevm_init(&vm);
	vm.params.ncpus = ncpus;
	if (mem_init(&vm.mem, TEST_MEM) == -1) {
		printf("Bail out! mem_init: %s\n", strerror(errno));
		exit(1);
	}
	tap_is(mptable_build(&vm, c), 0, "%d: mptable_build", ncpus);
	a = scan(&vm);
	tap_is(a, PLAT_MP_FLOAT, "%d: a search finds the floating pointer "
	    "first in the last KiB of base memory", ncpus);
	tap_is(a, 639 * 0x400, "%d: ... at 639 KiB, where Linux looks "
	    "second", ncpus);
	tap_ok(reserved(a, MPTABLE_FLOAT_LEN), "%d: ... which the e820 map "
	    "reserves", ncpus);
	fp = at(&vm, PLAT_MP_FLOAT, MPTABLE_FLOAT_LEN);
	tap_ok(fp[9] == 4 && fp[11] == 0 && fp[12] == 0 && fp[13] == 0 &&
	    fp[14] == 0 && fp[15] == 0, "%d: version 1.4, a table, virtual "
	    "wire mode (no IMCR), reserved bytes 0", ncpus);
	tap_is(le32(fp + 4), PLAT_MP_CONFIG, "%d: it points at the "
	    "configuration table", ncpus);
	check_config(&vm, le32(fp + 4), ncpus, with_cpuid ? TEST_CPUSIG : 0,
	    with_cpuid ? TEST_FEATURES | (1U << 9) : 1U << 9);
	mem_free(&vm.mem);
	fakevm_free(&vm);
	free(c);
}

static void
test_errors(void)
{
	static uint8_t	conf[PLAT_MP_CONFIG_SIZE];
	uint8_t		fp[MPTABLE_FLOAT_LEN];
	struct vm	vm;
	size_t		used = 0;

	errno = 0;
	tap_ok(mptable_tables(fp, conf, sizeof(conf), PLAT_MP_CONFIG, 0, 0, 0,
	    NULL) == -1 && errno == EINVAL, "0 vCPUs: EINVAL");
	errno = 0;
	tap_ok(mptable_tables(fp, conf, sizeof(conf), PLAT_MP_CONFIG,
	    MPTABLE_MAX_CPUS + 1, 0, 0, NULL) == -1 && errno == EINVAL,
	    "%d vCPUs (APIC ids are a byte): EINVAL", MPTABLE_MAX_CPUS + 1);
	errno = 0;
	tap_ok(mptable_tables(fp, conf, sizeof(conf), 0x100000000ULL, 1, 0,
	    0, NULL) == -1 && errno == EINVAL, "a table above 4 GiB: EINVAL");
	errno = 0;
	tap_ok(mptable_tables(fp, conf, sizeof(conf), 0xfffff000ULL, 1, 0,
	    0, NULL) == -1 && errno == EINVAL, "a table across 4 GiB: EINVAL");
	errno = 0;
	tap_ok(mptable_tables(fp, conf, MPTABLE_HDR_LEN - 1, PLAT_MP_CONFIG,
	    1, 0, 0, NULL) == -1 && errno == ENOSPC,
	    "no room for the header: ENOSPC");
	errno = 0;
	tap_ok(mptable_tables(fp, conf, 512, PLAT_MP_CONFIG, 4, 0, 0,
	    NULL) == -1 && errno == ENOSPC, "512 bytes: ENOSPC");
	tap_is(mptable_tables(fp, conf, sizeof(conf), PLAT_MP_CONFIG,
	    MPTABLE_MAX_CPUS, 0, 0, &used), 0, "%d vCPUs fit in "
	    "PLAT_MP_CONFIG_SIZE", MPTABLE_MAX_CPUS);
	tap_ok(used > (size_t)MPTABLE_MAX_CPUS * MPTABLE_CPU_LEN &&
	    used <= sizeof(conf) && sum(conf, used) == 0 &&
	    sum(fp, sizeof(fp)) == 0, "and use %zu bytes, checksums right",
	    used);

	fakevm_init(&vm);
	vm.params.ncpus = 1;
	tap_is(mptable_build(&vm, NULL), -1, "no guest RAM: mptable_build "
	    "fails");
	fakevm_free(&vm);
}

int
main(void)
{
	test_build(1, 1);
	test_build(4, 1);
	test_build(2, 0);		/* no CPUID table: zeros and APIC */
	test_build(PLAT_MAX_VCPUS, 1);
	test_errors();
	return tap_done();
}
