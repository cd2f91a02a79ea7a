/* SPDX-License-Identifier: ISC */
/* MP tables (MultiProcessor Specification 1.4) for a kernel's boot. */
#ifndef VM_MPTABLE_H
#define VM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct kvm_cpuid2;

#define MPTABLE_FLOAT_LEN	16	/* the floating pointer structure */
#define MPTABLE_HDR_LEN		44	/* the configuration table's header */
#define MPTABLE_CPU_LEN		20	/* a processor entry */
#define MPTABLE_ENTRY_LEN	8	/* any other entry of the base table */

/* Base table entry types, in the order the table lists them. */
#define MPTABLE_CPU		0
#define MPTABLE_BUS		1
#define MPTABLE_IOAPIC		2
#define MPTABLE_IOINT		3	/* I/O interrupt assignment */
#define MPTABLE_LINT		4	/* local interrupt assignment */

/*
 * Bus ids: a PCI bus's id is its bus number (the specification's
 * appendix D.2), so PCI bus 0 is 0 and ISA takes the next.
 */
#define MPTABLE_BUS_PCI		0
#define MPTABLE_BUS_ISA		1

/* Local APIC ids are one byte and 0xff means every local APIC. */
#define MPTABLE_MAX_CPUS	255

/*
 * mptable_tables: the floating pointer (MPTABLE_FLOAT_LEN bytes into fp)
 * and, into conf (len bytes, zeroed first) as if conf were loaded at guest
 * address conf_gpa, the configuration table for ncpus vCPUs with local
 * APIC ids 0..ncpus-1 (as the MADT), each with CPU signature cpusig and
 * feature flags features (CPUID leaf 1's EAX and EDX). On success *used
 * (if not NULL) is the configuration table's length and the return is 0;
 * -1 with errno EINVAL (ncpus not in 1..MPTABLE_MAX_CPUS, or conf not
 * below 4 GiB) or ENOSPC (conf too small).
 */
int	mptable_tables(uint8_t *fp, uint8_t *conf, size_t len,
	    uint64_t conf_gpa, int ncpus, uint32_t cpusig, uint32_t features,
	    size_t *used);

/*
 * mptable_build: write both into guest RAM (PLAT_MP_FLOAT,
 * PLAT_MP_CONFIG) for vm->params.ncpus vCPUs, their signature and
 * features from leaf 1 of cpuid (KVM's supported table; NULL: none).
 * For a kernel's boot only: firmware builds its own. 0, or -1 (logged).
 */
int	mptable_build(struct vm *, const struct kvm_cpuid2 *cpuid);

#endif /* VM_MPTABLE_H */
