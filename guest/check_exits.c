/* SPDX-License-Identifier: ISC */
/* Costs of what the guest leans on: port exits, MMIO exits, UD2 calls. */
#include "guest.h"
#include "virtio.h"

#define EXITS_N		2000
#define CC_Q_SELECT	0x16		/* virtio common config queue_select */

static uint64_t
exits_time(int what, uint64_t arg)
{
	uint64_t	 t0 = time_us();
	int		 i;

	for (i = 0; i < EXITS_N; i++) {
		switch (what) {
		case 0:
			(void)inb(0x2f0);	/* nobody's port */
			break;
		case 1:
			outb(0x3ff, (uint8_t)i);	/* COM1 scratch */
			break;
		case 2:
			(void)mmio_read32(0xfee00030);	/* LAPIC version */
			break;
		case 3:
			(void)sys(SYS_RDMSR, 0x1b, 0);	/* UD2 round trip */
			break;
		case 4:					/* queue_select */
			*(volatile uint16_t *)arg = 0;
			break;
		}
	}
	return (time_us() - t0) * 1000 / EXITS_N;
}

/*
 * exits_vdev: the first virtio-pci function (rng, else net, else blk),
 * found but not started: its common config is an MMIO register block the
 * VMM emulates in userspace (only notify writes become ioeventfds).
 * 0, or -1 if there is none (QEMU microvm: no PCI).
 */
static int
exits_vdev(struct vdev *v)
{
	static const uint16_t	 types[] = { VIRTIO_RNG, VIRTIO_NET,
				    VIRTIO_BLK };
	size_t			 i;

	for (i = 0; i < nitems(types); i++)
		if (vio_find(types[i], 0, v) == 0 && v->common != 0)
			return 0;
	return -1;
}

/*
 * check_exits: not run by default (tg.checks=exits).  Prints what one
 * operation costs, in nanoseconds, as one test point and as "# bench:"
 * lines; the MMIO write (queue_select of the first virtio function,
 * device left reset) only when there is a virtio-pci function.
 */
void
check_exits(void)
{
	struct vdev	 v;
	uint64_t	 port, uart, mmio, ud2, mw = 0;
	int		 have;

	port = exits_time(0, 0);
	uart = exits_time(1, 0);
	mmio = apic_x2 ? 0 : exits_time(2, 0);
	ud2 = exits_time(3, 0);
	if ((have = exits_vdev(&v) == 0)) {
		vio_reset(&v);
		mw = exits_time(4, v.common + CC_Q_SELECT);
	}
	printf("# bench: exit-port-read %lu ns\n", port);
	printf("# bench: exit-com1-write %lu ns\n", uart);
	if (!apic_x2)
		printf("# bench: exit-lapic-read %lu ns\n", mmio);
	printf("# bench: exit-ud2 %lu ns\n", ud2);
	if (have)
		printf("# bench: exit-mmio-write %lu ns\n", mw);
	else
		printf("# exits: no virtio-pci function: no MMIO write row\n");
	tap_ok(1, "exits: %lu ns a port read (unclaimed), %lu ns a COM1 "
	    "write, %lu ns a LAPIC MMIO read, %lu ns a UD2 system call, "
	    "%lu ns an MMIO write to a VMM register (%s)", port, uart, mmio,
	    ud2, mw, have ? "virtio queue_select" : "none: no virtio-pci");
}
