/* SPDX-License-Identifier: ISC */
/* The VM process's DHCP server and ARP responder for local interfaces. */
#include <errno.h>
#include <string.h>

#include "vm/net/dhcp.h"

/* Ethernet, IPv4, UDP (RFC 791, 768). */
#define ETH_HDR		14
#define ETH_MIN		60		/* shortest frame without FCS */
#define ETYPE_IP	0x0800
#define ETYPE_ARP	0x0806
#define IP_HDR		20
#define IP_PROTO_UDP	17
#define UDP_HDR		8
#define PORT_SERVER	67
#define PORT_CLIENT	68
#define ARP_LEN		28

/* The BOOTP message (RFC 2131 section 2, figure 1). */
#define BP_OP		0
#define BP_HTYPE	1
#define BP_HLEN		2
#define BP_XID		4
#define BP_FLAGS	10
#define BP_CIADDR	12
#define BP_YIADDR	16
#define BP_SIADDR	20
#define BP_GIADDR	24
#define BP_CHADDR	28
#define BP_SNAME	44
#define BP_SNAME_LEN	64
#define BP_FILE		108
#define BP_FILE_LEN	128
#define BP_COOKIE	236
#define BP_OPTIONS	240
#define BP_MIN		300		/* RFC 1542: pad replies to this */
#define BOOTREQUEST	1
#define BOOTREPLY	2
#define HTYPE_ETHER	1
#define BP_BROADCAST	0x8000

/* Options (RFC 2132) and message types. */
#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_HOSTNAME	12
#define OPT_REQADDR	50
#define OPT_LEASE	51
#define OPT_OVERLOAD	52
#define OPT_MSGTYPE	53
#define OPT_SERVERID	54
#define OPT_CLIENTID	61
#define OPT_END		255
#define DHCPDISCOVER	1
#define DHCPOFFER	2
#define DHCPREQUEST	3
#define DHCPDECLINE	4
#define DHCPACK		5
#define DHCPNAK		6
#define DHCPRELEASE	7
#define DHCPINFORM	8

static const uint8_t dhcp_cookie[4] = { 99, 130, 83, 99 };
static const uint8_t dhcp_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Largest reply: headers, fixed BOOTP part and every option at its longest. */
#define DHCP_REPLY_MAX	(ETH_HDR + IP_HDR + UDP_HDR + BP_OPTIONS + \
	    3 + 6 + 6 + 6 + 6 + 6 + (2 + DHCP_HOSTNAME_MAX - 1) + (2 + 255) + 1)
_Static_assert(DHCP_REPLY_MAX <= DHCP_FRAME_MAX, "DHCP_FRAME_MAX too small");

/* What the request said, each option by its first occurrence. */
struct dhcp_req {
	const uint8_t	*bp;		/* the BOOTP message */
	size_t		 bplen;
	int		 msgtype;	/* -1: absent */
	int		 has_reqaddr;
	uint32_t	 reqaddr;	/* network order */
	int		 has_serverid;
	uint32_t	 serverid;
	const uint8_t	*clientid;	/* NULL: absent */
	size_t		 clientidlen;
	int		 overload;	/* 0: absent */
};

static uint16_t
dhcp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
dhcp_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t
dhcp_get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));	/* kept in network order */
	return v;
}

/* One's complement sum of len bytes, for the IP and UDP checksums. */
static uint32_t
dhcp_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		sum += dhcp_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
dhcp_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
dhcp_server_mac(const uint8_t guest[6], uint8_t server[6])
{
	int	i;

	memcpy(server, guest, 6);
	for (i = 5; i >= 0; i--)
		if (++server[i] != 0)
			break;
}

/*
 * Walk one options area (the options field, or file or sname when
 * overloaded). 0, or -1 if an option runs past the end or has a length its
 * code does not allow.
 */
