/* SPDX-License-Identifier: ISC */
/* The virtio-rng check: one virtqueue at CPL3, an MSI-X interrupt. */
#include "guest.h"
#include "virtio.h"

#define RNG_BYTES	64
#define VEC_RNG		0x45

/*
 * rng_read: one len-byte buffer through queue 0 of a started rng; the
 * bytes the device wrote, or -1 after timeout_us.
 */
int
rng_read(struct vdev *v, uint8_t *buf, uint32_t len, uint64_t timeout_us)
{
	struct vbuf	 b = { (uint64_t)buf, len, 1 };
	uint64_t	 t0 = time_us();
	uint32_t	 got;

	if (vq_add(&v->q[0], &b, 1) < 0)
		return -1;
	vq_kick(&v->q[0]);
	while (vq_poll(&v->q[0], &got) < 0) {
		if (time_us() - t0 > timeout_us)
			return -1;
		cpu_relax();
	}
	return (int)got;
}

/* rng_setup: find rng number nth, start it with queue 0 on MSI-X entry 0. */
int
rng_setup(struct vdev *v, int nth)
{
	if (vio_find(VIRTIO_RNG, nth, v) == -1 || vio_start(v, 0) == -1)
		return -1;
	vio_msix(v, 0, VEC_RNG);
	if (vio_queue(v, 0, 8, 0) == -1 || vio_driver_ok(v) == -1)
		return -1;
	return 0;
}

/*
 * check_virtio_rng: find the device on bus 0, set it up (reset, ACK,
 * DRIVER, VERSION_1, FEATURES_OK, queue 0 with MSI-X vector 0 pointing at
 * this CPU, DRIVER_OK), give it one 64-byte buffer, kick, and wait with
 * IF=1 at CPL3 for the interrupt and the used ring.
 */
void
check_virtio_rng(void)
{
	struct vdev	 v;
	uint64_t	 mark = vmem_mark(), t0;
	uint8_t		*buf;
	int		 got, n, nonzero, same;

	if (vio_find(VIRTIO_RNG, 0, &v) == -1) {
		tap_skip("virtio-rng: no device on PCI bus 0");
		return;
	}
	tap_ok(1, "virtio-rng: 00:%02x.0, common config 0x%lx, notify 0x%lx "
	    "(x%u), MSI-X %s", v.slot, v.common, v.notify, v.notify_mult,
	    v.msix_cap ? "yes" : "no");
	if (!tap_ok(vio_start(&v, 0) == 0, "virtio-rng: VERSION_1 "
	    "negotiated"))
		return;
	vio_msix(&v, 0, VEC_RNG);
	buf = vmem_alloc(2 * RNG_BYTES, 64);
	if (vio_queue(&v, 0, 8, 0) == -1 || vio_driver_ok(&v) == -1) {
		tap_ok(0, "virtio-rng: queue 0 set up (status 0x%x)",
		    vio_status(&v));
		goto out;
	}
	t0 = time_us();
	sys(SYS_SETIF, 1, 0);
	got = rng_read(&v, buf, RNG_BYTES, 1000000);
	while (irq_count[VEC_RNG] == 0 && v.msix_cap &&
	    time_us() - t0 < 1000000)
		cpu_relax();
	sys(SYS_SETIF, 0, 0);
	for (n = nonzero = 0; n < RNG_BYTES; n++)
		nonzero += buf[n] != 0;
	tap_ok(got == RNG_BYTES && nonzero > RNG_BYTES / 2,
	    "virtio-rng: %d bytes through the used ring (%d non-zero) in "
	    "%lu us", got, nonzero, time_us() - t0);
	if (v.msix_cap)
		tap_ok(irq_count[VEC_RNG] > 0, "virtio-rng: MSI-X interrupt "
		    "taken at CPL3 (vector 0x%x, %lu)", VEC_RNG,
		    irq_count[VEC_RNG]);
	/* A second read differs from the first: not a constant. */
	got = rng_read(&v, buf + RNG_BYTES, RNG_BYTES, 1000000);
	for (n = same = 0; n < RNG_BYTES; n++)
		same += buf[n] == buf[RNG_BYTES + n];
	tap_ok(got == RNG_BYTES && same < RNG_BYTES / 4, "virtio-rng: a "
	    "second read differs (%d of %d bytes equal)", same, RNG_BYTES);
out:
	vio_reset(&v);
	vmem_release(mark);
}
