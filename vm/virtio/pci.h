/* SPDX-License-Identifier: ISC */
/* Virtio 1.x PCI transport: capabilities, MSI-X, features, status, queues. */
#ifndef VM_VIRTIO_PCI_H
#define VM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "vm/dev/pci.h"
#include "vm/virtio/virtq.h"

struct vm;
struct event;
struct virtio_pci;

#define VIRTIO_F_VERSION_1		32

#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

#define VIRTIO_MSI_NO_VECTOR		0xffff
#define VIRTIO_ISR_QUEUE		0x1
#define VIRTIO_ISR_CONFIG		0x2

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040	/* + virtio device type */
#define VIRTIO_PCI_MAX_QUEUES		4
#define VIRTIO_PCI_NVEC			(VIRTIO_PCI_MAX_QUEUES + 1)

/*
 * BAR0 layout (32-bit memory BAR, VIRTIO_PCI_BAR_SIZE bytes), one page per
 * structure so the notify page can be handed to KVM alone.
 */
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_COMMON_OFF		0x0000	/* struct virtio_pci_common_cfg */
#define VIRTIO_PCI_COMMON_LEN		0x38
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVCFG_OFF		0x2000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000	/* queue n at + 4 * n */
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_OFF		0x4000	/* 16 bytes per vector */
#define VIRTIO_PCI_PBA_OFF		0x5000

/* Config-space capability offsets (the list starts at 0x40). */
#define VIRTIO_PCI_CAP_MSIX		0x40
#define VIRTIO_PCI_CAP_COMMON		0x50
#define VIRTIO_PCI_CAP_NOTIFY		0x60
#define VIRTIO_PCI_CAP_ISR		0x74
#define VIRTIO_PCI_CAP_DEVICE		0x84
#define VIRTIO_PCI_CAP_PCICFG		0x94

/*
 * What a device plugs into the transport. cfg_read/cfg_write see offsets
 * into the device config (always inside cfg_size) and run with the
 * device lock held. notify runs on the thread that watches the queue's
 * kick (the event thread, or the device's own thread if own_thread),
 * without the lock. reset runs with the lock held once no request is in
 * flight. features_ok, if set, runs with the lock held when the driver
 * sets FEATURES_OK with features the transport accepts: 1 if the device
 * takes them too (and has acted on them), 0 to refuse them.
 */
struct virtio_ops {
	const char	*name;
	uint16_t	 type;		/* virtio device ID: 1 net, 2 blk, 4 rng */
	uint32_t	 pci_class;	/* class, subclass, prog-if */
	int		 nqueues;
	uint16_t	 qsize;		/* largest queue offered, power of 2 */
	uint32_t	 cfg_size;
	int		 own_thread;
	void		(*cfg_read)(struct virtio_pci *, uint32_t off,
			    uint8_t *data, size_t len);
	void		(*cfg_write)(struct virtio_pci *, uint32_t off,
			    const uint8_t *data, size_t len);
	void		(*notify)(struct virtio_pci *, int q);
	void		(*reset)(struct virtio_pci *);
	int		(*features_ok)(struct virtio_pci *);
};

struct virtio_pci_queue {
	struct virtio_pci	*vp;
	int			 index;
	struct virtq		 vq;
	uint16_t		 size;
	uint16_t		 vector;
	uint16_t		 enable;
	uint64_t		 desc, avail, used;
	int			 kick_fd;	/* eventfd: the driver kicked */
	int			 ioeventfd;	/* KVM writes kick_fd itself */
	struct event		*ev;		/* on vm->evbase, or NULL */
};

/*
 * One MSI-X vector's fast path: KVM raises gsi when irqfd is written,
 * once the GSI's MSI route holds the table entry's (addr, data). gsi -1:
 * no irqfd, KVM_SIGNAL_MSI (vp->msi) instead. routed: 1 the route holds
 * addr/data, 0 KVM refused them (vp->msi until the guest writes another
 * message), -1 no route yet.
 */
