/* SPDX-License-Identifier: ISC */
/* PCI host bridge: configuration mechanism #1 for bus 0, BAR assignment. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"
#include "vm/dev/pci.h"

/*
 * 00:00.0 identifies as 1b36:0008, the generic PCI host bridge ID in the
 * Red Hat (QEMU) range: guests bind no chipset quirks or drivers to it.
 */
#define PCI_HOST_VENDOR		0x1b36
#define PCI_HOST_DEVICE		0x0008
#define PCI_CLASS_HOST_BRIDGE	0x060000

#define PCI_ADDR_ENABLE		0x80000000U
#define PCI_RESET_CPU		0x04	/* 0xcf9: SeaBIOS resets through it */
#define PCI_ROM_ENABLE		0x01
#define PCI_ADDR_MASK		0x80fffffcU	/* bus, dev, fn, register */

/* Where pci_add puts BARs: I/O above the legacy ports, MMIO in the hole. */
#define PCI_IO_START		0xc000
#define PCI_IO_END		0x10000
#define PCI_IO_MAXSIZE		256
#define PCI_MEM_MINALIGN	0x1000
#define PCI_MEM_LIMIT		(1ULL << 46)	/* 64-bit BARs end below */

#define PCI_BAR_IO_FLAG		0x1
#define PCI_BAR_MEM64_FLAG	0x4
#define PCI_BAR_PREFETCH_FLAG	0x8

/*
 * The host bridge. Everything below is guarded by lock, which is the bus
 * lock of both config ports; pci_add takes it too.
 */
struct pci {
	struct vm	*vm;
	pthread_mutex_t	 lock;
	uint32_t	 addr;			/* 0xcf8 latch */
	struct pci_dev	*devs[PCI_MAX_SLOTS];
	struct pci_dev	 host;			/* 00:00.0 */
	uint64_t	 next_io;
	uint64_t	 next_mem;
};

/* Guest-writable bits of the type-0 header outside the BARs. */
static const uint8_t pci_hdr_wmask[PCI_CFG_HDR_END] = {
	[PCI_CFG_COMMAND] = 0x47,	/* IO, MEM, master, parity */
	[PCI_CFG_COMMAND + 1] = 0x05,	/* SERR, INTx disable */
	[0x0c] = 0xff,			/* cache line size */
	[0x0d] = 0xff,			/* latency timer */
	[PCI_CFG_INTR_LINE] = 0xff,
};

static void	pci_addr_io(void *, uint64_t, int, uint8_t *, size_t);
static void	pci_data_io(void *, uint64_t, int, uint8_t *, size_t);
static void	pci_cfg_write_hdr(struct pci_dev *, uint32_t,
		    const uint8_t *, size_t);
static void	pci_bar_write(struct pci_dev *, int, uint32_t);
static void	pci_bar_update(struct pci *, struct pci_dev *);
static void	pci_bar_update_all(struct pci *);
static uint64_t	pci_bar_current(const struct pci_dev *, int);
static int	pci_bar_place(struct pci *, struct pci_dev *, uint64_t *);

void
pci_cfg_set8(struct pci_dev *dev, uint32_t off, uint8_t v)
{
	if (off < PCI_CFG_SIZE)
		dev->cfg[off] = v;
}

void
pci_cfg_set16(struct pci_dev *dev, uint32_t off, uint16_t v)
{
	pci_cfg_set8(dev, off, v & 0xff);
	pci_cfg_set8(dev, off + 1, v >> 8);
}

void
pci_cfg_set32(struct pci_dev *dev, uint32_t off, uint32_t v)
{
	pci_cfg_set16(dev, off, v & 0xffff);
	pci_cfg_set16(dev, off + 2, v >> 16);
}

