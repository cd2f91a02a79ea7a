/* SPDX-License-Identifier: ISC */
/*
 * virtio-net's receive path: frames from the tap into the guest's rx
 * chains, in batches read with one call (vm/net/tapio.c); one chain a
 * frame, or with MRG_RXBUF as many as the frame needs; the tap's header
 * passed on when the driver took the receive offloads; chains a batch
 * did not fill kept for the next; DHCP replies of a local interface;
 * receive coalescing and, built in, polling (docs/DESIGN.md).
 */
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vm/virtio/net_priv.h"

static const uint64_t	net_poll_ns = NET_POLL_NS;

/*
 * net_rx_iov_move: copy len bytes from src (scnt entries) to dst (dcnt);
 * the bytes copied.
 */
static size_t
net_rx_iov_move(const struct iovec *dst, int dcnt, const struct iovec *src,
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
	    net_rx_iov_move(n->pool, ch[0].cnt, src + k, 2 - k, hl != 0 ? len :
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
void
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
void
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
 * net_rx_pop: the next rx chain into n->chain, checked: 1, 0 if the ring
 * has none, -1 if the driver broke the queue (a chain without room for a
 * header, or one the device would read).
 */
static int
net_rx_pop(struct virtio_net *n)
{
	struct virtio_pci	*vp = &n->vp;
	struct virtq_chain	*c = &n->chain;

	if (virtio_pci_pop(vp, NET_RXQ, c) != 1)
		return (vp->status & VIRTIO_STATUS_NEEDS_RESET) ? -1 : 0;
	if (c->wlen <= NET_HDR || c->nread != 0) {
		virtio_pci_fail(vp, "rx buffer without room for a frame");
		return -1;
	}
	return 1;
}

/*
 * net_rx_push: chains from j on completed with len bytes in all (the
 * header hl before each chain's room); the chain after the last used.
 */
static int
net_rx_push(struct virtio_net *n, int j, size_t len, size_t hl)
{
	struct net_ch	*ch = n->ch;
	size_t		 k;

	for (; len > 0; j++) {
		k = hl + ch[j].room < len ? hl + ch[j].room : len;
		virtio_pci_push(&n->vp, NET_RXQ, ch[j].head, (uint32_t)k);
		len -= k;
	}
	return j;
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
	struct virtq_chain	*c = &n->chain;
	struct net_slot		*sl = &n->slot[k];
	struct net_ch		*ch;
	uint8_t			 hdr[NET_HDR];
	size_t			 hl = n->vnet_hdr ? 0 : NET_HDR;
	int			 r;

	memset(hdr, 0, sizeof(hdr));
	hdr[NET_HDR_NUMBUF] = 1;
	sl->ch = nc;
	sl->nch = 0;
	sl->cnt = 0;
	sl->room = 0;
	do {
		ch = &n->ch[nc + sl->nch];
		if (nc + sl->nch == *popped) {
			/* A read's iovecs and its scratch byte: IOV_MAX. */
			if (*popped == NET_QSIZE ||
			    NET_POOL - 1 - *used < VIRTQ_MAX_IOV)
				return 0;
			if ((r = net_rx_pop(n)) != 1) {
				*nobuf = r == 0;
				return r;
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
 * net_rx_unpark: the parked frames, oldest first, into chains, those
 * kept first, then new ones from the ring (lock held). 1 when none is
 * left, 0 if chains do not hold the next yet (those taken stay kept), -1
 * if the driver broke the queue.
 */
static int
net_rx_unpark(struct virtio_net *n)
{
	struct net_park	*p;
	struct net_slot	*sl = &n->slot[0];
	struct iovec	 src;
	int		 used, popped, nobuf, r;

	for (; n->npark > 0; n->park0++, n->npark--) {
		p = &n->parkq[n->park0];
		used = n->carry_iov;
		popped = n->ncarry;
		nobuf = 0;
		if ((r = net_rx_slot(n, 0, 0, &popped, &used, p->len,
		    &nobuf)) == -1) {
			n->ncarry = n->carry_iov = 0;
			n->park0 = n->npark = 0;
			return -1;
		}
		if (r == 0) {
			n->ncarry = popped;
			n->carry_iov = used;
			return 0;
		}
		p->buf[NET_HDR_NUMBUF] = (uint8_t)sl->nch;
		p->buf[NET_HDR_NUMBUF + 1] = (uint8_t)(sl->nch >> 8);
		src.iov_base = p->buf;
		src.iov_len = p->len;
		(void)net_rx_iov_move(n->pool + sl->iov, sl->cnt, &src, 1,
		    p->len);
		(void)net_rx_push(n, 0, p->len, 0);
		n->ncarry = n->carry_iov = 0;
		net_rx_keep(n, sl->nch, popped);
		n->st.rx_packets++;
	}
	n->park0 = 0;
	return 1;
}

/*
 * net_rx_short: the ring holds less than the largest frame the tap may
 * give (mergeable buffers; every chain popped is kept): read one frame
 * into the first overflow area and park it there until chains hold it
 * (lock held). A frame read into chains too short for it would be lost.
 * As net_rx_batch; *nobuf is 1 while the frame waits for buffers.
 */
static int
net_rx_short(struct virtio_net *n, int *more, int *nobuf)
{
	struct iovec	 iov = { n->ovf, NET_OVF };
	int		 r;

	*more = 1;
	*nobuf = 0;
	(void)tapio_read(n->io, &iov, 1);
	(void)tapio_run(n->io, n->res);
	r = n->res[0];
	if (r <= NET_HDR) {
		*more = 0;
		return 0;
	}
	n->st.rx_batches++;
	if ((size_t)r > NET_HDR + NET_FRAME_MAX || !net_rx_hdr(n, n->ovf)) {
		n->st.rx_dropped++;
		return 0;
	}
	n->ovf_dirty = 1;
	n->parkq[0].buf = n->ovf;
	n->parkq[0].len = (size_t)r;
	n->park0 = 0;
	n->npark = 1;
	if ((r = net_rx_unpark(n)) == 0)
		*nobuf = 1;
	return r;
}

/*
 * net_rx_spill: the len bytes of a frame that spilled past its chains
 * into its overflow area, copied into more chains from the ring, their
 * heads and lengths to heads[] and lens[] (lock held). How many, or -1
 * if the ring ran out first (those taken are given back) or the driver
 * broke the queue.
 */
static int
net_rx_spill(struct virtio_net *n, const uint8_t *src, size_t len,
    uint16_t *heads, uint32_t *lens)
{
	struct virtq_chain	*c = &n->chain;
	size_t			 k;
	int			 nx = 0;

	while (len > 0) {
		if (nx == NET_QSIZE || net_rx_pop(n) != 1) {
			while (nx-- > 0)
				virtq_unpop(&n->vp.q[NET_RXQ].vq);
			return -1;
		}
		k = c->wlen < len ? c->wlen : len;
		(void)virtq_write_buf(c, 0, src, k);
		heads[nx] = c->head;
		lens[nx++] = (uint32_t)k;
		src += k;
		len -= k;
	}
	return nx;
}

/*
 * net_rx_park_slot: frame i of the batch (r bytes: its first part in its
 * slot's chains, the rest, if it spilled, at the start of its overflow
 * area) made whole in that area, under header h (net_rx_hdr's), and
 * queued behind the parked ones; its chains stay kept.
 */
static void
net_rx_park_slot(struct virtio_net *n, int i, size_t r,
    const uint8_t h[NET_HDR])
{
	struct net_slot	*sl = &n->slot[i];
	uint8_t		*area = n->ovf + (size_t)i * NET_OVF;
	size_t		 head = r < sl->room ? r : sl->room;
	struct iovec	 dst = { area, head };

	memmove(area + head, area, r - head);
	(void)net_rx_iov_move(&dst, 1, n->pool + sl->iov, sl->cnt, head);
	memcpy(area, h, NET_HDR);
	n->parkq[n->park0 + n->npark].buf = area;
	n->parkq[n->park0 + n->npark].len = r;
	n->npark++;
	n->ovf_dirty = 1;
}

/*
 * net_rx_mode: the bytes of chains each read of this batch gets (one
 * chain each if 0), and *ovf 1 if reads get their overflow area after
 * them: with mergeable buffers and a guest TSO, NET_RX_SMALL and an area
 * for the rest of a 64 KiB frame while frames are small, else chains for
 * the whole target. Frees the areas' pages when they go unused again.
 */
static size_t
net_rx_mode(struct virtio_net *n, size_t target, int *ovf)
{
	*ovf = 0;
	if (target <= NET_RX_SMALL || n->ovf == NULL || n->rx_big > 0)
		return target;
	if (n->ovf_dirty) {
		(void)madvise(n->ovf, (size_t)NET_BATCH * NET_OVF,
		    MADV_DONTNEED);
		n->ovf_dirty = 0;
	}
	*ovf = 1;
	return NET_RX_SMALL;
}

/*
 * net_rx_batch: take rx chains for up to want reads (one chain each, or
 * with MRG_RXBUF chains for the largest frame, or for a full Ethernet
 * frame and the read's overflow area: net_rx_mode; chains a batch did
 * not use first), read a frame into each with one tapio_run, and
 * complete each frame on as few of its chains as it needs, one that
 * spilled on more (lock held). A frame the ring has no chains for yet,
 * and every one after it, is parked. The chains left over stay popped
 * for the next batch, so each is taken from the ring once. The frames
 * moved, or -1 if the driver broke the queue; *more is 1 if no read found
 * the tap empty (it may hold more), *nobuf 1 if the ring ran out of
 * buffers.
 */
static int
net_rx_batch(struct virtio_net *n, int want, int *more, int *nobuf)
{
	struct virtio_pci	*vp = &n->vp;
	struct net_slot		*sl = n->slot;
	struct net_ch		*ch = n->ch;
	uint8_t			 h[NET_HDR];
	struct iovec		 hiov = { h, sizeof(h) };
	struct iovec		*rd = n->rdiov;
	uint16_t		 xh[NET_QSIZE];
	uint32_t		 xl[NET_QSIZE];
	size_t			 hl = n->vnet_hdr ? 0 : NET_HDR, target, room;
	size_t			 fill;
	int			 k = 0, used, nc = 0, popped, i, j, nb, nx, got;
	int			 r, ovf, big = 0;

	*more = *nobuf = 0;
	if (n->npark > 0) {
		/* The parked frames first: the tap waits until they go. */
		if ((r = net_rx_unpark(n)) == 0)
			*nobuf = 1;
		*more = 1;
		return r;
	}
	target = net_rx_target(n);
	fill = net_rx_mode(n, target, &ovf);
	used = n->carry_iov;
	popped = n->ncarry;
	while (k < want && !*nobuf) {
		if ((r = net_rx_slot(n, k, nc, &popped, &used, fill,
		    nobuf)) == -1)
			break;
		if (r == 0 && (k > 0 || sl[k].nch == 0)) {
			/* Short of a frame's room: the next batch's. */
			if (k > 0)
				*nobuf = 0;
			break;
		}
		if (r == 0 && n->ovf != NULL) {
			/* The first, short: through an overflow area. */
			n->ncarry = popped;
			n->carry_iov = used;
			return net_rx_short(n, more, nobuf);
		}
		/*
		 * A read returns no more than its iovecs hold, and the tap
		 * drops what does not fit: after the chains, the overflow
		 * area or one byte of scratch tells a frame that filled them
		 * from one cut short.
		 */
		memcpy(rd, n->pool + sl[k].iov, (size_t)sl[k].cnt *
		    sizeof(*rd));
		sl[k].ovf = ovf && target > sl[k].room ? target -
		    sl[k].room : 0;
		rd[sl[k].cnt].iov_base = sl[k].ovf > 0 ? n->ovf +
		    (size_t)k * NET_OVF : n->scratch;
		rd[sl[k].cnt].iov_len = sl[k].ovf + 1;
		(void)tapio_read(n->io, rd, sl[k].cnt + 1);
		rd += sl[k].cnt + 1;
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
		 * A frame longer than its chains and overflow (it reached
		 * the scratch byte; the tap dropped the rest), or one with a
		 * header this driver cannot take: dropped, its chains kept.
		 */
		if ((size_t)r > sl[i].room + sl[i].ovf || (hl == 0 &&
		    (net_rx_iov_move(&hiov, 1, n->pool + sl[i].iov, sl[i].cnt,
		    sizeof(h)) != sizeof(h) || !net_rx_hdr(n, h)))) {
			n->st.rx_dropped++;
			net_rx_keep(n, j, j + sl[i].nch);
			continue;
		}
		big |= (size_t)r > NET_RX_SMALL;
		nx = 0;
		if (n->npark == 0 && (size_t)r > sl[i].room) {
			/* Spilled (hl is 0: mergeable buffers). */
			n->ovf_dirty = 1;
			nx = net_rx_spill(n, n->ovf + (size_t)i * NET_OVF,
			    (size_t)r - sl[i].room, xh, xl);
		}
		if (n->npark > 0 || nx == -1) {
			/* No chains for it: it and those after it wait. */
			if ((size_t)r < NET_OVF)
				net_rx_park_slot(n, i, (size_t)r, h);
			else
				n->st.rx_dropped++;
			net_rx_keep(n, j, j + sl[i].nch);
			continue;
		}
		if ((size_t)r > sl[i].room)
			nb = sl[i].nch + nx;
		else
			for (nb = 0, room = 0; room < (size_t)r; nb++)
				room += ch[j + nb].room;
		if (hl == 0) {
			h[NET_HDR_NUMBUF] = (uint8_t)nb;
			h[NET_HDR_NUMBUF + 1] = (uint8_t)(nb >> 8);
			(void)net_rx_iov_move(n->pool + ch[j].iov, ch[j].cnt,
			    &hiov, 1, sizeof(h));
		}
		j = net_rx_push(n, j, hl + ((size_t)r < sl[i].room ?
		    (size_t)r : sl[i].room), hl);
		for (nb = 0; nb < nx; nb++)
			virtio_pci_push(vp, NET_RXQ, xh[nb], xl[nb]);
		net_rx_keep(n, j, sl[i].ch + sl[i].nch);
		n->st.rx_packets++;
		got++;
	}
	net_rx_keep(n, nc, popped);
	if (big)
		n->rx_big = NET_RX_BIG;
	else if (n->rx_big > 0 && got > 0)
		n->rx_big--;
	if (n->npark > 0)
		*nobuf = 1;
	*more = got == k || n->npark > 0;
	return got;
}

static uint64_t
net_rx_now_ns(void)
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
	t0 = net_rx_now_ns();
	for (i = 0; !moved; i++) {
		if ((moved = virtq_avail_moved(avail, last)))
			break;
		if ((i & 15) == 15 && net_rx_now_ns() - t0 >= net_poll_ns)
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
int
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
		n->park0 = n->npark = 0;
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
