/* SPDX-License-Identifier: ISC */
/*
 * virtio-net on a tap fd: rx/tx queues on the event thread, locked lladdr.
 * Both queues work in batches: every chain available (up to NET_BATCH) is
 * popped, their frames read or written with one call (vm/net/tapio.c),
 * completed together and signalled with one interrupt; kicks are
 * suppressed while the transmit ring is being drained and whenever the
 * device is not waiting for receive buffers; receive is coalesced while
 * a stream comes. Receive chains a batch did not fill stay popped for the
 * next. With a tap that carries a virtio_net_hdr, checksum and TCP
 * segmentation offloads go both ways, and a frame may span mergeable
 * receive buffers (docs/DESIGN.md, "Network offloads").
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vm/net/dhcp.h"
#include "vm/net/tapio.h"
#include "vm/vm.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/virtio.h"

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
static const uint64_t	net_poll_ns = NET_POLL_NS;
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

void
virtio_net_mac_generate(int index, uint8_t lladdr[6])
{
	lladdr[0] = 0xfe;
	lladdr[1] = 0xe1;
	lladdr[2] = 0xbb;
	lladdr[3] = (uint8_t)(0xd0 | ((index + 1) & 0xf));
	arc4random_buf(lladdr + 4, 2);
}

void
virtio_net_get_stats(struct virtio_pci *vp, struct virtio_net_stats *st)
{
	struct virtio_net	*n = vp->softc;

	*st = n->st;
	st->tap_calls = tapio_calls(n->io);
}

static void
net_cfg_read(struct virtio_pci *vp, uint32_t off, uint8_t *data, size_t len)
{
	struct virtio_net	*n = vp->softc;
	uint8_t			 cfg[NET_CFG_SIZE];

	memcpy(cfg, n->lladdr, 6);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	cfg[7] = 0;
	memcpy(data, cfg + off, len);
}

/*
 * net_iov_move: copy len bytes from src (scnt entries) to dst (dcnt);
 * the bytes copied.
 */
static size_t
net_iov_move(const struct iovec *dst, int dcnt, const struct iovec *src,
    int scnt, size_t len)
{
	size_t	done = 0, doff = 0, soff = 0, k;
	int	d = 0, s = 0;

	while (done < len && d < dcnt && s < scnt) {
		k = dst[d].iov_len - doff;
		if (k > src[s].iov_len - soff)
			k = src[s].iov_len - soff;
		if (k > len - done)
			k = len - done;
		memmove((uint8_t *)dst[d].iov_base + doff,
		    (const uint8_t *)src[s].iov_base + soff, k);
		done += k;
		if ((doff += k) == dst[d].iov_len) {
			d++;
			doff = 0;
		}
		if ((soff += k) == src[s].iov_len) {
			s++;
			soff = 0;
		}
	}
	return done;
}

/*
 * net_rx_reply: reply len bytes into a chain a batch left unused (lock
 * held). 1 if it took one (0 bytes written if it was too small), 0 if
 * there is none.
 */
static int
net_rx_reply(struct virtio_net *n, const uint8_t *reply, size_t len)
{
	struct net_ch	*ch = n->ch;
	uint8_t		 hdr[NET_HDR];
	struct iovec	 src[2] = { { hdr, sizeof(hdr) },
			    { (void *)(uintptr_t)reply, len } };
	size_t		 hl = n->vnet_hdr ? 0 : NET_HDR;
	int		 k, cnt;

	if (n->ncarry == 0)
		return 0;
	memset(hdr, 0, sizeof(hdr));
	hdr[NET_HDR_NUMBUF] = 1;
	/* Without the tap's header the chain's iovecs start after ours. */
	k = hl != 0;
	if (ch[0].room + hl < NET_HDR + len ||
	    net_iov_move(n->pool, ch[0].cnt, src + k, 2 - k, hl != 0 ? len :
	    NET_HDR + len) == 0) {
		virtio_pci_push(&n->vp, NET_RXQ, ch[0].head, 0);
		n->st.rx_dropped++;
	} else {
		virtio_pci_push(&n->vp, NET_RXQ, ch[0].head,
		    (uint32_t)(NET_HDR + len));
		n->st.rx_packets++;
	}
	cnt = ch[0].cnt;
	memmove(n->pool, n->pool + cnt, (size_t)(n->carry_iov - cnt) *
	    sizeof(n->pool[0]));
	memmove(ch, ch + 1, (size_t)(n->ncarry - 1) * sizeof(ch[0]));
	n->carry_iov -= cnt;
	n->ncarry--;
	for (k = 0; k < n->ncarry; k++)
		ch[k].iov -= cnt;
	return 1;
}

/*
 * net_rx_pending: give the guest the replies the DHCP server queued, in
 * order, in chains a batch left unused or new ones (lock held). 0 when
 * none is left, -1 while rx buffers are missing.
 */