uint32_t
pci_cfg_get(const struct pci_dev *dev, uint32_t off, size_t len)
{
	uint32_t	v = 0;
	size_t		i;

	for (i = 0; i < len && i < 4; i++)
		if (off + i < PCI_CFG_SIZE)
			v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

int
pci_cap_add(struct pci_dev *dev, const void *cap, size_t len)
{
	uint32_t	off;

	off = dev->cap_end < PCI_CFG_HDR_END ? PCI_CFG_HDR_END :
	    (dev->cap_end + 3) & ~3U;
	if (len < 2 || len > PCI_CFG_SIZE) {
		errno = EINVAL;
		return -1;
	}
	if (off + len > PCI_CFG_SIZE) {
		log_warnx("%s: %s: no room for %zu bytes", __func__,
		    dev->name, len);
		errno = ENOSPC;
		return -1;
	}
	memcpy(dev->cfg + off, cap, len);
	dev->cfg[off + 1] = 0;
	if (dev->cap_last == 0)
		dev->cfg[PCI_CFG_CAP_PTR] = (uint8_t)off;
	else
		dev->cfg[dev->cap_last + 1] = (uint8_t)off;
	dev->cap_last = off;
	dev->cap_end = off + (uint32_t)len;
	return (int)off;
}

int
pci_set_rom(struct pci_dev *dev, const uint8_t *rom, size_t len)
{
	uint32_t	size = 2048;

	if (len == 0 || len > (16U << 20)) {
		errno = EINVAL;
		return -1;
	}
	while (size < len)
		size <<= 1;
	dev->rom = rom;
	dev->rom_len = (uint32_t)len;
	dev->rom_size = size;
	dev->rom_addr = 0;
	return 0;
}

int
pci_intx_gsi(int slot, int pin)
{
	if (slot < 0 || slot >= PCI_MAX_SLOTS || pin < 1 || pin > 4)
		return -1;
	return PCI_INTX_GSI_BASE + (slot + pin - 1) % PCI_INTX_NGSI;
}

/* pci_addr_io: 0xcf8; only dword accesses latch, as on real chipsets. */
static void
pci_addr_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pci	*pci = arg;
	uint32_t	 v;

	/* 0xcf9, the reset control register: bit 2 resets the machine. */
	if (off == 1 && len == 1 && is_write) {
		if (data[0] & PCI_RESET_CPU)
			vcpu_request_exit(pci->vm, VM_EXIT_REBOOT);
		return;
	}
	if (off != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		v = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
		    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		pci->addr = v & PCI_ADDR_MASK;
	} else {
		data[0] = pci->addr & 0xff;
		data[1] = (pci->addr >> 8) & 0xff;
		data[2] = (pci->addr >> 16) & 0xff;
		data[3] = pci->addr >> 24;
	}
}

/* pci_data_io: 0xcfc-0xcff, any width at any offset inside the dword. */
static void
pci_data_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pci	*pci = arg;
	struct pci_dev	*dev = NULL;
	uint32_t	 reg, slot;

	if ((pci->addr & PCI_ADDR_ENABLE) && ((pci->addr >> 16) & 0xff) == 0 &&
	    ((pci->addr >> 8) & 0x7) == 0) {
		slot = (pci->addr >> 11) & 0x1f;
		dev = pci->devs[slot];
	}
	if (dev == NULL) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	reg = (pci->addr & 0xfc) + (uint32_t)off;
	if (reg >= PCI_CFG_HDR_END) {
		if (is_write) {
			if (dev->cfg_write != NULL)
				dev->cfg_write(dev, reg, data, len);
		} else if (dev->cfg_read != NULL)
			dev->cfg_read(dev, reg, data, len);
		else
			memcpy(data, dev->cfg + reg, len);
		return;
	}
	if (is_write)
		pci_cfg_write_hdr(dev, reg, data, len);
	else
		memcpy(data, dev->cfg + reg, len);
}

