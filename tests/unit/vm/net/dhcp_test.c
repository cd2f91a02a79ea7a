/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/net/dhcp.c; `--pcap FILE` and `--seeds DIR` also save frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/tap.h"
#include "vm/net/dhcp.h"

#define GUEST_MAC	{ 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x34 }
#define SERVER_MAC	{ 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x35 }

/* Offsets into a frame: Ethernet 14, IPv4 20, UDP 8, then BOOTP. */
#define IP	14
#define UDP	34
#define BP	42
#define OPTS	(BP + 240)

struct req {
	int		 type;		/* option 53; -1 none */
	uint16_t	 flags;
	const char	*ciaddr;
	const char	*reqaddr;	/* option 50, NULL none */
	const char	*serverid;	/* option 54, NULL none */
	const char	*ipdst;		/* NULL: 255.255.255.255 */
	const uint8_t	*clientid;	/* option 61 */
	size_t		 clientidlen;
	int		 overload;	/* put option 53 in file, 52 = 1 */
};

static const uint8_t guest_mac[6] = GUEST_MAC;
static const uint8_t server_mac[6] = SERVER_MAC;
static FILE *pcap;

static void
put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t
sum(uint32_t s, const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void
addr(uint8_t *p, const char *s)
{
	struct in_addr	a;

	inet_pton(AF_INET, s, &a);
	memcpy(p, &a, 4);
}

static void
pcap_frame(const uint8_t *f, size_t len)
{
	uint32_t	rec[4];
	static uint32_t	ts;

	if (pcap == NULL)
		return;
	rec[0] = 1700000000 + ts++;
	rec[1] = 0;
	rec[2] = rec[3] = (uint32_t)len;
	fwrite(rec, sizeof(rec), 1, pcap);
	fwrite(f, 1, len, pcap);
}

/* A DHCP request frame from the guest, as a client would send it. */
static size_t
mkreq(uint8_t *f, const struct req *q)
{
	uint8_t		*ip = f + IP, *udp = f + UDP, *bp = f + BP, *o;
	size_t		 off = 0, udplen;
	uint32_t	 s;

	memset(f, 0, 600);
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0800);
	bp[0] = 1;
	bp[1] = 1;
	bp[2] = 6;
	memcpy(bp + 4, "\x12\x34\x56\x78", 4);
	put16(bp + 10, q->flags);
	addr(bp + 12, q->ciaddr ? q->ciaddr : "0.0.0.0");
	memcpy(bp + 28, guest_mac, 6);
	memcpy(bp + 236, "\x63\x82\x53\x63", 4);
	o = bp + 240;
	if (q->overload) {
		o[off++] = 52;
		o[off++] = 1;
		o[off++] = 1;
		bp[108] = 53;
		bp[109] = 1;
		bp[110] = (uint8_t)q->type;
		bp[111] = 255;
	} else if (q->type != -1) {
		o[off++] = 53;
		o[off++] = 1;
		o[off++] = (uint8_t)q->type;
	}
	if (q->reqaddr) {
		o[off++] = 50;
		o[off++] = 4;
		addr(o + off, q->reqaddr);
		off += 4;
	}
	if (q->serverid) {
		o[off++] = 54;
		o[off++] = 4;
		addr(o + off, q->serverid);
		off += 4;
	}
	if (q->clientid) {
		o[off++] = 61;
		o[off++] = (uint8_t)q->clientidlen;
		memcpy(o + off, q->clientid, q->clientidlen);
		off += q->clientidlen;
	}
	o[off++] = 55;		/* parameter request list */
	o[off++] = 3;
	o[off++] = 1;
	o[off++] = 3;
	o[off++] = 6;
	o[off++] = 255;
	udplen = 8 + 240 + off;
	if (udplen < 8 + 300)
		udplen = 8 + 300;
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (unsigned int)udplen);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned int)(20 + udplen));
	ip[8] = 64;
	ip[9] = 17;
	addr(ip + 12, q->ciaddr ? q->ciaddr : "0.0.0.0");
	addr(ip + 16, q->ipdst ? q->ipdst : "255.255.255.255");
	put16(ip + 10, ~sum(0, ip, 20) & 0xffff);
	s = sum(0, ip + 12, 8) + 17 + (uint32_t)udplen;
	s = ~sum(s, udp, udplen) & 0xffff;
	put16(udp + 6, s == 0 ? 0xffff : s);
	return 14 + 20 + udplen;
}

