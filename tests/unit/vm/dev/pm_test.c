/* SPDX-License-Identifier: ISC */
/* Unit tests for ACPI PM: S5 power-off, reset, power button SCI, PM timer. */
#include <stdlib.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/devices.h"
#include "vm/platform.h"

#define STS		PLAT_PM1A_EVT
#define EN		(PLAT_PM1A_EVT + 2)
#define CNT		PLAT_PM1A_CNT
#define PWRBTN		0x0100
#define RTC		0x0400
#define SCI_EN		0x0001
#define SLP_EN		0x2000
#define SLP_TYP(t)	((t) << 10)

static struct vm	vm;

static void
setup(void)
{
	fakevm_init(&vm);
	if (pm_init(&vm) == -1) {
		printf("Bail out! pm_init failed\n");
		exit(1);
	}
}

static void
teardown(void)
{
	free(vm.pm);
	fakevm_free(&vm);
}

static void
test_sleep(void)
{
	setup();
	tap_ok(vm.pm != NULL, "pm_init sets vm->pm");
	tap_is(fakevm_pio_read(&vm, CNT, 2) & SCI_EN, SCI_EN,
	    "SCI_EN reads as set (no SMI_CMD)");
	fakevm_pio_write(&vm, CNT, 2, 0);
	tap_is(fakevm_pio_read(&vm, CNT, 2) & SCI_EN, SCI_EN,
	    "SCI_EN cannot be cleared");

	/* ACPICA's order: SLP_TYP first, then SLP_TYP|SLP_EN. */
	fakevm_pio_write(&vm, CNT, 2, SCI_EN | SLP_TYP(3));
	fakevm_pio_write(&vm, CNT, 2, SCI_EN | SLP_TYP(3) | SLP_EN);
	tap_is(fakevm.exit_status, -1, "SLP_TYP 3 (S3) does not end the VM");
	tap_is(fakevm_pio_read(&vm, CNT, 2) & (SLP_EN | SLP_TYP(7)),
	    SLP_TYP(3), "SLP_TYP reads back, SLP_EN reads as 0");

	fakevm_pio_write(&vm, CNT, 2, SCI_EN | SLP_TYP(PLAT_SLP_TYP_S5));
	tap_is(fakevm.exit_status, -1, "SLP_TYP S5 without SLP_EN: running");
	fakevm_pio_write(&vm, CNT, 2,
	    SCI_EN | SLP_TYP(PLAT_SLP_TYP_S5) | SLP_EN);
	tap_is(fakevm.exit_status, VM_EXIT_POWEROFF,
	    "SLP_TYP S5 | SLP_EN powers off");
	teardown();

	/* A byte write to the high half of PM1_CNT works too. */
	setup();
	fakevm_pio_write(&vm, CNT + 1, 1,
	    (SLP_TYP(PLAT_SLP_TYP_S5) | SLP_EN) >> 8);
	tap_is(fakevm.exit_status, VM_EXIT_POWEROFF,
	    "byte write of SLP_TYP S5 | SLP_EN powers off");
	teardown();
}

/* RTC_EN reads back (ACPICA checks), but no RTC event ever comes. */
static void
test_rtc_en(void)
{
	setup();
	fakevm_pio_write(&vm, EN, 2, RTC);
	tap_is(fakevm_pio_read(&vm, EN, 2), RTC, "RTC_EN reads back");
	tap_is(fakevm_pio_read(&vm, STS, 2) & RTC, 0, "RTC_STS stays clear");
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 0, "no SCI");
	fakevm_pio_write(&vm, EN, 2, 0);
	tap_is(fakevm_pio_read(&vm, EN, 2), 0, "RTC_EN cleared");
	fakevm_pio_write(&vm, EN, 2, 0x0200);
	tap_is(fakevm_pio_read(&vm, EN, 2), 0,
	    "an undefined enable bit (0x200) is not kept");
	teardown();
}

static void
test_reset(void)
{
	setup();
	fakevm_pio_write(&vm, PLAT_RESET_PORT, 1, PLAT_RESET_VALUE ^ 0xff);
	tap_is(fakevm.exit_status, -1, "other reset values are ignored");
	fakevm_pio_write(&vm, PLAT_RESET_PORT, 1, PLAT_RESET_VALUE);
	tap_is(fakevm.exit_status, VM_EXIT_REBOOT, "RESET_VALUE reboots");
	teardown();
}