/* pci_cfg_write_hdr: a guest write to the type-0 header. */
static void
pci_cfg_write_hdr(struct pci_dev *dev, uint32_t reg, const uint8_t *data,
    size_t len)
{
	uint32_t	o, v;
	size_t		i;

	for (i = 0; i < len; i++) {
		o = reg + (uint32_t)i;
		if (o >= PCI_CFG_BAR0 && o < PCI_CFG_BAR0 + 4 * PCI_NBARS)
			continue;
		dev->cfg[o] = (uint8_t)((dev->cfg[o] & ~pci_hdr_wmask[o]) |
		    (data[i] & pci_hdr_wmask[o]));
	}
	if (reg >= PCI_CFG_BAR0 && reg < PCI_CFG_BAR0 + 4 * PCI_NBARS) {
		/* Merge the written bytes into the BAR's dword. */
		v = pci_cfg_get(dev, reg & ~3U, 4);
		for (i = 0; i < len; i++) {
			v &= ~(0xffU << (8 * ((reg & 3) + i)));
			v |= (uint32_t)data[i] << (8 * ((reg & 3) + i));
		}
		pci_bar_write(dev, (int)((reg - PCI_CFG_BAR0) / 4), v);
	}
	if (dev->rom != NULL && reg >= PCI_CFG_ROM && reg < PCI_CFG_ROM + 4) {
		v = pci_cfg_get(dev, PCI_CFG_ROM, 4);
		for (i = 0; i < len && (reg & 3) + i < 4; i++) {
			v &= ~(0xffU << (8 * ((reg & 3) + i)));
			v |= (uint32_t)data[i] << (8 * ((reg & 3) + i));
		}
		pci_cfg_set32(dev, PCI_CFG_ROM, v & ((~(dev->rom_size - 1) &
		    ~0x7ffU) | PCI_ROM_ENABLE));
		pci_bar_update_all(dev->host);
	} else if (reg < PCI_CFG_BAR0 + 4 * PCI_NBARS &&
	    reg + len > PCI_CFG_COMMAND)
		pci_bar_update_all(dev->host);
}

/*
 * pci_bar_write: store v in BAR i keeping only the address bits its size
 * allows, so that writing all ones reads back the size mask.
 */
static void
pci_bar_write(struct pci_dev *dev, int i, uint32_t v)
{
	const struct pci_bar	*bar = &dev->bars[i];
	const struct pci_bar	*lo;
	uint32_t		 off = PCI_CFG_BAR0 + 4 * (uint32_t)i;
	uint32_t		 mask;

	switch (bar->type) {
	case PCI_BAR_IO:
		mask = ~(uint32_t)(bar->size - 1) & ~3U;
		v = (v & mask) | PCI_BAR_IO_FLAG;
		break;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64:
		mask = ~(uint32_t)(bar->size - 1) & ~0xfU;
		v &= mask;
		if (bar->type == PCI_BAR_MEM64)
			v |= PCI_BAR_MEM64_FLAG;
		if (bar->prefetch)
			v |= PCI_BAR_PREFETCH_FLAG;
		break;
	default:
		lo = i > 0 ? &dev->bars[i - 1] : NULL;
		if (lo != NULL && lo->type == PCI_BAR_MEM64)
			v &= (uint32_t)(~(lo->size - 1) >> 32);
		else
			v = 0;
		break;
	}
	pci_cfg_set32(dev, off, v);
}

/* pci_bar_current: the address BAR i holds now, without flag bits. */
static uint64_t
pci_bar_current(const struct pci_dev *dev, int i)
{
	uint32_t	off = PCI_CFG_BAR0 + 4 * (uint32_t)i;
	uint64_t	v;

	v = pci_cfg_get(dev, off, 4);
	if (dev->bars[i].type == PCI_BAR_IO)
		return v & ~3ULL;
	if (dev->bars[i].type == PCI_BAR_MEM64)
		v |= (uint64_t)pci_cfg_get(dev, off + 4, 4) << 32;
	return v & ~0xfULL;
}

/*
 * pci_bar_want: where BAR i should be mapped now, or 0: decoding of its
 * kind is on and its address is usable. Firmware sizing a BAR leaves the
 * size mask in it for a moment; such an address reaches the top of the
 * space and is not usable, so sizing does not move the device.
 */
