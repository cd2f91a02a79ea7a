/* SPDX-License-Identifier: ISC */
/* A virtio-rng driver at CPL3: PCI, one virtqueue, an MSI-X interrupt. */
#include "guest.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define VIRTIO_VENDOR	0x1af4
#define VIRTIO_RNG_DEV	0x1044		/* 0x1040 + device type 4 */
#define VIRTIO_RNG_OLD	0x1005		/* transitional (QEMU's default) */
#define PCI_CMD		0x04
#define PCI_CMD_MEM	0x0002
#define PCI_CMD_MASTER	0x0004
#define PCI_STATUS_CAPS	0x0010
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define CAP_MSIX	0x11
#define CAP_VENDOR	0x09
#define VCAP_COMMON	1
#define VCAP_NOTIFY	2
#define MSIX_ENABLE	0x8000

/* The common configuration structure (virtio 1.x, 4.1.4.3). */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX_CONFIG	0x10
#define CC_STATUS	0x14
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOTIFY_OFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30
#define ST_ACK		1
#define ST_DRIVER	2
#define ST_DRIVER_OK	4
#define ST_FEATURES_OK	8
#define NO_VECTOR	0xffff
#define DESC_WRITE	2

#define QSIZE		8
#define RNG_BYTES	64
#define VEC_RNG		0x45

struct vq_desc {
	uint64_t	addr;
	uint32_t	len;
	uint16_t	flags;
	uint16_t	next;
};

/* One page each, so every part is aligned far beyond what virtio asks. */
static struct vq_desc	 vq_desc[QSIZE] __attribute__((aligned(4096)));
static volatile uint16_t vq_avail[3 + QSIZE] __attribute__((aligned(4096)));
static volatile uint32_t vq_used[1 + 2 * QSIZE + 1]
			    __attribute__((aligned(4096)));
static uint8_t		 rng_buf[RNG_BYTES] __attribute__((aligned(64)));

static uint32_t
pci_read(int dev, int off)
{
	outl(PCI_ADDR, 0x80000000U | dev << 11 | (off & 0xfc));
	return inl(PCI_DATA) >> (8 * (off & 3));
}

static void
pci_write16(int dev, int off, uint16_t v)
{
	outl(PCI_ADDR, 0x80000000U | dev << 11 | (off & 0xfc));
	outw(PCI_DATA + (off & 2), v);
}

static uint64_t
bar_addr(int dev, int bar)
{
	uint32_t	 lo = pci_read(dev, PCI_BAR0 + 4 * bar);
	uint64_t	 a = lo & ~0xfULL;

	if ((lo & 0x6) == 0x4)		/* 64-bit BAR */
		a |= (uint64_t)pci_read(dev, PCI_BAR0 + 4 * bar + 4) << 32;
	return a;
}

/*
 * check_virtio_rng: find the device on bus 0, set it up (reset, ACK,
 * DRIVER, VERSION_1, FEATURES_OK, queue 0 with MSI-X vector 0 pointing at
 * this CPU, DRIVER_OK), give it one 64-byte buffer, kick, and wait with
 * IF=1 at CPL3 for the interrupt and the used ring.
 */
