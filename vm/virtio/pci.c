/* SPDX-License-Identifier: ISC */
/* Virtio 1.x PCI transport: capabilities, MSI-X, features, status, queues. */
#include <sys/eventfd.h>

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vm/kvm.h"
#include "vm/vcpu.h"
#include "vm/vm.h"
#include "vm/virtio/pci.h"

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_FMASK		0x4000
#define MSIX_ENTRY_MASKED	0x1

/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* Common configuration fields (offset, size). */
#define CC_DFSELECT	0x00
#define CC_DFEATURE	0x04
#define CC_GFSELECT	0x08
#define CC_GFEATURE	0x0c
#define CC_MSIX		0x10
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_CFGGEN	0x15
#define CC_QSELECT	0x16
#define CC_QSIZE	0x18
#define CC_QMSIX	0x1a
#define CC_QENABLE	0x1c
#define CC_QNOTIFY	0x1e
#define CC_QDESC	0x20
#define CC_QAVAIL	0x28
#define CC_QUSED	0x30

static const struct {
	uint8_t	off;
	uint8_t	size;
} virtio_pci_fields[] = {
	{ CC_DFSELECT, 4 }, { CC_DFEATURE, 4 }, { CC_GFSELECT, 4 },
	{ CC_GFEATURE, 4 }, { CC_MSIX, 2 }, { CC_NUMQ, 2 }, { CC_STATUS, 1 },
	{ CC_CFGGEN, 1 }, { CC_QSELECT, 2 }, { CC_QSIZE, 2 }, { CC_QMSIX, 2 },
	{ CC_QENABLE, 2 }, { CC_QNOTIFY, 2 }, { CC_QDESC, 8 },
	{ CC_QAVAIL, 8 }, { CC_QUSED, 8 },
};

#define VIRTIO_PCI_LOG_INTERVAL_NS	1000000000ULL

static void	virtio_pci_bar_io(void *, uint64_t, int, uint8_t *, size_t);
static void	virtio_pci_reset(struct virtio_pci *);
static void	virtio_pci_bar_moved(struct pci_dev *, int, uint64_t);

void
virtio_pci_lock(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
}

void
virtio_pci_unlock(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->lock);
}

void
virtio_pci_begin(struct virtio_pci *vp)
{
	vp->busy++;
}

void
virtio_pci_end(struct virtio_pci *vp)
{
	if (--vp->busy == 0)
		pthread_cond_broadcast(&vp->idle);
}

static int
virtio_pci_kvm_msi(struct virtio_pci *vp, uint64_t addr, uint32_t data)
{
	return kvm_signal_msi(vp->vm, addr, data);
}

/* virtio_pci_entry: vector's MSI-X table entry. 1 if it is unmasked. */
static int
virtio_pci_entry(struct virtio_pci *vp, uint16_t vector, uint64_t *addr,
    uint32_t *data)
{
	uint32_t	lo, hi, ctrl;
	uint8_t		*e = vp->msix + 16 * vector;

	memcpy(&lo, e, 4);
	memcpy(&hi, e + 4, 4);
	memcpy(data, e + 8, 4);
	memcpy(&ctrl, e + 12, 4);
	*addr = (uint64_t)hi << 32 | lo;
	return !vp->msix_fmask && !(ctrl & MSIX_ENTRY_MASKED);
}

/*
 * virtio_pci_route: make vector's GSI route match (addr, data) if it
 * does not yet; 1 if the irqfd may be used. A route KVM refuses is not
 * tried again until the guest writes another message.
 */
static int
virtio_pci_route(struct virtio_pci *vp, uint16_t vector, uint64_t addr,
    uint32_t data)
{
	struct virtio_pci_vec	*v = &vp->vec[vector];

	if (v->gsi == -1 || vp->msi != virtio_pci_kvm_msi)
		return 0;
	if (v->addr == addr && v->data == data && v->routed != -1)
		return v->routed;
	v->addr = addr;
	v->data = data;
	if (kvm_msi_route(vp->vm, v->gsi, addr, data) == 0)
		v->routed = 1;
	else {
		if (!v->warned)
			log_warn("%s: %s: vector %u: MSI route (using "
			    "KVM_SIGNAL_MSI)", __func__, vp->ops->name,
			    vector);
		v->routed = 0;
		v->warned = 1;
	}
	return v->routed;
}