static uint64_t
pci_bar_want(const struct pci_dev *dev, int i)
{
	const struct pci_bar	*bar = &dev->bars[i];
	uint32_t		 cmd;
	uint64_t		 a, end;

	cmd = pci_cfg_get(dev, PCI_CFG_COMMAND, 2);
	a = pci_bar_current(dev, i);
	end = a + bar->size;
	switch (bar->type) {
	case PCI_BAR_IO:
		if (!(cmd & PCI_CMD_IO) || a == 0 || end >= PCI_IO_END)
			return 0;
		return a;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64:
		if (!(cmd & PCI_CMD_MEM) || a == 0 || end < a ||
		    (a < PLAT_PCI_HOLE_END && end >= PLAT_PCI_HOLE_END) ||
		    end > PCI_MEM_LIMIT)
			return 0;
		return a;
	default:
		return 0;
	}
}

/*
 * pci_bar_update: make dev's mapped BARs match what its config space says
 * (after a write to a BAR or the command register). A BAR that would
 * overlap another range stays unmapped (logged once) until a later write.
 */
static void
pci_bar_update(struct pci *pci, struct pci_dev *dev)
{
	struct pci_bar	*bar;
	struct bus	*bus;
	uint64_t	 want, old;
	int		 i;

	for (i = 0; i < PCI_NBARS; i++) {
		bar = &dev->bars[i];
		if (bar->type == PCI_BAR_NONE)
			continue;
		bus = bar->type == PCI_BAR_IO ? &pci->vm->pio : &pci->vm->mmio;
		want = pci_bar_want(dev, i);
		old = bar->addr;
		if (want == old)
			continue;
		if (old != 0 && bus_unregister(bus, old, bar->fn,
		    bar->arg) == 0)
			bar->addr = 0;
		if (want != 0 && bus_map(bus, dev->name, want, bar->size,
		    bar->fn, bar->arg, bar->lock) == 0)
			bar->addr = want;
		else if (want != 0 && !dev->warned) {
			log_warnx("%s: %s BAR%d at 0x%llx overlaps another "
			    "range: not mapped", __func__, dev->name, i,
			    (unsigned long long)want);
			dev->warned = 1;
		}
		if (bar->addr != old && dev->bar_moved != NULL)
			dev->bar_moved(dev, i, old);
	}
}

/* pci_rom_io: reads of the expansion ROM; writes are dropped. */
static void
pci_rom_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	const struct pci_dev	*dev = arg;
	size_t			 i;

	if (is_write)
		return;
	for (i = 0; i < len; i++)
		data[i] = off + i < dev->rom_len ? dev->rom[off + i] : 0;
}

/* pci_rom_update: map the ROM where its BAR says, if enabled. */
static void
pci_rom_update(struct pci *pci, struct pci_dev *dev)
{
	uint32_t	v, cmd;
	uint64_t	want = 0;

	if (dev->rom == NULL)
		return;
	v = pci_cfg_get(dev, PCI_CFG_ROM, 4);
	cmd = pci_cfg_get(dev, PCI_CFG_COMMAND, 2);
	if ((v & PCI_ROM_ENABLE) && (cmd & PCI_CMD_MEM) &&
	    (v & ~0x7ffU) != 0 &&
	    (uint64_t)(v & ~0x7ffU) + dev->rom_size < PLAT_PCI_HOLE_END)
		want = v & ~0x7ffU;
	if (want == dev->rom_addr)
		return;
	if (dev->rom_addr != 0 && bus_unregister(&pci->vm->mmio,
	    dev->rom_addr, pci_rom_io, dev) == 0)
		dev->rom_addr = 0;
	if (want != 0 && bus_map(&pci->vm->mmio, dev->name, want,
	    dev->rom_size, pci_rom_io, dev, &dev->bar_lock) == 0)
		dev->rom_addr = want;
}

/* pci_bar_update_all: every function's BARs (one move may free room). */
static void
pci_bar_update_all(struct pci *pci)
{
	int	slot;

	for (slot = 0; slot < PCI_MAX_SLOTS; slot++)
		if (pci->devs[slot] != NULL) {
			pci_bar_update(pci, pci->devs[slot]);
			pci_rom_update(pci, pci->devs[slot]);
		}
}

