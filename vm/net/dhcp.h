/* SPDX-License-Identifier: ISC */
/* The VM process's DHCP server and ARP responder for local interfaces. */
#ifndef VM_NET_DHCP_H
#define VM_NET_DHCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_LEASE_INFINITE	0xffffffffU
#define DHCP_HOSTNAME_MAX	64	/* option 12, incl. NUL */
#define DHCP_BOOTFILE_MAX	128	/* BOOTP file field, incl. NUL */
#define DHCP_FRAME_MAX		1024	/* largest reply frame dhcp_input builds */

/* dhcp_config.flags */
#define DHCP_F_ARP		0x01	/* answer ARP for the host address */

/*
 * What the server of one local NIC hands out. Built by the VM process from
 * its launch message; read-only afterwards (owned by the device thread).
 */
struct dhcp_config {
	uint8_t		 guest_mac[6];	/* the only client served */
	uint8_t		 server_mac[6];	/* reply source: the tap's MAC */
	struct in_addr	 host;		/* server id, router and DNS */
	struct in_addr	 guest;		/* yiaddr */
	uint32_t	 lease;		/* seconds, or DHCP_LEASE_INFINITE */
	char		 hostname[DHCP_HOSTNAME_MAX]; /* "" = none */
	char		 bootfile[DHCP_BOOTFILE_MAX]; /* "" = none */
	unsigned int	 flags;		/* DHCP_F_* */
};

/* What to do with a guest frame. */
enum dhcp_verdict {
	DHCP_PASS = 0,	/* not ours: send it on to the tap */
	DHCP_REPLY,	/* ours: inject the reply into the guest's rx queue */
	DHCP_DROP	/* ours, nothing to answer (RELEASE, another server) */
};

/*
 * dhcp_input: look at one Ethernet frame the guest sent (no virtio-net
 * header). A DHCP DISCOVER, REQUEST or INFORM from guest_mac to the server
 * port gets an OFFER, ACK or NAK (RFC 2131/2132); with DHCP_F_ARP, an ARP
 * request for the host address gets a reply. The reply frame is written to
 * out (outlen >= DHCP_FRAME_MAX always suffices) and its length to
 * *replylen. Returns the verdict, or -1 with errno ENOBUFS (out too small).
 * Every length the guest gives is checked; any frame is safe to pass.
 */
int	dhcp_input(const struct dhcp_config *, const void *frame, size_t len,
	    void *out, size_t outlen, size_t *replylen);

/*
 * dhcp_server_mac: a server MAC for when the tap's is unknown: the guest
 * MAC plus one, as a 48-bit number (vmd's choice).
 */
void	dhcp_server_mac(const uint8_t guest[6], uint8_t server[6]);

#endif /* VM_NET_DHCP_H */