/* virtio_pci_msi: deliver vector's message: irqfd, else vp->msi. */
static void
virtio_pci_msi(struct virtio_pci *vp, uint16_t vector, uint64_t addr,
    uint32_t data)
{
	uint64_t	one = 1;

	if (virtio_pci_route(vp, vector, addr, data) &&
	    write(vp->vec[vector].irqfd, &one, sizeof(one)) == sizeof(one)) {
		vp->nirqfd++;
		return;
	}
	vp->nsignal++;
	if (vp->msi(vp, addr, data) == -1)
		log_warn("%s: %s: MSI", __func__, vp->ops->name);
}

/* virtio_pci_raise: MSI-X vector, or ISR bit and INTx, as enabled. */
static void
virtio_pci_raise(struct virtio_pci *vp, uint16_t vector, uint8_t isr)
{
	uint64_t	addr;
	uint32_t	data;

	if (vp->msix_enabled) {
		if (vector >= VIRTIO_PCI_NVEC)
			return;
		if (!virtio_pci_entry(vp, vector, &addr, &data)) {
			vp->pba |= 1ULL << vector;
			return;
		}
		virtio_pci_msi(vp, vector, addr, data);
		return;
	}
	vp->isr |= isr;
	if (!vp->intx_level && vp->pci.gsi != -1) {
		vp->intx_level = 1;
		(void)vcpu_irq_line(vp->vm, vp->pci.gsi, 1);
	}
}

/*
 * virtio_pci_unmasked: after a table or control write: point the GSI
 * routes of unmasked vectors at their messages (here rather than on the
 * first interrupt: KVM_SET_GSI_ROUTING is slow), then deliver what became
 * pending while masked.
 */
static void
virtio_pci_unmasked(struct virtio_pci *vp)
{
	uint64_t	addr;
	uint32_t	data;
	uint16_t	v;

	if (!vp->msix_enabled || vp->msix_fmask)
		return;
	for (v = 0; v < VIRTIO_PCI_NVEC; v++) {
		if (!virtio_pci_entry(vp, v, &addr, &data))
			continue;
		(void)virtio_pci_route(vp, v, addr, data);
		if (!(vp->pba & (1ULL << v)))
			continue;
		vp->pba &= ~(1ULL << v);
		virtio_pci_raise(vp, v, 0);
	}
}

int
virtio_pci_ready(struct virtio_pci *vp, int q)
{
	return q >= 0 && q < vp->ops->nqueues &&
	    (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(vp->status & VIRTIO_STATUS_NEEDS_RESET) &&
	    vp->q[q].enable && vp->q[q].vq.size != 0;
}

void
virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	uint64_t	now;

	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp->nfailed++;
	now = vcpu_uptime_ns(vp->vm);
	if (vp->lastlog_ns == 0 ||
	    now >= vp->lastlog_ns + VIRTIO_PCI_LOG_INTERVAL_NS) {
		vp->lastlog_ns = now == 0 ? 1 : now;
		log_warnx("%s: %s: %s; device needs reset", __func__,
		    vp->ops->name, why);
	}
	virtio_pci_config_changed(vp);
}

void
virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->cfg_gen++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_pci_raise(vp, vp->msix_config, VIRTIO_ISR_CONFIG);
}

int
virtio_pci_pop(struct virtio_pci *vp, int q, struct virtq_chain *c)
{
	char	why[96];
	int	r;

	if (!virtio_pci_ready(vp, q) || vp->resetting)
		return 0;
	if ((r = virtq_pop(&vp->q[q].vq, c)) == -1) {
		snprintf(why, sizeof(why), "queue %d: %s", q,
		    vp->q[q].vq.err);
		virtio_pci_fail(vp, why);
		return 0;
	}
	return r;
}

void
virtio_pci_push(struct virtio_pci *vp, int q, uint16_t head, uint32_t len)
{
	if (!virtio_pci_ready(vp, q))
		return;
	virtq_push(&vp->q[q].vq, head, len);
}

