/* SPDX-License-Identifier: ISC */
/* Unit tests for vmd/nat.c; the nftables table is made in a network namespace of the test's own. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vmd/nat.h"
#include "vmd/vmd.h"

/* `nft list table inet TABLE` (the nft tool) into out; 0 if it exists. */
static int
list_table(const char *table, char *out, size_t len)
{
	FILE	*f;
	char	 cmd[128];
	size_t	 n;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "nft list table inet %s 2>/dev/null", table);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? 0 : 1;
}

/* The default socket's table inet vmd. */
static int
list(char *out, size_t len)
{
	return list_table(NAT_TABLE, out, len);
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
	static const char	other[] = "add table inet vmd-0badf00d\n"
	    "delete table inet vmd-0badf00d\ntable inet vmd-0badf00d {\n";
	struct nat_prefixes	p;
	char			buf[NAT_RULESET_MAX];

	prefixes(&p, "100.64.0.0", 10, NULL, 0);
	tap_ok(nat_ruleset(NAT_TABLE, &p, buf, sizeof(buf)) == 0 && strstr(buf,
	    "ip saddr 100.64.0.0/10 ip daddr != 100.64.0.0/10 masquerade") &&
	    strstr(buf, "ip6") == NULL, "IPv4 rule only");
	tap_ok(strncmp(buf, "add table inet vmd\ndelete table inet vmd\n",
	    41) == 0, "replaces the table in one transaction");
	prefixes(&p, "10.1.2.3", 16, "fd00:1:2:3:4::", 64);
	tap_ok(nat_ruleset(NAT_TABLE, &p, buf, sizeof(buf)) == 0 &&
	    strstr(buf, "ip saddr 10.1.0.0/16 ") && strstr(buf,
	    "ip6 saddr fd00:1:2:3::/64 ip6 daddr != fd00:1:2:3::/64 "
	    "masquerade"), "host bits cleared; IPv6 rule");
	p.prefixlen = 0;
	tap_ok(nat_ruleset(NAT_TABLE, &p, buf, sizeof(buf)) == -1 &&
	    errno == EINVAL,
	    "/0: EINVAL");
	p.prefixlen = 16;
	p.prefix6len = 129;
	tap_ok(nat_ruleset(NAT_TABLE, &p, buf, sizeof(buf)) == -1 &&
	    errno == EINVAL,
	    "/129: EINVAL");
	p.prefix6len = 64;
	tap_ok(nat_ruleset(NAT_TABLE, &p, buf, 64) == -1 && errno == ENOSPC,
	    "short buffer: ENOSPC");
	tap_ok(nat_ruleset("vmd-0badf00d", &p, buf, sizeof(buf)) == 0 &&
	    strncmp(buf, other, strlen(other)) == 0,
	    "another daemon's table name throughout");
	tap_ok(nat_ruleset("vmd; flush ruleset", &p, buf, sizeof(buf)) ==
	    -1 && errno == EINVAL, "a name nat_owner cannot give: EINVAL");
	tap_ok(nat_ruleset("vmd-0BADF00D", &p, buf, sizeof(buf)) == -1 &&
	    errno == EINVAL, "upper-case hex: EINVAL");
}