static int
net_rx_pending(struct virtio_net *n)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq_chain	*c = &n->chain;
	uint8_t			 hdr[NET_HDR];
	size_t			 len;

	if (n->npend > 0 && !virtio_pci_ready(vp, NET_RXQ)) {
		n->st.rx_dropped += (uint64_t)n->npend;
		n->npend = 0;
	}
	while (n->npend > 0) {
		len = n->pendlen[0];
		if (net_rx_reply(n, n->pend[0], len))
			;
		else if (virtio_pci_pop(vp, NET_RXQ, c) != 1)
			return -1;
		else if (c->wlen < NET_HDR + len || c->nread != 0) {
			/* A buffer too small for a reply: skip, not fail. */
			virtio_pci_push(vp, NET_RXQ, c->head, 0);
			n->st.rx_dropped++;
		} else {
			memset(hdr, 0, sizeof(hdr));
			hdr[NET_HDR_NUMBUF] = 1;
			(void)virtq_write_buf(c, 0, hdr, sizeof(hdr));
			(void)virtq_write_buf(c, NET_HDR, n->pend[0], len);
			virtio_pci_push(vp, NET_RXQ, c->head,
			    (uint32_t)(NET_HDR + len));
			n->st.rx_packets++;
		}
		if (--n->npend > 0) {
			memmove(n->pend[0], n->pend[1],
			    (size_t)n->npend * sizeof(n->pend[0]));
			memmove(&n->pendlen[0], &n->pendlen[1],
			    (size_t)n->npend * sizeof(n->pendlen[0]));
		}
	}
	return 0;
}

/*
 * net_rx_watch: the tap's wake-ups on, unless the device waits for rx
 * buffers (a kick ends it) or coalesces (its timer ends it).
 */
static void
net_rx_watch(struct virtio_net *n)
{
	int	want = !n->rx_stalled && !n->rx_coal;

	if (n->ev == NULL || want == n->ev_on)
		return;
	if (want ? event_add(n->ev, NULL) : event_del(n->ev)) {
		log_warnx("interface %d: tap event", n->index);
		return;
	}
	n->ev_on = want;
}

/*
 * net_rx_coalesce: after a wake-up that moved moved frames: a stream
 * (NET_COAL_MIN or more) leaves the tap to the timer for NET_COAL_US, a
 * trickle goes back to the tap's wake-ups (lock held).
 */
static void
net_rx_coalesce(struct virtio_net *n, int moved)
{
	struct itimerspec	its;

	if (n->coal_ev == NULL || n->rx_stalled)
		return;
	if (moved >= NET_COAL_MIN) {
		memset(&its, 0, sizeof(its));
		its.it_value.tv_nsec = NET_COAL_US * 1000L;
		if (timerfd_settime(n->coal_fd, 0, &its, NULL) == 0) {
			n->rx_coal = 1;
			n->st.rx_coalesced++;
		}
	} else
		n->rx_coal = 0;
	net_rx_watch(n);
}

/*
 * net_rx_stall: no rx buffers: kicks on (they are off whenever the device
 * is not waiting for buffers: the tap wakes it for frames) and the tap
 * left until the driver's kick. 1 if buffers came meanwhile: then
 * nothing is left, the caller goes on.
 */
static int
net_rx_stall(struct virtio_net *n)
{
	struct virtq	*vq = &n->vp.q[NET_RXQ].vq;

	if (!virtio_pci_ready(&n->vp, NET_RXQ))
		return 0;
	if (vq->nonotify && virtq_notify(vq, 1))
		return 1;
	n->rx_stalled = 1;
	net_rx_watch(n);
	return 0;
}

/*
 * net_rx_hdr: the header a frame from the tap reaches the guest with, in
 * h (the tap's, read from the guest's buffer). With GUEST_CSUM the tap's
 * own, which the tap made from the offloads the driver took (a partial
 * checksum, DATA_VALID, a TCP segment of up to 64 KiB), if it asks for
 * nothing else; without, ours, all zero: the tap had no offload, its
 * frames are whole and checksummed, and its DATA_VALID is not for a
 * driver without GUEST_CSUM (5.1.6.4.1). num_buffers is 1 (one chain a
 * frame). 0 if the frame cannot go to this driver: one queued while the
 * tap still had offloads an earlier driver took.
 */
static int
net_rx_hdr(const struct virtio_net *n, uint8_t h[NET_HDR])
{
	uint64_t	f = n->vp.driver_features;
	uint8_t		gso = h[1] & (uint8_t)~NET_GSO_ECN;

	if (!NET_HAS(f, GUEST_CSUM)) {
		if ((h[0] & NET_HDR_F_NEEDS_CSUM) || h[1] != NET_GSO_NONE)
			return 0;
		memset(h, 0, NET_HDR);
	} else if ((h[0] & ~(NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID)) ||
	    ((h[1] & NET_GSO_ECN) && (gso == NET_GSO_NONE ||
	    !NET_HAS(f, GUEST_ECN))) ||
	    (gso == NET_GSO_TCPV4 && !NET_HAS(f, GUEST_TSO4)) ||
	    (gso == NET_GSO_TCPV6 && !NET_HAS(f, GUEST_TSO6)) ||
	    (gso != NET_GSO_NONE && gso != NET_GSO_TCPV4 &&
	    gso != NET_GSO_TCPV6))
		return 0;
	h[NET_HDR_NUMBUF] = 1;
	h[NET_HDR_NUMBUF + 1] = 0;
	return 1;
}

