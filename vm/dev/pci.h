/* SPDX-License-Identifier: ISC */
/* PCI bus 0: the registration API for devices behind the host bridge. */
#ifndef VM_DEV_PCI_H
#define VM_DEV_PCI_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/bus.h"

struct vm;

#define PCI_MAX_SLOTS		32	/* bus 0, function 0 only */
#define PCI_NBARS		6
#define PCI_CFG_SIZE		256
#define PCI_CFG_HDR_END		0x40	/* capabilities start here */

/* Type-0 configuration header offsets. */
#define PCI_CFG_VENDOR		0x00
#define PCI_CFG_DEVICE		0x02
#define PCI_CFG_COMMAND		0x04
#define PCI_CFG_STATUS		0x06
#define PCI_CFG_REVISION	0x08
#define PCI_CFG_CLASS		0x09	/* prog-if, subclass, class: 3 bytes */
#define PCI_CFG_HDRTYPE		0x0e
#define PCI_CFG_BAR0		0x10
#define PCI_CFG_SUBVENDOR	0x2c
#define PCI_CFG_SUBSYSTEM	0x2e
#define PCI_CFG_ROM		0x30
#define PCI_CFG_CAP_PTR		0x34
#define PCI_CFG_INTR_LINE	0x3c
#define PCI_CFG_INTR_PIN	0x3d

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEM		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_INTX_DISABLE	0x0400
#define PCI_STATUS_CAPLIST	0x0010

/* BAR kinds (pci_bar.type). */
#define PCI_BAR_NONE		0
#define PCI_BAR_IO		1	/* port I/O, registered on vm->pio */
#define PCI_BAR_MEM32		2	/* 32-bit MMIO, on vm->mmio */
#define PCI_BAR_MEM64		3	/* 64-bit MMIO, takes 2 BAR slots */

/* First GSI used for INTx (_PRT in the DSDT); 8 lines, 16..23. */
#define PCI_INTX_GSI_BASE	16
#define PCI_INTX_NGSI		8

struct pci;
struct pci_dev;

/*
 * One BAR, filled in by the device before pci_add. size is a power of two
 * (>= 16 for memory, >= 4 for I/O). fn/arg/lock are passed to
 * bus_register as is (pci_add gives a BAR without a lock one of its own);
 * fn sees offsets relative to the BAR. pci_add assigns an address
 * (naturally aligned, inside the DSDT's PCI0 windows) and enables
 * decoding, as firmware would. The guest (firmware) may size and move
 * BARs and turn decoding off and on: the range is mapped where the BAR
 * says while its decode bit is set and the address is usable (not 0, not
 * reaching the top of the 32-bit or 16-bit space, not overlapping another
 * range); addr says where it is mapped now, 0 when it is not.
 */
struct pci_bar {
	int		 type;		/* PCI_BAR_* */
	int		 prefetch;	/* memory BARs: prefetchable bit */
	uint64_t	 size;
	bus_io_fn	 fn;
	void		*arg;
	pthread_mutex_t	*lock;		/* NULL: pci_add gives it one */
	uint64_t	 addr;		/* mapped here (PCI host lock), or 0 */
};

/*
 * Config space hooks for offsets >= PCI_CFG_HDR_END (capabilities and
 * device-specific registers); off is the byte offset, len 1, 2 or 4 and
 * never crosses a dword. Without cfg_read, reads come from cfg[]; without
 * cfg_write, writes there are ignored. The header (0x00-0x3f) is emulated
 * by pci.c from cfg[]. Hooks run on vCPU threads with the PCI host lock
 * held; they may read and update dev->cfg.
 */
typedef void (*pci_cfg_read_fn)(struct pci_dev *, uint32_t off,
    uint8_t *data, size_t len);
typedef void (*pci_cfg_write_fn)(struct pci_dev *, uint32_t off,
    const uint8_t *data, size_t len);
/*
 * bar_moved: BAR bar was unmapped from old (0: it was not mapped) and is
 * now mapped at bars[bar].addr (0: it is not). With the PCI host lock
 * held, on the vCPU thread whose config write moved it.
 */
typedef void (*pci_bar_moved_fn)(struct pci_dev *, int bar, uint64_t old);

/*
 * A function on bus 0. The device fills cfg[] (use pci_cfg_set*: vendor,
 * device, class, subsystem, interrupt pin, capabilities), bars[] and the
 * hooks, then calls pci_add. After pci_add, cfg[] belongs to pci.c and is
 * touched only under the PCI host lock (i.e. from the hooks).
 */
struct pci_dev {
	const char		*name;
	uint8_t			 cfg[PCI_CFG_SIZE];
	struct pci_bar		 bars[PCI_NBARS];
	pci_cfg_read_fn		 cfg_read;
	pci_cfg_write_fn	 cfg_write;
	pci_bar_moved_fn	 bar_moved;	/* may be NULL */
	void			*arg;		/* for the device's own use */
	int			 slot;		/* set by pci_add */
	int			 gsi;		/* INTx line, -1 if no pin */
	int			 warned;	/* pci.c: a refused map logged */
	pthread_mutex_t		 bar_lock;	/* for BARs without a lock */
	struct pci		*host;		/* set by pci_add */
	/*
	 * An expansion ROM (an option ROM for the firmware), or NULL: set
	 * before pci_add; the guest maps it with the ROM BAR at 0x30, where
	 * it reads rom_len bytes (then zeros) in a window of rom_size, a
	 * power of two. rom_addr: where it is mapped now, or 0.
	 */
	const uint8_t		*rom;
	uint32_t		 rom_len;
	uint32_t		 rom_size;
	uint64_t		 rom_addr;
	uint32_t		 cap_last;	/* pci_cap_add: tail of list */
	uint32_t		 cap_end;	/* pci_cap_add: first free */
};

/*
 * pci_add: put dev on bus 0 at the first free slot (1..31), assign and map
 * its BARs, set its interrupt line from the pin. Call after pci_init and
 * before vCPUs start. dev must outlive the VM. Returns 0, or -1 with
 * errno: ENODEV (no host bridge), ENOSPC (no slot or no window space),
 * EINVAL (bad BAR), or what bus_register set.
 */
int	pci_add(struct vm *, struct pci_dev *);

/*
 * pci_cap_add: append a capability (len bytes at cap: ID, next pointer,
 * body; the next pointer is filled in) to dev's list, dword aligned from
 * PCI_CFG_HDR_END. Call before pci_add. Returns the capability's config
 * offset, or -1 with errno EINVAL (len < 2) or ENOSPC.
 */
int	pci_cap_add(struct pci_dev *, const void *cap, size_t len);

/*
 * pci_set_rom: give dev the expansion ROM rom (len bytes, kept, not
 * copied) behind its ROM BAR. Before vCPUs run. 0, or -1 with errno
 * EINVAL (empty or over 16 MiB).
 */
int	pci_set_rom(struct pci_dev *, const uint8_t *rom, size_t len);

/* pci_intx_gsi: the GSI the DSDT routes slot's pin (1 = INTA .. 4) to. */
int	pci_intx_gsi(int slot, int pin);

/* Little-endian accessors for dev->cfg. */
void	pci_cfg_set8(struct pci_dev *, uint32_t off, uint8_t);
void	pci_cfg_set16(struct pci_dev *, uint32_t off, uint16_t);
void	pci_cfg_set32(struct pci_dev *, uint32_t off, uint32_t);
uint32_t pci_cfg_get(const struct pci_dev *, uint32_t off, size_t len);

#endif /* VM_DEV_PCI_H */