static void
config(struct dhcp_config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->guest_mac, guest_mac, 6);
	memcpy(c->server_mac, server_mac, 6);
	inet_pton(AF_INET, "100.64.1.2", &c->host);
	inet_pton(AF_INET, "100.64.1.3", &c->guest);
	c->lease = DHCP_LEASE_INFINITE;
}

/* Run one frame through dhcp_input from an exactly-sized heap copy. */
static int
run(const struct dhcp_config *c, const uint8_t *f, size_t len, uint8_t *out,
    size_t *rlen)
{
	uint8_t	*copy;
	int	 v;

	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, f, len);
	v = dhcp_input(c, copy, len, out, DHCP_FRAME_MAX, rlen);
	free(copy);
	return v;
}

/* The value of option code in a reply's options, or NULL; *len its size. */
static const uint8_t *
opt(const uint8_t *r, size_t rlen, int code, size_t *len)
{
	size_t	i = OPTS;

	while (i < rlen && r[i] != 255) {
		if (r[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > rlen || i + 2 + r[i + 1] > rlen)
			return NULL;
		if (r[i] == code) {
			*len = r[i + 1];
			return r + i + 2;
		}
		i += 2 + r[i + 1];
	}
	return NULL;
}

static int
optaddr(const uint8_t *r, size_t rlen, int code, const char *want)
{
	const uint8_t	*v;
	size_t		 len;
	uint8_t		 a[4];

	addr(a, want);
	return (v = opt(r, rlen, code, &len)) != NULL && len == 4 &&
	    memcmp(v, a, 4) == 0;
}

static int
isaddr(const uint8_t *p, const char *want)
{
	uint8_t	a[4];

	addr(a, want);
	return memcmp(p, a, 4) == 0;
}

static int
msgtype(const uint8_t *r, size_t rlen)
{
	const uint8_t	*v;
	size_t		 len;

	return (v = opt(r, rlen, 53, &len)) != NULL && len == 1 ? v[0] : -1;
}

/* Headers and checksums of a reply are right. */
static int
wellformed(const uint8_t *r, size_t rlen)
{
	size_t		udplen = get16(r + UDP + 4);
	uint32_t	s;

	if (rlen < OPTS + 1 || get16(r + 12) != 0x0800 || r[IP] != 0x45 ||
	    get16(r + IP + 2) != rlen - IP || udplen != rlen - UDP ||
	    udplen < 8 + 300 || sum(0, r + IP, 20) != 0xffff ||
	    get16(r + UDP) != 67 || get16(r + UDP + 2) != 68 ||
	    memcmp(r + 6, server_mac, 6) != 0 || !isaddr(r + IP + 12,
	    "100.64.1.2") || r[BP] != 2 || memcmp(r + BP + 4,
	    "\x12\x34\x56\x78", 4) != 0 || memcmp(r + BP + 28, guest_mac,
	    6) != 0 || memcmp(r + BP + 236, "\x63\x82\x53\x63", 4) != 0)
		return 0;
	s = sum(0, r + IP + 12, 8) + 17 + (uint32_t)udplen;
	return sum(s, r + UDP, udplen) == 0xffff;
}

static void
test_discover(const struct dhcp_config *c)
{
	uint8_t		 f[600], r[DHCP_FRAME_MAX];
	struct req	 q = { .type = 1, .flags = 0x8000 };
	size_t		 len, rlen, olen;
	const uint8_t	*v;

	len = mkreq(f, &q);
	pcap_frame(f, len);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "DISCOVER answered");
	pcap_frame(r, rlen);
	tap_ok(wellformed(r, rlen), "OFFER headers and checksums");
	tap_is(msgtype(r, rlen), 2, "OFFER");
	tap_ok(memcmp(r, "\xff\xff\xff\xff\xff\xff", 6) == 0 &&
	    isaddr(r + IP + 16, "255.255.255.255"), "broadcast flag: broadcast");
	tap_is(get16(r + BP + 10), 0x8000, "broadcast flag echoed");
	tap_ok(isaddr(r + BP + 16, "100.64.1.3"), "yiaddr is the guest side");
	tap_ok(isaddr(r + BP + 12, "0.0.0.0"), "ciaddr 0");
	tap_ok(optaddr(r, rlen, 54, "100.64.1.2"), "server id = host side");
	tap_ok(optaddr(r, rlen, 3, "100.64.1.2"), "router = host side");
	tap_ok(optaddr(r, rlen, 6, "100.64.1.2"), "DNS = host side");
	tap_ok(optaddr(r, rlen, 1, "255.255.255.254"), "mask /31");
	tap_ok((v = opt(r, rlen, 51, &olen)) != NULL && olen == 4 &&
	    memcmp(v, "\xff\xff\xff\xff", 4) == 0, "lease infinite");
	tap_ok(opt(r, rlen, 12, &olen) == NULL, "no hostname unless set");

	q.flags = 0;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "DISCOVER, unicast");
	tap_ok(wellformed(r, rlen) && memcmp(r, guest_mac, 6) == 0 &&
	    isaddr(r + IP + 16, "100.64.1.3"), "no broadcast flag: unicast "
	    "to chaddr and yiaddr");
	pcap_frame(r, rlen);
}

