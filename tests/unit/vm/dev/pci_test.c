/* SPDX-License-Identifier: ISC */
/* Unit tests for the PCI host bridge: mechanism #1, absent slots, BARs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/dev/pci.h"

#define ADDR		PLAT_PCI_CONFIG_ADDR
#define DATA		PLAT_PCI_CONFIG_DATA
#define CFG(bus, slot, fn, reg)	(0x80000000U | (bus) << 16 | \
			    (slot) << 11 | (fn) << 8 | ((reg) & 0xfc))

/* What the test device saw. */
struct tdev {
	uint64_t	 last_off;
	int		 last_write;
	size_t		 last_len;
	uint32_t	 last_cfg_off;
	uint32_t	 last_cfg_val;
	size_t		 last_cfg_len;
	int		 bar_calls;
};

static struct vm	vm;

static uint64_t
cfg_read(int slot, uint32_t reg, size_t len)
{
	fakevm_pio_write(&vm, ADDR, 4, CFG(0U, (uint32_t)slot, 0U, reg));
	return fakevm_pio_read(&vm, DATA + (reg & 3), len);
}

static void
cfg_write(int slot, uint32_t reg, size_t len, uint64_t v)
{
	fakevm_pio_write(&vm, ADDR, 4, CFG(0U, (uint32_t)slot, 0U, reg));
	fakevm_pio_write(&vm, DATA + (reg & 3), len, v);
}

static void
tdev_bar(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct tdev	*t = arg;

	t->bar_calls++;
	t->last_off = off;
	t->last_write = is_write;
	t->last_len = len;
	if (!is_write)
		data[0] = 0x5a;
}

static void
tdev_cfg_read(struct pci_dev *dev, uint32_t off, uint8_t *data, size_t len)
{
	struct tdev	*t = dev->arg;
	size_t		 i;

	t->last_cfg_off = off;
	t->last_cfg_len = len;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(off + i);
}

static void
tdev_cfg_write(struct pci_dev *dev, uint32_t off, const uint8_t *data,
    size_t len)
{
	struct tdev	*t = dev->arg;
	size_t		 i;

	t->last_cfg_off = off;
	t->last_cfg_len = len;
	t->last_cfg_val = 0;
	for (i = 0; i < len; i++)
		t->last_cfg_val |= (uint32_t)data[i] << (8 * i);
}

static void
test_host(void)
{
	tap_is(cfg_read(0, 0x00, 4), 0x00081b36, "00:00.0 is 1b36:0008");
	tap_is(cfg_read(0, 0x08, 4) >> 8, 0x060000, "class host bridge");
	tap_is(cfg_read(0, 0x0e, 1), 0, "header type 0, single function");
	tap_is(cfg_read(0, 0x02, 2), 0x0008, "word read at offset 2");
	tap_is(cfg_read(0, 0x01, 1), 0x1b, "byte read at offset 1");
	tap_is(cfg_read(0, 0x03, 1), 0x00, "byte read at offset 3");
	tap_is(cfg_read(0, 0x0b, 1), 0x06, "class byte at 0x0b");
	tap_is(cfg_read(0, 0x03, 2), 0xffff,
	    "a word at 0xcff crosses the data port: unclaimed");

	tap_is(cfg_read(5, 0x00, 2), 0xffff, "absent slot: vendor 0xffff");
	tap_is(cfg_read(5, 0x00, 4), 0xffffffff, "absent slot: all ones");
	fakevm_pio_write(&vm, ADDR, 4, CFG(0U, 0U, 1U, 0U));
	tap_is(fakevm_pio_read(&vm, DATA, 2), 0xffff, "function 1 absent");
	fakevm_pio_write(&vm, ADDR, 4, CFG(1U, 0U, 0U, 0U));
	tap_is(fakevm_pio_read(&vm, DATA, 2), 0xffff, "bus 1 absent");
	fakevm_pio_write(&vm, ADDR, 4, 0);
	tap_is(fakevm_pio_read(&vm, DATA, 4), 0xffffffff,
	    "enable bit clear: all ones");

	fakevm_pio_write(&vm, ADDR, 4, 0xff001233);
	tap_is(fakevm_pio_read(&vm, ADDR, 4), 0x80001230,
	    "address latch keeps enable, bus, dev, fn, register");
	fakevm_pio_write(&vm, ADDR + 3, 1, 0x01);
	tap_is(fakevm_pio_read(&vm, ADDR, 4), 0x80001230,
	    "byte write to 0xcfb does not latch");
	tap_is(fakevm_pio_read(&vm, ADDR, 2), 0xffff,
	    "word read of 0xcf8 is not the latch");

	cfg_write(0, 0x00, 4, 0x12345678);
	tap_is(cfg_read(0, 0x00, 4), 0x00081b36, "IDs are read-only");
	cfg_write(0, 0x3c, 1, 0x0b);
	tap_is(cfg_read(0, 0x3c, 1), 0x0b, "interrupt line is writable");
}

