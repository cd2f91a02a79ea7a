/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: a hostile virtio driver against the transport and devices. */
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "helper/fakevm.h"
#include "vm/devices.h"
#include "vm/net/tapio.h"
#include "vm/platform.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/virtio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_RAM	(16ULL << 20)
#define FUZZ_RINGS	(512 * 1024)	/* guest RAM the input may write */
#define FUZZ_NDEV	4

/*
 * One VM with virtio-rng, a virtio-blk on a 1 MiB memfd image, a
 * virtio-net on a socketpair (its frames batched through an io_uring
 * ring, after a virtio_net_hdr with the offloads offered, as on vmd's
 * taps) and a virtio-scsi CD-ROM on a 64 KiB memfd image, kept across
 * inputs like a long-lived guest.
 * Each 12-byte op: kind, device, le16 offset, le64 value. Kinds: BAR
 * write/read (width from the kind), RAM write, queue notify (run on this
 * thread), config-space write, a frame from the wire. Seeds:
 * tests/fuzz/seeds/virtio (setup: every device's queues; net-mrg, from
 * virtio_seed.pl: mergeable buffers, a segment with no chain left for its
 * tail, more chains).
 */
static struct vm		 fuzz_vm;
static struct virtio_pci	*fuzz_dev[FUZZ_NDEV];
static int			 fuzz_peer = -1;
static int			 fuzz_ready;

static int
fuzz_msi(struct virtio_pci *vp, uint64_t addr, uint32_t data)
{
	(void)vp;
	(void)addr;
	(void)data;
	return 0;
}

/* The tap's offloads towards the guest: a socket pair has none to set. */
static int
fuzz_tap_offload(int fd, unsigned int flags)
{
	(void)fd;
	(void)flags;
	return 0;
}

static void
fuzz_setup(void)
{
	static const uint8_t fuzz_mac[6] = { 0xfe, 0xe1, 0xbb, 0xd1, 0, 1 };
	struct vm	*vm = &fuzz_vm;
	struct in_addr	 host, guest;
	int		 img, iso, sv[2], i;

	fakevm_init(vm);
	if (mem_init(&vm->mem, FUZZ_RAM) == -1 || pci_init(vm) == -1)
		__builtin_trap();
	if ((img = memfd_create("disk", MFD_CLOEXEC)) == -1 ||
	    ftruncate(img, 1 << 20) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		__builtin_trap();
	fuzz_peer = sv[1];
	if ((iso = memfd_create("iso", MFD_CLOEXEC)) == -1 ||
	    ftruncate(iso, 64 << 10) == -1)
		__builtin_trap();
	fuzz_dev[3] = virtio_scsi_add(vm, iso, 64 << 10);
	fuzz_dev[0] = virtio_rng_add(vm);
	fuzz_dev[1] = virtio_blk_add(vm, fakevm_disk(img, 0), NULL, 0);
	/* A fixed MAC the inputs can match; a local NIC: DHCP in the loop. */
	fuzz_dev[2] = virtio_net_add(vm, sv[0], fuzz_mac, 1, 0,
	    tapio_prepare(1));
	host.s_addr = htonl(0x64400102);
	guest.s_addr = htonl(0x64400103);
	if (fuzz_dev[2] == NULL || virtio_net_set_offload(fuzz_dev[2],
	    fuzz_tap_offload) == -1 ||
	    virtio_net_set_local(fuzz_dev[2], host, guest, NULL) == -1)
		__builtin_trap();
	for (i = 0; i < FUZZ_NDEV; i++) {
		if (fuzz_dev[i] == NULL)
			__builtin_trap();
		fuzz_dev[i]->msi = fuzz_msi;
	}
}

static void
fuzz_cfg_write(int slot, uint32_t reg, uint32_t v)
{
	uint32_t	a = 0x80000000U | (uint32_t)slot << 11 | (reg & 0xfc);
	uint8_t		d[4];

	memcpy(d, &a, 4);
	(void)bus_dispatch(&fuzz_vm.pio, PLAT_PCI_CONFIG_ADDR, 1, d, 4);
	memcpy(d, &v, 4);
	(void)bus_dispatch(&fuzz_vm.pio, PLAT_PCI_CONFIG_DATA, 1, d, 4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const size_t	 widths[] = { 1, 2, 4, 8 };
	struct virtio_pci	*vp;
	uint8_t			 io[8];
	static uint8_t		 frame[8192];
	uint64_t		 val;
	uint16_t		 off;
	size_t			 i, w;

	if (!fuzz_ready) {
		fuzz_setup();
		fuzz_ready = 1;
	}
	for (i = 0; i + 12 <= len; i += 12) {
		vp = fuzz_dev[data[i + 1] % FUZZ_NDEV];
		memcpy(&off, data + i + 2, 2);
		memcpy(&val, data + i + 4, 8);
		w = widths[(data[i] >> 4) & 3];
		memcpy(io, &val, 8);
		switch (data[i] & 7) {
		case 0:
		case 1:
			(void)bus_dispatch(&fuzz_vm.mmio, vp->pci.bars[0].addr +
			    (off & (VIRTIO_PCI_BAR_SIZE - 1) & ~(w - 1)), 1,
			    io, w);
			break;
		case 2:
			(void)bus_dispatch(&fuzz_vm.mmio, vp->pci.bars[0].addr +
			    (off & (VIRTIO_PCI_BAR_SIZE - 1) & ~(w - 1)), 0,
			    io, w);
			break;
		case 3:
		case 4:
			(void)mem_write(&fuzz_vm.mem,
			    ((uint64_t)off * 8) % FUZZ_RINGS, &val, 8);
			break;
		case 5:
			vp->ops->notify(vp, (int)(val % (uint64_t)
			    vp->ops->nqueues));
			break;
		case 6:
			fuzz_cfg_write(vp->pci.slot, 0x40 + (off % 0xc0),
			    (uint32_t)val);
			break;
		default:
			/*
			 * Its first bytes the vnet header the tap gives; with
			 * bit 15 of the offset up to 8 KiB (a TCP segment for
			 * mergeable buffers: spills, parked frames).
			 */
			memset(frame, (int)(val & 0xff), sizeof(frame));
			memcpy(frame, &val, sizeof(val));
			(void)send(fuzz_peer, frame, 14 + ((off & 0x8000) ?
			    (off & 0x7fff) % (sizeof(frame) - 14) : off % 200),
			    MSG_DONTWAIT);
			fuzz_dev[2]->ops->notify(fuzz_dev[2], 0);
			break;
		}
	}
	/* Drain what the net device sent so the socket never fills. */
	while (recv(fuzz_peer, frame, sizeof(frame), MSG_DONTWAIT) > 0)
		;
	return 0;
}
