/* SPDX-License-Identifier: ISC */
/*
 * qcow2 metadata: the L2 and refcount block caches (written through),
 * refcounts, cluster allocation, the growth of the refcount and L1
 * tables, and L2 entries: read, checked, set. Every offset read from the
 * file is checked before use; the write order keeps the image
 * consistent at every instant (refcount before pointer, pointer removed
 * before the refcount drops).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/qcow2.h"
#include "log.h"

/* qcow2_meta_fixed: [off, off + len) touches header, L1 or refcount table. */
static int
qcow2_meta_fixed(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	return off < q->cs ||
	    qcow2_overlaps(off, len, q->h.l1_off, (uint64_t)q->h.l1_size * 8) ||
	    qcow2_overlaps(off, len, q->h.rt_off, q->rtn * 8);
}

/* qcow2_meta_ok: a metadata cluster's offset, as read from the file. */
int
qcow2_meta_ok(const struct qcow2 *q, uint64_t off)
{
	return (off & (q->cs - 1)) == 0 && off < q->end &&
	    q->cs <= q->end - off && !qcow2_meta_fixed(q, off, q->cs);
}

/*
 * qcow2_meta_cache_get: the cached copy of metadata cluster off, read if need
 * be (off already checked by qcow2_meta_ok). NULL with errno.
 */
static uint8_t *
qcow2_meta_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off)
{
	struct qcow2_slot	*s, *victim = &c->slot[0];
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

/* qcow2_meta_cache_drop: forget metadata cluster off (freed, or rewritten). */
static void
qcow2_meta_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	int	i;

	for (i = 0; i < c->n; i++)
		if (c->slot[i].off == off)
			c->slot[i].off = 0;
}

int
qcow2_meta_cache_init(struct qcow2_cache *c, int n, uint64_t cs)
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

void
qcow2_meta_cache_free(struct qcow2_cache *c)
{
	int	i;

	for (i = 0; i < c->n; i++)
		free(c->slot[i].buf);
	free(c->slot);
	c->slot = NULL;
	c->n = 0;
}

/* qcow2_meta_corrupt: metadata that cannot be right; the request fails. */
int
qcow2_meta_corrupt(const char *what, uint64_t v)
{
	log_warnx("qcow2: corrupt image: %s (%#llx)", what,
	    (unsigned long long)v);
	errno = EIO;
	return -1;
}

int
qcow2_meta_refcount(struct qcow2 *q, uint64_t c, uint16_t *val)
{
	uint64_t	 i = c / q->rbn, off;
	uint8_t		*b;

	*val = 0;
	if (i >= q->rtn || (off = q->rt[i]) == 0)
		return 0;
	if ((b = qcow2_meta_cache_get(q, &q->rbc, off)) == NULL)
		return -1;
	memcpy(val, b + (c % q->rbn) * 2, 2);
	*val = be16toh(*val);
	return 0;
}

/* qcow2_meta_is_free: cluster c may be given out. -1 on error. */
static int
qcow2_meta_is_free(struct qcow2 *q, uint64_t c)
{
	uint16_t	v;

	if (qcow2_meta_refcount(q, c, &v) == -1)
		return -1;
	if (v != 0 || qcow2_meta_fixed(q, c * q->cs, q->cs))
		return 0;
	if (q->walk != NULL && c < q->walk->n && q->walk->count[c] != 0)
		return 0;
	return 1;
}

/* qcow2_meta_walk_note: a cluster the walk did not see is used from now on. */
static void
qcow2_meta_walk_note(struct qcow2 *q, uint64_t c)
{
	if (q->walk != NULL && c < q->walk->n) {
		q->walk->count[c]++;
		q->walk->whole[c] = 1;
	}
}

/* qcow2_meta_write_rt: refcount table entry i, to the file and in memory. */
static int
qcow2_meta_write_rt(struct qcow2 *q, uint64_t i, uint64_t off)
{
	uint8_t	e[8];

	qcow2_put64(e, off);
	if (disk_pwrite_full(q->fd, e, 8, q->h.rt_off + i * 8) == -1)
		return -1;
	q->rt[i] = off;
	return 0;
}

/*
 * qcow2_meta_rt_grow: a refcount table of at least want entries. The new table
 * and the refcount blocks that count it go after the end of the file,
 * counted by themselves or by blocks that exist; the header switches to
 * it in one write, then the old table is freed.
 */
