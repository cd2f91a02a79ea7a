/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for virtio-net's batches (vm/virtio/net.c): many chains per
 * kick moved with one tapio_run, one interrupt per batch, transmit kicks
 * suppressed while the ring drains; with the io_uring ring and with
 * system calls; receive coalescing. A seqpacket socket stands in for the
 * tap.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/netframe.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/net/tapio.h"
#include "vm/virtio/virtio.h"

#define QSZ	128
#define RXBUF	0x300000ULL	/* rx buffer i at RXBUF + 0x800 * i */
#define TXBUF	0x340000ULL	/* tx header + frame i at TXBUF + 0x800 * i */
#define NTX	40
#define NRX	10

static const uint8_t	mac[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0x12, 0x34 };

/* msix: vectors 0 (rx) and 1 (tx) programmed, MSI-X on. */
static void
msix(struct vm *vm, struct virtio_pci *vp)
{
	uint64_t	t = vp->pci.bars[0].addr + VIRTIO_PCI_MSIX_OFF;
	int		v;

	for (v = 0; v < 2; v++) {
		vt_wr(vm, t + 16 * (uint64_t)v, 4, 0xfee00000);
		vt_wr(vm, t + 16 * (uint64_t)v + 4, 4, 0);
		vt_wr(vm, t + 16 * (uint64_t)v + 8, 4, 0x40 + (uint64_t)v);
		vt_wr(vm, t + 16 * (uint64_t)v + 12, 4, 0);
	}
	vt_cfg_wr(vm, vp->pci.slot, VIRTIO_PCI_CAP_MSIX + 2, 2, 0x8000);
}

/* start: the driver's side: features, both rings, MSI-X, DRIVER_OK. */
static void
start(struct vm *vm, struct virtio_pci *vp, struct tring *rx,
    struct tring *tx)
{
	vp->msi = vt_msi_hook;
	vt_negotiate(vm, vp, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5) |
	    (1ULL << VIRTIO_F_EVENT_IDX));
	tr_init(rx, &vm->mem, QSZ, 0x10000);
	tr_init(tx, &vm->mem, QSZ, 0x20000);
	vt_setup_queue(vm, vp, 0, rx, 0);
	vt_setup_queue(vm, vp, 1, tx, 1);
	msix(vm, vp);
	vt_driver_ok(vm, vp);
}

