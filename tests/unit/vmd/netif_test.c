/* SPDX-License-Identifier: ISC */
/* Unit tests for vmd/netif.c; interface operations run in a network namespace of their own. */
#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vmd/netif.h"

/* Whether name carries the address s (af AF_INET or AF_INET6). */
static int
hasaddr(const char *name, int af, const char *s)
{
	struct ifaddrs	*ifa, *i;
	unsigned char	 want[16];
	const void	*got;
	int		 found = 0;

	inet_pton(af, s, want);
	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != af ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		if (af == AF_INET)
			got = &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
		else
			got = &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
		if (memcmp(got, want, af == AF_INET ? 4 : 16) == 0)
			found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

static void
test_names(void)
{
	tap_ok(netif_name_valid("tap0"), "tap0 valid");
	tap_ok(netif_name_valid("br-vmd_1.x"), "alnum . - _ valid");
	tap_ok(netif_name_valid("abcdefghijklmno"), "15 characters valid");
	tap_ok(!netif_name_valid("abcdefghijklmnop"), "16 characters invalid");
	tap_ok(!netif_name_valid(""), "empty invalid");
	tap_ok(!netif_name_valid(".") && !netif_name_valid(".."),
	    ". and .. invalid");
	tap_ok(!netif_name_valid("a/b") && !netif_name_valid("a b") &&
	    !netif_name_valid("tap%d") && !netif_name_valid("a:1"),
	    "/, space, %%, : invalid");
}

static void
test_groups(void)
{
	char		 path[] = "/tmp/netif_test.XXXXXX";
	char		 dir[] = "/tmp/netif_test.XXXXXX", fifo[64];
	uint32_t	 g = 0;
	int		 fd;
	static const char text[] = "# groups\n0\tdefault\n7 web # comment\n"
	    "0x10\thex\nbroken\n9 two words\n";

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1) {
		tap_ok(0, "group file");
		return;
	}
	close(fd);
	tap_ok(netif_group_lookup("web", path, &g) == 0 && g == 7, "name web");
	tap_ok(netif_group_lookup("hex", path, &g) == 0 && g == 16,
	    "hex number in the file");
	tap_ok(netif_group_lookup("default", path, &g) == 0 && g == 0,
	    "default");
	tap_ok(netif_group_lookup("42", path, &g) == 0 && g == 42, "number");
	tap_ok(netif_group_lookup("4294967295", path, &g) == 0 &&
	    g == 4294967295U, "largest number");
	errno = 0;
	tap_ok(netif_group_lookup("nosuch", path, &g) == -1 &&
	    errno == ENOENT, "unknown name: ENOENT");
	tap_ok(netif_group_lookup("two", path, &g) == -1, "malformed line");
	tap_ok(netif_group_lookup("4294967296", path, &g) == -1,
	    "number too large");
	tap_ok(netif_group_lookup("web", "/nonexistent/group", &g) == -1 &&
	    errno == ENOENT, "missing file: ENOENT");
	tap_ok(netif_group_lookup("", path, &g) == -1 && errno == EINVAL,
	    "empty: EINVAL");
	unlink(path);
	/* A FIFO with no writer: a blocking open would never return. */
	if (mkdtemp(dir) == NULL || snprintf(fifo, sizeof(fifo), "%s/fifo",
	    dir) >= (int)sizeof(fifo) || mkfifo(fifo, 0600) == -1) {
		tap_ok(0, "fifo");
		return;
	}
	tap_ok(netif_group_lookup("web", fifo, &g) == -1 && errno == EINVAL,
	    "a FIFO as group file: refused at once, EINVAL");
	tap_ok(netif_group_lookup("web", dir, &g) == -1 && errno == EINVAL,
	    "a directory as group file: EINVAL");
	unlink(fifo);
	rmdir(dir);
}

