/* SPDX-License-Identifier: ISC */
/*
 * The host's reference for the test guest's blk-bench (bench/io.pl): the
 * same requests on the same image file by one host thread, with no VM in
 * between. What it reaches is the most a VMM with one I/O thread could
 * hand a guest on this host, the ceiling each blk-bench row is read
 * against.
 *
 * The rows and their requests are blk-bench's: 4 KiB random reads and
 * writes (the guest's xorshift positions) and 1 MiB sequential ones, each
 * at queue depth 1 and 32, into and out of one 1 MiB buffer, for MS
 * milliseconds each. Through the page cache a single thread copies one
 * request at a time whatever the depth, so every request is one
 * pread(2)/pwrite(2). With -d (O_DIRECT) depth 1 is the same and depth
 * 32 keeps 32 requests in flight on an io_uring ring, as the disk can
 * serve them at once. Prints blk-bench's own lines:
 *   # bench: blk-randread-4k-qd1 N IOPS
 *   # bench: blk-seqread-1m-qd1 N MB/s
 * Usage: blk-host [-d] [-m ms] image
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#define HOST_BUF	(1U << 20)
#define HOST_DEPTH	32
#define HOST_HUGE	(2U << 20)

struct host_pos {
	uint64_t	 rng;
	uint64_t	 next;
	uint64_t	 span;
	int		 rnd;
};

static uint64_t
host_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* host_next: the next request's index, as blk-bench picks it. */
static uint64_t
host_next(struct host_pos *p)
{
	if (p->rnd) {
		p->rng ^= p->rng << 13;
		p->rng ^= p->rng >> 7;
		p->rng ^= p->rng << 17;
		return p->rng % p->span;
	}
	return p->next++ % p->span;
}

/* host_sync: one request at a time for ms: requests done. */
static uint64_t
host_sync(int fd, int wr, uint8_t *buf, size_t len, struct host_pos *p,
    uint64_t end)
{
	uint64_t	 ops = 0;
	ssize_t		 n;
	off_t		 off;

	while (host_now_us() < end) {
		off = (off_t)(host_next(p) * len);
		n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
		if (n != (ssize_t)len)
			err(1, "%s at %lld", wr ? "pwrite" : "pread",
			    (long long)off);
		ops++;
	}
	return ops;
}

static void
host_prep(struct io_uring *r, int fd, int wr, uint8_t *buf, size_t len,
    struct host_pos *p)
{
	struct io_uring_sqe	*sqe;
	off_t			 off = (off_t)(host_next(p) * len);

	if ((sqe = io_uring_get_sqe(r)) == NULL)
		errx(1, "io_uring: no submission entry");
	if (wr)
		io_uring_prep_write(sqe, fd, buf, (unsigned)len, (uint64_t)off);
	else
		io_uring_prep_read(sqe, fd, buf, (unsigned)len, (uint64_t)off);
}

/* host_ring: qd requests kept in flight for ms: requests done. */
static uint64_t
host_ring(struct io_uring *r, int fd, int wr, uint8_t *buf, size_t len,
    int qd, struct host_pos *p, uint64_t end)
{
	struct io_uring_cqe	*cqe;
	uint64_t		 ops = 0;
	int			 i, inflight = 0, e;

	for (i = 0; i < qd; i++, inflight++)
		host_prep(r, fd, wr, buf, len, p);
	while (inflight > 0) {
		if ((e = io_uring_submit_and_wait(r, 1)) < 0)
			errc(1, -e, "io_uring_submit_and_wait");
		while (io_uring_peek_cqe(r, &cqe) == 0) {
			if (cqe->res != (int)len)
				errc(1, cqe->res < 0 ? -cqe->res : EIO,
				    "io_uring %s", wr ? "write" : "read");
			io_uring_cqe_seen(r, cqe);
			inflight--;
			ops++;
			if (host_now_us() < end) {
				host_prep(r, fd, wr, buf, len, p);
				inflight++;
			}
		}
	}
	return ops;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		int		 wr;
		size_t		 len;
		int		 rnd;
	} b[] = {
		{ "blk-randread-4k", 0, 4096, 1 },
		{ "blk-randwrite-4k", 1, 4096, 1 },
		{ "blk-seqread-1m", 0, 1 << 20, 0 },
		{ "blk-seqwrite-1m", 1, 1 << 20, 0 },
	};
	static const int qds[] = { 1, HOST_DEPTH };
	struct io_uring	 ring;
	struct host_pos	 p;
	struct stat	 st;
	uint64_t	 ms = 1000, t0, end, ops, us;
	uint8_t		*buf;
	size_t		 i, j;
	int		 ch, direct = 0, fd, e;

	while ((ch = getopt(argc, argv, "dm:")) != -1) {
		switch (ch) {
		case 'd':
			direct = 1;
			break;
		case 'm':
			ms = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || ms == 0)
		goto usage;
	if ((fd = open(argv[optind], O_RDWR | (direct ? O_DIRECT : 0))) == -1)
		err(1, "%s", argv[optind]);
	if (fstat(fd, &st) == -1)
		err(1, "%s", argv[optind]);
	if (st.st_size < (off_t)HOST_BUF)
		errx(1, "%s: smaller than 1 MiB", argv[optind]);
	/* In a huge page, as a VMM's guest RAM is. */
	if ((errno = posix_memalign((void **)&buf, HOST_HUGE, HOST_HUGE)) != 0)
		err(1, "buffer");
	(void)madvise(buf, HOST_HUGE, MADV_HUGEPAGE);
	memset(buf, 0xa5, HOST_BUF);
	if (direct && (e = io_uring_queue_init(HOST_DEPTH, &ring, 0)) < 0)
		errc(1, -e, "io_uring_queue_init");
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		for (j = 0; j < sizeof(qds) / sizeof(qds[0]); j++) {
			memset(&p, 0, sizeof(p));
			p.rng = 88172645;
			p.rnd = b[i].rnd;
			p.span = (uint64_t)st.st_size / b[i].len;
			t0 = host_now_us();
			end = t0 + ms * 1000;
			if (direct && qds[j] > 1)
				ops = host_ring(&ring, fd, b[i].wr, buf,
				    b[i].len, qds[j], &p, end);
			else
				ops = host_sync(fd, b[i].wr, buf, b[i].len, &p,
				    end);
			if ((us = host_now_us() - t0) == 0)
				us = 1;
			if (b[i].len == 4096)
				printf("# bench: %s-qd%d %llu IOPS\n", b[i].name,
				    qds[j], (unsigned long long)(ops * 1000000 /
				    us));
			else
				printf("# bench: %s-qd%d %llu MB/s\n", b[i].name,
				    qds[j], (unsigned long long)(ops * b[i].len /
				    us));
			fflush(stdout);
		}
	}
	if (direct)
		io_uring_queue_exit(&ring);
	free(buf);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: blk-host [-d] [-m ms] image\n");
	return 2;
}
