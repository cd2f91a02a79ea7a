/* SPDX-License-Identifier: ISC */
/*
 * qcow2 images, versions 2 and 3, read and write (the format as QEMU's
 * docs/interop/qcow2.txt describes it): the ops lib/disk calls, the
 * header, and creating images. The file is untrusted: every offset and
 * size read from it is checked against the file and the fixed metadata
 * before it is used (qcow2_meta.c).
 *
 * Crash consistency: metadata is written through, in an order that
 * leaves a consistent image at every instant a process could be killed:
 * a cluster's refcount is written before anything points to it, and a
 * pointer is removed before the refcount drops. What a kill can leave is
 * a leaked cluster, which the walk at every read-write open repairs
 * (qcow2_walk.c). Version 3 images carry the dirty bit while open for
 * writing, so that a power loss between the guest's flushes (which may
 * reorder the page cache's writes) also ends in a repair on the next open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "disk/qcow2.h"
#include "log.h"

const uint8_t	qcow2_zeros[65536] __attribute__((aligned(4096)));

/*
 * qcow2_hdr_read: read and check the header of a file of filesize bytes.
 * Checks what every user of the image needs; qcow2_open checks the rest
 * for writing.
 */
static int
qcow2_hdr_read(int fd, uint64_t filesize, struct qcow2_hdr *h, char *why)
{
	uint8_t		 b[QCOW2_HDR_V3 + 8];
	uint8_t		 ext[8], name[16];
	uint64_t	 cs, off, l2cover, need, rtlen;
	uint32_t	 type, len;

	memset(h, 0, sizeof(*h));
	memset(b, 0, sizeof(b));
	if (filesize < QCOW2_HDR_V2 ||
	    disk_pread_full(fd, b, sizeof(b), 0) == -1) {
		disk_why(why, "qcow2: header truncated or unreadable");
		goto bad;
	}
	if (qcow2_get32(b) != QCOW2_MAGIC) {
		disk_why(why, "not a qcow2 image (no qcow2 magic)");
		goto bad;
	}
	h->version = qcow2_get32(b + 4);
	if (h->version != 2 && h->version != 3) {
		disk_why(why, "qcow2 version %u is not supported (2 or 3)",
		    h->version);
		goto bad;
	}
	h->cluster_bits = qcow2_get32(b + QCOW2_H_CLUSTER_BITS);
	if (h->cluster_bits < QCOW2_MIN_BITS ||
	    h->cluster_bits > QCOW2_MAX_BITS) {
		disk_why(why, "qcow2: cluster size 2^%u is not supported "
		    "(512 bytes to 2 MiB)", h->cluster_bits);
		goto bad;
	}
	cs = 1ULL << h->cluster_bits;
	h->size = qcow2_get64(b + QCOW2_H_SIZE);
	if (h->size > QCOW2_MAX_SIZE) {
		disk_why(why, "qcow2: disk size %llu is too large",
		    (unsigned long long)h->size);
		goto bad;
	}
	if (qcow2_get32(b + QCOW2_H_CRYPT) != 0) {
		disk_why(why, "qcow2: encrypted images are not supported");
		goto bad;
	}
	if (qcow2_get32(b + QCOW2_H_NSNAP) != 0) {
		disk_why(why, "qcow2: images with internal snapshots are not "
		    "supported (qemu-img snapshot -d removes them)");
		goto bad;
	}
	h->l1_size = qcow2_get32(b + QCOW2_H_L1_SIZE);
	h->l1_off = qcow2_get64(b + QCOW2_H_L1_OFF);
	h->rt_off = qcow2_get64(b + QCOW2_H_RT_OFF);
	h->rt_clusters = qcow2_get32(b + QCOW2_H_RT_CLUSTERS);
	if (h->version == 3) {
		h->incompat = qcow2_get64(b + QCOW2_H_INCOMPAT);
		h->compat = qcow2_get64(b + QCOW2_H_COMPAT);
		h->autoclear = qcow2_get64(b + QCOW2_H_AUTOCLEAR);
		if (qcow2_get32(b + QCOW2_H_REFORDER) != 4) {
			disk_why(why, "qcow2: refcount order %u is not "
			    "supported (only 16-bit refcounts, order 4)",
			    qcow2_get32(b + QCOW2_H_REFORDER));
			goto bad;
		}
		h->hdrlen = qcow2_get32(b + QCOW2_H_HDRLEN);
		if (h->hdrlen < QCOW2_HDR_V3 || h->hdrlen % 8 != 0 ||
		    h->hdrlen > cs) {
			disk_why(why, "qcow2: bad header length %u",
			    h->hdrlen);
			goto bad;
		}
	} else
		h->hdrlen = QCOW2_HDR_V2;
	if (h->incompat & QCOW2_INCOMPAT_DATAFILE) {
		disk_why(why, "qcow2: images with an external data file are "
		    "not supported");
		goto bad;
	}
	if (h->incompat & QCOW2_INCOMPAT_EXTL2) {
		disk_why(why, "qcow2: extended L2 entries (subclusters) are "
		    "not supported");
		goto bad;
	}
	if (h->incompat & QCOW2_INCOMPAT_COMPRESS) {
		if (h->hdrlen <= QCOW2_H_COMPRESSION ||
		    b[QCOW2_H_COMPRESSION] != 0) {
			disk_why(why, "qcow2: compression type %u is not "
			    "supported (only deflate)", h->hdrlen >
			    QCOW2_H_COMPRESSION ? b[QCOW2_H_COMPRESSION] : 0);
			goto bad;
		}
	}
	if (h->incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
	    QCOW2_INCOMPAT_COMPRESS)) {
		disk_why(why, "qcow2: unknown incompatible features %#llx",
		    (unsigned long long)h->incompat);
		goto bad;
	}
	/* L1: aligned, inside the file, large enough for the disk or grown. */
	l2cover = cs * (cs / 8);
	need = (h->size + l2cover - 1) / l2cover;
	if (need > QCOW2_L1_MAX / 8 || h->l1_size > QCOW2_L1_MAX / 8) {
		disk_why(why, "qcow2: L1 table too large");
		goto bad;
	}
	if (h->l1_size > 0 && ((h->l1_off & (cs - 1)) != 0 ||
	    h->l1_off < cs || h->l1_off > filesize ||
	    (uint64_t)h->l1_size * 8 > filesize - h->l1_off)) {
		disk_why(why, "qcow2: L1 table outside the file");
		goto bad;
	}
	rtlen = (uint64_t)h->rt_clusters * cs;
	if (h->rt_clusters == 0 || rtlen > QCOW2_RT_MAX ||
	    (h->rt_off & (cs - 1)) != 0 || h->rt_off < cs ||
	    h->rt_off > filesize || rtlen > filesize - h->rt_off) {
		disk_why(why, "qcow2: refcount table outside the file");
		goto bad;
	}
	if (qcow2_overlaps(h->rt_off, rtlen, h->l1_off,
	    (uint64_t)h->l1_size * 8)) {
		disk_why(why, "qcow2: refcount table and L1 table overlap");
		goto bad;
	}
	/* Header extensions: the backing file's format. */
	h->backing_fmt = DISK_FMT_AUTO;
	for (off = h->hdrlen; off + 8 <= cs && off + 8 <= filesize;
	    off += 8 + ((len + 7) & ~7U)) {
		if (disk_pread_full(fd, ext, 8, off) == -1)
			goto io;
		type = qcow2_get32(ext);
		len = qcow2_get32(ext + 4);
		if (type == QCOW2_EXT_END)
			break;
		if (len > cs - off - 8) {
			disk_why(why, "qcow2: header extension past the "
			    "first cluster");
			goto bad;
		}
		if (type != QCOW2_EXT_BACKING_FMT)
			continue;
		memset(name, 0, sizeof(name));
		if (len >= sizeof(name) ||
		    disk_pread_full(fd, name, len, off + 8) == -1) {
			disk_why(why, "qcow2: bad backing format extension");
			goto bad;
		}
		if (strcmp((char *)name, "raw") == 0)
			h->backing_fmt = DISK_FMT_RAW;
		else if (strcmp((char *)name, "qcow2") == 0)
			h->backing_fmt = DISK_FMT_QCOW2;
		else {
			disk_why(why, "qcow2: backing format \"%.15s\" is not "
			    "supported (raw or qcow2)", (char *)name);
			goto bad;
		}
	}
	h->backing_off = qcow2_get64(b + QCOW2_H_BACKING_OFF);
	h->backing_len = qcow2_get32(b + QCOW2_H_BACKING_LEN);
	if (h->backing_off != 0 && h->backing_len != 0) {
		if (h->backing_len > QCOW2_BACKING_MAX ||
		    h->backing_off < h->hdrlen || h->backing_off > cs ||
		    h->backing_len > cs - h->backing_off) {
			disk_why(why, "qcow2: bad backing file name");
			goto bad;
		}
		if (disk_pread_full(fd, h->backing, h->backing_len,
		    h->backing_off) == -1)
			goto io;
		if (strlen(h->backing) != h->backing_len) {
			disk_why(why, "qcow2: backing file name holds a NUL");
			goto bad;
		}
	}
	return 0;
 io:
	disk_why(why, "qcow2: %s", strerror(errno));
	return -1;
 bad:
	errno = EINVAL;
	return -1;
}

