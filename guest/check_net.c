/* SPDX-License-Identifier: ISC */
/* virtio-net at CPL3: ARP, ICMP echo and UDP echo with the host side. */
#include "guest.h"
#include "virtio.h"

#define NET_F_MAC	5
#define NET_F_STATUS	16
#define BUFSZ		2048
#define QSZ		128
#define BIGSZ		69632	/* tg.net.gso: 64 KiB frames and the header */
#define BIGQ		16
#define VEC_RX		0x60
#define VEC_TX		0x61
#define ICMP_ID		0x7467
#define UDP_SPORT	40007
#define TIMEOUT_US	1000000ULL

struct netif	 netif;

static const uint8_t	 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint16_t
net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* net_sum: the one's complement sum of len bytes, added to sum. */
uint32_t
net_sum(uint32_t sum, const void *buf, uint32_t len)
{
	const uint8_t	*p = buf;
	uint32_t	 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += net_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* net_pseudo: the IPv4 pseudo-header's sum, not folded. */
uint32_t
net_pseudo(const uint8_t src[4], const uint8_t to[4], uint8_t proto,
    uint32_t len)
{
	return net_sum(net_sum(0, src, 4), to, 4) + proto + len;
}

/* net_cksum: the Internet checksum of buf with sum carried in. */
uint16_t
net_cksum(uint32_t sum, const void *buf, uint32_t len)
{
	sum = net_sum(sum, buf, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* net_parse_ip: "a.b.c.d". 0 or -1. */
int
net_parse_ip(const char *s, uint8_t ip[4])
{
	uint64_t	 v;
	const char	*p;
	int		 i;

	for (i = 0; i < 4; i++) {
		for (p = s; *p >= '0' && *p <= '9'; p++)
			;
		if (p == s || parse_u64(s, p - s, &v) == -1 || v > 255 ||
		    (i < 3 && *p != '.') || (i == 3 && *p != '\0'))
			return -1;
		ip[i] = (uint8_t)v;
		s = p + 1;
	}
	return 0;
}

/* net_post_rx: hand one receive buffer (the next free descriptor's). */
void
net_post_rx(void)
{
	struct vq	*q = &netif.v.q[NET_RXQ];
	struct vbuf	 b;

	b.addr = (uint64_t)(netif.rxbuf + (uint64_t)q->free_head *
	    netif.rxsz);
	b.len = netif.rxsz;
	b.write = 1;
	(void)vq_add(q, &b, 1);
}

/*
 * net_up: the first virtio-net function, started once: MAC and STATUS
 * (and CSUM, HOST_TSO4 if offered: only net-offload and net-bench's TSO
 * round ask for them in a header, every other frame has a zero one),
 * receive queue full of 2 KiB buffers, transmit queue, MSI-X entries 0
 * and 1. With tg.net.gso=1 also GUEST_CSUM and GUEST_TSO4, and then
 * BIGQ receive buffers of BIGSZ bytes (what a driver without MRG_RXBUF
 * posts for 64 KiB frames), or with tg.net.mrg=1 MRG_RXBUF and the
 * usual buffers, a frame spanning as many as it needs. 0, or -1 (also
 * on later calls) if it could not be set up.
 */
int
net_up(void)
{
	struct vdev	*v = &netif.v;
	uint64_t	 want, gso = 0, mrg = 0;
	uint16_t	 rxq = QSZ;
	int		 i;

	if (netif.up != 0)
		return netif.up == 1 ? 0 : -1;
	netif.up = -1;
	want = 1ULL << NET_F_MAC | 1ULL << NET_F_STATUS | 1ULL << NET_F_CSUM |
	    1ULL << NET_F_HOST_TSO4;
	if (cmdline_u64("tg.net.gso", &gso) && gso != 0)
		want |= 1ULL << NET_F_GUEST_CSUM | 1ULL << NET_F_GUEST_TSO4;
	if (cmdline_u64("tg.net.mrg", &mrg) && mrg != 0)
		want |= 1ULL << NET_F_MRG_RXBUF;
	if (vio_find(VIRTIO_NET, 0, v) == -1 || vio_start(v, want) == -1)
		return -1;
	netif.rxsz = BUFSZ;
	if (vio_has(v, NET_F_GUEST_TSO4) && !vio_has(v, NET_F_MRG_RXBUF)) {
		netif.rxsz = BIGSZ;
		rxq = BIGQ;
	}
	for (i = 0; i < 6; i++)
		netif.mac[i] = vio_has(v, NET_F_MAC) ? vio_cfg8(v, i) : 0;
	vio_msix(v, 0, VEC_RX);
	vio_msix(v, 1, VEC_TX);
	netif.rxbuf = vmem_alloc((uint64_t)rxq * netif.rxsz, 4096);
	netif.txbuf = vmem_alloc((uint64_t)QSZ * BUFSZ, 4096);
	if (netif.rxbuf == NULL || netif.txbuf == NULL ||
	    vio_queue(v, NET_RXQ, rxq, 0) == -1 ||
	    vio_queue(v, NET_TXQ, QSZ, 1) == -1)
		return -1;
	while (v->q[NET_RXQ].nfree > 0)
		net_post_rx();
	if (vio_driver_ok(v) == -1)
		return -1;
	vq_kick(&v->q[NET_RXQ]);
	netif.up = 1;
	return 0;
}

/*
 * net_reclaim: take back the transmit buffers the device is done with,
 * counted in netif.tx_done wherever they are reaped (net_send's, from an
 * ARP answer in the middle of net-bench, reaps the bench's too).
 */
void
net_reclaim(void)
{
	while (vq_poll(&netif.v.q[NET_TXQ], NULL) >= 0)
		netif.tx_done++;
}

/* net_send: one frame (padded to 60 bytes). 0, or -1 after a timeout. */
int
net_send(const void *frame, uint32_t len)
{
	struct vq	*q = &netif.v.q[NET_TXQ];
	struct vbuf	 b;
	uint64_t	 t0 = 0;
	uint8_t		*p;

	if (len > FRAME_MAX)
		return -1;
	for (net_reclaim(); q->nfree == 0; net_reclaim()) {
		if (t0 == 0)
			t0 = time_us();
		else if (time_us() - t0 > TIMEOUT_US)
			return -1;
		cpu_relax();
	}
	p = netif.txbuf + (uint64_t)q->free_head * BUFSZ;
	memset(p, 0, NET_HDR);
	memcpy(p + NET_HDR, frame, len);
	if (len < 60) {
		memset(p + NET_HDR + len, 0, 60 - len);
		len = 60;
	}
	b.addr = (uint64_t)p;
	b.len = NET_HDR + len;
	b.write = 0;
	if (vq_add(q, &b, 1) < 0)
		return -1;
	vq_kick(q);
	netif.tx_frames++;
	return 0;
}

/* net_arp: answer a request for our address; 1 if the frame was one. */
int
net_arp(const uint8_t *f, uint32_t len)
{
	uint8_t	 r[42];

	if (len < 42 || net_get16(f + 12) != ETH_ARP ||
	    net_get16(f + 20) != 1 || memcmp(f + 38, netif.ip, 4) != 0 ||
	    netif.ip[0] == 0)
		return 0;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, netif.mac, 6);
	net_put16(r + 12, ETH_ARP);
	memcpy(r + 14, f + 14, 6);		/* htype, ptype, hlen, plen */
	net_put16(r + 20, 2);
	memcpy(r + 22, netif.mac, 6);
	memcpy(r + 28, netif.ip, 4);
	memcpy(r + 32, f + 22, 10);		/* their sha, spa */
	netif.arp_answered++;
	(void)net_send(r, sizeof(r));
	return 1;
}

/*
 * net_take_raw: the next receive buffer the device filled and the bytes
 * it wrote there (header included), counted; the buffer is the caller's
 * to give back (net_post_rx). NULL if none.
 */
const uint8_t *
net_take_raw(uint32_t *len)
{
	uint32_t	n;
	int		head;

	if ((head = vq_poll(&netif.v.q[NET_RXQ], &n)) < 0)
		return NULL;
	netif.rx_frames++;
	*len = n > netif.rxsz ? netif.rxsz : n;
	return netif.rxbuf + (uint64_t)head * netif.rxsz;
}

/*
 * net_take: the next frame the device filled (after its header, which is
 * NET_HDR bytes before it), as net_take_raw; with MRG_RXBUF only the
 * part in its first buffer.
 */
const uint8_t *
net_take(uint32_t *len)
{
	const uint8_t	*b;
	uint32_t	 n;

	if ((b = net_take_raw(&n)) == NULL)
		return NULL;
	*len = n > NET_HDR ? n - NET_HDR : 0;
	return b + NET_HDR;
}

/*
 * net_poll: the next received frame for us (our MAC or broadcast) into
 * buf (FRAME_MAX bytes or more): 1, or 0 if none is waiting. ARP
 * requests for our address are answered here and not returned.
 */
int
net_poll(uint8_t *buf, uint32_t *len)
{
	struct vq	*q = &netif.v.q[NET_RXQ];
	const uint8_t	*f;
	uint32_t	 n;
	int		 mine;

	while ((f = net_take(&n)) != NULL) {
		mine = n >= 14 && n <= FRAME_MAX && (memcmp(f, netif.mac,
		    6) == 0 || memcmp(f, bcast, 6) == 0);
		if (mine && !net_arp(f, n)) {
			memcpy(buf, f, n);
			*len = n;
		} else
			mine = 0;
		net_post_rx();
		vq_kick(q);
		if (mine)
			return 1;
	}
	return 0;
}

/*
 * net_ip_frame: Ethernet and IPv4 headers for a datagram of plen payload
 * bytes; returns where the payload goes (34).
 */
int
net_ip_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[4],
    const uint8_t to[4], uint8_t proto, uint32_t plen)
{
	static uint16_t	 ipid = 1;
	uint8_t		*ip = f + 14;

	memcpy(f, dst, 6);
	memcpy(f + 6, netif.mac, 6);
	net_put16(f + 12, ETH_IP);
	ip[0] = 0x45;
	ip[1] = 0;
	net_put16(ip + 2, (uint16_t)(20 + plen));
	net_put16(ip + 4, ipid++);
	net_put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = proto;
	net_put16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, to, 4);
	net_put16(ip + 10, net_cksum(0, ip, 20));
	return 34;
}

