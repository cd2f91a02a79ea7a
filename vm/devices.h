/* SPDX-License-Identifier: ISC */
/* The devices every VM gets; vm/devices.c holds the ordered list. */
#ifndef VM_DEVICES_H
#define VM_DEVICES_H

struct vm;
struct pm;
struct i8042;

/*
 * Each init registers the device's ranges on vm->pio / vm->mmio, keeps its
 * state behind its bus lock, and returns 0 or -1 with errno set (logged).
 */
int	debugport_init(struct vm *);	/* vm/dev/debugport.c */
/* vm/dev/fwlog.c: the firmware's debug log on 0x402 (firmware boot) */
int	fwlog_init(struct vm *);
int	uart_init(struct vm *);		/* vm/dev/uart.c: COM1 on con_in/out */
int	rtc_init(struct vm *);		/* vm/dev/rtc.c */
int	i8042_init(struct vm *);	/* vm/dev/i8042.c: sets vm->i8042 */
int	pm_init(struct vm *);		/* vm/dev/pm.c: sets vm->pm */
int	pci_init(struct vm *);		/* vm/dev/pci.c: host bridge */
/* vm/dev/fwcfg.c: fw_cfg for firmware boot (nothing for a kernel) */
int	fwcfg_init(struct vm *);

/* devices_init: run every init of the list in order. 0 or -1. */
int	devices_init(struct vm *);

/* Host-side events, safe from any thread. */
void	pm_power_button(struct pm *);		/* press the power button */
void	i8042_ctrl_alt_del(struct i8042 *);	/* inject ctrl-alt-del */

/*
 * acpi_build (vm/acpi.c): write RSDP, XSDT, FADT, MADT and DSDT for
 * vm->params.ncpus vCPUs into guest RAM at PLAT_ACPI_START; sets
 * vm->acpi_rsdp. 0 or -1.
 */
int	acpi_build(struct vm *);
/*
 * acpi_fwcfg (vm/acpi.c): the same tables as files for the firmware's
 * table loader: etc/acpi/tables, etc/acpi/rsdp and etc/table-loader
 * (allocate, patch pointers, fix checksums). 0 or -1.
 */
struct fwcfg;
int	acpi_fwcfg(struct vm *, struct fwcfg *);

#endif /* VM_DEVICES_H */
