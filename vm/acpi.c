/* SPDX-License-Identifier: ISC */
/* ACPI tables (RSDP, XSDT, FADT, MADT, DSDT...) with AML assembled in C. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "acpi.h"
#include "tblbuf.h"
#include "devices.h"
#include "platform.h"
#include "vm.h"
#include "dev/fwcfg.h"
#include "dev/pci.h"

#define ACPI_OEMID		"VMDLNX"	/* 6 bytes */
#define ACPI_OEMTABLE		"VMD     "	/* 8 bytes, then sig overlays */
#define ACPI_CREATOR		"VMDL"
#define ACPI_REVISION		1

/* Generic Address Structure: address space ids and access sizes. */
#define ACPI_GAS_IO		1
#define ACPI_ACC_BYTE		1
#define ACPI_ACC_WORD		2
#define ACPI_ACC_DWORD		3

/* FADT Flags (ACPI 6.x, table 5-35). */
#define ACPI_FADT_WBINVD	(1U << 0)
#define ACPI_FADT_PROC_C1	(1U << 2)
#define ACPI_FADT_PWR_BUTTON	(1U << 4)	/* set: no fixed power button */
#define ACPI_FADT_SLP_BUTTON	(1U << 5)	/* set: no fixed sleep button */
#define ACPI_FADT_FIX_RTC	(1U << 6)	/* set: no RTC_STS wake */
#define ACPI_FADT_RESET_REG_SUP	(1U << 10)

/* FADT IAPC_BOOT_ARCH. */
#define ACPI_IAPC_LEGACY_DEVICES (1U << 0)
#define ACPI_IAPC_8042		(1U << 1)
#define ACPI_IAPC_NO_VGA	(1U << 2)

/* MADT. */
#define ACPI_MADT_PCAT_COMPAT	(1U << 0)
#define ACPI_MADT_LAPIC		0
#define ACPI_MADT_IOAPIC	1
#define ACPI_MADT_ISO		2
#define ACPI_MADT_LAPIC_NMI	4
#define ACPI_MADT_X2APIC	9
#define ACPI_MADT_X2APIC_NMI	10
#define ACPI_MADT_ENABLED	(1U << 0)
#define ACPI_MPS_ACTIVE_HIGH	0x1
#define ACPI_MPS_LEVEL		(0x3 << 2)
#define ACPI_MADT_MAX_XAPIC_ID	254

/* AML opcodes (ACPI 6.x, chapter 20). */
#define AML_ZERO		0x00
#define AML_ONE			0x01
#define AML_NAME		0x08
#define AML_BYTE		0x0a
#define AML_WORD		0x0b
#define AML_DWORD		0x0c
#define AML_STRING		0x0d
#define AML_QWORD		0x0e
#define AML_SCOPE		0x10
#define AML_BUFFER		0x11
#define AML_PACKAGE		0x12
#define AML_DUAL_NAME		0x2e
#define AML_MULTI_NAME		0x2f
#define AML_EXT			0x5b
#define AML_DEVICE		0x82	/* after AML_EXT */
#define AML_ROOT		0x5c
#define AML_PARENT		0x5e

/* Resource descriptors (ACPI 6.x, 6.4). */
#define RES_IRQ_NOFLAGS		0x22
#define RES_IO			0x47
#define RES_END			0x79
#define RES_DWORD_ADDR		0x87
#define RES_WORD_ADDR		0x88
#define RES_TYPE_MEM		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_MIN_MAX_FIXED	0x0c	/* _MIF | _MAF, producer */

static void	acpi_header(uint8_t *, const char *, uint32_t, uint8_t);
static void	acpi_gas(uint8_t *, uint8_t, uint8_t, uint8_t, uint64_t);
static size_t	acpi_aml_open(struct tblbuf *);
static void	acpi_aml_close(struct tblbuf *, size_t);
static void	acpi_aml_name(struct tblbuf *, const char *);
static void	acpi_aml_int(struct tblbuf *, uint64_t);
static void	acpi_aml_string(struct tblbuf *, const char *);
static void	acpi_aml_eisaid(struct tblbuf *, const char *);
static void	acpi_aml_name_int(struct tblbuf *, const char *, uint64_t);
static void	acpi_aml_name_eisaid(struct tblbuf *, const char *,
		    const char *);
static void	acpi_aml_name_buffer(struct tblbuf *, const char *,
		    const struct tblbuf *);
static size_t	acpi_aml_pkg_open(struct tblbuf *, uint8_t);
static size_t	acpi_aml_device_open(struct tblbuf *, const char *);
static size_t	acpi_aml_scope_open(struct tblbuf *, const char *);
static void	acpi_res_io(struct tblbuf *, uint16_t, uint8_t);
static void	acpi_res_irq(struct tblbuf *, int);
static void	acpi_res_word(struct tblbuf *, uint8_t, uint16_t, uint16_t);
static void	acpi_res_dword_mem(struct tblbuf *, uint32_t, uint32_t);
static void	acpi_res_end(struct tblbuf *);
static void	acpi_dsdt_pci0(struct tblbuf *);
static void	acpi_dsdt_isa(struct tblbuf *, const char *, const char *,
		    const uint16_t *, const uint8_t *, int, int);