static void
test_device(void)
{
	static struct tdev	t;
	static struct pci_dev	dev;
	uint8_t			 data[4];
	uint64_t		 bar0, bar2;

	memset(&dev, 0, sizeof(dev));
	dev.name = "test";
	dev.arg = &t;
	pci_cfg_set16(&dev, PCI_CFG_VENDOR, 0x1af4);
	pci_cfg_set16(&dev, PCI_CFG_DEVICE, 0x1041);
	pci_cfg_set8(&dev, PCI_CFG_INTR_PIN, 1);
	pci_cfg_set8(&dev, PCI_CFG_CAP_PTR, 0x40);
	dev.bars[0] = (struct pci_bar){ .type = PCI_BAR_MEM32,
	    .size = 0x1000, .fn = tdev_bar, .arg = &t };
	dev.bars[1] = (struct pci_bar){ .type = PCI_BAR_IO, .size = 32,
	    .fn = tdev_bar, .arg = &t };
	dev.bars[2] = (struct pci_bar){ .type = PCI_BAR_MEM64, .prefetch = 1,
	    .size = 0x4000, .fn = tdev_bar, .arg = &t };
	dev.cfg_read = tdev_cfg_read;
	dev.cfg_write = tdev_cfg_write;

	tap_is(pci_add(&vm, &dev), 0, "pci_add");
	tap_is(dev.slot, 1, "first free slot is 1");
	tap_is(cfg_read(1, 0x00, 4), 0x10411af4, "01:00.0 IDs");
	tap_is(dev.gsi, pci_intx_gsi(1, 1), "INTA routed by _PRT rule");
	tap_is(cfg_read(1, PCI_CFG_INTR_LINE, 1), dev.gsi,
	    "interrupt line holds the GSI");
	tap_is(cfg_read(1, PCI_CFG_INTR_PIN, 1), 1, "interrupt pin A");
	tap_is(cfg_read(1, PCI_CFG_STATUS, 2) & PCI_STATUS_CAPLIST,
	    PCI_STATUS_CAPLIST, "capability list bit set");
	tap_is(cfg_read(1, PCI_CFG_COMMAND, 2), PCI_CMD_IO | PCI_CMD_MEM,
	    "decoding enabled");

	bar0 = cfg_read(1, 0x10, 4);
	tap_is(bar0, PLAT_MMIO32_START, "BAR0 at the start of the window");
	tap_is(dev.bars[0].addr, bar0, "bars[0].addr matches");
	tap_is(cfg_read(1, 0x14, 4), 0xc000 | 1, "BAR1: I/O at 0xc000");
	bar2 = cfg_read(1, 0x18, 4) | cfg_read(1, 0x1c, 4) << 32;
	tap_is(bar2 & ~0xfULL, dev.bars[2].addr, "BAR2: 64-bit address");
	tap_is(bar2 & 0xf, 0xc, "BAR2: 64-bit prefetchable flags");
	tap_ok(dev.bars[2].addr % 0x4000 == 0 &&
	    dev.bars[2].addr >= PLAT_MMIO32_START + 0x1000,
	    "BAR2 naturally aligned after BAR0 (0x%llx)",
	    (unsigned long long)dev.bars[2].addr);

	/* Sizing, the way OSes do it: decode off, all ones, restore. */
	cfg_write(1, PCI_CFG_COMMAND, 2, 0);
	cfg_write(1, 0x10, 4, 0xffffffff);
	tap_is(cfg_read(1, 0x10, 4), 0xfffff000, "BAR0 size mask 4K");
	cfg_write(1, 0x14, 4, 0xffffffff);
	tap_is(cfg_read(1, 0x14, 4), 0xffffffe1, "BAR1 size mask 32, I/O");
	cfg_write(1, 0x18, 4, 0xffffffff);
	cfg_write(1, 0x1c, 4, 0xffffffff);
	tap_is(cfg_read(1, 0x18, 4), 0xffffc00c, "BAR2 low size mask 16K");
	tap_is(cfg_read(1, 0x1c, 4), 0xffffffff, "BAR2 high all ones");
	cfg_write(1, 0x20, 4, 0xffffffff);
	tap_is(cfg_read(1, 0x20, 4), 0, "unused BAR4 reads 0");
	cfg_write(1, 0x30, 4, 0xffffffff);
	tap_is(cfg_read(1, 0x30, 4), 0, "no expansion ROM");
	cfg_write(1, 0x10, 4, bar0);
	cfg_write(1, 0x14, 4, 0xc000);
	cfg_write(1, 0x18, 4, bar2 & 0xffffffff);
	cfg_write(1, 0x1c, 4, bar2 >> 32);
	cfg_write(1, PCI_CFG_COMMAND, 2, 0xffff);
	tap_is(cfg_read(1, PCI_CFG_COMMAND, 2), 0x0547,
	    "command keeps only its writable bits");
	tap_is(cfg_read(1, 0x10, 4), bar0, "BAR0 restored");
	tap_ok(dev.warned == 0, "restoring the BARs is not a move");

	/* Sub-dword BAR writes merge into the dword. */
	cfg_write(1, 0x11, 1, 0xff);
	tap_is(cfg_read(1, 0x10, 4), bar0 | 0xf000, "byte write to BAR0");
	memset(data, 0, sizeof(data));
	tap_ok(bus_dispatch(&vm.mmio, bar0 + 0xf000 + 8, 0, data, 4) == 0 &&
	    bus_dispatch(&vm.mmio, bar0 + 8, 0, data, 4) == -1 &&
	    dev.bars[0].addr == (bar0 | 0xf000),
	    "a decoded BAR that moves takes its range along");
	cfg_write(1, PCI_CFG_COMMAND, 2, 0);
	tap_ok(bus_dispatch(&vm.mmio, bar0 + 0xf000 + 8, 0, data, 4) == -1 &&
	    dev.bars[0].addr == 0, "decoding off: unmapped");
	cfg_write(1, 0x10, 4, bar0);
	cfg_write(1, PCI_CFG_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM);
	tap_ok(dev.bars[0].addr == bar0, "decoding on: mapped where it says");

	/* BAR ranges reach the device with BAR-relative offsets. */
	memset(data, 0, sizeof(data));
	tap_is(bus_dispatch(&vm.mmio, bar0 + 8, 0, data, 4), 0,
	    "MMIO inside BAR0 is claimed");
	tap_ok(t.last_off == 8 && t.last_len == 4 && data[0] == 0x5a,
	    "device sees offset 8, len 4");
	fakevm_pio_write(&vm, 0xc000 + 3, 1, 7);
	tap_ok(t.last_off == 3 && t.last_write && t.bar_calls == 3,
	    "I/O BAR write at offset 3");

	/* Capability space goes to the hooks. */
	tap_is(cfg_read(1, 0x41, 2), 0x4241, "cfg_read hook at 0x41");
	tap_ok(t.last_cfg_off == 0x41 && t.last_cfg_len == 2,
	    "hook got offset 0x41, len 2");
	cfg_write(1, 0x44, 4, 0xdeadbeef);
	tap_ok(t.last_cfg_off == 0x44 && t.last_cfg_len == 4 &&
	    t.last_cfg_val == 0xdeadbeef, "cfg_write hook got the dword");

}

