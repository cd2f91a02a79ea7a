/* SPDX-License-Identifier: ISC */
/* A copy of the zero page, with the e820 map from QEMU's fw_cfg if empty. */
#include "guest.h"

#define FWCFG_SEL	0x510
#define FWCFG_DATA	0x511
#define FWCFG_SIG	0x0000
#define FWCFG_FILE_DIR	0x0019

uint8_t		 bootparams[4096];
int		 bootinfo_fwcfg;	/* QEMU's fw_cfg answered */

static void
fwcfg_read(void *buf, size_t n)
{
	uint8_t	*p = buf;

	while (n-- > 0)
		*p++ = inb(FWCFG_DATA);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * e820_fixup: what a BIOS does to QEMU's raw table: sort it, and take the
 * EBDA and BIOS area (0x9fc00-0x100000) out of RAM as reserved.
 */
static void
e820_fixup(void)
{
	struct e820_entry	*e = (struct e820_entry *)(bootparams +
				    BP_E820_TABLE), t;
	int			 n = bootparams[BP_E820_ENTRIES], i, j;

	for (i = 0; i < n; i++) {
		if (e[i].type != 1 || e[i].addr >= 0x9fc00 ||
		    e[i].addr + e[i].size <= 0x100000 || n + 2 > E820_MAX)
			continue;
		e[n].addr = 0x100000;
		e[n].size = e[i].addr + e[i].size - 0x100000;
		e[n].type = 1;
		e[n + 1].addr = 0x9fc00;
		e[n + 1].size = 0x100000 - 0x9fc00;
		e[n + 1].type = 2;
		e[i].size = 0x9fc00 - e[i].addr;
		n += 2;
		break;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && e[j - 1].addr > e[j].addr; j--) {
			t = e[j];
			e[j] = e[j - 1];
			e[j - 1] = t;
		}
	bootparams[BP_E820_ENTRIES] = n;
}

/*
 * fwcfg_e820: QEMU's "etc/e820" file, when a 16-bit boot left the table
 * empty (we call no BIOS E820 service: see setup.S).
 */
static void
fwcfg_e820(void)
{
	uint8_t		 sig[4], ent[64];
	uint32_t	 n, i, size;
	uint16_t	 sel;

	outw(FWCFG_SEL, FWCFG_SIG);
	fwcfg_read(sig, 4);
	if (memcmp(sig, "QEMU", 4) != 0)
		return;
	bootinfo_fwcfg = 1;
	outw(FWCFG_SEL, FWCFG_FILE_DIR);
	fwcfg_read(sig, 4);
	n = be32(sig);
	for (i = 0; i < n; i++) {
		fwcfg_read(ent, sizeof(ent));
		if (strncmp((const char *)ent + 8, "etc/e820", 9) != 0)
			continue;
		size = be32(ent);
		sel = ent[4] << 8 | ent[5];
		if (size > E820_MAX * sizeof(struct e820_entry))
			size = E820_MAX * sizeof(struct e820_entry);
		outw(FWCFG_SEL, sel);
		fwcfg_read(bootparams + BP_E820_TABLE, size);
		bootparams[BP_E820_ENTRIES] = size / sizeof(struct e820_entry);
		e820_fixup();
		diag("# bootinfo: e820 map from fw_cfg etc/e820, sorted, "
		    "0x9fc00-0x100000 reserved\n");
		return;
	}
}

/* bootinfo_init: CPL3, before anything reads bootparams. */
void
bootinfo_init(void)
{
	memcpy(bootparams, (const void *)boot_zeropage, sizeof(bootparams));
	if (bootparams[BP_E820_ENTRIES] == 0)
		fwcfg_e820();
}

uint32_t
bp32(unsigned int off)
{
	return *(const uint32_t *)(bootparams + off);
}

uint64_t
bp64(unsigned int off)
{
	return *(const uint64_t *)(bootparams + off);
}
