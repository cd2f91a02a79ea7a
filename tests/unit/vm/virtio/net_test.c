/* SPDX-License-Identifier: ISC */
/* Unit tests for virtio-net (a seqpacket socket stands in for the tap). */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/netframe.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/virtio/virtio.h"

#define RXBUF	0x300000ULL
#define TXBUF	0x310000ULL

static struct vm	vm;
static const uint8_t	mac[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x34 };

/* tx: post header + frame on the tx ring and kick. */
static void
tx(struct virtio_pci *vp, struct tring *t, const uint8_t *f, size_t len)
{
	uint8_t	hdr[12];

	memset(hdr, 0, sizeof(hdr));
	mem_write(&vm.mem, TXBUF, hdr, 12);
	mem_write(&vm.mem, TXBUF + 0x100, f, len);
	tr_desc(t, 0, TXBUF, 12, TR_F_NEXT, 1);
	tr_desc(t, 1, TXBUF + 0x100, (uint32_t)len, 0, 0);
	tr_post(t, 0);
	vt_kick(&vm, vp, 1);
	vt_pump(&vm);
}

int
main(void)
{
	struct virtio_pci	*vp;
	struct virtio_net_stats	 st;
	struct tring		 rx, txr;
	uint8_t			 f[2048], got[2048], m1[6], m2[6], other[6];
	uint64_t		 cc, feat;
	uint32_t		 id, len;
	int			 sv[2], i, differ = 0;
	ssize_t			 n;

	vt_vm(&vm);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    (vp = virtio_net_add(&vm, sv[0], mac, 1, 0, NULL)) == NULL) {
		tap_ok(0, "virtio_net_add");
		return tap_done();
	}
	vp->msi = vt_msi_hook;
	cc = VT_CC(vp);
	vt_wr(&vm, cc, 4, 0);
	feat = vt_rd(&vm, cc + 4, 4);
	tap_ok((feat & ((1 << 5) | (1 << 16))) == ((1 << 5) | (1 << 16)),
	    "MAC and STATUS offered");
	for (i = 0; i < 6; i++)
		got[i] = (uint8_t)vt_rd(&vm, vp->pci.bars[0].addr +
		    VIRTIO_PCI_DEVCFG_OFF + (uint64_t)i, 1);
	tap_ok(memcmp(got, mac, 6) == 0, "MAC in config space");
	tap_is(vt_rd(&vm, vp->pci.bars[0].addr + VIRTIO_PCI_DEVCFG_OFF + 6,
	    2), 1, "link up");
	tap_is(vt_cfg_rd(&vm, vp->pci.slot, 2, 2), 0x1041, "device 1041");

	/* Before the driver is up, frames from the wire are dropped. */
	write(sv[1], f, nf_frame(f, other, 1, 60));
	vt_pump(&vm);
	virtio_net_get_stats(vp, &st);
	tap_is(st.rx_dropped, 1, "frame dropped while no driver");

	vt_negotiate(&vm, vp, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5) |
	    (1ULL << VIRTIO_F_EVENT_IDX));
	tr_init(&rx, &vm.mem, 16, 0x10000);
	tr_init(&txr, &vm.mem, 16, 0x20000);
	vt_setup_queue(&vm, vp, 0, &rx, 0xffff);
	vt_setup_queue(&vm, vp, 1, &txr, 0xffff);
	vt_driver_ok(&vm, vp);

	/* rx: no buffers yet: the frame waits in the tap. */
	write(sv[1], f, nf_frame(f, other, 2, 100));
	vt_pump(&vm);
	tap_ok(!tr_get_used(&rx, &id, &len), "no rx buffer, nothing used");
	tr_desc(&rx, 0, RXBUF, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 0);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&rx, &id, &len) && len == 112,
	    "rx: frame delivered after the kick (len %u)", len);
	mem_read(&vm.mem, RXBUF, got, 112);
	tap_ok(got[10] == 1 && got[11] == 0 && got[0] == 0,
	    "rx header: num_buffers 1");
	tap_ok(memcmp(got + 12, f, 100) == 0, "rx frame bytes");
	/* A second frame straight to a posted buffer. */
	tr_desc(&rx, 1, RXBUF, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 1);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	write(sv[1], f, nf_frame(f, other, 3, 1514));
	vt_pump(&vm);
	tap_ok(tr_get_used(&rx, &id, &len) && len == 1526 && id == 1,
	    "rx: 1514-byte frame");

	/* tx with our MAC goes out; with another MAC, locked drops it. */
	tx(vp, &txr, f, nf_frame(f, mac, 4, 80));
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == 80 && memcmp(got, f, 80) == 0, "tx: frame on the tap");
	tap_ok(tr_get_used(&txr, &id, &len) && len == 0, "tx completed");
	tx(vp, &txr, f, nf_frame(f, other, 5, 80));
	n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
	tap_ok(n == -1, "tx: spoofed source MAC not sent");
	tap_ok(tr_get_used(&txr, &id, &len), "spoofed frame still completed");
	tx(vp, &txr, f, 10);
	virtio_net_get_stats(vp, &st);
	tap_ok(st.tx_packets == 1 && st.tx_locked == 1 && st.tx_dropped == 1,
	    "counters: 1 sent, 1 locked, 1 runt (%llu %llu %llu)",
	    (unsigned long long)st.tx_packets,
	    (unsigned long long)st.tx_locked,
	    (unsigned long long)st.tx_dropped);
	/* tx chain without room for the header: NEEDS_RESET. */
	tr_desc(&txr, 0, TXBUF, 4, 0, 0);
	tr_post(&txr, 0);
	vt_kick(&vm, vp, 1);
	vt_pump(&vm);
	tap_ok(vt_rd(&vm, cc + 0x14, 1) & 0x40, "short tx header: "
	    "NEEDS_RESET");

	/* MAC generation: vmd's fe:e1:bb:dN prefix, random tail. */
	for (i = 0; i < 8; i++) {
		virtio_net_mac_generate(2, m1);
		virtio_net_mac_generate(2, m2);
		differ += memcmp(m1 + 4, m2 + 4, 2) != 0;
	}
	tap_ok(m1[0] == 0xfe && m1[1] == 0xe1 && m1[2] == 0xbb &&
	    m1[3] == 0xd3, "generated prefix fe:e1:bb:d3 for interface 2");
	tap_ok(differ >= 7, "random tail differs");
	memset(m1, 0, 6);
	vp = virtio_net_add(&vm, sv[1], m1, 0, 1, NULL);
	tap_ok(vp != NULL, "interface without MAC");
	for (i = 0; vp != NULL && i < 4; i++)
		got[i] = (uint8_t)vt_rd(&vm, vp->pci.bars[0].addr +
		    VIRTIO_PCI_DEVCFG_OFF + (uint64_t)i, 1);
	tap_ok(got[0] == 0xfe && got[3] == 0xd2, "gets a generated MAC");
	return tap_done();
}
