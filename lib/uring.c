/* SPDX-License-Identifier: ISC */
/*
 * io_uring rings for a sandboxed process. A ring is made disabled
 * (IORING_SETUP_R_DISABLED) and restricted to the operations its user
 * needs; the restriction also forbids every registration once the ring
 * is enabled, so no file or buffer can be registered with it later, and
 * the process's seccomp filter refuses io_uring_setup, so no other ring
 * can be made. (Debian's liburing 2.3 exports no wrapper for the
 * restriction: the raw registration call.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uring.h"

#define URING_MAX_OPS	8

int
uring_prepare(struct io_uring *ring, unsigned depth, const uint8_t *ops,
    int nops)
{
	struct io_uring_restriction	 res[URING_MAX_OPS];
	int				 e, i;

	if (nops < 1 || nops > URING_MAX_OPS) {
		errno = EINVAL;
		return -1;
	}
	if (getenv("VMD_NO_IO_URING") != NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((e = io_uring_queue_init(depth, ring,
	    IORING_SETUP_R_DISABLED)) < 0) {
		errno = -e;
		return -1;
	}
	memset(res, 0, sizeof(res));
	for (i = 0; i < nops; i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	if ((e = io_uring_register((unsigned)ring->ring_fd,
	    IORING_REGISTER_RESTRICTIONS, res, (unsigned)nops)) < 0) {
		io_uring_queue_exit(ring);
		errno = -e;
		return -1;
	}
	return 0;
}

int
uring_enable(struct io_uring *ring)
{
	int	e;

	if ((e = io_uring_register((unsigned)ring->ring_fd,
	    IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
		errno = -e;
		return -1;
	}
	return 0;
}
