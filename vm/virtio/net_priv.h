/* SPDX-License-Identifier: ISC */
/*
 * virtio-net's state and constants, shared by its device (net.c: config,
 * transmit, offloads, the local interface) and its receive path
 * (net_rx.c).
 */
#ifndef VM_VIRTIO_NET_PRIV_H
#define VM_VIRTIO_NET_PRIV_H

#include <sys/uio.h>

#include <event2/event.h>
#include <stdint.h>

#include "vm/net/dhcp.h"
#include "vm/net/tapio.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/virtio.h"
#include "vm/virtio/virtq.h"

#define VIRTIO_ID_NET		1
#define NET_QSIZE		256
#define NET_ROM_MAX		(1 << 20)	/* option ROM bytes */
#define NET_RXQ			0
#define NET_TXQ			1
#define NET_HDR			12	/* struct virtio_net_hdr (1.x) */
#define NET_HDR_NUMBUF		10	/* its num_buffers field */
#define NET_ETH_MIN		14
#define NET_ETH_GOOD		1518	/* 1500 bytes, a VLAN tag */
#define NET_FRAME_MAX		65550
#define NET_BURST		64	/* frames dropped per wakeup, no driver */
#define NET_BATCH		64	/* chains per tapio_run */
#ifndef NET_TX_BUDGET
#define NET_TX_BUDGET		2	/* batches per turn of the event loop */
#endif
#define NET_RX_MAX		256	/* frames per tap wakeup */
#define NET_RX_WANT_MIN		4	/* reads tried when the tap was quiet */
#define NET_POOL		1024	/* iovecs of one batch's frames */
/*
 * Mergeable buffers with a guest TSO: while frames are small, each read
 * gets chains for NET_RX_SMALL bytes and its slot's overflow area for the
 * rest of a 64 KiB frame; a frame that spills there is copied into more
 * chains, and the next NET_RX_BIG batches give each read chains for the
 * whole 64 KiB again (docs/DESIGN.md).
 */
#define NET_RX_SMALL		(NET_HDR + NET_ETH_GOOD)
#define NET_RX_BIG		16
#define NET_OVF			69632	/* a slot's overflow area */
/*
 * When the rx ring runs dry while the tap still holds frames, the device
 * may watch the avail index this long, rx kicks suppressed, before it
 * re-arms them and leaves the tap until the next kick: a driver that
 * reposts buffers as it takes frames then costs no kick (a VM exit) and
 * no wake-up. Off by default: on a 2-core host where the guest's vCPU,
 * the VMM and the sender share the CPUs, 32 us of it cost 20% of the
 * host-to-guest rate (bench/README.md); a host with cores to spare may
 * build with -DNET_POLL_NS=32000. It runs on the event thread, bounded.
 */
#ifndef NET_POLL_NS
#define NET_POLL_NS		0
#endif
/*
 * Receive coalescing, as a NIC's interrupt moderation: a tap wake-up that
 * moved NET_COAL_MIN frames or more found a stream coming, and the device
 * then leaves the tap for NET_COAL_US (a one-shot timer) and takes what
 * gathered meanwhile in one batch. A wake-up costs two context switches
 * on the CPU the sender needs too: at 10-20 frames each, the VMM's share
 * went to them and the tap's queue overflowed while the sender ran
 * (bench/README.md). A smaller batch puts the device back on the tap's
 * wake-ups at once, so light traffic waits for nothing. A tap's queue
 * (500 frames by default) holds 2.5 M frames/s for 200 us. 0 turns it
 * off.
 */
#ifndef NET_COAL_US
#define NET_COAL_US		200
#endif
#define NET_COAL_MIN		16

#define VIRTIO_NET_F_CSUM	0	/* the guest may send partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM	1	/* ... and receive them, or DATA_VALID */
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4	7	/* ... and TCP/IPv4 segments of 64 KiB */
#define VIRTIO_NET_F_GUEST_TSO6	8	/* ... and TCP/IPv6 ones */
#define VIRTIO_NET_F_GUEST_ECN	9	/* ... with ECN (CWR) */
#define VIRTIO_NET_F_HOST_TSO4	11	/* ... TCP/IPv4 to be segmented */
#define VIRTIO_NET_F_HOST_TSO6	12	/* ... TCP/IPv6 to be segmented */
#define VIRTIO_NET_F_HOST_ECN	13	/* ... with ECN (CWR) */
#define VIRTIO_NET_F_MRG_RXBUF	15	/* a frame may span rx chains */
#define VIRTIO_NET_F_STATUS	16
#define NET_HDR_F_NEEDS_CSUM	1	/* virtio_net_hdr.flags */
#define NET_HDR_F_DATA_VALID	2
#define NET_GSO_NONE		0	/* virtio_net_hdr.gso_type */
#define NET_GSO_TCPV4		1
#define NET_GSO_TCPV6		4
#define NET_GSO_ECN		0x80
#define VIRTIO_NET_S_LINK_UP	1
#define NET_CFG_SIZE		8	/* mac[6], le16 status */
#define NET_LOCAL_MAX		1518	/* larger guest frames skip DHCP */
#define NET_PENDING		4	/* DHCP/ARP replies awaiting rx buffers */
#define NET_HAS(f, bit)		(((f) >> VIRTIO_NET_F_##bit) & 1)