void
virtio_pci_interrupt(struct virtio_pci *vp, int q)
{
	if (!virtio_pci_ready(vp, q))
		return;
	if (virtq_need_interrupt(&vp->q[q].vq))
		virtio_pci_raise(vp, vp->q[q].vector, VIRTIO_ISR_QUEUE);
}

void
virtio_pci_kick(struct virtio_pci *vp, int q)
{
	uint64_t	one = 1;

	if (q < 0 || q >= vp->ops->nqueues || vp->q[q].kick_fd == -1)
		return;
	(void)write(vp->q[q].kick_fd, &one, sizeof(one));
}

/* virtio_pci_on_kick: event thread: a queue's eventfd fired. */
static void
virtio_pci_on_kick(evutil_socket_t fd, short ev, void *arg)
{
	struct virtio_pci_queue	*q = arg;
	uint64_t		 v;

	(void)ev;
	(void)read(fd, &v, sizeof(v));
	q->vp->ops->notify(q->vp, q->index);
}

static uint64_t
virtio_pci_get(struct virtio_pci *vp, int field)
{
	struct virtio_pci_queue	*q = NULL;

	if (vp->queue_select < vp->ops->nqueues)
		q = &vp->q[vp->queue_select];
	switch (field) {
	case CC_DFSELECT:
		return vp->dfselect;
	case CC_DFEATURE:
		return vp->dfselect < 2 ?
		    (uint32_t)(vp->features >> (32 * vp->dfselect)) : 0;
	case CC_GFSELECT:
		return vp->gfselect;
	case CC_GFEATURE:
		return vp->gfselect < 2 ?
		    (uint32_t)(vp->driver_features >> (32 * vp->gfselect)) : 0;
	case CC_MSIX:
		return vp->msix_config;
	case CC_NUMQ:
		return (uint64_t)vp->ops->nqueues;
	case CC_STATUS:
		return vp->status;
	case CC_CFGGEN:
		return vp->cfg_gen;
	case CC_QSELECT:
		return vp->queue_select;
	}
	if (q == NULL)
		return field == CC_QMSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (field) {
	case CC_QSIZE:
		return q->size;
	case CC_QMSIX:
		return q->vector;
	case CC_QENABLE:
		return q->enable;
	case CC_QNOTIFY:
		return (uint64_t)q->index;
	case CC_QDESC:
		return q->desc;
	case CC_QAVAIL:
		return q->avail;
	case CC_QUSED:
		return q->used;
	}
	return 0;
}

/*
 * virtio_pci_features_ok: what the driver accepted is offered, and 1.x,
 * and the device takes it.
 */
static int
virtio_pci_features_ok(struct virtio_pci *vp)
{
	if ((vp->driver_features & ~vp->features) != 0 ||
	    !(vp->driver_features & (1ULL << VIRTIO_F_VERSION_1))) {
		log_debug("%s: %s: driver features 0x%llx refused",
		    __func__, vp->ops->name,
		    (unsigned long long)vp->driver_features);
		return 0;
	}
	if (vp->ops->features_ok != NULL && !vp->ops->features_ok(vp))
		return 0;
	log_debug("%s: driver features 0x%llx (offered 0x%llx)",
	    vp->ops->name, (unsigned long long)vp->driver_features,
	    (unsigned long long)vp->features);
	return 1;
}

static void
virtio_pci_set_status(struct virtio_pci *vp, uint8_t v)
{
	int	i, was_ok;

	if (v == 0) {
		virtio_pci_reset(vp);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(vp->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !virtio_pci_features_ok(vp))
		v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	was_ok = vp->status & VIRTIO_STATUS_DRIVER_OK;
	vp->status = (uint8_t)(v | (vp->status & VIRTIO_STATUS_NEEDS_RESET));
	if (!was_ok && (v & VIRTIO_STATUS_DRIVER_OK))
		for (i = 0; i < vp->ops->nqueues; i++)
			if (vp->q[i].enable)
				virtio_pci_kick(vp, i);
}

static void
virtio_pci_queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	char	why[96];

	if (q->enable)
		return;
	if (virtq_init(&q->vq, &vp->vm->mem, q->size, q->desc, q->avail,
	    q->used, vp->driver_features) == -1) {
		snprintf(why, sizeof(why), "queue %d: %s", q->index,
		    q->vq.err);
		virtq_reset(&q->vq);
		virtio_pci_fail(vp, why);
		return;
	}
	q->enable = 1;
}

