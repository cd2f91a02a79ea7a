/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for virtio-net's offloads (vm/virtio/net.c,
 * virtio_net_set_offload): with a tap that carries a virtio_net_hdr, the
 * device offers CSUM and HOST_TSO4/6/ECN, hands the guest's header to the
 * tap with the frame, drops a frame whose header asks for an offload the
 * driver did not negotiate, and gives the guest its own header on what
 * it receives (the tap's DATA_VALID never reaches it) unless the driver
 * took GUEST_CSUM: then the tap gets the driver's GUEST_* offloads as
 * TUN_F_* flags and its header goes to the guest, if it asks for nothing
 * the driver did not take. A seqpacket socket stands in for the tap and
 * a recorder for its TUNSETOFFLOAD; tests/integ/net_offload.t has Linux
 * segment and checksum what a guest sends and hand it a 3000-byte TCP
 * segment whole.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/if_tun.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/netframe.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/net/tapio.h"
#include "vm/virtio/net_priv.h"
#include "vm/virtio/virtio.h"

#define QSZ	128
#define RXBUF	0x300000ULL	/* rx buffer i at RXBUF + 0x800 * i */
#define TXBUF	0x340000ULL	/* tx header + frame i at TXBUF + 0x800 * i */

#define F_CSUM		(1ULL << 0)
#define F_MAC		(1ULL << 5)
#define F_TSO4		(1ULL << 11)
#define F_TSO6		(1ULL << 12)
#define F_ECN		(1ULL << 13)
#define F_GCSUM		(1ULL << 1)
#define F_GTSO4		(1ULL << 7)
#define F_GTSO6		(1ULL << 8)
#define F_GECN		(1ULL << 9)
#define F_GUEST		(F_GCSUM | F_GTSO4 | F_GTSO6 | F_GECN)
#define F_MRG		(1ULL << 15)

static const uint8_t	mac[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x35 };

/* A vnet header: flags, gso_type, hdr_len, gso_size, csum_start, offset. */
static void
hdr(uint8_t h[12], uint8_t flags, uint8_t gso, uint16_t gso_size)
{
	memset(h, 0, 12);
	h[0] = flags;
	h[1] = gso;
	h[2] = 54;
	h[4] = (uint8_t)gso_size;
	h[5] = (uint8_t)(gso_size >> 8);
	h[6] = 34;
	h[8] = 16;
}

/* The tap's offloads towards the guest, as the device last set them. */
static unsigned int	tapoff;
static int		tapoff_calls, tapoff_fail;

static int
rec_offload(int fd, unsigned int flags)
{
	(void)fd;
	tapoff_calls++;
	if (tapoff_fail) {
		errno = EINVAL;
		return -1;
	}
	tapoff = flags;
	return 0;
}

/* dev: a device on a socket pair, offloads offered; NULL on failure. */
static struct virtio_pci *
dev(struct vm *vm, int sv[2], int offload)
{
	struct virtio_pci	*vp;
	struct tapio		*io;

	vt_vm(vm);
	if ((io = tapio_prepare(1)) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    (vp = virtio_net_add(vm, sv[0], mac, 0, 0, io)) == NULL ||
	    (offload && virtio_net_set_offload(vp, rec_offload) == -1))
		return NULL;
	return vp;
}

static void
start(struct vm *vm, struct virtio_pci *vp, struct tring *rx,
    struct tring *tx, uint64_t feats)
{
	vp->msi = vt_msi_hook;
	vt_negotiate(vm, vp, (1ULL << VIRTIO_F_VERSION_1) | feats);
	tr_init(rx, &vm->mem, QSZ, 0x10000);
	tr_init(tx, &vm->mem, QSZ, 0x20000);
	vt_setup_queue(vm, vp, 0, rx, 0);
	vt_setup_queue(vm, vp, 1, tx, 1);
	vt_driver_ok(vm, vp);
	vt_pump(vm);
}

/* send: chain i (header h, then the frame in a second buffer) kicked. */
static void
send_one(struct vm *vm, struct virtio_pci *vp, struct tring *tx, int i,
    const uint8_t h[12], const uint8_t *f, size_t len)
{
	uint64_t	at = TXBUF + 0x800ULL * (uint64_t)i;

	mem_write(&vm->mem, at, h, 12);
	mem_write(&vm->mem, at + 0x100, f, len);
	tr_desc(tx, (uint16_t)(2 * i), at, 12, TR_F_NEXT,
	    (uint16_t)(2 * i + 1));
	tr_desc(tx, (uint16_t)(2 * i + 1), at + 0x100, (uint32_t)len, 0, 0);
	tr_post(tx, (uint16_t)(2 * i));
	vt_kick(vm, vp, 1);
	vt_pump(vm);
}

/* stats: the device's counters. */
static struct virtio_net_stats
stats(struct virtio_pci *vp)
{
	struct virtio_net_stats	st;

	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	return st;
}

/* post_rx: chain i, one buffer of len bytes at RXBUF + 0x800 * i. */
static void
post_rx(struct tring *rx, int i, uint32_t len)
{
	tr_desc(rx, (uint16_t)i, RXBUF + 0x800ULL * (uint64_t)i, len,
	    TR_F_WRITE, 0);
	tr_post(rx, (uint16_t)i);
}

/* tap_frame: what the tap gives: header h, then len bytes of fill. */
static void
tap_frame(int fd, const uint8_t h[12], uint8_t fill, size_t len)
{
	uint8_t	f[4096];

	memcpy(f, h, 12);
	(void)send(fd, f, 12 + nf_frame(f + 12, mac, fill, len), 0);
}

static void
test_offered(void)
{
	static struct vm	 vm1, vm2;
	struct virtio_pci	*vp;
	int			 sv[2];

	if ((vp = dev(&vm1, sv, 1)) == NULL) {
		tap_ok(0, "offered: device");
		return;
	}
	tap_ok((vp->features & (F_CSUM | F_TSO4 | F_TSO6 | F_ECN)) ==
	    (F_CSUM | F_TSO4 | F_TSO6 | F_ECN),
	    "a tap with a header: CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN "
	    "offered");
	tap_ok((vp->features & (F_GUEST | F_MRG)) == (F_GUEST | F_MRG),
	    "... and GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN, "
	    "MRG_RXBUF");
	close(sv[1]);
	if ((vp = dev(&vm2, sv, 0)) == NULL) {
		tap_ok(0, "not offered: device");
		return;
	}
	tap_ok((vp->features & (F_CSUM | F_TSO4 | F_TSO6 | F_ECN |
	    F_GUEST | F_MRG)) == 0, "a tap without one: no offload offered");
	close(sv[1]);
}

static void
test_tx(void)
{
	static struct vm	 vm;
	struct virtio_pci	*vp;
	struct tring		 rx, tx;
	uint8_t			 h[12], f[4096], got[8192];
	uint32_t		 id, len;
	ssize_t			 n;
	size_t			 fl;
	int			 sv[2], i;

	if ((vp = dev(&vm, sv, 1)) == NULL) {
		tap_ok(0, "tx: device");
		return;
	}
	start(&vm, vp, &rx, &tx, F_MAC | F_CSUM | F_TSO4);

	/* A TSO frame: header and frame on the tap as the guest made them. */
	hdr(h, 1, 1, 1448);
	fl = nf_frame(f, mac, 0x5a, 3000);
	send_one(&vm, vp, &tx, 0, h, f, fl);
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == (ssize_t)(12 + fl) && memcmp(got, h, 12) == 0 &&
	    memcmp(got + 12, f, fl) == 0,
	    "tx: a TCPv4 segmentation frame reaches the tap with its header "
	    "(%zd bytes)", n);
	tap_ok(tr_get_used(&tx, &id, &len) && id == 0,
	    "tx: its chain completed");

	/* A partial checksum alone, then a plain frame. */
	hdr(h, 1, 0, 0);
	fl = nf_frame(f, mac, 0x11, 100);
	send_one(&vm, vp, &tx, 1, h, f, fl);
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == (ssize_t)(12 + fl) && got[0] == 1 && got[1] == 0,
	    "tx: a partial checksum passes (%zd bytes)", n);
	memset(h, 0, sizeof(h));
	send_one(&vm, vp, &tx, 2, h, f, fl);
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == (ssize_t)(12 + fl) && got[0] == 0 && got[12 + 14] == 0x11,
	    "tx: a frame without offload passes with a zero header");

	/* What was not negotiated, or is malformed, never reaches the tap. */
	{
		static const struct {
			uint8_t		 flags, gso;
			const char	*what;
		} bad[] = {
			{ 1, 4, "TCPv6 segmentation (HOST_TSO6 not taken)" },
			{ 1, 0x81, "ECN (HOST_ECN not taken)" },
			{ 0, 1, "TCPv4 segmentation without a partial "
			    "checksum" },
			{ 1, 3, "UDP fragmentation (never offered)" },
			{ 2, 0, "DATA_VALID on a frame sent" },
		};
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			hdr(h, bad[i].flags, bad[i].gso, 1448);
			send_one(&vm, vp, &tx, 3 + i, h, f, fl);
			n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
			tap_ok(n == -1 && stats(vp).tx_dropped == (uint64_t)i + 1 &&
			    tr_get_used(&tx, &id, &len),
			    "tx: %s dropped, its chain completed",
			    bad[i].what);
		}
	}
	close(sv[1]);
}

