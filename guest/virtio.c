/* SPDX-License-Identifier: ISC */
/* Modern virtio-pci at CPL3: find a function, negotiate, set up queues. */
#include "guest.h"
#include "virtio.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define VIRTIO_VENDOR	0x1af4
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
#define VCAP_ISR	3
#define VCAP_DEVICE	4
#define MSIX_ENABLE	0x8000
#define MSIX_FMASK	0x4000

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
#define NO_VECTOR	0xffff

#define BIG_ALIGN	0x200000ULL

static uint64_t	 vmem_next, vmem_limit;

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
 * vmem_init: free RAM is the larger of the gaps around the initrd in the
 * e820 RAM entry above our image (2M-aligned starts, below 3G: identity
 * mapped for CPL3).
 */
static void
vmem_init(void)
{
	const struct e820_entry	*e;
	uint64_t		 start, end = 0, rd, rdend, a;
	int			 i, n;

	start = ((uint64_t)_end + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
	e = (const struct e820_entry *)(bootparams + BP_E820_TABLE);
	n = bootparams[BP_E820_ENTRIES];
	for (i = 0; i < n && i < E820_MAX; i++)
		if (e[i].type == 1 && e[i].addr <= start &&
		    e[i].addr + e[i].size > start)
			end = e[i].addr + e[i].size;
	if (end > 0xc0000000ULL)
		end = 0xc0000000ULL;
	if (end < start)
		end = start;
	rd = bp32(BP_RAMDISK_IMAGE) |
	    (uint64_t)bp32(BP_EXT_RAMDISK_IMAGE) << 32;
	rdend = rd + (bp32(BP_RAMDISK_SIZE) |
	    (uint64_t)bp32(BP_EXT_RAMDISK_SIZE) << 32);
	vmem_next = start;
	vmem_limit = end;
	if (rdend > rd && rd < end && rdend > start) {
		a = (rdend + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
		if (a < end && end - a > (rd > start ? rd - start : 0))
			vmem_next = a;
		else
			vmem_limit = rd > start ? rd : start;
	}
}

/* vmem_alloc: zeroed memory, or NULL when RAM runs out. */
void *
vmem_alloc(uint64_t size, uint64_t align)
{
	uint64_t	 a;

	if (vmem_next == 0)
		vmem_init();
	a = (vmem_next + align - 1) & ~(align - 1);
	if (a + size > vmem_limit || a + size < a)
		return NULL;
	vmem_next = a + size;
	memset((void *)a, 0, size);
	return (void *)a;
}

uint64_t
vmem_mark(void)
{
	if (vmem_next == 0)
		vmem_init();
	return vmem_next;
}

/* vmem_release: give back everything allocated since mark. */
void
vmem_release(uint64_t mark)
{
	vmem_next = mark;
}

/* vio_map: make a structure in a BAR above 4G reachable. 0 or -1. */
static int
vio_map(uint64_t a)
{
	if (a < 0x100000000ULL)
		return 0;
	return cpu_map_range(a, a + 0x1000);
}

/*
 * vio_find: the nth (from 0) virtio function of this type on PCI bus 0,
 * its capabilities walked into v. 0, or -1 if there is none.
 */
int
vio_find(uint16_t type, int nth, struct vdev *v)
{
	static const uint16_t	 old[5] = { 0, 0x1000, 0x1001, 0, 0x1005 };
	uint32_t		 id, x, off;
	int			 dev, cap, n, bar;

	memset(v, 0, sizeof(*v));
	for (dev = 0; dev < 32; dev++) {
		id = pci_read(dev, 0);
		if ((id & 0xffff) != VIRTIO_VENDOR)
			continue;
		if (id >> 16 != 0x1040U + type &&
		    (type >= 5 || old[type] == 0 || id >> 16 != old[type]))
			continue;
		if (nth-- == 0)
			break;
	}
	if (dev == 32)
		return -1;
	v->slot = dev;
	v->type = type;
	if (!(pci_read(dev, 0x06) & PCI_STATUS_CAPS))
		return -1;
	for (cap = pci_read(dev, PCI_CAP_PTR) & 0xfc, n = 0; cap != 0 &&
	    n < 48; cap = pci_read(dev, cap + 1) & 0xfc, n++) {
		x = pci_read(dev, cap) & 0xff;
		if (x == CAP_MSIX) {
			v->msix_cap = cap;
			v->msix_ctrl = pci_read(dev, cap + 2) & 0xffff;
			x = pci_read(dev, cap + 4);
			v->msix_table = bar_addr(dev, x & 7) + (x & ~7U);
			continue;
		}
		if (x != CAP_VENDOR)
			continue;
		bar = pci_read(dev, cap + 4) & 0xff;
		off = pci_read(dev, cap + 8);
		switch (pci_read(dev, cap + 3) & 0xff) {
		case VCAP_COMMON:
			v->common = bar_addr(dev, bar) + off;
			break;
		case VCAP_NOTIFY:
			v->notify = bar_addr(dev, bar) + off;
			v->notify_mult = pci_read(dev, cap + 16);
			break;
		case VCAP_ISR:
			v->isr = bar_addr(dev, bar) + off;
			break;
		case VCAP_DEVICE:
			v->devcfg = bar_addr(dev, bar) + off;
			break;
		}
	}
	if (v->common == 0 || v->notify == 0 || vio_map(v->common) == -1 ||
	    vio_map(v->notify) == -1 || vio_map(v->isr) == -1 ||
	    vio_map(v->devcfg) == -1 || vio_map(v->msix_table) == -1)
		return -1;
	pci_write16(dev, PCI_CMD, pci_read(dev, PCI_CMD) | PCI_CMD_MEM |
	    PCI_CMD_MASTER);
	return 0;
}

static volatile uint8_t *
cc8(struct vdev *v, uint32_t off)
{
	return (volatile uint8_t *)(v->common + off);
}

static volatile uint16_t *
cc16(struct vdev *v, uint32_t off)
{
	return (volatile uint16_t *)(v->common + off);
}

uint8_t
vio_status(struct vdev *v)
{
	return *cc8(v, CC_STATUS);
}

/* vio_reset: status 0, and wait until the device says it is done. */
void
vio_reset(struct vdev *v)
{
	int	 n;

	*cc8(v, CC_STATUS) = 0;
	for (n = 0; n < 1000 && *cc8(v, CC_STATUS) != 0; n++)
		;
	memset(v->q, 0, sizeof(v->q));
}

/*
 * vio_start: reset, ACKNOWLEDGE, DRIVER, accept the offered features
 * among want (VERSION_1 always), FEATURES_OK, MSI-X on (all entries
 * masked but those vio_msix sets). 0, or -1 if the device refused.
 */
int
vio_start(struct vdev *v, uint64_t want)
{
	int	 i;

	vio_reset(v);
	*cc8(v, CC_STATUS) = VST_ACK | VST_DRIVER;
	mmio_write32(v->common + CC_DFSELECT, 0);
	v->offered = mmio_read32(v->common + CC_DF);
	mmio_write32(v->common + CC_DFSELECT, 1);
	v->offered |= (uint64_t)mmio_read32(v->common + CC_DF) << 32;
	v->features = v->offered & (want | 1ULL << VF_VERSION_1);
	mmio_write32(v->common + CC_GFSELECT, 0);
	mmio_write32(v->common + CC_GF, (uint32_t)v->features);
	mmio_write32(v->common + CC_GFSELECT, 1);
	mmio_write32(v->common + CC_GF, (uint32_t)(v->features >> 32));
	*cc8(v, CC_STATUS) = VST_ACK | VST_DRIVER | VST_FEATURES_OK;
	if (!(v->features & 1ULL << VF_VERSION_1) ||
	    !(*cc8(v, CC_STATUS) & VST_FEATURES_OK))
		return -1;
	*cc16(v, CC_MSIX_CONFIG) = NO_VECTOR;
	if (v->msix_cap) {
		for (i = 0; i <= (v->msix_ctrl & 0x7ff) && i < 8; i++)
			mmio_write32(v->msix_table + 16 * i + 12, 1);
		pci_write16(v->slot, v->msix_cap + 2, (v->msix_ctrl &
		    ~MSIX_FMASK) | MSIX_ENABLE);
	}
	return 0;
}

int
vio_has(struct vdev *v, int bit)
{
	return (v->features >> bit) & 1;
}

/* vio_msix: MSI-X table entry to the boot CPU's LAPIC with vector. */
void
vio_msix(struct vdev *v, int entry, uint8_t vector)
{
	uint64_t	 e = v->msix_table + 16 * entry;

	if (!v->msix_cap)
		return;
	mmio_write32(e + 0, 0xfee00000U | apic_lapic_id() << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);
	mmio_write32(e + 12, 0);
}

void
vio_config_vector(struct vdev *v, int entry)
{
	*cc16(v, CC_MSIX_CONFIG) = entry < 0 ? NO_VECTOR : (uint16_t)entry;
}

/*
 * vio_queue: set up queue qi with at most max entries (rings from
 * vmem_alloc), interrupts to MSI-X entry msix_entry (-1: none).
 * 0, or -1 if the device has no such queue, refused the vector or
 * RAM ran out.
 */
int
vio_queue(struct vdev *v, int qi, uint16_t max, int msix_entry)
{
	struct vq	*q = &v->q[qi];
	uint16_t	 size, noff, i;

	*cc16(v, CC_Q_SELECT) = (uint16_t)qi;
	size = *cc16(v, CC_Q_SIZE);
	if (size == 0)
		return -1;
	if (size > max)
		size = max;
	*cc16(v, CC_Q_SIZE) = size;
	q->size = size;
	q->index = (uint16_t)qi;
	q->desc = vmem_alloc(16ULL * size, 4096);
	q->avail = vmem_alloc(6 + 2ULL * size, 4096);
	q->used = vmem_alloc(6 + 8ULL * size, 4096);
	if (q->desc == NULL || q->avail == NULL || q->used == NULL)
		return -1;
	for (i = 0; i < size; i++)
		q->desc[i].next = i + 1;
	q->free_head = 0;
	q->nfree = size;
	q->avail_idx = q->used_seen = 0;
	*cc16(v, CC_Q_MSIX) = msix_entry < 0 || !v->msix_cap ? NO_VECTOR :
	    (uint16_t)msix_entry;
	if (msix_entry >= 0 && v->msix_cap &&
	    *cc16(v, CC_Q_MSIX) != (uint16_t)msix_entry)
		return -1;
	*(volatile uint64_t *)(v->common + CC_Q_DESC) = (uint64_t)q->desc;
	*(volatile uint64_t *)(v->common + CC_Q_DRIVER) = (uint64_t)q->avail;
	*(volatile uint64_t *)(v->common + CC_Q_DEVICE) = (uint64_t)q->used;
	noff = *cc16(v, CC_Q_NOTIFY_OFF);
	q->notify = v->notify + (uint64_t)noff * v->notify_mult;
	*cc16(v, CC_Q_ENABLE) = 1;
	return 0;
}

int
vio_driver_ok(struct vdev *v)
{
	*cc8(v, CC_STATUS) = VST_ACK | VST_DRIVER | VST_FEATURES_OK |
	    VST_DRIVER_OK;
	return (vio_status(v) & (VST_DRIVER_OK | VST_NEEDS_RESET)) ==
	    VST_DRIVER_OK ? 0 : -1;
}

uint8_t
vio_cfg8(struct vdev *v, uint32_t off)
{
	return *(volatile uint8_t *)(v->devcfg + off);
}

uint16_t
vio_cfg16(struct vdev *v, uint32_t off)
{
	return *(volatile uint16_t *)(v->devcfg + off);
}

uint32_t
vio_cfg32(struct vdev *v, uint32_t off)
{
	return mmio_read32(v->devcfg + off);
}

uint64_t
vio_cfg64(struct vdev *v, uint32_t off)
{
	return vio_cfg32(v, off) | (uint64_t)vio_cfg32(v, off + 4) << 32;
}

/* vq_intr: ask for interrupts (on) or not, VIRTQ_AVAIL_F_NO_INTERRUPT. */
void
vq_intr(struct vq *q, int on)
{
	q->avail[0] = on ? 0 : VA_NO_INTERRUPT;
}

/*
 * vq_add: one chain of n buffers (readable ones first), made available
 * but not kicked. The head, or -1 if there are not enough descriptors.
 */
int
vq_add(struct vq *q, const struct vbuf *b, int n)
{
	uint16_t	 head, d, last = 0;
	int		 i;

	if (n <= 0 || n > q->nfree)
		return -1;
	head = d = q->free_head;
	for (i = 0; i < n; i++) {
		q->desc[d].addr = b[i].addr;
		q->desc[d].len = b[i].len;
		q->desc[d].flags = (b[i].write ? VD_WRITE : 0) |
		    (i + 1 < n ? VD_NEXT : 0);
		last = d;
		d = q->desc[d].next;
	}
	q->free_head = q->desc[last].next;
	q->nfree -= (uint16_t)n;
	vq_add_raw(q, head);
	return head;
}

/* vq_add_raw: make the chain at head available as it stands. */
void
vq_add_raw(struct vq *q, uint16_t head)
{
	q->avail[2 + q->avail_idx % q->size] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail[1] = ++q->avail_idx;
}

void
vq_kick(struct vq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*(volatile uint16_t *)q->notify = q->index;
}

int
vq_notify(struct vq *q)
{
	/* Our avail index store before the look at the device's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (*(volatile uint16_t *)q->used & VU_NO_NOTIFY)
		return 0;
	*(volatile uint16_t *)q->notify = q->index;
	return 1;
}

/* vq_free_chain: put the descriptors of chain head back on the free list. */
void
vq_free_chain(struct vq *q, uint16_t head)
{
	uint16_t	 d = head;
	int		 n = 1;

	while ((q->desc[d].flags & VD_NEXT) && n < q->size) {
		d = q->desc[d].next;
		n++;
	}
	q->desc[d].next = q->free_head;
	q->free_head = head;
	q->nfree += (uint16_t)n;
}

/*
 * vq_poll: the next used chain: its head (descriptors freed) and the
 * bytes the device wrote in *len, or -1 if none is there yet.
 */
int
vq_poll(struct vq *q, uint32_t *len)
{
	uint32_t	 id;
	uint16_t	 slot;

	if ((uint16_t)(q->used[0] >> 16) == q->used_seen)
		return -1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	slot = q->used_seen % q->size;
	id = q->used[1 + 2 * slot];
	if (len != NULL)
		*len = q->used[2 + 2 * slot];
	q->used_seen++;
	if (id < q->size)
		vq_free_chain(q, (uint16_t)id);
	return (int)id;
}
