/* SPDX-License-Identifier: ISC */
/*
 * Asynchronous disk I/O on io_uring: one ring per virtio queue. Reads and
 * writes that map straight onto the top layer's file (disk_map) go on the
 * ring with the image registered as a fixed file. The ring is made
 * disabled and restricted before the VM process's seccomp filter (which
 * then refuses io_uring_setup), and enabled once its files are in: from
 * then on it can only read, write and poll those two files. Anything
 * else is the caller's, synchronously.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "disk/aio.h"

#define AIO_FILE_DISK	0	/* fixed file indices */
#define AIO_FILE_WATCH	1

struct disk_aio {
	struct io_uring	 ring;
	struct disk	*disk;
	unsigned	 queued;	/* SQEs not yet submitted */
};

struct disk_aio *
disk_aio_prepare(unsigned depth)
{
	struct io_uring_restriction	 res[5];
	struct disk_aio			*a;
	int				 e;

	if (getenv("VMD_NO_IO_URING") != NULL) {
		errno = ENOSYS;
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((e = io_uring_queue_init(depth, &a->ring,
	    IORING_SETUP_R_DISABLED)) < 0) {
		free(a);
		errno = -e;
		return NULL;
	}
	/*
	 * Reads, writes and polls, each on a registered file; no
	 * registration at all once enabled. (Debian's liburing 2.3 does not
	 * export its wrapper for this: the raw registration call.)
	 */
	memset(res, 0, sizeof(res));
	res[0].opcode = IORING_RESTRICTION_SQE_OP;
	res[0].sqe_op = IORING_OP_READV;
	res[1].opcode = IORING_RESTRICTION_SQE_OP;
	res[1].sqe_op = IORING_OP_WRITEV;
	res[2].opcode = IORING_RESTRICTION_SQE_OP;
	res[2].sqe_op = IORING_OP_POLL_ADD;
	res[3].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[3].sqe_flags = IOSQE_FIXED_FILE;
	res[4].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[4].sqe_flags = IOSQE_FIXED_FILE;
	if ((e = io_uring_register((unsigned)a->ring.ring_fd,
	    IORING_REGISTER_RESTRICTIONS, res, 5)) < 0) {
		io_uring_queue_exit(&a->ring);
		free(a);
		errno = -e;
		return NULL;
	}
	return a;
}

int
disk_aio_start(struct disk_aio *a, struct disk *d, int watch_fd)
{
	int	files[2] = { d->fd, watch_fd }, e;

	a->disk = d;
	if ((e = io_uring_register_files(&a->ring, files, 2)) < 0 ||
	    (e = io_uring_register((unsigned)a->ring.ring_fd,
	    IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
		errno = -e;
		return -1;
	}
	return 0;
}

void
disk_aio_free(struct disk_aio *a)
{
	if (a == NULL)
		return;
	io_uring_queue_exit(&a->ring);
	free(a);
}

int
disk_aio_rw(struct disk_aio *a, int write, const struct iovec *iov, int n,
    uint64_t off, uint64_t tag)
{
	struct io_uring_sqe	*sqe;
	uint64_t		 host;
	int			 r;

	if ((r = disk_map(a->disk, off, disk_iov_len(iov, n), write,
	    &host)) != 1)
		return r;
	if ((sqe = io_uring_get_sqe(&a->ring)) == NULL) {
		errno = EAGAIN;
		return -1;
	}
	if (write)
		io_uring_prep_writev(sqe, AIO_FILE_DISK, iov, (unsigned)n, host);
	else
		io_uring_prep_readv(sqe, AIO_FILE_DISK, iov, (unsigned)n, host);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, tag);
	a->queued++;
	return 1;
}

int
disk_aio_watch(struct disk_aio *a, uint64_t tag)
{
	struct io_uring_sqe	*sqe;

	if ((sqe = io_uring_get_sqe(&a->ring)) == NULL) {
		errno = EAGAIN;
		return -1;
	}
	io_uring_prep_poll_add(sqe, AIO_FILE_WATCH, POLLIN);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, tag);
	a->queued++;
	return 0;
}

int
disk_aio_submit(struct disk_aio *a, int wait)
{
	int	r;

	do {
		r = wait ? io_uring_submit_and_wait(&a->ring, 1) :
		    io_uring_submit(&a->ring);
	} while (r == -EINTR);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	a->queued = 0;
	return 0;
}

int
disk_aio_reap(struct disk_aio *a, struct disk_aio_done *out, int max)
{
	struct io_uring_cqe	*cqe;
	int			 n = 0;

	while (n < max && io_uring_peek_cqe(&a->ring, &cqe) == 0) {
		out[n].tag = io_uring_cqe_get_data64(cqe);
		out[n++].res = cqe->res;
		io_uring_cqe_seen(&a->ring, cqe);
	}
	return n;
}
