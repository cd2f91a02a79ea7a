/* SPDX-License-Identifier: ISC */
/*
 * qcow2 images, versions 2 and 3, read and write (the format as QEMU's
 * docs/interop/qcow2.txt describes it). The file is untrusted: every
 * offset and size read from it is checked against the file and the
 * fixed metadata before it is used.
 *
 * Crash consistency: metadata is written through, in an order that
 * leaves a consistent image at every instant a process could be killed:
 * a cluster's refcount is written before anything points to it, and a
 * pointer is removed before the refcount drops. What a kill can leave is
 * a leaked cluster, which the walk at every read-write open repairs.
 * Version 3 images carry the dirty bit while open for writing, so that
 * a power loss between the guest's flushes (which may reorder the page
 * cache's writes) also ends in a repair on the next open.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "disk/disk.h"
#include "log.h"

#define Q2_MAGIC		0x514649fbU
#define Q2_HDR_V2		72
#define Q2_HDR_V3		104
#define Q2_MIN_BITS		9
#define Q2_MAX_BITS		21
#define Q2_L1_MAX		(32U << 20)	/* bytes of L1 table */
#define Q2_RT_MAX		(8U << 20)	/* bytes of refcount table */
#define Q2_BACKING_MAX		1023
#define Q2_MAX_SIZE		(1ULL << 56)

/* Header field offsets. */
#define Q2_H_BACKING_OFF	8
#define Q2_H_BACKING_LEN	16
#define Q2_H_CLUSTER_BITS	20
#define Q2_H_SIZE		24
#define Q2_H_CRYPT		32
#define Q2_H_L1_SIZE		36
#define Q2_H_L1_OFF		40
#define Q2_H_RT_OFF		48
#define Q2_H_RT_CLUSTERS	56
#define Q2_H_NSNAP		60
#define Q2_H_SNAP_OFF		64
#define Q2_H_INCOMPAT		72
#define Q2_H_COMPAT		80
#define Q2_H_AUTOCLEAR		88
#define Q2_H_REFORDER		96
#define Q2_H_HDRLEN		100
#define Q2_H_COMPRESSION	104

#define Q2_INCOMPAT_DIRTY	(1ULL << 0)
#define Q2_INCOMPAT_CORRUPT	(1ULL << 1)
#define Q2_INCOMPAT_DATAFILE	(1ULL << 2)
#define Q2_INCOMPAT_COMPRESS	(1ULL << 3)
#define Q2_INCOMPAT_EXTL2	(1ULL << 4)

#define Q2_EXT_END		0x00000000U
#define Q2_EXT_BACKING_FMT	0xe2792acaU

#define Q2_COPIED		(1ULL << 63)
#define Q2_COMPRESSED		(1ULL << 62)
#define Q2_ZERO			1ULL
#define Q2_OFF_MASK		0x00fffffffffffe00ULL
#define Q2_L1_RESERVED		0x7f000000000001feULL
#define Q2_L2_RESERVED		0x3f000000000001feULL
#define Q2_RT_RESERVED		0x00000000000001ffULL

/* What a guest cluster maps to. */
enum q2_kind { Q2_UNALLOC, Q2_ZEROES, Q2_DATA, Q2_PACKED };

struct q2_map {
	enum q2_kind	kind;
	uint64_t	host;	/* DATA, PACKED; ZEROES: preallocated or 0 */
	uint64_t	clen;	/* PACKED: compressed bytes */
};

/* A checked header. */
struct q2_hdr {
	uint32_t	version;
	uint32_t	cluster_bits;
	uint64_t	size;
	uint32_t	l1_size;
	uint64_t	l1_off;
	uint64_t	rt_off;
	uint32_t	rt_clusters;
	uint64_t	incompat, compat, autoclear;
	uint32_t	hdrlen;
	uint64_t	backing_off;
	uint32_t	backing_len;
	char		backing[Q2_BACKING_MAX + 1];
	int		backing_fmt;
};

/* Cached metadata clusters (L2 tables, refcount blocks), written through. */
struct q2_slot {
	uint64_t	 off;		/* 0: empty */
	uint64_t	 stamp;
	uint8_t		*buf;
};

struct q2_cache {
	struct q2_slot	*slot;
	int		 n;
	uint64_t	 clock;
};

/* The open walk's picture of what uses each cluster. */
struct q2_walk {
	uint16_t	*count;
	uint8_t		*whole;		/* used by one thing only */
	uint64_t	 n;
};

struct qcow2 {
	int		 fd;
	struct disk	*backing;
	uint64_t	 limit;		/* bytes: no cluster at or past */
	pthread_mutex_t	 lock;		/* everything below */
	struct q2_hdr	 h;
	uint64_t	 cs;		/* cluster size */
	uint64_t	 l2n;		/* entries per L2 table */
	uint64_t	 rbn;		/* entries per refcount block */
	uint64_t	*l1;		/* host order */
	uint64_t	*rt;		/* host order */
	uint64_t	 rtn;		/* refcount table entries */
	struct q2_cache	 l2c, rbc;
	uint64_t	 end;		/* bytes: the file's end, as we know it */
	uint64_t	 hint;		/* lowest cluster that may be free */
	int		 dirty;		/* we set the dirty bit */
	struct q2_walk	*walk;		/* during the open walk */
};

static const uint8_t	q2_zeros[65536] __attribute__((aligned(4096)));

static uint64_t
q2_get64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static uint32_t
q2_get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static void
q2_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static void
q2_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void
q2_put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

/* q2_overlaps: [a, a + alen) and [b, b + blen) share a byte. */
static int
q2_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen != 0 && blen != 0 && a < b + blen && b < a + alen;
}

/*
 * q2_hdr_read: read and check the header of a file of filesize bytes.
 * Checks what every user of the image needs; q2_open checks the rest
 * for writing.
 */