static int
dhcp_options(struct dhcp_req *r, const uint8_t *p, size_t len, int primary)
{
	size_t		 i = 0, olen;
	uint8_t		 code;
	const uint8_t	*v;

	while (i < len) {
		code = p[i];
		if (code == OPT_END)
			return 0;
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (len - i < 2 || (olen = p[i + 1]) > len - i - 2)
			return -1;
		v = p + i + 2;
		i += 2 + olen;
		switch (code) {
		case OPT_MSGTYPE:
			if (olen != 1)
				return -1;
			if (r->msgtype == -1)
				r->msgtype = v[0];
			break;
		case OPT_REQADDR:
			if (olen != 4)
				return -1;
			if (!r->has_reqaddr) {
				r->has_reqaddr = 1;
				r->reqaddr = dhcp_get32(v);
			}
			break;
		case OPT_SERVERID:
			if (olen != 4)
				return -1;
			if (!r->has_serverid) {
				r->has_serverid = 1;
				r->serverid = dhcp_get32(v);
			}
			break;
		case OPT_CLIENTID:
			if (olen < 2)
				return -1;
			if (r->clientid == NULL) {
				r->clientid = v;
				r->clientidlen = olen;
			}
			break;
		case OPT_OVERLOAD:
			/* Only the options field may overload the others. */
			if (olen != 1 || !primary || v[0] < 1 || v[0] > 3)
				return -1;
			if (r->overload == 0)
				r->overload = v[0];
			break;
		default:
			break;
		}
	}
	return 0;	/* no END: tolerated, as many clients pad instead */
}

/* Parse the BOOTP message bp/len into r. 0, or -1 if malformed. */
static int
dhcp_parse(struct dhcp_req *r, const uint8_t *bp, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->bp = bp;
	r->bplen = len;
	r->msgtype = -1;
	if (len < BP_OPTIONS || memcmp(bp + BP_COOKIE, dhcp_cookie, 4) != 0)
		return -1;
	if (dhcp_options(r, bp + BP_OPTIONS, len - BP_OPTIONS, 1) == -1)
		return -1;
	/* RFC 2131 section 4.1: options, then file, then sname. */
	if ((r->overload & 1) &&
	    dhcp_options(r, bp + BP_FILE, BP_FILE_LEN, 0) == -1)
		return -1;
	if ((r->overload & 2) &&
	    dhcp_options(r, bp + BP_SNAME, BP_SNAME_LEN, 0) == -1)
		return -1;
	return 0;
}

/* Append option code with len bytes of v at *off in bp. */
static void
dhcp_opt(uint8_t *bp, size_t *off, uint8_t code, const void *v, size_t len)
{
	bp[(*off)++] = code;
	bp[(*off)++] = (uint8_t)len;
	memcpy(bp + *off, v, len);
	*off += len;
}

/*
 * Build the reply of type type to r into out (room checked by the caller).
 * Returns the frame length.
 */
