/* SPDX-License-Identifier: ISC */
/*
 * SMBIOS tables (DMTF DSP0134, version 2.8 layouts) for firmware boot:
 * the system, its chassis, one processor per vCPU, the memory. Handed to
 * the firmware through fw_cfg, which spares SeaBIOS building its own
 * (a third of a second of emulated code on KVM-PVM).
 */
#include <sys/endian.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "smbios.h"
#include "vm.h"
#include "dev/fwcfg.h"

#define SMBIOS_HDR_LEN		4	/* type, length, handle */
#define SMBIOS_MANUFACTURER	"vmd"
#define SMBIOS_PRODUCT		"VM"
#define SMBIOS_NO_HANDLE	0xfffe	/* "not provided" */
#define SMBIOS_NO_CACHE		0xffff
#define SMBIOS_KB_EXTENDED	0xffffffffU	/* see the 64-bit field */

/* Formatted-area lengths of each structure, as of 2.8. */
#define SMBIOS_LEN_SYSTEM	0x1b
#define SMBIOS_LEN_CHASSIS	0x16	/* no contained elements */
#define SMBIOS_LEN_CPU		0x2a
#define SMBIOS_LEN_MEMARRAY	0x17
#define SMBIOS_LEN_MEMDEV	0x28
#define SMBIOS_LEN_MEMMAP	0x1f
#define SMBIOS_LEN_BOOT		0x0b
#define SMBIOS_LEN_END		0x04

/* Handles: the type in the high byte, an index in the low one. */
#define SMBIOS_HANDLE(t, i)	((uint16_t)((t) << 8 | (i)))

struct smbios_buf {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 overflow;
	uint16_t	 count;		/* structures */
	uint16_t	 maxlen;	/* largest, strings included */
};

/*
 * smbios_add: a structure of type with a formatted area of len bytes
 * (zeroed; returned for the caller to fill) and nstr strings, numbered 1..
 * in order. NULL once the buffer is full.
 */
static uint8_t *
smbios_add(struct smbios_buf *b, uint8_t type, uint8_t len, uint16_t handle,
    const char *const *strs, int nstr)
{
	uint8_t	*s;
	size_t	 need = len, n;
	int	 i;

	for (i = 0; i < nstr; i++)
		need += strlen(strs[i]) + 1;
	need += nstr > 0 ? 1 : 2;	/* the set ends with two NULs */
	if (b->overflow || need > b->cap - b->len || need > UINT16_MAX) {
		b->overflow = 1;
		return NULL;
	}
	s = b->p + b->len;
	memset(s, 0, need);
	s[0] = type;
	s[1] = len;
	le16enc(s + 2, handle);
	for (i = 0, n = len; i < nstr; i++) {
		memcpy(s + n, strs[i], strlen(strs[i]));
		n += strlen(strs[i]) + 1;
	}
	b->len += need;
	b->count++;
	if (need > b->maxlen)
		b->maxlen = (uint16_t)need;
	return s;
}

static void
smbios_system(struct smbios_buf *b)
{
	const char *const	 strs[] = {
		SMBIOS_MANUFACTURER, SMBIOS_PRODUCT
	};
	uint8_t			*s;

	if ((s = smbios_add(b, SMBIOS_T_SYSTEM, SMBIOS_LEN_SYSTEM,
	    SMBIOS_HANDLE(SMBIOS_T_SYSTEM, 0), strs, 2)) == NULL)
		return;
	s[0x04] = 1;			/* manufacturer */
	s[0x05] = 2;			/* product name */
	/* No version, serial number or UUID (all zero: not present). */
	s[0x18] = 0x06;			/* wake-up type: power switch */
}

static void
smbios_chassis(struct smbios_buf *b)
{
	const char *const	 strs[] = { SMBIOS_MANUFACTURER };
	uint8_t			*s;

	if ((s = smbios_add(b, SMBIOS_T_CHASSIS, SMBIOS_LEN_CHASSIS,
	    SMBIOS_HANDLE(SMBIOS_T_CHASSIS, 0), strs, 1)) == NULL)
		return;
	s[0x04] = 1;			/* manufacturer */
	s[0x05] = 0x01;			/* type: other */
	s[0x09] = 0x03;			/* boot-up state: safe */
	s[0x0a] = 0x03;			/* power supply state: safe */
	s[0x0b] = 0x03;			/* thermal state: safe */
	s[0x0c] = 0x02;			/* security status: unknown */
}

