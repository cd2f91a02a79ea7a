/* SPDX-License-Identifier: ISC */
/* Unit tests for the virtio PCI transport: caps, features, queues, MSI-X. */
#include <string.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"

#define BUF	0x200000ULL

/* A toy device: echoes every chain back with its writable length. */
static struct vm		vm;
static struct virtio_pci	vp;
static int			notified;

static void
toy_cfg_read(struct virtio_pci *v, uint32_t off, uint8_t *data, size_t len)
{
	size_t	i;

	(void)v;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(0xa0 + off + i);
}

static void
toy_notify(struct virtio_pci *v, int q)
{
	static struct virtq_chain	c;

	notified++;
	virtio_pci_lock(v);
	while (virtio_pci_pop(v, q, &c) == 1)
		virtio_pci_push(v, q, c.head, (uint32_t)c.wlen);
	virtio_pci_interrupt(v, q);
	virtio_pci_unlock(v);
}

static const struct virtio_ops toy_ops = {
	.name = "toy",
	.type = 4,
	.pci_class = 0xff0000,
	.nqueues = 2,
	.qsize = 64,
	.cfg_size = 8,
	.cfg_read = toy_cfg_read,
	.notify = toy_notify,
};

static void
test_config_space(int slot)
{
	uint32_t	cap, types = 0, next;
	int		n = 0, msix = 0;

	tap_is(vt_cfg_rd(&vm, slot, 0, 2), 0x1af4, "vendor 1af4");
	tap_is(vt_cfg_rd(&vm, slot, 2, 2), 0x1044, "device 1040 + type");
	tap_is(vt_cfg_rd(&vm, slot, 8, 1), 1, "revision 1");
	tap_ok(vt_cfg_rd(&vm, slot, 6, 2) & 0x10, "capability list bit");
	tap_is(vt_cfg_rd(&vm, slot, 0x10, 4), vp.pci.bars[0].addr,
	    "BAR0 is the assigned 32-bit address");
	tap_ok(vp.pci.bars[0].addr >= PLAT_MMIO32_START &&
	    vp.pci.bars[0].addr < PLAT_MMIO32_END, "BAR0 in the MMIO32 "
	    "window");
	for (cap = (uint32_t)vt_cfg_rd(&vm, slot, 0x34, 1); cap != 0 &&
	    n < 16; cap = next, n++) {
		next = (uint32_t)vt_cfg_rd(&vm, slot, cap + 1, 1);
		if (vt_cfg_rd(&vm, slot, cap, 1) == 0x11) {
			msix = 1;
			tap_is(vt_cfg_rd(&vm, slot, cap + 2, 2) & 0x7ff,
			    VIRTIO_PCI_NVEC - 1, "MSI-X table size");
			tap_is(vt_cfg_rd(&vm, slot, cap + 4, 4),
			    VIRTIO_PCI_MSIX_OFF, "MSI-X table in BAR0");
			tap_is(vt_cfg_rd(&vm, slot, cap + 8, 4),
			    VIRTIO_PCI_PBA_OFF, "PBA in BAR0");
			continue;
		}
		if (vt_cfg_rd(&vm, slot, cap, 1) != 9)
			continue;
		types |= 1U << vt_cfg_rd(&vm, slot, cap + 3, 1);
		if (vt_cfg_rd(&vm, slot, cap + 3, 1) == 2)
			tap_is(vt_cfg_rd(&vm, slot, cap + 16, 4), 4,
			    "notify_off_multiplier");
		if (vt_cfg_rd(&vm, slot, cap + 3, 1) == 4)
			tap_is(vt_cfg_rd(&vm, slot, cap + 12, 4), 8,
			    "device config length");
	}
	tap_ok(msix, "MSI-X capability found");
	tap_is(types, 0x3e, "vendor capabilities 1..5 found");
	tap_ok(n < 16, "capability list ends");
	/* PCI configuration access window: read num_queues. */
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 4, 1, 0);
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 8, 4, 0x12);
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 12, 4, 2);
	tap_is(vt_cfg_rd(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 16, 2), 2,
	    "cfg window reads num_queues");
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 8, 4, 0x16);
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_PCICFG + 16, 2, 1);
	tap_is(vt_rd(&vm, VT_CC(&vp) + 0x16, 2), 1,
	    "cfg window writes queue_select");
	vt_wr(&vm, VT_CC(&vp) + 0x16, 2, 0);
}

