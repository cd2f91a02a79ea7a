/* SPDX-License-Identifier: ISC */
/* Disk images: format detection, layers, and the formats' shared helpers. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/disk.h"

#define DISK_QCOW2_MAGIC	"QFI\xfb"

void
disk_why(char *why, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, DISK_WHY_MAX, fmt, ap);
	va_end(ap);
}

static const char *const disk_format_names[DISK_FMT_MAX] = {
	[DISK_FMT_RAW] = "raw",
	[DISK_FMT_QCOW2] = "qcow2",
	[DISK_FMT_RAW_FORCE] = "force-raw",
};

int
disk_format_parse(const char *name)
{
	int	i;

	for (i = 0; i < DISK_FMT_MAX; i++)
		if (disk_format_names[i] != NULL &&
		    strcmp(name, disk_format_names[i]) == 0)
			return i;
	return -1;
}

int
disk_format_prefix(const char **path)
{
	size_t	n;
	int	i;

	for (i = 0; i < DISK_FMT_MAX; i++) {
		if (disk_format_names[i] == NULL)
			continue;
		n = strlen(disk_format_names[i]);
		if (strncmp(*path, disk_format_names[i], n) == 0 &&
		    (*path)[n] == ':') {
			*path += n + 1;
			return i;
		}
	}
	return DISK_FMT_AUTO;
}

int
disk_detect(int fd, int asked, int *format, char *why)
{
	uint8_t	*magic;
	ssize_t	 r;
	int	 qcow2;

	/* A whole aligned block: the file may be open with O_DIRECT. */
	if (posix_memalign((void **)&magic, 4096, 4096) != 0) {
		disk_why(why, "%s", strerror(ENOMEM));
		return -1;
	}
	while ((r = pread(fd, magic, 4096, 0)) == -1 && errno == EINTR)
		;
	qcow2 = r >= 4 && memcmp(magic, DISK_QCOW2_MAGIC, 4) == 0;
	free(magic);
	if (r == -1) {
		disk_why(why, "cannot read: %s", strerror(errno));
		return -1;
	}
	switch (asked) {
	case DISK_FMT_AUTO:
		*format = qcow2 ? DISK_FMT_QCOW2 : DISK_FMT_RAW;
		return 0;
	case DISK_FMT_RAW:
		if (qcow2) {
			disk_why(why, "is a qcow2 image but raw was asked for "
			    "(use qcow2, or force-raw to expose the qcow2 "
			    "file itself to the guest)");
			errno = EINVAL;
			return -1;
		}
		*format = DISK_FMT_RAW;
		return 0;
	case DISK_FMT_RAW_FORCE:
		*format = DISK_FMT_RAW;
		return 0;
	case DISK_FMT_QCOW2:
		if (!qcow2) {
			disk_why(why, "is not a qcow2 image (no qcow2 magic)");
			errno = EINVAL;
			return -1;
		}
		*format = DISK_FMT_QCOW2;
		return 0;
	}
	disk_why(why, "unknown disk format %d", asked);
	errno = EINVAL;
	return -1;
}

uint64_t
disk_limit(int format, uint64_t filesize, uint64_t size)
{
	uint64_t	room;

	if (format != DISK_FMT_QCOW2)
		return filesize > size ? filesize : size;
	/*
	 * Every guest cluster once, its L2 entry (at most 1/64 of the data
	 * with 512-byte clusters), refcounts (1/256 of the file) and tables
	 * grown, on top of what the file already holds. Bounded, so the
	 * VM process's filter can bound its writes.
	 */
	room = size + size / 32 + (64ULL << 20);
	if (filesize > UINT64_MAX / 2 || room > UINT64_MAX / 2)
		return UINT64_MAX / 2;
	return filesize + room;
}

/* disk_lock: vmd's rule: one writer per image, readers may share. */
static int
disk_lock(int fd, int exclusive, char *why)
{
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		disk_why(why, "the image is in use by another VM or disk");
		errno = EBUSY;
	} else
		disk_why(why, "lock: %s", strerror(errno));
	return -1;
}

