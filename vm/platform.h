/* SPDX-License-Identifier: ISC */
/* The guest-visible platform: every fixed address, port and IRQ in one place. */
#ifndef VM_PLATFORM_H
#define VM_PLATFORM_H

/* Guest physical memory layout. */
#define PLAT_LOWMEM_END		0x0009fc00ULL	/* end of conventional RAM */
#define PLAT_EBDA_END		0x000a0000ULL
#define PLAT_BIOS_START		0x000e0000ULL	/* reserved up to 1M */
#define PLAT_HIGHMEM_START	0x00100000ULL	/* 1M */
#define PLAT_PCI_HOLE_START	0xc0000000ULL	/* 3G: RAM stops here ... */
#define PLAT_PCI_HOLE_END	0x100000000ULL	/* ... and resumes at 4G */
#define PLAT_MMIO32_START	0xc0000000ULL	/* PCI BARs (32-bit) */
#define PLAT_MMIO32_END		0xfec00000ULL
#define PLAT_IOAPIC_ADDR	0xfec00000ULL
#define PLAT_LAPIC_ADDR		0xfee00000ULL

/* KVM's in-kernel APICs: the IOAPIC's id at reset and versions. */
#define PLAT_IOAPIC_ID		0
#define PLAT_IOAPIC_VERSION	0x11	/* 24 pins: GSI 0-23 */
#define PLAT_LAPIC_VERSION	0x14

/* Where boot.c puts things (all below 1M). */
#define PLAT_BOOT_GDT		0x00000500ULL
#define PLAT_BOOT_ZEROPAGE	0x00007000ULL
#define PLAT_BOOT_PML4		0x00009000ULL
#define PLAT_BOOT_PDPT		0x0000a000ULL
#define PLAT_BOOT_PD		0x0000b000ULL	/* 4 pages: identity map 4G */
#define PLAT_BOOT_CMDLINE	0x00020000ULL
#define PLAT_BOOT_CMDLINE_MAX	0x00010000ULL	/* 64K incl. NUL */
#define PLAT_KERNEL_ADDR	0x00100000ULL

/* ACPI tables: RSDP first (BIOS area, where scans look), then the rest. */
#define PLAT_ACPI_START		0x000e0000ULL
#define PLAT_ACPI_SIZE		0x00010000ULL

/*
 * MP tables (MultiProcessor Specification 1.4; a kernel's boot only): the
 * floating pointer in the last KiB of base memory, which the e820 map
 * reserves and Linux searches before the BIOS area, the configuration
 * table in the BIOS area after the ACPI tables.
 */
#define PLAT_MP_FLOAT		PLAT_LOWMEM_END
#define PLAT_MP_CONFIG		0x000f0000ULL
#define PLAT_MP_CONFIG_SIZE	0x00002000ULL

/* Port I/O. */
#define PLAT_COM1_PORT		0x3f8
#define PLAT_COM1_IRQ		4
#define PLAT_I8042_DATA		0x60
#define PLAT_I8042_CMD		0x64
#define PLAT_I8042_IRQ		1
#define PLAT_RTC_PORT		0x70	/* index 0x70, data 0x71 */
#define PLAT_RTC_IRQ		8
#define PLAT_RTC_CENTURY	0x32	/* CMOS index of the century (FADT) */
#define PLAT_I8042_AUX_IRQ	12
#define PLAT_DEBUG_PORT		0xe9	/* boot timer / debug: 1 byte */
#define PLAT_FWLOG_PORT		0x402	/* firmware debug log: 1 byte */
#define PLAT_PCI_CONFIG_ADDR	0xcf8
#define PLAT_PCI_CONFIG_DATA	0xcfc

/* ACPI fixed hardware (PM1a only). */
#define PLAT_PM_BASE		0x600
#define PLAT_PM1A_EVT		0x600	/* STS (2) + EN (2) */
#define PLAT_PM1A_EVT_LEN	4
#define PLAT_PM1A_CNT		0x604	/* 2 bytes */
#define PLAT_PM1A_CNT_LEN	2
#define PLAT_PM_TMR		0x608	/* 4 bytes, 24-bit 3.579545 MHz */
#define PLAT_PM_TMR_LEN		4
#define PLAT_RESET_PORT		0x60c	/* FADT RESET_REG, 1 byte */
#define PLAT_RESET_VALUE	0x01
#define PLAT_SCI_IRQ		9
#define PLAT_SLP_TYP_S5		5	/* \_S5 package value, PM1_CNT.SLP_TYP */

/* Limits and exit codes: lib/vmdef.h, which every layer may include. */
#include "vmdef.h"

#endif /* VM_PLATFORM_H */