/* net_udp_frame: a whole UDP datagram frame; its length. */
int
net_udp_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[4],
    const uint8_t to[4], uint16_t sport, uint16_t dport, const void *data,
    uint32_t len)
{
	uint8_t		*u;
	uint32_t	 sum;
	uint16_t	 c;

	u = f + net_ip_frame(f, dst, src, to, 17, 8 + len);
	net_put16(u, sport);
	net_put16(u + 2, dport);
	net_put16(u + 4, (uint16_t)(8 + len));
	net_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	sum = net_pseudo(src, to, 17, 8 + len);
	c = net_cksum(sum, u, 8 + len);
	net_put16(u + 6, c == 0 ? 0xffff : c);
	return (int)(42 + len);
}

/*
 * net_arp_resolve: ask who has ip (every 250 ms) until an answer comes
 * or timeout_us passes. 0 with its MAC in mac, or -1.
 */
int
net_arp_resolve(const uint8_t ip[4], uint8_t mac[6], uint64_t timeout_us)
{
	uint8_t		 f[FRAME_MAX];
	uint64_t	 t0 = time_us(), last = 0;
	uint32_t	 len;

	for (;;) {
		if (last == 0 || time_us() - last > 250000) {
			memcpy(f, bcast, 6);
			memcpy(f + 6, netif.mac, 6);
			net_put16(f + 12, ETH_ARP);
			net_put16(f + 14, 1);
			net_put16(f + 16, ETH_IP);
			f[18] = 6;
			f[19] = 4;
			net_put16(f + 20, 1);
			memcpy(f + 22, netif.mac, 6);
			memcpy(f + 28, netif.ip, 4);
			memset(f + 32, 0, 6);
			memcpy(f + 38, ip, 4);
			(void)net_send(f, 42);
			last = time_us();
		}
		while (net_poll(f, &len))
			if (len >= 42 && net_get16(f + 12) == ETH_ARP &&
			    net_get16(f + 20) == 2 &&
			    memcmp(f + 28, ip, 4) == 0) {
				memcpy(mac, f + 22, 6);
				return 0;
			}
		if (time_us() - t0 > timeout_us)
			return -1;
		cpu_relax();
	}
}