void
check_virtio_rng(void)
{
	uint64_t	 common = 0, notify = 0, table = 0, t0;
	uint32_t	 mult = 0, id, v;
	uint16_t	 msix_ctrl = 0, qsize, noff;
	int		 dev, cap, msix_cap = 0, n, nonzero, got;

	for (dev = 0; dev < 32; dev++) {
		id = pci_read(dev, 0);
		if ((id & 0xffff) == VIRTIO_VENDOR &&
		    (id >> 16 == VIRTIO_RNG_DEV || id >> 16 == VIRTIO_RNG_OLD))
			break;
	}
	if (dev == 32) {
		tap_skip("virtio-rng: no device on PCI bus 0");
		return;
	}
	if (pci_read(dev, 0x06) & PCI_STATUS_CAPS)
		for (cap = pci_read(dev, PCI_CAP_PTR) & 0xfc, n = 0;
		    cap != 0 && n < 48; cap = pci_read(dev, cap + 1) & 0xfc,
		    n++) {
			v = pci_read(dev, cap) & 0xff;
			if (v == CAP_MSIX) {
				msix_cap = cap;
				msix_ctrl = pci_read(dev, cap + 2) & 0xffff;
				v = pci_read(dev, cap + 4);
				table = bar_addr(dev, v & 7) + (v & ~7U);
			} else if (v == CAP_VENDOR) {
				v = pci_read(dev, cap + 3) & 0xff;
				if (v == VCAP_COMMON)
					common = bar_addr(dev,
					    pci_read(dev, cap + 4) & 0xff) +
					    pci_read(dev, cap + 8);
				else if (v == VCAP_NOTIFY) {
					notify = bar_addr(dev,
					    pci_read(dev, cap + 4) & 0xff) +
					    pci_read(dev, cap + 8);
					mult = pci_read(dev, cap + 16);
				}
			}
		}
	if (!tap_ok(common != 0 && notify != 0 && common < 0x100000000ULL &&
	    notify < 0x100000000ULL, "virtio-rng: 00:%02x.0, common config "
	    "0x%lx, notify 0x%lx (x%u), MSI-X %s", dev, common, notify,
	    mult, msix_cap ? "yes" : "no"))
		return;
	pci_write16(dev, PCI_CMD, pci_read(dev, PCI_CMD) | PCI_CMD_MEM |
	    PCI_CMD_MASTER);

	*(volatile uint8_t *)(common + CC_STATUS) = 0;
	for (n = 0; n < 1000 && *(volatile uint8_t *)(common + CC_STATUS);
	    n++)
		;
	*(volatile uint8_t *)(common + CC_STATUS) = ST_ACK | ST_DRIVER;
	mmio_write32(common + CC_DFSELECT, 1);
	v = mmio_read32(common + CC_DF);
	mmio_write32(common + CC_GFSELECT, 1);
	mmio_write32(common + CC_GF, v & 1);	/* VERSION_1 only */
	mmio_write32(common + CC_GFSELECT, 0);
	mmio_write32(common + CC_GF, 0);
	*(volatile uint8_t *)(common + CC_STATUS) = ST_ACK | ST_DRIVER |
	    ST_FEATURES_OK;
	if (!tap_ok((v & 1) && (*(volatile uint8_t *)(common + CC_STATUS) &
	    ST_FEATURES_OK), "virtio-rng: VERSION_1 negotiated"))
		return;

	if (msix_cap) {
		mmio_write32(table + 0, 0xfee00000U | apic_lapic_id() << 12);
		mmio_write32(table + 4, 0);
		mmio_write32(table + 8, VEC_RNG);
		mmio_write32(table + 12, 0);		/* unmasked */
		pci_write16(dev, msix_cap + 2, (msix_ctrl & ~0x4000) |
		    MSIX_ENABLE);
	}
	*(volatile uint16_t *)(common + CC_MSIX_CONFIG) = NO_VECTOR;
	*(volatile uint16_t *)(common + CC_Q_SELECT) = 0;
	qsize = *(volatile uint16_t *)(common + CC_Q_SIZE);
	if (qsize > QSIZE)
		qsize = QSIZE;
	*(volatile uint16_t *)(common + CC_Q_SIZE) = qsize;
	*(volatile uint16_t *)(common + CC_Q_MSIX) = msix_cap ? 0 : NO_VECTOR;
	*(volatile uint64_t *)(common + CC_Q_DESC) = (uint64_t)vq_desc;
	*(volatile uint64_t *)(common + CC_Q_DRIVER) = (uint64_t)vq_avail;
	*(volatile uint64_t *)(common + CC_Q_DEVICE) = (uint64_t)vq_used;
	noff = *(volatile uint16_t *)(common + CC_Q_NOTIFY_OFF);
	*(volatile uint16_t *)(common + CC_Q_ENABLE) = 1;
	*(volatile uint8_t *)(common + CC_STATUS) = ST_ACK | ST_DRIVER |
	    ST_FEATURES_OK | ST_DRIVER_OK;
	if (msix_cap && *(volatile uint16_t *)(common + CC_Q_MSIX) != 0)
		printf("# virtio-rng: the device refused MSI-X vector 0\n");

	vq_desc[0].addr = (uint64_t)rng_buf;
	vq_desc[0].len = RNG_BYTES;
	vq_desc[0].flags = DESC_WRITE;
	vq_desc[0].next = 0;
	vq_avail[0] = 0;			/* flags: interrupts wanted */
	vq_avail[2] = 0;			/* ring[0] = descriptor 0 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq_avail[1] = 1;			/* idx */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t0 = time_us();
	sys(SYS_SETIF, 1, 0);
	*(volatile uint16_t *)(notify + (uint64_t)noff * mult) = 0;
	while ((irq_count[VEC_RNG] == 0 || (vq_used[0] >> 16) == 0) &&
	    time_us() - t0 < 1000000)
		cpu_relax();
	sys(SYS_SETIF, 0, 0);
	got = (vq_used[0] >> 16) == 1;
	for (n = nonzero = 0; n < RNG_BYTES; n++)
		nonzero += rng_buf[n] != 0;
	tap_ok(got && vq_used[2] == RNG_BYTES && nonzero > RNG_BYTES / 2,
	    "virtio-rng: %u bytes through the used ring (%d non-zero) in "
	    "%lu us", got ? vq_used[2] : 0, nonzero, time_us() - t0);
	if (msix_cap)
		tap_ok(irq_count[VEC_RNG] > 0, "virtio-rng: MSI-X interrupt "
		    "taken at CPL3 (vector 0x%x, %lu)", VEC_RNG,
		    irq_count[VEC_RNG]);

	*(volatile uint8_t *)(common + CC_STATUS) = 0;	/* reset */
	if (msix_cap)
		pci_write16(dev, msix_cap + 2, msix_ctrl & ~MSIX_ENABLE);
}