static void
smbios_cpu(struct smbios_buf *b, int i)
{
	char		 name[16];
	const char	*strs[] = { name };
	uint8_t		*s;

	(void)snprintf(name, sizeof(name), "CPU %d", i);
	if ((s = smbios_add(b, SMBIOS_T_CPU, SMBIOS_LEN_CPU,
	    SMBIOS_HANDLE(SMBIOS_T_CPU, i), strs, 1)) == NULL)
		return;
	s[0x04] = 1;			/* socket designation */
	s[0x05] = 0x03;			/* type: central processor */
	s[0x06] = 0x01;			/* family: other */
	s[0x18] = 0x41;			/* socket populated, CPU enabled */
	s[0x19] = 0x01;			/* upgrade: other */
	le16enc(s + 0x1a, SMBIOS_NO_CACHE);	/* L1, L2, L3 */
	le16enc(s + 0x1c, SMBIOS_NO_CACHE);
	le16enc(s + 0x1e, SMBIOS_NO_CACHE);
	s[0x23] = 1;			/* cores */
	s[0x24] = 1;			/* cores enabled */
	s[0x25] = 1;			/* threads */
	le16enc(s + 0x26, 0x0004);	/* characteristics: 64-bit capable */
	le16enc(s + 0x28, 0x0001);	/* family 2: other */
}

/* smbios_memory: the array, one device holding all of RAM, its ranges. */
static void
smbios_memory(struct smbios_buf *b, uint64_t memsize)
{
	const char *const	 strs[] = { "DIMM 0" };
	uint64_t		 r[2][2], kb = memsize >> 10;
	uint64_t		 mb = memsize >> 20;
	uint8_t			*s;
	int			 n = 0, i;

	if ((s = smbios_add(b, SMBIOS_T_MEMARRAY, SMBIOS_LEN_MEMARRAY,
	    SMBIOS_HANDLE(SMBIOS_T_MEMARRAY, 0), NULL, 0)) != NULL) {
		s[0x04] = 0x01;		/* location: other */
		s[0x05] = 0x03;		/* use: system memory */
		s[0x06] = 0x03;		/* error correction: none */
		if (kb < 0x80000000ULL)
			le32enc(s + 0x07, (uint32_t)kb);
		else {
			le32enc(s + 0x07, 0x80000000U);
			le64enc(s + 0x0f, memsize);
		}
		le16enc(s + 0x0b, SMBIOS_NO_HANDLE);
		le16enc(s + 0x0d, 1);	/* devices */
	}
	if ((s = smbios_add(b, SMBIOS_T_MEMDEV, SMBIOS_LEN_MEMDEV,
	    SMBIOS_HANDLE(SMBIOS_T_MEMDEV, 0), strs, 1)) != NULL) {
		le16enc(s + 0x04, SMBIOS_HANDLE(SMBIOS_T_MEMARRAY, 0));
		le16enc(s + 0x06, SMBIOS_NO_HANDLE);
		le16enc(s + 0x08, 0xffff);	/* total width: unknown */
		le16enc(s + 0x0a, 0xffff);	/* data width: unknown */
		if (mb < 0x7fff)
			le16enc(s + 0x0c, (uint16_t)mb);
		else {
			le16enc(s + 0x0c, 0x7fff);
			le32enc(s + 0x1c, (uint32_t)mb);
		}
		s[0x0e] = 0x09;		/* form factor: DIMM */
		s[0x10] = 1;		/* device locator */
		s[0x12] = 0x07;		/* type: RAM */
		le16enc(s + 0x13, 0x0004);	/* type detail: unknown */
	}
	/* RAM below the PCI hole, and what is left above 4 GiB. */
	r[n][0] = 0;
	r[n][1] = memsize < PLAT_PCI_HOLE_START ? memsize : PLAT_PCI_HOLE_START;
	n++;
	if (memsize > PLAT_PCI_HOLE_START) {
		r[n][0] = PLAT_PCI_HOLE_END;
		r[n][1] = PLAT_PCI_HOLE_END + memsize - PLAT_PCI_HOLE_START;
		n++;
	}
	for (i = 0; i < n; i++) {
		if ((s = smbios_add(b, SMBIOS_T_MEMMAP, SMBIOS_LEN_MEMMAP,
		    SMBIOS_HANDLE(SMBIOS_T_MEMMAP, i), NULL, 0)) == NULL)
			return;
		/* Inclusive KB addresses, or the 64-bit byte fields. */
		if (((r[i][1] - 1) >> 10) < SMBIOS_KB_EXTENDED) {
			le32enc(s + 0x04, (uint32_t)(r[i][0] >> 10));
			le32enc(s + 0x08, (uint32_t)((r[i][1] - 1) >> 10));
		} else {
			le32enc(s + 0x04, SMBIOS_KB_EXTENDED);
			le32enc(s + 0x08, SMBIOS_KB_EXTENDED);
			le64enc(s + 0x0f, r[i][0]);
			le64enc(s + 0x17, r[i][1] - 1);
		}
		le16enc(s + 0x0c, SMBIOS_HANDLE(SMBIOS_T_MEMARRAY, 0));
		s[0x0e] = 1;		/* partition width */
	}
}