static void
test_request(const struct dhcp_config *c)
{
	uint8_t		 f[600], r[DHCP_FRAME_MAX];
	struct req	 q = { .type = 3, .reqaddr = "100.64.1.3",
			    .serverid = "100.64.1.2" };
	size_t		 len, rlen;

	len = mkreq(f, &q);
	pcap_frame(f, len);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "REQUEST (selecting)");
	pcap_frame(r, rlen);
	tap_ok(wellformed(r, rlen) && msgtype(r, rlen) == 5 &&
	    isaddr(r + BP + 16, "100.64.1.3"), "ACK with yiaddr");

	q.reqaddr = "100.64.1.5";
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "REQUEST other address");
	pcap_frame(r, rlen);
	tap_ok(wellformed(r, rlen) && msgtype(r, rlen) == 6 &&
	    isaddr(r + BP + 16, "0.0.0.0") && opt(r, rlen, 51, &len) == NULL &&
	    memcmp(r, "\xff\xff\xff\xff\xff\xff", 6) == 0 &&
	    isaddr(r + IP + 16, "255.255.255.255"), "NAK, broadcast");

	q.serverid = "10.0.0.1";
	q.reqaddr = "100.64.1.3";
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP,
	    "REQUEST for another server: dropped");

	q.serverid = NULL;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "INIT-REBOOT");
	tap_is(msgtype(r, rlen), 5, "INIT-REBOOT right address: ACK");
	q.reqaddr = "100.64.2.3";
	len = mkreq(f, &q);
	run(c, f, len, r, &rlen);
	tap_is(msgtype(r, rlen), 6, "INIT-REBOOT wrong address: NAK");

	q.reqaddr = NULL;
	q.ciaddr = "100.64.1.3";
	q.ipdst = "100.64.1.2";
	len = mkreq(f, &q);
	memcpy(f, server_mac, 6);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "RENEWING (unicast)");
	pcap_frame(r, rlen);
	tap_ok(wellformed(r, rlen) && msgtype(r, rlen) == 5 &&
	    memcmp(r, guest_mac, 6) == 0 && isaddr(r + IP + 16, "100.64.1.3") &&
	    isaddr(r + BP + 12, "100.64.1.3"), "ACK unicast to ciaddr");
	q.ciaddr = "100.64.7.7";
	len = mkreq(f, &q);
	run(c, f, len, r, &rlen);
	tap_is(msgtype(r, rlen), 6, "RENEWING a foreign address: NAK");

	q.ciaddr = NULL;
	q.ipdst = NULL;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP,
	    "REQUEST with no address at all: dropped");

	q.ciaddr = "100.64.1.3";
	q.serverid = "100.64.1.2";
	q.reqaddr = "100.64.1.3";
	len = mkreq(f, &q);
	run(c, f, len, r, &rlen);
	tap_is(msgtype(r, rlen), 6, "SELECTING with ciaddr set: NAK");
}

