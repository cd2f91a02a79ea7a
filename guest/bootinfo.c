/* SPDX-License-Identifier: ISC */
/*
 * A copy of the zero page, with the e820 map from QEMU's fw_cfg if empty;
 * after a PVH entry, one made from the hvm_start_info.
 */
#include "guest.h"

#define FWCFG_SEL	0x510
#define FWCFG_DATA	0x511
#define FWCFG_SIG	0x0000
#define FWCFG_FILE_DIR	0x0019

uint8_t		 bootparams[4096];
int		 bootinfo_fwcfg;	/* QEMU's fw_cfg answered */
struct pvh_info	 bootinfo_pvh;

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

/*
 * pvh_bootparams: the zero page's fields we read, from the hvm_start_info
 * at boot_startinfo (below 4G, identity-mapped): command line, the first
 * module as the initrd, RSDP, and the memory map (24-byte entries) as the
 * e820 table.
 */
static void
pvh_bootparams(void)
{
	struct pvh_info		*pi = &bootinfo_pvh;
	struct e820_entry	*e = (struct e820_entry *)(bootparams +
				    BP_E820_TABLE);
	uint64_t		 si = boot_startinfo, m;
	uint32_t		 i;

	memset(bootparams, 0, sizeof(bootparams));
	pi->magic = rd32(si);
	pi->version = rd32(si + 4);
	if (pi->magic != PVH_MAGIC)
		return;
	pi->nr_modules = rd32(si + 12);
	pi->modlist = rd64(si + 16);
	pi->cmdline = rd64(si + 24);
	pi->rsdp = rd64(si + 32);
	if (pi->version >= 1) {
		pi->memmap = rd64(si + 40);
		pi->memmap_entries = rd32(si + 48);
	}
	if (pi->cmdline < 0x100000000ULL)
		*(uint32_t *)(bootparams + BP_CMD_LINE_PTR) =
		    (uint32_t)pi->cmdline;
	if (pi->nr_modules > 0 && pi->modlist != 0 &&
	    pi->modlist < 0x100000000ULL) {
		m = rd64(pi->modlist);
		*(uint32_t *)(bootparams + BP_RAMDISK_IMAGE) = (uint32_t)m;
		*(uint32_t *)(bootparams + BP_EXT_RAMDISK_IMAGE) =
		    (uint32_t)(m >> 32);
		m = rd64(pi->modlist + 8);
		*(uint32_t *)(bootparams + BP_RAMDISK_SIZE) = (uint32_t)m;
		*(uint32_t *)(bootparams + BP_EXT_RAMDISK_SIZE) =
		    (uint32_t)(m >> 32);
	}
	*(uint64_t *)(bootparams + BP_ACPI_RSDP) = pi->rsdp;
	if (pi->memmap == 0 || pi->memmap >= 0x100000000ULL)
		return;
	for (i = 0; i < pi->memmap_entries && i < E820_MAX; i++) {
		e[i].addr = rd64(pi->memmap + i * 24);
		e[i].size = rd64(pi->memmap + i * 24 + 8);
		e[i].type = rd32(pi->memmap + i * 24 + 16);
	}
	bootparams[BP_E820_ENTRIES] = (uint8_t)i;
	/* QEMU's map is its raw fw_cfg table: do what a BIOS would. */
	e820_fixup();
}

/* bootinfo_init: CPL3, before anything reads bootparams. */
void
bootinfo_init(void)
{
	if (boot_entry == BOOT_ENTRY_PVH) {
		pvh_bootparams();
		return;
	}
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
