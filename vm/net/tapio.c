/* SPDX-License-Identifier: ISC */
/*
 * Batched frame I/O on a tap: the reads or writes of one wake-up go on an
 * io_uring ring and are done by one io_uring_enter, where one readv or
 * writev per frame was a system call each (a frame in one piece of guest
 * memory is a read or write: no iovec to import). The ring is made
 * disabled and restricted to those four before the VM process's seccomp
 * filter (which refuses io_uring_setup) and enabled for the tap; the tap
 * is not registered with it (a ring would keep it attached past the
 * process's exit, and a VM restarted at once on the same tap would find
 * it busy).
 * Every operation is asked not to wait (RWF_NOWAIT): a read that finds no
 * frame completes with -EAGAIN inside the same call instead of waiting
 * for one. A kernel whose tap cannot do that (-EOPNOTSUPP), or a ring
 * that fails, hands the I/O to plain system calls for good.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "uring.h"
#include "vm/net/tapio.h"

struct tapio_op {
	const struct iovec	*iov;
	int			 n;
	int			 write;
};

struct tapio {
	struct io_uring	 ring;
	int		 have_ring;	/* ring set up (maybe not enabled) */
	int		 use_ring;	/* enabled and working */
	int		 fd;
	int		 nops;
	struct tapio_op	 ops[TAPIO_DEPTH];
	uint64_t	 calls;
};

struct tapio *
tapio_prepare(int ring)
{
	static const uint8_t	 ops[] = { IORING_OP_READV, IORING_OP_WRITEV,
				    IORING_OP_READ, IORING_OP_WRITE };
	struct tapio		*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = -1;
	if (ring && uring_prepare(&t->ring, TAPIO_DEPTH, ops, 4) == 0)
		t->have_ring = 1;
	return t;
}

int
tapio_start(struct tapio *t, int fd)
{
	int	e;

	t->fd = fd;
	if (!t->have_ring)
		return 0;
	if (uring_enable(&t->ring) == -1) {
		e = errno;
		io_uring_queue_exit(&t->ring);
		t->have_ring = 0;
		errno = e;
		return -1;
	}
	t->use_ring = 1;
	return 0;
}

void
tapio_free(struct tapio *t)
{
	if (t == NULL)
		return;
	if (t->have_ring)
		io_uring_queue_exit(&t->ring);
	free(t);
}

int
tapio_uring(const struct tapio *t)
{
	return t->use_ring;
}

uint64_t
tapio_calls(const struct tapio *t)
{
	return t->calls;
}

static int
tapio_queue(struct tapio *t, const struct iovec *iov, int n, int write)
{
	if (t->nops == TAPIO_DEPTH) {
		errno = EAGAIN;
		return -1;
	}
	t->ops[t->nops].iov = iov;
	t->ops[t->nops].n = n;
	t->ops[t->nops].write = write;
	t->nops++;
	return 0;
}

int
tapio_read(struct tapio *t, const struct iovec *iov, int n)
{
	return tapio_queue(t, iov, n, 0);
}

int
tapio_write(struct tapio *t, const struct iovec *iov, int n)
{
	return tapio_queue(t, iov, n, 1);
}

/* tapio_one: operation i by a system call: bytes, or -errno. */
static int
tapio_one(struct tapio *t, int i)
{
	struct tapio_op	*op = &t->ops[i];
	ssize_t		 r;

	t->calls++;
	do {
		r = op->write ? writev(t->fd, op->iov, op->n) :
		    readv(t->fd, op->iov, op->n);
	} while (r == -1 && errno == EINTR);
	return r == -1 ? -errno : (int)r;
}

/*
 * tapio_sys: every operation by a system call into res; reads stop at
 * the first that finds nothing.
 */