static void
test_other(const struct dhcp_config *c)
{
	uint8_t		 f[600], r[DHCP_FRAME_MAX];
	struct req	 q = { .type = 8, .ciaddr = "100.64.1.3" };
	static const uint8_t cid[7] = { 1, 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x34 };
	size_t		 len, rlen, olen;
	const uint8_t	*v;

	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY, "INFORM");
	pcap_frame(r, rlen);
	tap_ok(wellformed(r, rlen) && msgtype(r, rlen) == 5 &&
	    isaddr(r + BP + 16, "0.0.0.0") && opt(r, rlen, 51, &olen) == NULL &&
	    isaddr(r + IP + 16, "100.64.1.3") &&
	    optaddr(r, rlen, 3, "100.64.1.2"),
	    "INFORM: ACK without yiaddr or lease, to ciaddr");
	q.ciaddr = NULL;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP, "INFORM without ciaddr");

	q.type = 7;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP, "RELEASE: dropped");
	q.type = 4;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP, "DECLINE: dropped");
	q.type = 2;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP, "OFFER from a guest");
	q.type = -1;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP, "no message type (BOOTP)");

	q.type = 1;
	q.overload = 1;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_REPLY,
	    "message type in an overloaded file field");
	tap_is(msgtype(r, rlen), 2, "overloaded DISCOVER: OFFER");

	q.overload = 0;
	q.clientid = cid;
	q.clientidlen = sizeof(cid);
	len = mkreq(f, &q);
	run(c, f, len, r, &rlen);
	pcap_frame(r, rlen);
	tap_ok((v = opt(r, rlen, 61, &olen)) != NULL && olen == sizeof(cid) &&
	    memcmp(v, cid, sizeof(cid)) == 0, "client id echoed (RFC 6842)");
	q.clientidlen = 1;
	len = mkreq(f, &q);
	tap_is(run(c, f, len, r, &rlen), DHCP_DROP,
	    "client id of length 1: malformed");
}

static void
test_reject(const struct dhcp_config *c)
{
	uint8_t		 f[600], g[600], r[DHCP_FRAME_MAX];
	struct req	 q = { .type = 1, .flags = 0x8000 };
	size_t		 len, rlen, i;
	int		 bad;

	len = mkreq(f, &q);
	memcpy(g, f, len);
	g[11] ^= 1;
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "foreign source MAC: pass");
	memcpy(g, f, len);
	g[0] = 0x02;
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "other destination MAC");
	memcpy(g, f, len);
	g[IP + 9] = 6;
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "TCP: pass");
	memcpy(g, f, len);
	put16(g + UDP + 2, 53);
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "other port: pass");
	memcpy(g, f, len);
	addr(g + IP + 16, "8.8.8.8");
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "other IP destination");
	memcpy(g, f, len);
	g[IP + 6] = 0x20;
	tap_is(run(c, g, len, r, &rlen), DHCP_PASS, "fragment: pass");
	memcpy(g, f, len);
	g[IP + 10] ^= 0x55;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "bad IP checksum: drop");
	memcpy(g, f, len);
	g[BP + 28 + 5] ^= 1;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "chaddr not the guest's");
	memcpy(g, f, len);
	addr(g + BP + 24, "10.1.1.1");
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "relayed (giaddr): drop");
	memcpy(g, f, len);
	g[BP + 236] = 0;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "no magic cookie: drop");
	memcpy(g, f, len);
	g[BP] = 2;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "BOOTREPLY from guest");
	memcpy(g, f, len);
	g[OPTS + 3] = 50;	/* an option whose length runs off the end */
	g[OPTS + 4] = 200;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "option past the end");
	memcpy(g, f, len);
	put16(g + UDP + 4, 1000);
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "UDP length too long");
	memcpy(g, f, len);
	g[OPTS + 1] = 2;
	tap_is(run(c, g, len, r, &rlen), DHCP_DROP, "message type length 2");

	/* Every truncation: never a reply, never a read past the end. */
	bad = 0;
	for (i = 0; i < len; i++)
		if (run(c, f, i, r, &rlen) == DHCP_REPLY)
			bad++;
	tap_is(bad, 0, "no reply to any truncated DISCOVER");

	/* Option areas ending without END, full of PAD, or odd sizes. */
	memcpy(g, f, len);
	memset(g + OPTS + 3, 0, len - OPTS - 3);
	tap_is(run(c, g, len, r, &rlen), DHCP_REPLY, "no END, PAD to the end");
	tap_is(dhcp_input(c, f, len, r, 100, &rlen), -1, "short out buffer");
	tap_is(errno, ENOBUFS, "ENOBUFS");
}

static void
test_arp(struct dhcp_config *c)
{
	uint8_t	f[42], r[DHCP_FRAME_MAX];
	size_t	rlen;

	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, guest_mac, 6);
	addr(f + 28, "100.64.1.3");
	memset(f + 32, 0, 6);
	addr(f + 38, "100.64.1.2");
	tap_is(run(c, f, sizeof(f), r, &rlen), DHCP_PASS,
	    "ARP passes without DHCP_F_ARP");
	c->flags |= DHCP_F_ARP;
	pcap_frame(f, sizeof(f));
	tap_is(run(c, f, sizeof(f), r, &rlen), DHCP_REPLY, "ARP for host");
	pcap_frame(r, rlen);
	tap_ok(rlen == 60 && memcmp(r, guest_mac, 6) == 0 &&
	    memcmp(r + 6, server_mac, 6) == 0 && get16(r + 12) == 0x0806 &&
	    get16(r + 20) == 2 && memcmp(r + 22, server_mac, 6) == 0 &&
	    isaddr(r + 28, "100.64.1.2") && memcmp(r + 32, guest_mac, 6) == 0 &&
	    isaddr(r + 38, "100.64.1.3"), "ARP reply fields");
	addr(f + 38, "100.64.1.3");
	tap_is(run(c, f, sizeof(f), r, &rlen), DHCP_PASS,
	    "ARP for the guest's own address (probe) passes");
	addr(f + 38, "100.64.1.2");
	tap_is(run(c, f, 41, r, &rlen), DHCP_PASS, "short ARP passes");
	c->flags &= ~DHCP_F_ARP;
}

