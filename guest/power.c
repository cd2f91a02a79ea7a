/* SPDX-License-Identifier: ISC */
/* The end of a run: power button wait, then power-off or one of the reboots. */
#include "guest.h"

#define PM1_PWRBTN	(1U << 8)
#define VEC_SCI		0x49
#define VEC_TIMER	0x4a
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TMR_INIT	0x380
#define LAPIC_TMR_DIV	0x3e0
#define LVT_PERIODIC	(1U << 17)
#define LVT_MASKED	(1U << 16)
#define TIMER_COUNT	6250000		/* ~100 ms at KVM's 1 GHz / 16 */

static unsigned long	power_button_scis;	/* SCIs that found the event */

/*
 * power_sci: CPL0, the SCI.  Count it as the button's if the event was
 * there (status and enable set), then disable the event so that the
 * level-triggered SCI goes away; the waiting loop sees PWRBTN_STS.  An
 * SCI with no event is spurious, as ACPI allows: KVM on this host
 * sometimes delivers the vector a second time after the line has gone
 * low (one assertion, one deassertion in the VM's log).
 */
static void
power_sci(unsigned int vec)
{
	uint16_t	 sts_port = acpi.pm1a_evt, en_port = acpi.pm1a_evt + 2;
	uint16_t	 en;

	(void)vec;
	en = inw(en_port);
	if (inw(sts_port) & en & PM1_PWRBTN)
		power_button_scis++;
	outw(en_port, en & ~PM1_PWRBTN);
}

/*
 * Wait for the ACPI power button (PM1a_STS.PWRBTN_STS), as a test point.
 * The CPU sleeps in HLT at CPL0 between checks, woken by the SCI (routed
 * through the IOAPIC).  With a timer (wait-powerbutton), a 100 ms periodic
 * LAPIC timer wakes it too, should the SCI never come.  Without (idle),
 * nothing else wakes it: an idle vCPU then costs the host nothing.  The
 * status is read with IF clear and SYS_STIHLT sets it only for the HLT
 * (STI's shadow), so an SCI between the read and the HLT still wakes us.
 */
static void
power_button_wait(const char *what, int timer)
{
	uint16_t	 sts_port = acpi.pm1a_evt, en_port = acpi.pm1a_evt + 2;
	uint32_t	 gsi;

	if (acpi.pm1a_evt == 0) {
		tap_ok(0, "%s: no PM1a_EVT_BLK", what);
		return;
	}
	gsi = acpi.sci_irq < 16 ? acpi.isa_gsi[acpi.sci_irq] : acpi.sci_irq;
	irq_handler[VEC_SCI] = power_sci;
	ioapic_route(gsi, VEC_SCI, acpi.sci_irq < 16 ?
	    acpi.isa_flags[acpi.sci_irq] : 0x000f, apic_lapic_id());
	if (timer) {
		apic_write(LAPIC_TMR_DIV, 0x3);
		apic_write(LAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
		apic_write(LAPIC_TMR_INIT, TIMER_COUNT);
	} else {
		apic_write(LAPIC_TMR_INIT, 0);
		apic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	}
	sys(SYS_SETIF, 0, 0);
	/*
	 * A press that came while the checks ran counts: every VM boots in a
	 * fresh process, so PWRBTN_STS can only be set by the host asking us
	 * to stop (vmctl stop right after start).
	 */
	outw(en_port, inw(en_port) | PM1_PWRBTN);
	printf("# waiting for the power button%s\n", timer ? "" :
	    " (idle: no timer)");
	while ((inw(sts_port) & PM1_PWRBTN) == 0)
		sys(SYS_STIHLT, 0, 0);
	outw(sts_port, PM1_PWRBTN);
	outw(en_port, inw(en_port) & ~PM1_PWRBTN);
	apic_write(LAPIC_TMR_INIT, 0);
	apic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	ioapic_mask(gsi);
	tap_ok(timer || power_button_scis == 1, "%s (%lu SCI, %lu with the "
	    "button's event, %lu timer interrupts while waiting)", what,
	    irq_count[VEC_SCI], power_button_scis, irq_count[VEC_TIMER]);
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
 * (then power off), idle (the same without a timer: halted until the
 * power button, then power off), hang (park, deaf to the power button: a
 * guest that ignores a polite stop).  Parks the CPU if the VM is still
 * there after.
 */
void
power_end(void)
{
	char	 end[32] = "poweroff";
	int	 reboot;

	cmdline_get("tg.end", end, sizeof(end));
	if (strncmp(end, "wait-powerbutton", 17) == 0)
		power_button_wait("power button", 1);
	else if (strncmp(end, "idle", 5) == 0)
		power_button_wait("idle: power button", 0);
	reboot = strncmp(end, "reboot-", 7) == 0;
	tap_plan();
	if (strncmp(end, "hang", 5) == 0) {
		printf("testguest: done, hanging\n");
		sys(SYS_PARK, 0, 0);
		for (;;)
			;
	}
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