static void
test_full(void)
{
	struct pci_dev	*bad;
	int		 i, used;

	/* Bad devices and a full bus. */
	bad = calloc(PCI_MAX_SLOTS, sizeof(*bad));
	if (bad == NULL)
		exit(1);
	bad[0].name = "bad";
	bad[0].bars[0] = (struct pci_bar){ .type = PCI_BAR_MEM32,
	    .size = 0x1800, .fn = tdev_bar };
	errno = 0;
	tap_ok(pci_add(&vm, &bad[0]) == -1 && errno == EINVAL,
	    "BAR size not a power of two: EINVAL");
	bad[0].bars[0] = (struct pci_bar){ .type = PCI_BAR_MEM64,
	    .size = 0x1000, .fn = tdev_bar };
	bad[0].bars[1] = (struct pci_bar){ .type = PCI_BAR_MEM32,
	    .size = 0x1000, .fn = tdev_bar };
	errno = 0;
	tap_ok(pci_add(&vm, &bad[0]) == -1 && errno == EINVAL,
	    "64-bit BAR with its upper slot in use: EINVAL");
	memset(&bad[0], 0, sizeof(bad[0]));
	used = 4;		/* host bridge, test, caps, rom */
	for (i = 0; i < PCI_MAX_SLOTS - used; i++) {
		bad[i].name = "filler";
		if (pci_add(&vm, &bad[i]) == -1)
			break;
	}
	tap_is(i, PCI_MAX_SLOTS - used, "the other slots fill up");
	tap_is(bad[i - 1].slot, PCI_MAX_SLOTS - 1, "last is 31");
	tap_is(bad[0].gsi, -1, "no pin: no GSI");
	errno = 0;
	bad[PCI_MAX_SLOTS - 1].name = "one too many";
	tap_ok(pci_add(&vm, &bad[PCI_MAX_SLOTS - 1]) == -1 &&
	    errno == ENOSPC, "33rd function: ENOSPC");
	free(bad);
}