/* net_ping: one echo request, and wait for its reply. 1 if it came. */
int
net_ping(const uint8_t hmac[6], const uint8_t host[4], uint16_t seq)
{
	uint8_t		 f[FRAME_MAX], *icmp;
	uint64_t	 t0;
	uint32_t	 len, i, n = 56;

	icmp = f + net_ip_frame(f, hmac, netif.ip, host, 1, 8 + n);
	icmp[0] = 8;
	icmp[1] = 0;
	net_put16(icmp + 2, 0);
	net_put16(icmp + 4, ICMP_ID);
	net_put16(icmp + 6, seq);
	for (i = 0; i < n; i++)
		icmp[8 + i] = (uint8_t)(seq * 7 + i);
	net_put16(icmp + 2, net_cksum(0, icmp, 8 + n));
	if (net_send(f, 42 + n) == -1)
		return 0;
	t0 = time_us();
	while (time_us() - t0 < TIMEOUT_US) {
		if (!net_poll(f, &len))
			continue;
		if (len < 42 + n || net_get16(f + 12) != ETH_IP ||
		    f[23] != 1 || memcmp(f + 26, host, 4) != 0)
			continue;
		icmp = f + 14 + 4 * (f[14] & 0xf);
		if (icmp[0] != 0 || net_get16(icmp + 4) != ICMP_ID ||
		    net_get16(icmp + 6) != seq)
			continue;
		for (i = 0; i < n; i++)
			if (icmp[8 + i] != (uint8_t)(seq * 7 + i))
				return 0;
		return net_cksum(0, icmp, 8 + n) == 0;
	}
	return 0;
}