static void
test_features(void)
{
	uint64_t	cc = VT_CC(&vp), f;

	vt_wr(&vm, cc, 4, 0);
	f = vt_rd(&vm, cc + 4, 4);
	vt_wr(&vm, cc, 4, 1);
	f |= vt_rd(&vm, cc + 4, 4) << 32;
	tap_ok(!!(f & (1ULL << VIRTIO_F_VERSION_1)), "offers VERSION_1");
	tap_ok(!!(f & (1ULL << VIRTIO_F_EVENT_IDX)), "offers EVENT_IDX");
	tap_ok(!!(f & (1ULL << VIRTIO_F_INDIRECT_DESC)), "offers INDIRECT");
	tap_ok(!!(f & (1ULL << 3)), "offers the device's own feature");
	tap_is(vt_negotiate(&vm, &vp, 0) & 8, 0,
	    "FEATURES_OK refused without VERSION_1");
	tap_is(vt_negotiate(&vm, &vp, f | (1ULL << 40)) & 8, 0,
	    "FEATURES_OK refused for a feature not offered");
	tap_is(vt_negotiate(&vm, &vp, 1ULL << VIRTIO_F_VERSION_1), 0xb,
	    "FEATURES_OK kept with VERSION_1");
	vt_wr(&vm, cc + 0x08, 4, 0);
	vt_wr(&vm, cc + 0x0c, 4, 0xffffffff);
	tap_is(vp.driver_features, 1ULL << VIRTIO_F_VERSION_1,
	    "features frozen after FEATURES_OK");
	tap_is(vt_rd(&vm, cc + 0x12, 2), 2, "num_queues");
	vt_wr(&vm, cc + 0x16, 2, 1);
	tap_is(vt_rd(&vm, cc + 0x18, 2), 64, "queue 1 size");
	tap_is(vt_rd(&vm, cc + 0x1e, 2), 1, "queue 1 notify_off");
	vt_wr(&vm, cc + 0x16, 2, 2);
	tap_is(vt_rd(&vm, cc + 0x18, 2), 0, "queue 2 does not exist");
	tap_is(vt_rd(&vm, VT_CC(&vp) + VIRTIO_PCI_DEVCFG_OFF + 2, 2), 0xa3a2,
	    "device config read");
	tap_is(vt_rd(&vm, VT_CC(&vp) + VIRTIO_PCI_DEVCFG_OFF + 7, 2),
	    0, "device config read past its end reads 0");
}