static int
q2_hdr_read(int fd, uint64_t filesize, struct q2_hdr *h, char *why)
{
	uint8_t		 b[Q2_HDR_V3 + 8];
	uint8_t		 ext[8], name[16];
	uint64_t	 cs, off, l2cover, need, rtlen;
	uint32_t	 type, len;

	memset(h, 0, sizeof(*h));
	memset(b, 0, sizeof(b));
	if (filesize < Q2_HDR_V2 ||
	    disk_pread_full(fd, b, sizeof(b), 0) == -1) {
		disk_why(why, "qcow2: header truncated or unreadable");
		goto bad;
	}
	if (q2_get32(b) != Q2_MAGIC) {
		disk_why(why, "not a qcow2 image (no qcow2 magic)");
		goto bad;
	}
	h->version = q2_get32(b + 4);
	if (h->version != 2 && h->version != 3) {
		disk_why(why, "qcow2 version %u is not supported (2 or 3)",
		    h->version);
		goto bad;
	}
	h->cluster_bits = q2_get32(b + Q2_H_CLUSTER_BITS);
	if (h->cluster_bits < Q2_MIN_BITS || h->cluster_bits > Q2_MAX_BITS) {
		disk_why(why, "qcow2: cluster size 2^%u is not supported "
		    "(512 bytes to 2 MiB)", h->cluster_bits);
		goto bad;
	}
	cs = 1ULL << h->cluster_bits;
	h->size = q2_get64(b + Q2_H_SIZE);
	if (h->size > Q2_MAX_SIZE) {
		disk_why(why, "qcow2: disk size %llu is too large",
		    (unsigned long long)h->size);
		goto bad;
	}
	if (q2_get32(b + Q2_H_CRYPT) != 0) {
		disk_why(why, "qcow2: encrypted images are not supported");
		goto bad;
	}
	if (q2_get32(b + Q2_H_NSNAP) != 0) {
		disk_why(why, "qcow2: images with internal snapshots are not "
		    "supported (qemu-img snapshot -d removes them)");
		goto bad;
	}
	h->l1_size = q2_get32(b + Q2_H_L1_SIZE);
	h->l1_off = q2_get64(b + Q2_H_L1_OFF);
	h->rt_off = q2_get64(b + Q2_H_RT_OFF);
	h->rt_clusters = q2_get32(b + Q2_H_RT_CLUSTERS);
	if (h->version == 3) {
		h->incompat = q2_get64(b + Q2_H_INCOMPAT);
		h->compat = q2_get64(b + Q2_H_COMPAT);
		h->autoclear = q2_get64(b + Q2_H_AUTOCLEAR);
		if (q2_get32(b + Q2_H_REFORDER) != 4) {
			disk_why(why, "qcow2: refcount order %u is not "
			    "supported (only 16-bit refcounts, order 4)",
			    q2_get32(b + Q2_H_REFORDER));
			goto bad;
		}
		h->hdrlen = q2_get32(b + Q2_H_HDRLEN);
		if (h->hdrlen < Q2_HDR_V3 || h->hdrlen % 8 != 0 ||
		    h->hdrlen > cs) {
			disk_why(why, "qcow2: bad header length %u",
			    h->hdrlen);
			goto bad;
		}
	} else
		h->hdrlen = Q2_HDR_V2;
	if (h->incompat & Q2_INCOMPAT_DATAFILE) {
		disk_why(why, "qcow2: images with an external data file are "
		    "not supported");
		goto bad;
	}
	if (h->incompat & Q2_INCOMPAT_EXTL2) {
		disk_why(why, "qcow2: extended L2 entries (subclusters) are "
		    "not supported");
		goto bad;
	}
	if (h->incompat & Q2_INCOMPAT_COMPRESS) {
		if (h->hdrlen <= Q2_H_COMPRESSION ||
		    b[Q2_H_COMPRESSION] != 0) {
			disk_why(why, "qcow2: compression type %u is not "
			    "supported (only deflate)", h->hdrlen >
			    Q2_H_COMPRESSION ? b[Q2_H_COMPRESSION] : 0);
			goto bad;
		}
	}
	if (h->incompat & ~(Q2_INCOMPAT_DIRTY | Q2_INCOMPAT_CORRUPT |
	    Q2_INCOMPAT_COMPRESS)) {
		disk_why(why, "qcow2: unknown incompatible features %#llx",
		    (unsigned long long)h->incompat);
		goto bad;
	}
	/* L1: aligned, inside the file, large enough for the disk or grown. */
	l2cover = cs * (cs / 8);
	need = (h->size + l2cover - 1) / l2cover;
	if (need > Q2_L1_MAX / 8 || h->l1_size > Q2_L1_MAX / 8) {
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
	if (h->rt_clusters == 0 || rtlen > Q2_RT_MAX ||
	    (h->rt_off & (cs - 1)) != 0 || h->rt_off < cs ||
	    h->rt_off > filesize || rtlen > filesize - h->rt_off) {
		disk_why(why, "qcow2: refcount table outside the file");
		goto bad;
	}
	if (q2_overlaps(h->rt_off, rtlen, h->l1_off,
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
		type = q2_get32(ext);
		len = q2_get32(ext + 4);
		if (type == Q2_EXT_END)
			break;
		if (len > cs - off - 8) {
			disk_why(why, "qcow2: header extension past the "
			    "first cluster");
			goto bad;
		}
		if (type != Q2_EXT_BACKING_FMT)
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
	h->backing_off = q2_get64(b + Q2_H_BACKING_OFF);
	h->backing_len = q2_get32(b + Q2_H_BACKING_LEN);
	if (h->backing_off != 0 && h->backing_len != 0) {
		if (h->backing_len > Q2_BACKING_MAX ||
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
	struct q2_hdr	h;
	off_t		end;

	if ((end = lseek(fd, 0, SEEK_END)) == -1) {
		disk_why(why, "%s", strerror(errno));
		return -1;
	}
	if (q2_hdr_read(fd, (uint64_t)end, &h, why) == -1)
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

/* q2_fixed: [off, off + len) touches the header, L1 or refcount table. */
static int
q2_fixed(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	return off < q->cs ||
	    q2_overlaps(off, len, q->h.l1_off, (uint64_t)q->h.l1_size * 8) ||
	    q2_overlaps(off, len, q->h.rt_off, q->rtn * 8);
}

/* q2_meta_ok: a metadata cluster's offset, as read from the file. */
static int
q2_meta_ok(const struct qcow2 *q, uint64_t off)
{
	return (off & (q->cs - 1)) == 0 && off < q->end &&
	    q->cs <= q->end - off && !q2_fixed(q, off, q->cs);
}

/*
 * q2_cache_get: the cached copy of metadata cluster off, read if need
 * be (off already checked by q2_meta_ok). NULL with errno.
 */
static uint8_t *
q2_cache_get(struct qcow2 *q, struct q2_cache *c, uint64_t off)
{
	struct q2_slot	*s, *victim = &c->slot[0];
	int		 i;

	for (i = 0; i < c->n; i++) {
		s = &c->slot[i];
		if (s->off == off) {
			s->stamp = ++c->clock;
			return s->buf;
		}
		if (s->stamp < victim->stamp)
			victim = s;
	}
	victim->off = 0;
	if (disk_pread_full(q->fd, victim->buf, q->cs, off) == -1)
		return NULL;
	victim->off = off;
	victim->stamp = ++c->clock;
	return victim->buf;
}

/* q2_cache_drop: forget metadata cluster off (freed, or rewritten). */
static void
q2_cache_drop(struct q2_cache *c, uint64_t off)
{
	int	i;

	for (i = 0; i < c->n; i++)
		if (c->slot[i].off == off)
			c->slot[i].off = 0;
}

static int
q2_cache_init(struct q2_cache *c, int n, uint64_t cs)
{
	int	i;

	if ((c->slot = calloc((size_t)n, sizeof(*c->slot))) == NULL)
		return -1;
	c->n = n;
	for (i = 0; i < n; i++)
		if ((c->slot[i].buf = malloc(cs)) == NULL)
			return -1;
	return 0;
}

static void
q2_cache_free(struct q2_cache *c)
{
	int	i;

	for (i = 0; i < c->n; i++)
		free(c->slot[i].buf);
	free(c->slot);
	c->slot = NULL;
	c->n = 0;
}

/* q2_corrupt: metadata that cannot be right; the request fails. */
static int
q2_corrupt(const char *what, uint64_t v)
{
	log_warnx("qcow2: corrupt image: %s (%#llx)", what,
	    (unsigned long long)v);
	errno = EIO;
	return -1;
}

/* Refcounts. */

static int
q2_refcount(struct qcow2 *q, uint64_t c, uint16_t *val)
{
	uint64_t	 i = c / q->rbn, off;
	uint8_t		*b;

	*val = 0;
	if (i >= q->rtn || (off = q->rt[i]) == 0)
		return 0;
	if ((b = q2_cache_get(q, &q->rbc, off)) == NULL)
		return -1;
	memcpy(val, b + (c % q->rbn) * 2, 2);
	*val = be16toh(*val);
	return 0;
}

/* q2_is_free: cluster c may be given out. -1 on error. */
static int
q2_is_free(struct qcow2 *q, uint64_t c)
{
	uint16_t	v;

	if (q2_refcount(q, c, &v) == -1)
		return -1;
	if (v != 0 || q2_fixed(q, c * q->cs, q->cs))
		return 0;
	if (q->walk != NULL && c < q->walk->n && q->walk->count[c] != 0)
		return 0;
	return 1;
}

/* q2_walk_note: a cluster the walk did not see is used from now on. */
static void
q2_walk_note(struct qcow2 *q, uint64_t c)
{
	if (q->walk != NULL && c < q->walk->n) {
		q->walk->count[c]++;
		q->walk->whole[c] = 1;
	}
}

static int	q2_refcount_set(struct qcow2 *, uint64_t c, uint16_t val);

/* q2_write_rt: refcount table entry i, to the file and in memory. */
static int
q2_write_rt(struct qcow2 *q, uint64_t i, uint64_t off)
{
	uint8_t	e[8];

	q2_put64(e, off);
	if (disk_pwrite_full(q->fd, e, 8, q->h.rt_off + i * 8) == -1)
		return -1;
	q->rt[i] = off;
	return 0;
}

/*
 * q2_rt_grow: a refcount table of at least want entries. The new table
 * and the refcount blocks that count it go after the end of the file,
 * counted by themselves or by blocks that exist; the header switches to
 * it in one write, then the old table is freed.
 */
static int
q2_rt_grow(struct qcow2 *q, uint64_t want)
{
	uint64_t	 per = q->cs / 8, n, nc, nb, t0, j, c, first, last;
	uint64_t	 old_off = q->h.rt_off, old_n = q->rtn, *rt = NULL;
	uint8_t		*blk = NULL, *tab = NULL, hdr[12];
	uint32_t	 old_clusters = q->h.rt_clusters;
	int		 rv = -1;

	n = want > old_n * 2 ? want : old_n * 2;
	t0 = (q->end + q->cs - 1) / q->cs;
	for (;;) {
		n = (n + per - 1) / per * per;
		if (n * 8 > Q2_RT_MAX) {
			errno = ENOSPC;
			return -1;
		}
		nc = n / per;
		/* Blocks for the ranges [t0, t0 + nc + nb) reaches. */
		for (nb = 0;;) {
			first = t0 / q->rbn;
			last = (t0 + nc + nb - 1) / q->rbn;
			for (c = 0, j = first; j <= last; j++)
				if (j >= old_n || q->rt[j] == 0)
					c++;
			if (c == nb)
				break;
			nb = c;
		}
		if (last < n)
			break;
		n = last + 1;
	}
	if ((t0 + nc + nb) * q->cs > q->limit) {
		errno = ENOSPC;
		return -1;
	}
	for (c = t0; c < t0 + nc + nb; c++)
		if (q2_is_free(q, c) != 1) {
			/* Leaked refcounts past the end: not ours to reuse. */
			errno = EIO;
			return q2_corrupt("refcounts past the end of file",
			    c * q->cs);
		}
	if ((rt = calloc(n, 8)) == NULL || (tab = calloc(nc, q->cs)) == NULL ||
	    (blk = malloc(q->cs)) == NULL)
		goto done;
	memcpy(rt, q->rt, old_n * 8);
	/* The new blocks, each counting what of the new area it covers. */
	for (c = t0 + nc, j = first; j <= last; j++) {
		if (j < old_n && q->rt[j] != 0)
			continue;
		rt[j] = c * q->cs;
		c++;
	}
	for (j = first; j <= last; j++) {
		if (j < old_n && q->rt[j] != 0)
			continue;
		memset(blk, 0, q->cs);
		for (c = t0; c < t0 + nc + nb; c++)
			if (c / q->rbn == j)
				q2_put16(blk + (c % q->rbn) * 2, 1);
		if (disk_pwrite_full(q->fd, blk, q->cs, rt[j]) == -1)
			goto done;
	}
	/* What existing blocks count of the new area. */
	for (c = t0; c < t0 + nc + nb; c++) {
		j = c / q->rbn;
		if (j < old_n && q->rt[j] != 0 && q2_refcount_set(q, c, 1) == -1)
			goto done;
		q2_walk_note(q, c);
	}
	for (j = 0; j < n; j++)
		q2_put64(tab + j * 8, rt[j]);
	if (disk_pwrite_full(q->fd, tab, nc * q->cs, t0 * q->cs) == -1)
		goto done;
	q2_put64(hdr, t0 * q->cs);
	q2_put32(hdr + 8, (uint32_t)nc);
	if (disk_pwrite_full(q->fd, hdr, 12, Q2_H_RT_OFF) == -1)
		goto done;
	free(q->rt);
	q->rt = rt;
	rt = NULL;
	q->rtn = n;
	q->h.rt_off = t0 * q->cs;
	q->h.rt_clusters = (uint32_t)nc;
	q->end = (t0 + nc + nb) * q->cs;
	for (c = old_off / q->cs; c < old_off / q->cs + old_clusters; c++)
		if (q2_refcount_set(q, c, 0) == -1)
			goto done;
	rv = 0;
 done:
	free(rt);
	free(tab);
	free(blk);
	return rv;
}

/*
 * q2_rb_alloc: the refcount block for range i, made: it goes in the
 * first free cluster of its own range and counts itself.
 */
static int
q2_rb_alloc(struct qcow2 *q, uint64_t i)
{
	uint64_t	 c, start;
	uint8_t		*b;
	int		 f;

	if (i >= q->rtn && q2_rt_grow(q, i + 1) == -1)
		return -1;
	if (q->rt[i] != 0)
		return 0;
	start = i * q->rbn;
	for (c = start; c < start + q->rbn; c++) {
		if ((f = q2_is_free(q, c)) == -1)
			return -1;
		if (f)
			break;
	}
	if (c == start + q->rbn || (c + 1) * q->cs > q->limit) {
		errno = ENOSPC;
		return -1;
	}
	if ((b = calloc(1, q->cs)) == NULL)
		return -1;
	q2_put16(b + (c - start) * 2, 1);
	if (disk_pwrite_full(q->fd, b, q->cs, c * q->cs) == -1) {
		free(b);
		return -1;
	}
	free(b);
	q2_walk_note(q, c);
	if ((c + 1) * q->cs > q->end)
		q->end = (c + 1) * q->cs;
	return q2_write_rt(q, i, c * q->cs);
}

static int
q2_refcount_set(struct qcow2 *q, uint64_t c, uint16_t val)
{
	uint64_t	 i = c / q->rbn, off;
	uint8_t		*b, e[2];

	if (i >= q->rtn || q->rt[i] == 0) {
		if (val == 0)
			return 0;
		if (q2_rb_alloc(q, i) == -1)
			return -1;
	}
	off = q->rt[i] + (c % q->rbn) * 2;
	q2_put16(e, val);
	if (disk_pwrite_full(q->fd, e, 2, off) == -1)
		return -1;
	if ((b = q2_cache_get(q, &q->rbc, q->rt[i])) != NULL)
		memcpy(b + (c % q->rbn) * 2, e, 2);
	else
		q2_cache_drop(&q->rbc, q->rt[i]);
	if (val == 0 && c < q->hint)
		q->hint = c;
	return 0;
}

/*
 * q2_alloc: count contiguous free clusters, counted; the first. Their
 * refcount blocks are made first: one may land where the scan looked.
 */
static int
q2_alloc(struct qcow2 *q, uint64_t count, uint64_t *first)
{
	uint64_t	c = q->hint, run, k;
	int		f = 1;

	for (;;) {
		for (run = 0; run < count; c++) {
			if ((c + 1) * q->cs > q->limit) {
				errno = ENOSPC;
				return -1;
			}
			if ((f = q2_is_free(q, c)) == -1)
				return -1;
			run = f ? run + 1 : 0;
		}
		*first = c - count;
		for (k = *first; k < c; k++)
			if (k / q->rbn >= q->rtn || q->rt[k / q->rbn] == 0)
				if (q2_rb_alloc(q, k / q->rbn) == -1)
					return -1;
		for (k = *first; k < c; k++)
			if ((f = q2_is_free(q, k)) != 1)
				break;
		if (f == -1)
			return -1;
		if (k == c)
			break;
		c = k + 1;
	}
	for (k = *first; k < c; k++) {
		if (q2_refcount_set(q, k, 1) == -1)
			return -1;
		q2_walk_note(q, k);
	}
	if (count == 1 || *first == q->hint)
		q->hint = c;
	if (c * q->cs > q->end)
		q->end = c * q->cs;
	return 0;
}

/*
 * q2_free: drop one reference to each cluster of [off, off + len),
 * punching the freed ones out of the file.
 */
static int
q2_free(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t	c, last = (off + len - 1) / q->cs;
	uint16_t	v;

	for (c = off / q->cs; c <= last; c++) {
		if (q2_refcount(q, c, &v) == -1)
			return -1;
		if (v == 0)
			return q2_corrupt("freeing a free cluster", c * q->cs);
		if (q2_refcount_set(q, c, v - 1) == -1)
			return -1;
		if (v == 1)
			(void)fallocate(q->fd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, (off_t)(c * q->cs),
			    (off_t)q->cs);
	}
	return 0;
}

/* L1 and L2. */

/* q2_l1_grow: an L1 table of at least want entries, moved as one. */
static int
q2_l1_grow(struct qcow2 *q, uint64_t want)
{
	uint64_t	 per = q->cs / 8, need, nc, first, old_off, old_len;
	uint64_t	*l1, i;
	uint8_t		*tab, hdr[12];

	need = (q->h.size + q->cs * per - 1) / (q->cs * per);
	if (want > need || want > Q2_L1_MAX / 8) {
		errno = EINVAL;
		return -1;
	}
	want = need;
	nc = (want * 8 + q->cs - 1) / q->cs;
	if ((l1 = calloc(nc * per, 8)) == NULL)
		return -1;
	if ((tab = calloc(nc, q->cs)) == NULL) {
		free(l1);
		return -1;
	}
	memcpy(l1, q->l1, (size_t)q->h.l1_size * 8);
	for (i = 0; i < want; i++)
		q2_put64(tab + i * 8, l1[i]);
	if (q2_alloc(q, nc, &first) == -1 ||
	    disk_pwrite_full(q->fd, tab, nc * q->cs, first * q->cs) == -1)
		goto fail;
	q2_put32(hdr, (uint32_t)want);
	q2_put64(hdr + 4, first * q->cs);
	if (disk_pwrite_full(q->fd, hdr, 12, Q2_H_L1_SIZE) == -1)
		goto fail;
	old_off = q->h.l1_off;
	old_len = (uint64_t)q->h.l1_size * 8;
	free(q->l1);
	free(tab);
	q->l1 = l1;
	q->h.l1_size = (uint32_t)want;
	q->h.l1_off = first * q->cs;
	if (old_len != 0)
		return q2_free(q, old_off, old_len);
	return 0;
 fail:
	free(l1);
	free(tab);
	return -1;
}

/*
 * q2_l2: the L2 table for guest offset off and the entry's index; with
 * make, one is made (zeroed, then linked) if there is none. *tab NULL:
 * none.
 */
static int
q2_l2(struct qcow2 *q, uint64_t off, int make, uint64_t *l2off,
    uint64_t *idx)
{
	uint64_t	 l1i = off / q->cs / q->l2n, e, c;
	uint8_t		 b[8];

	*idx = (off / q->cs) % q->l2n;
	*l2off = 0;
	if (l1i >= q->h.l1_size) {
		if (!make)
			return 0;
		if (q2_l1_grow(q, l1i + 1) == -1)
			return -1;
	}
	e = q->l1[l1i];
	if (e & Q2_L1_RESERVED)
		return q2_corrupt("L1 entry", e);
	if ((e & Q2_OFF_MASK) != 0) {
		if (!q2_meta_ok(q, e & Q2_OFF_MASK))
			return q2_corrupt("L2 table offset", e);
		*l2off = e & Q2_OFF_MASK;
		return 0;
	}
	if (!make)
		return 0;
	if (q2_alloc(q, 1, &c) == -1)
		return -1;
	if (disk_pwrite_full(q->fd, q2_zeros, q->cs <= sizeof(q2_zeros) ?
	    q->cs : 0, c * q->cs) == -1)
		return -1;
	if (q->cs > sizeof(q2_zeros) && fallocate(q->fd, FALLOC_FL_ZERO_RANGE,
	    (off_t)(c * q->cs), (off_t)q->cs) == -1) {
		uint64_t	o;

		for (o = 0; o < q->cs; o += sizeof(q2_zeros))
			if (disk_pwrite_full(q->fd, q2_zeros,
			    sizeof(q2_zeros), c * q->cs + o) == -1)
				return -1;
	}
	q2_cache_drop(&q->l2c, c * q->cs);
	q2_put64(b, c * q->cs | Q2_COPIED);
	if (disk_pwrite_full(q->fd, b, 8, q->h.l1_off + l1i * 8) == -1)
		return -1;
	q->l1[l1i] = c * q->cs | Q2_COPIED;
	*l2off = c * q->cs;
	return 0;
}

/* q2_decode: what L2 entry e says about a guest cluster. */
static int
q2_decode(struct qcow2 *q, uint64_t e, struct q2_map *m)
{
	uint64_t	x, sect;

	memset(m, 0, sizeof(*m));
	if (e & Q2_COMPRESSED) {
		x = 62 - (q->h.cluster_bits - 8);
		m->host = e & ((1ULL << x) - 1);
		sect = (e & ~Q2_COPIED & ~Q2_COMPRESSED) >> x;
		m->clen = (sect + 1) * 512 - (m->host & 511);
		if (e & Q2_COPIED || m->host < q->cs || m->host >= q->end ||
		    q2_fixed(q, m->host, m->clen))
			return q2_corrupt("compressed cluster", e);
		m->kind = Q2_PACKED;
		return 0;
	}
	if (e & Q2_L2_RESERVED)
		return q2_corrupt("L2 entry", e);
	m->host = e & Q2_OFF_MASK;
	if (m->host != 0 && ((m->host & (q->cs - 1)) != 0 ||
	    m->host >= q->end || q2_fixed(q, m->host, q->cs)))
		return q2_corrupt("data cluster offset", e);
	if (e & Q2_ZERO) {
		if (q->h.version < 3)
			return q2_corrupt("zero flag in a version 2 image", e);
		m->kind = Q2_ZEROES;
	} else
		m->kind = m->host != 0 ? Q2_DATA : Q2_UNALLOC;
	return 0;
}

/* q2_lookup: the mapping of the guest cluster holding off. */
static int
q2_lookup(struct qcow2 *q, uint64_t off, struct q2_map *m)
{
	uint64_t	 l2off, idx;
	uint8_t		*t;

	memset(m, 0, sizeof(*m));
	if (q2_l2(q, off, 0, &l2off, &idx) == -1)
		return -1;
	if (l2off == 0)
		return 0;
	if ((t = q2_cache_get(q, &q->l2c, l2off)) == NULL)
		return -1;
	return q2_decode(q, q2_get64(t + idx * 8), m);
}

/* q2_set: L2 entry for guest offset off becomes e (the table exists). */
static int
q2_set(struct qcow2 *q, uint64_t off, uint64_t e)
{
	uint64_t	 l2off, idx;
	uint8_t		*t, b[8];

	if (q2_l2(q, off, 1, &l2off, &idx) == -1)
		return -1;
	q2_put64(b, e);
	if (disk_pwrite_full(q->fd, b, 8, l2off + idx * 8) == -1)
		return -1;
	if ((t = q2_cache_get(q, &q->l2c, l2off)) != NULL)
		memcpy(t + idx * 8, b, 8);
	else
		q2_cache_drop(&q->l2c, l2off);
	return 0;
}

/* q2_release: the host clusters a mapping held lose its reference. */
static int
q2_release(struct qcow2 *q, const struct q2_map *m)
{
	if (m->kind == Q2_PACKED)
		return q2_free(q, m->host, m->clen);
	if (m->host != 0)
		return q2_free(q, m->host, q->cs);
	return 0;
}

/* Data. */

/* q2_inflate: the compressed cluster m, whole, into buf (cs bytes). */
static int
q2_inflate(struct qcow2 *q, const struct q2_map *m, uint8_t *buf)
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
		return q2_corrupt("compressed cluster data", m->host);
	return 0;
}

/* q2_zero_iov: zeros into len bytes of iov from skip. */
static void
q2_zero_iov(const struct iovec *iov, int n, size_t skip, size_t len)
{
	size_t	m;

	while (len > 0) {
		m = len < sizeof(q2_zeros) ? len : sizeof(q2_zeros);
		disk_iov_from_buf(iov, n, skip, q2_zeros, m);
		skip += m;
		len -= m;
	}
}

/*
 * q2_below: what the layers below hold at [off, off + len) (in one
 * guest cluster), into iov from skip: the backing file up to its size,
 * zeros past it.
 */
static int
q2_below(struct qcow2 *q, const struct iovec *iov, int n, size_t skip,
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
	q2_zero_iov(iov, n, skip + have, len - have);
	return 0;
}

/* q2_read_piece: [off, off + len) in one guest cluster, into iov. */
static int
q2_read_piece(struct qcow2 *q, const struct q2_map *m,
    const struct iovec *iov, int n, size_t skip, uint64_t off, uint64_t len)
{
	struct iovec	 part[64];
	uint8_t		*buf;
	uint64_t	 in = off & (q->cs - 1);
	int		 k;

	switch (m->kind) {
	case Q2_UNALLOC:
		return q2_below(q, iov, n, skip, off, len);
	case Q2_ZEROES:
		q2_zero_iov(iov, n, skip, len);
		return 0;
	case Q2_DATA:
		if ((k = disk_iov_slice(iov, n, skip, len, part, 64)) != -1)
			return disk_preadv_full(q->fd, part, k, m->host + in);
		if ((buf = malloc(len)) == NULL)
			return -1;
		if (disk_pread_full(q->fd, buf, len, m->host + in) == -1) {
			free(buf);
			return -1;
		}
		break;
	case Q2_PACKED:
		if ((buf = malloc(q->cs)) == NULL)
			return -1;
		if (q2_inflate(q, m, buf) == -1) {
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
q2_read(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	struct qcow2	*q = d->priv;
	struct q2_map	 m;
	uint64_t	 len = 0, done, piece;
	int		 i, rv;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (off > d->size || len > d->size - off) {
		errno = EINVAL;
		return -1;
	}
	for (done = 0; done < len; done += piece) {
		piece = q->cs - ((off + done) & (q->cs - 1));
		if (piece > len - done)
			piece = len - done;
		pthread_mutex_lock(&q->lock);
		rv = q2_lookup(q, off + done, &m);
		pthread_mutex_unlock(&q->lock);
		if (rv == -1 || q2_read_piece(q, &m, iov, n, (size_t)done,
		    off + done, piece) == -1)
			return -1;
	}
	return 0;
}

/*
 * q2_fill: the bytes [from, to) of guest cluster gc (offset of its
 * first byte) as they read before a write, into the new host cluster
 * at host: zeros, the layers below, or the old compressed data.
 */
static int
q2_fill(struct qcow2 *q, const struct q2_map *old, uint8_t *packed,
    uint64_t gc, uint64_t host, uint64_t from, uint64_t to)
{
	uint8_t		*buf;
	uint64_t	 step;
	int		 rv;

	if (from >= to)
		return 0;
	if (old->kind == Q2_PACKED)
		return disk_pwrite_full(q->fd, packed + from, to - from,
		    host + from);
	if (old->kind == Q2_ZEROES || q->backing == NULL ||
	    gc + from >= q->backing->size) {
		if (fallocate(q->fd, FALLOC_FL_ZERO_RANGE, (off_t)(host + from),
		    (off_t)(to - from)) == 0)
			return 0;
		for (; from < to; from += step) {
			step = to - from > sizeof(q2_zeros) ?
			    sizeof(q2_zeros) : to - from;
			if (disk_pwrite_full(q->fd, q2_zeros, step,
			    host + from) == -1)
				return -1;
		}
		return 0;
	}
	if ((buf = malloc(to - from)) == NULL)
		return -1;
	rv = q2_below(q, &(struct iovec){ buf, to - from }, 1, 0, gc + from,
	    to - from);
	if (rv == 0)
		rv = disk_pwrite_full(q->fd, buf, to - from, host + from);
	free(buf);
	return rv;
}

/*
 * q2_write_new: write [off, off + len) of one guest cluster that has no
 * cluster of its own to write in (unallocated, zero, compressed): a new
 * cluster gets the data and what the rest read before, then the L2
 * entry points to it, then the old clusters are released.
 */
static int
q2_write_new(struct qcow2 *q, const struct q2_map *old,
    const struct iovec *iov, int n, size_t skip, uint64_t off, uint64_t len)
{
	struct iovec	 part[64];
	uint8_t		*packed = NULL, *buf = NULL;
	uint64_t	 gc = off & ~(q->cs - 1), in = off - gc, host, c, l2off;
	uint64_t	 idx;
	int		 k, rv = -1, reuse;

	/* The L2 table first, so that the cluster it may take is counted. */
	if (q2_l2(q, gc, 1, &l2off, &idx) == -1)
		return -1;
	reuse = old->kind == Q2_ZEROES && old->host != 0;
	if (reuse)
		host = old->host;
	else {
		if (q2_alloc(q, 1, &c) == -1)
			return -1;
		host = c * q->cs;
	}
	if (old->kind == Q2_PACKED && (in != 0 || len != q->cs)) {
		if ((packed = malloc(q->cs)) == NULL ||
		    q2_inflate(q, old, packed) == -1)
			goto done;
	}
	if (q2_fill(q, old, packed, gc, host, 0, in) == -1 ||
	    q2_fill(q, old, packed, gc, host, in + len, q->cs) == -1)
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
	if (q2_set(q, gc, host | Q2_COPIED) == -1)
		goto done;
	rv = reuse ? 0 : q2_release(q, old);
 done:
	free(packed);
	free(buf);
	return rv;
}

static int
q2_write(struct disk *d, const struct iovec *iov, int n, uint64_t off)
{
	struct qcow2	*q = d->priv;
	struct iovec	 part[64];
	struct q2_map	 m;
	uint64_t	 len = 0, done, piece;
	int		 i, k, rv;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (off > d->size || len > d->size - off) {
		errno = EINVAL;
		return -1;
	}
	for (done = 0; done < len; done += piece) {
		piece = q->cs - ((off + done) & (q->cs - 1));
		if (piece > len - done)
			piece = len - done;
		pthread_mutex_lock(&q->lock);
		rv = q2_lookup(q, off + done, &m);
		if (rv == 0 && m.kind != Q2_DATA)
			rv = q2_write_new(q, &m, iov, n, (size_t)done,
			    off + done, piece);
		pthread_mutex_unlock(&q->lock);
		if (rv == -1)
			return -1;
		if (m.kind != Q2_DATA)
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
q2_flush(struct disk *d)
{
	return fdatasync(d->fd);
}

/* q2_zero_cluster: guest cluster gc reads as zeros, whole. */
static int
q2_zero_cluster(struct qcow2 *q, uint64_t gc, int flags)
{
	struct q2_map	m;
	uint64_t	e;

	if (q2_lookup(q, gc, &m) == -1)
		return -1;
	if (q->h.version < 3) {
		/* Unallocated reads zeros only with nothing below. */
		if (q->backing != NULL && gc < q->backing->size)
			return flags & DISK_ZERO_MAY ? 0 : 1;
		if (m.kind == Q2_UNALLOC)
			return 0;
		if (q2_set(q, gc, 0) == -1)
			return -1;
		return q2_release(q, &m);
	}
	if (m.kind == Q2_ZEROES && (m.host == 0 || !(flags & DISK_ZERO_UNMAP)))
		return 0;
	if (m.kind == Q2_UNALLOC &&
	    (q->backing == NULL || gc >= q->backing->size))
		return 0;
	/* Without leave to unmap, a cluster of its own stays allocated. */
	if (m.kind == Q2_DATA && !(flags & DISK_ZERO_UNMAP))
		return q2_set(q, gc, m.host | Q2_COPIED | Q2_ZERO);
	e = Q2_ZERO;
	if (q2_set(q, gc, e) == -1)
		return -1;
	return q2_release(q, &m);
}

/*
 * q2_zero: whole clusters are marked (zero flag, or unallocated with
 * nothing below) and their clusters released; parts of clusters are
 * written with zeros, or left alone by a discard.
 */
static int
q2_zero(struct disk *d, uint64_t off, uint64_t len, int flags)
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
			rv = q2_zero_cluster(q, gc, flags);
			pthread_mutex_unlock(&q->lock);
			if (rv == -1)
				return -1;
		} else if (flags & DISK_ZERO_MAY)
			rv = 0;
		while (rv == 1) {
			iov.iov_base = (void *)(uintptr_t)q2_zeros;
			iov.iov_len = piece < sizeof(q2_zeros) ? piece :
			    sizeof(q2_zeros);
			if (q2_write(d, &iov, 1, off) == -1)
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

/* The open walk: count every use of every cluster, then repair. */

/* q2_use: the walk saw [off, off + len) used; whole: by this alone. */
static int
q2_use(struct qcow2 *q, struct q2_walk *w, uint64_t off, uint64_t len,
    int whole)
{
	uint64_t	c, last;

	if (len == 0)
		return 0;
	last = (off + len - 1) / q->cs;
	for (c = off / q->cs; c <= last; c++) {
		if (c >= w->n)
			return q2_corrupt("cluster past the end of the file",
			    c * q->cs);
		if (w->whole[c] || (whole && w->count[c] != 0))
			return q2_corrupt("cluster used twice", c * q->cs);
		if (w->count[c] == UINT16_MAX)
			return q2_corrupt("cluster used too often", c * q->cs);
		w->count[c]++;
		w->whole[c] = (uint8_t)whole;
	}
	return 0;
}

/* q2_walk_l2: the uses one L2 table records. */
static int
q2_walk_l2(struct qcow2 *q, struct q2_walk *w, const uint8_t *t)
{
	struct q2_map	m;
	uint64_t	i;

	for (i = 0; i < q->l2n; i++) {
		if (q2_decode(q, q2_get64(t + i * 8), &m) == -1)
			return -1;
		if (m.kind == Q2_PACKED) {
			if (q2_use(q, w, m.host, m.clen, 0) == -1)
				return -1;
		} else if (m.host != 0 && q2_use(q, w, m.host, q->cs, 1) == -1)
			return -1;
	}
	return 0;
}

static int
q2_walk_count(struct qcow2 *q, struct q2_walk *w)
{
	uint8_t		*t;
	uint64_t	 i, e;
	int		 rv = -1;

	if ((t = malloc(q->cs)) == NULL)
		return -1;
	if (q2_use(q, w, 0, q->cs, 1) == -1 ||
	    q2_use(q, w, q->h.l1_off, (uint64_t)q->h.l1_size * 8, 1) == -1 ||
	    q2_use(q, w, q->h.rt_off, q->rtn * 8, 1) == -1)
		goto done;
	for (i = 0; i < q->rtn; i++)
		if (q->rt[i] != 0 && q2_use(q, w, q->rt[i], q->cs, 1) == -1)
			goto done;
	for (i = 0; i < q->h.l1_size; i++) {
		e = q->l1[i];
		if (e & Q2_L1_RESERVED) {
			q2_corrupt("L1 entry", e);
			goto done;
		}
		if ((e & Q2_OFF_MASK) == 0)
			continue;
		if (!q2_meta_ok(q, e & Q2_OFF_MASK)) {
			q2_corrupt("L2 table offset", e);
			goto done;
		}
		if (q2_use(q, w, e & Q2_OFF_MASK, q->cs, 1) == -1 ||
		    disk_pread_full(q->fd, t, q->cs, e & Q2_OFF_MASK) == -1 ||
		    q2_walk_l2(q, w, t) == -1)
			goto done;
	}
	rv = 0;
 done:
	free(t);
	return rv;
}

/*
 * q2_walk_fix: make the refcounts what the walk counted: stale ones
 * past the end, then the too low (a dirty image's), then the leaked.
 */
static int
q2_walk_fix(struct qcow2 *q, struct q2_walk *w)
{
	uint64_t	c, i, low = 0, leak = 0;
	uint16_t	v;

	for (i = w->n / q->rbn; i < q->rtn; i++) {
		if (q->rt[i] == 0)
			continue;
		for (c = i * q->rbn; c < (i + 1) * q->rbn; c++) {
			if (c < w->n)
				continue;
			if (q2_refcount(q, c, &v) == -1)
				return -1;
			if (v != 0 && q2_refcount_set(q, c, 0) == -1)
				return -1;
			leak += v != 0;
		}
	}
	for (c = 0; c < w->n; c++) {
		if (q2_refcount(q, c, &v) == -1)
			return -1;
		if (v < w->count[c]) {
			if (q2_refcount_set(q, c, w->count[c]) == -1)
				return -1;
			low++;
		}
	}
	for (c = 0; c < w->n; c++) {
		if (q2_refcount(q, c, &v) == -1)
			return -1;
		if (v > w->count[c]) {
			if (q2_refcount_set(q, c, w->count[c]) == -1)
				return -1;
			leak++;
		}
	}
	if (low != 0 || leak != 0)
		log_info("qcow2: refcounts repaired: %llu too low, %llu "
		    "leaked clusters freed", (unsigned long long)low,
		    (unsigned long long)leak);
	return 0;
}

static int
q2_walk(struct qcow2 *q, char *why)
{
	struct q2_walk	w;
	int		rv = -1;

	w.n = (q->end + q->cs - 1) / q->cs;
	w.count = calloc(w.n ? w.n : 1, sizeof(*w.count));
	w.whole = calloc(w.n ? w.n : 1, 1);
	if (w.count == NULL || w.whole == NULL) {
		disk_why(why, "qcow2: %s", strerror(errno));
		goto done;
	}
	if (q2_walk_count(q, &w) == -1) {
		disk_why(why, "qcow2: the image is corrupt (qemu-img check "
		    "-r all may repair it)");
		goto done;
	}
	q->walk = &w;
	rv = q2_walk_fix(q, &w);
	q->walk = NULL;
	q->hint = 0;
	if (rv == -1)
		disk_why(why, "qcow2: repairing refcounts: %s",
		    strerror(errno));
 done:
	free(w.count);
	free(w.whole);
	return rv;
}

static void
q2_free_all(struct qcow2 *q)
{
	q2_cache_free(&q->l2c);
	q2_cache_free(&q->rbc);
	free(q->l1);
	free(q->rt);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static int
q2_clamp(uint64_t v, int lo, int hi)
{
	return v < (uint64_t)lo ? lo : v > (uint64_t)hi ? hi : (int)v;
}

/* q2_mark: the header's feature words, dirty bit as asked. */
static int
q2_mark(struct qcow2 *q, int dirty)
{
	uint8_t	b[24];

	if (dirty)
		q->h.incompat |= Q2_INCOMPAT_DIRTY;
	else
		q->h.incompat &= ~Q2_INCOMPAT_DIRTY;
	q2_put64(b, q->h.incompat);
	q2_put64(b + 8, q->h.compat);
	q2_put64(b + 16, q->h.autoclear);
	if (fdatasync(q->fd) == -1 ||
	    disk_pwrite_full(q->fd, b, sizeof(b), Q2_H_INCOMPAT) == -1 ||
	    fdatasync(q->fd) == -1)
		return -1;
	return 0;
}

static int
q2_open(struct disk *d, char *why)
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
	if (q2_hdr_read(d->fd, d->filesize, &q->h, why) == -1)
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
	if (!d->readonly && (q->h.incompat & Q2_INCOMPAT_CORRUPT)) {
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
	    q2_cache_init(&q->l2c, q2_clamp((1 << 20) / q->cs, 4, 64),
	    q->cs) == -1 ||
	    q2_cache_init(&q->rbc, q2_clamp((256 << 10) / q->cs, 2, 16),
	    q->cs) == -1) {
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
		if (q->rt[i] != 0 && ((q->rt[i] & Q2_RT_RESERVED) != 0 ||
		    !q2_meta_ok(q, q->rt[i]))) {
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
	if (q2_walk(q, why) == -1)
		goto fail_priv;
	/* We keep no bitmaps: the autoclear features are cleared. */
	q->h.autoclear = 0;
	if (q->h.version >= 3) {
		if (q2_mark(q, 1) == -1) {
			disk_why(why, "qcow2: %s", strerror(errno));
			goto fail_priv;
		}
		q->dirty = 1;
	}
	return 0;
 bad:
	errno = EINVAL;
 fail:
	q2_free_all(q);
	return -1;
 fail_priv:
	d->priv = NULL;
	q2_free_all(q);
	if (errno == 0)
		errno = EIO;
	return -1;
}

static void
q2_close(struct disk *d)
{
	struct qcow2	*q = d->priv;

	if (q == NULL)
		return;
	if (q->dirty && q2_mark(q, 0) == -1)
		log_warn("qcow2: clearing the dirty bit");
	q2_free_all(q);
	d->priv = NULL;
}

const struct disk_ops disk_qcow2_ops = {
	.name = "qcow2",
	.open = q2_open,
	.read = q2_read,
	.write = q2_write,
	.flush = q2_flush,
	.zero = q2_zero,
	.close = q2_close,
};

/* Creating images. */

#define Q2_NEW_BITS	16

int
qcow2_create(int fd, uint64_t size, const char *backing, int backing_format,
    char *why)
{
	uint64_t	 cs = 1ULL << Q2_NEW_BITS, l1n, l1c, c, off;
	uint8_t		*b;
	const char	*fmt;
	size_t		 blen = backing != NULL ? strlen(backing) : 0, flen;
	int		 rv = -1;

	l1n = (size + cs * (cs / 8) - 1) / (cs * (cs / 8));
	if (size == 0 || size > Q2_MAX_SIZE || l1n * 8 > Q2_L1_MAX) {
		disk_why(why, "size %llu is out of range for qcow2",
		    (unsigned long long)size);
		errno = EINVAL;
		return -1;
	}
	if (blen > Q2_BACKING_MAX) {
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
	q2_put32(b, Q2_MAGIC);
	q2_put32(b + 4, 3);
	q2_put32(b + Q2_H_CLUSTER_BITS, Q2_NEW_BITS);
	q2_put64(b + Q2_H_SIZE, size);
	q2_put32(b + Q2_H_L1_SIZE, (uint32_t)l1n);
	q2_put64(b + Q2_H_L1_OFF, 3 * cs);
	q2_put64(b + Q2_H_RT_OFF, cs);
	q2_put32(b + Q2_H_RT_CLUSTERS, 1);
	q2_put32(b + Q2_H_REFORDER, 4);
	q2_put32(b + Q2_H_HDRLEN, Q2_HDR_V3);
	off = Q2_HDR_V3;
	if (backing != NULL) {
		fmt = backing_format == DISK_FMT_QCOW2 ? "qcow2" : "raw";
		flen = strlen(fmt);
		q2_put32(b + off, Q2_EXT_BACKING_FMT);
		q2_put32(b + off + 4, (uint32_t)flen);
		memcpy(b + off + 8, fmt, flen);
		off += 8 + ((flen + 7) & ~7UL);
	}
	off += 8;	/* the end extension, zeros */
	if (backing != NULL) {
		memcpy(b + off, backing, blen);
		q2_put64(b + Q2_H_BACKING_OFF, off);
		q2_put32(b + Q2_H_BACKING_LEN, (uint32_t)blen);
	}
	/* Cluster 1: the refcount table; cluster 2: its one block. */
	q2_put64(b + cs, 2 * cs);
	for (c = 0; c < 3 + l1c; c++)
		q2_put16(b + 2 * cs + c * 2, 1);
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