static void
test_tx_nocsum(void)
{
	static struct vm	 vm;
	struct virtio_pci	*vp;
	struct tring		 rx, tx;
	uint8_t			 h[12], f[256], got[512];
	ssize_t			 n;
	int			 sv[2];

	if ((vp = dev(&vm, sv, 1)) == NULL) {
		tap_ok(0, "no CSUM: device");
		return;
	}
	start(&vm, vp, &rx, &tx, F_MAC);
	hdr(h, 1, 0, 0);
	send_one(&vm, vp, &tx, 0, h, f, nf_frame(f, mac, 0x22, 80));
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == -1 && stats(vp).tx_dropped == 1,
	    "tx: a partial checksum from a driver that did not take CSUM is "
	    "dropped");
	close(sv[1]);
}

static void
test_rx(void)
{
	static struct vm	 vm;
	struct virtio_pci	*vp;
	struct tring		 rx, tx;
	uint8_t			 h[12], f[2048], got[2048], zero[10];
	uint32_t		 id, len;
	int			 sv[2], i, ok;

	if ((vp = dev(&vm, sv, 1)) == NULL) {
		tap_ok(0, "rx: device");
		return;
	}
	start(&vm, vp, &rx, &tx, F_MAC | F_CSUM | F_TSO4);
	/* The tap's header says DATA_VALID, with junk in its other fields. */
	hdr(h, 2, 0, 1448);
	for (i = 0; i < 3; i++) {
		memcpy(f, h, 12);
		(void)send(sv[1], f, 12 + nf_frame(f + 12, mac,
		    (uint8_t)(0x40 + i), (size_t)(70 + i)), 0);
	}
	/* Each chain: 8 bytes (part of the header), then 1600. */
	for (i = 0; i < 4; i++) {
		tr_desc(&rx, (uint16_t)(2 * i), RXBUF + 0x800ULL *
		    (uint64_t)i, 8, TR_F_WRITE | TR_F_NEXT,
		    (uint16_t)(2 * i + 1));
		tr_desc(&rx, (uint16_t)(2 * i + 1), RXBUF + 0x800ULL *
		    (uint64_t)i + 0x100, 1600, TR_F_WRITE, 0);
		tr_post(&rx, (uint16_t)(2 * i));
	}
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	memset(zero, 0, sizeof(zero));
	for (i = 0, ok = 1; tr_get_used(&rx, &id, &len); i++) {
		mem_read(&vm.mem, RXBUF + 0x800ULL * (id / 2), got, 8);
		mem_read(&vm.mem, RXBUF + 0x800ULL * (id / 2) + 0x100,
		    got + 8, len - 8);
		ok &= id == 2U * (uint32_t)i && len == 12U + 70U +
		    (uint32_t)i && memcmp(got, zero, 10) == 0 &&
		    got[10] == 1 && got[11] == 0 && got[12 + 14] == 0x40 + i &&
		    memcmp(got + 12 + 6, mac, 6) == 0;
	}
	tap_is(i, 3, "rx: 3 frames through a tap with a header");
	tap_ok(ok, "rx: the guest's header is ours (flags and GSO zero, "
	    "num_buffers 1) across a split buffer, the frame whole");

	/*
	 * A frame left partial or unsegmented (queued while an earlier
	 * driver had the tap's offloads on) cannot go to this driver.
	 */
	hdr(h, 1, 0, 0);
	tap_frame(sv[1], h, 0x51, 80);
	hdr(h, 1, 1, 1448);
	tap_frame(sv[1], h, 0x52, 1600);
	memset(h, 0, sizeof(h));
	tap_frame(sv[1], h, 0x53, 90);
	post_rx(&rx, 8, 2048);
	post_rx(&rx, 9, 2048);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	/*
	 * Chain 6, the one the first batch kept, then 8 and 9: one frame
	 * each; the two dropped leave theirs for the next frames.
	 */
	ok = tr_get_used(&rx, &id, &len) && id == 9 && len == 12 + 90 &&
	    !tr_get_used(&rx, &id, &len);
	tap_ok(ok && stats(vp).rx_dropped == 2, "rx: a partial checksum and a TCP "
	    "segment for a driver without GUEST_CSUM dropped, the next "
	    "frame delivered");
	tap_frame(sv[1], h, 0x54, 90);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&rx, &id, &len) && id == 6 && len == 12 + 90,
	    "rx: the dropped frames' chains kept: the next frame takes the "
	    "first of them (%u)", id);
	/*
	 * A frame longer than its chain: the read returns what fit (as a
	 * tap's does) and the scratch byte after the chain tells it was cut.
	 */
	tap_frame(sv[1], h, 0x55, 3000);
	tap_frame(sv[1], h, 0x56, 90);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	ok = tr_get_used(&rx, &id, &len) && id == 8 && len == 12 + 90 &&
	    !tr_get_used(&rx, &id, &len);
	mem_read(&vm.mem, RXBUF + 0x800ULL * 8, got, 12 + 90);
	tap_ok(ok && got[12 + 14] == 0x56 && stats(vp).rx_dropped == 3,
	    "rx: a 3012-byte frame for a 2048-byte chain dropped, not cut; "
	    "the chain takes the next frame");
	tap_is(tapoff_calls, 0, "rx: the tap's offloads left alone (off)");
	close(sv[1]);
}