/*
 * net_rx_target: the bytes of buffers a read needs: one chain each (0),
 * or with MRG_RXBUF, chains enough for the largest frame the tap may
 * give: 64 KiB with a guest TSO, else a full Ethernet frame with a VLAN
 * tag (a longer one is dropped, as without MRG_RXBUF).
 */
static size_t
net_rx_target(const struct virtio_net *n)
{
	uint64_t	f = n->vp.driver_features;

	if (!NET_HAS(f, MRG_RXBUF))
		return 0;
	if (NET_HAS(f, GUEST_TSO4) || NET_HAS(f, GUEST_TSO6))
		return NET_HDR + NET_FRAME_MAX;
	return NET_HDR + NET_ETH_GOOD;
}

/*
 * net_rx_slot: the chains of read slot k, from chain nc on: the ones
 * popped earlier and still unused first (n->ch up to *popped), then new
 * ones from the ring (their iovecs from *used on), until they hold
 * target bytes (at least one chain). 1 when they do; 0 if the ring, the
 * chains or the pool ran out first (what was taken stays in the slot,
 * *nobuf set if it was the ring); -1 if the driver broke the queue.
 */
static int
net_rx_slot(struct virtio_net *n, int k, int nc, int *popped, int *used,
    size_t target, int *nobuf)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq_chain	*c = &n->chain;
	struct net_slot		*sl = &n->slot[k];
	struct net_ch		*ch;
	uint8_t			 hdr[NET_HDR];
	size_t			 hl = n->vnet_hdr ? 0 : NET_HDR;

	memset(hdr, 0, sizeof(hdr));
	hdr[NET_HDR_NUMBUF] = 1;
	sl->ch = nc;
	sl->nch = 0;
	sl->cnt = 0;
	sl->room = 0;
	do {
		ch = &n->ch[nc + sl->nch];
		if (nc + sl->nch == *popped) {
			if (*popped == NET_QSIZE ||
			    NET_POOL - *used < VIRTQ_MAX_IOV)
				return 0;
			if (virtio_pci_pop(vp, NET_RXQ, c) != 1) {
				*nobuf = 1;
				return (vp->status &
				    VIRTIO_STATUS_NEEDS_RESET) ? -1 : 0;
			}
			if (c->wlen <= NET_HDR || c->nread != 0) {
				virtio_pci_fail(vp, "rx buffer without room "
				    "for a frame");
				return -1;
			}
			ch->head = c->head;
			ch->iov = *used;
			/* The tap's header, if it has one, lands on ours. */
			ch->room = c->wlen - hl;
			ch->cnt = virtq_iov_slice(c, 1, hl, ch->room,
			    n->pool + *used, NET_POOL - *used);
			if (hl != 0)
				(void)virtq_write_buf(c, 0, hdr, sizeof(hdr));
			*used += ch->cnt;
			(*popped)++;
		}
		if (sl->nch++ == 0)
			sl->iov = ch->iov;
		sl->cnt += ch->cnt;
		sl->room += ch->room;
	} while (sl->room < target);
	return 1;
}

/*
 * net_rx_keep: chains [from, to) stay popped, unused, for the next batch:
 * moved, with their iovecs, to the end of what is kept so far (lock held).
 */
static void
net_rx_keep(struct virtio_net *n, int from, int to)
{
	struct net_ch	*ch = n->ch;

	for (; from < to; from++) {
		memmove(n->pool + n->carry_iov, n->pool + ch[from].iov,
		    (size_t)ch[from].cnt * sizeof(n->pool[0]));
		ch[n->ncarry] = ch[from];
		ch[n->ncarry++].iov = n->carry_iov;
		n->carry_iov += ch[from].cnt;
	}
}

/*
 * net_rx_batch: take rx chains for up to want reads (one chain each, or
 * with MRG_RXBUF as many as the largest frame needs; chains a batch did
 * not use first), read a frame into each with one tapio_run, and
 * complete each frame on as few of its chains as it needs (lock held).
 * The chains left over stay popped for the next batch, so each is taken
 * from the ring once. The frames moved, or -1 if the driver broke the
 * queue; *more is 1 if no read found the tap empty (it may hold more),
 * *nobuf 1 if the ring ran out of buffers.
 */
