/* SPDX-License-Identifier: ISC */
/* SMP: start every AP with INIT-SIPI-SIPI; each reports in from CPL3. */
#include "guest.h"

#define ICR_INIT	0x00000500
#define ICR_STARTUP	0x00000600
#define ICR_ASSERT	0x00004000
#define ICR_ALL_BUT_ME	0x000c0000

/*
 * Between INIT and STARTUP: real hardware wants 10 ms; KVM handles the
 * two in order with no wait, so none by default (tg.initdelay=us).
 */
static uint64_t		 smp_init_delay_us;
static volatile uint32_t ap_arrived;
static volatile uint32_t ap_cpl[MAX_CPUS];
static volatile uint32_t ap_lapic_id[MAX_CPUS];	/* LAPIC ID register */
static volatile uint32_t ap_cpuid_id[MAX_CPUS];	/* CPUID 0xb or 1 */
static volatile uint32_t ap_native_id[MAX_CPUS];	/* the same at CPL3 */

/*
 * ap_main: CPL3 on application processor idx (1..n-1), from ap_boot().
 * Report the APIC id (LAPIC ID register, xAPIC: APs never switch to
 * x2APIC; and what CPUID says) and the privilege level, then park at CPL0
 * (HLT with interrupts off) so the AP costs the host nothing.
 */
void
ap_main(uint64_t idx)
{
	uint16_t	 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ap_lapic_id[idx] = mmio_read32(0xfee00020) >> 24;
	ap_cpuid_id[idx] = apic_id(0);
	ap_native_id[idx] = apic_id(1);
	ap_cpl[idx] = cs & 3;
	__atomic_add_fetch(&ap_arrived, 1, __ATOMIC_SEQ_CST);
	sys(SYS_PARK, 0, 0);
	for (;;)
		cpu_relax();
}

static int
wait_arrived(uint32_t want, uint64_t us)
{
	uint64_t	 end = time_us() + us;

	while (ap_arrived < want && time_us() < end)
		cpu_relax();
	return ap_arrived >= want;
}

/*
 * check_smp: broadcast INIT, then STARTUP to the trampoline page (twice,
 * the second only if needed), wait for every AP the MADT lists, and match
 * the APIC ids they report against the MADT's.
 */
void
check_smp(void)
{
	uint64_t	 t0, cpus;
	uint32_t	 want, i, j, bad = 0, cpl3 = 0, me;
	int		 found;

	if (cmdline_u64("tg.cpus", &cpus) && cpus != (uint64_t)acpi.ncpus)
		printf("# smp: tg.cpus %lu, MADT %d: starting the MADT's\n",
		    cpus, acpi.ncpus);
	if (acpi.ncpus <= 1) {
		tap_skip("smp: the MADT lists %d CPU", acpi.ncpus);
		return;
	}
	if (acpi.ncpus > MAX_CPUS) {
		tap_ok(0, "smp: %d CPUs, at most %d supported", acpi.ncpus,
		    MAX_CPUS);
		return;
	}
	want = acpi.ncpus - 1;
	cmdline_u64("tg.initdelay", &smp_init_delay_us);
	memcpy((void *)TRAMPOLINE, trampoline_start,
	    trampoline_end - trampoline_start);
	ap_ticket = 1;
	ap_arrived = 0;
	t0 = time_us();
	apic_icr(0, ICR_ALL_BUT_ME | ICR_ASSERT | ICR_INIT);
	delay_us(smp_init_delay_us);
	apic_icr(0, ICR_ALL_BUT_ME | ICR_ASSERT | ICR_STARTUP |
	    (TRAMPOLINE >> 12));
	if (!wait_arrived(want, 10000)) {
		printf("# smp: %u of %u APs after one SIPI; sending another\n",
		    ap_arrived, want);
		apic_icr(0, ICR_ALL_BUT_ME | ICR_ASSERT | ICR_STARTUP |
		    (TRAMPOLINE >> 12));
		wait_arrived(want, 2000000);
	}
	tap_ok(ap_arrived == want, "smp: %u of %u APs started by %s "
	    "INIT-SIPI-SIPI in %lu us", ap_arrived, want,
	    apic_x2 ? "x2APIC" : "xAPIC", time_us() - t0);
	for (i = 1; i <= want && i < MAX_CPUS; i++)
		if (ap_cpl[i] == 3)
			cpl3++;
	tap_ok(cpl3 == want, "smp: %u APs ran code at CPL3", cpl3);
	me = apic_lapic_id();
	for (i = 0; i < (uint32_t)acpi.ncpus; i++) {
		found = acpi.apic_ids[i] == me;
		for (j = 1; j <= want; j++)
			if (ap_lapic_id[j] == acpi.apic_ids[i] && ap_cpl[j])
				found = 1;
		if (!found) {
			printf("# smp: APIC id %u (MADT) never reported\n",
			    acpi.apic_ids[i]);
			bad++;
		}
	}
	tap_ok(bad == 0, "smp: LAPIC ids the CPUs report match the MADT's %d",
	    acpi.ncpus);
	bad = apic_id(0) != me;
	for (j = 1; j <= want; j++) {
		if (ap_native_id[j] != ap_lapic_id[j])
			diag("# smp: cpu %u: CPUID at CPL3 says APIC id %u "
			    "(the host's?)\n", j, ap_native_id[j]);
		if (ap_cpuid_id[j] == ap_lapic_id[j])
			continue;
		printf("# smp: cpu %u: CPUID says APIC id %u, LAPIC ID %u\n",
		    j, ap_cpuid_id[j], ap_lapic_id[j]);
		bad++;
	}
	tap_ok(bad == 0, "smp: CPUID (leaf 0xb/1) APIC ids match the LAPIC's");
}