int
qcow2_probe(int fd, uint64_t *size, char *backing, size_t len,
    int *backing_format, char *why)
{
	struct qcow2_hdr	h;
	off_t		end;

	if ((end = lseek(fd, 0, SEEK_END)) == -1) {
		disk_why(why, "%s", strerror(errno));
		return -1;
	}
	if (qcow2_hdr_read(fd, (uint64_t)end, &h, why) == -1)
		return -1;
	if (strlcpy(backing, h.backing, len) >= len) {
		disk_why(why, "qcow2: backing file name too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	*size = h.size;
	*backing_format = h.backing_fmt;
	return 0;
}

/* qcow2_inflate: the compressed cluster m, whole, into buf (cs bytes). */
static int
qcow2_inflate(struct qcow2 *q, const struct qcow2_map *m, uint8_t *buf)
{
	z_stream	 z;
	uint8_t		*in;
	uint64_t	 len = m->clen;
	int		 r;

	if (len > q->end - m->host)
		len = q->end - m->host;
	if ((in = malloc(len)) == NULL)
		return -1;
	if (disk_pread_full(q->fd, in, len, m->host) == -1) {
		free(in);
		return -1;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -12) != Z_OK) {
		free(in);
		errno = ENOMEM;
		return -1;
	}
	z.next_in = in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)q->cs;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	free(in);
	if ((r != Z_STREAM_END && r != Z_BUF_ERROR && r != Z_OK) ||
	    z.avail_out != 0)
		return qcow2_meta_corrupt("compressed cluster data", m->host);
	return 0;
}