static void
test_queue_msix(int slot)
{
	struct tring	tr;
	uint32_t	id, len;
	uint64_t	bar = vp.pci.bars[0].addr;

	vt_negotiate(&vm, &vp, (1ULL << VIRTIO_F_VERSION_1) |
	    (1ULL << VIRTIO_F_EVENT_IDX));
	tr_init(&tr, &vm.mem, 16, 0x10000);
	vt_setup_queue(&vm, &vp, 0, &tr, 1);
	tap_is(vt_rd(&vm, VT_CC(&vp) + 0x1c, 2), 1, "queue enabled");
	tap_is(vt_rd(&vm, VT_CC(&vp) + 0x1a, 2), 1, "queue vector 1");
	vt_wr(&vm, VT_CC(&vp) + 0x1a, 2, 99);
	tap_is(vt_rd(&vm, VT_CC(&vp) + 0x1a, 2), 0xffff,
	    "bad vector reads NO_VECTOR");
	vt_wr(&vm, VT_CC(&vp) + 0x1a, 2, 1);
	vt_wr(&vm, VT_CC(&vp) + 0x18, 2, 8);
	tap_is(vt_rd(&vm, VT_CC(&vp) + 0x18, 2), 16,
	    "size fixed once enabled");
	/* MSI-X vector 1 programmed, function enabled. */
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 16, 4, 0xfee00000);
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 20, 4, 0);
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 24, 4, 0x41);
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 28, 4, 0);
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_MSIX + 2, 2, 0x8000);
	tap_ok(vp.msix_enabled, "MSI-X enabled via config space");
	vt_driver_ok(&vm, &vp);
	tr_desc(&tr, 0, BUF, 100, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	memset(&vt_msi, 0, sizeof(vt_msi));
	notified = 0;
	vt_kick(&vm, &vp, 0);
	vt_pump(&vm);
	tap_is(notified, 1, "kick reached the device on the event thread");
	tap_ok(tr_get_used(&tr, &id, &len) && id == 0 && len == 100,
	    "chain completed");
	tap_ok(vt_msi.n == 1 && vt_msi.addr == 0xfee00000 &&
	    vt_msi.data == 0x41, "MSI sent with the table's address/data");
	/* Masked vector: pending bit, then delivery on unmask. */
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 28, 4, 1);
	tr_set_used_event(&tr, 1);
	tr_desc(&tr, 1, BUF, 10, TR_F_WRITE, 0);
	tr_post(&tr, 1);
	vt_kick(&vm, &vp, 0);
	vt_pump(&vm);
	tap_is(vt_msi.n, 1, "no MSI while masked");
	tap_is(vt_rd(&vm, bar + VIRTIO_PCI_PBA_OFF, 8), 2, "PBA bit 1 set");
	vt_wr(&vm, bar + VIRTIO_PCI_MSIX_OFF + 28, 4, 0);
	tap_is(vt_msi.n, 2, "pending MSI delivered on unmask");
	tap_is(vt_rd(&vm, bar + VIRTIO_PCI_PBA_OFF, 8), 0, "PBA cleared");
	/* Event index: used_event far ahead, no interrupt. */
	tr_set_used_event(&tr, 100);
	tr_get_used(&tr, &id, &len);
	tr_desc(&tr, 2, BUF, 10, TR_F_WRITE, 0);
	tr_post(&tr, 2);
	vt_kick(&vm, &vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&tr, &id, &len) && vt_msi.n == 2,
	    "used_event suppresses the interrupt");
	/* MSI-X off: INTx and ISR. */
	vt_cfg_wr(&vm, slot, VIRTIO_PCI_CAP_MSIX + 2, 2, 0);
	tr_set_used_event(&tr, 3);
	tr_desc(&tr, 3, BUF, 10, TR_F_WRITE, 0);
	tr_post(&tr, 3);
	vt_kick(&vm, &vp, 0);
	vt_pump(&vm);
	tap_ok(vp.pci.gsi >= 16 && fakevm.irq_level[vp.pci.gsi] == 1,
	    "INTx line %d raised", vp.pci.gsi);
	tap_is(vt_rd(&vm, bar + VIRTIO_PCI_ISR_OFF, 1), 1, "ISR queue bit");
	tap_ok(fakevm.irq_level[vp.pci.gsi] == 0, "ISR read lowers INTx");
	tap_is(vt_rd(&vm, bar + VIRTIO_PCI_ISR_OFF, 1), 0, "ISR cleared");
}