/* net_udp_echo: one datagram of n bytes, and its echo. 1 if it came. */
static int
net_udp_echo(const uint8_t hmac[6], const uint8_t host[4], uint16_t port,
    uint16_t seq, uint32_t n)
{
	uint8_t		 f[FRAME_MAX], data[1472], *u;
	uint64_t	 t0;
	uint32_t	 len, i;

	snprintf((char *)data, sizeof(data), "tg-udp %u ", seq);
	for (i = strlen((char *)data); i < n; i++)
		data[i] = (uint8_t)('a' + (seq + i) % 26);
	len = (uint32_t)net_udp_frame(f, hmac, netif.ip, host, UDP_SPORT + seq,
	    port, data, n);
	if (net_send(f, len) == -1)
		return 0;
	t0 = time_us();
	while (time_us() - t0 < TIMEOUT_US) {
		if (!net_poll(f, &len))
			continue;
		if (len < 42 || net_get16(f + 12) != ETH_IP || f[23] != 17 ||
		    memcmp(f + 26, host, 4) != 0)
			continue;
		u = f + 14 + 4 * (f[14] & 0xf);
		if (net_get16(u) != port ||
		    net_get16(u + 2) != UDP_SPORT + seq)
			continue;
		return net_get16(u + 4) == 8 + n && u + 8 + n <= f + len &&
		    memcmp(u + 8, data, n) == 0;
	}
	return 0;
}

#define SPOOF_SPORT	40200		/* spoofed; +1 for our own MAC */

/*
 * net_spoof: n UDP datagrams "tg-spoof K" to host:port from port 40200
 * with a source MAC that is not ours (ours with the last byte ^ 0x5a),
 * each followed by "tg-own K" from port 40201 and our own MAC (the
 * control); then wait (up to 1 s) until the device has used every
 * transmit buffer, so none is still queued when the VM ends. 1 if all
 * 2n were handed to the device and taken back.
 */
static int
net_spoof(const uint8_t hmac[6], const uint8_t host[4], uint16_t port,
    uint32_t n, uint8_t smac[6])
{
	struct vq	*q = &netif.v.q[NET_TXQ];
	uint8_t		 f[FRAME_MAX];
	char		 data[32];
	uint64_t	 t0;
	uint32_t	 i;
	int		 len, good = 1;

	memcpy(smac, netif.mac, 6);
	smac[5] ^= 0x5a;
	for (i = 0; i < n; i++) {
		snprintf(data, sizeof(data), "tg-spoof %u", i + 1);
		len = net_udp_frame(f, hmac, netif.ip, host, SPOOF_SPORT, port,
		    data, (uint32_t)strlen(data));
		memcpy(f + 6, smac, 6);
		if (net_send(f, (uint32_t)len) == -1)
			good = 0;
		snprintf(data, sizeof(data), "tg-own %u", i + 1);
		len = net_udp_frame(f, hmac, netif.ip, host, SPOOF_SPORT + 1,
		    port, data, (uint32_t)strlen(data));
		if (net_send(f, (uint32_t)len) == -1)
			good = 0;
	}
	for (t0 = time_us(); net_reclaim(), q->nfree < q->size; cpu_relax())
		if (time_us() - t0 > TIMEOUT_US)
			return 0;
	return good;
}

