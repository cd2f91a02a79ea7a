/* SPDX-License-Identifier: ISC */
/* What every layer knows of a VM: its limits and its process's exit codes. */
#ifndef LIB_VMDEF_H
#define LIB_VMDEF_H

/* Limits: the one place each is written (vm.conf and messages use these). */
#define PLAT_MAX_DISKS		4	/* vmd's limit */
#define PLAT_MAX_NICS		4	/* vmd's limit */
#define PLAT_MAX_VCPUS		64
#define PLAT_MIN_MEM		(16ULL << 20)
#define PLAT_MAX_MEM		(128ULL << 30)

/*
 * The firmware a VM without a kernel boots: SeaBIOS from Debian's seabios
 * package, its 128 KiB build, which fits whole below 1 MiB (vm/boot.c).
 */
#define VMD_FIRMWARE		"/usr/share/seabios/bios.bin"
/*
 * The first NIC's option ROM when the firmware boots from the network:
 * iPXE from Debian's ipxe-qemu, built for virtio-net 1af4:1041.
 */
#define VMD_NET_ROM		"/usr/lib/ipxe/qemu/pxe-virtio.rom"

/* Boot devices (vm.conf boot device, vmctl -B), in the launch message. */
#define VM_BOOTDEV_NONE		0	/* the default order: disk, CD-ROM */
#define VM_BOOTDEV_DISK		1
#define VM_BOOTDEV_CDROM	2
#define VM_BOOTDEV_NET		3
#define VM_BOOTDEV_MAX		3

/* How a VM process ends (its exit status). */
#define VM_EXIT_POWEROFF	0	/* guest powered off (ACPI S5) */
#define VM_EXIT_ERROR		1	/* VMM or guest fault */
#define VM_EXIT_REBOOT		11	/* guest reset: the daemon restarts it */

#endif /* LIB_VMDEF_H */