static void
test_rx_offload(void)
{
	static struct vm	 vm;
	struct virtio_pci	*vp;
	struct tring		 rx, tx;
	uint8_t			 h[12], got[4096];
	uint32_t		 id, len;
	int			 sv[2], i, ok;

	if ((vp = dev(&vm, sv, 1)) == NULL) {
		tap_ok(0, "rx offload: device");
		return;
	}
	tapoff_calls = 0;
	start(&vm, vp, &rx, &tx, F_MAC | F_GCSUM | F_GTSO4);
	tap_ok(tapoff_calls == 1 && tapoff == (TUN_F_CSUM | TUN_F_TSO4),
	    "rx offload: GUEST_CSUM and GUEST_TSO4 taken: the tap gives "
	    "TUN_F_CSUM | TUN_F_TSO4 (0x%x)", tapoff);

	/* A 3000-byte TCP segment, partial checksum: the tap's header. */
	hdr(h, 1, 1, 1448);
	tap_frame(sv[1], h, 0x61, 3000);
	hdr(h, 2, 0, 0);
	tap_frame(sv[1], h, 0x62, 200);
	for (i = 0; i < 2; i++)
		post_rx(&rx, i, 4000);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	ok = tr_get_used(&rx, &id, &len) && id == 0 && len == 12 + 3000;
	mem_read(&vm.mem, RXBUF, got, 12 + 3000);
	hdr(h, 1, 1, 1448);
	h[10] = 1;
	tap_ok(ok && memcmp(got, h, 12) == 0 && got[12 + 2999] == 0x61,
	    "rx offload: a TCP segment of 3000 bytes reaches the guest whole "
	    "under the tap's header (gso TCPV4, 1448, partial checksum at "
	    "34+16), num_buffers 1");
	ok = tr_get_used(&rx, &id, &len) && id == 1 && len == 12 + 200;
	mem_read(&vm.mem, RXBUF + 0x800, got, 12);
	tap_ok(ok && got[0] == 2 && got[1] == 0 && got[10] == 1,
	    "rx offload: DATA_VALID passes");

	/* What the driver did not take, or nobody offers, is dropped. */
	{
		static const struct {
			uint8_t		 flags, gso;
			const char	*what;
		} bad[] = {
			{ 1, 4, "a TCPv6 segment (GUEST_TSO6 not taken)" },
			{ 1, 0x81, "ECN (GUEST_ECN not taken)" },
			{ 1, 3, "UDP fragmentation (never offered)" },
			{ 4, 0, "an unknown flag" },
		};
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			hdr(h, bad[i].flags, bad[i].gso, 1448);
			tap_frame(sv[1], h, 0x70, 1000);
		}
		memset(h, 0, sizeof(h));
		tap_frame(sv[1], h, 0x71, 100);
		post_rx(&rx, 2, 2048);
		vt_kick(&vm, vp, 0);
		vt_pump(&vm);
		ok = tr_get_used(&rx, &id, &len) && id == 2 &&
		    len == 12 + 100 && !tr_get_used(&rx, &id, &len);
		tap_ok(ok && stats(vp).rx_dropped == 4, "rx offload: %s, %s, %s and "
		    "%s dropped; the next frame delivered", bad[0].what,
		    bad[1].what, bad[2].what, bad[3].what);
	}

	/* A reset turns the tap's offloads off for the next driver. */
	(void)vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) | F_MAC);
	tap_ok(tapoff_calls == 2 && tapoff == 0,
	    "rx offload: reset: the tap's offloads off again");
	close(sv[1]);
}