/*
 * check_net: the first interface: MAC (tg.net.mac), link up; with
 * tg.net.ip and tg.net.host: ARP for the host, tg.net.pings ICMP echoes
 * (default 8), and with tg.net.udp=PORT tg.net.udpn UDP echoes (default
 * 8) of growing size; with tg.net.spoof=N, N datagrams from another
 * source MAC and N from ours to port tg.net.spoofport (default 9), for
 * the host to count (locked lladdr); last, the frame counts for the host
 * to compare.
 */
void
check_net(void)
{
	static const uint32_t sizes[] = { 18, 64, 200, 512, 1000, 1400, 1472 };
	char		 s[32], m[20];
	uint8_t		 host[4], hmac[6];
	uint64_t	 t0, pings = 8, udpn = 8, port = 0, spoof = 0, sport = 9;
	uint8_t		 smac[6];
	uint16_t	 st;
	int		 i, got;

	if (vio_find(VIRTIO_NET, 0, &netif.v) == -1) {
		tap_skip("net: no virtio-net device");
		return;
	}
	i = net_up();
	if (!tap_ok(i == 0, "net: 00:%02x.0 set up (status 0x%x)",
	    netif.v.slot, vio_status(&netif.v)))
		return;
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", netif.mac[0],
	    netif.mac[1], netif.mac[2], netif.mac[3], netif.mac[4],
	    netif.mac[5]);
	st = vio_has(&netif.v, NET_F_STATUS) ? vio_cfg16(&netif.v, 6) : 1;
	tap_ok((st & 1) != 0, "net: MAC %s, link %s", m, st & 1 ? "up" :
	    "down");
	if (cmdline_get("tg.net.mac", s, sizeof(s)))
		tap_ok(strncmp(s, m, sizeof(m)) == 0, "net: MAC == tg.net.mac "
		    "%s", s);
	if (!cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, host) == -1) {
		diag("# net: no tg.net.host: no traffic\n");
		return;
	}
	if (!cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1) {
		tap_ok(0, "net: tg.net.ip missing or bad");
		return;
	}
	(void)cmdline_u64("tg.net.pings", &pings);
	(void)cmdline_u64("tg.net.udpn", &udpn);
	(void)cmdline_u64("tg.net.udp", &port);
	(void)cmdline_u64("tg.net.spoof", &spoof);
	(void)cmdline_u64("tg.net.spoofport", &sport);

	sys(SYS_SETIF, 1, 0);
	t0 = time_us();
	i = net_arp_resolve(host, hmac, 20000000);
	if (!tap_ok(i == 0, "net: ARP reply: %u.%u.%u.%u is-at "
	    "%02x:%02x:%02x:%02x:%02x:%02x (%lu ms)", host[0], host[1],
	    host[2], host[3], hmac[0], hmac[1], hmac[2], hmac[3], hmac[4],
	    hmac[5], (time_us() - t0) / 1000))
		goto out;
	for (i = got = 0; i < (int)pings; i++)
		got += net_ping(hmac, host, (uint16_t)(i + 1));
	tap_ok(got == (int)pings, "net: %d/%lu ICMP echo replies, payload "
	    "intact", got, pings);
	if (port != 0) {
		for (i = got = 0; i < (int)udpn; i++)
			got += net_udp_echo(hmac, host, (uint16_t)port,
			    (uint16_t)(i + 1), sizes[i % nitems(sizes)]);
		tap_ok(got == (int)udpn, "net: %d/%lu UDP echoes from port "
		    "%lu, payload intact", got, udpn, port);
	}
	if (spoof > 0) {
		i = net_spoof(hmac, host, (uint16_t)sport, (uint32_t)spoof,
		    smac);
		tap_ok(i, "net: sent %lu spoofed frames (source "
		    "%02x:%02x:%02x:%02x:%02x:%02x) and %lu from our MAC to "
		    "port %lu", spoof, smac[0], smac[1], smac[2], smac[3],
		    smac[4], smac[5], spoof, sport);
	}
	if (netif.v.msix_cap)
		tap_ok(irq_count[VEC_RX] > 0, "net: MSI-X interrupts taken "
		    "(rx %lu, tx %lu)", irq_count[VEC_RX], irq_count[VEC_TX]);