static uint8_t
smbios_sum(const uint8_t *p, size_t n)
{
	uint8_t	s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}

int
smbios_build(int ncpus, uint64_t memsize, uint8_t *tables, size_t cap,
    size_t *used, uint8_t *anchor)
{
	struct smbios_buf	 b;
	int			 i;

	if (ncpus < 1 || ncpus > 255 || memsize < (1ULL << 20) ||
	    memsize > PLAT_MAX_MEM) {
		errno = EINVAL;
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.p = tables;
	b.cap = cap < SMBIOS_TABLES_MAX ? cap : SMBIOS_TABLES_MAX;
	smbios_system(&b);
	smbios_chassis(&b);
	for (i = 0; i < ncpus; i++)
		smbios_cpu(&b, i);
	smbios_memory(&b, memsize);
	(void)smbios_add(&b, SMBIOS_T_BOOT, SMBIOS_LEN_BOOT,
	    SMBIOS_HANDLE(SMBIOS_T_BOOT, 0), NULL, 0);	/* no errors */
	(void)smbios_add(&b, SMBIOS_T_END, SMBIOS_LEN_END,
	    SMBIOS_HANDLE(SMBIOS_T_END, 0), NULL, 0);
	if (b.overflow) {
		errno = ENOSPC;
		return -1;
	}
	*used = b.len;

	memset(anchor, 0, SMBIOS_ANCHOR_LEN);
	memcpy(anchor, "_SM_", 4);
	anchor[0x05] = SMBIOS_ANCHOR_LEN;
	anchor[0x06] = 2;		/* version 2.8 */
	anchor[0x07] = 8;
	le16enc(anchor + 0x08, b.maxlen);
	memcpy(anchor + 0x10, "_DMI_", 5);
	le16enc(anchor + 0x16, (uint16_t)b.len);
	/* 0x18: the table's address, set by the firmware. */
	le16enc(anchor + 0x1c, b.count);
	anchor[0x1e] = 0x28;		/* BCD revision */
	anchor[0x15] = (uint8_t)-smbios_sum(anchor + 0x10, 0x0f);
	anchor[0x04] = (uint8_t)-smbios_sum(anchor, SMBIOS_ANCHOR_LEN);
	return 0;
}

int
smbios_fwcfg(struct vm *vm, struct fwcfg *fw)
{
	uint8_t	*tables, anchor[SMBIOS_ANCHOR_LEN];
	size_t	 used;
	int	 rv = -1;

	if ((tables = malloc(SMBIOS_TABLES_MAX)) == NULL) {
		log_warn("%s: malloc", __func__);
		return -1;
	}
	if (smbios_build(vm->params.ncpus, vm->mem.size, tables,
	    SMBIOS_TABLES_MAX, &used, anchor) == -1)
		log_warn("%s: %d vCPUs, %llu bytes", __func__,
		    vm->params.ncpus, (unsigned long long)vm->mem.size);
	else if (fwcfg_add_file(fw, "etc/smbios/smbios-tables", tables,
	    used) == -1 || fwcfg_add_file(fw, "etc/smbios/smbios-anchor",
	    anchor, sizeof(anchor)) == -1)
		log_warn("%s: fw_cfg", __func__);
	else
		rv = 0;
	free(tables);
	return rv;
}