/* qcow2_zero_iov: zeros into len bytes of iov from skip. */
static void
qcow2_zero_iov(const struct iovec *iov, int n, size_t skip, size_t len)
{
	size_t	m;

	while (len > 0) {
		m = len < sizeof(qcow2_zeros) ? len : sizeof(qcow2_zeros);
		disk_iov_from_buf(iov, n, skip, qcow2_zeros, m);
		skip += m;
		len -= m;
	}
}

/*
 * qcow2_below: what the layers below hold at [off, off + len) (in one
 * guest cluster), into iov from skip: the backing file up to its size,
 * zeros past it.
 */
static int
qcow2_below(struct qcow2 *q, const struct iovec *iov, int n, size_t skip,
    uint64_t off, uint64_t len)
{
	struct iovec	 part[64];
	uint64_t	 have = 0;
	int		 k;

	if (q->backing != NULL && off < q->backing->size) {
		have = q->backing->size - off;
		if (have > len)
			have = len;
		if ((k = disk_iov_slice(iov, n, skip, have, part, 64)) == -1) {
			uint8_t	*buf;

			if ((buf = malloc(have)) == NULL)
				return -1;
			if (disk_read(q->backing, &(struct iovec){ buf, have },
			    1, off) == -1) {
				free(buf);
				return -1;
			}
			disk_iov_from_buf(iov, n, skip, buf, have);
			free(buf);
		} else if (disk_read(q->backing, part, k, off) == -1)
			return -1;
	}
	qcow2_zero_iov(iov, n, skip + have, len - have);
	return 0;
}

