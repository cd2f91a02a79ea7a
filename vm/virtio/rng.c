/* SPDX-License-Identifier: ISC */
/* virtio-rng: the guest's buffers filled from getrandom(), on the event thread. */
#include <sys/random.h>

#include <stdlib.h>

#include "log.h"
#include "vm/vm.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/virtio.h"

#define VIRTIO_ID_RNG		4
#define RNG_QSIZE		64
#define RNG_CHAIN_MAX		65536	/* bytes given per request */

/* One entropy device; chain is used only by the event thread. */
struct virtio_rng {
	struct virtio_pci	vp;
	struct virtq_chain	chain;
	struct iovec		iov[VIRTQ_MAX_IOV];
};

/* rng_fill: fill up to len bytes of the chain's writable part. */
static size_t
rng_fill(struct virtio_rng *r, size_t len)
{
	ssize_t	got;
	size_t	done = 0;
	int	i, n;

	n = virtq_iov_slice(&r->chain, 1, 0, len, r->iov, VIRTQ_MAX_IOV);
	for (i = 0; i < n; i++) {
		got = getrandom(r->iov[i].iov_base, r->iov[i].iov_len,
		    GRND_NONBLOCK);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < r->iov[i].iov_len)
			break;
	}
	return done;
}

static void
rng_notify(struct virtio_pci *vp, int q)
{
	struct virtio_rng	*r = vp->softc;
	size_t			 len;

	virtio_pci_lock(vp);
	while (virtio_pci_pop(vp, q, &r->chain) == 1) {
		len = r->chain.wlen < RNG_CHAIN_MAX ? r->chain.wlen :
		    RNG_CHAIN_MAX;
		virtio_pci_push(vp, q, r->chain.head,
		    (uint32_t)rng_fill(r, len));
	}
	virtio_pci_interrupt(vp, q);
	virtio_pci_unlock(vp);
}

static const struct virtio_ops rng_ops = {
	.name = "virtio-rng",
	.type = VIRTIO_ID_RNG,
	.pci_class = 0xff0000,		/* unclassified */
	.nqueues = 1,
	.qsize = RNG_QSIZE,
	.notify = rng_notify,
};

struct virtio_pci *
virtio_rng_add(struct vm *vm)
{
	struct virtio_rng	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	if (virtio_pci_init(vm, &r->vp, &rng_ops, r, 0) == -1) {
		log_warn("%s: virtio-rng", __func__);
		return NULL;
	}
	return &r->vp;
}

int
virtio_rng_init(struct vm *vm)
{
	return virtio_rng_add(vm) == NULL ? -1 : 0;
}
