/* SPDX-License-Identifier: ISC */
/* Unit tests for the IMSG_PRIV_* payloads of lib/proto.c. */
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "proto.h"

/* Every truncation and one leftover byte of a good payload are refused. */
#define EXACT(dec, buf, len, out, what) do {				\
	int	i_, bad_ = 0;						\
	for (i_ = 0; i_ < (len); i_++)					\
		if (dec((buf), (size_t)i_, (out)) == 0)			\
			bad_++;						\
	if (dec((buf), (size_t)(len) + 1, (out)) == 0 || errno != EBADMSG) \
		bad_++;							\
	tap_is(bad_, 0, what ": only the exact length decodes");	\
} while (0)

static void
test_names(void)
{
	struct proto_ifdescr	d, d2;
	struct proto_ifvalue	v, v2;
	struct proto_ifbradd	br, br2;
	uint8_t			buf[IMSG_MAX_PAYLOAD + 1];
	int			len;

	memset(&d, 0, sizeof(d));
	strlcpy(d.name, "tap3", sizeof(d.name));
	strlcpy(d.descr, "vm1-if0-web", sizeof(d.descr));
	len = proto_ifdescr_encode(&d, buf);
	tap_ok(len == 2 + 4 + 2 + 11 && proto_ifdescr_decode(buf,
	    (size_t)len, &d2) == 0 && memcmp(&d, &d2, sizeof(d)) == 0,
	    "ifdescr: round trip, length-prefixed strings");
	EXACT(proto_ifdescr_decode, buf, len, &d2, "ifdescr");
	buf[3] = '\0';
	tap_ok(proto_ifdescr_decode(buf, (size_t)len, &d2) == -1 &&
	    d2.name[0] == '\0', "ifdescr: embedded NUL refused, zeroed");
	buf[0] = PROTO_IFNAME_MAX;
	tap_ok(proto_ifdescr_decode(buf, (size_t)len, &d2) == -1,
	    "ifdescr: a name too long for IFNAMSIZ refused");
	d.descr[0] = '\0';
	tap_ok(proto_ifdescr_encode(&d, buf) == 2 + 4 + 2,
	    "ifdescr: an empty description clears it");
	d.name[0] = '\0';
	tap_ok(proto_ifdescr_encode(&d, buf) == -1 && errno == EINVAL,
	    "ifdescr: empty name does not encode");
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 0;
	tap_ok(proto_ifdescr_decode(buf, 4, &d2) == -1,
	    "ifdescr: empty name refused");
	memset(d.name, 'x', sizeof(d.name));
	tap_ok(proto_ifdescr_encode(&d, buf) == -1,
	    "ifdescr: unterminated name does not encode");

	memset(&v, 0, sizeof(v));
	strlcpy(v.name, "tap0", sizeof(v.name));
	v.value = 0xdeadbeef;
	len = proto_ifvalue_encode(&v, buf);
	tap_ok(len == 2 + 4 + 4 && proto_ifvalue_decode(buf, (size_t)len,
	    &v2) == 0 && memcmp(&v, &v2, sizeof(v)) == 0,
	    "ifvalue: round trip");
	EXACT(proto_ifvalue_decode, buf, len, &v2, "ifvalue");

	memset(&br, 0, sizeof(br));
	strlcpy(br.bridge, "vmbr0", sizeof(br.bridge));
	strlcpy(br.name, "tap1", sizeof(br.name));
	len = proto_ifbradd_encode(&br, buf);
	tap_ok(len > 0 && proto_ifbradd_decode(buf, (size_t)len, &br2) == 0 &&
	    memcmp(&br, &br2, sizeof(br)) == 0, "ifbradd: round trip");
	EXACT(proto_ifbradd_decode, buf, len, &br2, "ifbradd");
	br.bridge[0] = '\0';
	tap_ok(proto_ifbradd_encode(&br, buf) == -1,
	    "ifbradd: empty bridge does not encode");
}

