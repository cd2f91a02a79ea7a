/* SPDX-License-Identifier: ISC */
/* A DHCP client (RFC 2131) over virtio-net: DISCOVER, OFFER, REQUEST, ACK. */
#include "guest.h"
#include "virtio.h"

#define BOOTREQUEST	1
#define BOOTREPLY	2
#define DHCPDISCOVER	1
#define DHCPOFFER	2
#define DHCPREQUEST	3
#define DHCPACK		5
#define DHCPNAK		6
#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_HOSTNAME	12
#define OPT_REQ_IP	50
#define OPT_LEASE	51
#define OPT_MSGTYPE	53
#define OPT_SERVER	54
#define OPT_PRL		55
#define OPT_MAXSIZE	57
#define OPT_CLIENTID	61
#define OPT_END		255
#define BOOTP_LEN	236
#define DHCP_MIN	300		/* BOOTP's minimum message */

static const uint8_t	 cookie[4] = { 99, 130, 83, 99 };
static const uint8_t	 bcast_mac[6] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};
static const uint8_t	 ip_any[4], ip_bcast[4] = { 255, 255, 255, 255 };

struct lease {
	uint8_t		 yiaddr[4];
	uint8_t		 server[4];
	uint8_t		 mask[4], router[4], dns[4];
	uint32_t	 time;
	int		 type;
};

/* dhcp_msg: a DISCOVER (req NULL) or a REQUEST for o; its length. */
static uint32_t
dhcp_msg(uint8_t *m, uint32_t xid, uint16_t secs, const struct lease *o)
{
	static const uint8_t prl[] = { OPT_MASK, OPT_ROUTER, OPT_DNS,
	    OPT_LEASE, OPT_SERVER };
	uint8_t		*p;

	memset(m, 0, DHCP_MIN);
	m[0] = BOOTREQUEST;
	m[1] = 1;			/* Ethernet */
	m[2] = 6;
	m[3] = 0;			/* hops */
	m[4] = (uint8_t)(xid >> 24);
	m[5] = (uint8_t)(xid >> 16);
	m[6] = (uint8_t)(xid >> 8);
	m[7] = (uint8_t)xid;
	net_put16(m + 8, secs);
	net_put16(m + 10, 0);		/* flags: unicast replies do */
	memcpy(m + 28, netif.mac, 6);	/* chaddr */
	memcpy(m + BOOTP_LEN, cookie, 4);
	p = m + BOOTP_LEN + 4;
	*p++ = OPT_MSGTYPE;
	*p++ = 1;
	*p++ = o == NULL ? DHCPDISCOVER : DHCPREQUEST;
	*p++ = OPT_CLIENTID;
	*p++ = 7;
	*p++ = 1;
	memcpy(p, netif.mac, 6);
	p += 6;
	if (o != NULL) {
		*p++ = OPT_REQ_IP;
		*p++ = 4;
		memcpy(p, o->yiaddr, 4);
		p += 4;
		*p++ = OPT_SERVER;
		*p++ = 4;
		memcpy(p, o->server, 4);
		p += 4;
	}
	*p++ = OPT_MAXSIZE;
	*p++ = 2;
	net_put16(p, 1500);
	p += 2;
	*p++ = OPT_HOSTNAME;
	*p++ = 9;
	memcpy(p, "testguest", 9);
	p += 9;
	*p++ = OPT_PRL;
	*p++ = sizeof(prl);
	memcpy(p, prl, sizeof(prl));
	p += sizeof(prl);
	*p++ = OPT_END;
	return (uint32_t)(p - m) < DHCP_MIN ? DHCP_MIN : (uint32_t)(p - m);
}

/*
 * dhcp_parse: a BOOTREPLY for xid and our chaddr into l (options
 * checked for length). 0, or -1 if it is not one.
 */