static void
virtio_pci_set(struct virtio_pci *vp, int field, uint64_t v)
{
	struct virtio_pci_queue	*q = NULL;
	int			 shift;

	if (vp->queue_select < vp->ops->nqueues)
		q = &vp->q[vp->queue_select];
	switch (field) {
	case CC_DFSELECT:
		vp->dfselect = (uint32_t)v;
		return;
	case CC_GFSELECT:
		vp->gfselect = (uint32_t)v;
		return;
	case CC_GFEATURE:
		if (vp->gfselect >= 2 ||
		    (vp->status & VIRTIO_STATUS_FEATURES_OK))
			return;
		shift = 32 * (int)vp->gfselect;
		vp->driver_features &= ~(0xffffffffULL << shift);
		vp->driver_features |= (v & 0xffffffffULL) << shift;
		return;
	case CC_MSIX:
		vp->msix_config = v < VIRTIO_PCI_NVEC ? (uint16_t)v :
		    VIRTIO_MSI_NO_VECTOR;
		return;
	case CC_STATUS:
		virtio_pci_set_status(vp, (uint8_t)v);
		return;
	case CC_QSELECT:
		vp->queue_select = (uint16_t)v;
		return;
	}
	if (q == NULL)
		return;
	switch (field) {
	case CC_QMSIX:
		q->vector = v < VIRTIO_PCI_NVEC ? (uint16_t)v :
		    VIRTIO_MSI_NO_VECTOR;
		return;
	case CC_QENABLE:
		if (v == 1)
			virtio_pci_queue_enable(vp, q);
		return;
	}
	/* Ring size and addresses are fixed once the queue is enabled. */
	if (q->enable)
		return;
	switch (field) {
	case CC_QSIZE:
		q->size = (uint16_t)v;
		break;
	case CC_QDESC:
		q->desc = v;
		break;
	case CC_QAVAIL:
		q->avail = v;
		break;
	case CC_QUSED:
		q->used = v;
		break;
	}
}

/*
 * virtio_pci_common: any access to the common configuration; every field
 * it touches is read, merged with the written bytes and stored, so
 * split or odd-sized accesses behave as bytes would.
 */
static void
virtio_pci_common(struct virtio_pci *vp, uint64_t off, int is_write,
    uint8_t *data, size_t len)
{
	uint64_t	v, f;
	size_t		i, j, lo, hi;
	int		touched;

	for (i = 0; i < sizeof(virtio_pci_fields) /
	    sizeof(virtio_pci_fields[0]); i++) {
		f = virtio_pci_fields[i].off;
		if (off >= f + virtio_pci_fields[i].size || off + len <= f)
			continue;
		v = virtio_pci_get(vp, (int)f);
		lo = off > f ? (size_t)(off - f) : 0;
		hi = off + len < f + virtio_pci_fields[i].size ?
		    (size_t)(off + len - f) : virtio_pci_fields[i].size;
		touched = 0;
		for (j = lo; j < hi; j++) {
			if (is_write) {
				v &= ~(0xffULL << (8 * j));
				v |= (uint64_t)data[f + j - off] << (8 * j);
				touched = 1;
			} else
				data[f + j - off] = (uint8_t)(v >> (8 * j));
		}
		if (touched)
			virtio_pci_set(vp, (int)f, v);
	}
}

