/* SPDX-License-Identifier: ISC */
/* The end of a run: power button wait, then power-off or one of the reboots. */
#include "guest.h"

#define PM1_PWRBTN	(1U << 8)

/* Wait for the ACPI power button (PM1a_STS.PWRBTN_STS), as a test point. */
static void
power_button_wait(void)
{
	uint16_t	 sts_port = acpi.pm1a_evt, en_port = acpi.pm1a_evt + 2;

	if (acpi.pm1a_evt == 0) {
		tap_ok(0, "power button: no PM1a_EVT_BLK");
		return;
	}
	outw(sts_port, PM1_PWRBTN);		/* clear a stale event */
	outw(en_port, inw(en_port) | PM1_PWRBTN);
	printf("# waiting for the power button\n");
	while ((inw(sts_port) & PM1_PWRBTN) == 0)
		delay_us(1000);
	outw(sts_port, PM1_PWRBTN);
	tap_ok(1, "power button");
}

static void
power_i8042_reset(void)
{
	int	 i;

	for (i = 0; i < 100000 && (inb(0x64) & 0x02) != 0; i++)
		;
	outb(0x64, 0xfe);
}

/*
 * power_end: finish the TAP stream and end as tg.end says: poweroff
 * (default), reboot-acpi, reboot-kbd, reboot-triple, wait-powerbutton
 * (then power off).  Parks the CPU if the VM is still there afterwards.
 */
void
power_end(void)
{
	char	 end[32] = "poweroff";
	int	 reboot;

	cmdline_get("tg.end", end, sizeof(end));
	if (strncmp(end, "wait-powerbutton", 17) == 0)
		power_button_wait();
	reboot = strncmp(end, "reboot-", 7) == 0;
	tap_plan();
	printf("testguest: done, %s\n", reboot ? "rebooting" : "powering off");
	outb(DEBUG_PORT, 0x03);
	if (strncmp(end, "reboot-acpi", 12) == 0)
		acpi_reset();
	else if (strncmp(end, "reboot-kbd", 11) == 0)
		power_i8042_reset();
	else if (strncmp(end, "reboot-triple", 14) == 0)
		cpu_triple_fault();
	else
		acpi_poweroff();
	delay_us(100000);
	printf("# testguest: still here after tg.end=%s; halting\n", end);
	sys(SYS_PARK, 0, 0);
	for (;;)
		;
}