static int
net_rx_batch(struct virtio_net *n, int want, int *more, int *nobuf)
{
	struct virtio_pci	*vp = &n->vp;
	struct net_slot		*sl = n->slot;
	struct net_ch		*ch = n->ch;
	uint8_t			 h[NET_HDR];
	struct iovec		 hiov = { h, sizeof(h) };
	size_t			 hl = n->vnet_hdr ? 0 : NET_HDR, target, room;
	size_t			 left, len;
	int			 k = 0, used, nc = 0, popped, i, j, nb, got, r;

	*more = *nobuf = 0;
	target = net_rx_target(n);
	used = n->carry_iov;
	popped = n->ncarry;
	while (k < want && !*nobuf) {
		if ((r = net_rx_slot(n, k, nc, &popped, &used, target,
		    nobuf)) == -1)
			break;
		if (r == 0 && (k > 0 || sl[k].nch == 0)) {
			/* Short of a frame's room: the next batch's. */
			if (k > 0)
				*nobuf = 0;
			break;
		}
		(void)tapio_read(n->io, n->pool + sl[k].iov, sl[k].cnt);
		nc += sl[k].nch;
		k++;
		if (r == 0)
			break;		/* the first, short: alone */
	}
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET) {
		(void)tapio_run(n->io, n->res);	/* frames lost with the queue */
		n->ncarry = n->carry_iov = 0;
		return -1;
	}
	n->ncarry = n->carry_iov = 0;
	if (k == 0) {
		net_rx_keep(n, 0, popped);
		*more = 1;		/* nothing tried: the tap may hold some */
		return 0;
	}
	n->st.rx_batches++;
	(void)tapio_run(n->io, n->res);
	for (i = 0, got = 0; i < k; i++) {
		r = n->res[i];
		j = sl[i].ch;
		if (r <= (int)(NET_HDR - hl)) {
			net_rx_keep(n, j, j + sl[i].nch);
			continue;
		}
		/*
		 * A frame cut short (the tap reports its whole length), or
		 * one with a header this driver cannot take: dropped, its
		 * chains kept.
		 */
		if ((size_t)r > sl[i].room || (hl == 0 &&
		    (net_iov_move(&hiov, 1, n->pool + sl[i].iov, sl[i].cnt,
		    sizeof(h)) != sizeof(h) || !net_rx_hdr(n, h)))) {
			n->st.rx_dropped++;
			net_rx_keep(n, j, j + sl[i].nch);
			continue;
		}
		for (nb = 0, room = 0; room < (size_t)r; nb++)
			room += ch[j + nb].room;
		if (hl == 0) {
			h[NET_HDR_NUMBUF] = (uint8_t)nb;
			h[NET_HDR_NUMBUF + 1] = (uint8_t)(nb >> 8);
			(void)net_iov_move(n->pool + ch[j].iov, ch[j].cnt,
			    &hiov, 1, sizeof(h));
		}
		for (left = hl + (size_t)r; left > 0; j++) {
			len = hl + ch[j].room < left ? hl + ch[j].room : left;
			virtio_pci_push(vp, NET_RXQ, ch[j].head,
			    (uint32_t)len);
			left -= len;
		}
		net_rx_keep(n, j, sl[i].ch + sl[i].nch);
		n->st.rx_packets++;
		got++;
	}
	net_rx_keep(n, nc, popped);
	*more = got == k;
	return got;
}