static void
test_names(struct dhcp_config *c)
{
	uint8_t		 f[600], r[DHCP_FRAME_MAX];
	struct req	 q = { .type = 1, .flags = 0x8000 };
	size_t		 len, rlen, olen;
	const uint8_t	*v;
	uint8_t		 m[6];
	static const uint8_t edge[6] = { 2, 0, 0, 0, 0xff, 0xff };

	strlcpy(c->hostname, "web1", sizeof(c->hostname));
	strlcpy(c->bootfile, "auto_install", sizeof(c->bootfile));
	c->lease = 3600;
	len = mkreq(f, &q);
	run(c, f, len, r, &rlen);
	pcap_frame(r, rlen);
	tap_ok((v = opt(r, rlen, 12, &olen)) != NULL && olen == 4 &&
	    memcmp(v, "web1", 4) == 0, "hostname option");
	tap_ok(strcmp((const char *)r + BP + 108, "auto_install") == 0 &&
	    isaddr(r + BP + 20, "100.64.1.2"), "bootfile and siaddr");
	tap_ok((v = opt(r, rlen, 51, &olen)) != NULL &&
	    memcmp(v, "\x00\x00\x0e\x10", 4) == 0, "lease 3600");
	c->hostname[0] = c->bootfile[0] = '\0';
	c->lease = DHCP_LEASE_INFINITE;

	dhcp_server_mac(guest_mac, m);
	tap_ok(memcmp(m, server_mac, 6) == 0, "server MAC = guest + 1");
	dhcp_server_mac(edge, m);
	tap_ok(memcmp(m, "\x02\x00\x00\x01\x00\x00", 6) == 0,
	    "server MAC carries");
}

/* Write the request frames the fuzz harness starts from. */
static void
seeds(const char *dir)
{
	uint8_t		 f[600];
	struct req	 qs[] = {
		{ .type = 1, .flags = 0x8000 },
		{ .type = 3, .reqaddr = "100.64.1.3", .serverid = "100.64.1.2" },
		{ .type = 3, .ciaddr = "100.64.1.3", .ipdst = "100.64.1.2" },
		{ .type = 8, .ciaddr = "100.64.1.3" },
		{ .type = 1, .overload = 1 },
	};
	char		 path[1024];
	size_t		 i, len;
	FILE		*fp;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		len = mkreq(f, &qs[i]);
		snprintf(path, sizeof(path), "%s/req%zu", dir, i);
		if ((fp = fopen(path, "w")) == NULL)
			continue;
		fputc(0, fp);	/* the harness's flag byte */
		fwrite(f, 1, len, fp);
		fclose(fp);
	}
	/* An ARP request for the host side, with DHCP_F_ARP (flag bit 0). */
	memset(f, 0, 42);
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(f + 22, guest_mac, 6);
	addr(f + 28, "100.64.1.3");
	addr(f + 38, "100.64.1.2");
	snprintf(path, sizeof(path), "%s/arp", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputc(1, fp);
		fwrite(f, 1, 42, fp);
		fclose(fp);
	}
}

int
main(int argc, char *argv[])
{
	struct dhcp_config	c;
	uint32_t		hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0,
				    65535, 1 };

	if (argc == 3 && strcmp(argv[1], "--pcap") == 0) {
		if ((pcap = fopen(argv[2], "w")) == NULL) {
			perror(argv[2]);
			return 1;
		}
		fwrite(hdr, sizeof(hdr), 1, pcap);
	} else if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
		seeds(argv[2]);
		return 0;
	}
	config(&c);
	test_discover(&c);
	test_request(&c);
	test_other(&c);
	test_reject(&c);
	test_arp(&c);
	test_names(&c);
	if (pcap != NULL)
		fclose(pcap);
	return tap_done();
}
