/* SPDX-License-Identifier: ISC */
/* Checks of what the loader handed over: e820, command line, initrd, ACPI. */
#include "guest.h"

#define E820_RAM	1
#define LOW_HOLE	((uint64_t)0x100000 - 0x9fc00)	/* not RAM below 1M */
#define GOLDEN		0x9e3779b1U

/*
 * check_e820: the table is sorted, without overlaps or empty entries, no
 * RAM in the legacy hole (0xa0000-0x100000) or the PCI hole (3G-4G), and
 * RAM adds up to tg.mem less the 0x9fc00-0x100000 hole.
 */
void
check_e820(void)
{
	const struct e820_entry	*e;
	uint64_t		 ram = 0, mem, end, prev_end = 0;
	int			 n, i, sane = 1, ok;

	n = bootparams[BP_E820_ENTRIES];
	e = (const struct e820_entry *)(bootparams + BP_E820_TABLE);
	for (i = 0; i < n && i < E820_MAX; i++) {
		end = e[i].addr + e[i].size;
		if (e[i].size == 0 || end < e[i].addr || e[i].addr < prev_end)
			sane = 0;
		if (e[i].type == E820_RAM) {
			ram += e[i].size;
			if (e[i].addr < 0x100000 && end > 0xa0000)
				sane = 0;
			if (e[i].addr < 0x100000000ULL && end > 0xc0000000ULL)
				sane = 0;
		}
		prev_end = end;
	}
	ok = tap_ok(n > 0 && n <= E820_MAX && sane,
	    "e820: %d entries, sorted, no overlap, no RAM in the holes", n);
	if (cmdline_u64("tg.mem", &mem))
		ok &= tap_ok(ram == mem - LOW_HOLE,
		    "e820: RAM 0x%lx == tg.mem 0x%lx - 0x%lx", ram, mem,
		    LOW_HOLE);
	else
		diag("# e820: RAM 0x%lx (no tg.mem to compare)\n", ram);
	for (i = 0; (!ok || verbose) && i < n && i < E820_MAX; i++)
		printf("# e820: [0x%016lx, 0x%016lx) type %u\n", e[i].addr,
		    e[i].addr + e[i].size, e[i].type);
}

/*
 * check_cmdline: printable (an empty one is fine: none was given), and
 * tg.echo=value echoed back for the host.
 */
void
check_cmdline(void)
{
	const char	*s = cmdline();
	char		 echo[128];
	size_t		 i, n = strlen(s);
	int		 printable = 1;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			printable = 0;
	if (n == 0)
		tap_ok(1, "cmdline: empty (at 0x%x)", bp32(BP_CMD_LINE_PTR));
	else
		tap_ok(printable, "cmdline: %lu printable bytes at 0x%x",
		    (uint64_t)n, bp32(BP_CMD_LINE_PTR));
	if (cmdline_get("tg.echo", echo, sizeof(echo)))
		tap_ok(1, "cmdline: tg.echo=%s", echo);
}

/*
 * check_initrd: the initrd holds n bytes of 32-bit little-endian words
 * w[i] = i * 0x9e3779b1 (mod 2^32), the last word cut to n; n == tg.initrd.
 */
void
check_initrd(void)
{
	const uint8_t	*p;
	uint64_t	 addr, size, want, i, bad = 0, first_bad = 0;
	uint32_t	 w;

	addr = bp32(BP_RAMDISK_IMAGE) | (uint64_t)bp32(BP_EXT_RAMDISK_IMAGE)
	    << 32;
	size = bp32(BP_RAMDISK_SIZE) | (uint64_t)bp32(BP_EXT_RAMDISK_SIZE)
	    << 32;
	if (!cmdline_u64("tg.initrd", &want)) {
		if (size == 0) {
			tap_skip("initrd: none loaded");
			return;
		}
		want = size;
	}
	if (!tap_ok(size == want && (size == 0 || addr != 0),
	    "initrd: %lu bytes at 0x%lx, tg.initrd %lu", size, addr, want))
		return;
	if (size == 0)
		return;
	if (addr + size > 0x100000000ULL &&
	    cpu_map_range(addr, addr + size) == -1) {
		tap_ok(0, "initrd: cannot map 0x%lx", addr);
		return;
	}
	p = (const uint8_t *)addr;
	for (i = 0; i < size; i++) {
		w = (uint32_t)(i / 4) * GOLDEN;
		if (p[i] != (uint8_t)(w >> (8 * (i % 4)))) {
			if (bad++ == 0)
				first_bad = i;
		}
	}
	tap_ok(bad == 0, "initrd: pattern w[i] = i * 0x9e3779b1 intact%s",
	    bad ? " (see diagnostics)" : "");
	if (bad)
		printf("# initrd: %lu bytes differ, first at offset %lu\n",
		    bad, first_bad);
}