static int
qcow2_meta_rt_grow(struct qcow2 *q, uint64_t want)
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
		if (n * 8 > QCOW2_RT_MAX) {
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
		if (qcow2_meta_is_free(q, c) != 1) {
			/* Leaked refcounts past the end: not ours to reuse. */
			errno = EIO;
			return qcow2_meta_corrupt("refcounts past the end of file",
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
				qcow2_put16(blk + (c % q->rbn) * 2, 1);
		if (disk_pwrite_full(q->fd, blk, q->cs, rt[j]) == -1)
			goto done;
	}
	/* What existing blocks count of the new area. */
	for (c = t0; c < t0 + nc + nb; c++) {
		j = c / q->rbn;
		if (j < old_n && q->rt[j] != 0 &&
		    qcow2_meta_refcount_set(q, c, 1) == -1)
			goto done;
		qcow2_meta_walk_note(q, c);
	}
	for (j = 0; j < n; j++)
		qcow2_put64(tab + j * 8, rt[j]);
	if (disk_pwrite_full(q->fd, tab, nc * q->cs, t0 * q->cs) == -1)
		goto done;
	qcow2_put64(hdr, t0 * q->cs);
	qcow2_put32(hdr + 8, (uint32_t)nc);
	if (disk_pwrite_full(q->fd, hdr, 12, QCOW2_H_RT_OFF) == -1)
		goto done;
	free(q->rt);
	q->rt = rt;
	rt = NULL;
	q->rtn = n;
	q->h.rt_off = t0 * q->cs;
	q->h.rt_clusters = (uint32_t)nc;
	q->end = (t0 + nc + nb) * q->cs;
	for (c = old_off / q->cs; c < old_off / q->cs + old_clusters; c++)
		if (qcow2_meta_refcount_set(q, c, 0) == -1)
			goto done;
	rv = 0;
 done:
	free(rt);
	free(tab);
	free(blk);
	return rv;
}

/*
 * qcow2_meta_rb_alloc: the refcount block for range i, made: it goes in the
 * first free cluster of its own range and counts itself.
 */
static int
qcow2_meta_rb_alloc(struct qcow2 *q, uint64_t i)
{
	uint64_t	 c, start;
	uint8_t		*b;
	int		 f;

	if (i >= q->rtn && qcow2_meta_rt_grow(q, i + 1) == -1)
		return -1;
	if (q->rt[i] != 0)
		return 0;
	start = i * q->rbn;
	for (c = start; c < start + q->rbn; c++) {
		if ((f = qcow2_meta_is_free(q, c)) == -1)
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
	qcow2_put16(b + (c - start) * 2, 1);
	if (disk_pwrite_full(q->fd, b, q->cs, c * q->cs) == -1) {
		free(b);
		return -1;
	}
	free(b);
	qcow2_meta_walk_note(q, c);
	if ((c + 1) * q->cs > q->end)
		q->end = (c + 1) * q->cs;
	return qcow2_meta_write_rt(q, i, c * q->cs);
}

int
qcow2_meta_refcount_set(struct qcow2 *q, uint64_t c, uint16_t val)
{
	uint64_t	 i = c / q->rbn, off;
	uint8_t		*b, e[2];

	if (i >= q->rtn || q->rt[i] == 0) {
		if (val == 0)
			return 0;
		if (qcow2_meta_rb_alloc(q, i) == -1)
			return -1;
	}
	off = q->rt[i] + (c % q->rbn) * 2;
	qcow2_put16(e, val);
	if (disk_pwrite_full(q->fd, e, 2, off) == -1)
		return -1;
	if ((b = qcow2_meta_cache_get(q, &q->rbc, q->rt[i])) != NULL)
		memcpy(b + (c % q->rbn) * 2, e, 2);
	else
		qcow2_meta_cache_drop(&q->rbc, q->rt[i]);
	if (val == 0 && c < q->hint)
		q->hint = c;
	return 0;
}

/*
 * qcow2_meta_alloc: count contiguous free clusters, counted; the first. Their
 * refcount blocks are made first: one may land where the scan looked.
 */
int
qcow2_meta_alloc(struct qcow2 *q, uint64_t count, uint64_t *first)
{
	uint64_t	c = q->hint, run, k;
	int		f = 1;

	for (;;) {
		for (run = 0; run < count; c++) {
			if ((c + 1) * q->cs > q->limit) {
				errno = ENOSPC;
				return -1;
			}
			if ((f = qcow2_meta_is_free(q, c)) == -1)
				return -1;
			run = f ? run + 1 : 0;
		}
		*first = c - count;
		for (k = *first; k < c; k++)
			if (k / q->rbn >= q->rtn || q->rt[k / q->rbn] == 0)
				if (qcow2_meta_rb_alloc(q, k / q->rbn) == -1)
					return -1;
		for (k = *first; k < c; k++)
			if ((f = qcow2_meta_is_free(q, k)) != 1)
				break;
		if (f == -1)
			return -1;
		if (k == c)
			break;
		c = k + 1;
	}
	for (k = *first; k < c; k++) {
		if (qcow2_meta_refcount_set(q, k, 1) == -1)
			return -1;
		qcow2_meta_walk_note(q, k);
	}
	if (count == 1 || *first == q->hint)
		q->hint = c;
	if (c * q->cs > q->end)
		q->end = c * q->cs;
	return 0;
}

/*
 * qcow2_meta_free: drop one reference to each cluster of [off, off + len),
 * punching the freed ones out of the file.
 */
static int
qcow2_meta_free(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t	c, last = (off + len - 1) / q->cs;
	uint16_t	v;

	for (c = off / q->cs; c <= last; c++) {
		if (qcow2_meta_refcount(q, c, &v) == -1)
			return -1;
		if (v == 0)
			return qcow2_meta_corrupt("freeing a free cluster", c * q->cs);
		if (qcow2_meta_refcount_set(q, c, v - 1) == -1)
			return -1;
		if (v == 1)
			(void)fallocate(q->fd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, (off_t)(c * q->cs),
			    (off_t)q->cs);
	}
	return 0;
}

/* qcow2_meta_l1_grow: an L1 table of at least want entries, moved as one. */
static int
qcow2_meta_l1_grow(struct qcow2 *q, uint64_t want)
{
	uint64_t	 per = q->cs / 8, need, nc, first, old_off, old_len;
	uint64_t	*l1, i;
	uint8_t		*tab, hdr[12];

	need = (q->h.size + q->cs * per - 1) / (q->cs * per);
	if (want > need || want > QCOW2_L1_MAX / 8) {
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
		qcow2_put64(tab + i * 8, l1[i]);
	if (qcow2_meta_alloc(q, nc, &first) == -1 ||
	    disk_pwrite_full(q->fd, tab, nc * q->cs, first * q->cs) == -1)
		goto fail;
	qcow2_put32(hdr, (uint32_t)want);
	qcow2_put64(hdr + 4, first * q->cs);
	if (disk_pwrite_full(q->fd, hdr, 12, QCOW2_H_L1_SIZE) == -1)
		goto fail;
	old_off = q->h.l1_off;
	old_len = (uint64_t)q->h.l1_size * 8;
	free(q->l1);
	free(tab);
	q->l1 = l1;
	q->h.l1_size = (uint32_t)want;
	q->h.l1_off = first * q->cs;
	if (old_len != 0)
		return qcow2_meta_free(q, old_off, old_len);
	return 0;
 fail:
	free(l1);
	free(tab);
	return -1;
}

/*
 * qcow2_meta_l2: the L2 table for guest offset off and the entry's index; with
 * make, one is made (zeroed, then linked) if there is none. *tab NULL:
 * none.
 */
int
qcow2_meta_l2(struct qcow2 *q, uint64_t off, int make, uint64_t *l2off,
    uint64_t *idx)
{
	uint64_t	 l1i = off / q->cs / q->l2n, e, c;
	uint8_t		 b[8];

	*idx = (off / q->cs) % q->l2n;
	*l2off = 0;
	if (l1i >= q->h.l1_size) {
		if (!make)
			return 0;
		if (qcow2_meta_l1_grow(q, l1i + 1) == -1)
			return -1;
	}
	e = q->l1[l1i];
	if (e & QCOW2_L1_RESERVED)
		return qcow2_meta_corrupt("L1 entry", e);
	if ((e & QCOW2_OFF_MASK) != 0) {
		if (!qcow2_meta_ok(q, e & QCOW2_OFF_MASK))
			return qcow2_meta_corrupt("L2 table offset", e);
		*l2off = e & QCOW2_OFF_MASK;
		return 0;
	}
	if (!make)
		return 0;
	if (qcow2_meta_alloc(q, 1, &c) == -1)
		return -1;
	if (disk_pwrite_full(q->fd, qcow2_zeros, q->cs <= sizeof(qcow2_zeros) ?
	    q->cs : 0, c * q->cs) == -1)
		return -1;
	if (q->cs > sizeof(qcow2_zeros) &&
	    fallocate(q->fd, FALLOC_FL_ZERO_RANGE,
	    (off_t)(c * q->cs), (off_t)q->cs) == -1) {
		uint64_t	o;

		for (o = 0; o < q->cs; o += sizeof(qcow2_zeros))
			if (disk_pwrite_full(q->fd, qcow2_zeros,
			    sizeof(qcow2_zeros), c * q->cs + o) == -1)
				return -1;
	}
	qcow2_meta_cache_drop(&q->l2c, c * q->cs);
	qcow2_put64(b, c * q->cs | QCOW2_COPIED);
	if (disk_pwrite_full(q->fd, b, 8, q->h.l1_off + l1i * 8) == -1)
		return -1;
	q->l1[l1i] = c * q->cs | QCOW2_COPIED;
	*l2off = c * q->cs;
	return 0;
}

/* qcow2_meta_decode: what L2 entry e says about a guest cluster. */
int
qcow2_meta_decode(struct qcow2 *q, uint64_t e, struct qcow2_map *m)
{
	uint64_t	x, sect;

	memset(m, 0, sizeof(*m));
	if (e & QCOW2_COMPRESSED) {
		x = 62 - (q->h.cluster_bits - 8);
		m->host = e & ((1ULL << x) - 1);
		sect = (e & ~QCOW2_COPIED & ~QCOW2_COMPRESSED) >> x;
		m->clen = (sect + 1) * 512 - (m->host & 511);
		if (e & QCOW2_COPIED || m->host < q->cs || m->host >= q->end ||
		    qcow2_meta_fixed(q, m->host, m->clen))
			return qcow2_meta_corrupt("compressed cluster", e);
		m->kind = QCOW2_PACKED;
		return 0;
	}
	if (e & QCOW2_L2_RESERVED)
		return qcow2_meta_corrupt("L2 entry", e);
	m->host = e & QCOW2_OFF_MASK;
	if (m->host != 0 && ((m->host & (q->cs - 1)) != 0 ||
	    m->host >= q->end || qcow2_meta_fixed(q, m->host, q->cs)))
		return qcow2_meta_corrupt("data cluster offset", e);
	if (e & QCOW2_ZERO) {
		if (q->h.version < 3)
			return qcow2_meta_corrupt("zero flag in a version 2 image", e);
		m->kind = QCOW2_ZEROES;
	} else
		m->kind = m->host != 0 ? QCOW2_DATA : QCOW2_UNALLOC;
	return 0;
}

/* qcow2_meta_lookup: the mapping of the guest cluster holding off. */
int
qcow2_meta_lookup(struct qcow2 *q, uint64_t off, struct qcow2_map *m)
{
	uint64_t	 l2off, idx;
	uint8_t		*t;

	memset(m, 0, sizeof(*m));
	if (qcow2_meta_l2(q, off, 0, &l2off, &idx) == -1)
		return -1;
	if (l2off == 0)
		return 0;
	if ((t = qcow2_meta_cache_get(q, &q->l2c, l2off)) == NULL)
		return -1;
	return qcow2_meta_decode(q, qcow2_get64(t + idx * 8), m);
}

/* qcow2_meta_set: the L2 entry for guest offset off becomes e. */
int
qcow2_meta_set(struct qcow2 *q, uint64_t off, uint64_t e)
{
	uint64_t	 l2off, idx;
	uint8_t		*t, b[8];

	if (qcow2_meta_l2(q, off, 1, &l2off, &idx) == -1)
		return -1;
	qcow2_put64(b, e);
	if (disk_pwrite_full(q->fd, b, 8, l2off + idx * 8) == -1)
		return -1;
	if ((t = qcow2_meta_cache_get(q, &q->l2c, l2off)) != NULL)
		memcpy(t + idx * 8, b, 8);
	else
		qcow2_meta_cache_drop(&q->l2c, l2off);
	return 0;
}

/* qcow2_meta_release: the host clusters a mapping held lose its reference. */
int
qcow2_meta_release(struct qcow2 *q, const struct qcow2_map *m)
{
	if (m->kind == QCOW2_PACKED)
		return qcow2_meta_free(q, m->host, m->clen);
	if (m->host != 0)
		return qcow2_meta_free(q, m->host, q->cs);
	return 0;
}
