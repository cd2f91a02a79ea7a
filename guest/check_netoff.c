/* SPDX-License-Identifier: ISC */
/*
 * net-offload: frames that leave their checksum and their segmentation to
 * the host (virtio-net CSUM and HOST_TSO4), sent to an address beyond the
 * host side (tg.net.fwd, port tg.net.fwdport), so that the host's kernel,
 * forwarding them to an interface without offloads, completes and cuts
 * them itself, where tests/integ/net_offload.t checks them: one UDP
 * datagram with a partial checksum, then one TCP segment of NETOFF_TCP
 * bytes to be cut into NETOFF_MSS-byte segments. And net-bench's TSO
 * round: TCP segments of NETOFF_TSO bytes, as a Linux guest sends them.
 */
#include "guest.h"
#include "virtio.h"

#define NETOFF_UDP	200		/* datagram payload */
#define NETOFF_TCP	3000		/* segment payload */
#define NETOFF_MSS	1000
#define NETOFF_TSO	65160		/* net-bench: 45 segments of 1448 */
#define NETOFF_TSO_MSS	1448
#define NETOFF_SEQ	0x1000
#define NETOFF_SPORT	40300
#define NETOFF_TIMEOUT	2000000ULL
#define NETOFF_NEEDS_CSUM 1		/* virtio_net_hdr.flags */

/* netoff_byte: the payload's byte i (both frames). */
static uint8_t
netoff_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/*
 * netoff_pseudo: what a partial checksum's field holds: the IPv4
 * pseudo-header's sum, folded, not inverted.
 */
