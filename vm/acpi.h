/* SPDX-License-Identifier: ISC */
/* ACPI table layout shared by vm/acpi.c and its unit test. */
#ifndef VM_ACPI_H
#define VM_ACPI_H

#include <stddef.h>
#include <stdint.h>

/*
 * Offsets of each table inside the PLAT_ACPI_START window. The RSDP comes
 * first (16-byte aligned, inside the BIOS area that legacy scans search),
 * the FACS needs 64-byte alignment, the DSDT is last because its size
 * depends on the number of vCPUs.
 */
#define ACPI_OFF_RSDP		0x000
#define ACPI_OFF_FACS		0x040
#define ACPI_OFF_RSDT		0x080
#define ACPI_OFF_XSDT		0x0c0
#define ACPI_OFF_FADT		0x100
#define ACPI_OFF_MADT		0x220

#define ACPI_RSDP_LEN		36
#define ACPI_FACS_LEN		64
#define ACPI_HDR_LEN		36
#define ACPI_FADT_LEN		276	/* revision 6 */

/*
 * More than PLAT_MAX_VCPUS so that the x2APIC entries (APIC ids above
 * 254) are built and tested; processor devices are named C000..C3FF.
 */
#define ACPI_MAX_CPUS		1024

/*
 * acpi_tables: build every table for ncpus vCPUs into buf (len bytes,
 * zeroed first), as if buf were loaded at guest address gpa. On success
 * *used (if not NULL) is the number of bytes written and the return is 0;
 * -1 with errno EINVAL (ncpus not in 1..ACPI_MAX_CPUS) or ENOSPC (buf
 * too small).
 */
int	acpi_tables(uint8_t *buf, size_t len, uint64_t gpa, int ncpus,
	    size_t *used);

/*
 * acpi_loader: the tables for the firmware's table loader: built into
 * tables (len bytes) at address 0, so each pointer holds an offset into
 * etc/acpi/tables (*used bytes); the RSDP apart into rsdp (ACPI_RSDP_LEN
 * bytes); and into script (32 commands of 128 bytes at most, *scriptlen)
 * the etc/table-loader commands that allocate both, add the tables'
 * address to each pointer and fix each checksum. 0, or -1 as acpi_tables.
 */
int	acpi_loader(uint8_t *tables, size_t len, int ncpus, size_t *used,
	    uint8_t *rsdp, uint8_t *script, size_t *scriptlen);

#endif /* VM_ACPI_H */