out:
	sys(SYS_SETIF, 0, 0);
	net_reclaim();
	tap_ok(1, "net: frames tx %lu rx %lu (ARP answered %lu)",
	    netif.tx_frames, netif.rx_frames, netif.arp_answered);
}

/*
 * net_drain: take what came (answering ARP requests), the buffers given
 * back in one go, a kick only if the device wants one: the host's
 * replies to a flood (a RST per TCP segment) would otherwise cost a kick,
 * a VM exit, each.
 */
static void
net_drain(void)
{
	const uint8_t	*f;
	uint32_t	 n;
	int		 posted = 0;

	while ((f = net_take(&n)) != NULL) {
		(void)net_arp(f, n);
		net_post_rx();
		posted++;
	}
	if (posted > 0)
		(void)vq_notify(&netif.v.q[NET_RXQ]);
}

/*
 * net_bench_send: keep the transmit ring full for ms with buffers of blen
 * bytes (a header and a frame): each descriptor's own txbuf slot, filled
 * by the caller, or one shared buffer for all (the device only reads
 * them). Frames sent and completed, us taken and the kicks made (one per
 * 32 frames at most, none while the device says it is still working
 * through the ring).
 */
uint64_t
net_bench_send(const uint8_t *shared, uint32_t blen, uint64_t ms,
    uint64_t *us, uint64_t *kicks)
{
	struct vq	*q = &netif.v.q[NET_TXQ];
	struct vbuf	 b;
	uint64_t	 t0, end, sent = 0, done0;
	int		 batch = 0;

	*kicks = 0;
	net_reclaim();
	done0 = netif.tx_done;
	t0 = time_us();
	end = t0 + ms * 1000;
	/* Until every buffer is back: ours, and an ARP answer's if any. */
	while (time_us() < end || q->nfree < q->size) {
		net_reclaim();
		if (time_us() < end && q->nfree > 0) {
			b.addr = shared != NULL ? (uint64_t)shared :
			    (uint64_t)(netif.txbuf +
			    (uint64_t)q->free_head * BUFSZ);
			b.len = blen;
			b.write = 0;
			(void)vq_add(q, &b, 1);
			sent++;
			if (++batch < 32 && q->nfree > 0)
				continue;
		}
		if (batch > 0) {
			*kicks += (uint64_t)vq_notify(q);
			batch = 0;
		}
		net_drain();
		if (time_us() > end + 2000000)
			break;
	}
	*us = time_us() - t0;
	netif.tx_frames += sent;
	/* An ARP answer sent meanwhile is one of the completions. */
	return netif.tx_done - done0 < sent ? netif.tx_done - done0 : sent;
}

/* bench_tx: UDP frames of len bytes to host for ms (net_bench_send). */
static uint64_t
bench_tx(const uint8_t hmac[6], const uint8_t host[4], uint16_t port,
    uint32_t len, uint64_t ms, uint64_t *us, uint64_t *kicks)
{
	uint8_t		 f[FRAME_MAX], data[1472];
	uint32_t	 flen, i;

	net_reclaim();
	memset(data, 'b', sizeof(data));
	flen = (uint32_t)net_udp_frame(f, hmac, netif.ip, host, UDP_SPORT,
	    port, data, len - 42);
	for (i = 0; i < QSZ; i++) {
		memset(netif.txbuf + (uint64_t)i * BUFSZ, 0, NET_HDR);
		memcpy(netif.txbuf + (uint64_t)i * BUFSZ + NET_HDR, f, flen);
	}
	return net_bench_send(NULL, NET_HDR + flen, ms, us, kicks);
}

/*
 * check_net_bench: guest-to-host UDP (tg.bench.port, default 9) over the
 * first interface for tg.bench.ms each (default 2000): 60-byte frames
 * (packets/s) and 1514-byte frames (MB/s). Needs tg.net.ip, tg.net.host.
 */