static void
test_addrs(void)
{
	struct proto_ifaddr	a, a2;
	struct proto_ifaddr6	a6, b6;
	uint8_t			buf[IMSG_MAX_PAYLOAD + 1];
	int			len;

	memset(&a, 0, sizeof(a));
	strlcpy(a.name, "tap2", sizeof(a.name));
	a.addr.s_addr = htonl(0x64400102);
	a.prefixlen = 31;
	len = proto_ifaddr_encode(&a, buf);
	tap_ok(len == 2 + 4 + 4 + 4 && proto_ifaddr_decode(buf, (size_t)len,
	    &a2) == 0 && memcmp(&a, &a2, sizeof(a)) == 0,
	    "ifaddr: round trip");
	EXACT(proto_ifaddr_decode, buf, len, &a2, "ifaddr");
	a.prefixlen = 33;
	tap_ok(proto_ifaddr_encode(&a, buf) == -1, "ifaddr: /33 does not "
	    "encode");
	memset(buf + len - 4, 0, 4);
	tap_ok(proto_ifaddr_decode(buf, (size_t)len, &a2) == -1,
	    "ifaddr: /0 refused");
	buf[len - 4] = 33;
	tap_ok(proto_ifaddr_decode(buf, (size_t)len, &a2) == -1,
	    "ifaddr: /33 refused");

	memset(&a6, 0, sizeof(a6));
	strlcpy(a6.name, "tap2", sizeof(a6.name));
	inet_pton(AF_INET6, "fd00:1:2::3", &a6.addr);
	a6.prefixlen = 127;
	len = proto_ifaddr6_encode(&a6, buf);
	tap_ok(len == 2 + 4 + 16 + 4 && proto_ifaddr6_decode(buf,
	    (size_t)len, &b6) == 0 && memcmp(&a6, &b6, sizeof(a6)) == 0,
	    "ifaddr6: round trip");
	EXACT(proto_ifaddr6_decode, buf, len, &b6, "ifaddr6");
	buf[len - 4] = 129;
	tap_ok(proto_ifaddr6_decode(buf, (size_t)len, &b6) == -1,
	    "ifaddr6: /129 refused");
	a6.prefixlen = 0;
	tap_ok(proto_ifaddr6_encode(&a6, buf) == -1, "ifaddr6: /0 does not "
	    "encode");
}

static void
test_switch_nat(void)
{
	struct proto_switch	s, s2;
	struct proto_nat	n, n2;
	uint8_t			buf[IMSG_MAX_PAYLOAD + 1];
	int			len;

	memset(&s, 0, sizeof(s));
	strlcpy(s.bridge, "vmbr1", sizeof(s.bridge));
	strlcpy(s.name, "uplink", sizeof(s.name));
	s.up = 1;
	len = proto_switch_encode(&s, buf);
	tap_ok(len > 0 && proto_switch_decode(buf, (size_t)len, &s2) == 0 &&
	    memcmp(&s, &s2, sizeof(s)) == 0, "switch: round trip");
	EXACT(proto_switch_decode, buf, len, &s2, "switch");
	buf[len - 1] = 2;
	tap_ok(proto_switch_decode(buf, (size_t)len, &s2) == -1,
	    "switch: up must be 0/1");
	s.up = 2;
	tap_ok(proto_switch_encode(&s, buf) == -1, "switch: up 2 does not "
	    "encode");

	memset(&n, 0, sizeof(n));
	n.prefix.s_addr = htonl(0x64400000);
	n.prefixlen = 10;
	inet_pton(AF_INET6, "fd00::", &n.prefix6);
	n.prefix6len = 48;
	len = proto_nat_encode(&n, buf);
	tap_ok(len == 4 + 4 + 16 + 4 && proto_nat_decode(buf, (size_t)len,
	    &n2) == 0 && memcmp(&n, &n2, sizeof(n)) == 0, "nat: round trip");
	EXACT(proto_nat_decode, buf, len, &n2, "nat");
	n.prefixlen = 0;
	tap_ok(proto_nat_encode(&n, buf) == -1,
	    "nat: off with an IPv6 prefix does not encode");
	n.prefix6len = 0;
	len = proto_nat_encode(&n, buf);
	tap_ok(len > 0 && proto_nat_decode(buf, (size_t)len, &n2) == 0 &&
	    n2.prefixlen == 0, "nat: off");
	n.prefixlen = 33;
	tap_ok(proto_nat_encode(&n, buf) == -1, "nat: /33 does not encode");
	buf[4] = 33;
	tap_ok(proto_nat_decode(buf, (size_t)len, &n2) == -1,
	    "nat: /33 refused");
	buf[4] = 8;
	buf[24] = 129;
	tap_ok(proto_nat_decode(buf, (size_t)len, &n2) == -1,
	    "nat: /129 refused");
	tap_ok(proto_empty_decode(buf, 0) == 0 &&
	    proto_empty_decode(buf, 1) == -1 && errno == EBADMSG,
	    "reset: empty only");
}

int
main(void)
{
	test_names();
	test_addrs();
	test_switch_nat();
	return tap_done();
}