static void
test_caps(void)
{
	static struct pci_dev	dev;
	uint8_t			msix[12] = { 0x11, 0xee, 0x03, 0x00 };
	uint8_t			vndr[5] = { 0x09, 0xee, 5, 0xaa, 0xbb };
	uint8_t			big[200] = { 0x09 };

	memset(&dev, 0, sizeof(dev));
	dev.name = "caps";
	pci_cfg_set16(&dev, PCI_CFG_VENDOR, 0x1af4);
	tap_is(pci_cap_add(&dev, vndr, sizeof(vndr)), 0x40,
	    "first capability at 0x40");
	tap_is(pci_cap_add(&dev, msix, sizeof(msix)), 0x48,
	    "second dword aligned at 0x48");
	tap_is(pci_cap_add(&dev, big, sizeof(big)), -1,
	    "one that does not fit: -1");
	tap_is(pci_cap_add(&dev, vndr, 1), -1, "too short: -1");
	tap_is(pci_add(&vm, &dev), 0, "pci_add with capabilities");
	tap_is(cfg_read(dev.slot, PCI_CFG_STATUS, 2) & PCI_STATUS_CAPLIST,
	    PCI_STATUS_CAPLIST, "status says capability list");
	tap_is(cfg_read(dev.slot, PCI_CFG_CAP_PTR, 1), 0x40, "cap ptr");
	tap_is(cfg_read(dev.slot, 0x40, 4), 0xaa054809,
	    "vendor cap links to 0x48");
	tap_is(cfg_read(dev.slot, 0x48, 4), 0x00030011,
	    "MSI-X cap ends the list");
	tap_is(cfg_read(dev.slot, 0x44, 1), 0xbb, "body readable");
	cfg_write(dev.slot, 0x4a, 2, 0xc000);
	tap_is(cfg_read(dev.slot, 0x4a, 2), 0x0003,
	    "without a cfg_write hook capabilities are read-only");
}