/* qcow2_read_piece: [off, off + len) in one guest cluster, into iov. */
static int
qcow2_read_piece(struct qcow2 *q, const struct qcow2_map *m,
    const struct iovec *iov, int n, size_t skip, uint64_t off, uint64_t len)
{
	struct iovec	 part[64];
	uint8_t		*buf;
	uint64_t	 in = off & (q->cs - 1);
	int		 k;

	switch (m->kind) {
	case QCOW2_UNALLOC:
		return qcow2_below(q, iov, n, skip, off, len);
	case QCOW2_ZEROES:
		qcow2_zero_iov(iov, n, skip, len);
		return 0;
	case QCOW2_DATA:
		if ((k = disk_iov_slice(iov, n, skip, len, part, 64)) != -1)
			return disk_preadv_full(q->fd, part, k, m->host + in);
		if ((buf = malloc(len)) == NULL)
			return -1;
		if (disk_pread_full(q->fd, buf, len, m->host + in) == -1) {
			free(buf);
			return -1;
		}
		break;
	case QCOW2_PACKED:
		if ((buf = malloc(q->cs)) == NULL)
			return -1;
		if (qcow2_inflate(q, m, buf) == -1) {
			free(buf);
			return -1;
		}
		memmove(buf, buf + in, len);
		break;
	default:
		errno = EIO;
		return -1;
	}
	disk_iov_from_buf(iov, n, skip, buf, len);
	free(buf);
	return 0;
}

static int
qcow2_read(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	struct qcow2		*q = d->priv;
	struct qcow2_map	 m;
	uint64_t		 len = disk_iov_len(iov, n), done, piece;
	int			 rv;

	for (done = 0; done < len; done += piece) {
		piece = q->cs - ((off + done) & (q->cs - 1));
		if (piece > len - done)
			piece = len - done;
		pthread_mutex_lock(&q->lock);
		rv = qcow2_meta_lookup(q, off + done, &m);
		pthread_mutex_unlock(&q->lock);
		if (rv == -1 || qcow2_read_piece(q, &m, iov, n, (size_t)done,
		    off + done, piece) == -1)
			return -1;
	}
	return 0;
}

/*
 * qcow2_fill: the bytes [from, to) of guest cluster gc (offset of its
 * first byte) as they read before a write, into the new host cluster
 * at host: zeros, the layers below, or the old compressed data.
 */
static int
qcow2_fill(struct qcow2 *q, const struct qcow2_map *old, uint8_t *packed,
    uint64_t gc, uint64_t host, uint64_t from, uint64_t to)
{
	uint8_t		*buf;
	uint64_t	 step;
	int		 rv;

	if (from >= to)
		return 0;
	if (old->kind == QCOW2_PACKED)
		return disk_pwrite_full(q->fd, packed + from, to - from,
		    host + from);
	if (old->kind == QCOW2_ZEROES || q->backing == NULL ||
	    gc + from >= q->backing->size) {
		if (fallocate(q->fd, FALLOC_FL_ZERO_RANGE, (off_t)(host + from),
		    (off_t)(to - from)) == 0)
			return 0;
		for (; from < to; from += step) {
			step = to - from > sizeof(qcow2_zeros) ?
			    sizeof(qcow2_zeros) : to - from;
			if (disk_pwrite_full(q->fd, qcow2_zeros, step,
			    host + from) == -1)
				return -1;
		}
		return 0;
	}
	if ((buf = malloc(to - from)) == NULL)
		return -1;
	rv = qcow2_below(q, &(struct iovec){ buf, to - from }, 1, 0, gc + from,
	    to - from);
	if (rv == 0)
		rv = disk_pwrite_full(q->fd, buf, to - from, host + from);
	free(buf);
	return rv;
}