/* virtio_pci_bar_io: BAR0, with vp->lock held (the range's bus lock). */
static void
virtio_pci_bar_io(void *arg, uint64_t off, int is_write, uint8_t *data,
    size_t len)
{
	struct virtio_pci	*vp = arg;
	uint64_t		 o, q;
	size_t			 i;

	if (off >= VIRTIO_PCI_PBA_OFF) {
		o = off - VIRTIO_PCI_PBA_OFF;
		for (i = 0; !is_write && i < len; i++)
			data[i] = o + i < 8 ?
			    (uint8_t)(vp->pba >> (8 * (o + i))) : 0;
	} else if (off >= VIRTIO_PCI_MSIX_OFF) {
		o = off - VIRTIO_PCI_MSIX_OFF;
		if (o + len > sizeof(vp->msix))
			return;
		if (!is_write) {
			memcpy(data, vp->msix + o, len);
			return;
		}
		memcpy(vp->msix + o, data, len);
		virtio_pci_unmasked(vp);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;
		if (is_write && q < (uint64_t)vp->ops->nqueues)
			virtio_pci_kick(vp, (int)q);
	} else if (off >= VIRTIO_PCI_DEVCFG_OFF) {
		o = off - VIRTIO_PCI_DEVCFG_OFF;
		if (o + len > vp->ops->cfg_size)
			return;
		if (is_write) {
			if (vp->ops->cfg_write != NULL)
				vp->ops->cfg_write(vp, (uint32_t)o, data, len);
		} else if (vp->ops->cfg_read != NULL)
			vp->ops->cfg_read(vp, (uint32_t)o, data, len);
	} else if (off >= VIRTIO_PCI_ISR_OFF) {
		if (is_write || off != VIRTIO_PCI_ISR_OFF)
			return;
		data[0] = vp->isr;
		vp->isr = 0;
		if (vp->intx_level) {
			vp->intx_level = 0;
			(void)vcpu_irq_line(vp->vm, vp->pci.gsi, 0);
		}
	} else if (off < VIRTIO_PCI_COMMON_LEN)
		virtio_pci_common(vp, off, is_write, data, len);
}

static void
virtio_pci_reset(struct virtio_pci *vp)
{
	struct virtio_pci_queue	*q;
	int			 i;

	/*
	 * Let requests in flight finish (nothing may land after reset), and
	 * take no new ones meanwhile, whatever other vCPUs post.
	 */
	vp->resetting = 1;
	while (vp->busy > 0)
		pthread_cond_wait(&vp->idle, &vp->lock);
	vp->resetting = 0;
	vp->status = 0;
	vp->driver_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	if (vp->intx_level) {
		vp->intx_level = 0;
		(void)vcpu_irq_line(vp->vm, vp->pci.gsi, 0);
	}
	for (i = 0; i < vp->ops->nqueues; i++) {
		q = &vp->q[i];
		virtq_reset(&q->vq);
		q->size = vp->ops->qsize;
		q->vector = VIRTIO_MSI_NO_VECTOR;
		q->enable = 0;
		q->desc = q->avail = q->used = 0;
	}
	if (vp->ops->reset != NULL)
		vp->ops->reset(vp);
}

/* virtio_pci_cap: one vendor capability pointing into BAR0. */
static void
virtio_pci_cap(struct pci_dev *d, uint32_t at, uint8_t next, uint8_t len,
    uint8_t type, uint32_t off, uint32_t size)
{
	pci_cfg_set8(d, at, PCI_CAP_ID_VNDR);
	pci_cfg_set8(d, at + 1, next);
	pci_cfg_set8(d, at + 2, len);
	pci_cfg_set8(d, at + 3, type);
	pci_cfg_set8(d, at + 4, 0);		/* BAR0 */
	pci_cfg_set32(d, at + 8, off);
	pci_cfg_set32(d, at + 12, size);
}

/* The PCI configuration access window (cfg_type 5). */
#define PCICFG_BAR	(VIRTIO_PCI_CAP_PCICFG + 4)
#define PCICFG_OFF	(VIRTIO_PCI_CAP_PCICFG + 8)
#define PCICFG_LEN	(VIRTIO_PCI_CAP_PCICFG + 12)
#define PCICFG_DATA	(VIRTIO_PCI_CAP_PCICFG + 16)

/* virtio_pci_window: the BAR access the window describes, or 0 bytes. */
static size_t
virtio_pci_window(struct pci_dev *d, uint64_t *off)
{
	uint32_t	len;

	len = pci_cfg_get(d, PCICFG_LEN, 4);
	*off = pci_cfg_get(d, PCICFG_OFF, 4);
	if (d->cfg[PCICFG_BAR] != 0 || (len != 1 && len != 2 && len != 4) ||
	    *off % len != 0 || *off + len > VIRTIO_PCI_BAR_SIZE)
		return 0;
	return len;
}

