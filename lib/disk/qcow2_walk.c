/* SPDX-License-Identifier: ISC */
/*
 * The qcow2 read-write open's walk: every cluster's uses counted from
 * the header, tables and L2 entries (a cluster used twice is refused),
 * then the refcounts made what was counted: stale ones past the end, too
 * low ones (a dirty image's), leaked ones (a killed writer's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/qcow2.h"
#include "log.h"

/* qcow2_walk_use: [off, off + len) is used; whole: by this alone. */
static int
qcow2_walk_use(struct qcow2 *q, struct qcow2_uses *w, uint64_t off,
    uint64_t len, int whole)
{
	uint64_t	c, last;

	if (len == 0)
		return 0;
	last = (off + len - 1) / q->cs;
	for (c = off / q->cs; c <= last; c++) {
		if (c >= w->n)
			return qcow2_meta_corrupt("cluster past the end of the file",
			    c * q->cs);
		if (w->whole[c] || (whole && w->count[c] != 0))
			return qcow2_meta_corrupt("cluster used twice", c * q->cs);
		if (w->count[c] == UINT16_MAX)
			return qcow2_meta_corrupt("cluster used too often", c * q->cs);
		w->count[c]++;
		w->whole[c] = (uint8_t)whole;
	}
	return 0;
}

/* qcow2_walk_l2: the uses one L2 table records. */
static int
qcow2_walk_l2(struct qcow2 *q, struct qcow2_uses *w, const uint8_t *t)
{
	struct qcow2_map	m;
	uint64_t	i;

	for (i = 0; i < q->l2n; i++) {
		if (qcow2_meta_decode(q, qcow2_get64(t + i * 8), &m) == -1)
			return -1;
		if (m.kind == QCOW2_PACKED) {
			if (qcow2_walk_use(q, w, m.host, m.clen, 0) == -1)
				return -1;
		} else if (m.host != 0 &&
		    qcow2_walk_use(q, w, m.host, q->cs, 1) == -1)
			return -1;
	}
	return 0;
}

static int
qcow2_walk_count(struct qcow2 *q, struct qcow2_uses *w)
{
	uint8_t		*t;
	uint64_t	 i, e;
	int		 rv = -1;

	if ((t = malloc(q->cs)) == NULL)
		return -1;
	if (qcow2_walk_use(q, w, 0, q->cs, 1) == -1 ||
	    qcow2_walk_use(q, w, q->h.l1_off, (uint64_t)q->h.l1_size * 8,
	    1) == -1 ||
	    qcow2_walk_use(q, w, q->h.rt_off, q->rtn * 8, 1) == -1)
		goto done;
	for (i = 0; i < q->rtn; i++)
		if (q->rt[i] != 0 && qcow2_walk_use(q, w, q->rt[i], q->cs, 1) == -1)
			goto done;
	for (i = 0; i < q->h.l1_size; i++) {
		e = q->l1[i];
		if (e & QCOW2_L1_RESERVED) {
			qcow2_meta_corrupt("L1 entry", e);
			goto done;
		}
		if ((e & QCOW2_OFF_MASK) == 0)
			continue;
		if (!qcow2_meta_ok(q, e & QCOW2_OFF_MASK)) {
			qcow2_meta_corrupt("L2 table offset", e);
			goto done;
		}
		if (qcow2_walk_use(q, w, e & QCOW2_OFF_MASK, q->cs, 1) == -1 ||
		    disk_pread_full(q->fd, t, q->cs, e & QCOW2_OFF_MASK) == -1 ||
		    qcow2_walk_l2(q, w, t) == -1)
			goto done;
	}
	rv = 0;
 done:
	free(t);
	return rv;
}

/*
 * qcow2_walk_fix: make the refcounts what the walk counted: stale ones
 * past the end, then the too low (a dirty image's), then the leaked.
 */
static int
qcow2_walk_fix(struct qcow2 *q, struct qcow2_uses *w)
{
	uint64_t	c, i, low = 0, leak = 0;
	uint16_t	v;

	for (i = w->n / q->rbn; i < q->rtn; i++) {
		if (q->rt[i] == 0)
			continue;
		for (c = i * q->rbn; c < (i + 1) * q->rbn; c++) {
			if (c < w->n)
				continue;
			if (qcow2_meta_refcount(q, c, &v) == -1)
				return -1;
			if (v != 0 && qcow2_meta_refcount_set(q, c, 0) == -1)
				return -1;
			leak += v != 0;
		}
	}
	for (c = 0; c < w->n; c++) {
		if (qcow2_meta_refcount(q, c, &v) == -1)
			return -1;
		if (v < w->count[c]) {
			if (qcow2_meta_refcount_set(q, c, w->count[c]) == -1)
				return -1;
			low++;
		}
	}
	for (c = 0; c < w->n; c++) {
		if (qcow2_meta_refcount(q, c, &v) == -1)
			return -1;
		if (v > w->count[c]) {
			if (qcow2_meta_refcount_set(q, c, w->count[c]) == -1)
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

int
qcow2_walk(struct qcow2 *q, char *why)
{
	struct qcow2_uses	w;
	int		rv = -1;

	w.n = (q->end + q->cs - 1) / q->cs;
	w.count = calloc(w.n ? w.n : 1, sizeof(*w.count));
	w.whole = calloc(w.n ? w.n : 1, 1);
	if (w.count == NULL || w.whole == NULL) {
		disk_why(why, "qcow2: %s", strerror(errno));
		goto done;
	}
	if (qcow2_walk_count(q, &w) == -1) {
		disk_why(why, "qcow2: the image is corrupt (qemu-img check "
		    "-r all may repair it)");
		goto done;
	}
	q->walk = &w;
	rv = qcow2_walk_fix(q, &w);
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
