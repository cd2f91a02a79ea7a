/* SPDX-License-Identifier: ISC */
/* Unit tests for virtio-rng. */
#include <string.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/virtio/virtio.h"

#define BUF	0x300000ULL

static struct vm	vm;

int
main(void)
{
	struct virtio_pci	*vp;
	struct tring		 tr;
	uint8_t			 a[256], b[256];
	uint32_t		 id, len;
	int			 i, same = 1;

	vt_vm(&vm);
	if ((vp = virtio_rng_add(&vm)) == NULL) {
		tap_ok(0, "virtio_rng_add");
		return tap_done();
	}
	vp->msi = vt_msi_hook;
	tap_is(vt_cfg_rd(&vm, vp->pci.slot, 2, 2), 0x1044, "device 1044");
	tap_is(vt_negotiate(&vm, vp, 1ULL << VIRTIO_F_VERSION_1), 0xb,
	    "features ok");
	tr_init(&tr, &vm.mem, 8, 0x10000);
	vt_setup_queue(&vm, vp, 0, &tr, 0xffff);
	vt_driver_ok(&vm, vp);
	memset(a, 0, sizeof(a));
	mem_write(&vm.mem, BUF, a, sizeof(a));
	mem_write(&vm.mem, BUF + 0x1000, a, sizeof(a));
	tr_desc(&tr, 0, BUF, 200, TR_F_WRITE | TR_F_NEXT, 1);
	tr_desc(&tr, 1, BUF + 200, 56, TR_F_WRITE, 0);
	tr_desc(&tr, 2, BUF + 0x1000, 256, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	tr_post(&tr, 2);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&tr, &id, &len) && id == 0 && len == 256,
	    "first request filled (256 bytes over 2 buffers)");
	tap_ok(tr_get_used(&tr, &id, &len) && id == 2 && len == 256,
	    "second request filled");
	mem_read(&vm.mem, BUF, a, sizeof(a));
	mem_read(&vm.mem, BUF + 0x1000, b, sizeof(b));
	tap_ok(memcmp(a, b, sizeof(a)) != 0, "two requests differ");
	for (i = 1; i < 256; i++)
		same &= a[i] == a[0];
	tap_ok(!same, "bytes are not constant");
	/* A readable buffer is a driver bug: NEEDS_RESET, not a crash. */
	tr_desc(&tr, 3, BUF, 16, 0, 0);
	tr_post(&tr, 3);
	vt_kick(&vm, vp, 0);
	vt_pump(&vm);
	tap_ok(tr_get_used(&tr, &id, &len) && len == 0,
	    "readable-only chain completes with 0 bytes");
	return tap_done();
}
