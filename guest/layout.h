/* SPDX-License-Identifier: ISC */
/* Addresses, selectors and sizes shared by the guest's assembly and C. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define SETUP_SECTS	3		/* setup sectors after the boot one */
#define KERNEL_ADDR	0x100000	/* the protected-mode part's address */
#define TRAMPOLINE	0x8000		/* AP start-up code (SIPI vector 8) */
#define DEBUG_PORT	0xe9
#define E820_MAX	128

/* boot_entry: which entry point the loader used. */
#define BOOT_ENTRY_32	32		/* code32_start (or our 16-bit entry) */
#define BOOT_ENTRY_64	64		/* the 64-bit entry, RSI = zero page */
#define BOOT_ENTRY_PVH	18		/* PVH, EBX = hvm_start_info */

#define MAX_CPUS	64
#define KSTACK_SIZE	8192		/* per CPU, CPL0 (TSS.RSP0) */
#define USTACK_SIZE	32768		/* per CPU, CPL3 */

/* GDT selectors. */
#define SEL_KCODE	0x08		/* 64-bit, DPL 0 */
#define SEL_KDATA	0x10
#define SEL_UDATA	0x1b		/* 0x18 | RPL 3 */
#define SEL_UCODE	0x23		/* 0x20 | RPL 3, 64-bit */
#define SEL_KCODE32	0x28		/* 32-bit, used by the AP trampoline */
#define SEL_TSS0	0x30		/* 16 bytes per CPU from here */
#define GDT_ENTRIES	(6 + 2 * MAX_CPUS)

/* RFLAGS for CPL3: IOPL 3, reserved bit 1. */
#define USER_RFLAGS	0x3002

#endif /* GUEST_LAYOUT_H */