static void
test_mode(struct vm *vm, int ring)
{
	const char		*m = ring ? "ring" : "syscalls";
	struct virtio_pci	*vp;
	struct virtio_net_stats	 st;
	struct tring		 rx, tx;
	struct tapio		*io;
	uint8_t			 f[2048], got[2048], hdr[12];
	uint32_t		 id, len;
	uint64_t		 calls;
	int			 sv[2], i, ok, used, uring;
	ssize_t			 n;

	vt_vm(vm);
	io = tapio_prepare(ring);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 || io == NULL ||
	    (vp = virtio_net_add(vm, sv[0], mac, 0, 0, io)) == NULL) {
		tap_ok(0, "%s: virtio_net_add", m);
		return;
	}
	uring = tapio_uring(io);
	if (ring && !uring)
		printf("# no io_uring here: the ring part ran on system "
		    "calls\n");
	start(vm, vp, &rx, &tx);
	vt_pump(vm);

	/* tx: NTX chains (header, frame), one kick. */
	memset(hdr, 0, sizeof(hdr));
	for (i = 0; i < NTX; i++) {
		mem_write(&vm->mem, TXBUF + 0x800ULL * (uint64_t)i, hdr, 12);
		mem_write(&vm->mem, TXBUF + 0x800ULL * (uint64_t)i + 0x100, f,
		    nf_frame(f, mac, (uint8_t)i, (size_t)(60 + i)));
		tr_desc(&tx, (uint16_t)(2 * i), TXBUF + 0x800ULL * (uint64_t)i,
		    12, TR_F_NEXT, (uint16_t)(2 * i + 1));
		tr_desc(&tx, (uint16_t)(2 * i + 1), TXBUF + 0x800ULL *
		    (uint64_t)i + 0x100, (uint32_t)(60 + i), 0, 0);
		tr_post(&tx, (uint16_t)(2 * i));
	}
	tr_set_used_event(&tx, 0);
	memset(&vt_msi, 0, sizeof(vt_msi));
	calls = 0;
	vt_kick(vm, vp, 1);
	vt_pump(vm);
	for (i = 0, ok = 1; i < NTX; i++) {
		n = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
		ok &= n == 60 + i && got[14] == i && got[59 + i] == i;
	}
	tap_ok(ok, "%s: %d frames on the tap, whole and in order", m, NTX);
	for (used = 0; tr_get_used(&tx, &id, &len); used++)
		;
	tap_is(used, NTX, "%s: every tx chain completed", m);
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	tap_ok(st.tx_packets == NTX && st.tx_batches == 1,
	    "%s: one batch (%llu frames, %llu batches)", m,
	    (unsigned long long)st.tx_packets,
	    (unsigned long long)st.tx_batches);
	tap_is(st.tap_calls, uring ? 1 : NTX, "%s: %d call(s) for %d frames",
	    m, uring ? 1 : NTX, NTX);
	tap_is(vt_msi.n, 1, "%s: one tx interrupt for the batch", m);
	tap_ok(tr_avail_event(&tx) == NTX &&
	    !(tr_r16(&vm->mem, tx.used) & 1),
	    "%s: kicks wanted again once the ring is dry (avail_event %u)",
	    m, tr_avail_event(&tx));
	calls = st.tap_calls;

	/* rx: NRX frames waiting, 16 buffers posted, one kick. */
	for (i = 0; i < NRX; i++)
		(void)send(sv[1], f, nf_frame(f, mac, (uint8_t)(0x80 + i),
		    (size_t)(100 + i)), 0);
	for (i = 0; i < 16; i++) {
		tr_desc(&rx, (uint16_t)i, RXBUF + 0x800ULL * (uint64_t)i, 2048,
		    TR_F_WRITE, 0);
		tr_post(&rx, (uint16_t)i);
	}
	tr_set_used_event(&rx, 0);
	memset(&vt_msi, 0, sizeof(vt_msi));
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	for (i = 0, ok = 1; tr_get_used(&rx, &id, &len); i++) {
		mem_read(&vm->mem, RXBUF + 0x800ULL * id, got, len);
		ok &= id == (uint32_t)i && len == (uint32_t)(12 + 100 + i) &&
		    got[10] == 1 && got[12 + 14] == 0x80 + i;
	}
	tap_is(i, NRX, "%s: %d frames in rx buffers", m, NRX);
	tap_ok(ok, "%s: in order, header and bytes right", m);
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	tap_ok(uring ? st.tap_calls - calls < NRX :
	    st.tap_calls - calls == NRX + 1,
	    "%s: %llu calls for %d frames", m,
	    (unsigned long long)(st.tap_calls - calls), NRX);
	tap_is(vt_msi.n, 1, "%s: one rx interrupt", m);
	tap_ok((uint16_t)(tr_avail_event(&rx) - rx.avail_idx) > QSZ,
	    "%s: buffers left: rx kicks spared (avail_event %u behind %u)",
	    m, tr_avail_event(&rx), rx.avail_idx);
	/* The 6 buffers left take the next frames. */
	(void)send(sv[1], f, nf_frame(f, mac, 0x99, 200), 0);
	vt_pump(vm);
	id = len = 0;
	ok = tr_get_used(&rx, &id, &len);
	tap_ok(ok && id == NRX && len == 212,
	    "%s: the next frame in the next buffer (id %u len %u)", m, id,
	    len);
	/* More frames than buffers: the rest wait in the tap. */
	for (i = 0; i < 8; i++)
		(void)send(sv[1], f, nf_frame(f, mac, (uint8_t)i, 64), 0);
	vt_pump(vm);
	for (i = 0; tr_get_used(&rx, &id, &len); i++)
		;
	tap_is(i, 5, "%s: 5 buffers filled, 3 frames wait", m);
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	tap_ok(st.rx_dry >= 1 && tr_avail_event(&rx) == rx.avail_idx &&
	    !(tr_r16(&vm->mem, rx.used) & 1),
	    "%s: ring dry (%llu times): kicks wanted again", m,
	    (unsigned long long)st.rx_dry);
	tr_desc(&rx, 0, RXBUF, 2048, TR_F_WRITE, 0);
	tr_post(&rx, 0);
	tr_post(&rx, 1);
	tr_post(&rx, 2);
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	for (i = 0; tr_get_used(&rx, &id, &len); i++)
		;
	tap_is(i, 3, "%s: they come with the kick", m);
	/* A buffer the device may not write: the queue is broken. */
	tr_desc(&rx, 3, RXBUF, 2048, 0, 0);
	tr_post(&rx, 3);
	(void)send(sv[1], f, nf_frame(f, mac, 1, 64), 0);
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	tap_ok(vt_rd(vm, VT_CC(vp) + 0x14, 1) & 0x40,
	    "%s: read-only rx buffer: NEEDS_RESET", m);
	close(sv[1]);
}