static size_t	acpi_dsdt(uint8_t *, size_t, int);
static size_t	acpi_madt(uint8_t *, size_t, int);
static void	acpi_fadt(uint8_t *, uint64_t, uint64_t);

/* acpi_header: the common 36-byte header; the checksum is set later. */
static void
acpi_header(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(p, sig, 4);
	tblbuf_set32(p + 4, len);
	p[8] = rev;
	p[9] = 0;
	memcpy(p + 10, ACPI_OEMID, 6);
	memcpy(p + 16, ACPI_OEMTABLE, 8);
	memcpy(p + 20, sig, 4);
	tblbuf_set32(p + 24, ACPI_REVISION);
	memcpy(p + 28, ACPI_CREATOR, 4);
	tblbuf_set32(p + 32, ACPI_REVISION);
}

/* acpi_gas: a Generic Address Structure (12 bytes). */
static void
acpi_gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access,
    uint64_t addr)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	tblbuf_set64(p + 4, addr);
}

/*
 * acpi_aml_open: start the body of a PkgLength-prefixed object; returns
 * the position acpi_aml_close inserts the PkgLength at.
 */
static size_t
acpi_aml_open(struct tblbuf *b)
{
	return b->len;
}

static void
acpi_aml_close(struct tblbuf *b, size_t start)
{
	size_t		n, k, total;
	uint8_t		enc[4];

	if (b->overflow)
		return;
	n = b->len - start;
	if (n + 1 < 0x40)
		k = 1;
	else if (n + 2 < (1U << 12))
		k = 2;
	else if (n + 3 < (1U << 20))
		k = 3;
	else
		k = 4;
	total = n + k;
	if (total >= (1U << 28) || k > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	if (k == 1)
		enc[0] = (uint8_t)total;
	else {
		enc[0] = (uint8_t)(((k - 1) << 6) | (total & 0xf));
		enc[1] = (uint8_t)(total >> 4);
		enc[2] = (uint8_t)(total >> 12);
		enc[3] = (uint8_t)(total >> 20);
	}
	memmove(b->p + start + k, b->p + start, n);
	memcpy(b->p + start, enc, k);
	b->len += k;
}

/*
 * acpi_aml_name: a NameString from "\\_SB.PCI0", "^FOO" or "_HID";
 * segments shorter than 4 characters are padded with '_'.
 */
static void
acpi_aml_name(struct tblbuf *b, const char *s)
{
	const char	*p;
	char		 seg[4];
	int		 nseg, i;

	if (*s == '\\') {
		tblbuf_u8(b, AML_ROOT);
		s++;
	}
	while (*s == '^') {
		tblbuf_u8(b, AML_PARENT);
		s++;
	}
	for (nseg = 1, p = s; *p != '\0'; p++)
		if (*p == '.')
			nseg++;
	if (*s == '\0') {
		tblbuf_u8(b, AML_ZERO);		/* NullName */
		return;
	}
	if (nseg == 2)
		tblbuf_u8(b, AML_DUAL_NAME);
	else if (nseg > 2) {
		tblbuf_u8(b, AML_MULTI_NAME);
		tblbuf_u8(b, (uint8_t)nseg);
	}
	while (*s != '\0') {
		memset(seg, '_', sizeof(seg));
		for (i = 0; *s != '\0' && *s != '.'; s++)
			if (i < 4)
				seg[i++] = *s;
		tblbuf_put(b, seg, sizeof(seg));
		if (*s == '.')
			s++;
	}
}

/* acpi_aml_int: the shortest encoding of an integer constant. */
static void
acpi_aml_int(struct tblbuf *b, uint64_t v)
{
	if (v == 0)
		tblbuf_u8(b, AML_ZERO);
	else if (v == 1)
		tblbuf_u8(b, AML_ONE);
	else if (v <= 0xff) {
		tblbuf_u8(b, AML_BYTE);
		tblbuf_u8(b, (uint8_t)v);
	} else if (v <= 0xffff) {
		tblbuf_u8(b, AML_WORD);
		tblbuf_u16(b, (uint16_t)v);
	} else if (v <= 0xffffffff) {
		tblbuf_u8(b, AML_DWORD);
		tblbuf_u32(b, (uint32_t)v);
	} else {
		tblbuf_u8(b, AML_QWORD);
		tblbuf_u64(b, v);
	}
}

static void
acpi_aml_string(struct tblbuf *b, const char *s)
{
	tblbuf_u8(b, AML_STRING);
	tblbuf_put(b, s, strlen(s) + 1);
}

/* acpi_aml_eisaid: EISAID("PNP0A03") as a DWord (3 letters, 4 hex). */
static void
acpi_aml_eisaid(struct tblbuf *b, const char *id)
{
	uint8_t	c1, c2, c3, d[4];
	int	i;

	c1 = (uint8_t)((id[0] - 0x40) & 0x1f);
	c2 = (uint8_t)((id[1] - 0x40) & 0x1f);
	c3 = (uint8_t)((id[2] - 0x40) & 0x1f);
	for (i = 0; i < 4; i++) {
		if (id[3 + i] >= '0' && id[3 + i] <= '9')
			d[i] = (uint8_t)(id[3 + i] - '0');
		else
			d[i] = (uint8_t)((id[3 + i] - 'A' + 10) & 0xf);
	}
	tblbuf_u8(b, AML_DWORD);
	tblbuf_u8(b, (uint8_t)((c1 << 2) | (c2 >> 3)));
	tblbuf_u8(b, (uint8_t)(((c2 & 0x7) << 5) | c3));
	tblbuf_u8(b, (uint8_t)((d[0] << 4) | d[1]));
	tblbuf_u8(b, (uint8_t)((d[2] << 4) | d[3]));
}

static void
acpi_aml_name_int(struct tblbuf *b, const char *name, uint64_t v)
{
	tblbuf_u8(b, AML_NAME);
	acpi_aml_name(b, name);
	acpi_aml_int(b, v);
}

static void
acpi_aml_name_eisaid(struct tblbuf *b, const char *name, const char *id)
{
	tblbuf_u8(b, AML_NAME);
	acpi_aml_name(b, name);
	acpi_aml_eisaid(b, id);
}

/* acpi_aml_name_buffer: Name (name, Buffer () { contents of data }). */
static void
acpi_aml_name_buffer(struct tblbuf *b, const char *name,
    const struct tblbuf *data)
{
	size_t	pkg;

	if (data->overflow) {
		b->overflow = 1;
		return;
	}
	tblbuf_u8(b, AML_NAME);
	acpi_aml_name(b, name);
	tblbuf_u8(b, AML_BUFFER);
	pkg = acpi_aml_open(b);
	acpi_aml_int(b, data->len);
	tblbuf_put(b, data->p, data->len);
	acpi_aml_close(b, pkg);
}

/* acpi_aml_pkg_open: Package (n) { ... }; close with acpi_aml_close. */
static size_t
acpi_aml_pkg_open(struct tblbuf *b, uint8_t n)
{
	size_t	pkg;

	tblbuf_u8(b, AML_PACKAGE);
	pkg = acpi_aml_open(b);
	tblbuf_u8(b, n);
	return pkg;
}

static size_t
acpi_aml_device_open(struct tblbuf *b, const char *name)
{
	size_t	pkg;

	tblbuf_u8(b, AML_EXT);
	tblbuf_u8(b, AML_DEVICE);
	pkg = acpi_aml_open(b);
	acpi_aml_name(b, name);
	return pkg;
}

static size_t
acpi_aml_scope_open(struct tblbuf *b, const char *name)
{
	size_t	pkg;

	tblbuf_u8(b, AML_SCOPE);
	pkg = acpi_aml_open(b);
	acpi_aml_name(b, name);
	return pkg;
}

/* acpi_res_io: IO (Decode16, port, port, 1, len). */
static void
acpi_res_io(struct tblbuf *b, uint16_t port, uint8_t len)
{
	tblbuf_u8(b, RES_IO);
	tblbuf_u8(b, 0x01);		/* 16-bit decode */
	tblbuf_u16(b, port);
	tblbuf_u16(b, port);
	tblbuf_u8(b, 0x01);
	tblbuf_u8(b, len);
}

/* acpi_res_irq: IRQNoFlags () { irq } (edge, active high, exclusive). */
static void
acpi_res_irq(struct tblbuf *b, int irq)
{
	tblbuf_u8(b, RES_IRQ_NOFLAGS);
	tblbuf_u16(b, (uint16_t)(1U << irq));
}

/* acpi_res_word: WordBusNumber/WordIO producer window [min, max]. */
static void
acpi_res_word(struct tblbuf *b, uint8_t type, uint16_t min, uint16_t max)
{
	tblbuf_u8(b, RES_WORD_ADDR);
	tblbuf_u16(b, 13);
	tblbuf_u8(b, type);
	tblbuf_u8(b, RES_MIN_MAX_FIXED);
	/* _RNG: ISA and non-ISA ranges for I/O. */
	tblbuf_u8(b, type == RES_TYPE_IO ? 0x03 : 0x00);
	tblbuf_u16(b, 0);				/* granularity */
	tblbuf_u16(b, min);
	tblbuf_u16(b, max);
	tblbuf_u16(b, 0);				/* translation */
	tblbuf_u16(b, (uint16_t)(max - min + 1));
}

/* acpi_res_dword_mem: DWordMemory, non-cacheable, read-write window. */
static void
acpi_res_dword_mem(struct tblbuf *b, uint32_t min, uint32_t max)
{
	tblbuf_u8(b, RES_DWORD_ADDR);
	tblbuf_u16(b, 23);
	tblbuf_u8(b, RES_TYPE_MEM);
	tblbuf_u8(b, RES_MIN_MAX_FIXED);
	tblbuf_u8(b, 0x01);			/* _RW, non-cacheable */
	tblbuf_u32(b, 0);				/* granularity */
	tblbuf_u32(b, min);
	tblbuf_u32(b, max);
	tblbuf_u32(b, 0);				/* translation */
	tblbuf_u32(b, max - min + 1);
}

static void
acpi_res_end(struct tblbuf *b)
{
	tblbuf_u8(b, RES_END);
	tblbuf_u8(b, 0);			/* checksum 0: ignored */
}

/* acpi_dsdt_pci0: Device (PCI0), the host bridge with its windows. */
static void
acpi_dsdt_pci0(struct tblbuf *b)
{
	uint8_t		 crsbuf[128];
	struct tblbuf	 crs = { crsbuf, 0, sizeof(crsbuf), 0 };
	size_t		 dev, prt, ent;
	int		 slot, pin;

	dev = acpi_aml_device_open(b, "PCI0");
	acpi_aml_name_eisaid(b, "_HID", "PNP0A03");
	acpi_aml_name_int(b, "_UID", 0);
	acpi_aml_name_int(b, "_BBN", 0);

	acpi_res_word(&crs, RES_TYPE_BUS, 0x00, 0xff);
	acpi_res_io(&crs, PLAT_PCI_CONFIG_ADDR, 8);
	acpi_res_word(&crs, RES_TYPE_IO, 0x0000, PLAT_PCI_CONFIG_ADDR - 1);
	acpi_res_word(&crs, RES_TYPE_IO, PLAT_PCI_CONFIG_ADDR + 8, 0xffff);
	acpi_res_dword_mem(&crs, PLAT_MMIO32_START, PLAT_MMIO32_END - 1);
	acpi_res_end(&crs);
	acpi_aml_name_buffer(b, "_CRS", &crs);

	/* _PRT: static routing of INTA..INTD of slots 1..31 to GSIs. */
	tblbuf_u8(b, AML_NAME);
	acpi_aml_name(b, "_PRT");
	prt = acpi_aml_pkg_open(b, (PCI_MAX_SLOTS - 1) * 4);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		for (pin = 0; pin < 4; pin++) {
			ent = acpi_aml_pkg_open(b, 4);
			acpi_aml_int(b, ((uint64_t)slot << 16) | 0xffff);
			acpi_aml_int(b, (uint64_t)pin);
			acpi_aml_int(b, 0);		/* Source: GSI */
			acpi_aml_int(b,
			    (uint64_t)pci_intx_gsi(slot, pin + 1));
			acpi_aml_close(b, ent);
		}
	acpi_aml_close(b, prt);
	acpi_aml_close(b, dev);
}

/* acpi_dsdt_isa: a fixed ISA device with I/O ports and one IRQ. */
static void
acpi_dsdt_isa(struct tblbuf *b, const char *name, const char *hid,
    const uint16_t *ports, const uint8_t *lens, int nports, int irq)
{
	uint8_t		 crsbuf[64];
	struct tblbuf	 crs = { crsbuf, 0, sizeof(crsbuf), 0 };
	size_t		 dev;
	int		 i;

	dev = acpi_aml_device_open(b, name);
	acpi_aml_name_eisaid(b, "_HID", hid);
	for (i = 0; i < nports; i++)
		acpi_res_io(&crs, ports[i], lens[i]);
	acpi_res_irq(&crs, irq);
	acpi_res_end(&crs);
	acpi_aml_name_buffer(b, "_CRS", &crs);
	acpi_aml_close(b, dev);
}

/* acpi_dsdt: the DSDT at p (cap bytes); returns its length, 0 if full. */
static size_t
acpi_dsdt(uint8_t *p, size_t cap, int ncpus)
{
	static const uint16_t	 com1_ports[] = { PLAT_COM1_PORT };
	static const uint8_t	 com1_lens[] = { 8 };
	static const uint16_t	 rtc_ports[] = { PLAT_RTC_PORT };
	static const uint8_t	 rtc_lens[] = { 2 };
	static const uint16_t	 kbd_ports[] = { PLAT_I8042_DATA,
				    PLAT_I8042_CMD };
	static const uint8_t	 kbd_lens[] = { 1, 1 };
	struct tblbuf		 b = { p, 0, cap, 0 };
	size_t			 pkg, sb, dev;
	char			 name[16];
	int			 i;

	if (cap < ACPI_HDR_LEN)
		return 0;
	b.len = ACPI_HDR_LEN;

	/* \_S5: SLP_TYPa, SLP_TYPb (no PM1b), reserved, reserved. */
	tblbuf_u8(&b, AML_NAME);
	acpi_aml_name(&b, "\\_S5");
	pkg = acpi_aml_pkg_open(&b, 4);
	acpi_aml_int(&b, PLAT_SLP_TYP_S5);
	acpi_aml_int(&b, 0);
	acpi_aml_int(&b, 0);
	acpi_aml_int(&b, 0);
	acpi_aml_close(&b, pkg);

	sb = acpi_aml_scope_open(&b, "\\_SB");
	acpi_dsdt_pci0(&b);
	acpi_dsdt_isa(&b, "COM1", "PNP0501", com1_ports, com1_lens, 1,
	    PLAT_COM1_IRQ);
	acpi_dsdt_isa(&b, "RTC", "PNP0B00", rtc_ports, rtc_lens, 1,
	    PLAT_RTC_IRQ);
	acpi_dsdt_isa(&b, "KBD", "PNP0303", kbd_ports, kbd_lens, 2,
	    PLAT_I8042_IRQ);

	/* One processor device per vCPU; _UID matches the MADT's UID. */
	for (i = 0; i < ncpus; i++) {
		(void)snprintf(name, sizeof(name), "C%03X",
		    (unsigned)i & 0xfff);
		dev = acpi_aml_device_open(&b, name);
		tblbuf_u8(&b, AML_NAME);
		acpi_aml_name(&b, "_HID");
		acpi_aml_string(&b, "ACPI0007");
		acpi_aml_name_int(&b, "_UID", (uint64_t)i);
		acpi_aml_close(&b, dev);
	}
	acpi_aml_close(&b, sb);

	if (b.overflow)
		return 0;
	acpi_header(p, "DSDT", (uint32_t)b.len, 2);
	p[9] = tblbuf_sum(p, b.len);
	return b.len;
}

/* acpi_madt: the MADT at p (cap bytes); returns its length, 0 if full. */
static size_t
acpi_madt(uint8_t *p, size_t cap, int ncpus)
{
	struct tblbuf	 b = { p, 0, cap, 0 };
	int		 i, x2apic = 0;

	b.len = ACPI_HDR_LEN;
	if (cap < ACPI_HDR_LEN)
		return 0;
	tblbuf_u32(&b, (uint32_t)PLAT_LAPIC_ADDR);
	tblbuf_u32(&b, ACPI_MADT_PCAT_COMPAT);

	for (i = 0; i < ncpus; i++) {
		if (i <= ACPI_MADT_MAX_XAPIC_ID) {
			tblbuf_u8(&b, ACPI_MADT_LAPIC);
			tblbuf_u8(&b, 8);
			tblbuf_u8(&b, (uint8_t)i);	/* ACPI processor UID */
			tblbuf_u8(&b, (uint8_t)i);	/* APIC id */
			tblbuf_u32(&b, ACPI_MADT_ENABLED);
		} else {
			x2apic = 1;
			tblbuf_u8(&b, ACPI_MADT_X2APIC);
			tblbuf_u8(&b, 16);
			tblbuf_u16(&b, 0);
			tblbuf_u32(&b, (uint32_t)i);	/* x2APIC id */
			tblbuf_u32(&b, ACPI_MADT_ENABLED);
			tblbuf_u32(&b, (uint32_t)i);	/* UID */
		}
	}

	/* The in-kernel IOAPIC: id 0 (its reset value), GSIs 0..23. */
	tblbuf_u8(&b, ACPI_MADT_IOAPIC);
	tblbuf_u8(&b, 12);
	tblbuf_u8(&b, PLAT_IOAPIC_ID);
	tblbuf_u8(&b, 0);
	tblbuf_u32(&b, (uint32_t)PLAT_IOAPIC_ADDR);
	tblbuf_u32(&b, 0);

	/* The PIT's IRQ0 is wired to IOAPIC pin 2. */
	tblbuf_u8(&b, ACPI_MADT_ISO);
	tblbuf_u8(&b, 10);
	tblbuf_u8(&b, 0);				/* ISA */
	tblbuf_u8(&b, 0);
	tblbuf_u32(&b, 2);
	tblbuf_u16(&b, 0);			/* conforms to the bus */

	/* The SCI is level triggered, active high. */
	tblbuf_u8(&b, ACPI_MADT_ISO);
	tblbuf_u8(&b, 10);
	tblbuf_u8(&b, 0);
	tblbuf_u8(&b, PLAT_SCI_IRQ);
	tblbuf_u32(&b, PLAT_SCI_IRQ);
	tblbuf_u16(&b, ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_LEVEL);

	/* NMI on LINT1 of every processor. */
	tblbuf_u8(&b, ACPI_MADT_LAPIC_NMI);
	tblbuf_u8(&b, 6);
	tblbuf_u8(&b, 0xff);			/* all processors */
	tblbuf_u16(&b, 0);
	tblbuf_u8(&b, 1);
	if (x2apic) {
		tblbuf_u8(&b, ACPI_MADT_X2APIC_NMI);
		tblbuf_u8(&b, 12);
		tblbuf_u16(&b, 0);
		tblbuf_u32(&b, 0xffffffff);	/* all processors */
		tblbuf_u8(&b, 1);
		tblbuf_u8(&b, 0);
		tblbuf_u16(&b, 0);
	}

	if (b.overflow)
		return 0;
	acpi_header(p, "APIC", (uint32_t)b.len, 5);
	p[9] = tblbuf_sum(p, b.len);
	return b.len;
}

/* acpi_fadt: the FADT (revision 6.3) pointing at the FACS and DSDT. */
static void
acpi_fadt(uint8_t *p, uint64_t facs, uint64_t dsdt)
{
	acpi_header(p, "FACP", ACPI_FADT_LEN, 6);
	tblbuf_set32(p + 36, (uint32_t)facs);	/* FIRMWARE_CTRL */
	tblbuf_set32(p + 40, (uint32_t)dsdt);	/* DSDT */
	p[45] = 0;				/* PM profile: unspecified */
	tblbuf_set16(p + 46, PLAT_SCI_IRQ);
	/* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE 0: always in ACPI mode. */
	tblbuf_set32(p + 56, PLAT_PM1A_EVT);
	tblbuf_set32(p + 64, PLAT_PM1A_CNT);
	tblbuf_set32(p + 76, PLAT_PM_TMR);
	p[88] = PLAT_PM1A_EVT_LEN;
	p[89] = PLAT_PM1A_CNT_LEN;
	p[91] = PLAT_PM_TMR_LEN;
	tblbuf_set16(p + 96, 101);		/* P_LVL2_LAT: no C2 */
	tblbuf_set16(p + 98, 1001);		/* P_LVL3_LAT: no C3 */
	p[108] = PLAT_RTC_CENTURY;
	tblbuf_set16(p + 109, ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042 |
	    ACPI_IAPC_NO_VGA);
	tblbuf_set32(p + 112, ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 |
	    ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC |
	    ACPI_FADT_RESET_REG_SUP);
	acpi_gas(p + 116, ACPI_GAS_IO, 8, ACPI_ACC_BYTE, PLAT_RESET_PORT);
	p[128] = PLAT_RESET_VALUE;
	p[131] = 3;				/* minor version: 6.3 */
	tblbuf_set64(p + 140, dsdt);		/* X_DSDT */
	acpi_gas(p + 148, ACPI_GAS_IO, PLAT_PM1A_EVT_LEN * 8, ACPI_ACC_WORD,
	    PLAT_PM1A_EVT);
	acpi_gas(p + 172, ACPI_GAS_IO, PLAT_PM1A_CNT_LEN * 8, ACPI_ACC_WORD,
	    PLAT_PM1A_CNT);
	acpi_gas(p + 208, ACPI_GAS_IO, PLAT_PM_TMR_LEN * 8, ACPI_ACC_DWORD,
	    PLAT_PM_TMR);
	p[9] = tblbuf_sum(p, ACPI_FADT_LEN);
}

int
acpi_tables(uint8_t *buf, size_t len, uint64_t gpa, int ncpus, size_t *used)
{
	uint8_t		*rsdp, *rsdt, *xsdt, *facs;
	size_t		 madt_len, dsdt_off, dsdt_len;
	uint64_t	 tables[2];
	int		 i;

	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS) {
		errno = EINVAL;
		return -1;
	}
	if (gpa + len > 0x100000000ULL || len < ACPI_OFF_MADT) {
		errno = ENOSPC;
		return -1;
	}
	memset(buf, 0, len);

	madt_len = acpi_madt(buf + ACPI_OFF_MADT, len - ACPI_OFF_MADT, ncpus);
	if (madt_len == 0) {
		errno = ENOSPC;
		return -1;
	}
	dsdt_off = (ACPI_OFF_MADT + madt_len + 15) & ~(size_t)15;
	if (dsdt_off >= len ||
	    (dsdt_len = acpi_dsdt(buf + dsdt_off, len - dsdt_off,
	    ncpus)) == 0) {
		errno = ENOSPC;
		return -1;
	}
	acpi_fadt(buf + ACPI_OFF_FADT, gpa + ACPI_OFF_FACS, gpa + dsdt_off);

	/* FACS: no checksum; version 2, no firmware waking vector. */
	facs = buf + ACPI_OFF_FACS;
	memcpy(facs, "FACS", 4);
	tblbuf_set32(facs + 4, ACPI_FACS_LEN);
	facs[32] = 2;

	tables[0] = gpa + ACPI_OFF_FADT;
	tables[1] = gpa + ACPI_OFF_MADT;
	rsdt = buf + ACPI_OFF_RSDT;
	xsdt = buf + ACPI_OFF_XSDT;
	acpi_header(rsdt, "RSDT", ACPI_HDR_LEN + 4 * 2, 1);
	acpi_header(xsdt, "XSDT", ACPI_HDR_LEN + 8 * 2, 1);
	for (i = 0; i < 2; i++) {
		tblbuf_set32(rsdt + ACPI_HDR_LEN + 4 * i, (uint32_t)tables[i]);
		tblbuf_set64(xsdt + ACPI_HDR_LEN + 8 * i, tables[i]);
	}
	rsdt[9] = tblbuf_sum(rsdt, ACPI_HDR_LEN + 4 * 2);
	xsdt[9] = tblbuf_sum(xsdt, ACPI_HDR_LEN + 8 * 2);

	/* RSDP 2.0: checksum over the first 20 bytes, extended over 36. */
	rsdp = buf + ACPI_OFF_RSDP;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEMID, 6);
	rsdp[15] = 2;
	tblbuf_set32(rsdp + 16, (uint32_t)(gpa + ACPI_OFF_RSDT));
	tblbuf_set32(rsdp + 20, ACPI_RSDP_LEN);
	tblbuf_set64(rsdp + 24, gpa + ACPI_OFF_XSDT);
	rsdp[8] = tblbuf_sum(rsdp, 20);
	rsdp[32] = tblbuf_sum(rsdp, ACPI_RSDP_LEN);

	if (used != NULL)
		*used = dsdt_off + dsdt_len;
	return 0;
}

