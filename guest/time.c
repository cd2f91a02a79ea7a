/* SPDX-License-Identifier: ISC */
/* Time for timeouts: the TSC, calibrated against the ACPI PM timer. */
#include "guest.h"

#define PM_TMR_HZ	3579545ULL

static uint64_t	 tsc_per_us;	/* 0 until calibrated */

/*
 * time_init: measure the TSC over about 2 ms of the PM timer if there is
 * one; else use CPUID leaf 0x16; else guess 2 GHz.  Done on first use.
 */
static void
time_init(void)
{
	uint32_t	 r[4], t0, t1;
	uint64_t	 c0, c1;

	if (acpi.pm_tmr != 0) {
		t0 = inl(acpi.pm_tmr) & 0xffffff;
		c0 = rdtsc();
		do {
			t1 = inl(acpi.pm_tmr) & 0xffffff;
		} while (((t1 - t0) & 0xffffff) < PM_TMR_HZ / 500 &&
		    rdtsc() - c0 < 100000000ULL);
		c1 = rdtsc();
		if (((t1 - t0) & 0xffffff) >= PM_TMR_HZ / 500) {
			tsc_per_us = (c1 - c0) * PM_TMR_HZ /
			    (((t1 - t0) & 0xffffff) * 1000000ULL);
			if (tsc_per_us == 0)
				tsc_per_us = 1;
			return;
		}
	}
	tsc_per_us = 2000;
	cpuid0(0, 0, r);
	if (r[0] >= 0x16) {
		cpuid0(0x16, 0, r);
		if ((r[0] & 0xffff) != 0)
			tsc_per_us = r[0] & 0xffff;
	}
}

uint64_t
time_us(void)
{
	if (tsc_per_us == 0)
		time_init();
	return rdtsc() / tsc_per_us;
}

void
delay_us(uint64_t us)
{
	uint64_t	 end = time_us() + us;

	while (time_us() < end)
		cpu_relax();
}