static uint16_t
netoff_pseudo(const uint8_t to[4], uint8_t proto, uint32_t len)
{
	uint32_t	sum = net_pseudo(netif.ip, to, proto, len);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * netoff_send: header h and the frame after it in buf (one buffer, as
 * any layout allows), kicked, waited for. 0, or -1 on a timeout.
 */
static int
netoff_send(uint8_t *buf, uint32_t len)
{
	struct vq	*q = &netif.v.q[NET_TXQ];
	struct vbuf	 b;
	uint64_t	 t0;

	for (t0 = time_us(); net_reclaim(), q->nfree == 0; cpu_relax())
		if (time_us() - t0 > NETOFF_TIMEOUT)
			return -1;
	b.addr = (uint64_t)buf;
	b.len = len;
	b.write = 0;
	if (vq_add(q, &b, 1) < 0)
		return -1;
	vq_kick(q);
	netif.tx_frames++;
	for (t0 = time_us(); net_reclaim(), q->nfree < q->size; cpu_relax())
		if (time_us() - t0 > NETOFF_TIMEOUT)
			return -1;
	return 0;
}

/* netoff_hdr: flags NEEDS_CSUM, gso_type, hdr_len, gso_size, csum. */
static void
netoff_hdr(uint8_t *h, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
    uint16_t csum_off)
{
	memset(h, 0, NET_HDR);
	h[0] = NETOFF_NEEDS_CSUM;
	h[1] = gso;
	h[2] = (uint8_t)hdr_len;	/* little-endian, as virtio 1.x */
	h[3] = (uint8_t)(hdr_len >> 8);
	h[4] = (uint8_t)gso_size;
	h[5] = (uint8_t)(gso_size >> 8);
	h[6] = 34;			/* csum_start: after IPv4 */
	h[8] = (uint8_t)csum_off;
}

/*
 * netoff_tcp: in buf, a header asking for segmentation into mss-byte
 * segments and a TCP segment (ACK, PSH, seq NETOFF_SEQ) of len payload
 * bytes from sport to to:port through hmac. Its length.
 */
static uint32_t
netoff_tcp(uint8_t *buf, const uint8_t hmac[6], const uint8_t to[4],
    uint16_t sport, uint16_t port, uint32_t len, uint16_t mss)
{
	uint8_t		*f = buf + NET_HDR, *t;
	uint32_t	 i;

	t = f + net_ip_frame(f, hmac, netif.ip, to, 6, 20 + len);
	memset(t, 0, 20);
	net_put16(t, sport);
	net_put16(t + 2, port);
	net_put16(t + 4, NETOFF_SEQ >> 16);
	net_put16(t + 6, NETOFF_SEQ & 0xffff);
	t[12] = 5 << 4;			/* 20-byte header */
	t[13] = 0x18;			/* ACK, PSH */
	net_put16(t + 14, 0xffff);
	for (i = 0; i < len; i++)
		t[20 + i] = netoff_byte(i);
	net_put16(t + 16, netoff_pseudo(to, 6, 20 + len));
	netoff_hdr(buf, 1, 54, mss, 16);	/* VIRTIO_NET_HDR_GSO_TCPV4 */
	return NET_HDR + 54 + len;
}

void
netoff_bench_tso(const uint8_t hmac[6], const uint8_t host[4],
    uint16_t port, uint64_t ms)
{
	static uint8_t	*buf;
	uint64_t	 n, us, kicks, rx0;
	uint32_t	 blen;

	if (!vio_has(&netif.v, NET_F_CSUM) ||
	    !vio_has(&netif.v, NET_F_HOST_TSO4)) {
		printf("# net-bench: no TSO round: the device offers no CSUM "
		    "and HOST_TSO4\n");
		return;
	}
	if (buf == NULL &&
	    (buf = vmem_alloc(NET_HDR + 54 + NETOFF_TSO, 4096)) == NULL) {
		printf("# net-bench: no TSO round: no memory\n");
		return;
	}
	blen = netoff_tcp(buf, hmac, host, NETOFF_SPORT + 2, port,
	    NETOFF_TSO, NETOFF_TSO_MSS);
	rx0 = netif.rx_frames;
	n = net_bench_send(buf, blen, ms, &us, &kicks);
	if (us == 0)
		us = 1;
	printf("# bench: net-tx-tso %lu segments/s\n", n * 1000000 / us);
	printf("# bench: net-tx-tso %lu MB/s\n", n * NETOFF_TSO / us);
	printf("# bench: net-tx-tso-kicks %lu per-1000-frames\n",
	    n > 0 ? kicks * 1000 / n : 0);
	/* The host answers each segment (a RST from a closed port). */
	printf("# bench: net-tx-tso-replies %lu per-1000-frames\n",
	    n > 0 ? (netif.rx_frames - rx0) * 1000 / n : 0);
}

/*
 * netoff_echo: what we receive must come whole: a datagram to the host's
 * echo service (tg.net.host:port) and its answer, whose UDP checksum must
 * hold; a tap left offloading towards the guest would hand us the host's
 * partial checksum under our zero header. The service may first send a
 * datagram too long for our buffers (tests/integ/net_offload.t): the
 * device must drop it, not hand us the part that fit; any frame shorter
 * than its IP header says is counted as cut.
 */
static void
netoff_echo(const uint8_t hmac[6], uint16_t port)
{
	static const char	 msg[] = "tg-offload-echo";
	uint8_t			 host[4], f[FRAME_MAX];
	const uint8_t		*g, *u;
	char			 s[32];
	uint32_t		 len = 0, ul, n, cut = 0;
	uint64_t		 t0;
	int			 got = 0, whole = 0;

	if (!cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, host) == -1)
		return;
	(void)net_send(f, (uint32_t)net_udp_frame(f, hmac, netif.ip, host,
	    NETOFF_SPORT + 3, port, msg, sizeof(msg) - 1));
	for (t0 = time_us(); !got && time_us() - t0 < NETOFF_TIMEOUT; ) {
		if ((g = net_take(&n)) == NULL) {
			cpu_relax();
			continue;
		}
		if (n >= 42 && net_get16(g + 12) == ETH_IP && g[23] == 17 &&
		    net_get16(g + 36) == NETOFF_SPORT + 3) {
			if (14 + (uint32_t)net_get16(g + 16) > n ||
			    n > FRAME_MAX)
				cut++;
			else {
				memcpy(f, g, n);
				len = n;
				got = 1;
			}
		} else
			(void)net_arp(g, n);
		net_post_rx();
		vq_kick(&netif.v.q[NET_RXQ]);
	}
	if (got) {
		u = f + 34;
		ul = net_get16(u + 4);
		whole = ul >= 8 && 34 + ul <= len && net_get16(u + 6) != 0 &&
		    net_cksum(net_pseudo(f + 26, f + 30, 17, ul), u, ul) == 0;
		len = ul;
	}
	tap_ok(got && whole && cut == 0, "net-offload: the host's answer came "
	    "with its UDP checksum whole (%s, %u bytes; %u cut frames)",
	    got ? "came" : "none", got ? len : 0, cut);
}