/* An expansion ROM: sized, placed and enabled as firmware does. */
static void
test_rom(void)
{
	static struct pci_dev	dev;
	static uint8_t		rom[3000];
	uint8_t			data[4];
	int			slot;

	memset(&dev, 0, sizeof(dev));
	dev.name = "rom";
	memset(rom, 0x55, sizeof(rom));
	rom[0] = 0x55;
	rom[1] = 0xaa;
	tap_ok(pci_set_rom(&dev, rom, 0) == -1, "an empty ROM is refused");
	tap_is(pci_set_rom(&dev, rom, sizeof(rom)), 0, "pci_set_rom");
	tap_is(dev.rom_size, 4096, "ROM window: the next power of two");
	tap_is(pci_add(&vm, &dev), 0, "pci_add with a ROM");
	slot = dev.slot;
	tap_is(cfg_read(slot, PCI_CFG_ROM, 4), 0, "ROM BAR starts unset");
	cfg_write(slot, PCI_CFG_ROM, 4, 0xfffff800);
	tap_is(cfg_read(slot, PCI_CFG_ROM, 4), 0xfffff000,
	    "ROM BAR sizing reads the 4K mask");
	cfg_write(slot, PCI_CFG_ROM, 4, 0xd0000000);
	tap_ok(bus_dispatch(&vm.mmio, 0xd0000000, 0, data, 2) == -1,
	    "not mapped while its enable bit is clear");
	cfg_write(slot, PCI_CFG_COMMAND, 2, PCI_CMD_MEM);
	cfg_write(slot, PCI_CFG_ROM, 4, 0xd0000001);
	tap_ok(bus_dispatch(&vm.mmio, 0xd0000000, 0, data, 2) == 0 &&
	    data[0] == 0x55 && data[1] == 0xaa, "enabled: the ROM reads 55 AA");
	tap_ok(bus_dispatch(&vm.mmio, 0xd0000000 + 3500, 0, data, 4) == 0 &&
	    data[0] == 0 && data[3] == 0, "zeros past its end");
	data[0] = 1;
	(void)bus_dispatch(&vm.mmio, 0xd0000000, 1, data, 1);
	(void)bus_dispatch(&vm.mmio, 0xd0000000, 0, data, 1);
	tap_is(data[0], 0x55, "writes do not change it");
	cfg_write(slot, PCI_CFG_ROM, 4, 0);
	tap_ok(bus_dispatch(&vm.mmio, 0xd0000000, 0, data, 2) == -1 &&
	    dev.rom_addr == 0, "disabled: unmapped");
}

static void
test_intx(void)
{
	int	slot, pin, gsi, ok = 1;

	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		for (pin = 1; pin <= 4; pin++) {
			gsi = pci_intx_gsi(slot, pin);
			if (gsi < PCI_INTX_GSI_BASE ||
			    gsi >= PCI_INTX_GSI_BASE + PCI_INTX_NGSI)
				ok = 0;
		}
	tap_ok(ok, "every slot/pin maps into GSIs 16..23");
	tap_is(pci_intx_gsi(1, 0), -1, "pin 0: none");
	tap_is(pci_intx_gsi(32, 1), -1, "slot 32: none");
}

int
main(void)
{
	struct pci_dev	dev;

	fakevm_init(&vm);
	memset(&dev, 0, sizeof(dev));
	dev.name = "early";
	errno = 0;
	tap_ok(pci_add(&vm, &dev) == -1 && errno == ENODEV,
	    "pci_add before pci_init: ENODEV");
	if (pci_init(&vm) == -1) {
		printf("Bail out! pci_init failed\n");
		return 1;
	}
	test_host();
	test_device();
	test_caps();
	test_rom();
	test_full();
	test_intx();
	free(bus_find(&vm.pio, ADDR)->arg);
	fakevm_free(&vm);
	return tap_done();
}