static size_t
dhcp_reply(const struct dhcp_config *conf, const struct dhcp_req *r,
    int type, uint8_t *out)
{
	uint8_t		*ip = out + ETH_HDR, *udp = ip + IP_HDR;
	uint8_t		*bp = udp + UDP_HDR;
	const uint8_t	*req = r->bp;
	uint32_t	 ciaddr, dst, mask, lease, sum;
	const uint8_t	*dstmac;
	size_t		 off, hlen, bplen, udplen;
	uint16_t	 flags;
	int		 bcast;

	ciaddr = dhcp_get32(req + BP_CIADDR);
	flags = dhcp_get16(req + BP_FLAGS);

	/* BOOTP header (RFC 2131 table 3). */
	memset(bp, 0, BP_MIN);
	bp[BP_OP] = BOOTREPLY;
	bp[BP_HTYPE] = HTYPE_ETHER;
	bp[BP_HLEN] = 6;
	memcpy(bp + BP_XID, req + BP_XID, 4);
	dhcp_put16(bp + BP_FLAGS, flags & BP_BROADCAST);
	if (type == DHCPACK)
		memcpy(bp + BP_CIADDR, &ciaddr, 4);
	if (type == DHCPOFFER ||
	    (type == DHCPACK && r->msgtype != DHCPINFORM))
		memcpy(bp + BP_YIADDR, &conf->guest.s_addr, 4);
	if (conf->bootfile[0] != '\0' && type != DHCPNAK) {
		memcpy(bp + BP_SIADDR, &conf->host.s_addr, 4);
		hlen = strnlen(conf->bootfile, sizeof(conf->bootfile) - 1);
		memcpy(bp + BP_FILE, conf->bootfile, hlen);
	}
	memcpy(bp + BP_CHADDR, req + BP_CHADDR, 16);
	memcpy(bp + BP_COOKIE, dhcp_cookie, 4);

	/* Options (RFC 2132). */
	off = BP_OPTIONS;
	bp[off++] = OPT_MSGTYPE;
	bp[off++] = 1;
	bp[off++] = (uint8_t)type;
	dhcp_opt(bp, &off, OPT_SERVERID, &conf->host.s_addr, 4);
	if (type != DHCPNAK) {
		if (r->msgtype != DHCPINFORM) {
			lease = htonl(conf->lease);
			dhcp_opt(bp, &off, OPT_LEASE, &lease, 4);
		}
		mask = htonl(0xfffffffe);
		dhcp_opt(bp, &off, OPT_MASK, &mask, 4);
		dhcp_opt(bp, &off, OPT_ROUTER, &conf->host.s_addr, 4);
		dhcp_opt(bp, &off, OPT_DNS, &conf->host.s_addr, 4);
		hlen = strnlen(conf->hostname, sizeof(conf->hostname) - 1);
		if (hlen > 0)
			dhcp_opt(bp, &off, OPT_HOSTNAME, conf->hostname, hlen);
	}
	/* RFC 6842: a server echoes the client identifier. */
	if (r->clientid != NULL)
		dhcp_opt(bp, &off, OPT_CLIENTID, r->clientid, r->clientidlen);
	bp[off++] = OPT_END;
	bplen = off < BP_MIN ? BP_MIN : off;

	/* Where to (RFC 2131 section 4.1; we are never behind a relay). */
	bcast = type == DHCPNAK || (flags & BP_BROADCAST) ||
	    (r->msgtype == DHCPINFORM && ciaddr == 0);
	if (!bcast && ciaddr != 0)
		dst = ciaddr;
	else if (!bcast)
		dst = conf->guest.s_addr;
	else
		dst = INADDR_BROADCAST;
	dstmac = bcast ? dhcp_bcast_mac : conf->guest_mac;

	/* UDP, with its checksum over the pseudo-header. */
	udplen = UDP_HDR + bplen;
	dhcp_put16(udp, PORT_SERVER);
	dhcp_put16(udp + 2, PORT_CLIENT);
	dhcp_put16(udp + 4, (uint16_t)udplen);
	dhcp_put16(udp + 6, 0);

	/* IPv4. */
	memset(ip, 0, IP_HDR);
	ip[0] = 0x45;
	dhcp_put16(ip + 2, (uint16_t)(IP_HDR + udplen));
	ip[8] = 64;
	ip[9] = IP_PROTO_UDP;
	memcpy(ip + 12, &conf->host.s_addr, 4);
	memcpy(ip + 16, &dst, 4);
	dhcp_put16(ip + 10, dhcp_fold(dhcp_sum(0, ip, IP_HDR)));

	sum = dhcp_sum(0, ip + 12, 8) + IP_PROTO_UDP + (uint32_t)udplen;
	sum = dhcp_fold(dhcp_sum(sum, udp, udplen));
	dhcp_put16(udp + 6, sum == 0 ? 0xffff : (uint16_t)sum);

	/* Ethernet. */
	memcpy(out, dstmac, 6);
	memcpy(out + 6, conf->server_mac, 6);
	dhcp_put16(out + 12, ETYPE_IP);
	return ETH_HDR + IP_HDR + udplen;
}

/* Decide on a parsed request: the reply type, or -1 for none. */
static int
dhcp_decide(const struct dhcp_config *conf, const struct dhcp_req *r)
{
	uint32_t	ciaddr = dhcp_get32(r->bp + BP_CIADDR);

	switch (r->msgtype) {
	case DHCPDISCOVER:
		return DHCPOFFER;
	case DHCPREQUEST:
		/* RFC 2131 section 4.3.2. */
		if (r->has_serverid) {
			/* SELECTING: the client may have chosen another. */
			if (r->serverid != conf->host.s_addr)
				return -1;
			if (!r->has_reqaddr || ciaddr != 0)
				return DHCPNAK;
			return r->reqaddr == conf->guest.s_addr ?
			    DHCPACK : DHCPNAK;
		}
		if (r->has_reqaddr)	/* INIT-REBOOT */
			return r->reqaddr == conf->guest.s_addr ?
			    DHCPACK : DHCPNAK;
		if (ciaddr != 0)	/* RENEWING or REBINDING */
			return ciaddr == conf->guest.s_addr ?
			    DHCPACK : DHCPNAK;
		return -1;
	case DHCPINFORM:
		return ciaddr != 0 ? DHCPACK : -1;
	default:
		/* DECLINE, RELEASE, server messages: nothing to say. */
		return -1;
	}
}