void
check_net_offload(void)
{
	uint8_t		 to[4], hmac[6], data[NETOFF_UDP], *buf;
	char		 s[32];
	uint64_t	 port = 7777;
	uint32_t	 i;

	if (net_up() == -1) {
		tap_skip("net-offload: no virtio-net interface");
		return;
	}
	if (!cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1 ||
	    !cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, to) == -1) {
		tap_skip("net-offload: needs tg.net.ip, tg.net.host and "
		    "tg.net.fwd");
		return;
	}
	/* The host side is the router: its MAC, the far address's IP. */
	if (!tap_ok(net_arp_resolve(to, hmac, 20000000) == 0,
	    "net-offload: host's MAC resolved"))
		return;
	if (!cmdline_get("tg.net.fwd", s, sizeof(s)) ||
	    net_parse_ip(s, to) == -1) {
		tap_ok(0, "net-offload: tg.net.fwd missing or not an address");
		return;
	}
	(void)cmdline_u64("tg.net.fwdport", &port);
	if (!tap_ok(vio_has(&netif.v, NET_F_CSUM) &&
	    vio_has(&netif.v, NET_F_HOST_TSO4),
	    "net-offload: the device offers CSUM and HOST_TSO4"))
		return;
	if ((buf = vmem_alloc(NET_HDR + 54 + NETOFF_TCP, 4096)) == NULL) {
		tap_ok(0, "net-offload: no memory for the frames");
		return;
	}
	/* UDP: the checksum field holds the pseudo-header's sum. */
	for (i = 0; i < NETOFF_UDP; i++)
		data[i] = netoff_byte(i);
	(void)net_udp_frame(buf + NET_HDR, hmac, netif.ip, to, NETOFF_SPORT,
	    (uint16_t)port, data, NETOFF_UDP);
	net_put16(buf + NET_HDR + 34 + 6, netoff_pseudo(to, 17,
	    8 + NETOFF_UDP));
	netoff_hdr(buf, 0, 0, 0, 6);
	tap_ok(netoff_send(buf, NET_HDR + 42 + NETOFF_UDP) == 0,
	    "net-offload: sent a %u-byte UDP datagram with a partial checksum "
	    "to port %lu", NETOFF_UDP, port);

	/* TCP: one segment of NETOFF_TCP bytes, to be cut. */
	i = netoff_tcp(buf, hmac, to, NETOFF_SPORT + 1, (uint16_t)port,
	    NETOFF_TCP, NETOFF_MSS);
	tap_ok(netoff_send(buf, i) == 0,
	    "net-offload: sent a TCP segment of %u bytes to port %lu for "
	    "%u-byte segmentation (seq %u)", NETOFF_TCP, port, NETOFF_MSS,
	    NETOFF_SEQ);
	if (cmdline_u64("tg.net.echoport", &port))
		netoff_echo(hmac, (uint16_t)port);
}

/*
 * netoff_rest: with MRG_RXBUF, the other nb - 1 buffers of a frame
 * whose first part (len bytes) is in f, appended (up to max bytes) and
 * given back. The frame's length, or 0 if they did not come.
 */
static uint32_t
netoff_rest(uint8_t *f, uint32_t len, uint32_t nb, uint32_t max)
{
	const uint8_t	*b;
	uint32_t	 n;
	uint64_t	 t0 = time_us();

	while (nb > 1) {
		if ((b = net_take_raw(&n)) == NULL) {
			if (time_us() - t0 > NETOFF_TIMEOUT)
				return 0;
			cpu_relax();
			continue;
		}
		if (len + n > max)
			n = max - len;
		memcpy(f + len, b, n);
		len += n;
		nb--;
		net_post_rx();
	}
	vq_kick(&netif.v.q[NET_RXQ]);
	return len;
}