/*
 * One interface. Rings and counters are used on the event thread with the
 * device lock held; lladdr/locked/fd are set once in virtio_net_add.
 */
struct virtio_net {
	struct virtio_pci	 vp;
	int			 fd;
	int			 index;
	uint8_t			 lladdr[6];
	int			 locked;
	int			 vnet_hdr;	/* the tap's frames carry one */
	/* The tap's offloads towards the guest (TUN_F_*), and their setter. */
	unsigned int		 rx_off;
	int			(*tap_offload)(int, unsigned int);
	struct event		*ev;		/* tap readable */
	int			 ev_on;		/* ev added */
	int			 rx_stalled;	/* ev off: no rx buffers */
	int			 rx_coal;	/* ev off: coalescing */
	int			 coal_fd;	/* its timer, or -1 */
	struct event		*coal_ev;
	struct event		*txmore_ev;	/* tx: the next turn */
	struct virtio_net_stats	 st;
	struct virtq_chain	 chain;
	struct iovec		 iov[VIRTQ_MAX_IOV];
	uint8_t			 scratch[NET_FRAME_MAX];
	/* The batch being moved: its chains and their frames' iovecs. */
	struct tapio		*io;
	struct net_slot {
		uint16_t	 head;		/* tx */
		int		 iov;		/* first in pool, or -1: no I/O */
		int		 cnt;
		size_t		 room;		/* rx: bytes for the tap's */
		int		 ch;		/* rx: its chains in ch[] */
		int		 nch;
		size_t		 ovf;		/* rx: overflow bytes after */
	}			 slot[NET_BATCH];
	/*
	 * The rx chains popped for a batch, in ring order; the first ncarry
	 * are ones an earlier batch left unused, their iovecs the pool's
	 * first carry_iov.
	 */
	struct net_ch {
		uint16_t	 head;
		int		 iov;		/* first in pool */
		int		 cnt;
		size_t		 room;
	}			 ch[NET_QSIZE];
	int			 ncarry;
	int			 carry_iov;
	struct iovec		 pool[NET_POOL];	/* rx: kept between batches */
	/* rx: each read's iovecs, then one byte of scratch (net_rx_batch). */
	struct iovec		 rdiov[NET_POOL + NET_BATCH];
	/*
	 * rx, mergeable buffers: the reads' overflow areas (NET_BATCH of
	 * NET_OVF bytes, or NULL), written since last freed; batches left
	 * with chains for 64 KiB a read (net_rx_mode).
	 */
	uint8_t			*ovf;
	int			 ovf_dirty;
	int			 rx_big;
	/*
	 * rx: frames read but not yet in chains (the ring ran low), oldest
	 * first from park0, each whole in its overflow area (net_rx_short:
	 * the first). No read while any waits.
	 */
	struct net_park {
		uint8_t		*buf;
		size_t		 len;
	}			 parkq[NET_BATCH];
	int			 park0;
	int			 npark;
	struct iovec		 txpool[NET_POOL];
	int			 res[NET_BATCH];
	int			 rx_want;	/* reads to try next */
	/* Local interface: the DHCP server's settings, or NULL. */
	struct dhcp_config	*dhcp;
	/* Replies for the guest, oldest first, until rx buffers come. */
	uint8_t			 pend[NET_PENDING][DHCP_FRAME_MAX];
	size_t			 pendlen[NET_PENDING];
	int			 npend;
};

/*
 * net_rx: move frames from the tap into rx buffers (lock held): how many
 * it moved. net_rx_watch: the tap's wake-ups on, unless the device waits
 * for rx buffers or coalesces. net_rx_coalesce: after a wake-up that
 * moved that many frames, leave the tap to the timer for a stream, or go
 * back to its wake-ups.
 */
int	net_rx(struct virtio_net *);
void	net_rx_watch(struct virtio_net *);
void	net_rx_coalesce(struct virtio_net *, int moved);

#endif /* VM_VIRTIO_NET_PRIV_H */