/*
 * What acpi_build tries first: the tables of up to a few dozen vCPUs fit,
 * and a page to zero is one page fault, not the 16 of the whole area's
 * (60-80 us on the way to the guest's first instruction here).
 */
#define ACPI_BUILD_FIRST	4096

int
acpi_build(struct vm *vm)
{
	uint8_t	*buf;
	size_t	 used, len = ACPI_BUILD_FIRST;

	for (;;) {
		if ((buf = malloc(len)) == NULL) {
			log_warn("%s: malloc", __func__);
			return -1;
		}
		if (acpi_tables(buf, len, PLAT_ACPI_START, vm->params.ncpus,
		    &used) == 0)
			break;
		free(buf);
		if (errno != ENOSPC || len == PLAT_ACPI_SIZE) {
			log_warn("%s: %d vCPUs", __func__, vm->params.ncpus);
			return -1;
		}
		len = PLAT_ACPI_SIZE;
	}
	if (mem_write(&vm->mem, PLAT_ACPI_START, buf, used) == -1) {
		log_warn("%s: tables at 0x%llx", __func__,
		    (unsigned long long)PLAT_ACPI_START);
		free(buf);
		return -1;
	}
	free(buf);
	vm->acpi_rsdp = PLAT_ACPI_START + ACPI_OFF_RSDP;
	return 0;
}