/*
 * netoff_recv: wait up to us for a frame from IPv4 address src with IP
 * protocol proto to our port dport, answering ARP meanwhile; its header
 * to h, the frame (up to max bytes, gathered from its buffers with
 * MRG_RXBUF) to f, the buffers it took to *nb. Its length, or 0 if none
 * came.
 */
static uint32_t
netoff_recv(const uint8_t src[4], uint8_t proto, uint16_t dport,
    uint8_t *h, uint8_t *f, uint32_t max, uint64_t us, uint32_t *nb)
{
	const uint8_t	*g;
	uint32_t	 n, got = 0;
	uint64_t	 t0;
	int		 mine;

	*nb = 0;
	for (t0 = time_us(); got == 0 && time_us() - t0 < us; cpu_relax()) {
		while (got == 0 && (g = net_take(&n)) != NULL) {
			*nb = 1;
			if (vio_has(&netif.v, NET_F_MRG_RXBUF))
				*nb = (uint32_t)g[-2] | (uint32_t)g[-1] << 8;
			mine = n >= 38 && n <= max &&
			    net_get16(g + 12) == ETH_IP && g[14] == 0x45 &&
			    g[23] == proto && memcmp(g + 26, src, 4) == 0 &&
			    memcmp(g + 30, netif.ip, 4) == 0 &&
			    net_get16(g + 36) == dport;
			if (mine) {
				memcpy(h, g - NET_HDR, NET_HDR);
				memcpy(f, g, n);
			} else
				(void)net_arp(g, n);
			net_post_rx();
			got = netoff_rest(f, mine ? n : 0, *nb, mine ? max :
			    0);
			if (!mine)
				got = 0;
		}
	}
	return got;
}

/*
 * netoff_l4sum: the transport checksum of IPv4 frame f (len bytes, a
 * 20-byte IP header) holds, once finished as its header h says: with
 * NEEDS_CSUM the sum from csum_start to the end goes at csum_start +
 * csum_offset. What it was, for the report; NULL if it does not hold.
 */
static const char *
netoff_l4sum(const uint8_t h[NET_HDR], uint8_t *f, uint32_t len)
{
	uint32_t	start = (uint32_t)h[6] | (uint32_t)h[7] << 8;
	uint32_t	off = (uint32_t)h[8] | (uint32_t)h[9] << 8;
	uint32_t	l4 = net_get16(f + 16) - 20;
	const char	*how = h[0] & 2 ? "marked valid, and valid" : "whole";

	if (34 + l4 > len)
		return NULL;
	if (h[0] & NETOFF_NEEDS_CSUM) {
		if (start < 34 || start + off + 2 > len)
			return NULL;
		net_put16(f + start + off, net_cksum(0, f + start, len - start));
		how = "partial, finished as the header says";
	}
	return net_cksum(net_pseudo(f + 26, f + 30, f[23], l4), f + 34, l4) ==
	    0 ? how : NULL;
}

/*
 * check_net_rx_offload: what the host hands the guest whole (needs
 * tg.net.gso=1: the interface took GUEST_CSUM and GUEST_TSO4 and posted
 * 64 KiB buffers). "tg-gso-ready" datagrams to tg.net.fwd:tg.net.gsoport
 * ask the far side for one TCP segment of NETOFF_TCP bytes (payload as
 * net-offload's, seq NETOFF_SEQ) to our port NETOFF_SPORT + 4, which the
 * host forwards with its segmentation left to us: it must come in one
 * frame, TCPV4 with gso_size NETOFF_MSS, its checksum holding. Then, with
 * tg.net.echoport, the host's own answer, whose checksum may now come
 * partial.
 */