struct disk *
disk_open(const int *fds, const int *formats, int n, int readonly,
    uint64_t limit, char *why)
{
	struct disk	*d = NULL, *below = NULL;
	struct stat	 st;
	off_t		 end;
	int		 i = n - 1, fl, e;

	if (n < 1 || n > DISK_CHAIN_MAX) {
		disk_why(why, "%d layers (1 to %d)", n, DISK_CHAIN_MAX);
		errno = EINVAL;
		goto fail;
	}
	for (i = n - 1; i >= 0; i--) {
		if ((d = calloc(1, sizeof(*d))) == NULL) {
			disk_why(why, "%s", strerror(errno));
			goto fail;
		}
		d->fd = fds[i];
		d->backing = below;
		below = NULL;
		d->readonly = i > 0 || readonly;
		d->ops = formats[i] == DISK_FMT_QCOW2 ? &disk_qcow2_ops :
		    &disk_raw_ops;
		if (formats[i] != DISK_FMT_QCOW2 &&
		    formats[i] != DISK_FMT_RAW) {
			disk_why(why, "layer %d: unknown format %d", i,
			    formats[i]);
			errno = EINVAL;
			goto fail_d;
		}
		if (fstat(d->fd, &st) == -1 ||
		    (end = lseek(d->fd, 0, SEEK_END)) == -1) {
			disk_why(why, "layer %d: %s", i, strerror(errno));
			goto fail_d;
		}
		d->filesize = (uint64_t)end;
		if ((fl = fcntl(d->fd, F_GETFL)) != -1 && (fl & O_DIRECT))
			d->direct = 1;
		if (disk_lock(d->fd, !d->readonly, why) == -1)
			goto fail_d;
		d->limit = i == 0 && limit != 0 ? limit :
		    disk_limit(formats[i], d->filesize, d->filesize);
		if (d->ops->open(d, why) == -1)
			goto fail_d;
		if (i == 0 && limit == 0)
			d->limit = disk_limit(formats[i], d->filesize, d->size);
		below = d;
		d = NULL;
	}
	return below;
 fail_d:
	e = errno;
	below = d->backing;
	close(d->fd);
	free(d);
	errno = e;
	i--;
 fail:
	e = errno;
	disk_close(below);
	for (; i >= 0; i--)
		close(fds[i]);
	errno = e;
	return NULL;
}

uint64_t
disk_iov_len(const struct iovec *iov, int n)
{
	uint64_t	len = 0;

	while (n-- > 0)
		len += (iov++)->iov_len;
	return len;
}

/* disk_inside: [off, off + len) is inside the disk; else EINVAL. */
static int
disk_inside(const struct disk *d, uint64_t off, uint64_t len)
{
	if (off > d->size || len > d->size - off) {
		errno = EINVAL;
		return 0;
	}
	return 1;
}

int
disk_read(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	if (!disk_inside(d, off, disk_iov_len(iov, n)))
		return -1;
	return d->ops->read(d, iov, n, off);
}

int
disk_write(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	if (d->readonly) {
		errno = EROFS;
		return -1;
	}
	if (!disk_inside(d, off, disk_iov_len(iov, n)))
		return -1;
	return d->ops->write(d, iov, n, off);
}

int
disk_flush(struct disk *d)
{
	if (d->readonly)
		return 0;
	return d->ops->flush(d);
}

int
disk_zero(struct disk *d, uint64_t off, uint64_t len, int flags)
{
	if (d->readonly) {
		errno = EROFS;
		return -1;
	}
	if (!disk_inside(d, off, len))
		return -1;
	return d->ops->zero(d, off, len, flags);
}

int
disk_map(struct disk *d, uint64_t off, uint64_t len, int write,
    uint64_t *host)
{
	if (write && d->readonly) {
		errno = EROFS;
		return -1;
	}
	if (!disk_inside(d, off, len))
		return -1;
	return d->ops->map(d, off, len, write, host);
}

