/* SPDX-License-Identifier: ISC */
/*
 * net-tcp-bench: host-to-guest TCP, the download a guest's receive
 * offloads are for. The guest opens a connection to tg.net.host, port
 * tg.bench.tcpport (a host program that writes as fast as it can once it
 * accepts), takes what comes for tg.bench.ms, and prints the payload
 * received in order, in MB/s, and the payload per frame (64 KiB frames
 * when the host hands the guest its TCP segments whole: tg.net.gso=1).
 * A receiver only, as small as it can be: it sends a SYN (MSS 1460,
 * window scale 7, no SACK, no timestamps), then ACKs with a window of
 * 8 MiB, one when 256 KiB came unacknowledged or nothing more is
 * waiting, at once for a segment out of order (dropped: the host sends
 * it again), and a RST at the end.
 */
#include "guest.h"
#include "virtio.h"

#define TCP_SPORT	40400
#define TCP_ISS		0x10000000U
#define TCP_WSCALE	7
#define TCP_WIN		0xffff		/* << TCP_WSCALE: 8 MiB */
#define TCP_ACK_EVERY	(256U << 10)
#define TCP_TIMEOUT_US	5000000ULL
#define TCP_F_FIN	0x01
#define TCP_F_SYN	0x02
#define TCP_F_RST	0x04
#define TCP_F_ACK	0x10

static struct {
	uint8_t		 hmac[6];
	uint8_t		 host[4];
	uint16_t	 port;
	uint32_t	 snd_nxt;
	uint32_t	 rcv_nxt;
	uint64_t	 acks;
} tcp;

static uint32_t
tcp_get32(const uint8_t *p)
{
	return (uint32_t)net_get16(p) << 16 | net_get16(p + 2);
}

static void
tcp_put32(uint8_t *p, uint32_t v)
{
	net_put16(p, (uint16_t)(v >> 16));
	net_put16(p + 2, (uint16_t)v);
}

/* tcp_send: a segment with flags (a SYN with its options), no payload. */
static void
tcp_send(uint8_t flags)
{
	uint8_t		 f[14 + 20 + 28], *t;
	uint32_t	 hl = (flags & TCP_F_SYN) ? 28 : 20;

	t = f + net_ip_frame(f, tcp.hmac, netif.ip, tcp.host, 6, hl);
	memset(t, 0, hl);
	net_put16(t, TCP_SPORT);
	net_put16(t + 2, tcp.port);
	tcp_put32(t + 4, tcp.snd_nxt);
	tcp_put32(t + 8, (flags & TCP_F_ACK) ? tcp.rcv_nxt : 0);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	net_put16(t + 14, TCP_WIN);
	if (flags & TCP_F_SYN) {
		t[20] = 2;			/* MSS 1460 */
		t[21] = 4;
		net_put16(t + 22, 1460);
		t[24] = 1;			/* NOP */
		t[25] = 3;			/* window scale */
		t[26] = 3;
		t[27] = TCP_WSCALE;
	}
	net_put16(t + 16, net_cksum(net_pseudo(netif.ip, tcp.host, 6, hl), t,
	    hl));
	(void)net_send(f, (uint32_t)(t - f + hl));
	if (flags & TCP_F_ACK)
		tcp.acks++;
}

/*
 * tcp_take: the next segment from the host's port to ours: its TCP
 * header in t (20 bytes), sequence number, payload length, the frame's
 * length on the wire and how many receive buffers it took; the buffers
 * are given back (those of anything else too, ARP answered). 1, or 0 if
 * none is waiting.
 */
static int
tcp_take(uint8_t t[20], uint32_t *seq, uint32_t *plen, uint32_t *flen,
    uint32_t *nb)
{
	const uint8_t	*g;
	uint32_t	 n, k, ipl, doff;
	uint64_t	 t0;
	int		 mine = 0;

	while (!mine && (g = net_take(&n)) != NULL) {
		*nb = 1;
		if (vio_has(&netif.v, NET_F_MRG_RXBUF))
			*nb = (uint32_t)g[-2] | (uint32_t)g[-1] << 8;
		mine = n >= 54 && net_get16(g + 12) == ETH_IP &&
		    g[14] == 0x45 && g[23] == 6 &&
		    memcmp(g + 26, tcp.host, 4) == 0 &&
		    net_get16(g + 34) == tcp.port &&
		    net_get16(g + 36) == TCP_SPORT;
		if (mine) {
			memcpy(t, g + 34, 20);
			ipl = net_get16(g + 16);
			doff = (uint32_t)(t[12] >> 4) * 4;
			*seq = tcp_get32(t + 4);
			*plen = ipl >= 20 + doff ? ipl - 20 - doff : 0;
			*flen = 14 + ipl;
		} else
			(void)net_arp(g, n);
		net_post_rx();
		/* The rest of the frame's buffers (MRG_RXBUF). */
		for (k = 1, t0 = time_us(); k < *nb; ) {
			if (net_take_raw(&n) != NULL) {
				net_post_rx();
				k++;
			} else if (time_us() - t0 > TCP_TIMEOUT_US)
				break;
		}
		(void)vq_notify(&netif.v.q[NET_RXQ]);
	}
	return mine;
}