static uint64_t
net_now_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * net_rx_poll: the rx ring ran dry with frames waiting: kicks off, watch
 * the avail index for net_poll_ns without the lock (the ring's host view
 * stays mapped for the VM's life). Called and returns with the lock
 * held. 1 if buffers may have come (kicks stay off; net_rx turns them on
 * before it leaves), 0 if not: kicks are on again, and the ring was
 * looked at after that, so no buffer is left without a kick or a taker.
 */
static int
net_rx_poll(struct virtio_net *n)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq		*vq = &vp->q[NET_RXQ].vq;
	const uint8_t		*avail;
	uint64_t		 t0;
	uint16_t		 last;
	unsigned		 i;
	int			 moved = 0;

	if (net_poll_ns == 0 || !virtio_pci_ready(vp, NET_RXQ))
		return 0;
	(void)virtq_notify(vq, 0);
	avail = vq->avail;
	last = vq->last_avail;
	virtio_pci_unlock(vp);
	t0 = net_now_ns();
	for (i = 0; !moved; i++) {
		if ((moved = virtq_avail_moved(avail, last)))
			break;
		if ((i & 15) == 15 && net_now_ns() - t0 >= net_poll_ns)
			break;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	virtio_pci_lock(vp);
	if (!virtio_pci_ready(vp, NET_RXQ))
		return 0;
	if (moved)
		return 1;
	return virtq_notify(vq, 1);
}

/*
 * net_rx: move frames from the tap into rx buffers (lock held): how many
 * it moved.
 */
static int
net_rx(struct virtio_net *n)
{
	struct virtio_pci	*vp = &n->vp;
	int			 i, got, total = 0, more, nobuf;

	while (n->npend > 0 && net_rx_pending(n) == -1) {
		/* Replies first: the tap waits for the next buffers. */
		if (net_rx_stall(n))
			continue;
		virtio_pci_interrupt(vp, NET_RXQ);
		return 0;
	}
	if (!virtio_pci_ready(vp, NET_RXQ)) {
		/* No driver: the wire drops what nobody takes. */
		n->ncarry = n->carry_iov = 0;
		for (i = 0; i < NET_BURST; i++) {
			if (read(n->fd, n->scratch, sizeof(n->scratch)) <= 0)
				break;
			n->st.rx_dropped++;
		}
		return 0;
	}
	while (total < NET_RX_MAX) {
		got = net_rx_batch(n, n->rx_want, &more, &nobuf);
		if (got == -1)
			break;
		total += got;
		/* As many reads next time as found frames, and then some. */
		n->rx_want = more ? n->rx_want * 2 : got + NET_RX_WANT_MIN;
		if (n->rx_want > NET_BATCH)
			n->rx_want = NET_BATCH;
		if (nobuf && more) {
			n->st.rx_dry++;
			/* Tell the driver what it has, then wait a little. */
			virtio_pci_interrupt(vp, NET_RXQ);
			if (net_rx_poll(n) || net_rx_stall(n))
				continue;
			break;
		}
		if (!more)
			break;
	}
	/* Not waiting for buffers: the driver may spare its kicks. */
	if (!n->rx_stalled && virtio_pci_ready(vp, NET_RXQ))
		(void)virtq_notify(&vp->q[NET_RXQ].vq, 0);
	virtio_pci_interrupt(vp, NET_RXQ);
	return total;
}

/*
 * net_local: offer a guest frame of len bytes (after the virtio header) to
 * the DHCP server of a local interface (lock held). 1 if it was taken (a
 * reply queued, or dropped), 0 if it goes on to the tap.
 */
static int
net_local(struct virtio_net *n, struct virtq_chain *c, size_t len)
{
	uint8_t	h[64];
	size_t	rlen, hl, ihl;
	int	v;

	/* Only ARP and IPv4 UDP to port 67 are worth a copy. */
	if (len > NET_LOCAL_MAX)
		return 0;
	hl = virtq_read_buf(c, NET_HDR, h, len < sizeof(h) ? len : sizeof(h));
	if (hl < 14 || h[12] != 0x08 || (h[13] != 0x06 && h[13] != 0x00))
		return 0;
	if (h[13] == 0x00) {
		ihl = (size_t)(h[14] & 0x0f) * 4;
		if (hl < 24 || h[23] != 17 || 14 + ihl + 4 > hl ||
		    h[14 + ihl + 2] != 0 || h[14 + ihl + 3] != 67)
			return 0;
	}
	if (virtq_read_buf(c, NET_HDR, n->scratch, len) != len)
		return 0;
	v = dhcp_input(n->dhcp, n->scratch, len, n->scratch + NET_LOCAL_MAX,
	    DHCP_FRAME_MAX, &rlen);
	switch (v) {
	case DHCP_REPLY:
		if (n->npend == NET_PENDING || rlen > DHCP_FRAME_MAX) {
			n->st.dhcp_dropped++;
			return 1;
		}
		memcpy(n->pend[n->npend], n->scratch + NET_LOCAL_MAX, rlen);
		n->pendlen[n->npend++] = rlen;
		n->st.dhcp_replies++;
		return 1;
	case DHCP_DROP:
		n->st.dhcp_dropped++;
		return 1;
	default:
		return 0;
	}
}

/*
 * net_tx_offload: the header (flags, gso_type) of a frame the guest sends
 * asks only for what it negotiated: a partial checksum (CSUM), TCP
 * segmentation (HOST_TSO4/6, which need the partial checksum too), ECN
 * with HOST_ECN. The tap's kernel checks the rest of it (its offsets and
 * sizes) as it does for any program writing to a tap.
 */
static int
net_tx_offload(const struct virtio_net *n, const uint8_t h[2])
{
	uint64_t	f = n->vp.driver_features;
	int		csum = (h[0] & NET_HDR_F_NEEDS_CSUM) != 0;

	if ((h[0] & ~NET_HDR_F_NEEDS_CSUM) != 0 ||
	    (csum && !(f & (1ULL << VIRTIO_NET_F_CSUM))) ||
	    ((h[1] & NET_GSO_ECN) && !(f & (1ULL << VIRTIO_NET_F_HOST_ECN))))
		return 0;
	switch (h[1] & ~NET_GSO_ECN) {
	case NET_GSO_NONE:
		return (h[1] & NET_GSO_ECN) == 0;
	case NET_GSO_TCPV4:
		return csum && (f & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	case NET_GSO_TCPV6:
		return csum && (f & (1ULL << VIRTIO_NET_F_HOST_TSO6));
	default:
		return 0;
	}
}

/*
 * net_tx_batch: pop up to NET_BATCH tx chains, write their frames with
 * one tapio_run and complete them all (lock held). The chains taken;
 * *replies set if the DHCP server queued an answer.
 */
static int
net_tx_batch(struct virtio_net *n, int *replies)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq_chain	*c = &n->chain;
	struct net_slot		*sl = n->slot;
	uint8_t			 src[6], h[2];
	size_t			 len, hl = n->vnet_hdr ? 0 : NET_HDR;
	int			 k = 0, used = 0, nio = 0, i;

	while (k < NET_BATCH && NET_POOL - used >= VIRTQ_MAX_IOV &&
	    virtio_pci_pop(vp, NET_TXQ, c) == 1) {
		if (c->rlen < NET_HDR) {
			virtio_pci_fail(vp, "tx chain without a header");
			break;
		}
		sl[k].head = c->head;
		sl[k].iov = -1;
		len = c->rlen - NET_HDR;
		if (len < NET_ETH_MIN || len > NET_FRAME_MAX || (hl == 0 &&
		    (virtq_read_buf(c, 0, h, 2) != 2 || !net_tx_offload(n,
		    h)))) {
			n->st.tx_dropped++;
		} else if (n->locked && (virtq_read_buf(c, NET_HDR + 6, src,
		    6) != 6 || memcmp(src, n->lladdr, 6) != 0)) {
			n->st.tx_locked++;
		} else if (n->dhcp != NULL && net_local(n, c, len)) {
			*replies = 1;
		} else {
			sl[k].iov = used;
			sl[k].cnt = virtq_iov_slice(c, 0, hl, c->rlen - hl,
			    n->txpool + used, NET_POOL - used);
			(void)tapio_write(n->io, n->txpool + used, sl[k].cnt);
			used += sl[k].cnt;
			nio++;
		}
		k++;
	}
	if (nio > 0) {
		n->st.tx_batches++;
		(void)tapio_run(n->io, n->res);
	}
	for (i = 0, nio = 0; i < k; i++) {
		if (sl[i].iov != -1) {
			if (n->res[nio++] < 0)
				n->st.tx_dropped++;
			else
				n->st.tx_packets++;
		}
		virtio_pci_push(vp, NET_TXQ, sl[i].head, 0);
	}
	return k;
}

/*
 * net_tx: send the guest's frames to the tap, batch after batch until
 * the ring stays empty, kicks suppressed meanwhile (lock held). A guest
 * that refills the ring as fast as it drains would keep the event thread
 * here for good, and the tap's frames for the guest (a TCP sender's
 * ACKs), the other devices and the stop request would wait, the tap's
 * queue overflowing: after NET_TX_BUDGET batches the rest is the next
 * turn of the event loop (txmore_ev), kicks still suppressed, as a NIC's
 * poll budget.
 */
static void
net_tx(struct virtio_net *n)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq		*vq = &vp->q[NET_TXQ].vq;
	struct timeval		 now = { 0, 0 };
	int			 replies = 0, turn = 0;

	if (!virtio_pci_ready(vp, NET_TXQ))
		return;
	(void)virtq_notify(vq, 0);
	for (;;) {
		if (net_tx_batch(n, &replies) > 0) {
			virtio_pci_interrupt(vp, NET_TXQ);
			if (++turn < NET_TX_BUDGET || n->txmore_ev == NULL)
				continue;
			/*
			 * A timer due now, not event_active: libevent runs
			 * what is made active during its callbacks in the
			 * same pass, before it looks at the fds again.
			 */
			n->st.tx_yields++;
			(void)event_add(n->txmore_ev, &now);
			break;
		}
		/* Dry: kicks on again, and a last look for what came. */
		if (!virtio_pci_ready(vp, NET_TXQ) || !virtq_notify(vq, 1))
			break;
	}
	if (replies && n->npend > 0)
		net_rx(n);
}