/* used: the next used entry is chain id with len bytes. */
static int
used(struct tring *rx, uint32_t id, uint32_t len)
{
	uint32_t	i, l;

	return tr_get_used(rx, &i, &l) && i == id && l == len;
}

/*
 * mrg_dev: a device whose driver took MRG_RXBUF and the receive offloads,
 * the tap holding a 3000-byte TCP segment (fill seg) for 1448-byte
 * segmentation, then a 100-byte frame (fill small). NULL on failure.
 */
static struct virtio_pci *
mrg_dev(struct vm *vm, int sv[2], struct tring *rx, struct tring *tx,
    uint8_t seg, uint8_t small)
{
	struct virtio_pci	*vp;
	uint8_t			 h[12];

	if ((vp = dev(vm, sv, 1)) == NULL) {
		tap_ok(0, "mergeable: device");
		return NULL;
	}
	start(vm, vp, rx, tx, F_MAC | F_MRG | F_GCSUM | F_GTSO4);
	hdr(h, 1, 1, 1448);
	tap_frame(sv[1], h, seg, 3000);
	memset(h, 0, sizeof(h));
	tap_frame(sv[1], h, small, 100);
	return vp;
}

/* resident: pages of the device's overflow areas in memory. */
static int
resident(struct virtio_pci *vp)
{
	struct virtio_net	*n = (struct virtio_net *)vp;
	static unsigned char	 vec[NET_BATCH * NET_OVF / 4096 + 1];
	size_t			 len = (size_t)NET_BATCH * NET_OVF, i;
	int			 k = 0;

	if (n->ovf == NULL || mincore(n->ovf, len, vec) == -1)
		return -1;
	for (i = 0; i < (len + 4095) / 4096; i++)
		k += vec[i] & 1;
	return k;
}

