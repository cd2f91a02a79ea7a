/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/dev/fwcfg.c (ports, directory, DMA and its checks) and
 * the ACPI table loader script of vm/acpi.c, run as a firmware would.
 */
#include <string.h>

#include "helper/bytes.h"
#include "helper/tap.h"
#include "vm/acpi.h"
#include "vm/mem.h"
#include "vm/platform.h"
#include "vm/dev/fwcfg.h"

#define RAM	(16ULL << 20)

static void
sel(struct fwcfg *fw, uint16_t key)
{
	uint8_t	b[2] = { (uint8_t)key, (uint8_t)(key >> 8) };

	fwcfg_io(fw, 0, 1, b, 2);
}

static void
rd(struct fwcfg *fw, uint8_t *p, size_t n)
{
	while (n-- > 0)
		fwcfg_io(fw, 1, 0, p++, 1);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* dma: run an access {ctl, len, addr} placed at gpa; returns its control. */
static uint32_t
dma(struct fwcfg *fw, struct mem *m, uint64_t gpa, uint32_t ctl,
    uint32_t len, uint64_t addr)
{
	uint8_t	a[16], reg[4];

	put_be32(a, ctl);
	put_be32(a + 4, len);
	put_be32(a + 8, (uint32_t)(addr >> 32));
	put_be32(a + 12, (uint32_t)addr);
	mem_write(m, gpa, a, 16);
	put_be32(reg, (uint32_t)(gpa >> 32));
	fwcfg_io(fw, 4, 1, reg, 4);
	put_be32(reg, (uint32_t)gpa);
	fwcfg_io(fw, 8, 1, reg, 4);
	mem_read(m, gpa, a, 16);
	return be32(a);
}

/* find: a file's selector and size from the directory, or -1. */
static int
find(struct fwcfg *fw, const char *name, uint32_t *size)
{
	uint8_t		e[64], c[4];
	uint32_t	n, i;

	sel(fw, FWCFG_FILE_DIR);
	rd(fw, c, 4);
	n = be32(c);
	for (i = 0; i < n; i++) {
		rd(fw, e, 64);
		if (strcmp((char *)e + 8, name) == 0) {
			*size = be32(e);
			return e[4] << 8 | e[5];
		}
	}
	return -1;
}

/*
 * loader_run: execute the table-loader script as SeaBIOS does, with the
 * tables at tgpa and the RSDP at rgpa in m. 0, or -1 on a bad command.
 */
static int
loader_run(struct mem *m, const uint8_t *s, size_t len, uint64_t tgpa,
    uint8_t *tables, size_t tlen, uint64_t rgpa, uint8_t *rsdp)
{
	const uint8_t	*c;
	uint8_t		*f, *src;
	uint64_t	 v, base;
	uint32_t	 off, start, n;
	size_t		 i, flen;
	int		 k;

	for (i = 0; i + 128 <= len; i += 128) {
		c = s + i;
		if (le32(c) == 1)
			continue;	/* allocate: the caller's job */
		f = strcmp((const char *)c + 4, "etc/acpi/rsdp") == 0 ? rsdp :
		    tables;
		flen = f == rsdp ? ACPI_RSDP_LEN : tlen;
		if (le32(c) == 2) {
			src = strcmp((const char *)c + 60, "etc/acpi/rsdp") ==
			    0 ? rsdp : tables;
			base = src == rsdp ? rgpa : tgpa;
			off = le32(c + 116);
			if (off + c[120] > flen)
				return -1;
			for (v = 0, k = c[120] - 1; k >= 0; k--)
				v = v << 8 | f[off + k];
			v += base;
			for (k = 0; k < c[120]; k++)
				f[off + k] = (uint8_t)(v >> (8 * k));
		} else if (le32(c) == 3) {
			off = le32(c + 60);
			start = le32(c + 64);
			n = le32(c + 68);
			if (off >= flen || start + n > flen)
				return -1;
			f[off] = (uint8_t)(f[off] - sum(f + start, n));
		} else
			return -1;
	}
	mem_write(m, tgpa, tables, tlen);
	mem_write(m, rgpa, rsdp, ACPI_RSDP_LEN);
	return 0;
}

int
main(void)
{
	static uint8_t	 tables[PLAT_ACPI_SIZE], script[32 * 128];
	struct mem	 m;
	struct fwcfg	*fw;
	uint8_t		 b[64], rsdp[ACPI_RSDP_LEN], *p;
	uint32_t	 size;
	uint64_t	 xsdt, fadt, dsdt;
	size_t		 used, slen;
	int		 key;

	if (mem_init(&m, RAM) == -1 || (fw = fwcfg_new(&m)) == NULL)
		return 1;
	sel(fw, FWCFG_SIGNATURE);
	rd(fw, b, 4);
	tap_ok(memcmp(b, "QEMU", 4) == 0, "signature QEMU");
	sel(fw, FWCFG_ID);
	rd(fw, b, 4);
	tap_is(le32(b), 3, "ID: traditional and DMA interfaces");
	fwcfg_io(fw, 4, 0, b, 4);
	fwcfg_io(fw, 8, 0, b + 4, 4);
	tap_ok(memcmp(b, "QEMU CFG", 8) == 0, "DMA register reads QEMU CFG");

	tap_is(fwcfg_add_file(fw, "etc/hello", "hello, world", 12), 0,
	    "a file is added");
	tap_ok(fwcfg_add_file(fw, "etc/hello", "x", 1) == -1,
	    "a second file of the same name is refused");
	key = find(fw, "etc/hello", &size);
	tap_ok(key >= FWCFG_FILE_FIRST && size == 12,
	    "the directory lists it (selector 0x%x, %u bytes)", key, size);
	sel(fw, (uint16_t)key);
	rd(fw, b, 16);
	tap_ok(memcmp(b, "hello, world\0\0\0\0", 16) == 0,
	    "read through the data port, zeros past the end");

	memset(b, 0xaa, sizeof(b));
	mem_write(&m, 0x20000, b, sizeof(b));
	tap_is(dma(fw, &m, 0x10000, (uint32_t)key << 16 | FWCFG_DMA_SELECT |
	    FWCFG_DMA_READ, 5, 0x20000), 0, "DMA select+read: control 0");
	mem_read(&m, 0x20000, b, 8);
	tap_ok(memcmp(b, "hello\xaa\xaa\xaa", 8) == 0,
	    "DMA wrote exactly 5 bytes");
	tap_is(dma(fw, &m, 0x10000, FWCFG_DMA_SKIP, 2, 0), 0, "DMA skip");
	dma(fw, &m, 0x10000, FWCFG_DMA_READ, 5, 0x20000);
	mem_read(&m, 0x20000, b, 5);
	tap_ok(memcmp(b, "world", 5) == 0, "read continues after the skip");
	tap_is(dma(fw, &m, 0x10000, FWCFG_DMA_READ, 64, RAM - 32),
	    FWCFG_DMA_ERROR, "DMA past the end of RAM: error bit");
	tap_is(dma(fw, &m, 0x10000, FWCFG_DMA_READ, 0xffffffff, 0x1000),
	    FWCFG_DMA_ERROR, "DMA of 4 GiB into 16 MiB: error bit");
	tap_is(dma(fw, &m, 0x10000, FWCFG_DMA_READ, 16,
	    0xfffffffffffffff8ULL), FWCFG_DMA_ERROR,
	    "DMA to an address that wraps: error bit");
	tap_is(dma(fw, &m, 0x10000, FWCFG_DMA_WRITE, 4, 0x20000),
	    FWCFG_DMA_ERROR, "DMA write: error bit (nothing is writable)");
	size = (uint32_t)fw->ndma;
	dma(fw, &m, RAM - 8, FWCFG_DMA_READ, 4, 0x20000);
	tap_is(fw->ndma, size, "an access outside RAM is ignored");

	/* The ACPI tables through the loader, as SeaBIOS runs it. */
	tap_is(acpi_loader(tables, sizeof(tables), 4, &used, rsdp, script,
	    &slen), 0, "acpi_loader: tables and script built");
	tap_ok(slen > 0 && slen % 128 == 0, "script of %zu commands",
	    slen / 128);
	tap_is(loader_run(&m, script, slen, 0x800000, tables, used, 0xf0000,
	    rsdp), 0, "every command is one the firmware knows");
	p = mem_gpa2hva(&m, 0xf0000, ACPI_RSDP_LEN);
	tap_ok(memcmp(p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0 &&
	    sum(p, ACPI_RSDP_LEN) == 0, "RSDP checksums good");
	xsdt = le32(p + 24) | (uint64_t)le32(p + 28) << 32;
	tap_ok(xsdt == 0x800000 + ACPI_OFF_XSDT, "RSDP points at the XSDT");
	p = mem_gpa2hva(&m, xsdt, 52);
	tap_ok(memcmp(p, "XSDT", 4) == 0 && sum(p, le32(p + 4)) == 0,
	    "XSDT checksum good");
	fadt = le32(p + 36) | (uint64_t)le32(p + 40) << 32;
	p = mem_gpa2hva(&m, fadt, ACPI_FADT_LEN);
	tap_ok(p != NULL && memcmp(p, "FACP", 4) == 0 &&
	    sum(p, ACPI_FADT_LEN) == 0, "FADT found through the XSDT");
	dsdt = le32(p + 140) | (uint64_t)le32(p + 144) << 32;
	tap_ok(dsdt == le32(p + 40) && dsdt > 0x800000,
	    "DSDT and X_DSDT agree (0x%llx)", (unsigned long long)dsdt);
	p = mem_gpa2hva(&m, dsdt, 36);
	tap_ok(memcmp(p, "DSDT", 4) == 0 && sum(p, le32(p + 4)) == 0,
	    "DSDT checksum good");
	fwcfg_free(fw);
	mem_free(&m);
	return tap_done();
}
