/* SPDX-License-Identifier: ISC */
/*
 * Asynchronous disk I/O on io_uring: one ring per virtio queue. Reads and
 * writes that map straight onto the top layer's file (disk_map) go on the
 * ring, but for reads the page cache holds and writes to it, copied at
 * once. The ring is made disabled and restricted (readv, writev and poll;
 * no registration) before the VM process's seccomp filter, which then
 * refuses io_uring_setup, and enabled once the device is ready. Files
 * are not registered with it: a ring holding the image would hold its
 * lock past the process's exit, until the kernel tears the ring down in
 * the background, and a VM restarted at once would find it taken. (What
 * the ring writes is bounded by RLIMIT_FSIZE, vm/jail.c.) Anything else
 * is the caller's, synchronously.
 */
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "disk/aio.h"
#include "uring.h"

struct disk_aio {
	struct io_uring	 ring;
	struct disk	*disk;
	int		 watch_fd;
	unsigned	 queued;	/* SQEs not yet submitted */
};

struct disk_aio *
disk_aio_prepare(unsigned depth)
{
	static const uint8_t	 ops[] = { IORING_OP_READV, IORING_OP_WRITEV,
	    IORING_OP_POLL_ADD };
	struct disk_aio		*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (uring_prepare(&a->ring, depth, ops, 3) == -1) {
		free(a);
		return NULL;
	}
	return a;
}

int
disk_aio_start(struct disk_aio *a, struct disk *d, int watch_fd)
{
	a->disk = d;
	a->watch_fd = watch_fd;
	return uring_enable(&a->ring);
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
	uint64_t		 host, len = disk_iov_len(iov, n);
	ssize_t			 got;
	int			 r;

	if ((r = disk_map(a->disk, off, len, write, &host)) != 1)
		return r;
	/*
	 * Through the page cache (not O_DIRECT), the copy is done here:
	 * a read the page cache holds with one system call and no ring
	 * entry (only a read that would wait goes on the ring); a write
	 * always, because the ring would hand it to one of the kernel's
	 * io_uring worker threads wherever the filesystem cannot start a
	 * buffered write without blocking (ext4), and that thread hop
	 * costs more than the copy, 1 MiB included. The price: while the
	 * kernel throttles the dirty pages, the caller waits.
	 */
	if (!a->disk->direct && write)
		return disk_pwritev_full(a->disk->fd, iov, n, host) == -1 ?
		    -1 : 2;
	if (!a->disk->direct) {
		got = preadv2(a->disk->fd, iov, n, (off_t)host, RWF_NOWAIT);
		if (got >= 0 && (uint64_t)got == len)
			return 2;
	}
	if ((sqe = io_uring_get_sqe(&a->ring)) == NULL) {
		errno = EAGAIN;
		return -1;
	}
	if (write)
		io_uring_prep_writev(sqe, a->disk->fd, iov, (unsigned)n, host);
	else
		io_uring_prep_readv(sqe, a->disk->fd, iov, (unsigned)n, host);
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
	io_uring_prep_poll_add(sqe, a->watch_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
	a->queued++;
	return 0;
}

int
disk_aio_submit(struct disk_aio *a, int wait)
{
	int	r;

	if (!wait && a->queued == 0)
		return 0;
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

unsigned
disk_aio_ready(struct disk_aio *a)
{
	return io_uring_cq_ready(&a->ring);
}
