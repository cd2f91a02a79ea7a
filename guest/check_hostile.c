/* SPDX-License-Identifier: ISC */
/* The hostile pass: junk on every I/O port and on unbacked MMIO, then alive? */
#include "guest.h"

#define COM1		0x3f8
#define COM1_END	0x3ff
#define UART_SCR	7
#define PM1_SLP_EN_HI	0x20		/* SLP_EN (bit 13) in the high byte */
#define FWCFG_DMA	0x514		/* QEMU fw_cfg DMA address, 8 bytes */
#define RESET_CONTROL	0xcf9		/* PCI reset control register */
#define RESET_CPU	0x04		/* ... its reset bit */

/* The junk written to port p (one write and one read a port: ~3 s). */
static uint8_t
junk(uint32_t p)
{
	return (uint8_t)((p * 0x9e3779b1U) >> 24);
}

/*
 * port_filter: adjust or veto (-1) a junk write that would legitimately
 * end the VM: S5 through PM1a_CNT, the FADT reset register, the i8042's
 * pulse-output commands (0xf0-0xff, 0xfe resets), the fast-reset bit of
 * port 0x92 (also keeping A20 on), the reset bit of the reset control
 * register at 0xcf9, boot-timer values on the debug port;
 * and, under QEMU, fw_cfg's DMA address, which would have QEMU write over
 * our memory.
 */
static int
port_filter(uint32_t p, uint8_t v)
{
	if (acpi.pm1a_cnt != 0 && p == acpi.pm1a_cnt + 1u)
		return v & ~PM1_SLP_EN_HI;
	if (acpi.reset_space == 1 && p == acpi.reset_addr)
		return -1;
	if (p == 0x64 && v >= 0xf0)
		return -1;
	if (p == 0x92)
		return (v & ~0x01) | 0x02;
	if (p == RESET_CONTROL)
		return v & ~RESET_CPU;
	if (p == DEBUG_PORT)
		return -1;
	if (bootinfo_fwcfg && p >= FWCFG_DMA && p < FWCFG_DMA + 8)
		return -1;
	return v;
}

static void
port_junk(uint32_t p)
{
	int	 v;

	if ((v = port_filter(p, junk(p))) >= 0)
		outb(p, v);
	(void)inb(p);
}

/* Junk at one unbacked MMIO address: 32-bit and 8-bit reads and writes. */
static void
mmio_junk(uint64_t a)
{
	(void)*(volatile uint32_t *)a;
	*(volatile uint32_t *)a = 0xdeadbeef;
	(void)*(volatile uint32_t *)a;
	*(volatile uint8_t *)(a + 1) = 0x5a;
	(void)*(volatile uint8_t *)(a + 3);
}

static uint64_t
ram_top(void)
{
	const struct e820_entry	*e;
	uint64_t		 top = 0;
	int			 i, n = bootparams[BP_E820_ENTRIES];

	e = (const struct e820_entry *)(bootparams + BP_E820_TABLE);
	for (i = 0; i < n && i < E820_MAX; i++)
		if (e[i].type == 1 && e[i].addr + e[i].size > top)
			top = e[i].addr + e[i].size;
	return top;
}

/*
 * check_hostile: runs last but for the end.  COM1 gets its junk after
 * everything else, then is set up again; the TAP stream going on is the
 * proof the VMM survived.
 */
void
check_hostile(void)
{
	uint64_t	 mmio[8], t0, top;
	uint32_t	 p;
	size_t		 n = 0, i;
	uint8_t		 dbg, scr;

	t0 = time_us();
	for (p = 0; p <= 0xffff; p++)
		if (p < COM1 || p > COM1_END)
			port_junk(p);
	printf("# hostile: junk on I/O ports 0-0xffff but COM1 in %lu ms\n",
	    (time_us() - t0) / 1000);

	top = ram_top();
	mmio[n++] = 0xc0000000;
	mmio[n++] = 0xd0000000;
	mmio[n++] = 0xe0000000;
	mmio[n++] = 0xfebff000;
	mmio[n++] = 0xfed00000;
	if (top < 0xc0000000)
		mmio[n++] = top + 0x1000;
	if (top < 0x100000000ULL)
		top = 0x100000000ULL;
	if (cpu_map_range(top + 0x1000, top + 0x2000) == 0)
		mmio[n++] = top + 0x1000;
	for (i = 0; i < n; i++) {
		printf("# hostile: MMIO junk at 0x%lx\n", mmio[i]);
		mmio_junk(mmio[i]);
	}

	for (p = COM1; p <= COM1_END; p++)
		port_junk(p);
	serial_init();
	printf("\n# hostile: any junk byte above is COM1's own THR junk\n");
	outb(COM1 + UART_SCR, 0xa5);
	scr = inb(COM1 + UART_SCR);
	tap_ok(scr == 0xa5, "hostile: console alive after junk on %u ports "
	    "and %lu MMIO addresses (UART scratch 0x%02x)", 0x10000,
	    (uint64_t)n, scr);
	dbg = inb(DEBUG_PORT);
	tap_ok(dbg == 0xe9, "hostile: debug port reads 0x%02x", dbg);
}