static void
test_power_button(void)
{
	setup();
	pm_power_button(vm.pm);
	tap_is(fakevm_pio_read(&vm, STS, 2) & PWRBTN, PWRBTN,
	    "press sets PWRBTN_STS");
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 0,
	    "no SCI while PWRBTN_EN is clear");

	fakevm_pio_write(&vm, STS, 2, 0);
	tap_is(fakevm_pio_read(&vm, STS, 2) & PWRBTN, PWRBTN,
	    "writing 0 does not clear status");
	fakevm_pio_write(&vm, STS, 2, PWRBTN);
	tap_is(fakevm_pio_read(&vm, STS, 2) & PWRBTN, 0,
	    "writing 1 clears PWRBTN_STS");

	fakevm_pio_write(&vm, EN, 2, PWRBTN);
	tap_is(fakevm_pio_read(&vm, EN, 2), PWRBTN, "PWRBTN_EN reads back");
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 0, "enable alone: no SCI");
	pm_power_button(vm.pm);
	tap_is(fakevm.irq_level[PLAT_SCI_IRQ], 1, "press raises SCI (IRQ 9)");
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 1, "exactly once");
	pm_power_button(vm.pm);
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 1,
	    "second press: line stays up, no new edge");

	/* The dword view: STS low half, EN high half. */
	tap_is(fakevm_pio_read(&vm, STS, 4), PWRBTN | PWRBTN << 16,
	    "dword read of STS|EN");
	fakevm_pio_write(&vm, STS, 4, PWRBTN | PWRBTN << 16);
	tap_is(fakevm.irq_level[PLAT_SCI_IRQ], 0,
	    "clearing the status lowers the SCI");
	tap_is(fakevm_pio_read(&vm, EN, 2), PWRBTN, "and keeps EN");

	/* Pending status raises the SCI once the guest enables it. */
	fakevm_pio_write(&vm, EN, 2, 0);
	pm_power_button(vm.pm);
	tap_is(fakevm.irq_level[PLAT_SCI_IRQ], 0, "disabled: line low");
	fakevm_pio_write(&vm, EN + 1, 1, PWRBTN >> 8);
	tap_is(fakevm.irq_level[PLAT_SCI_IRQ], 1,
	    "byte write of PWRBTN_EN raises the pending SCI");
	fakevm_pio_write(&vm, STS + 1, 1, PWRBTN >> 8);
	tap_is(fakevm.irq_level[PLAT_SCI_IRQ], 0,
	    "byte write-1-to-clear lowers it");
	tap_is(fakevm.irq_raises[PLAT_SCI_IRQ], 2, "two raises in all");
	tap_is(fakevm.exit_status, -1, "the button never ends the VM itself");
	pm_power_button(NULL);
	tap_ok(1, "pm_power_button(NULL) is harmless");
	teardown();
}

static void
test_timer(void)
{
	uint64_t	t0, t1;

	setup();
	fakevm.now_ns = 0;
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR, 4), 0, "timer starts at 0");
	fakevm.now_ns = 1000000000ULL;
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR, 4), 3579545,
	    "one second is 3579545 ticks");
	fakevm.now_ns = 1000;
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR, 4), 3,
	    "one microsecond is 3 ticks");
	fakevm.now_ns = 5000000000ULL;	/* 17897725 ticks */
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR, 4), 17897725 & 0xffffff,
	    "the counter wraps at 24 bits");
	fakevm.now_ns = 86400ULL * 365 * 1000000000ULL;	/* a year */
	t0 = fakevm_pio_read(&vm, PLAT_PM_TMR, 4);
	tap_ok(t0 <= 0xffffff, "a year of uptime: 24-bit value 0x%llx",
	    (unsigned long long)t0);
	fakevm.now_ns += 1000000;
	t1 = fakevm_pio_read(&vm, PLAT_PM_TMR, 4);
	tap_is((t1 - t0) & 0xffffff, 3579, "and still advances (1 ms)");
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR + 1, 1), (t1 >> 8) & 0xff,
	    "byte read at offset 1");
	fakevm_pio_write(&vm, PLAT_PM_TMR, 4, 0);
	tap_is(fakevm_pio_read(&vm, PLAT_PM_TMR, 4), t1,
	    "the timer is read-only");
	teardown();
}

int
main(void)
{
	test_sleep();
	test_reset();
	test_rtc_en();
	test_power_button();
	test_timer();
	return tap_done();
}