/*
 * Receive coalescing: a wake-up that moves a stream's worth of frames
 * leaves the tap to the timer; nothing is lost or left behind across the
 * wait, and a trickle afterwards goes back to the tap's wake-ups.
 */
static void
test_coal(struct vm *vm)
{
	struct virtio_pci	*vp;
	struct virtio_net_stats	 st;
	struct tring		 rx, tx;
	struct tapio		*io;
	uint8_t			 f[2048], got[2048];
	uint32_t		 id, len;
	int			 sv[2], i, ok;

	vt_vm(vm);
	io = tapio_prepare(1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 || io == NULL ||
	    (vp = virtio_net_add(vm, sv[0], mac, 0, 0, io)) == NULL) {
		tap_ok(0, "coalescing: virtio_net_add");
		return;
	}
	start(vm, vp, &rx, &tx);
	for (i = 0; i < QSZ; i++) {
		tr_desc(&rx, (uint16_t)i, RXBUF + 0x800ULL * (uint64_t)i, 2048,
		    TR_F_WRITE, 0);
		tr_post(&rx, (uint16_t)i);
	}
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	for (i = 0; i < 40; i++)
		(void)send(sv[1], f, nf_frame(f, mac, (uint8_t)i,
		    (size_t)(80 + i)), 0);
	vt_pump(vm);
	for (i = 0, ok = 1; i < 40 && vt_wait_used(vm, &rx, &id, &len); i++) {
		mem_read(&vm->mem, RXBUF + 0x800ULL * id, got, len);
		ok &= id == (uint32_t)i && len == (uint32_t)(12 + 80 + i) &&
		    got[12 + 14] == i;
	}
	tap_ok(i == 40 && ok, "coalescing: a burst of 40 frames, whole and "
	    "in order (%d)", i);
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	tap_ok(st.rx_coalesced >= 1, "coalescing: the burst left the tap to "
	    "the timer (%llu)", (unsigned long long)st.rx_coalesced);
	/* Sent while the device waits: the timer's read brings it. */
	(void)send(sv[1], f, nf_frame(f, mac, 0xaa, 100), 0);
	ok = vt_wait_used(vm, &rx, &id, &len);
	tap_ok(ok && id == 40 && len == 112, "coalescing: a frame sent during "
	    "the wait arrives (id %u len %u)", id, len);
	/* A trickle: the tap's wake-ups again, no wait armed. */
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	for (i = 0, ok = 1; i < 3; i++) {
		(void)send(sv[1], f, nf_frame(f, mac, (uint8_t)(0xb0 + i),
		    90), 0);
		ok &= vt_wait_used(vm, &rx, &id, &len) && id == 41U +
		    (uint32_t)i && len == 102;
	}
	tap_ok(ok, "coalescing: three single frames after it arrive");
	len = (uint32_t)st.rx_coalesced;
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	tap_is((int)st.rx_coalesced, (int)len, "coalescing: single frames "
	    "arm no wait");
	close(sv[1]);
}

