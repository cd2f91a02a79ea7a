/* SPDX-License-Identifier: ISC */
/* Unit tests for vmd/nat.c; the nftables table is made in a network namespace of the test's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vmd/nat.h"

/* `nft list table inet vmd` (the nft tool) into out; 0 if it exists. */
static int
list(char *out, size_t len)
{
	FILE	*f;
	size_t	 n;

	out[0] = '\0';
	if ((f = popen("nft list table inet " NAT_TABLE " 2>/dev/null",
	    "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? 0 : 1;
}

static void
prefixes(struct nat_prefixes *p, const char *v4, int len, const char *v6,
    int len6)
{
	memset(p, 0, sizeof(*p));
	inet_pton(AF_INET, v4, &p->prefix);
	p->prefixlen = len;
	if (v6 != NULL)
		inet_pton(AF_INET6, v6, &p->prefix6);
	p->prefix6len = len6;
}

static void
test_text(void)
{
	struct nat_prefixes	p;
	char			buf[NAT_RULESET_MAX];

	prefixes(&p, "100.64.0.0", 10, NULL, 0);
	tap_ok(nat_ruleset(&p, buf, sizeof(buf)) == 0 && strstr(buf,
	    "ip saddr 100.64.0.0/10 ip daddr != 100.64.0.0/10 masquerade") &&
	    strstr(buf, "ip6") == NULL, "IPv4 rule only");
	tap_ok(strncmp(buf, "add table inet vmd\ndelete table inet vmd\n",
	    41) == 0, "replaces the table in one transaction");
	prefixes(&p, "10.1.2.3", 16, "fd00:1:2:3:4::", 64);
	tap_ok(nat_ruleset(&p, buf, sizeof(buf)) == 0 &&
	    strstr(buf, "ip saddr 10.1.0.0/16 ") && strstr(buf,
	    "ip6 saddr fd00:1:2:3::/64 ip6 daddr != fd00:1:2:3::/64 "
	    "masquerade"), "host bits cleared; IPv6 rule");
	p.prefixlen = 0;
	tap_ok(nat_ruleset(&p, buf, sizeof(buf)) == -1 && errno == EINVAL,
	    "/0: EINVAL");
	p.prefixlen = 16;
	p.prefix6len = 129;
	tap_ok(nat_ruleset(&p, buf, sizeof(buf)) == -1 && errno == EINVAL,
	    "/129: EINVAL");
	p.prefix6len = 64;
	tap_ok(nat_ruleset(&p, buf, 64) == -1 && errno == ENOSPC,
	    "short buffer: ENOSPC");
}

/* libnftables, loaded once by main (nat_open). */
static struct nat_lib	nat_test_lib;

static void
test_ns(void)
{
	struct nat_prefixes	p;
	char			out[4096];
	int			fd, was = -1;

	tap_ok(nat_clear(&nat_test_lib) == 0, "clear with no table: fine");
	tap_ok(list(out, sizeof(out)) != 0, "no table");
	prefixes(&p, "100.64.0.0", 10, "fd00:1:2:3::", 64);
	tap_ok(nat_set(&nat_test_lib, &p) == 0, "set");
	tap_ok(list(out, sizeof(out)) == 0 &&
	    strstr(out, "type nat hook postrouting priority srcnat") &&
	    strstr(out, "ip saddr 100.64.0.0/10 ip daddr != 100.64.0.0/10 "
	    "masquerade") && strstr(out, "ip6 saddr fd00:1:2:3::/64 "
	    "ip6 daddr != fd00:1:2:3::/64 masquerade"),
	    "table inet vmd masquerades both prefixes");
	prefixes(&p, "10.99.0.0", 16, NULL, 0);
	tap_ok(nat_set(&nat_test_lib, &p) == 0 && list(out, sizeof(out)) == 0 &&
	    strstr(out, "10.99.0.0/16") && !strstr(out, "100.64.0.0") &&
	    !strstr(out, "ip6 saddr"), "set again replaces, no leftovers");
	tap_ok(nat_clear(&nat_test_lib) == 0 && list(out, sizeof(out)) != 0,
	    "clear removes the table");
	tap_ok(nat_clear(&nat_test_lib) == 0, "clear again: fine");

	tap_ok((fd = nat_forwarding_open(AF_INET)) != -1, "ip_forward opened");
	tap_ok(nat_forwarding_set(fd, 1, &was) == 0 && was == 0,
	    "forwarding on; was off in a new namespace");
	tap_ok(nat_forwarding_set(fd, 0, &was) == 0 && was == 1,
	    "forwarding back off; was on");
	close(fd);
}

/*
 * For tests/integ/nat.t: --set A.B.C.D/LEN turns IPv4 forwarding on and
 * installs the table; --clear removes it. Exit status 0 on success.
 */
static int
cli(const char *op, const char *arg)
{
	struct nat_prefixes	p;
	int			fd, rc;

	if (strcmp(op, "--clear") == 0)
		return nat_clear(&nat_test_lib) == 0 ? 0 : 1;
	memset(&p, 0, sizeof(p));
	if (strcmp(op, "--set") != 0 || arg == NULL || (p.prefixlen =
	    inet_net_pton(AF_INET, arg, &p.prefix, sizeof(p.prefix))) == -1)
		return 2;
	if ((fd = nat_forwarding_open(AF_INET)) == -1)
		return 1;
	rc = nat_forwarding_set(fd, 1, NULL);
	close(fd);
	return rc == 0 && nat_set(&nat_test_lib, &p) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	if (nat_open(&nat_test_lib) == -1 && argc > 1)
		return 1;
	if (argc > 1)
		return cli(argv[1], argc > 2 ? argv[2] : NULL);
	test_text();
	tap_ok(nat_test_lib.handle != NULL, "libnftables loaded at run time");
	{
		struct nat_lib	none;

		memset(&none, 0, sizeof(none));
		tap_ok(nat_clear(&none) == -1 && errno == ENOTSUP,
		    "without libnftables nat_clear fails cleanly");
	}
	if (geteuid() != 0)
		tap_ok(1, "# SKIP nftables needs root");
	else if (unshare(CLONE_NEWNET) == -1)
		tap_ok(1, "# SKIP unshare(CLONE_NEWNET): %s", strerror(errno));
	else
		test_ns();
	return tap_done();
}
