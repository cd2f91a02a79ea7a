/* SPDX-License-Identifier: ISC */
/* Raw images: the file is the disk; O_DIRECT files get aligned I/O. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/disk.h"

#define RAW_BOUNCE	(1024 * 1024)	/* O_DIRECT bounce buffer */
#define RAW_ALIGN_MAX	4096		/* largest O_DIRECT block probed */

struct raw {
	size_t			align;	/* O_DIRECT: offsets, sizes, memory */
	pthread_rwlock_t	rmw;	/* O_DIRECT: partial-block writes */
};

/*
 * raw_direct_align: the block size O_DIRECT reads need on fd (a power
 * of two up to RAW_ALIGN_MAX), found by trying; memory alignment is
 * never stricter.
 */
static size_t
raw_direct_align(int fd)
{
	void	*buf;
	size_t	 a;
	ssize_t	 r = -1;

	if (posix_memalign(&buf, RAW_ALIGN_MAX, RAW_ALIGN_MAX) != 0)
		return RAW_ALIGN_MAX;
	for (a = DISK_SECTOR; a <= RAW_ALIGN_MAX; a *= 2) {
		while ((r = pread(fd, buf, a, 0)) == -1 && errno == EINTR)
			;
		if (r >= 0 || errno != EINVAL)
			break;
	}
	free(buf);
	return a > RAW_ALIGN_MAX ? RAW_ALIGN_MAX : a;
}

static int
raw_open(struct disk *d, char *why)
{
	struct raw	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		disk_why(why, "%s", strerror(errno));
		return -1;
	}
	r->align = d->direct ? raw_direct_align(d->fd) : DISK_SECTOR;
	pthread_rwlock_init(&r->rmw, NULL);
	d->priv = r;
	d->size = d->filesize;
	d->blksize = r->align;
	return 0;
}

/* raw_aligned: O_DIRECT can take iov and [off, off + len) as they are. */
static int
raw_aligned(const struct raw *r, const struct iovec *iov, int n,
    uint64_t off)
{
	uint64_t	m = r->align - 1;
	int		i;

	if ((off & m) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (((uintptr_t)iov[i].iov_base & m) != 0 ||
		    (iov[i].iov_len & m) != 0)
			return 0;
	return 1;
}

/*
 * raw_bounce: O_DIRECT I/O that is not aligned: through an aligned
 * buffer, RAW_BOUNCE at a time, whole blocks around the range. A write
 * that covers part of a block reads the block first, excluding every
 * other write (rmw) so that none lands in between.
 */
static int
raw_bounce(struct disk *d, struct raw *r, const struct iovec *iov, int n,
    uint64_t off, int write)
{
	uint64_t	 len = disk_iov_len(iov, n), done = 0;
	uint64_t	 start, end, head, m, mask = r->align - 1;
	uint8_t		*buf;
	int		 partial, rv = 0;

	if (posix_memalign((void **)&buf, RAW_ALIGN_MAX, RAW_BOUNCE) != 0) {
		errno = ENOMEM;
		return -1;
	}
	while (done < len && rv == 0) {
		start = (off + done) & ~mask;
		head = off + done - start;
		m = len - done;
		if (m > RAW_BOUNCE - head)
			m = RAW_BOUNCE - head;
		end = (start + head + m + mask) & ~mask;
		if (!write) {
			rv = disk_pread_full(d->fd, buf, end - start, start);
			if (rv == 0)
				disk_iov_from_buf(iov, n, done, buf + head, m);
		} else {
			partial = head != 0 || end - start != m;
			if (partial)
				pthread_rwlock_wrlock(&r->rmw);
			else
				pthread_rwlock_rdlock(&r->rmw);
			if (partial)
				rv = disk_pread_full(d->fd, buf, end - start,
				    start);
			disk_iov_to_buf(iov, n, done, buf + head, m);
			if (rv == 0)
				rv = disk_pwrite_full(d->fd, buf, end - start,
				    start);
			pthread_rwlock_unlock(&r->rmw);
		}
		done += m;
	}
	free(buf);
	return rv;
}

static int
raw_rw(struct disk *d, const struct iovec *iov, int n, uint64_t off,
    int write)
{
	struct raw	*r = d->priv;
	int		 rv;

	if (!d->direct)
		return write ? disk_pwritev_full(d->fd, iov, n, off) :
		    disk_preadv_full(d->fd, iov, n, off);
	if (!raw_aligned(r, iov, n, off))
		return raw_bounce(d, r, iov, n, off, write);
	if (!write)
		return disk_preadv_full(d->fd, iov, n, off);
	if (r->align == DISK_SECTOR)
		return disk_pwritev_full(d->fd, iov, n, off);
	pthread_rwlock_rdlock(&r->rmw);
	rv = disk_pwritev_full(d->fd, iov, n, off);
	pthread_rwlock_unlock(&r->rmw);
	return rv;
}

static int
raw_read(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	return raw_rw(d, iov, n, off, 0);
}

static int
raw_write(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	if (off >= d->limit || disk_iov_len(iov, n) > d->limit - off) {
		errno = ENOSPC;
		return -1;
	}
	return raw_rw(d, iov, n, off, 1);
}

static int
raw_flush(struct disk *d)
{
	return fdatasync(d->fd);
}

/* raw_zero_plain: zeros over [off, off + len), by hole or by writing. */
static int
raw_zero_plain(struct disk *d, uint64_t off, uint64_t len, int unmap)
{
	static const uint8_t	zeros[65536] __attribute__((aligned(4096)));
	size_t			m;

	if (!unmap && fallocate(d->fd, FALLOC_FL_ZERO_RANGE, (off_t)off,
	    (off_t)len) == 0)
		return 0;
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)off, (off_t)len) == 0)
		return 0;
	while (len > 0) {
		m = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		if (disk_pwrite_full(d->fd, zeros, m, off) == -1)
			return -1;
		off += m;
		len -= m;
	}
	return 0;
}

