/* SPDX-License-Identifier: ISC */
/* Costs of what the guest leans on: port exits, MMIO exits, UD2 calls. */
#include "guest.h"

#define EXITS_N		2000

static uint64_t
exits_time(int what)
{
	uint64_t	 t0 = time_us();
	int		 i;

	for (i = 0; i < EXITS_N; i++) {
		switch (what) {
		case 0:
			(void)inb(0x2f0);	/* nobody's port */
			break;
		case 1:
			outb(0x3ff, (uint8_t)i);	/* COM1 scratch */
			break;
		case 2:
			(void)mmio_read32(0xfee00030);	/* LAPIC version */
			break;
		case 3:
			(void)sys(SYS_RDMSR, 0x1b, 0);	/* UD2 round trip */
			break;
		}
	}
	return (time_us() - t0) * 1000 / EXITS_N;
}

/*
 * check_exits: not run by default (tg.checks=exits).  Prints what one
 * operation costs, in nanoseconds, as diagnostics and one test point.
 */
void
check_exits(void)
{
	uint64_t	 port, uart, mmio, ud2;

	port = exits_time(0);
	uart = exits_time(1);
	mmio = apic_x2 ? 0 : exits_time(2);
	ud2 = exits_time(3);
	tap_ok(1, "exits: %lu ns a port read (unclaimed), %lu ns a COM1 "
	    "write, %lu ns a LAPIC MMIO read, %lu ns a UD2 system call",
	    port, uart, mmio, ud2);
}