static void
net_notify(struct virtio_pci *vp, int q)
{
	struct virtio_net	*n = vp->softc;

	virtio_pci_lock(vp);
	if (q == NET_TXQ)
		net_tx(n);
	else {
		n->rx_stalled = 0;
		net_rx_watch(n);
		net_rx_coalesce(n, net_rx(n));
	}
	virtio_pci_unlock(vp);
}

static void
net_on_tap(evutil_socket_t fd, short ev, void *arg)
{
	struct virtio_net	*n = arg;

	(void)fd;
	(void)ev;
	virtio_pci_lock(&n->vp);
	net_rx_coalesce(n, net_rx(n));
	virtio_pci_unlock(&n->vp);
}

/* net_on_txmore: the next turn of a transmit burst (net_tx). */
static void
net_on_txmore(evutil_socket_t fd, short ev, void *arg)
{
	struct virtio_net	*n = arg;

	(void)fd;
	(void)ev;
	virtio_pci_lock(&n->vp);
	net_tx(n);
	virtio_pci_unlock(&n->vp);
}

/* net_on_coal: the coalescing wait is over: take what gathered. */
static void
net_on_coal(evutil_socket_t fd, short ev, void *arg)
{
	struct virtio_net	*n = arg;
	uint64_t		 v;

	(void)ev;
	(void)read(fd, &v, sizeof(v));
	virtio_pci_lock(&n->vp);
	if (n->rx_coal) {
		n->rx_coal = 0;
		net_rx_coalesce(n, net_rx(n));
	}
	virtio_pci_unlock(&n->vp);
}

