/* SPDX-License-Identifier: ISC */
/* Driver-side helpers over the virtio PCI transport, for unit tests. */
#ifndef TESTS_UNIT_VM_VIRTIO_VPCI_H
#define TESTS_UNIT_VM_VIRTIO_VPCI_H

#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "helper/fakevm.h"
#include "unit/vm/virtio/ring.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/virtio/pci.h"

#define VT_RAM		(16ULL << 20)

struct vt_msi {
	int		n;
	uint64_t	addr;
	uint32_t	data;
};

static struct vt_msi	vt_msi;

static int __attribute__((unused))
vt_msi_hook(struct virtio_pci *vp, uint64_t addr, uint32_t data)
{
	(void)vp;
	vt_msi.n++;
	vt_msi.addr = addr;
	vt_msi.data = data;
	return 0;
}

static uint64_t __attribute__((unused))
vt_rd(struct vm *vm, uint64_t addr, size_t len)
{
	uint8_t		d[8];
	uint64_t	v = 0;
	size_t		i;

	memset(d, 0xff, sizeof(d));
	bus_dispatch(&vm->mmio, addr, 0, d, len);
	for (i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static void __attribute__((unused))
vt_wr(struct vm *vm, uint64_t addr, size_t len, uint64_t v)
{
	uint8_t	d[8];
	size_t	i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	bus_dispatch(&vm->mmio, addr, 1, d, len);
}

static uint64_t __attribute__((unused))
vt_cfg_rd(struct vm *vm, int slot, uint32_t reg, size_t len)
{
	fakevm_pio_write(vm, PLAT_PCI_CONFIG_ADDR, 4, 0x80000000U |
	    (uint32_t)slot << 11 | (reg & 0xfc));
	return fakevm_pio_read(vm, PLAT_PCI_CONFIG_DATA + (reg & 3), len);
}

static void __attribute__((unused))
vt_cfg_wr(struct vm *vm, int slot, uint32_t reg, size_t len, uint64_t v)
{
	fakevm_pio_write(vm, PLAT_PCI_CONFIG_ADDR, 4, 0x80000000U |
	    (uint32_t)slot << 11 | (reg & 0xfc));
	fakevm_pio_write(vm, PLAT_PCI_CONFIG_DATA + (reg & 3), len, v);
}

/* Common configuration, at BAR0 + 0. */
#define VT_CC(vp)	((vp)->pci.bars[0].addr)

/*
 * vt_setup_queue: the driver's steps for queue q on ring tr (after
 * FEATURES_OK): select, size, addresses, vector, enable.
 */
static void __attribute__((unused))
vt_setup_queue(struct vm *vm, struct virtio_pci *vp, int q,
    struct tring *tr, uint16_t vector)
{
	uint64_t	cc = VT_CC(vp);

	vt_wr(vm, cc + 0x16, 2, (uint64_t)q);
	vt_wr(vm, cc + 0x18, 2, tr->size);
	vt_wr(vm, cc + 0x20, 4, tr->desc & 0xffffffff);
	vt_wr(vm, cc + 0x24, 4, tr->desc >> 32);
	vt_wr(vm, cc + 0x28, 8, tr->avail);
	vt_wr(vm, cc + 0x30, 8, tr->used);
	vt_wr(vm, cc + 0x1a, 2, vector);
	vt_wr(vm, cc + 0x1c, 2, 1);
}

/* vt_negotiate: reset, ACK, DRIVER, accept feats, FEATURES_OK; status. */
static uint8_t __attribute__((unused))
vt_negotiate(struct vm *vm, struct virtio_pci *vp, uint64_t feats)
{
	uint64_t	cc = VT_CC(vp);

	vt_wr(vm, cc + 0x14, 1, 0);
	vt_wr(vm, cc + 0x14, 1, 1);
	vt_wr(vm, cc + 0x14, 1, 3);
	vt_wr(vm, cc + 0x08, 4, 0);
	vt_wr(vm, cc + 0x0c, 4, feats & 0xffffffff);
	vt_wr(vm, cc + 0x08, 4, 1);
	vt_wr(vm, cc + 0x0c, 4, feats >> 32);
	vt_wr(vm, cc + 0x14, 1, 0xb);
	return (uint8_t)vt_rd(vm, cc + 0x14, 1);
}

static void __attribute__((unused))
vt_driver_ok(struct vm *vm, struct virtio_pci *vp)
{
	vt_wr(vm, VT_CC(vp) + 0x14, 1, 0xf);
}

static void __attribute__((unused))
vt_kick(struct vm *vm, struct virtio_pci *vp, int q)
{
	vt_wr(vm, vp->pci.bars[0].addr + VIRTIO_PCI_NOTIFY_OFF +
	    VIRTIO_PCI_NOTIFY_MULT * (uint64_t)q, 2, (uint64_t)q);
}

/* vt_pump: run the event loop until nothing is ready. */
static void __attribute__((unused))
vt_pump(struct vm *vm)
{
	int	i;

	for (i = 0; i < 8; i++)
		event_base_loop(vm->evbase, EVLOOP_NONBLOCK);
}

/* vt_wait_used: poll for a used entry (device threads), up to ~2s. */
static int __attribute__((unused))
vt_wait_used(struct vm *vm, struct tring *tr, uint32_t *id, uint32_t *len)
{
	int	i;

	for (i = 0; i < 2000; i++) {
		if (vm->evbase != NULL)
			event_base_loop(vm->evbase, EVLOOP_NONBLOCK);
		if (tr_get_used(tr, id, len))
			return 1;
		usleep(1000);
	}
	return 0;
}

/* vt_vm: a fake VM with RAM, a PCI host bridge and an event base. */
static void __attribute__((unused))
vt_vm(struct vm *vm)
{
	fakevm_init(vm);
	if (mem_init(&vm->mem, VT_RAM) == -1)
		abort();
	vm->evbase = event_base_new();
	if (pci_init(vm) == -1)
		abort();
}

#endif