static void
test_ns(void)
{
	struct netif_info	 info, br;
	struct in_addr		 a;
	struct in6_addr		 a6;
	char			 n0[IFNAMSIZ] = "", n1[IFNAMSIZ] = "tap";
	char			 n7[IFNAMSIZ] = "tap7", bad[IFNAMSIZ] = "a/b";
	char			 n9[IFNAMSIZ] = "tap9";
	uint8_t			 mac[6], zero[6] = { 0 };
	int			 f0, f1, f7, f9;

	f0 = netif_tap_open(n0, sizeof(n0), 0);
	tap_ok(f0 != -1 && strcmp(n0, "tap0") == 0, "first free tap: %s", n0);
	f1 = netif_tap_open(n1, sizeof(n1), 0);
	tap_ok(f1 != -1 && strcmp(n1, "tap1") == 0, "\"tap\": next: %s", n1);
	f7 = netif_tap_open(n7, sizeof(n7), 0);
	tap_ok(f7 != -1 && strcmp(n7, "tap7") == 0, "named tap7");
	tap_ok(fcntl(f7, F_GETFD) & FD_CLOEXEC, "tap fd close-on-exec");
	tap_ok(fcntl(f7, F_GETFL) & O_NONBLOCK, "tap fd non-blocking");
	errno = 0;
	tap_ok(netif_tap_open(bad, sizeof(bad), 0) == -1 && errno == EINVAL,
	    "bad tap name: EINVAL");
	tap_ok(netif_tap_open(n7, sizeof(n7), 0) == -1 && errno == EBUSY,
	    "tap7 already open: EBUSY");
	tap_ok(netif_tap_lladdr(f7, mac) == 0 && memcmp(mac, zero, 6) != 0,
	    "tap MAC from the fd");
	tap_ok(netif_info("tap7", &info) == 0 && strcmp(info.kind, "tun") == 0 &&
	    memcmp(info.lladdr, mac, 6) == 0, "info: kind tun, same MAC");

	tap_is(netif_exists("tap7"), 1, "tap7 exists");
	tap_is(netif_exists("nosuch0"), 0, "nosuch0 does not");
	tap_is(netif_exists("a/b"), -1, "exists with a bad name: -1");

	tap_ok(netif_descr("tap7", "vm1-if0-web") == 0 &&
	    netif_info("tap7", &info) == 0 &&
	    strcmp(info.alias, "vm1-if0-web") == 0, "description (ifalias)");
	tap_ok(netif_updown("tap7", 1) == 0 && netif_info("tap7", &info) == 0 &&
	    (info.flags & IFF_UP), "up");
	tap_ok(netif_updown("tap7", 0) == 0 && netif_info("tap7", &info) == 0 &&
	    !(info.flags & IFF_UP), "down");
	tap_ok(netif_mtu("tap7", 1400) == 0 && netif_info("tap7", &info) == 0 &&
	    info.mtu == 1400, "MTU 1400");
	tap_ok(netif_group("tap7", 7) == 0 && netif_info("tap7", &info) == 0 &&
	    info.group == 7, "group 7");

	tap_ok(netif_bridge_create("br0") == 0 && netif_info("br0", &br) == 0 &&
	    strcmp(br.kind, "bridge") == 0, "bridge br0 created");
	errno = 0;
	tap_ok(netif_bridge_create("br0") == -1 && errno == EEXIST,
	    "again: EEXIST");
	tap_ok(netif_bridge_add("br0", "tap7") == 0 &&
	    netif_info("tap7", &info) == 0 && info.master == br.index,
	    "tap7 enslaved to br0");
	errno = 0;
	tap_ok(netif_bridge_add("tap0", "tap1") == -1 && errno == EINVAL,
	    "enslave to a tap: EINVAL");
	tap_ok(netif_bridge_add("br9", "tap1") == -1 && errno == ENODEV,
	    "enslave to a missing bridge: ENODEV");
	tap_ok(netif_bridge_del("tap7") == 0 && netif_info("tap7", &info) == 0 &&
	    info.master == 0, "tap7 released");

	inet_pton(AF_INET, "100.64.1.2", &a);
	tap_ok(netif_addr("tap7", a, 31, 1) == 0 &&
	    hasaddr("tap7", AF_INET, "100.64.1.2") == 1, "IPv4 address added");
	tap_ok(netif_addr("tap7", a, 31, 1) == 0, "added again: no error");
	tap_ok(netif_addr("tap7", a, 31, 0) == 0 &&
	    hasaddr("tap7", AF_INET, "100.64.1.2") == 0, "IPv4 removed");
	tap_ok(netif_addr("tap7", a, 33, 1) == -1 && errno == EINVAL,
	    "prefix length 33: EINVAL");
	tap_ok(netif_addr("nosuch0", a, 31, 1) == -1 && errno == ENODEV,
	    "address on a missing interface: ENODEV");
	inet_pton(AF_INET6, "fd00:1:2:3:6440:103:0:1", &a6);
	tap_ok(netif_addr6("tap7", &a6, 96, 1) == 0 &&
	    hasaddr("tap7", AF_INET6, "fd00:1:2:3:6440:103:0:1") == 1,
	    "IPv6 address added");
	tap_ok(netif_addr6("tap7", &a6, 96, 0) == 0 &&
	    hasaddr("tap7", AF_INET6, "fd00:1:2:3:6440:103:0:1") == 0,
	    "IPv6 removed");

	tap_ok(netif_updown("nosuch0", 1) == -1 && errno == ENODEV,
	    "up on a missing interface: ENODEV");
	tap_ok(netif_descr("tap7", "x") == 0 && netif_descr("../x", "y") == -1 &&
	    errno == EINVAL, "every operation checks the name");

	close(f0);
	tap_is(netif_exists("tap0"), 0, "a tap vanishes with its last fd");
	f9 = netif_tap_open(n9, sizeof(n9), NETIF_TAP_PERSIST);
	close(f9);
	tap_is(netif_exists("tap9"), 1, "a persistent tap outlives its fd");
	tap_ok(netif_delete("tap9") == 0 && netif_exists("tap9") == 0,
	    "persistent tap deleted");
	close(f7);
	tap_ok(netif_delete("br0") == 0 && netif_exists("br0") == 0,
	    "bridge deleted");
	tap_ok(netif_delete("br0") == -1 && errno == ENODEV,
	    "deleted again: ENODEV");
	close(f1);
}

int
main(void)
{
	test_names();
	test_groups();
	if (geteuid() != 0)
		tap_ok(1, "# SKIP interface operations need root");
	else if (access("/dev/net/tun", R_OK | W_OK) == -1)
		tap_ok(1, "# SKIP no /dev/net/tun");
	else if (unshare(CLONE_NEWNET) == -1)
		tap_ok(1, "# SKIP unshare(CLONE_NEWNET): %s", strerror(errno));
	else
		test_ns();
	return tap_done();
}
