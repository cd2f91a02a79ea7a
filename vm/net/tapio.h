/* SPDX-License-Identifier: ISC */
/*
 * Batched frame I/O on a tap (or any datagram fd): many reads or writes
 * queued, then done with one io_uring_enter, or one readv/writev each
 * where io_uring is missing.
 */
#ifndef VM_NET_TAPIO_H
#define VM_NET_TAPIO_H

#include <sys/uio.h>

#include <stdint.h>

#define TAPIO_DEPTH	128	/* operations queued at once */

struct tapio;

/*
 * tapio_prepare: with ring, before the sandbox (it makes a ring): a
 * disabled io_uring ring restricted to readv and writev, or none where
 * io_uring is missing, refused or VMD_NO_IO_URING is set; without ring,
 * none. Without a ring the I/O is done with system calls. NULL only
 * without memory.
 * tapio_start: use fd (non-blocking) from now on: 0, or -1 with errno
 * (the ring could not be enabled: system calls are used).
 */
struct tapio	*tapio_prepare(int ring);
int	tapio_start(struct tapio *, int fd);
void	tapio_free(struct tapio *);
/* tapio_uring: 1 while the ring is in use, 0 for system calls. */
int	tapio_uring(const struct tapio *);
/*
 * tapio_read, tapio_write: queue one frame read into, or written from,
 * iov (n entries, which stay the caller's and must be left alone until
 * tapio_run returns). Reads run in the order queued; with system calls
 * they stop at the first that finds no frame (or fails), on the ring a
 * later one may still find a frame that came meanwhile. 0, or -1 with
 * errno EAGAIN: TAPIO_DEPTH operations are queued.
 */
int	tapio_read(struct tapio *, const struct iovec *iov, int n);
int	tapio_write(struct tapio *, const struct iovec *iov, int n);
/*
 * tapio_run: do everything queued; res[i] (the caller gives room for
 * every one queued) is the i-th operation's result: bytes, or -errno
 * (-EAGAIN: no frame was waiting; -ECANCELED: a read after one that
 * found none, not done). Returns the number of operations.
 */
int	tapio_run(struct tapio *, int *res);
/* tapio_calls: system calls made so far (for tests and benchmarks). */
uint64_t tapio_calls(const struct tapio *);

#endif /* VM_NET_TAPIO_H */