/*
 * qcow2_write_new: write [off, off + len) of one guest cluster that has no
 * cluster of its own to write in (unallocated, zero, compressed): a new
 * cluster gets the data and what the rest read before, then the L2
 * entry points to it, then the old clusters are released.
 */
static int
qcow2_write_new(struct qcow2 *q, const struct qcow2_map *old,
    const struct iovec *iov, int n, size_t skip, uint64_t off, uint64_t len)
{
	struct iovec	 part[64];
	uint8_t		*packed = NULL, *buf = NULL;
	uint64_t	 gc = off & ~(q->cs - 1), in = off - gc, host, c, l2off;
	uint64_t	 idx;
	int		 k, rv = -1, reuse;

	/* The L2 table first, so that the cluster it may take is counted. */
	if (qcow2_meta_l2(q, gc, 1, &l2off, &idx) == -1)
		return -1;
	reuse = old->kind == QCOW2_ZEROES && old->host != 0;
	if (reuse)
		host = old->host;
	else {
		if (qcow2_meta_alloc(q, 1, &c) == -1)
			return -1;
		host = c * q->cs;
	}
	if (old->kind == QCOW2_PACKED && (in != 0 || len != q->cs)) {
		if ((packed = malloc(q->cs)) == NULL ||
		    qcow2_inflate(q, old, packed) == -1)
			goto done;
	}
	if (qcow2_fill(q, old, packed, gc, host, 0, in) == -1 ||
	    qcow2_fill(q, old, packed, gc, host, in + len, q->cs) == -1)
		goto done;
	if ((k = disk_iov_slice(iov, n, skip, len, part, 64)) != -1) {
		if (disk_pwritev_full(q->fd, part, k, host + in) == -1)
			goto done;
	} else {
		if ((buf = malloc(len)) == NULL)
			goto done;
		disk_iov_to_buf(iov, n, skip, buf, len);
		if (disk_pwrite_full(q->fd, buf, len, host + in) == -1)
			goto done;
	}
	if (qcow2_meta_set(q, gc, host | QCOW2_COPIED) == -1)
		goto done;
	rv = reuse ? 0 : qcow2_meta_release(q, old);
 done:
	free(packed);
	free(buf);
	return rv;
}

static int
qcow2_write(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	struct qcow2	*q = d->priv;
	struct iovec	 part[64];
	struct qcow2_map	 m;
	uint64_t		 len = disk_iov_len(iov, n), done, piece;
	int			 k, rv;

	for (done = 0; done < len; done += piece) {
		piece = q->cs - ((off + done) & (q->cs - 1));
		if (piece > len - done)
			piece = len - done;
		pthread_mutex_lock(&q->lock);
		rv = qcow2_meta_lookup(q, off + done, &m);
		if (rv == 0 && m.kind != QCOW2_DATA)
			rv = qcow2_write_new(q, &m, iov, n, (size_t)done,
			    off + done, piece);
		pthread_mutex_unlock(&q->lock);
		if (rv == -1)
			return -1;
		if (m.kind != QCOW2_DATA)
			continue;
		m.host += (off + done) & (q->cs - 1);
		if ((k = disk_iov_slice(iov, n, (size_t)done, piece, part,
		    64)) != -1)
			rv = disk_pwritev_full(q->fd, part, k, m.host);
		else {
			uint8_t	*buf;

			if ((buf = malloc(piece)) == NULL)
				return -1;
			disk_iov_to_buf(iov, n, (size_t)done, buf, piece);
			rv = disk_pwrite_full(q->fd, buf, piece, m.host);
			free(buf);
		}
		if (rv == -1)
			return -1;
	}
	return 0;
}

static int
qcow2_flush(struct disk *d)
{
	return fdatasync(d->fd);
}