static int
dhcp_parse(const uint8_t *m, uint32_t len, uint32_t xid, struct lease *l)
{
	const uint8_t	*p, *end = m + len;
	uint8_t		 code, n;

	if (len < BOOTP_LEN + 4 || m[0] != BOOTREPLY ||
	    ((uint32_t)m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7]) != xid ||
	    memcmp(m + 28, netif.mac, 6) != 0 ||
	    memcmp(m + BOOTP_LEN, cookie, 4) != 0)
		return -1;
	memset(l, 0, sizeof(*l));
	memcpy(l->yiaddr, m + 16, 4);
	for (p = m + BOOTP_LEN + 4; p < end; p += n) {
		n = 0;
		if ((code = *p++) == OPT_PAD)
			continue;
		if (code == OPT_END)
			break;
		if (p >= end || p + 1 + *p > end)
			return -1;
		n = *p++;
		if (code == OPT_MSGTYPE && n == 1)
			l->type = p[0];
		else if (code == OPT_SERVER && n == 4)
			memcpy(l->server, p, 4);
		else if (code == OPT_MASK && n == 4)
			memcpy(l->mask, p, 4);
		else if (code == OPT_ROUTER && n >= 4)
			memcpy(l->router, p, 4);
		else if (code == OPT_DNS && n >= 4)
			memcpy(l->dns, p, 4);
		else if (code == OPT_LEASE && n == 4)
			l->time = (uint32_t)p[0] << 24 | p[1] << 16 |
			    p[2] << 8 | p[3];
	}
	return l->type != 0 ? 0 : -1;
}

/*
 * dhcp_wait: the next reply of one of the types wanted (bit mask) within
 * us microseconds, checked UDP 67 -> 68 with a good IP header. 0 or -1.
 */
static int
dhcp_wait(uint32_t xid, uint32_t want, uint64_t us, struct lease *l)
{
	uint8_t		 f[FRAME_MAX], *ip, *u;
	uint64_t	 t0 = time_us();
	uint32_t	 len, ihl, ulen;

	while (time_us() - t0 < us) {
		if (!net_poll(f, &len)) {
			cpu_relax();
			continue;
		}
		ip = f + 14;
		if (len < 42 || net_get16(f + 12) != ETH_IP ||
		    (ip[0] >> 4) != 4 || ip[9] != 17)
			continue;
		ihl = 4u * (ip[0] & 0xf);
		if (ihl < 20 || 14 + ihl + 8 > len ||
		    net_cksum(0, ip, ihl) != 0)
			continue;
		u = ip + ihl;
		ulen = net_get16(u + 4);
		if (net_get16(u) != 67 || net_get16(u + 2) != 68 ||
		    ulen < 8 || u + ulen > f + len)
			continue;
		if (dhcp_parse(u + 8, ulen - 8, xid, l) == 0 &&
		    (want & 1U << l->type))
			return 0;
	}
	return -1;
}

static int
dhcp_send(const uint8_t *msg, uint32_t len)
{
	uint8_t	 f[FRAME_MAX];

	return net_send(f, (uint32_t)net_udp_frame(f, bcast_mac, ip_any,
	    ip_bcast, 68, 67, msg, len));
}

/*
 * check_dhcp: on the first interface, DISCOVER until an OFFER (retries
 * at 1, 2, 4, 4... s, tg.dhcp.timeout seconds in all, default 30), then
 * REQUEST it until an ACK or NAK; prints the lease. tg.dhcp.expect=IP
 * must be the address leased. Then, with the address, the router must
 * answer ARP and ICMP echoes, and so must tg.dhcp.ping=IP through it.
 */