/* The firmware's table loader (QEMU's BIOSLinkerLoader): 128-byte commands. */
#define ACPI_LOADER_CMD_LEN	128
#define ACPI_LOADER_ALLOCATE	1
#define ACPI_LOADER_ADD_POINTER	2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH	1
#define ACPI_LOADER_ZONE_FSEG	2
#define ACPI_LOADER_FILE_LEN	56
#define ACPI_LOADER_MAX		32

#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"

static uint8_t *
acpi_loader_cmd(struct tblbuf *b, uint32_t cmd)
{
	uint8_t	*p;

	if (b->overflow || b->cap - b->len < ACPI_LOADER_CMD_LEN) {
		b->overflow = 1;
		return NULL;
	}
	p = b->p + b->len;
	b->len += ACPI_LOADER_CMD_LEN;
	memset(p, 0, ACPI_LOADER_CMD_LEN);
	tblbuf_set32(p, cmd);
	return p;
}

static void
acpi_loader_alloc(struct tblbuf *b, const char *file, uint32_t align,
    uint8_t zone)
{
	uint8_t	*p;

	if ((p = acpi_loader_cmd(b, ACPI_LOADER_ALLOCATE)) == NULL)
		return;
	strlcpy((char *)p + 4, file, ACPI_LOADER_FILE_LEN);
	tblbuf_set32(p + 4 + ACPI_LOADER_FILE_LEN, align);
	p[4 + ACPI_LOADER_FILE_LEN + 4] = zone;
}