static void
virtio_pci_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data,
    size_t len)
{
	struct virtio_pci	*vp = d->arg;
	uint8_t			 buf[4];
	uint64_t		 boff;
	size_t			 n;

	memcpy(data, d->cfg + off, len);
	if (off < PCICFG_DATA || off >= PCICFG_DATA + 4)
		return;
	if ((n = virtio_pci_window(d, &boff)) == 0)
		return;
	memset(buf, 0, sizeof(buf));
	virtio_pci_lock(vp);
	virtio_pci_bar_io(vp, boff, 0, buf, n);
	virtio_pci_unlock(vp);
	memcpy(data, buf + (off - PCICFG_DATA), len);
}

static void
virtio_pci_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data,
    size_t len)
{
	struct virtio_pci	*vp = d->arg;
	uint8_t			 buf[4];
	uint64_t		 boff;
	uint16_t		 ctrl;
	size_t			 i, n;

	for (i = 0; i < len; i++) {
		uint32_t	o = off + (uint32_t)i;

		if (o == VIRTIO_PCI_CAP_MSIX + 3)
			d->cfg[o] = (uint8_t)((d->cfg[o] & 0x3f) |
			    (data[i] & 0xc0));
		else if (o == PCICFG_BAR || (o >= PCICFG_OFF &&
		    o < PCICFG_DATA + 4))
			d->cfg[o] = data[i];
	}
	if (off <= VIRTIO_PCI_CAP_MSIX + 3 &&
	    off + len > VIRTIO_PCI_CAP_MSIX + 3) {
		ctrl = (uint16_t)pci_cfg_get(d, VIRTIO_PCI_CAP_MSIX + 2, 2);
		virtio_pci_lock(vp);
		if (vp->msix_enabled != ((ctrl & MSIX_CTRL_ENABLE) != 0))
			log_debug("%s: %s: MSI-X %s", __func__, vp->ops->name,
			    ctrl & MSIX_CTRL_ENABLE ? "enabled" : "disabled");
		vp->msix_enabled = (ctrl & MSIX_CTRL_ENABLE) != 0;
		vp->msix_fmask = (ctrl & MSIX_CTRL_FMASK) != 0;
		virtio_pci_unmasked(vp);
		virtio_pci_unlock(vp);
	}
	if (off >= PCICFG_DATA && off < PCICFG_DATA + 4 &&
	    (n = virtio_pci_window(d, &boff)) != 0) {
		memcpy(buf, d->cfg + PCICFG_DATA, 4);
		virtio_pci_lock(vp);
		virtio_pci_bar_io(vp, boff, 1, buf, n);
		virtio_pci_unlock(vp);
	}
}