/*
 * mrg_back: after the big segment on chains 3, 6 and 7 (test_rx_mrg),
 * reads keep chains for 64 KiB (one read a batch: the ring holds less
 * than two) until NET_RX_BIG batches moved only small frames, then get
 * chains for a full Ethernet frame again, and the overflow areas' pages
 * go back to the host.
 */
static void
mrg_back(struct vm *vm, struct virtio_pci *vp, int fd, struct tring *rx)
{
	uint8_t		h[12];
	uint32_t	id, len, want = 8;
	int		i, ok = 1, res;

	memset(h, 0, sizeof(h));
	/* Chains 8-15, then 17 on, in ring order, kept or on the ring. */
	for (i = 0; i < NET_RX_BIG - 2; i++) {
		tap_frame(fd, h, 0xc0, 100);
		vt_kick(vm, vp, 0);
		vt_pump(vm);
		ok &= used(rx, want, 112);
		want = want == 15 ? 17 : want + 1;
	}
	res = resident(vp);
	tap_frame(fd, h, 0xc1, 100);
	tap_frame(fd, h, 0xc2, 100);
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	ok &= used(rx, 23, 112) && used(rx, 24, 112) &&
	    !tr_get_used(rx, &id, &len);
	tap_ok(ok && res > 0, "mergeable: %d small frames after it, one a "
	    "batch, on chains one after the other (%d overflow pages in "
	    "memory before the last two)", NET_RX_BIG, res);
	tap_frame(fd, h, 0xc3, 100);
	tap_frame(fd, h, 0xc4, 100);
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	ok = used(rx, 25, 112) && used(rx, 27, 112) &&
	    !tr_get_used(rx, &id, &len);
	res = resident(vp);
	tap_ok(ok && res == 0, "mergeable: then two frames in one batch on "
	    "chains 25 and 27, reads with chains for 1530 bytes again, the "
	    "overflow areas freed (%d pages in memory)", res);
}

