/* SPDX-License-Identifier: ISC */
/* The virtio devices a VM gets: block, network and entropy over PCI. */
#ifndef VM_VIRTIO_VIRTIO_H
#define VM_VIRTIO_VIRTIO_H

#include <netinet/in.h>
#include <stdint.h>

struct vm;
struct disk;
struct disk_aio;
struct virtio_pci;
struct tapio;

/* Device inits for vm/devices.c: one function per vm->params entry. */
int	virtio_rng_init(struct vm *);	/* always one */
int	virtio_blk_init(struct vm *);	/* one per params.disks[] */
int	virtio_net_init(struct vm *);	/* one per params.nics[] */
int	virtio_scsi_init(struct vm *);	/* params.cdrom_fd: the CD-ROM */

/*
 * virtio_scsi_add: a virtio-scsi controller whose target 0 LUN 0 is a
 * read-only MMC CD-ROM on the ISO image fd of size bytes (read with pread
 * only). NULL on error (logged).
 */
struct virtio_pci *virtio_scsi_add(struct vm *, int fd, uint64_t size);

/*
 * virtio_blk_add: a virtio-blk function on disk (lib/disk, opened and
 * locked; index for logs and the serial), served through the io_uring
 * ring aio (disk_aio_prepare'd) or, if NULL, a pool of threads; it keeps
 * both. NULL on failure (logged).
 */
struct virtio_pci *virtio_blk_add(struct vm *, struct disk *,
	    struct disk_aio *, int index);
/* virtio_rng_add: a virtio-rng function. NULL on error. */
struct virtio_pci *virtio_rng_add(struct vm *);
/*
 * virtio_net_add: a virtio-net function on tap fd (one frame per
 * read/write, no packet-info header) with MAC lladdr; with locked, frames
 * the guest sends from another source MAC are dropped. Frames move in
 * batches through io (vm/net/tapio.h: made before the sandbox, the
 * device's from now on), or, if NULL, one system call each. NULL on
 * error.
 */
struct virtio_pci *virtio_net_add(struct vm *, int fd,
	    const uint8_t lladdr[6], int locked, int index, struct tapio *io);
/*
 * virtio_net_mac_generate: vmd's address for interface index when the
 * configuration has none: fe:e1:bb:dN:xx:xx, N = index + 1, xx random.
 */
void	virtio_net_mac_generate(int index, uint8_t lladdr[6]);
/*
 * virtio_net_set_offload: vp's tap takes and gives frames after a
 * virtio_net_hdr of 12 bytes (IFF_VNET_HDR, TUNSETVNETHDRSZ 12, offloads
 * towards the guest off): offer the guest checksum and TCP segmentation
 * offloads for what it sends (CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN),
 * passed to the tap, and for what it receives (GUEST_CSUM, GUEST_TSO4,
 * GUEST_TSO6, GUEST_ECN): the driver's choice goes to the tap through
 * tap_offload(fd, TUN_F_* flags) when it sets FEATURES_OK, and 0 at
 * reset; tap_offload NULL is the tap's TUNSETOFFLOAD (tests give their
 * own). Call before the guest runs. 0 or -1.
 */
int	virtio_net_set_offload(struct virtio_pci *,
	    int (*tap_offload)(int fd, unsigned int flags));
/*
 * virtio_net_set_local: make vp a local interface: the guest's DHCP
 * requests (from its own MAC only) are answered in the VM process with
 * address guest, router and DNS host, from server_mac (the tap's MAC; NULL
 * or zero: the guest's MAC plus one); such frames never reach the tap.
 * Call before the guest runs. 0 or -1.
 */
int	virtio_net_set_local(struct virtio_pci *, struct in_addr host,
	    struct in_addr guest, const uint8_t server_mac[6]);

/* Counters, for tests and logs (read with the device lock held). */
struct virtio_net_stats {
	uint64_t	rx_packets;
	uint64_t	rx_dropped;	/* no driver, no buffers, too big */
	uint64_t	tx_packets;
	uint64_t	tx_dropped;	/* runts, tap full */
	uint64_t	tx_locked;	/* dropped by locked lladdr */
	uint64_t	dhcp_replies;	/* local: DHCP/ARP answers queued */
	uint64_t	dhcp_dropped;	/* local: taken, not answered */
	uint64_t	rx_batches;	/* tapio_run calls with reads */
	uint64_t	tx_batches;	/* ... with writes */
	uint64_t	tap_calls;	/* system calls they made */
	uint64_t	rx_dry;		/* rx ring dry with frames waiting */
	uint64_t	rx_coalesced;	/* tap left to the coalescing timer */
	uint64_t	tx_yields;	/* tx burst left for the next turn */
};
void	virtio_net_get_stats(struct virtio_pci *, struct virtio_net_stats *);

#endif /* VM_VIRTIO_VIRTIO_H */