/* qcow2_zero_cluster: guest cluster gc reads as zeros, whole. */
static int
qcow2_zero_cluster(struct qcow2 *q, uint64_t gc, int flags)
{
	struct qcow2_map	m;
	uint64_t	e;

	if (qcow2_meta_lookup(q, gc, &m) == -1)
		return -1;
	if (q->h.version < 3) {
		/* Unallocated reads zeros only with nothing below. */
		if (q->backing != NULL && gc < q->backing->size)
			return flags & DISK_ZERO_MAY ? 0 : 1;
		if (m.kind == QCOW2_UNALLOC)
			return 0;
		if (qcow2_meta_set(q, gc, 0) == -1)
			return -1;
		return qcow2_meta_release(q, &m);
	}
	if (m.kind == QCOW2_ZEROES &&
	    (m.host == 0 || !(flags & DISK_ZERO_UNMAP)))
		return 0;
	if (m.kind == QCOW2_UNALLOC &&
	    (q->backing == NULL || gc >= q->backing->size))
		return 0;
	/* Without leave to unmap, a cluster of its own stays allocated. */
	if (m.kind == QCOW2_DATA && !(flags & DISK_ZERO_UNMAP))
		return qcow2_meta_set(q, gc, m.host | QCOW2_COPIED | QCOW2_ZERO);
	e = QCOW2_ZERO;
	if (qcow2_meta_set(q, gc, e) == -1)
		return -1;
	return qcow2_meta_release(q, &m);
}

/*
 * qcow2_zero: whole clusters are marked (zero flag, or unallocated with
 * nothing below) and their clusters released; parts of clusters are
 * written with zeros, or left alone by a discard.
 */
static int
qcow2_zero(struct disk *d, uint64_t off, uint64_t len, int flags)
{
	struct qcow2	*q = d->priv;
	struct iovec	 iov;
	uint64_t	 piece, gc;
	int		 rv;

	for (; len > 0; off += piece, len -= piece) {
		gc = off & ~(q->cs - 1);
		piece = gc + q->cs - off;
		if (piece > len)
			piece = len;
		rv = 1;
		if (piece == q->cs || (off == gc && gc + piece == d->size)) {
			pthread_mutex_lock(&q->lock);
			rv = qcow2_zero_cluster(q, gc, flags);
			pthread_mutex_unlock(&q->lock);
			if (rv == -1)
				return -1;
		} else if (flags & DISK_ZERO_MAY)
			rv = 0;
		while (rv == 1) {
			iov.iov_base = (void *)(uintptr_t)qcow2_zeros;
			iov.iov_len = piece < sizeof(qcow2_zeros) ? piece :
			    sizeof(qcow2_zeros);
			if (qcow2_write(d, &iov, 1, off) == -1)
				return -1;
			if (iov.iov_len == piece)
				break;
			off += iov.iov_len;
			len -= iov.iov_len;
			piece -= iov.iov_len;
		}
	}
	return 0;
}