static void
test_bad_and_reset(void)
{
	struct tring	tr;
	uint32_t	id, len;
	uint64_t	cc = VT_CC(&vp);

	vt_negotiate(&vm, &vp, 1ULL << VIRTIO_F_VERSION_1);
	tap_is(vt_rd(&vm, cc + 0x1c, 2), 0, "reset disabled the queue");
	tap_is(vt_rd(&vm, cc + 0x18, 2), 64, "reset restored queue size");
	tr_init(&tr, &vm.mem, 8, 0x20000);
	vt_setup_queue(&vm, &vp, 1, &tr, 0xffff);
	vt_driver_ok(&vm, &vp);
	/* A loop in the chain. */
	tr_desc(&tr, 0, BUF, 10, TR_F_NEXT, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, &vp, 1);
	vt_pump(&vm);
	tap_ok(vt_rd(&vm, cc + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET,
	    "loop sets DEVICE_NEEDS_RESET");
	tap_ok(vt_rd(&vm, vp.pci.bars[0].addr + VIRTIO_PCI_ISR_OFF, 1) & 2,
	    "config change signalled");
	tap_ok(!tr_get_used(&tr, &id, &len), "nothing completed");
	tap_is(vp.nfailed, 1, "one failure counted");
	/* Reset and start over: the device works again. */
	vt_negotiate(&vm, &vp, 1ULL << VIRTIO_F_VERSION_1);
	tap_is(vt_rd(&vm, cc + 0x14, 1), 0xb, "reset cleared NEEDS_RESET");
	tr_init(&tr, &vm.mem, 8, 0x20000);
	vt_setup_queue(&vm, &vp, 1, &tr, 0xffff);
	vt_driver_ok(&vm, &vp);
	tr_desc(&tr, 0, BUF, 10, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, &vp, 1);
	vt_pump(&vm);
	tap_ok(tr_get_used(&tr, &id, &len) && len == 10, "works after reset");
	/* Rings outside RAM: enabling fails into NEEDS_RESET. */
	vt_negotiate(&vm, &vp, 1ULL << VIRTIO_F_VERSION_1);
	tr_init(&tr, &vm.mem, 8, 0x20000);
	tr.used = 0xe0000000ULL;
	vt_setup_queue(&vm, &vp, 0, &tr, 0xffff);
	tap_ok(vt_rd(&vm, cc + 0x1c, 2) == 0 && (vt_rd(&vm, cc + 0x14, 1) &
	    VIRTIO_STATUS_NEEDS_RESET), "used ring in MMIO: NEEDS_RESET");
	/* Queue size not a power of two. */
	vt_negotiate(&vm, &vp, 1ULL << VIRTIO_F_VERSION_1);
	tr_init(&tr, &vm.mem, 8, 0x20000);
	tr.size = 12;
	vt_setup_queue(&vm, &vp, 0, &tr, 0xffff);
	tap_ok(vt_rd(&vm, cc + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET,
	    "queue size 12: NEEDS_RESET");
	/* Hostile stray accesses do nothing bad. */
	vt_wr(&vm, vp.pci.bars[0].addr + 0x7ffc, 4, 0xffffffff);
	vt_wr(&vm, vp.pci.bars[0].addr + VIRTIO_PCI_NOTIFY_OFF + 0x100, 2, 9);
	vt_wr(&vm, vp.pci.bars[0].addr + VIRTIO_PCI_MSIX_OFF + 0x4f0, 8, ~0ULL);
	vt_wr(&vm, cc + 0x14, 1, 0);
	tap_is(vt_rd(&vm, cc + 0x14, 1), 0, "status 0 after reset");
}

int
main(void)
{
	vt_vm(&vm);
	if (virtio_pci_init(&vm, &vp, &toy_ops, NULL, 1ULL << 3) == -1) {
		tap_ok(0, "virtio_pci_init");
		return tap_done();
	}
	vp.msi = vt_msi_hook;
	tap_ok(vp.pci.slot > 0, "on the bus at slot %d", vp.pci.slot);
	test_config_space(vp.pci.slot);
	test_features();
	test_queue_msix(vp.pci.slot);
	test_bad_and_reset();
	return tap_done();
}
