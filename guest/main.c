/* SPDX-License-Identifier: ISC */
/* The boot CPU's CPL3 main: set up the console, run the checks, end. */
#include "guest.h"

struct check {
	const char	*name;
	void		(*fn)(void);
	int		 dflt;		/* runs without tg.checks */
};

static const struct check checks[] = {
	{ "entry",	check_entry,	1 },
	{ "e820",	check_e820,	1 },
	{ "cmdline",	check_cmdline,	1 },
	{ "initrd",	check_initrd,	1 },
	{ "acpi",	check_acpi,	1 },
	{ "smp",	check_smp,	1 },
	{ "rtc",	check_rtc,	1 },
	{ "uart-irq",	check_uart_irq,	1 },
	{ "virtio-rng",	check_virtio_rng, 1 },
	{ "blk",	check_blk,	0 },	/* overwrites disks */
	{ "net",	check_net,	1 },
	{ "dhcp",	check_dhcp,	0 },
	{ "virtio-hostile", check_virtio_hostile, 0 },
	{ "blk-bench",	check_blk_bench, 0 },
	{ "net-bench",	check_net_bench, 0 },
	{ "net-rx-bench", check_net_rx_bench, 0 },
	{ "net-offload", check_net_offload, 0 },
	{ "net-rx-offload", check_net_rx_offload, 0 },
	{ "net-tcp-bench", check_net_tcp_bench, 0 },
	{ "exits",	check_exits,	0 },
	{ "hostile",	check_hostile,	0 },
};

/*
 * user_main: CPL3, boot CPU, IF=0, IOPL 3.  arg is the zero page's
 * address.
 */
void
user_main(uint64_t zp)
{
	uint64_t t0;
	size_t	 i;

	outb(DEBUG_PORT, 0x02);
	memset(_bss_start, 0, _bss_end - _bss_start);
	cpu_idt_init();
	serial_init();
	bootinfo_init();
	cmdline_init();
	acpi_init();
	verbose = cmdline_get("tg.verbose", NULL, 0);
	diag("# testguest: zero page 0x%lx, cmdline \"%s\"\n", zp,
	    cmdline());
	apic_init();
	for (i = 0; i < nitems(checks); i++) {
		if (!cmdline_check(checks[i].name, checks[i].dflt))
			continue;
		t0 = time_us();
		checks[i].fn();
		diag("# %s: %lu us\n", checks[i].name, time_us() - t0);
	}
	power_end();
}