/*
 * raw_zero: zeros over the range. On an O_DIRECT file of blocks larger
 * than a sector the blocks covered in part are read, zeroed in part and
 * written back excluding every other write, as raw_bounce does.
 */
static int
raw_zero(struct disk *d, uint64_t off, uint64_t len, int flags)
{
	struct raw	*r = d->priv;
	uint64_t	 mask = r->align - 1, start, m;
	uint8_t		*buf = NULL;
	int		 rv = 0, unmap = flags & DISK_ZERO_UNMAP;

	if (!d->direct || r->align == DISK_SECTOR)
		return raw_zero_plain(d, off, len, unmap);
	while (len > 0 && rv == 0) {
		start = off & ~mask;
		if (off == start && len > mask) {
			m = len & ~mask;
			pthread_rwlock_rdlock(&r->rmw);
			rv = raw_zero_plain(d, off, m, unmap);
		} else {
			m = start + r->align - off;
			if (m > len)
				m = len;
			if (buf == NULL && posix_memalign((void **)&buf,
			    RAW_ALIGN_MAX, RAW_ALIGN_MAX) != 0) {
				errno = ENOMEM;
				return -1;
			}
			pthread_rwlock_wrlock(&r->rmw);
			rv = disk_pread_full(d->fd, buf, r->align, start);
			if (rv == 0) {
				memset(buf + (off - start), 0, m);
				rv = disk_pwrite_full(d->fd, buf, r->align,
				    start);
			}
		}
		pthread_rwlock_unlock(&r->rmw);
		off += m;
		len -= m;
	}
	free(buf);
	return rv;
}

static int
raw_map(struct disk *d, uint64_t off, uint64_t len, int write,
    uint64_t *host)
{
	struct raw	*r = d->priv;
	uint64_t	 m = r->align - 1;

	if (write && (off >= d->limit || len > d->limit - off))
		return 0;
	/* O_DIRECT: only what needs no bounce (memory is the caller's). */
	if (d->direct && ((off | len) & m) != 0)
		return 0;
	*host = off;
	return 1;
}

static void
raw_close(struct disk *d)
{
	struct raw	*r = d->priv;

	if (r != NULL)
		pthread_rwlock_destroy(&r->rmw);
	free(r);
	d->priv = NULL;
}

const struct disk_ops disk_raw_ops = {
	.name = "raw",
	.open = raw_open,
	.read = raw_read,
	.write = raw_write,
	.flush = raw_flush,
	.zero = raw_zero,
	.close = raw_close,
	.map = raw_map,
};