/* virtio_pci_build: identity, capability list and BAR of the function. */
static void
virtio_pci_build(struct virtio_pci *vp)
{
	struct pci_dev	*d = &vp->pci;
	uint8_t		 isr_next;

	d->name = vp->ops->name;
	d->arg = vp;
	d->bar_moved = virtio_pci_bar_moved;
	d->cfg_read = virtio_pci_cfg_read;
	d->cfg_write = virtio_pci_cfg_write;
	pci_cfg_set16(d, PCI_CFG_VENDOR, VIRTIO_PCI_VENDOR);
	pci_cfg_set16(d, PCI_CFG_DEVICE,
	    (uint16_t)(VIRTIO_PCI_DEVICE_BASE + vp->ops->type));
	pci_cfg_set8(d, PCI_CFG_REVISION, 1);		/* modern only */
	pci_cfg_set8(d, PCI_CFG_CLASS, vp->ops->pci_class & 0xff);
	pci_cfg_set16(d, PCI_CFG_CLASS + 1,
	    (uint16_t)(vp->ops->pci_class >> 8));
	pci_cfg_set16(d, PCI_CFG_SUBVENDOR, VIRTIO_PCI_VENDOR);
	pci_cfg_set16(d, PCI_CFG_SUBSYSTEM, 0x40);	/* non-transitional */
	pci_cfg_set8(d, PCI_CFG_INTR_PIN, 1);		/* INTA */
	pci_cfg_set8(d, PCI_CFG_CAP_PTR, VIRTIO_PCI_CAP_MSIX);

	pci_cfg_set8(d, VIRTIO_PCI_CAP_MSIX, PCI_CAP_ID_MSIX);
	pci_cfg_set8(d, VIRTIO_PCI_CAP_MSIX + 1, VIRTIO_PCI_CAP_COMMON);
	pci_cfg_set16(d, VIRTIO_PCI_CAP_MSIX + 2, VIRTIO_PCI_NVEC - 1);
	pci_cfg_set32(d, VIRTIO_PCI_CAP_MSIX + 4, VIRTIO_PCI_MSIX_OFF);
	pci_cfg_set32(d, VIRTIO_PCI_CAP_MSIX + 8, VIRTIO_PCI_PBA_OFF);

	virtio_pci_cap(d, VIRTIO_PCI_CAP_COMMON, VIRTIO_PCI_CAP_NOTIFY, 16,
	    VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
	    VIRTIO_PCI_COMMON_LEN);
	virtio_pci_cap(d, VIRTIO_PCI_CAP_NOTIFY, VIRTIO_PCI_CAP_ISR, 20,
	    VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
	    VIRTIO_PCI_NOTIFY_MULT * (uint32_t)vp->ops->nqueues);
	pci_cfg_set32(d, VIRTIO_PCI_CAP_NOTIFY + 16, VIRTIO_PCI_NOTIFY_MULT);
	isr_next = vp->ops->cfg_size > 0 ? VIRTIO_PCI_CAP_DEVICE :
	    VIRTIO_PCI_CAP_PCICFG;
	virtio_pci_cap(d, VIRTIO_PCI_CAP_ISR, isr_next, 16,
	    VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1);
	if (vp->ops->cfg_size > 0)
		virtio_pci_cap(d, VIRTIO_PCI_CAP_DEVICE, VIRTIO_PCI_CAP_PCICFG,
		    16, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF,
		    vp->ops->cfg_size);
	virtio_pci_cap(d, VIRTIO_PCI_CAP_PCICFG, 0, 20,
	    VIRTIO_PCI_CAP_PCI_CFG, 0, 0);

	d->bars[0].type = PCI_BAR_MEM32;
	d->bars[0].size = VIRTIO_PCI_BAR_SIZE;
	d->bars[0].fn = virtio_pci_bar_io;
	d->bars[0].arg = vp;
	d->bars[0].lock = &vp->lock;
}

/*
 * virtio_pci_bar_moved: the guest moved BAR0 (or turned its decoding off
 * or on): the queues' kick doorbells follow it into KVM's ioeventfds.
 * Until then a kick reaches the MMIO handler, which notifies as well.
 */
static void
virtio_pci_bar_moved(struct pci_dev *d, int bar, uint64_t old)
{
	struct virtio_pci	*vp = d->arg;
	struct virtio_pci_queue	*q;
	uint64_t		 off;
	int			 i;

	if (bar != 0 || vp->vm->vm_fd == -1)
		return;
	virtio_pci_lock(vp);
	for (i = 0; i < vp->ops->nqueues; i++) {
		q = &vp->q[i];
		if (q->kick_fd == -1)
			continue;
		off = VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT *
		    (uint64_t)i;
		if (q->ioeventfd && old != 0)
			(void)kvm_ioeventfd(vp->vm, old + off, 2, q->kick_fd, 1);
		q->ioeventfd = 0;
		if (d->bars[0].addr != 0 && kvm_ioeventfd(vp->vm,
		    d->bars[0].addr + off, 2, q->kick_fd, 0) == 0)
			q->ioeventfd = 1;
	}
	virtio_pci_unlock(vp);
	log_debug("%s: %s BAR0 0x%llx -> 0x%llx", __func__, vp->ops->name,
	    (unsigned long long)old, (unsigned long long)d->bars[0].addr);
}