/*
 * pci_bar_place: check dev's BARs and choose their addresses into addrs
 * (nothing is committed). 0, or -1 with errno EINVAL or ENOSPC.
 */
static int
pci_bar_place(struct pci *pci, struct pci_dev *dev, uint64_t *addrs)
{
	const struct pci_bar	*bar;
	uint64_t		 io = pci->next_io, mem = pci->next_mem;
	uint64_t		 align, a;
	int			 i;

	for (i = 0; i < PCI_NBARS; i++) {
		bar = &dev->bars[i];
		addrs[i] = 0;
		if (bar->type == PCI_BAR_NONE)
			continue;
		if (bar->type > PCI_BAR_MEM64 || bar->fn == NULL ||
		    bar->size == 0 || (bar->size & (bar->size - 1)) != 0 ||
		    (bar->type == PCI_BAR_IO && (bar->size < 4 ||
		    bar->size > PCI_IO_MAXSIZE)) ||
		    (bar->type != PCI_BAR_IO && bar->size < 16) ||
		    (bar->type == PCI_BAR_MEM64 && (i == PCI_NBARS - 1 ||
		    dev->bars[i + 1].type != PCI_BAR_NONE))) {
			log_warnx("%s: %s BAR%d: bad type or size", __func__,
			    dev->name, i);
			errno = EINVAL;
			return -1;
		}
		if (bar->type == PCI_BAR_IO) {
			a = (io + bar->size - 1) & ~(bar->size - 1);
			if (a + bar->size > PCI_IO_END)
				goto full;
			io = a + bar->size;
		} else {
			align = bar->size < PCI_MEM_MINALIGN ?
			    PCI_MEM_MINALIGN : bar->size;
			a = (mem + align - 1) & ~(align - 1);
			if (a + bar->size > PLAT_MMIO32_END)
				goto full;
			mem = a + bar->size;
		}
		addrs[i] = a;
	}
	return 0;
full:
	log_warnx("%s: %s BAR%d: no room for 0x%llx bytes", __func__,
	    dev->name, i, (unsigned long long)dev->bars[i].size);
	errno = ENOSPC;
	return -1;
}

