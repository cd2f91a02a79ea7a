/* SPDX-License-Identifier: ISC */
/* Host interface operations for the priv and parent processes: taps, bridges, addresses. */
#ifndef VMD_NETIF_H
#define VMD_NETIF_H

#include <netinet/in.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define NETIF_GROUP_FILE	"/etc/iproute2/group"
#define NETIF_DESCR_MAX		256	/* IFALIASZ */

/* netif_tap_open flags */
#define NETIF_TAP_PERSIST	0x01	/* outlive the fd (default: not) */
#define NETIF_TAP_VNET_HDR	0x02	/* frames carry a virtio_net_hdr */

/* What RTM_GETLINK says about an interface (netif_info). */
struct netif_info {
	unsigned int	 index;
	unsigned int	 flags;		/* IFF_* */
	unsigned int	 mtu;
	uint32_t	 group;
	unsigned int	 master;	/* ifindex of its bridge, 0 none */
	char		 kind[16];	/* "bridge", "tun", ... "" none */
	char		 alias[NETIF_DESCR_MAX];
	uint8_t		 lladdr[6];
};

/*
 * netif_name_valid: a name vmd may touch: 1 to IFNAMSIZ - 1 characters of
 * alnum . - _, not "." or ".." (what vm.conf accepts). 1 yes, 0 no.
 */
int	netif_name_valid(const char *);

/*
 * netif_tap_open: open /dev/net/tun and attach to, or create, the tap
 * name; name "" (or "tap") takes the first free tapN. The actual name is
 * written back to name (size namelen >= IFNAMSIZ). A tap that is not
 * persistent vanishes when the last fd to it closes: the parent opens it,
 * passes the fd to the VM process and closes its own, so the tap lives
 * exactly as long as the VM process (also through SIGKILL). Returns the fd
 * (close-on-exec, non-blocking), or -1 with errno.
 */
int	netif_tap_open(char *name, size_t namelen, int flags);

/* netif_tap_lladdr: the tap's own (host side) MAC, from its fd. 0 or -1. */
int	netif_tap_lladdr(int fd, uint8_t mac[6]);

/*
 * The operations below name the interface, check the name with
 * netif_name_valid (EINVAL otherwise), speak rtnetlink, and return 0, or
 * -1 with errno set from the kernel's answer (ENODEV: no such interface).
 * Each is logged once with log_warn(x) on failure.
 */

/* netif_exists: 1 if name exists, 0 if not, -1 on error. */
int	netif_exists(const char *name);
/* netif_info: fill *info from RTM_GETLINK. */
int	netif_info(const char *name, struct netif_info *info);
/* netif_descr: set the description (ifalias); "" clears it. */
int	netif_descr(const char *name, const char *descr);
/* netif_updown: set (up != 0) or clear IFF_UP. */
int	netif_updown(const char *name, int up);
int	netif_mtu(const char *name, unsigned int mtu);
/* netif_group: set the interface group (IFLA_GROUP). */
int	netif_group(const char *name, uint32_t group);
/* netif_bridge_create: a new Linux bridge (EEXIST if name exists). */
int	netif_bridge_create(const char *name);
/* netif_delete: delete a bridge or a persistent tap. */
int	netif_delete(const char *name);
/* netif_bridge_add: enslave ifname to bridge (EINVAL if not a bridge). */
int	netif_bridge_add(const char *bridge, const char *ifname);
/* netif_bridge_del: release ifname from its bridge. */
int	netif_bridge_del(const char *ifname);
/* netif_addr: add (add != 0) or remove an IPv4 address/prefixlen. */
int	netif_addr(const char *name, struct in_addr addr, int prefixlen,
	    int add);
/* netif_addr6: the same for IPv6 (added without DAD: a point-to-point tap). */
int	netif_addr6(const char *name, const struct in6_addr *addr,
	    int prefixlen, int add);

/*
 * netif_group_lookup: a group given as a number (0 to 2^32 - 1) or as a
 * name from path (NULL: NETIF_GROUP_FILE, lines "number name", # comments).
 * For the parent: priv is chrooted and cannot read the file, which is
 * opened without blocking and read only if it is a regular file. 0, or -1
 * with errno ENOENT (no such name) or EINVAL (a bad group, or the file is
 * not a regular file: logged).
 */
int	netif_group_lookup(const char *group, const char *path,
	    uint32_t *out);

#endif /* VMD_NETIF_H */
