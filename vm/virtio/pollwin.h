/* SPDX-License-Identifier: ISC */
#ifndef VM_VIRTIO_POLLWIN_H
#define VM_VIRTIO_POLLWIN_H

#include <stdint.h>

/*
 * An adaptive polling window (vm/virtio/pollwin.c): how long a device
 * thread with nothing to do watches its ring before it sleeps.
 */
#ifndef POLLWIN_MAX
#define POLLWIN_MAX		64000ULL	/* ns */
#endif
#define POLLWIN_MIN		4000ULL
#define POLLWIN_STARVED		16000ULL
#define POLLWIN_BACKOFF		50000000ULL	/* 50 ms */

struct pollwin {
	uint64_t	ns;		/* the window; 0: no polling */
	uint64_t	off_until;	/* no polling until then */
};

void	pollwin_slept(struct pollwin *, uint64_t slept, uint64_t now,
	    int kick);

#endif