static void
test_rx_mrg(void)
{
	static struct vm	 vm1, vm2, vm3;
	struct virtio_pci	*vp;
	struct tring		 rx, tx;
	uint8_t			 h[12], got[1024];
	uint32_t		 id, len;
	int			 sv[2], i, ok;

	/* Chains of 1024 bytes; a 64 KiB frame may need 65 of them. */
	if ((vp = mrg_dev(&vm1, sv, &rx, &tx, 0x81, 0x82)) == NULL)
		return;
	memset(h, 0, sizeof(h));
	tap_frame(sv[1], h, 0x83, 2000);
	for (i = 0; i < QSZ; i++)
		post_rx(&rx, i, 1024);
	vt_kick(&vm1, vp, 0);
	vt_pump(&vm1);
	/*
	 * Frames small so far: each read had chains for a full Ethernet
	 * frame (0-1, 2-3, ...) and its overflow area for the rest; the
	 * segment spilled there, and its tail was copied into the next
	 * chain from the ring (16: the batch had taken 0-15).
	 */
	ok = used(&rx, 0, 1024) && used(&rx, 1, 1024) && used(&rx, 16, 964);
	mem_read(&vm1.mem, RXBUF, got, 12);
	hdr(h, 1, 1, 1448);
	h[10] = 3;
	tap_ok(ok && memcmp(got, h, 12) == 0,
	    "mergeable: a 3000-byte TCP segment on chains 0, 1 and 16 (1024, "
	    "1024, 964 bytes), its header the tap's with num_buffers 3");
	mem_read(&vm1.mem, RXBUF + 0x800 * 16, got, 964);
	tap_ok(got[0] == 0x81 && got[963] == 0x81,
	    "mergeable: its last bytes, spilled, copied to chain 16");
	ok = used(&rx, 2, 112) && used(&rx, 4, 1024) && used(&rx, 5, 988);
	mem_read(&vm1.mem, RXBUF + 0x800 * 2, got, 12);
	ok &= got[10] == 1 && got[11] == 0;
	mem_read(&vm1.mem, RXBUF + 0x800 * 4, got, 12);
	ok &= got[10] == 2 && got[0] == 0 && got[1] == 0;
	mem_read(&vm1.mem, RXBUF + 0x800 * 5, got, 988);
	tap_ok(ok && got[987] == 0x83 && !tr_get_used(&rx, &id, &len),
	    "mergeable: then 100 bytes on chain 2 (num_buffers 1) and 2000 "
	    "on chains 4-5 (num_buffers 2); the rest of the ring unused");
	/*
	 * After a frame above a full Ethernet one, reads get chains for
	 * 64 KiB again: the next segment lands on kept chains (3, 6, 7),
	 * read in place.
	 */
	hdr(h, 1, 1, 1448);
	tap_frame(sv[1], h, 0x84, 3000);
	vt_kick(&vm1, vp, 0);
	vt_pump(&vm1);
	ok = used(&rx, 3, 1024) && used(&rx, 6, 1024) && used(&rx, 7, 964) &&
	    !tr_get_used(&rx, &id, &len);
	mem_read(&vm1.mem, RXBUF + 0x800 * 7, got, 964);
	tap_ok(ok && got[963] == 0x84, "mergeable: the next segment on kept "
	    "chains 3, 6 and 7, read in place");
	mrg_back(&vm1, vp, sv[1], &rx);
	close(sv[1]);

	/* No TSO: a frame needs 2 chains; a second read's frame moves down. */
	if ((vp = dev(&vm2, sv, 1)) == NULL) {
		tap_ok(0, "mergeable: device");
		return;
	}
	start(&vm2, vp, &rx, &tx, F_MAC | F_MRG);
	memset(h, 0, sizeof(h));
	tap_frame(sv[1], h, 0x91, 100);
	tap_frame(sv[1], h, 0x92, 200);
	for (i = 0; i < 8; i++)
		post_rx(&rx, i, 1024);
	vt_kick(&vm2, vp, 0);
	vt_pump(&vm2);
	ok = used(&rx, 0, 112) && used(&rx, 2, 212) &&
	    !tr_get_used(&rx, &id, &len);
	mem_read(&vm2.mem, RXBUF + 0x800 * 2, got, 212);
	tap_ok(ok && got[10] == 1 && got[12 + 14] == 0x92 &&
	    got[211] == 0x92, "mergeable: two frames read with 2 chains "
	    "each land on the first of theirs, 0 and 2, num_buffers 1");
	/* A frame sent meanwhile leaves the kept chains alone. */
	send_one(&vm2, vp, &tx, 0, h, got, nf_frame(got, mac, 0x94, 80));
	(void)recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_frame(sv[1], h, 0x93, 60);
	vt_kick(&vm2, vp, 0);
	vt_pump(&vm2);
	mem_read(&vm2.mem, RXBUF + 0x800, got, 72);
	tap_ok(used(&rx, 1, 72) && got[10] == 1 && got[12 + 14] == 0x93 &&
	    got[71] == 0x93, "mergeable: chains 1 and 3 were kept, through a "
	    "frame sent: the next frame lands whole in chain 1");
	close(sv[1]);

	/*
	 * A spill the ring has no chains for: the segment (its first 2048
	 * bytes on chains 0-1, the rest in its overflow area) and the frame
	 * read after it (chains 2-3) wait, whole in their areas, and go in
	 * order once chains come.
	 */
	if ((vp = mrg_dev(&vm3, sv, &rx, &tx, 0xb1, 0xb2)) == NULL)
		return;
	for (i = 0; i < 4; i++)
		post_rx(&rx, i, 1024);
	vt_kick(&vm3, vp, 0);
	vt_pump(&vm3);
	ok = !tr_get_used(&rx, &id, &len) && stats(vp).rx_dropped == 0;
	tap_ok(ok, "mergeable: a spilled segment with no chain left for its "
	    "tail waits, and the frame after it, none dropped");
	post_rx(&rx, 4, 1024);
	post_rx(&rx, 5, 1024);
	vt_kick(&vm3, vp, 0);
	vt_pump(&vm3);
	ok = used(&rx, 0, 1024) && used(&rx, 1, 1024) && used(&rx, 2, 964);
	mem_read(&vm3.mem, RXBUF, got, 12 + 15);
	ok &= got[10] == 3 && got[1] == 1 && got[12 + 14] == 0xb1;
	mem_read(&vm3.mem, RXBUF + 0x800 * 2, got, 964);
	ok &= got[963] == 0xb1;
	ok &= used(&rx, 3, 112) && !tr_get_used(&rx, &id, &len);
	mem_read(&vm3.mem, RXBUF + 0x800 * 3, got, 112);
	tap_ok(ok && got[10] == 1 && got[12 + 14] == 0xb2 &&
	    got[111] == 0xb2, "mergeable: more chains: the segment whole on "
	    "0-2 (num_buffers 3), then the frame on 3, in order");
	/*
	 * Reads now get chains for 64 KiB, and the ring holds 2048 bytes
	 * (4-5): a first read short of them goes to the park buffer.
	 */
	hdr(h, 1, 1, 1448);
	tap_frame(sv[1], h, 0xb3, 3000);
	vt_kick(&vm3, vp, 0);
	vt_pump(&vm3);
	ok = !tr_get_used(&rx, &id, &len);
	post_rx(&rx, 6, 1024);
	vt_kick(&vm3, vp, 0);
	vt_pump(&vm3);
	ok &= used(&rx, 4, 1024) && used(&rx, 5, 1024) && used(&rx, 6, 964);
	mem_read(&vm3.mem, RXBUF + 0x800 * 6, got, 964);
	tap_ok(ok && got[963] == 0xb3 && stats(vp).rx_dropped == 0,
	    "mergeable: a read short of 64 KiB of chains waits in the park "
	    "buffer, then lands on 4-6");
	close(sv[1]);
}

