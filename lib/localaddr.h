/* SPDX-License-Identifier: ISC */
/* vmd's local-interface addressing: one /31 (and /96) per NIC of a VM. */
#ifndef LIB_LOCALADDR_H
#define LIB_LOCALADDR_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * The scheme, as vmd's: VM id N owns the /24 at prefix + (N << 8); its NIC
 * i gets the /31 made of .(2i + 2), the host side (the tap), and .(2i + 3),
 * the guest side (handed out by DHCP). VM 1 NIC 0: tap 100.64.1.2/31,
 * guest 100.64.1.3. With local inet6 the IPv6 pair is the inet6 prefix with
 * the guest's IPv4 address in bytes 8-11 and ::1 (host) or ::2 (guest) in
 * bytes 12-15, prefix length 96.
 */
#define LOCALADDR_PREFIXLEN	31	/* IPv4 host/guest pair */
#define LOCALADDR_PREFIXLEN6	96	/* IPv6 host/guest pair */
#define LOCALADDR_MAX_NICS	126	/* .2 to .255 in the VM's /24 */
#define LOCALADDR_MIN_PREFIXLEN	1	/* local prefix length range */
#define LOCALADDR_MAX_PREFIXLEN	16
#define LOCALADDR_MAX_PREFIX6LEN 64

/*
 * localaddr_maxid: the largest VM id that fits local prefix length
 * prefixlen (1-16): 2^(24 - prefixlen) - 1 (16383 for /10, 255 for /16).
 * 0 with errno EINVAL for a bad length.
 */
uint32_t	localaddr_maxid(int prefixlen);

/*
 * localaddr_inet: the IPv4 pair of NIC nic of VM vmid (>= 1) in
 * prefix/prefixlen (network order; host bits of prefix are ignored).
 * host and guest may be NULL. 0, or -1 with errno EINVAL (bad length, id 0,
 * nic >= LOCALADDR_MAX_NICS) or ERANGE (vmid does not fit the prefix).
 */
int	localaddr_inet(struct in_addr prefix, int prefixlen, uint32_t vmid,
	    unsigned int nic, struct in_addr *host, struct in_addr *guest);

/*
 * localaddr_inet6: the IPv6 pair for the guest IPv4 address guest4 (from
 * localaddr_inet) in prefix6/prefix6len (length 1-64; bits past it are
 * ignored). host and guest may be NULL. 0, or -1 with errno EINVAL.
 */
int	localaddr_inet6(const struct in6_addr *prefix6, int prefix6len,
	    struct in_addr guest4, struct in6_addr *host,
	    struct in6_addr *guest);

#endif /* LIB_LOCALADDR_H */