void
check_net_bench(void)
{
	static const uint32_t lens[] = { 60, 1514 };
	char		 s[32];
	uint8_t		 host[4], hmac[6];
	uint64_t	 ms = 2000, port = 9, n, us, kicks;
	size_t		 i;

	if (net_up() == -1) {
		tap_skip("net-bench: no virtio-net interface");
		return;
	}
	if (!cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, host) == -1 ||
	    !cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1) {
		tap_skip("net-bench: needs tg.net.ip and tg.net.host");
		return;
	}
	(void)cmdline_u64("tg.bench.ms", &ms);
	(void)cmdline_u64("tg.bench.port", &port);
	if (!tap_ok(net_arp_resolve(host, hmac, 20000000) == 0, "net-bench: "
	    "host's MAC resolved"))
		return;
	vq_intr(&netif.v.q[NET_RXQ], 0);
	vq_intr(&netif.v.q[NET_TXQ], 0);
	for (i = 0; i < nitems(lens); i++) {
		n = bench_tx(hmac, host, (uint16_t)port, lens[i], ms, &us,
		    &kicks);
		if (us == 0)
			us = 1;
		printf("# bench: net-tx-%ub %lu pps\n", lens[i],
		    n * 1000000 / us);
		printf("# bench: net-tx-%ub %lu MB/s\n", lens[i],
		    n * lens[i] / us);
		printf("# bench: net-tx-%ub-kicks %lu per-1000-frames\n",
		    lens[i], n > 0 ? kicks * 1000 / n : 0);
	}
	netoff_bench_tso(hmac, host, (uint16_t)port, ms);
	vq_intr(&netif.v.q[NET_RXQ], 1);
	vq_intr(&netif.v.q[NET_TXQ], 1);
	tap_ok(1, "net-bench: done, frames tx %lu rx %lu", netif.tx_frames,
	    netif.rx_frames);
}

#define RX_SPORT	40100		/* + round: our port for host frames */
#define RX_WAIT_US	10000000ULL	/* for the host's first frame */

/*
 * rx_is_udp: frame f of n bytes is IPv4 UDP to our address and port.
 */
static int
rx_is_udp(const uint8_t *f, uint32_t n, uint16_t port)
{
	const uint8_t	*u;

	if (n < 42 || net_get16(f + 12) != ETH_IP || f[23] != 17 ||
	    memcmp(f + 30, netif.ip, 4) != 0)
		return 0;
	u = f + 14 + 4 * (f[14] & 0xf);
	return u + 8 <= f + n && net_get16(u + 2) == port;
}

/* rx_say: one UDP datagram with text s from port to the host's hport. */
static void
rx_say(const uint8_t hmac[6], const uint8_t host[4], uint16_t port,
    uint16_t hport, const char *s)
{
	uint8_t		 f[FRAME_MAX];
	int		 len;

	len = net_udp_frame(f, hmac, netif.ip, host, port, hport, s,
	    (uint32_t)strlen(s));
	(void)net_send(f, (uint32_t)len);
}

/*
 * bench_rx: one receive round (guest/README.md, "net-rx-bench"): "ready"
 * from port to the host's hport every 500 ms until the host's first
 * frame to port comes; from it, count frames to port for ms; "done".
 * Frames counted, their bytes, us taken and kicks made meanwhile (one
 * per 32 buffers posted at most, none while the device says it polls);
 * -1 if the host never sent.
 */