static void
net_reset(struct virtio_pci *vp)
{
	struct virtio_net	*n = vp->softc;

	n->npend = 0;
	n->ncarry = n->carry_iov = 0;	/* gone with the ring */
	n->rx_stalled = 0;
	n->rx_coal = 0;
	net_rx_watch(n);
	/* The next driver may not take what this one did. */
	if (n->rx_off != 0) {
		if (n->tap_offload(n->fd, 0) == -1)
			log_warn("interface %d: tap offloads off", n->index);
		else
			n->rx_off = 0;
	}
}

/*
 * net_features_ok: the driver's features hang together (5.1.3.1: a TSO
 * needs that side's checksum offload, ECN a TSO), and the tap gives the
 * guest what it took, no more (lock held). 1, or 0 to refuse them.
 */
static int
net_features_ok(struct virtio_pci *vp)
{
	struct virtio_net	*n = vp->softc;
	uint64_t		 f = vp->driver_features;
	unsigned int		 off = 0;

	if (((NET_HAS(f, HOST_TSO4) || NET_HAS(f, HOST_TSO6)) &&
	    !NET_HAS(f, CSUM)) || (NET_HAS(f, HOST_ECN) &&
	    !NET_HAS(f, HOST_TSO4) && !NET_HAS(f, HOST_TSO6)) ||
	    ((NET_HAS(f, GUEST_TSO4) || NET_HAS(f, GUEST_TSO6)) &&
	    !NET_HAS(f, GUEST_CSUM)) || (NET_HAS(f, GUEST_ECN) &&
	    !NET_HAS(f, GUEST_TSO4) && !NET_HAS(f, GUEST_TSO6))) {
		log_debug("interface %d: driver features 0x%llx refused: an "
		    "offload without the one it needs", n->index,
		    (unsigned long long)f);
		return 0;
	}
	if (NET_HAS(f, GUEST_CSUM))
		off |= TUN_F_CSUM;
	if (NET_HAS(f, GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (NET_HAS(f, GUEST_TSO6))
		off |= TUN_F_TSO6;
	if (NET_HAS(f, GUEST_ECN))
		off |= TUN_F_TSO_ECN;
	if (off != n->rx_off) {
		if (n->tap_offload(n->fd, off) == -1) {
			log_warn("interface %d: tap offloads 0x%x", n->index,
			    off);
			return 0;
		}
		n->rx_off = off;
	}
	return 1;
}

/* net_tap_offload: the tap's offloads towards the guest (TUN_F_*). */
static int
net_tap_offload(int fd, unsigned int flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags);
}

static const struct virtio_ops net_ops = {
	.name = "virtio-net",
	.type = VIRTIO_ID_NET,
	.pci_class = 0x020000,		/* ethernet */
	.nqueues = 2,
	.qsize = NET_QSIZE,
	.cfg_size = NET_CFG_SIZE,
	.cfg_read = net_cfg_read,
	.notify = net_notify,
	.reset = net_reset,
	.features_ok = net_features_ok,
};

struct virtio_pci *
virtio_net_add(struct vm *vm, int fd, const uint8_t lladdr[6], int locked,
    int index, struct tapio *io)
{
	static const uint8_t	 zero[6];
	struct virtio_net	*n;
	int			 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("interface %d: tap", index);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	n->fd = fd;
	n->coal_fd = -1;
	n->index = index;
	n->locked = locked;
	n->rx_want = NET_RX_WANT_MIN;
	if ((n->io = io) == NULL && (n->io = tapio_prepare(0)) == NULL) {
		log_warn("%s", __func__);
		free(n);
		return NULL;
	}
	if (tapio_start(n->io, fd) == -1)
		log_warn("interface %d: io_uring (one system call per frame)",
		    index);
	if (lladdr == NULL || memcmp(lladdr, zero, 6) == 0)
		virtio_net_mac_generate(index, n->lladdr);
	else
		memcpy(n->lladdr, lladdr, 6);
	if (virtio_pci_init(vm, &n->vp, &net_ops, n,
	    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS)) == -1) {
		log_warn("interface %d: virtio-net", index);
		return NULL;
	}
	if (index == 0)
		vm->bootslot[VM_BOOTDEV_NET] = n->vp.pci.slot;
	if (vm->evbase != NULL) {
		n->ev = event_new(vm->evbase, fd, EV_READ | EV_PERSIST,
		    net_on_tap, n);
		if (n->ev == NULL || event_add(n->ev, NULL) == -1) {
			log_warnx("interface %d: event", index);
			return NULL;
		}
		n->ev_on = 1;
		if ((n->txmore_ev = event_new(vm->evbase, -1, 0,
		    net_on_txmore, n)) == NULL) {
			log_warnx("interface %d: event", index);
			return NULL;
		}
		if (NET_COAL_US > 0 && (n->coal_fd = timerfd_create(
		    CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) != -1 &&
		    ((n->coal_ev = event_new(vm->evbase, n->coal_fd,
		    EV_READ | EV_PERSIST, net_on_coal, n)) == NULL ||
		    event_add(n->coal_ev, NULL) == -1)) {
			log_warnx("interface %d: event", index);
			return NULL;
		}
	}
	log_debug("interface %d: lladdr %02x:%02x:%02x:%02x:%02x:%02x%s",
	    index, n->lladdr[0], n->lladdr[1], n->lladdr[2], n->lladdr[3],
	    n->lladdr[4], n->lladdr[5], locked ? " (locked)" : "");
	log_debug("interface %d: frames in batches, %s; receive coalescing "
	    "%s", index, tapio_uring(n->io) ? "io_uring" :
	    "one system call each", n->coal_ev != NULL ? "on" : "off");
	return &n->vp;
}

int
virtio_net_set_offload(struct virtio_pci *vp,
    int (*tap_offload)(int, unsigned int))
{
	struct virtio_net	*n = vp->softc;

	n->vnet_hdr = 1;
	n->tap_offload = tap_offload != NULL ? tap_offload : net_tap_offload;
	vp->features |= (1ULL << VIRTIO_NET_F_CSUM) |
	    (1ULL << VIRTIO_NET_F_HOST_TSO4) |
	    (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |
	    (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
	    (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
	    (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
	    (1ULL << VIRTIO_NET_F_GUEST_ECN) |
	    (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	log_debug("interface %d: the tap takes the guest's checksum and TCP "
	    "segmentation offloads", n->index);
	log_debug("interface %d: ... and gives the guest the ones its driver "
	    "takes, in mergeable buffers if it likes", n->index);
	return 0;
}

int
virtio_net_set_local(struct virtio_pci *vp, struct in_addr host,
    struct in_addr guest, const uint8_t server_mac[6])
{
	static const uint8_t	 zero[6];
	struct virtio_net	*n = vp->softc;
	struct dhcp_config	*d;
	char			 buf[INET_ADDRSTRLEN];

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	memcpy(d->guest_mac, n->lladdr, 6);
	if (server_mac == NULL || memcmp(server_mac, zero, 6) == 0)
		dhcp_server_mac(n->lladdr, d->server_mac);
	else
		memcpy(d->server_mac, server_mac, 6);
	d->host = host;
	d->guest = guest;
	d->lease = DHCP_LEASE_INFINITE;
	free(n->dhcp);
	n->dhcp = d;
	log_debug("interface %d: local, host %s", n->index,
	    inet_ntop(AF_INET, &host, buf, sizeof(buf)));
	return 0;
}

/*
 * net_option_rom: the boot ROM (iPXE) for the firmware, read whole from fd
 * into memory kept for the VM's life, behind the NIC's ROM BAR. 0 or -1.
 */
static int
net_option_rom(struct virtio_pci *vp, int fd)
{
	struct stat	 st;
	uint8_t		*rom;
	ssize_t		 n;
	size_t		 done = 0;

	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size > NET_ROM_MAX) {
		log_warnx("option ROM: not a file of 1 byte to %d KiB",
		    NET_ROM_MAX >> 10);
		return -1;
	}
	if ((rom = malloc((size_t)st.st_size)) == NULL)
		return -1;
	while (done < (size_t)st.st_size) {
		n = pread(fd, rom + done, (size_t)st.st_size - done,
		    (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warnx("option ROM: short read");
			free(rom);
			return -1;
		}
		done += (size_t)n;
	}
	if (pci_set_rom(&vp->pci, rom, done) == -1) {
		free(rom);
		return -1;
	}
	return 0;
}

int
virtio_net_init(struct vm *vm)
{
	struct vm_nic		*nic;
	struct virtio_pci	*vp;
	int			 i;

	for (i = 0; i < vm->params.nnics; i++) {
		nic = &vm->params.nics[i];
		vp = virtio_net_add(vm, nic->fd, nic->lladdr, nic->locked, i,
		    nic->io);
		nic->io = NULL;		/* the device's now */
		if (vp == NULL)
			return -1;
		if (nic->vnet_hdr && virtio_net_set_offload(vp, NULL) == -1)
			return -1;
		if (nic->local && virtio_net_set_local(vp, nic->host,
		    nic->guest, nic->server_mac) == -1)
			return -1;
		if (i == 0 && vm->params.optrom_fd != -1 &&
		    net_option_rom(vp, vm->params.optrom_fd) == -1)
			return -1;
	}
	return 0;
}
