/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/localaddr.c: vmd's /31-per-NIC scheme and its IPv6 twin. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "localaddr.h"

static int
pair(const char *prefix, int len, uint32_t id, unsigned int nic,
    const char *host, const char *guest)
{
	struct in_addr	p, h, g;
	char		hb[INET_ADDRSTRLEN], gb[INET_ADDRSTRLEN];

	inet_pton(AF_INET, prefix, &p);
	if (localaddr_inet(p, len, id, nic, &h, &g) == -1)
		return 0;
	inet_ntop(AF_INET, &h, hb, sizeof(hb));
	inet_ntop(AF_INET, &g, gb, sizeof(gb));
	if (strcmp(hb, host) != 0 || strcmp(gb, guest) != 0) {
		printf("# got %s %s\n", hb, gb);
		return 0;
	}
	return 1;
}

static int
fails(const char *prefix, int len, uint32_t id, unsigned int nic, int err)
{
	struct in_addr	p, h;

	inet_pton(AF_INET, prefix, &p);
	errno = 0;
	return localaddr_inet(p, len, id, nic, &h, NULL) == -1 && errno == err;
}

static int
pair6(const char *prefix, int len, const char *guest4, const char *host,
    const char *guest)
{
	struct in6_addr	p, h, g;
	struct in_addr	a;
	char		hb[INET6_ADDRSTRLEN], gb[INET6_ADDRSTRLEN];

	inet_pton(AF_INET6, prefix, &p);
	inet_pton(AF_INET, guest4, &a);
	if (localaddr_inet6(&p, len, a, &h, &g) == -1)
		return 0;
	inet_ntop(AF_INET6, &h, hb, sizeof(hb));
	inet_ntop(AF_INET6, &g, gb, sizeof(gb));
	if (strcmp(hb, host) != 0 || strcmp(gb, guest) != 0) {
		printf("# got %s %s\n", hb, gb);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct in6_addr	p6;
	struct in_addr	a;

	tap_ok(pair("100.64.0.0", 10, 1, 0, "100.64.1.2", "100.64.1.3"),
	    "VM 1 NIC 0: 100.64.1.2/31 host, .3 guest (vmd's example)");
	tap_ok(pair("100.64.0.0", 10, 1, 3, "100.64.1.8", "100.64.1.9"),
	    "VM 1 NIC 3: .8/.9");
	tap_ok(pair("100.64.0.0", 10, 2, 1, "100.64.2.4", "100.64.2.5"),
	    "VM 2 NIC 1");
	tap_ok(pair("100.64.0.0", 10, 300, 0, "100.65.44.2", "100.65.44.3"),
	    "VM 300 crosses into the next /16");
	tap_ok(pair("100.64.0.0", 10, 16383, 125, "100.127.255.252",
	    "100.127.255.253"), "last id and NIC of a /10");
	tap_ok(pair("10.0.0.0", 16, 255, 0, "10.0.255.2", "10.0.255.3"),
	    "/16: id 255 fits");
	tap_ok(pair("10.9.8.7", 16, 1, 0, "10.9.1.2", "10.9.1.3"),
	    "host bits of the prefix are ignored");
	tap_ok(fails("10.0.0.0", 16, 256, 0, ERANGE),
	    "/16: id 256 does not fit (ERANGE)");
	tap_ok(fails("100.64.0.0", 10, 16384, 0, ERANGE),
	    "/10: id 16384 does not fit");
	tap_ok(fails("100.64.0.0", 10, 0, 0, EINVAL), "id 0: EINVAL");
	tap_ok(fails("100.64.0.0", 10, 1, 126, EINVAL), "NIC 126: EINVAL");
	tap_ok(fails("100.64.0.0", 17, 1, 0, EINVAL), "prefix /17: EINVAL");
	tap_ok(fails("0.0.0.0", 0, 1, 0, EINVAL), "prefix /0: EINVAL");
	tap_is(localaddr_maxid(10), 16383, "maxid /10");
	tap_is(localaddr_maxid(16), 255, "maxid /16");
	tap_is(localaddr_maxid(1), (1 << 23) - 1, "maxid /1");
	tap_is(localaddr_maxid(20), 0, "maxid /20: 0");
	inet_pton(AF_INET, "100.64.0.0", &a);
	tap_ok(localaddr_inet(a, 10, 1, 0, NULL, NULL) == 0, "NULL outputs");

	tap_ok(pair6("fd00:1:2:3::", 64, "100.64.1.3",
	    "fd00:1:2:3:6440:103:0:1", "fd00:1:2:3:6440:103:0:2"),
	    "IPv6: guest IPv4 in bytes 8-11, ::1 host, ::2 guest");
	tap_ok(pair6("fd12:3456:789a:bcde:ffff::", 48, "100.64.2.5",
	    "fd12:3456:789a:0:6440:205:0:1", "fd12:3456:789a:0:6440:205:0:2"),
	    "IPv6 /48: bits past the prefix cleared");
	tap_ok(pair6("fd12:34ff::", 20, "100.64.1.3",
	    "fd12:3000::6440:103:0:1", "fd12:3000::6440:103:0:2"),
	    "IPv6 /20: partial byte masked");
	inet_pton(AF_INET6, "fd00::", &p6);
	errno = 0;
	tap_ok(localaddr_inet6(&p6, 65, a, NULL, NULL) == -1 &&
	    errno == EINVAL, "IPv6 /65: EINVAL");
	tap_ok(localaddr_inet6(&p6, 0, a, NULL, NULL) == -1, "IPv6 /0: EINVAL");
	return tap_done();
}