struct virtio_pci_vec {
	int			 gsi;
	int			 irqfd;
	int			 routed;
	int			 warned;	/* a refusal was logged */
	uint64_t		 addr;		/* what the route was set to */
	uint32_t		 data;
};

/*
 * One virtio PCI function. Everything below lock is guarded by it: it is
 * the BAR's bus lock, so MMIO handlers hold it; device threads take it
 * around ring work (virtio_pci_lock).
 */
struct virtio_pci {
	struct vm		*vm;
	struct pci_dev		 pci;
	const struct virtio_ops	*ops;
	void			*softc;
	pthread_mutex_t		 lock;
	pthread_cond_t		 idle;
	int			 busy;		/* requests in flight */
	int			 resetting;	/* reset waits: pop nothing */
	uint64_t		 features;	/* offered */
	uint64_t		 driver_features;
	uint32_t		 dfselect, gfselect;
	uint8_t			 status;
	uint8_t			 isr;
	uint8_t			 cfg_gen;
	uint16_t		 msix_config;
	uint16_t		 queue_select;
	struct virtio_pci_queue	 q[VIRTIO_PCI_MAX_QUEUES];
	uint8_t			 msix[VIRTIO_PCI_NVEC * 16];
	uint64_t		 pba;
	struct virtio_pci_vec	 vec[VIRTIO_PCI_NVEC];
	uint64_t		 nirqfd;	/* interrupts sent by irqfd */
	uint64_t		 nsignal;	/* ... by vp->msi */
	int			 msix_enabled;
	int			 msix_fmask;
	int			 intx_level;
	uint64_t		 lastlog_ns;
	uint64_t		 nfailed;	/* NEEDS_RESET count */
	/* Interrupt delivery; tests replace it. */
	int			(*msi)(struct virtio_pci *, uint64_t addr,
				    uint32_t data);
};

/*
 * virtio_pci_init: build the PCI function for ops (offering features plus
 * VERSION_1, EVENT_IDX and INDIRECT_DESC), put it on the bus, and wire
 * each queue's kick (ioeventfd when KVM allows, else the MMIO handler)
 * to ops->notify. vp must live as long as the VM. 0 or -1 (logged).
 */
int	virtio_pci_init(struct vm *, struct virtio_pci *,
	    const struct virtio_ops *, void *softc, uint64_t features);

void	virtio_pci_lock(struct virtio_pci *);
void	virtio_pci_unlock(struct virtio_pci *);

/* The calls below need the lock held. */
/* virtio_pci_ready: 1 if queue q may be used now (DRIVER_OK, enabled). */
int	virtio_pci_ready(struct virtio_pci *, int q);
/*
 * virtio_pci_pop: next chain of queue q into c: 1, or 0 if there is none
 * or the queue is not ready. A malformed chain sets NEEDS_RESET (one
 * rate-limited log line, a config interrupt) and returns 0.
 */
int	virtio_pci_pop(struct virtio_pci *, int q, struct virtq_chain *c);
/* virtio_pci_push: complete chain head with len bytes written. */
void	virtio_pci_push(struct virtio_pci *, int q, uint16_t head,
	    uint32_t len);
/* virtio_pci_interrupt: interrupt the driver for q if it wants one. */
void	virtio_pci_interrupt(struct virtio_pci *, int q);
/* virtio_pci_fail: the device is broken: NEEDS_RESET, log why. */
void	virtio_pci_fail(struct virtio_pci *, const char *why);
/* virtio_pci_config_changed: bump the generation, config interrupt. */
void	virtio_pci_config_changed(struct virtio_pci *);
/*
 * virtio_pci_begin/end: bracket work done without the lock on a popped
 * chain; a guest reset waits until none is in flight.
 */
void	virtio_pci_begin(struct virtio_pci *);
void	virtio_pci_end(struct virtio_pci *);
/* virtio_pci_kick: wake queue q's watcher as a driver kick would. */
void	virtio_pci_kick(struct virtio_pci *, int q);

#endif /* VM_VIRTIO_PCI_H */