void
check_dhcp(void)
{
	struct lease	 offer, ack;
	char		 s[32], a[20];
	uint8_t		 msg[DHCP_MIN + 64], want[4], rmac[6];
	uint64_t	 t0, timeout = 30, wait;
	uint32_t	 xid, len;
	int		 tries, got = -1;

	if (net_up() == -1) {
		tap_skip("dhcp: no virtio-net interface");
		return;
	}
	(void)cmdline_u64("tg.dhcp.timeout", &timeout);
	xid = (uint32_t)rdtsc() ^ (uint32_t)netif.mac[5] << 24 ^
	    (uint32_t)netif.mac[4] << 16;
	t0 = time_us();
	for (tries = 0, wait = 1000000; time_us() - t0 < timeout * 1000000;
	    tries++, wait = wait < 4000000 ? 2 * wait : wait) {
		len = dhcp_msg(msg, xid, (uint16_t)((time_us() - t0) /
		    1000000), NULL);
		(void)dhcp_send(msg, len);
		if ((got = dhcp_wait(xid, 1U << DHCPOFFER, wait, &offer)) == 0)
			break;
	}
	wait = (time_us() - t0) / 1000;
	if (!tap_ok(got == 0, "dhcp: OFFER %u.%u.%u.%u from %u.%u.%u.%u "
	    "(%d DISCOVERs, %lu ms)", offer.yiaddr[0], offer.yiaddr[1],
	    offer.yiaddr[2], offer.yiaddr[3], offer.server[0],
	    offer.server[1], offer.server[2], offer.server[3], tries + 1,
	    wait))
		return;
	for (tries = 0; tries < 4; tries++) {
		len = dhcp_msg(msg, xid, (uint16_t)((time_us() - t0) /
		    1000000), &offer);
		(void)dhcp_send(msg, len);
		if ((got = dhcp_wait(xid, 1U << DHCPACK | 1U << DHCPNAK,
		    2000000, &ack)) == 0)
			break;
	}
	snprintf(a, sizeof(a), "%u.%u.%u.%u", ack.yiaddr[0], ack.yiaddr[1],
	    ack.yiaddr[2], ack.yiaddr[3]);
	if (!tap_ok(got == 0 && ack.type == DHCPACK &&
	    memcmp(ack.yiaddr, offer.yiaddr, 4) == 0, "dhcp: leased %s "
	    "mask %u.%u.%u.%u router %u.%u.%u.%u dns %u.%u.%u.%u lease %u s",
	    a, ack.mask[0], ack.mask[1], ack.mask[2], ack.mask[3],
	    ack.router[0], ack.router[1], ack.router[2], ack.router[3],
	    ack.dns[0], ack.dns[1], ack.dns[2], ack.dns[3], ack.time))
		return;
	memcpy(netif.ip, ack.yiaddr, 4);
	if (cmdline_get("tg.dhcp.expect", s, sizeof(s)))
		tap_ok(net_parse_ip(s, want) == 0 &&
		    memcmp(want, ack.yiaddr, 4) == 0, "dhcp: %s == "
		    "tg.dhcp.expect", a);
	if (ack.router[0] == 0)
		return;
	/* With the lease: the router, and beyond it tg.dhcp.ping. */
	t0 = time_us();
	got = net_arp_resolve(ack.router, rmac, 10000000);
	if (got == 0)
		for (tries = got = 0; tries < 3; tries++)
			got += net_ping(rmac, ack.router,
			    (uint16_t)(100 + tries));
	else
		got = 0;
	tap_ok(got == 3, "dhcp: router %u.%u.%u.%u answers ARP and %d/3 ICMP "
	    "echoes (%lu ms)", ack.router[0], ack.router[1], ack.router[2],
	    ack.router[3], got, (time_us() - t0) / 1000);
	if (got == 0 || !cmdline_get("tg.dhcp.ping", s, sizeof(s)))
		return;
	if (net_parse_ip(s, want) == -1) {
		tap_ok(0, "dhcp: tg.dhcp.ping=%s is not an address", s);
		return;
	}
	for (tries = got = 0; tries < 3; tries++)
		got += net_ping(rmac, want, (uint16_t)(200 + tries));
	tap_ok(got == 3, "dhcp: %s answers %d/3 ICMP echoes through the "
	    "router", s, got);
}