/* tcp_open: SYN, SYN-ACK, ACK. 0, or -1 if the host never answered. */
static int
tcp_open(void)
{
	uint8_t		 t[20];
	uint32_t	 seq, plen, flen, nb;
	uint64_t	 t0;
	int		 try;

	tcp.snd_nxt = TCP_ISS;
	for (try = 0; try < 5; try++) {
		tcp_send(TCP_F_SYN);
		for (t0 = time_us(); time_us() - t0 < 1000000; cpu_relax()) {
			if (!tcp_take(t, &seq, &plen, &flen, &nb))
				continue;
			if ((t[13] & (TCP_F_SYN | TCP_F_ACK)) ==
			    (TCP_F_SYN | TCP_F_ACK) &&
			    tcp_get32(t + 8) == TCP_ISS + 1) {
				tcp.snd_nxt = TCP_ISS + 1;
				tcp.rcv_nxt = seq + 1;
				tcp_send(TCP_F_ACK);
				return 0;
			}
		}
	}
	return -1;
}

void
check_net_tcp_bench(void)
{
	uint8_t		 t[20];
	char		 s[32];
	uint64_t	 ms = 2000, port = 5001, bytes = 0, frames = 0, ooo = 0;
	uint64_t	 fbytes = 0, t0 = 0, end = 0, idle, us;
	uint32_t	 seq, plen, flen, nb, unacked = 0;

	if (net_up() == -1) {
		tap_skip("net-tcp-bench: no virtio-net interface");
		return;
	}
	if (!cmdline_get("tg.net.ip", s, sizeof(s)) ||
	    net_parse_ip(s, netif.ip) == -1 ||
	    !cmdline_get("tg.net.host", s, sizeof(s)) ||
	    net_parse_ip(s, tcp.host) == -1) {
		tap_skip("net-tcp-bench: needs tg.net.ip and tg.net.host");
		return;
	}
	(void)cmdline_u64("tg.bench.ms", &ms);
	(void)cmdline_u64("tg.bench.tcpport", &port);
	tcp.port = (uint16_t)port;
	if (!tap_ok(net_arp_resolve(tcp.host, tcp.hmac, 20000000) == 0,
	    "net-tcp-bench: host's MAC resolved") ||
	    !tap_ok(tcp_open() == 0, "net-tcp-bench: connected to %u.%u.%u.%u"
	    ":%lu", tcp.host[0], tcp.host[1], tcp.host[2], tcp.host[3], port))
		return;
	for (idle = time_us(); ; ) {
		if (!tcp_take(t, &seq, &plen, &flen, &nb)) {
			if (unacked > 0) {
				tcp_send(TCP_F_ACK);
				unacked = 0;
			}
			if (t0 == 0 && time_us() - idle > TCP_TIMEOUT_US)
				break;
			if (t0 != 0 && time_us() >= end)
				break;
			cpu_relax();
			continue;
		}
		if (t[13] & TCP_F_RST)
			break;
		if (plen == 0)
			continue;
		if (seq != tcp.rcv_nxt) {
			ooo++;
			tcp_send(TCP_F_ACK);
			unacked = 0;
			continue;
		}
		if (t0 == 0) {
			t0 = time_us();
			end = t0 + ms * 1000;
		}
		tcp.rcv_nxt += plen;
		bytes += plen;
		fbytes += flen;
		frames++;
		if ((unacked += plen) >= TCP_ACK_EVERY) {
			tcp_send(TCP_F_ACK);
			unacked = 0;
		}
		if (time_us() >= end)
			break;
	}
	us = t0 != 0 ? time_us() - t0 : 0;
	tcp_send(TCP_F_RST | TCP_F_ACK);
	if (!tap_ok(bytes > 0, "net-tcp-bench: %lu bytes in order in %lu ms, "
	    "%lu frames, %lu out of order, %lu ACKs", bytes, us / 1000, frames,
	    ooo, tcp.acks))
		return;
	printf("# bench: net-rx-tcp %lu MB/s\n", bytes / (us ? us : 1));
	printf("# bench: net-rx-tcp-frame %lu bytes\n", fbytes / frames);
}