static void
test_owner(void)
{
	char	a[NAT_OWNER_MAX], b[NAT_OWNER_MAX], c[NAT_OWNER_MAX];
	size_t	i;
	int	hex;

	tap_ok(nat_owner(VMD_SOCKET, a, sizeof(a)) == 0 &&
	    strcmp(a, "vmd") == 0, "default socket: vmd");
	tap_ok(nat_owner("/tmp/t/vmd.sock", a, sizeof(a)) == 0 &&
	    strlen(a) == 12 && strncmp(a, "vmd-", 4) == 0,
	    "another socket: vmd- and 8 hex digits (%s)", a);
	for (i = 4, hex = 1; a[i] != '\0'; i++)
		hex &= strchr("0123456789abcdef", a[i]) != NULL;
	tap_ok(hex, "eight lower-case hex digits");
	/* FNV-1a of "/tmp/t/vmd.sock", computed independently. */
	{
		uint32_t	 h = 2166136261U;
		const char	*s = "/tmp/t/vmd.sock";
		char		 want[NAT_OWNER_MAX];

		for (; *s != '\0'; s++)
			h = (h ^ (unsigned char)*s) * 16777619U;
		snprintf(want, sizeof(want), "vmd-%08x", h);
		tap_ok(strcmp(a, want) == 0, "the FNV-1a hash of the path");
	}
	tap_ok(nat_owner("/tmp/t/vmd.sock", b, sizeof(b)) == 0 &&
	    strcmp(a, b) == 0, "stable: the same socket, the same name");
	tap_ok(nat_owner("/tmp/u/vmd.sock", c, sizeof(c)) == 0 &&
	    strcmp(a, c) != 0, "another socket, another name (%s)", c);
	tap_ok(nat_owner("/run/vmd.sock2", c, sizeof(c)) == 0 &&
	    strcmp(c, "vmd") != 0, "only the default socket is plain vmd");
	tap_ok(nat_owner(VMD_SOCKET, c, NAT_OWNER_MAX - 1) == -1 &&
	    errno == ENOSPC, "short buffer: ENOSPC");
}

/* libnftables, loaded once by main (nat_open). */
static struct nat_lib	nat_test_lib;

/* Two daemons' tables side by side: each clears only its own. */
static void
test_two(void)
{
	struct nat_lib		other;
	struct nat_prefixes	p;
	char			out[4096];

	if (nat_open(&other, "/tmp/other/vmd.sock") == -1) {
		tap_ok(0, "nat_open for another socket");
		return;
	}
	tap_ok(strcmp(other.table, NAT_TABLE) != 0, "other table: %s",
	    other.table);
	tap_ok(nat_others(&nat_test_lib) == 0 && nat_others(&other) == 0,
	    "no table: no others");
	prefixes(&p, "100.64.0.0", 10, NULL, 0);
	tap_ok(nat_set(&nat_test_lib, &p) == 0, "set vmd");
	tap_ok(nat_others(&nat_test_lib) == 0 && nat_others(&other) == 1,
	    "vmd's table is another's for the other daemon");
	prefixes(&p, "10.77.0.0", 16, NULL, 0);
	tap_ok(nat_set(&other, &p) == 0 &&
	    list_table(other.table, out, sizeof(out)) == 0 &&
	    strstr(out, "10.77.0.0/16") != NULL, "set %s", other.table);
	tap_ok(list(out, sizeof(out)) == 0 && strstr(out, "100.64.0.0/10") &&
	    !strstr(out, "10.77.0.0"), "setting it left table vmd as it was");
	tap_ok(nat_others(&nat_test_lib) == 1, "both see the other");
	tap_ok(nat_clear(&other) == 0 && list(out, sizeof(out)) == 0 &&
	    list_table(other.table, out, sizeof(out)) != 0,
	    "clearing the other's left vmd's");
	tap_ok(nat_set(&other, &p) == 0 && nat_clear(&nat_test_lib) == 0 &&
	    list_table(other.table, out, sizeof(out)) == 0 &&
	    list(out, sizeof(out)) != 0, "clearing vmd's left the other's");
	tap_ok(system("nft add table inet vmdx && nft add table inet "
	    "vmd-123 && nft add table inet vmd-0123456789") == 0 &&
	    nat_others(&other) == 0, "tables nat_owner cannot name: none");
	tap_ok(nat_clear(&other) == 0 && system("nft delete table inet vmdx "
	    "&& nft delete table inet vmd-123 && nft delete table inet "
	    "vmd-0123456789") == 0, "cleaned up");
	dlclose(other.handle);
}

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
	test_two();

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
	if (nat_open(&nat_test_lib, VMD_SOCKET) == -1 && argc > 1)
		return 1;
	if (argc > 1)
		return cli(argv[1], argc > 2 ? argv[2] : NULL);
	test_text();
	test_owner();
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
