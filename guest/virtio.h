/* SPDX-License-Identifier: ISC */
/* The guest's modern virtio-pci driver core: functions, queues, memory. */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdint.h>

/* Device types (virtio 1.x, 5). */
#define VIRTIO_NET		1
#define VIRTIO_BLK		2
#define VIRTIO_RNG		4

/* Device status bits. */
#define VST_ACK			0x01
#define VST_DRIVER		0x02
#define VST_DRIVER_OK		0x04
#define VST_FEATURES_OK		0x08
#define VST_NEEDS_RESET		0x40
#define VST_FAILED		0x80

#define VF_INDIRECT		28
#define VF_EVENT_IDX		29
#define VF_VERSION_1		32

#define VD_NEXT			1
#define VD_WRITE		2
#define VD_INDIRECT		4
#define VA_NO_INTERRUPT		1
#define VU_NO_NOTIFY		1	/* used->flags: the device polls */

#define VQ_MAX			4	/* queues per function */

struct vq_desc {
	uint64_t	addr;
	uint32_t	len;
	uint16_t	flags;
	uint16_t	next;
};

/* One split queue, driven by one CPU. */
struct vq {
	uint16_t		 size;
	uint16_t		 index;
	struct vq_desc		*desc;
	volatile uint16_t	*avail;		/* flags, idx, ring[] */
	volatile uint32_t	*used;		/* idx<<16|flags, ring */
	uint16_t		 avail_idx;	/* our avail->idx */
	uint16_t		 used_seen;	/* used entries consumed */
	uint16_t		 free_head;
	uint16_t		 nfree;
	uint64_t		 notify;	/* address to write index to */
};

/* One virtio PCI function. */
struct vdev {
	int			 slot;
	uint16_t		 type;
	uint64_t		 common, notify, isr, devcfg, msix_table;
	uint32_t		 notify_mult;
	int			 msix_cap;
	uint16_t		 msix_ctrl;
	uint64_t		 offered, features;
	struct vq		 q[VQ_MAX];
};

/* Memory for rings and buffers: a bump allocator over free RAM above us. */
void		*vmem_alloc(uint64_t size, uint64_t align);
uint64_t	 vmem_mark(void);
void		 vmem_release(uint64_t);

int		 vio_find(uint16_t type, int nth, struct vdev *);
int		 vio_start(struct vdev *, uint64_t want);
int		 vio_queue(struct vdev *, int qi, uint16_t max,
		    int msix_entry);
int		 vio_driver_ok(struct vdev *);
void		 vio_reset(struct vdev *);
uint8_t		 vio_status(struct vdev *);
void		 vio_msix(struct vdev *, int entry, uint8_t vector);
void		 vio_config_vector(struct vdev *, int entry);
uint8_t		 vio_cfg8(struct vdev *, uint32_t);
uint16_t	 vio_cfg16(struct vdev *, uint32_t);
uint32_t	 vio_cfg32(struct vdev *, uint32_t);
uint64_t	 vio_cfg64(struct vdev *, uint32_t);
int		 vio_has(struct vdev *, int bit);

/* Buffers of one chain: readable ones first, then writable ones. */
struct vbuf {
	uint64_t	addr;
	uint32_t	len;
	int		write;
};
int		 vq_add(struct vq *, const struct vbuf *, int n);
void		 vq_add_raw(struct vq *, uint16_t head);
void		 vq_kick(struct vq *);
/*
 * vq_notify: kick unless the device asked to be spared the kicks
 * (VIRTQ_USED_F_NO_NOTIFY: it is still working through the ring, and
 * turns them on again before it stops). 1 if it kicked.
 */
int		 vq_notify(struct vq *);
int		 vq_poll(struct vq *, uint32_t *len);
void		 vq_free_chain(struct vq *, uint16_t head);
void		 vq_intr(struct vq *, int on);

/* check_virtio.c: the entropy device. */
int		 rng_setup(struct vdev *, int nth);
int		 rng_read(struct vdev *, uint8_t *, uint32_t, uint64_t);

/* check_net.c: the first virtio-net interface, shared by the net checks. */
#define ETH_ARP		0x0806
#define ETH_IP		0x0800
#define FRAME_MAX	1514
#define NET_F_CSUM	0		/* we may send partial checksums */
#define NET_F_GUEST_CSUM 1		/* ... and receive them */
#define NET_F_GUEST_TSO4 7		/* ... and 64 KiB TCP/IPv4 segments */
#define NET_F_MRG_RXBUF	15		/* a frame may span rx buffers */
#define NET_F_HOST_TSO4	11		/* ... and TCP/IPv4 to be segmented */
#define NET_HDR		12		/* virtio_net_hdr, 1.x */
#define NET_RXQ		0
#define NET_TXQ		1
struct netif {
	struct vdev	 v;
	int		 up;		/* 1 set up, -1 failed */
	uint8_t		 mac[6];
	uint8_t		 ip[4];		/* ours (for ARP) */
	uint8_t		*rxbuf, *txbuf;
	uint32_t	 rxsz;		/* each receive buffer's bytes */
	uint64_t	 tx_frames, tx_done, rx_frames, arp_answered;
};
extern struct netif	 netif;
int		 net_up(void);
int		 net_send(const void *, uint32_t);
int		 net_poll(uint8_t *, uint32_t *);
const uint8_t	*net_take(uint32_t *);
const uint8_t	*net_take_raw(uint32_t *);
void		 net_post_rx(void);
int		 net_arp(const uint8_t *, uint32_t);
void		 net_reclaim(void);
uint64_t	 net_bench_send(const uint8_t *, uint32_t, uint64_t,
		    uint64_t *, uint64_t *);
/* check_netoff.c: net-bench's TSO round (to host:port for ms). */
void		 netoff_bench_tso(const uint8_t[6], const uint8_t[4],
		    uint16_t, uint64_t);
uint16_t	 net_get16(const uint8_t *);
void		 net_put16(uint8_t *, uint16_t);
uint16_t	 net_cksum(uint32_t, const void *, uint32_t);
uint32_t	 net_pseudo(const uint8_t[4], const uint8_t[4], uint8_t,
		    uint32_t);
uint32_t	 net_sum(uint32_t, const void *, uint32_t);
int		 net_parse_ip(const char *, uint8_t[4]);
int		 net_ip_frame(uint8_t *, const uint8_t[6], const uint8_t[4],
		    const uint8_t[4], uint8_t, uint32_t);
int		 net_udp_frame(uint8_t *, const uint8_t[6], const uint8_t[4],
		    const uint8_t[4], uint16_t, uint16_t, const void *,
		    uint32_t);
int		 net_arp_resolve(const uint8_t[4], uint8_t[6], uint64_t);
int		 net_ping(const uint8_t[6], const uint8_t[4], uint16_t);

#endif /* GUEST_VIRTIO_H */