/*
 * test_budget: a full 256-entry tx ring is more than one turn of the
 * event loop (NET_TX_BUDGET batches of 64 each), kicks suppressed until
 * the last, and a frame from the tap that came meanwhile goes to the
 * guest in the next pass: a transmit flood leaves the receive side, the
 * other devices and the stop request their turn.
 */
static void
test_budget(struct vm *vm)
{
	struct virtio_pci	*vp;
	struct virtio_net_stats	 st;
	struct tring		 rx, tx;
	struct tapio		*io;
	uint8_t			 f[2048], hdr[12];
	uint32_t		 id, len;
	int			 sv[2], i, used, rxgot;

	vt_vm(vm);
	io = tapio_prepare(1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 || io == NULL ||
	    (vp = virtio_net_add(vm, sv[0], mac, 0, 0, io)) == NULL) {
		tap_ok(0, "budget: virtio_net_add");
		return;
	}
	vp->msi = vt_msi_hook;
	vt_negotiate(vm, vp, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 5));
	tr_init(&rx, &vm->mem, QSZ, 0x10000);
	tr_init(&tx, &vm->mem, 256, 0x20000);
	vt_setup_queue(vm, vp, 0, &rx, 0);
	vt_setup_queue(vm, vp, 1, &tx, 1);
	vt_driver_ok(vm, vp);
	vt_pump(vm);
	for (i = 0; i < 4; i++) {
		tr_desc(&rx, (uint16_t)i, RXBUF + 0x800ULL * (uint64_t)i, 2048,
		    TR_F_WRITE, 0);
		tr_post(&rx, (uint16_t)i);
	}
	vt_kick(vm, vp, 0);
	vt_pump(vm);
	memset(hdr, 0, sizeof(hdr));
	for (i = 0; i < 256; i++) {
		mem_write(&vm->mem, TXBUF + 0x400ULL * (uint64_t)i, hdr, 12);
		mem_write(&vm->mem, TXBUF + 0x400ULL * (uint64_t)i + 12, f,
		    nf_frame(f, mac, (uint8_t)i, 60));
		tr_desc(&tx, (uint16_t)i, TXBUF + 0x400ULL * (uint64_t)i, 72,
		    0, 0);
		tr_post(&tx, (uint16_t)i);
	}
	vt_kick(vm, vp, 1);
	/* One pass of the loop: the kick, two batches. */
	event_base_loop(vm->evbase, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	for (used = 0; tr_get_used(&tx, &id, &len); used++)
		;
	tap_is(used, 128, "budget: a full ring's first turn sends 128 frames");
	tap_ok(tr_r16(&vm->mem, tx.used) & 1,
	    "budget: kicks stay suppressed for the rest");
	/* A frame for the guest comes between the turns. */
	(void)send(sv[1], f, nf_frame(f, mac, 0xee, 80), 0);
	event_base_loop(vm->evbase, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	rxgot = tr_get_used(&rx, &id, &len) && len == 92;
	for (; tr_get_used(&tx, &id, &len); used++)
		;
	tap_ok(rxgot && used == 256, "budget: the next pass "
	    "takes the tap's frame and the other 128 (rx %d, tx %d)", rxgot,
	    used);
	vt_pump(vm);
	virtio_pci_lock(vp);
	virtio_net_get_stats(vp, &st);
	virtio_pci_unlock(vp);
	/* The second turn used its whole budget too: a third finds none. */
	tap_ok(st.tx_packets == 256 && st.tx_yields == 2 &&
	    !(tr_r16(&vm->mem, tx.used) & 1),
	    "budget: 256 frames in 2 yields (%llu), then kicks wanted again",
	    (unsigned long long)st.tx_yields);
	close(sv[1]);
}

int
main(void)
{
	static struct vm	vm1, vm2, vm3, vm4;

	test_mode(&vm1, 1);
	test_mode(&vm2, 0);
	test_coal(&vm3);
	test_budget(&vm4);
	return tap_done();
}