/* check_acpi: every table's checksum, S5, and the MADT's CPU count. */
void
check_acpi(void)
{
	uint64_t	 cpus;

	tap_ok(acpi.rsdp != 0, "acpi: RSDP at 0x%lx, checksum good",
	    acpi.rsdp);
	if (acpi.rsdp == 0)
		return;
	tap_ok(acpi.xsdt != 0 || acpi.rsdt != 0, "acpi: %s at 0x%lx",
	    acpi.xsdt ? "XSDT" : "RSDT", acpi.xsdt ? acpi.xsdt : acpi.rsdt);
	tap_ok(acpi.ok, "acpi: FADT 0x%lx, MADT 0x%lx, DSDT 0x%lx, "
	    "all checksums good", acpi.fadt, acpi.madt, acpi.dsdt);
	if (acpi.slp_typ_s5 < 0 && (acpi.fadt_flags & FADT_HW_REDUCED))
		tap_skip("acpi: no \\_S5_ in a hardware-reduced DSDT, "
		    "SLP_TYP 5 assumed");
	else
		tap_ok(acpi.slp_typ_s5 >= 0, "acpi: \\_S5_ SLP_TYP %d",
		    acpi.slp_typ_s5);
	diag("# acpi: PM1a_EVT 0x%x PM1a_CNT 0x%x PM_TMR 0x%x flags 0x%x "
	    "reset %d:0x%lx=0x%x sleep %d:0x%lx\n", acpi.pm1a_evt,
	    acpi.pm1a_cnt, acpi.pm_tmr, acpi.fadt_flags, acpi.reset_space,
	    acpi.reset_addr, acpi.reset_value, acpi.sleep_space,
	    acpi.sleep_addr);
	diag("# acpi: LAPIC 0x%x, IOAPIC 0x%lx (GSI base %u), COM1 GSI %u, "
	    "SCI IRQ %u\n", acpi.lapic_addr, acpi.ioapic_addr,
	    acpi.ioapic_gsi_base, acpi.isa_gsi[4], acpi.sci_irq);
	if (cmdline_u64("tg.cpus", &cpus))
		tap_ok((uint64_t)acpi.ncpus == cpus,
		    "acpi: MADT lists %d CPUs, tg.cpus %lu", acpi.ncpus, cpus);
	else
		diag("# acpi: MADT lists %d CPUs\n", acpi.ncpus);
}

/*
 * check_entry: which entry point the loader used; with tg.entry=32, 64 or
 * pvh it must be that one. After a PVH entry the CPU state must be the
 * ABI's (CR0 = PE without PG, CR4 clear, IF, TF and VM clear) and the
 * hvm_start_info must have the magic, version 1 or later, a memory map,
 * and the RSDP's address.
 */
void
check_entry(void)
{
	const struct pvh_info	*pi = &bootinfo_pvh;
	const char		*name;
	char			 want[8];

	name = boot_entry == BOOT_ENTRY_PVH ? "pvh" :
	    boot_entry == BOOT_ENTRY_64 ? "64" :
	    boot_entry == BOOT_ENTRY_32 ? "32" : "unknown";
	if (cmdline_get("tg.entry", want, sizeof(want)))
		tap_ok(strlen(want) == strlen(name) &&
		    strncmp(want, name, strlen(name)) == 0,
		    "entry: %s, tg.entry=%s", name, want);
	else
		diag("# entry: %s\n", name);
	if (boot_entry != BOOT_ENTRY_PVH)
		return;
	tap_ok((boot_pvh_state[1] & 0x80000001) == 1 &&
	    boot_pvh_state[2] == 0 && (boot_pvh_state[0] & 0x20300) == 0,
	    "pvh: entered with CR0 0x%x (PE, no PG), CR4 0x%x, EFLAGS 0x%x "
	    "(IF, TF, VM clear)", boot_pvh_state[1], boot_pvh_state[2],
	    boot_pvh_state[0]);
	if (!tap_ok(pi->magic == PVH_MAGIC && pi->version >= 1,
	    "pvh: hvm_start_info at 0x%lx: magic 0x%x, version %u",
	    boot_startinfo, pi->magic, pi->version))
		return;
	tap_ok(pi->memmap != 0 && pi->memmap_entries > 0,
	    "pvh: memory map of %u entries at 0x%lx", pi->memmap_entries,
	    pi->memmap);
	tap_ok(pi->rsdp != 0 && pi->rsdp == acpi.rsdp,
	    "pvh: rsdp_paddr 0x%lx is the RSDP found (0x%lx)", pi->rsdp,
	    acpi.rsdp);
}
