/* SPDX-License-Identifier: ISC */
/*
 * virtio-net on a tap fd: rx/tx queues on the event thread, locked lladdr.
 * Both queues work in batches: every chain available (up to NET_BATCH) is
 * popped, their frames read or written with one call (vm/net/tapio.c),
 * completed together and signalled with one interrupt; kicks are
 * suppressed while the transmit ring is being drained and whenever the
 * device is not waiting for receive buffers. This file has the device,
 * its transmit path, its offloads and its local interface; the receive
 * path is net_rx.c. With a tap that carries a virtio_net_hdr, checksum
 * and TCP segmentation offloads go both ways, and a frame may span
 * mergeable receive buffers (docs/DESIGN.md, "Network offloads").
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
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
#include "vm/virtio/net_priv.h"
#include "vm/virtio/virtio.h"

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
	n->park0 = n->npark = 0;
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
	/*
	 * Mergeable buffers: the reads' overflow areas (net_rx_mode) and
	 * where frames wait for chains (net_rx_short), address space only
	 * until a frame lands there. Without them every read gets chains for
	 * the largest frame, and one read short of them may lose its frame.
	 */
	if (NET_HAS(f, MRG_RXBUF) && n->ovf == NULL) {
		n->ovf = mmap(NULL, (size_t)NET_BATCH * NET_OVF,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
		if (n->ovf == MAP_FAILED) {
			log_warn("interface %d: rx overflow", n->index);
			n->ovf = NULL;
		}
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