/* The size-byte pointer at off in dest gets src's address added. */
static void
acpi_loader_ptr(struct tblbuf *b, const char *dest, const char *src,
    uint32_t off, uint8_t size)
{
	uint8_t	*p;

	if ((p = acpi_loader_cmd(b, ACPI_LOADER_ADD_POINTER)) == NULL)
		return;
	strlcpy((char *)p + 4, dest, ACPI_LOADER_FILE_LEN);
	strlcpy((char *)p + 4 + ACPI_LOADER_FILE_LEN, src,
	    ACPI_LOADER_FILE_LEN);
	tblbuf_set32(p + 4 + 2 * ACPI_LOADER_FILE_LEN, off);
	p[4 + 2 * ACPI_LOADER_FILE_LEN + 4] = size;
}

/* The checksum byte at off makes [start, start+len) of file sum to 0. */
static void
acpi_loader_sum(struct tblbuf *b, const char *file, uint32_t off,
    uint32_t start, uint32_t len)
{
	uint8_t	*p;

	if ((p = acpi_loader_cmd(b, ACPI_LOADER_ADD_CHECKSUM)) == NULL)
		return;
	strlcpy((char *)p + 4, file, ACPI_LOADER_FILE_LEN);
	tblbuf_set32(p + 4 + ACPI_LOADER_FILE_LEN, off);
	tblbuf_set32(p + 4 + ACPI_LOADER_FILE_LEN + 4, start);
	tblbuf_set32(p + 4 + ACPI_LOADER_FILE_LEN + 8, len);
}

