/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/uring.c: restricted, disabled-then-enabled rings. */
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "uring.h"

/* uring_test_one: submit sqe's operation, wait: its result, or -errno. */
static int
uring_test_one(struct io_uring *ring, int write, int fd, struct iovec *iov)
{
	struct io_uring_sqe	*sqe;
	struct io_uring_cqe	*cqe;
	int			 r;

	if ((sqe = io_uring_get_sqe(ring)) == NULL)
		return -ENOSPC;
	if (write)
		io_uring_prep_writev(sqe, fd, iov, 1, 0);
	else
		io_uring_prep_readv(sqe, fd, iov, 1, 0);
	if ((r = io_uring_submit_and_wait(ring, 1)) < 0)
		return r;
	if ((r = io_uring_peek_cqe(ring, &cqe)) < 0)
		return r;
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

static void
uring_test_refusals(void)
{
	struct io_uring	 ring;
	const uint8_t	 ops[] = { IORING_OP_READV };

	tap_ok(uring_prepare(&ring, 8, ops, 0) == -1 && errno == EINVAL,
	    "no operations: EINVAL");
	tap_ok(uring_prepare(&ring, 8, ops, 9) == -1 && errno == EINVAL,
	    "more operations than it takes: EINVAL");
	setenv("VMD_NO_IO_URING", "1", 1);
	tap_ok(uring_prepare(&ring, 8, ops, 1) == -1 && errno == ENOSYS,
	    "VMD_NO_IO_URING: ENOSYS, no ring");
	unsetenv("VMD_NO_IO_URING");
}

static void
uring_test_ring(void)
{
	struct io_uring	 ring;
	const uint8_t	 ops[] = { IORING_OP_READV };
	struct iovec	 iov;
	char		 buf[8];
	int		 p[2], r, fd;

	if (uring_prepare(&ring, 8, ops, 1) == -1) {
		/* A host without io_uring: the callers fall back. */
		tap_ok(errno == ENOSYS || errno == EPERM, "no io_uring on "
		    "this host (%s): the refusal is one the callers expect",
		    strerror(errno));
		return;
	}
	tap_ok(1, "a ring that takes readv only");
	if (pipe(p) == -1)
		abort();
	(void)write(p[1], "vmd-ring", 8);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	r = uring_test_one(&ring, 0, p[0], &iov);
	tap_ok(r == -EBADFD, "disabled until enabled (%d)", r);
	tap_ok(uring_enable(&ring) == 0, "enabled");
	memset(buf, 0, sizeof(buf));
	r = uring_test_one(&ring, 0, p[0], &iov);
	tap_ok(r == 8 && memcmp(buf, "vmd-ring", 8) == 0,
	    "readv on the ring reads (%d)", r);
	r = uring_test_one(&ring, 1, p[1], &iov);
	tap_ok(r == -EACCES, "writev is refused by the restriction (%d)", r);
	fd = p[0];
	r = io_uring_register_files(&ring, &fd, 1);
	tap_ok(r < 0, "registering a file once enabled is refused (%d)", r);
	tap_ok(uring_enable(&ring) == -1, "enabling twice fails (%s)",
	    strerror(errno));
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	uring_test_refusals();
	uring_test_ring();
	return tap_done();
}
