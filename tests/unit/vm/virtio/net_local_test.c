/* SPDX-License-Identifier: ISC */
/* Unit tests for a local interface: DHCP answered inside virtio-net. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/virtio/virtio.h"

#define RXBUF	0x300000ULL
#define TXBUF	0x310000ULL

static struct vm	vm;
static const uint8_t	mac[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x34 };
static const uint8_t	tapmac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static uint16_t
ipsum(const uint8_t *p, size_t len)
{
	uint32_t	s = 0;
	size_t		i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* discover: a DHCP DISCOVER from src (chaddr = src) into f; its length. */
static size_t
discover(uint8_t *f, const uint8_t *src)
{
	uint8_t		*ip = f + 14, *udp = ip + 20, *bp = udp + 8;
	size_t		 bplen = 240 + 4, len = 14 + 20 + 8 + bplen;
	uint16_t	 s;

	memset(f, 0, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 8 + bplen) >> 8);
	ip[3] = (uint8_t)(20 + 8 + bplen);
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);
	s = ipsum(ip, 20);
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	udp[1] = 68;
	udp[3] = 67;
	udp[4] = (uint8_t)((8 + bplen) >> 8);
	udp[5] = (uint8_t)(8 + bplen);
	bp[0] = 1;
	bp[1] = 1;
	bp[2] = 6;
	memcpy(bp + 4, "\x12\x34\x56\x78", 4);
	memcpy(bp + 28, src, 6);
	memcpy(bp + 236, "\x63\x82\x53\x63", 4);
	bp[240] = 53;
	bp[241] = 1;
	bp[242] = 1;
	bp[243] = 255;
	return len;
}

static void
tx(struct virtio_pci *vp, struct tring *t, uint16_t d, const uint8_t *f,
    size_t len)
{
	uint8_t	hdr[12];

	memset(hdr, 0, sizeof(hdr));
	mem_write(&vm.mem, TXBUF + d * 0x1000, hdr, 12);
	mem_write(&vm.mem, TXBUF + d * 0x1000 + 0x100, f, len);
	tr_desc(t, d, TXBUF + d * 0x1000, 12, TR_F_NEXT, (uint16_t)(d + 1));
	tr_desc(t, (uint16_t)(d + 1), TXBUF + d * 0x1000 + 0x100,
	    (uint32_t)len, 0, 0);
	tr_post(t, d);
	vt_kick(&vm, vp, 1);
	vt_pump(&vm);
}

int
main(void)
{
	struct virtio_pci	*vp;
	struct virtio_net_stats	 st;
	struct tring		 rx, txr;
	struct in_addr		 host, guest;
	uint8_t			 f[2048], got[2048];
	const uint8_t		 other[6] = { 2, 0, 0, 0, 0, 7 };
	uint32_t		 id, len;
	int			 sv[2];
	ssize_t			 n;

	vt_vm(&vm);
	inet_pton(AF_INET, "100.64.1.2", &host);
	inet_pton(AF_INET, "100.64.1.3", &guest);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    (vp = virtio_net_add(&vm, sv[0], mac, 0, 0, NULL)) == NULL ||
	    virtio_net_set_local(vp, host, guest, tapmac) == -1) {
		tap_ok(0, "local virtio-net");
		return tap_done();
	}
	tap_ok(1, "local virtio-net");
	vp->msi = vt_msi_hook;
	vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5));
	tr_init(&rx, &vm.mem, 16, 0x10000);
	tr_init(&txr, &vm.mem, 16, 0x20000);
	vt_setup_queue(&vm, vp, 0, &rx, 0xffff);
	vt_setup_queue(&vm, vp, 1, &txr, 0xffff);
	vt_driver_ok(&vm, vp);

	/* No rx buffer yet: the OFFER waits, nothing reaches the tap. */
	tx(vp, &txr, 0, f, discover(f, mac));
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == -1, "DISCOVER not sent to the tap");
	tap_ok(tr_get_used(&txr, &id, &len), "DISCOVER completed");
	tap_ok(!tr_get_used(&rx, &id, &len), "no rx buffer: OFFER pending");
	/* A frame from the wire meanwhile must come after the OFFER. */
	memset(got, 0xee, 60);
	write(sv[1], got, 60);
	vt_pump(&vm);
	tr_desc(&rx, 0, RXBUF, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 0);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	len = 0;
	tap_ok(tr_get_used(&rx, &id, &len) && len > 12 + 14 + 20 + 8 + 240,
	    "OFFER delivered once a buffer came");
	mem_read(&vm.mem, RXBUF, got, len);
	tap_ok(memcmp(got + 12 + 6, tapmac, 6) == 0,
	    "OFFER from the tap's MAC");
	tap_ok(memcmp(got + 12 + 14 + 20 + 8 + 16, &guest, 4) == 0 &&
	    memcmp(got + 12 + 14 + 12, &host, 4) == 0,
	    "yiaddr 100.64.1.3 from 100.64.1.2");
	tr_desc(&rx, 1, RXBUF + 0x1000, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 1);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&rx, &id, &len) && id == 1 && len == 72,
	    "then the wire's frame");

	/*
	 * A buffer an rx batch took while the tap was quiet stays with the
	 * device: the next reply goes into it (the ring is empty).
	 */
	tr_desc(&rx, 2, RXBUF + 0x2000, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 2);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(!tr_get_used(&rx, &id, &len), "a quiet tap: the buffer kept");
	tx(vp, &txr, 14, f, discover(f, mac));
	tap_ok(tr_get_used(&rx, &id, &len) && id == 2 &&
	    len > 12 + 14 + 20 + 8 + 240, "the next OFFER goes into the "
	    "kept buffer (%u, %u bytes)", id, len);

	/*
	 * Another source MAC's DISCOVER is not ours to answer: it goes on
	 * to the tap (locked lladdr is what stops it). Plain frames pass.
	 */
	len = (uint32_t)discover(f, other);
	tx(vp, &txr, 2, f, len);
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == (ssize_t)len, "a foreign MAC's DISCOVER is not answered "
	    "but sent on (%zd)", n);
	memset(f, 0, 100);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	tx(vp, &txr, 4, f, 100);
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == 100, "other traffic reaches the tap (%zd)", n);
	/* Five DISCOVERs, no buffers: four wait, the fifth is dropped. */
	tx(vp, &txr, 6, f, discover(f, mac));
	tx(vp, &txr, 8, f, discover(f, mac));
	tx(vp, &txr, 10, f, discover(f, mac));
	tx(vp, &txr, 12, f, discover(f, mac));
	tx(vp, &txr, 0, f, discover(f, mac));
	virtio_net_get_stats(vp, &st);
	tap_ok(st.dhcp_replies == 6 && st.dhcp_dropped == 1,
	    "counters: 6 replies, 1 dropped (%llu %llu)",
	    (unsigned long long)st.dhcp_replies,
	    (unsigned long long)st.dhcp_dropped);
	return tap_done();
}