/*
 * virtio_pci_irqfds: one GSI and irqfd per MSI-X vector, when KVM routes
 * MSIs; a vector without one uses KVM_SIGNAL_MSI.
 */
static void
virtio_pci_irqfds(struct virtio_pci *vp)
{
	struct virtio_pci_vec	*v;
	int			 i;

	if (vp->vm->vm_fd == -1 || vp->vm->routes == NULL)
		return;
	for (i = 0; i < VIRTIO_PCI_NVEC; i++) {
		v = &vp->vec[i];
		if ((v->gsi = kvm_gsi_alloc(vp->vm)) == -1 ||
		    (v->irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
		    kvm_irqfd(vp->vm, v->irqfd, v->gsi, 0) == -1) {
			log_warn("%s: %s: irqfd (using KVM_SIGNAL_MSI)",
			    __func__, vp->ops->name);
			if (v->irqfd != -1)
				close(v->irqfd);
			v->gsi = v->irqfd = -1;
			return;
		}
		v->routed = -1;		/* no route yet */
	}
}

int
virtio_pci_init(struct vm *vm, struct virtio_pci *vp,
    const struct virtio_ops *ops, void *softc, uint64_t features)
{
	struct virtio_pci_queue	*q;
	uint64_t		 addr;
	int			 i;

	if (ops->nqueues < 1 || ops->nqueues > VIRTIO_PCI_MAX_QUEUES ||
	    ops->qsize == 0 || ops->qsize > VIRTQ_MAX_SIZE ||
	    ops->cfg_size > 0x1000 || ops->notify == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(vp, 0, sizeof(*vp));
	vp->vm = vm;
	vp->ops = ops;
	vp->softc = softc;
	vp->msi = virtio_pci_kvm_msi;
	vp->features = features | (1ULL << VIRTIO_F_VERSION_1) |
	    (1ULL << VIRTIO_F_EVENT_IDX) | (1ULL << VIRTIO_F_INDIRECT_DESC);
	pthread_mutex_init(&vp->lock, NULL);
	pthread_cond_init(&vp->idle, NULL);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		q = &vp->q[i];
		q->vp = vp;
		q->index = i;
		q->kick_fd = -1;
		q->vq.mem = &vm->mem;
	}
	for (i = 0; i < VIRTIO_PCI_NVEC; i++) {
		vp->msix[16 * i + 12] = MSIX_ENTRY_MASKED;
		vp->vec[i].gsi = vp->vec[i].irqfd = -1;
	}
	virtio_pci_lock(vp);
	virtio_pci_reset(vp);
	virtio_pci_unlock(vp);
	virtio_pci_build(vp);
	if (pci_add(vm, &vp->pci) == -1)
		return -1;
	for (i = 0; i < ops->nqueues; i++) {
		q = &vp->q[i];
		if ((q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) ==
		    -1) {
			log_warn("%s: %s: eventfd", __func__, ops->name);
			return -1;
		}
		addr = vp->pci.bars[0].addr + VIRTIO_PCI_NOTIFY_OFF +
		    VIRTIO_PCI_NOTIFY_MULT * (uint64_t)i;
		/* A 16-bit write of the queue index, as Linux does. */
		if (vm->vm_fd != -1 && kvm_ioeventfd(vm, addr, 2, q->kick_fd,
		    0) == 0)
			q->ioeventfd = 1;
		else if (vm->vm_fd != -1)
			log_warn("%s: %s: ioeventfd (kicks will exit)",
			    __func__, ops->name);
		if (ops->own_thread || vm->evbase == NULL)
			continue;
		q->ev = event_new(vm->evbase, q->kick_fd, EV_READ | EV_PERSIST,
		    virtio_pci_on_kick, q);
		if (q->ev == NULL || event_add(q->ev, NULL) == -1) {
			log_warnx("%s: %s: event", __func__, ops->name);
			return -1;
		}
	}
	virtio_pci_irqfds(vp);
	log_debug("%s: %s at slot %d, BAR0 0x%llx", __func__, ops->name,
	    vp->pci.slot, (unsigned long long)vp->pci.bars[0].addr);
	return 0;
}