static uint32_t
acpi_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

int
acpi_loader(uint8_t *tables, size_t len, int ncpus, size_t *used,
    uint8_t *rsdp, uint8_t *script, size_t *scriptlen)
{
	struct tblbuf	 b = { script, 0, ACPI_LOADER_MAX *
			    ACPI_LOADER_CMD_LEN, 0 };
	const char	*t = ACPI_FILE_TABLES;
	uint32_t	 dsdt, tab[4];
	int		 i;

	/* Built at address 0, every pointer is an offset into the file. */
	if (acpi_tables(tables, len, 0, ncpus, used) == -1)
		return -1;
	memcpy(rsdp, tables + ACPI_OFF_RSDP, ACPI_RSDP_LEN);
	memset(tables + ACPI_OFF_RSDP, 0, ACPI_RSDP_LEN);
	dsdt = acpi_get32(tables + ACPI_OFF_FADT + 40);

	acpi_loader_alloc(&b, ACPI_FILE_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	acpi_loader_alloc(&b, t, 64, ACPI_LOADER_ZONE_HIGH);
	acpi_loader_ptr(&b, t, t, ACPI_OFF_FADT + 36, 4);	/* FACS */
	acpi_loader_ptr(&b, t, t, ACPI_OFF_FADT + 40, 4);	/* DSDT */
	acpi_loader_ptr(&b, t, t, ACPI_OFF_FADT + 140, 8);	/* X_DSDT */
	for (i = 0; i < 2; i++) {
		acpi_loader_ptr(&b, t, t, ACPI_OFF_RSDT + ACPI_HDR_LEN +
		    4 * (uint32_t)i, 4);
		acpi_loader_ptr(&b, t, t, ACPI_OFF_XSDT + ACPI_HDR_LEN +
		    8 * (uint32_t)i, 8);
	}
	tab[0] = ACPI_OFF_FADT;
	tab[1] = ACPI_OFF_MADT;
	tab[2] = ACPI_OFF_RSDT;
	tab[3] = ACPI_OFF_XSDT;
	for (i = 0; i < 4; i++)
		acpi_loader_sum(&b, t, tab[i] + 9, tab[i],
		    acpi_get32(tables + tab[i] + 4));
	acpi_loader_sum(&b, t, dsdt + 9, dsdt, acpi_get32(tables + dsdt + 4));
	acpi_loader_ptr(&b, ACPI_FILE_RSDP, t, 16, 4);		/* RSDT */
	acpi_loader_ptr(&b, ACPI_FILE_RSDP, t, 24, 8);		/* XSDT */
	acpi_loader_sum(&b, ACPI_FILE_RSDP, 8, 0, 20);
	acpi_loader_sum(&b, ACPI_FILE_RSDP, 32, 0, ACPI_RSDP_LEN);
	if (b.overflow) {
		errno = ENOSPC;
		return -1;
	}
	*scriptlen = b.len;
	return 0;
}

int
acpi_fwcfg(struct vm *vm, struct fwcfg *fw)
{
	uint8_t	*buf, *script, rsdp[ACPI_RSDP_LEN];
	size_t	 used, slen;
	int	 rv = -1;

	buf = malloc(PLAT_ACPI_SIZE);
	script = malloc(ACPI_LOADER_MAX * ACPI_LOADER_CMD_LEN);
	if (buf == NULL || script == NULL) {
		log_warn("%s: malloc", __func__);
		goto out;
	}
	if (acpi_loader(buf, PLAT_ACPI_SIZE, vm->params.ncpus, &used, rsdp,
	    script, &slen) == -1) {
		log_warn("%s: %d vCPUs", __func__, vm->params.ncpus);
		goto out;
	}
	if (fwcfg_add_file(fw, ACPI_FILE_TABLES, buf, used) == -1 ||
	    fwcfg_add_file(fw, ACPI_FILE_RSDP, rsdp, sizeof(rsdp)) == -1 ||
	    fwcfg_add_file(fw, "etc/table-loader", script, slen) == -1) {
		log_warn("%s: fw_cfg", __func__);
		goto out;
	}
	rv = 0;
 out:
	free(buf);
	free(script);
	return rv;
}
