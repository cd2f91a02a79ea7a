/* SPDX-License-Identifier: ISC */
/*
 * Asynchronous disk I/O (io_uring) for one virtio queue: reads and writes
 * that map onto the top layer's file, and a poll on one other fd (the
 * queue's kick) so that one wait covers both.
 */
#ifndef LIB_DISK_AIO_H
#define LIB_DISK_AIO_H

#include "disk/disk.h"

#define DISK_AIO_DEPTH	256	/* ring entries: the requests, and a poll */

struct disk_aio;

struct disk_aio_done {
	uint64_t	tag;
	int		res;	/* bytes, or -errno */
};

/*
 * disk_aio_prepare: a ring of depth entries, disabled and restricted to
 * reads, writes and polls, no registration once enabled (before the
 * sandbox);
 * NULL with errno where io_uring is missing, disabled, or refused (or
 * VMD_NO_IO_URING is set): the caller does the I/O itself.
 * disk_aio_start: enable the ring for d's top file and watch_fd. 0, or
 * -1 with errno.
 */
struct disk_aio	*disk_aio_prepare(unsigned depth);
int	disk_aio_start(struct disk_aio *, struct disk *, int watch_fd);
void	disk_aio_free(struct disk_aio *);
/*
 * disk_aio_rw: queue a read or write of iov at off, tagged. 1 queued;
 * 2 done already (a write through the page cache, or a read it held);
 * 0 the range does not map onto the file as it is (the caller serves it
 * with disk_read/disk_write); -1 with errno (EAGAIN: the ring is full).
 */
int	disk_aio_rw(struct disk_aio *, int write, const struct iovec *, int n,
	    uint64_t off, uint64_t tag);
/* disk_aio_watch: queue a one-shot poll for input on watch_fd, tagged. */
int	disk_aio_watch(struct disk_aio *, uint64_t tag);
/* disk_aio_submit: submit what is queued; with wait, until one completes. */
int	disk_aio_submit(struct disk_aio *, int wait);
/*
 * disk_aio_ready: completions waiting to be reaped (a look at the ring's
 * shared memory, no system call: for a poller).
 */
unsigned	disk_aio_ready(struct disk_aio *);
/* disk_aio_reap: up to max completions, without waiting; their count. */
int	disk_aio_reap(struct disk_aio *, struct disk_aio_done *, int max);

#endif /* LIB_DISK_AIO_H */
