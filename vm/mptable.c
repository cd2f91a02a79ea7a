/* SPDX-License-Identifier: ISC */
/*
 * MP tables (Intel MultiProcessor Specification 1.4) for a kernel's boot:
 * the floating pointer and a configuration table that describe what the
 * MADT (vm/acpi.c) and the DSDT's PCI routing describe, so that a kernel
 * that searches for them (Linux always does, ACPI or not) finds them at
 * once instead of scanning the BIOS area.
 */
#include <linux/kvm.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mptable.h"
#include "platform.h"
#include "tblbuf.h"
#include "vm.h"
#include "dev/pci.h"

#define MP_SPEC_REV		4		/* version 1.4 */
#define MP_OEMID		"VMDLNX  "	/* 8 bytes, as the ACPI OEM */
#define MP_PRODUCT		"VMD         "	/* 12 bytes */
#define MP_BASE_MAX		0xffff		/* a 16-bit base table length */

/* Processor entry: CPU flags; the signature's stepping, model, family. */
#define MP_CPU_EN		(1U << 0)
#define MP_CPU_BP		(1U << 1)	/* the bootstrap processor */
#define MP_CPU_SIG_MASK		0xfffU
/* I/O APIC entry flags. */
#define MP_IOAPIC_EN		(1U << 0)

/* Interrupt types of the I/O and local interrupt entries. */
#define MP_INT_INT		0	/* vectored by the APIC */
#define MP_INT_NMI		1
#define MP_INT_EXTINT		3	/* vectored by an 8259 */

/* Interrupt flags: polarity (PO, bits 1:0), trigger mode (EL, bits 3:2). */
#define MP_PO_BUS		0x0	/* as the bus says */
#define MP_PO_HIGH		0x1
#define MP_EL_BUS		0x0
#define MP_EL_LEVEL		0xc

#define MP_ALL_LAPICS		0xff
#define MP_LINT0		0
#define MP_LINT1		1

#define MP_ISA_IRQS		16
#define MP_ISA_CASCADE		2	/* the second 8259's: no device's */
#define MP_PIT_GSI		2	/* IRQ 0: IOAPIC input 2 (the MADT) */

/* A PCI source bus IRQ: device number (bits 6:2), INTA# 0..INTD# 3. */
#define MP_PCI_IRQ(slot, pin)	((uint8_t)((slot) << 2 | (pin)))

#define CPUID_1_EDX_APIC	(1U << 9)

/* The configuration table being written; overflow: it did not fit. */
struct mptable_buf {
	struct tblbuf	 t;
	unsigned int	 nent;		/* base table entries */
};

/* A processor entry: local APIC id, its version, enabled, BSP if id 0. */
static void
mptable_cpu(struct mptable_buf *b, int id, uint32_t cpusig,
    uint32_t features)
{
	tblbuf_u8(&b->t, MPTABLE_CPU);
	tblbuf_u8(&b->t, (uint8_t)id);
	tblbuf_u8(&b->t, PLAT_LAPIC_VERSION);
	tblbuf_u8(&b->t, MP_CPU_EN | (id == 0 ? MP_CPU_BP : 0));
	tblbuf_u32(&b->t, cpusig & MP_CPU_SIG_MASK);
	tblbuf_u32(&b->t, features);
	tblbuf_u32(&b->t, 0);			/* reserved */
	tblbuf_u32(&b->t, 0);
	b->nent++;
}

/* A bus entry: id and a 6-byte type string ("PCI", "ISA", space-padded). */
static void
mptable_bus(struct mptable_buf *b, uint8_t id, const char type[6])
{
	tblbuf_u8(&b->t, MPTABLE_BUS);
	tblbuf_u8(&b->t, id);
	tblbuf_put(&b->t, type, 6);
	b->nent++;
}

/*
 * An I/O or local interrupt entry (the same layout): interrupt type and
 * flags, source bus and its IRQ, destination APIC id and its input.
 */
static void
mptable_int(struct mptable_buf *b, uint8_t type, uint8_t inttype,
    uint16_t flags, uint8_t bus, uint8_t irq, uint8_t apic, uint8_t pin)
{
	tblbuf_u8(&b->t, type);
	tblbuf_u8(&b->t, inttype);
	tblbuf_u16(&b->t, flags);
	tblbuf_u8(&b->t, bus);
	tblbuf_u8(&b->t, irq);
	tblbuf_u8(&b->t, apic);
	tblbuf_u8(&b->t, pin);
	b->nent++;
}