static int
bench_rx(const uint8_t hmac[6], const uint8_t host[4], uint16_t hport,
    uint16_t port, uint32_t size, uint64_t ms, uint64_t *frames,
    uint64_t *bytes, uint64_t *us, uint64_t *kicks)
{
	struct vq	*q = &netif.v.q[NET_RXQ];
	const uint8_t	*f;
	char		 msg[64];
	uint64_t	 t0 = 0, end = 0, last = 0, now, w0, quiet;
	uint32_t	 n;
	int		 posted = 0, i, k;

	*frames = *bytes = *us = *kicks = 0;
	snprintf(msg, sizeof(msg), "tg-rx-ready %u %lu", size, ms);
	w0 = time_us();
	for (;;) {
		now = time_us();
		if (t0 == 0) {
			if (now - w0 > RX_WAIT_US)
				return -1;
			if (last == 0 || now - last > 500000) {
				rx_say(hmac, host, port, hport, msg);
				last = now;
			}
		} else if (now >= end)
			break;
		while ((f = net_take(&n)) != NULL) {
			if (rx_is_udp(f, n, port)) {
				if (t0 == 0) {
					t0 = time_us();
					end = t0 + ms * 1000;
				} else if (time_us() < end) {
					(*frames)++;
					*bytes += n;
				}
			} else
				(void)net_arp(f, n);
			net_post_rx();
			if (++posted >= 32) {
				k = vq_notify(q);
				posted = 0;
				if (t0 != 0 && time_us() < end)
					*kicks += (uint64_t)k;
			}
			if (t0 != 0 && time_us() >= end)
				break;
		}
		if (posted > 0) {
			k = vq_notify(q);
			posted = 0;
			if (t0 != 0 && time_us() < end)
				*kicks += (uint64_t)k;
		}
		net_reclaim();
	}
	*us = end - t0;
	snprintf(msg, sizeof(msg), "tg-rx-done %u %lu", size, *frames);
	for (i = 0; i < 3; i++)
		rx_say(hmac, host, port, hport, msg);
	/* What is still on its way, until 20 ms pass without a frame. */
	for (quiet = w0 = time_us(); time_us() - quiet < 20000 &&
	    time_us() - w0 < 2000000; ) {
		while ((f = net_take(&n)) != NULL) {
			if (!rx_is_udp(f, n, port))
				(void)net_arp(f, n);
			net_post_rx();
			posted++;
			quiet = time_us();
		}
		if (posted > 0) {
			vq_kick(q);
			posted = 0;
		}
		net_reclaim();
	}
	return 0;
}

/*
 * check_net_rx_bench: host-to-guest UDP over the first interface, one
 * round of 60-byte frames and one of 1514-byte frames, tg.bench.ms each
 * (default 2000), sent by a host program listening on tg.bench.rxport
 * (default 9999) of tg.net.host (protocol: guest/README.md). Packets/s
 * and MB/s of what arrived.
 */
void
check_net_rx_bench(void)
{
	static const uint32_t sizes[] = { 60, 1514 };
	char		 s[32];
	uint8_t		 host[4], hmac[6];
	uint64_t	 ms = 2000, hport = 9999, frames, bytes, us, kicks;
	uint64_t	 total = 0;
	size_t		 i;
	int		 good = 1;

	if (net_up() == -1) {
		tap_skip("net-rx-bench: no virtio-net interface");
		return;
	}
	if (!cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, host) == -1 ||
	    !cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1) {
		tap_skip("net-rx-bench: needs tg.net.ip and tg.net.host");
		return;
	}
	(void)cmdline_u64("tg.bench.ms", &ms);
	(void)cmdline_u64("tg.bench.rxport", &hport);
	if (!tap_ok(net_arp_resolve(host, hmac, 20000000) == 0,
	    "net-rx-bench: host's MAC resolved"))
		return;
	vq_intr(&netif.v.q[NET_RXQ], 0);
	vq_intr(&netif.v.q[NET_TXQ], 0);
	for (i = 0; i < nitems(sizes); i++) {
		if (bench_rx(hmac, host, (uint16_t)hport,
		    (uint16_t)(RX_SPORT + i), sizes[i], ms, &frames, &bytes,
		    &us, &kicks) == -1) {
			printf("# net-rx-bench: no %ub frames from port %lu's "
			    "sender in %llu s\n", sizes[i], hport,
			    RX_WAIT_US / 1000000);
			good = 0;
			continue;
		}
		if (us == 0)
			us = 1;
		total += frames;
		printf("# bench: net-rx-%ub %lu pps\n", sizes[i],
		    frames * 1000000 / us);
		printf("# bench: net-rx-%ub %lu MB/s\n", sizes[i], bytes / us);
		printf("# bench: net-rx-%ub-kicks %lu per-1000-frames\n",
		    sizes[i], frames > 0 ? kicks * 1000 / frames : 0);
	}
	vq_intr(&netif.v.q[NET_RXQ], 1);
	vq_intr(&netif.v.q[NET_TXQ], 1);
	tap_ok(good, "net-rx-bench: done, frames counted %lu (rx %lu, tx %lu)",
	    total, netif.rx_frames, netif.tx_frames);
}