static void
qcow2_free_all(struct qcow2 *q)
{
	qcow2_meta_cache_free(&q->l2c);
	qcow2_meta_cache_free(&q->rbc);
	free(q->l1);
	free(q->rt);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static int
qcow2_clamp(uint64_t v, int lo, int hi)
{
	return v < (uint64_t)lo ? lo : v > (uint64_t)hi ? hi : (int)v;
}

/* qcow2_mark: the header's feature words, dirty bit as asked. */
static int
qcow2_mark(struct qcow2 *q, int dirty)
{
	uint8_t	b[24];

	if (dirty)
		q->h.incompat |= QCOW2_INCOMPAT_DIRTY;
	else
		q->h.incompat &= ~QCOW2_INCOMPAT_DIRTY;
	qcow2_put64(b, q->h.incompat);
	qcow2_put64(b + 8, q->h.compat);
	qcow2_put64(b + 16, q->h.autoclear);
	if (fdatasync(q->fd) == -1 ||
	    disk_pwrite_full(q->fd, b, sizeof(b), QCOW2_H_INCOMPAT) == -1 ||
	    fdatasync(q->fd) == -1)
		return -1;
	return 0;
}

static int
qcow2_open(struct disk *d, char *why)
{
	struct qcow2	*q;
	uint64_t	 i;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		disk_why(why, "%s", strerror(errno));
		return -1;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->fd = d->fd;
	q->backing = d->backing;
	q->end = d->filesize;
	q->limit = d->limit;
	if (qcow2_hdr_read(d->fd, d->filesize, &q->h, why) == -1)
		goto fail;
	if (d->direct) {
		disk_why(why, "qcow2: O_DIRECT is supported on raw images "
		    "only");
		goto bad;
	}
	if ((q->h.backing[0] != '\0') != (d->backing != NULL)) {
		disk_why(why, "qcow2: %s", d->backing == NULL ?
		    "its backing file was not opened" :
		    "a backing file was given to an image without one");
		goto bad;
	}
	if (!d->readonly && (q->h.incompat & QCOW2_INCOMPAT_CORRUPT)) {
		disk_why(why, "qcow2: the image is marked corrupt (qemu-img "
		    "check -r all may repair it)");
		goto bad;
	}
	q->cs = 1ULL << q->h.cluster_bits;
	q->l2n = q->cs / 8;
	q->rbn = q->cs / 2;
	q->rtn = (uint64_t)q->h.rt_clusters * q->cs / 8;
	if ((q->l1 = calloc(q->h.l1_size + 1, 8)) == NULL ||
	    (q->rt = calloc(q->rtn, 8)) == NULL ||
	    qcow2_meta_cache_init(&q->l2c,
	    qcow2_clamp((1 << 20) / q->cs, 4, 64), q->cs) == -1 ||
	    qcow2_meta_cache_init(&q->rbc,
	    qcow2_clamp((256 << 10) / q->cs, 2, 16), q->cs) == -1) {
		disk_why(why, "qcow2: %s", strerror(errno));
		goto fail;
	}
	if (disk_pread_full(d->fd, q->l1, (size_t)q->h.l1_size * 8,
	    q->h.l1_off) == -1 ||
	    disk_pread_full(d->fd, q->rt, q->rtn * 8, q->h.rt_off) == -1) {
		disk_why(why, "qcow2: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < q->h.l1_size; i++)
		q->l1[i] = be64toh(q->l1[i]);
	for (i = 0; i < q->rtn; i++) {
		q->rt[i] = be64toh(q->rt[i]);
		if (q->rt[i] != 0 && ((q->rt[i] & QCOW2_RT_RESERVED) != 0 ||
		    !qcow2_meta_ok(q, q->rt[i]))) {
			disk_why(why, "qcow2: refcount block %llu outside the "
			    "file or over other metadata",
			    (unsigned long long)i);
			goto bad;
		}
	}
	d->size = q->h.size;
	d->blksize = DISK_SECTOR;
	d->priv = q;
	if (d->readonly)
		return 0;
	if (qcow2_walk(q, why) == -1)
		goto fail_priv;
	/* We keep no bitmaps: the autoclear features are cleared. */
	q->h.autoclear = 0;
	if (q->h.version >= 3) {
		if (qcow2_mark(q, 1) == -1) {
			disk_why(why, "qcow2: %s", strerror(errno));
			goto fail_priv;
		}
		q->dirty = 1;
	}
	return 0;
 bad:
	errno = EINVAL;
 fail:
	qcow2_free_all(q);
	return -1;
 fail_priv:
	d->priv = NULL;
	qcow2_free_all(q);
	if (errno == 0)
		errno = EIO;
	return -1;
}

static void
qcow2_close(struct disk *d)
{
	struct qcow2	*q = d->priv;

	if (q == NULL)
		return;
	if (q->dirty && qcow2_mark(q, 0) == -1)
		log_warn("qcow2: clearing the dirty bit");
	qcow2_free_all(q);
	d->priv = NULL;
}

/* qcow2_map: the range is in data clusters, one after the other. */
static int
qcow2_map(struct disk *d, uint64_t off, uint64_t len, int write,
    uint64_t *host)
{
	struct qcow2		*q = d->priv;
	struct qcow2_map	 m;
	uint64_t		 done, piece, first = 0;
	int			 rv = 1;

	(void)write;
	pthread_mutex_lock(&q->lock);
	for (done = 0; done < len && rv == 1; done += piece) {
		piece = q->cs - ((off + done) & (q->cs - 1));
		if (piece > len - done)
			piece = len - done;
		if (qcow2_meta_lookup(q, off + done, &m) == -1)
			rv = -1;
		else if (m.kind != QCOW2_DATA)
			rv = 0;
		else if (done == 0)
			first = m.host + (off & (q->cs - 1));
		else if (m.host != first + done)
			rv = 0;
	}
	pthread_mutex_unlock(&q->lock);
	*host = first;
	return rv;
}

const struct disk_ops disk_qcow2_ops = {
	.name = "qcow2",
	.open = qcow2_open,
	.read = qcow2_read,
	.write = qcow2_write,
	.flush = qcow2_flush,
	.zero = qcow2_zero,
	.close = qcow2_close,
	.map = qcow2_map,
};

/* Creating images. */

#define QCOW2_NEW_BITS		16

int
qcow2_create(int fd, uint64_t size, const char *backing, int backing_format,
    char *why)
{
	uint64_t	 cs = 1ULL << QCOW2_NEW_BITS, l1n, l1c, c, off;
	uint8_t		*b;
	const char	*fmt;
	size_t		 blen = backing != NULL ? strlen(backing) : 0, flen;
	int		 rv = -1;

	l1n = (size + cs * (cs / 8) - 1) / (cs * (cs / 8));
	if (size == 0 || size > QCOW2_MAX_SIZE || l1n * 8 > QCOW2_L1_MAX) {
		disk_why(why, "size %llu is out of range for qcow2",
		    (unsigned long long)size);
		errno = EINVAL;
		return -1;
	}
	if (blen > QCOW2_BACKING_MAX) {
		disk_why(why, "backing file name too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	l1c = (l1n * 8 + cs - 1) / cs;
	if ((b = calloc(3, cs)) == NULL) {
		disk_why(why, "%s", strerror(errno));
		return -1;
	}
	/* Cluster 0: the header, its extensions, the backing file's name. */
	qcow2_put32(b, QCOW2_MAGIC);
	qcow2_put32(b + 4, 3);
	qcow2_put32(b + QCOW2_H_CLUSTER_BITS, QCOW2_NEW_BITS);
	qcow2_put64(b + QCOW2_H_SIZE, size);
	qcow2_put32(b + QCOW2_H_L1_SIZE, (uint32_t)l1n);
	qcow2_put64(b + QCOW2_H_L1_OFF, 3 * cs);
	qcow2_put64(b + QCOW2_H_RT_OFF, cs);
	qcow2_put32(b + QCOW2_H_RT_CLUSTERS, 1);
	qcow2_put32(b + QCOW2_H_REFORDER, 4);
	qcow2_put32(b + QCOW2_H_HDRLEN, QCOW2_HDR_V3);
	off = QCOW2_HDR_V3;
	if (backing != NULL) {
		fmt = backing_format == DISK_FMT_QCOW2 ? "qcow2" : "raw";
		flen = strlen(fmt);
		qcow2_put32(b + off, QCOW2_EXT_BACKING_FMT);
		qcow2_put32(b + off + 4, (uint32_t)flen);
		memcpy(b + off + 8, fmt, flen);
		off += 8 + ((flen + 7) & ~7UL);
	}
	off += 8;	/* the end extension, zeros */
	if (backing != NULL) {
		memcpy(b + off, backing, blen);
		qcow2_put64(b + QCOW2_H_BACKING_OFF, off);
		qcow2_put32(b + QCOW2_H_BACKING_LEN, (uint32_t)blen);
	}
	/* Cluster 1: the refcount table; cluster 2: its one block. */
	qcow2_put64(b + cs, 2 * cs);
	for (c = 0; c < 3 + l1c; c++)
		qcow2_put16(b + 2 * cs + c * 2, 1);
	if (disk_pwrite_full(fd, b, 3 * cs, 0) == -1 ||
	    ftruncate(fd, (off_t)((3 + l1c) * cs)) == -1 || fsync(fd) == -1) {
		disk_why(why, "%s", strerror(errno));
		goto done;
	}
	rv = 0;
 done:
	free(b);
	return rv;
}