void
disk_close(struct disk *d)
{
	struct disk	*next;

	while (d != NULL) {
		next = d->backing;
		d->ops->close(d);
		close(d->fd);
		free(d);
		d = next;
	}
}

int
disk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	struct iovec	iov = { buf, len };

	return disk_preadv_full(fd, &iov, 1, off);
}

int
disk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec	iov = { (void *)(uintptr_t)buf, len };

	return disk_pwritev_full(fd, &iov, 1, off);
}

/*
 * disk_rw: all of iov at off. A read past the end of the file reads
 * zeros (an image's last cluster or block may be short).
 */
static int
disk_rw(int fd, const struct iovec *in, int n, uint64_t off, int write)
{
	struct iovec	 iov[64], *v = iov;
	ssize_t		 r;
	size_t		 total = 0;
	int		 i;

	if (n > 64) {
		for (i = 0; i < n; i++) {
			if (disk_rw(fd, &in[i], 1, off + total, write) == -1)
				return -1;
			total += in[i].iov_len;
		}
		return 0;
	}
	memcpy(iov, in, (size_t)n * sizeof(*iov));
	while (n > 0) {
		if (v->iov_len == 0) {
			v++;
			n--;
			continue;
		}
		r = write ? pwritev(fd, v, n, (off_t)off) :
		    preadv(fd, v, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			if (write) {
				errno = EIO;
				return -1;
			}
			for (; n > 0; v++, n--)
				memset(v->iov_base, 0, v->iov_len);
			return 0;
		}
		off += (uint64_t)r;
		while (n > 0 && (size_t)r >= v->iov_len) {
			r -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + r;
			v->iov_len -= (size_t)r;
		}
	}
	return 0;
}

int
disk_preadv_full(int fd, const struct iovec *iov, int n, uint64_t off)
{
	return disk_rw(fd, iov, n, off, 0);
}

int
disk_pwritev_full(int fd, const struct iovec *iov, int n, uint64_t off)
{
	return disk_rw(fd, iov, n, off, 1);
}

/* disk_iov_copy: len bytes between buf and iov from skip; to_iov picks. */
static void
disk_iov_copy(const struct iovec *iov, int n, size_t skip, uint8_t *buf,
    size_t len, int to_iov)
{
	size_t	m;

	for (; n > 0 && len > 0; iov++, n--) {
		if (skip >= iov->iov_len) {
			skip -= iov->iov_len;
			continue;
		}
		m = iov->iov_len - skip;
		if (m > len)
			m = len;
		if (to_iov)
			memcpy((uint8_t *)iov->iov_base + skip, buf, m);
		else
			memcpy(buf, (uint8_t *)iov->iov_base + skip, m);
		buf += m;
		len -= m;
		skip = 0;
	}
}

void
disk_iov_to_buf(const struct iovec *iov, int n, size_t skip, void *buf,
    size_t len)
{
	disk_iov_copy(iov, n, skip, buf, len, 0);
}

void
disk_iov_from_buf(const struct iovec *iov, int n, size_t skip,
    const void *buf, size_t len)
{
	disk_iov_copy(iov, n, skip, (uint8_t *)(uintptr_t)buf, len, 1);
}

int
disk_iov_slice(const struct iovec *iov, int n, size_t skip, size_t len,
    struct iovec *out, int max)
{
	size_t	m;
	int	k = 0;

	for (; n > 0 && len > 0 && k < max; iov++, n--) {
		if (skip >= iov->iov_len) {
			skip -= iov->iov_len;
			continue;
		}
		m = iov->iov_len - skip;
		if (m > len)
			m = len;
		out[k].iov_base = (uint8_t *)iov->iov_base + skip;
		out[k++].iov_len = m;
		len -= m;
		skip = 0;
	}
	return len == 0 ? k : -1;
}
