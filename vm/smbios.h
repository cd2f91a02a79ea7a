/* SPDX-License-Identifier: ISC */
/* SMBIOS (DMTF DSP0134) tables for firmware boot, shared with the tests. */
#ifndef VM_SMBIOS_H
#define VM_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

struct fwcfg;
struct vm;

#define SMBIOS_ANCHOR_LEN	31	/* the 2.1 32-bit entry point */
#define SMBIOS_TABLES_MAX	0xffff	/* its table length is 16 bits */

/* Structure types built (DSP0134 section 7). */
#define SMBIOS_T_SYSTEM		1
#define SMBIOS_T_CHASSIS	3
#define SMBIOS_T_CPU		4
#define SMBIOS_T_MEMARRAY	16
#define SMBIOS_T_MEMDEV		17
#define SMBIOS_T_MEMMAP		19
#define SMBIOS_T_BOOT		32
#define SMBIOS_T_END		127

/*
 * smbios_build: the structure table for ncpus vCPUs and memsize bytes of
 * RAM into tables (cap bytes; *used set), and the 2.8 entry point for it
 * into anchor (SMBIOS_ANCHOR_LEN bytes, table address 0: the firmware
 * places the table and fixes it). No type 0: the firmware adds its own.
 * 0, or -1 with errno EINVAL (ncpus or memsize out of range) or ENOSPC.
 */
int	smbios_build(int ncpus, uint64_t memsize, uint8_t *tables, size_t cap,
	    size_t *used, uint8_t *anchor);

/* smbios_fwcfg: etc/smbios/smbios-tables and -anchor for vm. 0 or -1. */
int	smbios_fwcfg(struct vm *, struct fwcfg *);

#endif /* VM_SMBIOS_H */