/* An IPv4 frame: a DHCP request for us? */
static int
dhcp_input_ip(const struct dhcp_config *conf, const uint8_t *f, size_t len,
    uint8_t *out, size_t outlen, size_t *replylen)
{
	const uint8_t	*ip = f + ETH_HDR, *udp, *bp;
	size_t		 avail = len - ETH_HDR, ihl, totlen, udplen;
	uint32_t	 dst;
	struct dhcp_req	 r;
	int		 type;

	if (avail < IP_HDR || (ip[0] >> 4) != 4)
		return DHCP_PASS;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	totlen = dhcp_get16(ip + 2);
	if (ihl < IP_HDR || ihl > avail || ip[9] != IP_PROTO_UDP ||
	    (dhcp_get16(ip + 6) & 0x3fff) != 0 ||	/* MF or offset */
	    totlen < ihl + UDP_HDR || totlen > avail)
		return DHCP_PASS;
	udp = ip + ihl;
	dst = dhcp_get32(ip + 16);
	if (dhcp_get16(udp) != PORT_CLIENT ||
	    dhcp_get16(udp + 2) != PORT_SERVER ||
	    (dst != INADDR_BROADCAST && dst != conf->host.s_addr))
		return DHCP_PASS;

	/*
	 * Ours from here on: anything wrong is dropped. The UDP checksum is
	 * not checked, as with checksum offload the guest leaves it partial.
	 */
	if (dhcp_fold(dhcp_sum(0, ip, ihl)) != 0)
		return DHCP_DROP;
	udplen = dhcp_get16(udp + 4);
	if (udplen < UDP_HDR || udplen > totlen - ihl)
		return DHCP_DROP;
	bp = udp + UDP_HDR;
	if (dhcp_parse(&r, bp, udplen - UDP_HDR) == -1 ||
	    bp[BP_OP] != BOOTREQUEST || bp[BP_HTYPE] != HTYPE_ETHER ||
	    bp[BP_HLEN] != 6 ||
	    memcmp(bp + BP_CHADDR, conf->guest_mac, 6) != 0 ||
	    dhcp_get32(bp + BP_GIADDR) != 0)	/* no relays */
		return DHCP_DROP;
	if ((type = dhcp_decide(conf, &r)) == -1)
		return DHCP_DROP;
	if (outlen < DHCP_REPLY_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	*replylen = dhcp_reply(conf, &r, type, out);
	return DHCP_REPLY;
}

/* An ARP frame: a request for the host address (RFC 826)? */
static int
dhcp_input_arp(const struct dhcp_config *conf, const uint8_t *f, size_t len,
    uint8_t *out, size_t outlen, size_t *replylen)
{
	const uint8_t	*a = f + ETH_HDR;
	uint8_t		*o = out + ETH_HDR;

	if (!(conf->flags & DHCP_F_ARP) || len - ETH_HDR < ARP_LEN ||
	    dhcp_get16(a) != HTYPE_ETHER || dhcp_get16(a + 2) != ETYPE_IP ||
	    a[4] != 6 || a[5] != 4 || dhcp_get16(a + 6) != 1 ||
	    memcmp(a + 8, conf->guest_mac, 6) != 0 ||
	    dhcp_get32(a + 24) != conf->host.s_addr)
		return DHCP_PASS;
	if (outlen < ETH_MIN) {
		errno = ENOBUFS;
		return -1;
	}
	memset(out, 0, ETH_MIN);
	memcpy(out, a + 8, 6);
	memcpy(out + 6, conf->server_mac, 6);
	dhcp_put16(out + 12, ETYPE_ARP);
	dhcp_put16(o, HTYPE_ETHER);
	dhcp_put16(o + 2, ETYPE_IP);
	o[4] = 6;
	o[5] = 4;
	dhcp_put16(o + 6, 2);
	memcpy(o + 8, conf->server_mac, 6);
	memcpy(o + 14, &conf->host.s_addr, 4);
	memcpy(o + 18, a + 8, 10);	/* target = sender's MAC and IP */
	*replylen = ETH_MIN;
	return DHCP_REPLY;
}

int
dhcp_input(const struct dhcp_config *conf, const void *frame, size_t len,
    void *out, size_t outlen, size_t *replylen)
{
	const uint8_t	*f = frame;

	*replylen = 0;
	/* Only the guest's own MAC, to broadcast or to us. */
	if (len < ETH_HDR || memcmp(f + 6, conf->guest_mac, 6) != 0 ||
	    (memcmp(f, dhcp_bcast_mac, 6) != 0 &&
	    memcmp(f, conf->server_mac, 6) != 0))
		return DHCP_PASS;
	switch (dhcp_get16(f + 12)) {
	case ETYPE_IP:
		return dhcp_input_ip(conf, f, len, out, outlen, replylen);
	case ETYPE_ARP:
		return dhcp_input_arp(conf, f, len, out, outlen, replylen);
	default:
		return DHCP_PASS;
	}
}