static void
test_features(void)
{
	static struct vm	 vm;
	struct virtio_pci	*vp;
	static const struct {
		uint64_t	 f;
		const char	*what;
	} bad[] = {
		{ F_GTSO4, "GUEST_TSO4 without GUEST_CSUM" },
		{ F_GCSUM | F_GECN, "GUEST_ECN without a GUEST_TSO" },
		{ F_TSO6, "HOST_TSO6 without CSUM" },
		{ F_CSUM | F_ECN, "HOST_ECN without a HOST_TSO" },
	};
	int			 sv[2], i;
	uint8_t			 st;

	if ((vp = dev(&vm, sv, 1)) == NULL) {
		tap_ok(0, "features: device");
		return;
	}
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		st = vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) |
		    bad[i].f);
		tap_ok(!(st & 8), "features: %s refused (no FEATURES_OK)",
		    bad[i].what);
	}
	tapoff_calls = 0;
	tapoff_fail = 1;
	st = vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) | F_GCSUM);
	tap_ok(!(st & 8) && tapoff_calls == 1, "features: GUEST_CSUM refused "
	    "when the tap does not take it");
	tapoff_fail = 0;
	st = vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) | F_GUEST |
	    F_CSUM | F_TSO4 | F_TSO6 | F_ECN);
	tap_ok((st & 8) && tapoff == (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    TUN_F_TSO_ECN), "features: all of them together taken, the tap "
	    "gives all four (0x%x)", tapoff);
	close(sv[1]);
}

int
main(void)
{
	test_offered();
	test_tx();
	test_tx_nocsum();
	test_rx();
	test_rx_offload();
	test_rx_mrg();
	test_features();
	return tap_done();
}
