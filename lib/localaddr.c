/* SPDX-License-Identifier: ISC */
/* vmd's local-interface addressing: one /31 (and /96) per NIC of a VM. */
#include <errno.h>
#include <string.h>

#include "localaddr.h"

uint32_t
localaddr_maxid(int prefixlen)
{
	if (prefixlen < LOCALADDR_MIN_PREFIXLEN ||
	    prefixlen > LOCALADDR_MAX_PREFIXLEN) {
		errno = EINVAL;
		return 0;
	}
	return (UINT32_C(1) << (24 - prefixlen)) - 1;
}

int
localaddr_inet(struct in_addr prefix, int prefixlen, uint32_t vmid,
    unsigned int nic, struct in_addr *host, struct in_addr *guest)
{
	uint32_t	 maxid, mask, base;

	if ((maxid = localaddr_maxid(prefixlen)) == 0)
		return -1;
	if (vmid == 0 || nic >= LOCALADDR_MAX_NICS) {
		errno = EINVAL;
		return -1;
	}
	if (vmid > maxid) {
		errno = ERANGE;
		return -1;
	}
	mask = ~UINT32_C(0) << (32 - prefixlen);
	base = (ntohl(prefix.s_addr) & mask) | (vmid << 8);
	if (host != NULL)
		host->s_addr = htonl(base + 2 * nic + 2);
	if (guest != NULL)
		guest->s_addr = htonl(base + 2 * nic + 3);
	return 0;
}

int
localaddr_inet6(const struct in6_addr *prefix6, int prefix6len,
    struct in_addr guest4, struct in6_addr *host, struct in6_addr *guest)
{
	struct in6_addr	 a;
	int		 i;

	if (prefix6len < 1 || prefix6len > LOCALADDR_MAX_PREFIX6LEN) {
		errno = EINVAL;
		return -1;
	}
	memset(&a, 0, sizeof(a));
	for (i = 0; i < prefix6len / 8; i++)
		a.s6_addr[i] = prefix6->s6_addr[i];
	if (prefix6len % 8)
		a.s6_addr[i] = prefix6->s6_addr[i] &
		    (uint8_t)(0xff << (8 - prefix6len % 8));
	memcpy(&a.s6_addr[8], &guest4.s_addr, 4);
	if (host != NULL) {
		*host = a;
		host->s6_addr[15] = 1;
	}
	if (guest != NULL) {
		*guest = a;
		guest->s6_addr[15] = 2;
	}
	return 0;
}