void
check_net_rx_offload(void)
{
	static const char	 msg[] = "tg-gso-ready";
	uint8_t			 host[4], to[4], hmac[6], h[NET_HDR], *f;
	const char		*sum;
	char			 s[32];
	uint64_t		 port = 7778, eport;
	uint32_t		 n = 0, i, pl = 0, doff, bad = 0, nb = 0;
	int			 try;

	if (net_up() == -1) {
		tap_skip("net-rx-offload: no virtio-net interface");
		return;
	}
	if (!cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1 ||
	    !cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, host) == -1 ||
	    !cmdline_get("tg.net.fwd", s, sizeof(s)) ||
	    net_parse_ip(s, to) == -1) {
		tap_skip("net-rx-offload: needs tg.net.ip, tg.net.host and "
		    "tg.net.fwd");
		return;
	}
	(void)cmdline_u64("tg.net.gsoport", &port);
	if (!tap_ok(vio_has(&netif.v, NET_F_GUEST_CSUM) &&
	    vio_has(&netif.v, NET_F_GUEST_TSO4) && (netif.rxsz >= 65562 ||
	    vio_has(&netif.v, NET_F_MRG_RXBUF)),
	    "net-rx-offload: took GUEST_CSUM and GUEST_TSO4, %u receive "
	    "buffers of %u bytes%s", netif.v.q[NET_RXQ].size, netif.rxsz,
	    vio_has(&netif.v, NET_F_MRG_RXBUF) ? ", mergeable" : "") ||
	    !tap_ok(net_arp_resolve(host, hmac, 20000000) == 0,
	    "net-rx-offload: host's MAC resolved"))
		return;
	if ((f = vmem_alloc(65536, 4096)) == NULL) {
		tap_ok(0, "net-rx-offload: no memory");
		return;
	}
	for (try = 0; try < 20 && n == 0; try++) {
		(void)net_send(f, (uint32_t)net_udp_frame(f, hmac, netif.ip,
		    to, NETOFF_SPORT + 4, (uint16_t)port, msg,
		    sizeof(msg) - 1));
		n = netoff_recv(to, 6, NETOFF_SPORT + 4, h, f, 65536, 500000,
		    &nb);
	}
	if (n != 0) {
		doff = (uint32_t)(f[34 + 12] >> 4) * 4;
		pl = net_get16(f + 16) - 20 - doff;
		for (i = 0; i < pl && 34 + doff + i < n; i++)
			bad += f[34 + doff + i] != netoff_byte(i);
	}
	tap_ok(n != 0 && pl == NETOFF_TCP && h[1] == 1 &&
	    ((uint32_t)h[4] | (uint32_t)h[5] << 8) == NETOFF_MSS,
	    "net-rx-offload: a TCP segment of %u bytes came in one frame of "
	    "%u (gso_type %u, gso_size %u) in %u buffers", pl, n, h[1],
	    (uint32_t)h[4] | (uint32_t)h[5] << 8, nb);
	tap_ok(n != 0 && bad == 0 && ((uint32_t)net_get16(f + 38) << 16 |
	    net_get16(f + 40)) == NETOFF_SEQ,
	    "net-rx-offload: its %u bytes right (%u wrong)", pl, bad);
	sum = n != 0 ? netoff_l4sum(h, f, n) : NULL;
	tap_ok(sum != NULL, "net-rx-offload: its TCP checksum %s",
	    sum != NULL ? sum : "does not hold");
	if (!cmdline_u64("tg.net.echoport", &eport))
		return;
	(void)net_send(f, (uint32_t)net_udp_frame(f, hmac, netif.ip, host,
	    NETOFF_SPORT + 5, (uint16_t)eport, msg, sizeof(msg) - 1));
	n = netoff_recv(host, 17, NETOFF_SPORT + 5, h, f, 65536,
	    NETOFF_TIMEOUT, &nb);
	sum = n != 0 ? netoff_l4sum(h, f, n) : NULL;
	tap_ok(sum != NULL, "net-rx-offload: the host's answer came (%u "
	    "bytes), its UDP checksum %s", n, sum != NULL ? sum :
	    "missing or wrong");
}