static void
tapio_sys(struct tapio *t, int *res)
{
	int	i, stop = 0;

	for (i = 0; i < t->nops; i++) {
		if (!t->ops[i].write && stop) {
			res[i] = -ECANCELED;
			continue;
		}
		res[i] = tapio_one(t, i);
		if (!t->ops[i].write && res[i] <= 0)
			stop = 1;
	}
}

/* tapio_refused: the ring cannot do this on the tap (RWF_NOWAIT). */
static int
tapio_refused(int res)
{
	return res == -EOPNOTSUPP;
}

/*
 * tapio_ring: all operations on the ring, one io_uring_enter when all
 * goes well. Returns how many were submitted and completed (their
 * results in res); fewer than nops when the ring failed, the rest
 * untouched, never to be submitted (the caller drops the ring).
 */
static int
tapio_ring(struct tapio *t, int *res)
{
	struct io_uring_sqe	*sqe;
	struct io_uring_cqe	*cqe;
	struct tapio_op		*op;
	uint64_t		 i;
	int			 r, sub = 0, got = 0;

	for (i = 0; i < (uint64_t)t->nops; i++) {
		op = &t->ops[i];
		/* Never NULL: every SQE of the last call was consumed. */
		if ((sqe = io_uring_get_sqe(&t->ring)) == NULL)
			return 0;
		if (op->n == 1 && op->write)
			io_uring_prep_write(sqe, t->fd, op->iov[0].iov_base,
			    (unsigned)op->iov[0].iov_len, (uint64_t)-1);
		else if (op->n == 1)
			io_uring_prep_read(sqe, t->fd, op->iov[0].iov_base,
			    (unsigned)op->iov[0].iov_len, (uint64_t)-1);
		else if (op->write)
			io_uring_prep_writev(sqe, t->fd, op->iov,
			    (unsigned)op->n, (uint64_t)-1);
		else
			io_uring_prep_readv(sqe, t->fd, op->iov,
			    (unsigned)op->n, (uint64_t)-1);
		sqe->rw_flags = RWF_NOWAIT;
		io_uring_sqe_set_data64(sqe, i);
	}
	while (sub < t->nops) {
		t->calls++;
		r = io_uring_submit_and_wait(&t->ring,
		    (unsigned)(t->nops - got));
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		sub += r;
	}
	/* SQEs are taken in order: the first sub of them are in flight. */
	while (got < sub) {
		if (io_uring_peek_cqe(&t->ring, &cqe) != 0) {
			t->calls++;
			if ((r = io_uring_wait_cqe(&t->ring, &cqe)) == -EINTR)
				continue;
			if (r < 0)
				return 0;	/* cannot happen: reads wait */
		}
		i = io_uring_cqe_get_data64(cqe);
		if (i < (uint64_t)t->nops)
			res[i] = cqe->res;
		io_uring_cqe_seen(&t->ring, cqe);
		got++;
	}
	return sub;
}

int
tapio_run(struct tapio *t, int *res)
{
	int	n = t->nops, done, i, stop = 0;

	if (n == 0)
		return 0;
	if (!t->use_ring) {
		tapio_sys(t, res);
		t->nops = 0;
		return n;
	}
	done = tapio_ring(t, res);
	for (i = 0; i < done && !tapio_refused(res[i]); i++)
		;
	if (i == n) {
		t->nops = 0;
		return n;
	}
	/*
	 * The ring failed or refused: system calls from now on, for every
	 * operation without a result (reads after one that found nothing
	 * stay undone, as tapio_sys leaves them).
	 */
	t->use_ring = 0;
	for (i = 0; i < n; i++) {
		if (i < done && !tapio_refused(res[i])) {
			if (!t->ops[i].write && res[i] <= 0)
				stop = 1;
			continue;
		}
		if (!t->ops[i].write && stop) {
			res[i] = -ECANCELED;
			continue;
		}
		res[i] = tapio_one(t, i);
		if (!t->ops[i].write && res[i] <= 0)
			stop = 1;
	}
	t->nops = 0;
	return n;
}
