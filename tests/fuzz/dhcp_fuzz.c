/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: arbitrary guest frames through the DHCP/ARP responder. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "vm/net/dhcp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Byte 0 picks the server's settings (bit 0 DHCP_F_ARP, bit 1 a hostname
 * and bootfile, bit 2 a short output buffer); the rest is the frame, from
 * the guest MAC fe:e1:bb:d1:12:34. A reply must fit its buffer, come from
 * the server MAC, and not be answered itself.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 guest[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0x12,
				    0x34 };
	struct dhcp_config	 c;
	uint8_t			 out[DHCP_FRAME_MAX], again[DHCP_FRAME_MAX];
	uint8_t			*frame;
	size_t			 rlen, rlen2, outlen;
	int			 v;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	memcpy(c.guest_mac, guest, 6);
	dhcp_server_mac(guest, c.server_mac);
	c.host.s_addr = htonl(0x64400102);
	c.guest.s_addr = htonl(0x64400103);
	c.lease = DHCP_LEASE_INFINITE;
	if (data[0] & 1)
		c.flags |= DHCP_F_ARP;
	if (data[0] & 2) {
		memset(c.hostname, 'h', sizeof(c.hostname) - 1);
		memset(c.bootfile, 'b', sizeof(c.bootfile) - 1);
	}
	outlen = (data[0] & 4) ? 64 : sizeof(out);

	/* An exact-size copy, so ASan sees any read past the frame. */
	if ((frame = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(frame, data + 1, size - 1);
	v = dhcp_input(&c, frame, size - 1, out, outlen, &rlen);
	free(frame);
	if (v == -1 || v == DHCP_PASS || v == DHCP_DROP)
		return 0;
	if (v != DHCP_REPLY || rlen < 42 || rlen > outlen ||
	    memcmp(out + 6, c.server_mac, 6) != 0)
		abort();
	if (dhcp_input(&c, out, rlen, again, sizeof(again), &rlen2) !=
	    DHCP_PASS)
		abort();
	return 0;
}