int
mptable_tables(uint8_t *fp, uint8_t *conf, size_t len, uint64_t conf_gpa,
    int ncpus, uint32_t cpusig, uint32_t features, size_t *used)
{
	struct mptable_buf	 b;
	uint16_t		 flags;
	int			 i, irq, slot, pin;

	if (ncpus < 1 || ncpus > MPTABLE_MAX_CPUS ||
	    conf_gpa >= 0x100000000ULL || len > 0x100000000ULL - conf_gpa) {
		errno = EINVAL;
		return -1;
	}
	memset(fp, 0, MPTABLE_FLOAT_LEN);
	memset(conf, 0, len);
	memset(&b, 0, sizeof(b));
	b.t.p = conf;
	b.t.cap = len < MP_BASE_MAX ? len : MP_BASE_MAX;
	if (b.t.cap < MPTABLE_HDR_LEN) {
		errno = ENOSPC;
		return -1;
	}
	b.t.len = MPTABLE_HDR_LEN;

	/* Entries sorted by type. The vCPUs, APIC ids as the MADT's. */
	for (i = 0; i < ncpus; i++)
		mptable_cpu(&b, i, cpusig, features);
	mptable_bus(&b, MPTABLE_BUS_PCI, "PCI   ");
	mptable_bus(&b, MPTABLE_BUS_ISA, "ISA   ");

	tblbuf_u8(&b.t, MPTABLE_IOAPIC);
	tblbuf_u8(&b.t, PLAT_IOAPIC_ID);
	tblbuf_u8(&b.t, PLAT_IOAPIC_VERSION);
	tblbuf_u8(&b.t, MP_IOAPIC_EN);
	tblbuf_u32(&b.t, (uint32_t)PLAT_IOAPIC_ADDR);
	b.nent++;

	/*
	 * ISA IRQs to the IOAPIC's inputs of the same number, as the MADT
	 * says: but IRQ 0 (the PIT) to input 2, the SCI level-triggered and
	 * active high, and no IRQ 2 (the 8259s' cascade).
	 */
	for (irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == MP_ISA_CASCADE)
			continue;
		flags = irq == PLAT_SCI_IRQ ? MP_PO_HIGH | MP_EL_LEVEL :
		    MP_PO_BUS | MP_EL_BUS;
		mptable_int(&b, MPTABLE_IOINT, MP_INT_INT, flags,
		    MPTABLE_BUS_ISA, (uint8_t)irq, PLAT_IOAPIC_ID,
		    (uint8_t)(irq == 0 ? MP_PIT_GSI : irq));
	}
	/* PCI INTA#..INTD# of slots 1..31 where the DSDT's _PRT has them. */
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		for (pin = 0; pin < 4; pin++)
			mptable_int(&b, MPTABLE_IOINT, MP_INT_INT,
			    MP_PO_BUS | MP_EL_BUS, MPTABLE_BUS_PCI,
			    MP_PCI_IRQ(slot, pin), PLAT_IOAPIC_ID,
			    (uint8_t)pci_intx_gsi(slot, pin + 1));

	/* Every local APIC: the 8259s on LINT0, NMI on LINT1 (vcpu.c). */
	mptable_int(&b, MPTABLE_LINT, MP_INT_EXTINT, MP_PO_BUS | MP_EL_BUS,
	    MPTABLE_BUS_ISA, 0, MP_ALL_LAPICS, MP_LINT0);
	mptable_int(&b, MPTABLE_LINT, MP_INT_NMI, MP_PO_BUS | MP_EL_BUS,
	    MPTABLE_BUS_ISA, 0, MP_ALL_LAPICS, MP_LINT1);
	if (b.t.overflow) {
		errno = ENOSPC;
		return -1;
	}

	/* The header; no OEM table, no extended entries. */
	memcpy(conf, "PCMP", 4);
	conf[4] = (uint8_t)b.t.len;
	conf[5] = (uint8_t)(b.t.len >> 8);
	conf[6] = MP_SPEC_REV;
	memcpy(conf + 8, MP_OEMID, 8);
	memcpy(conf + 16, MP_PRODUCT, 12);
	conf[34] = (uint8_t)b.nent;
	conf[35] = (uint8_t)(b.nent >> 8);
	tblbuf_set32(conf + 36, (uint32_t)PLAT_LAPIC_ADDR);
	conf[7] = tblbuf_sum(conf, b.t.len);

	/*
	 * The floating pointer: one paragraph; feature byte 1 zero: the
	 * table describes the machine; byte 2's IMCRP bit clear: no IMCR,
	 * virtual wire mode.
	 */
	memcpy(fp, "_MP_", 4);
	tblbuf_set32(fp + 4, (uint32_t)conf_gpa);
	fp[8] = MPTABLE_FLOAT_LEN / 16;
	fp[9] = MP_SPEC_REV;
	fp[10] = tblbuf_sum(fp, MPTABLE_FLOAT_LEN);
	if (used != NULL)
		*used = b.t.len;
	return 0;
}

int
mptable_build(struct vm *vm, const struct kvm_cpuid2 *cpuid)
{
	uint8_t		 fp[MPTABLE_FLOAT_LEN], *conf;
	uint32_t	 cpusig = 0, features = CPUID_1_EDX_APIC, i;
	size_t		 used;

	for (i = 0; cpuid != NULL && i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1) {
			cpusig = cpuid->entries[i].eax;
			features |= cpuid->entries[i].edx;
			break;
		}
	if ((conf = malloc(PLAT_MP_CONFIG_SIZE)) == NULL) {
		log_warn("%s: malloc", __func__);
		return -1;
	}
	if (mptable_tables(fp, conf, PLAT_MP_CONFIG_SIZE, PLAT_MP_CONFIG,
	    vm->params.ncpus, cpusig, features, &used) == -1) {
		log_warn("%s: %d vCPUs", __func__, vm->params.ncpus);
		free(conf);
		return -1;
	}
	if (mem_write(&vm->mem, PLAT_MP_CONFIG, conf, used) == -1 ||
	    mem_write(&vm->mem, PLAT_MP_FLOAT, fp, sizeof(fp)) == -1) {
		log_warn("%s: tables at 0x%llx and 0x%llx", __func__,
		    (unsigned long long)PLAT_MP_FLOAT,
		    (unsigned long long)PLAT_MP_CONFIG);
		free(conf);
		return -1;
	}
	free(conf);
	return 0;
}