int
pci_add(struct vm *vm, struct pci_dev *dev)
{
	const struct bus_range	*r;
	struct pci		*pci;
	struct pci_bar		*bar;
	uint64_t		 addrs[PCI_NBARS], end;
	uint16_t		 cmd = 0;
	int			 slot, i, pin, ret = -1;

	r = bus_find(&vm->pio, PLAT_PCI_CONFIG_ADDR);
	if (r == NULL || r->fn != pci_addr_io) {
		log_warnx("%s: %s: no PCI host bridge", __func__, dev->name);
		errno = ENODEV;
		return -1;
	}
	pci = r->arg;
	pthread_mutex_lock(&pci->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		if (pci->devs[slot] == NULL)
			break;
	if (slot == PCI_MAX_SLOTS) {
		log_warnx("%s: %s: bus 0 is full", __func__, dev->name);
		errno = ENOSPC;
		goto out;
	}
	if (pci_bar_place(pci, dev, addrs) == -1)
		goto out;
	if (dev->rom != NULL && (dev->rom_size < 2048 ||
	    (dev->rom_size & (dev->rom_size - 1)) != 0 ||
	    dev->rom_len > dev->rom_size)) {
		log_warnx("%s: %s: bad ROM size", __func__, dev->name);
		errno = EINVAL;
		goto out;
	}
	pthread_mutex_init(&dev->bar_lock, NULL);
	for (i = 0; i < PCI_NBARS; i++) {
		bar = &dev->bars[i];
		bar->addr = 0;
		if (bar->type == PCI_BAR_NONE)
			continue;
		if (bar->lock == NULL)
			bar->lock = &dev->bar_lock;
		end = addrs[i] + bar->size;
		if (bar->type == PCI_BAR_IO) {
			pci->next_io = end;
			cmd |= PCI_CMD_IO;
		} else {
			pci->next_mem = end;
			cmd |= PCI_CMD_MEM;
		}
	}
	for (i = 0; i < PCI_NBARS; i++) {
		pci_bar_write(dev, i, (uint32_t)addrs[i]);
		if (dev->bars[i].type == PCI_BAR_MEM64) {
			pci_bar_write(dev, i + 1, (uint32_t)(addrs[i] >> 32));
			i++;
		}
	}
	/* Decode on, as firmware leaves it; single function, type 0. */
	pci_cfg_set16(dev, PCI_CFG_COMMAND, cmd);
	pci_cfg_set8(dev, PCI_CFG_HDRTYPE, 0);
	if (dev->cfg[PCI_CFG_CAP_PTR] != 0)
		pci_cfg_set16(dev, PCI_CFG_STATUS, (uint16_t)(pci_cfg_get(dev,
		    PCI_CFG_STATUS, 2) | PCI_STATUS_CAPLIST));
	pin = dev->cfg[PCI_CFG_INTR_PIN];
	dev->gsi = pci_intx_gsi(slot, pin);
	if (dev->gsi == -1)
		pci_cfg_set8(dev, PCI_CFG_INTR_PIN, 0);
	pci_cfg_set8(dev, PCI_CFG_INTR_LINE,
	    dev->gsi == -1 ? 0xff : (uint8_t)dev->gsi);
	dev->slot = slot;
	dev->warned = 0;
	dev->host = pci;
	pci_bar_update(pci, dev);
	for (i = 0; i < PCI_NBARS; i++)
		if (dev->bars[i].type != PCI_BAR_NONE &&
		    dev->bars[i].addr != addrs[i]) {
			log_warn("%s: %s BAR%d", __func__, dev->name, i);
			errno = EEXIST;
			goto out;
		}
	pci->devs[slot] = dev;
	ret = 0;
out:
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

int
pci_init(struct vm *vm)
{
	struct pci	*pci;
	struct pci_dev	*host;

	if ((pci = calloc(1, sizeof(*pci))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	pthread_mutex_init(&pci->lock, NULL);
	pci->vm = vm;
	pci->next_io = PCI_IO_START;
	pci->next_mem = PLAT_MMIO32_START;

	host = &pci->host;
	host->name = "host bridge";
	host->gsi = -1;
	host->host = pci;
	pci_cfg_set16(host, PCI_CFG_VENDOR, PCI_HOST_VENDOR);
	pci_cfg_set16(host, PCI_CFG_DEVICE, PCI_HOST_DEVICE);
	pci_cfg_set8(host, PCI_CFG_CLASS, PCI_CLASS_HOST_BRIDGE & 0xff);
	pci_cfg_set16(host, PCI_CFG_CLASS + 1, PCI_CLASS_HOST_BRIDGE >> 8);
	pci_cfg_set16(host, PCI_CFG_SUBVENDOR, PCI_HOST_VENDOR);
	pci_cfg_set16(host, PCI_CFG_SUBSYSTEM, PCI_HOST_DEVICE);
	pci->devs[0] = host;

	if (bus_register(&vm->pio, "pci-addr", PLAT_PCI_CONFIG_ADDR, 4,
	    pci_addr_io, pci, &pci->lock) == -1) {
		log_warn("%s: 0x%x", __func__, PLAT_PCI_CONFIG_ADDR);
		pthread_mutex_destroy(&pci->lock);
		free(pci);
		return -1;
	}
	/* On failure pci stays referenced by the first range: no free. */
	if (bus_register(&vm->pio, "pci-data", PLAT_PCI_CONFIG_DATA, 4,
	    pci_data_io, pci, &pci->lock) == -1) {
		log_warn("%s: 0x%x", __func__, PLAT_PCI_CONFIG_DATA);
		return -1;
	}
	return 0;
}
