/* SPDX-License-Identifier: ISC */
/*
 * qcow2 inside lib/disk: the format's constants, the open image's state
 * and what its three files share: qcow2.c (the ops, the header, create),
 * qcow2_meta.c (caches, refcounts, allocation, L1/L2 tables),
 * qcow2_walk.c (the read-write open's check and repair).
 */
#ifndef LIB_DISK_QCOW2_H
#define LIB_DISK_QCOW2_H

#include <endian.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "disk/disk.h"

#define QCOW2_MAGIC		0x514649fbU
#define QCOW2_HDR_V2		72
#define QCOW2_HDR_V3		104
#define QCOW2_MIN_BITS		9
#define QCOW2_MAX_BITS		21
#define QCOW2_L1_MAX		(32U << 20)	/* bytes of L1 table */
#define QCOW2_RT_MAX		(8U << 20)	/* bytes of refcount table */
#define QCOW2_BACKING_MAX	1023
#define QCOW2_MAX_SIZE		(1ULL << 56)

/* Header field offsets. */
#define QCOW2_H_BACKING_OFF	8
#define QCOW2_H_BACKING_LEN	16
#define QCOW2_H_CLUSTER_BITS	20
#define QCOW2_H_SIZE		24
#define QCOW2_H_CRYPT		32
#define QCOW2_H_L1_SIZE		36
#define QCOW2_H_L1_OFF		40
#define QCOW2_H_RT_OFF		48
#define QCOW2_H_RT_CLUSTERS	56
#define QCOW2_H_NSNAP		60
#define QCOW2_H_SNAP_OFF	64
#define QCOW2_H_INCOMPAT	72
#define QCOW2_H_COMPAT		80
#define QCOW2_H_AUTOCLEAR	88
#define QCOW2_H_REFORDER	96
#define QCOW2_H_HDRLEN		100
#define QCOW2_H_COMPRESSION	104

#define QCOW2_INCOMPAT_DIRTY	(1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT	(1ULL << 1)
#define QCOW2_INCOMPAT_DATAFILE	(1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESS	(1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2	(1ULL << 4)

#define QCOW2_EXT_END		0x00000000U
#define QCOW2_EXT_BACKING_FMT	0xe2792acaU

#define QCOW2_COPIED		(1ULL << 63)
#define QCOW2_COMPRESSED	(1ULL << 62)
#define QCOW2_ZERO		1ULL
#define QCOW2_OFF_MASK		0x00fffffffffffe00ULL
#define QCOW2_L1_RESERVED	0x7f000000000001feULL
#define QCOW2_L2_RESERVED	0x3f000000000001feULL
#define QCOW2_RT_RESERVED	0x00000000000001ffULL

/* What a guest cluster maps to. */
enum qcow2_kind { QCOW2_UNALLOC, QCOW2_ZEROES, QCOW2_DATA, QCOW2_PACKED };

struct qcow2_map {
	enum qcow2_kind	kind;
	uint64_t	host;	/* DATA, PACKED; ZEROES: preallocated or 0 */
	uint64_t	clen;	/* PACKED: compressed bytes */
};

/* A checked header. */
struct qcow2_hdr {
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
	char		backing[QCOW2_BACKING_MAX + 1];
	int		backing_fmt;
};

/* Cached metadata clusters (L2 tables, refcount blocks), written through. */
struct qcow2_slot {
	uint64_t	 off;		/* 0: empty */
	uint64_t	 stamp;
	uint8_t		*buf;
};

struct qcow2_cache {
	struct qcow2_slot	*slot;
	int		 n;
	uint64_t	 clock;
};

/* The open walk's picture of what uses each cluster. */
struct qcow2_uses {
	uint16_t	*count;
	uint8_t		*whole;		/* used by one thing only */
	uint64_t	 n;
};

struct qcow2 {
	int		 fd;
	struct disk	*backing;
	uint64_t	 limit;		/* bytes: no cluster at or past */
	pthread_mutex_t	 lock;		/* everything below */
	struct qcow2_hdr	 h;
	uint64_t	 cs;		/* cluster size */
	uint64_t	 l2n;		/* entries per L2 table */
	uint64_t	 rbn;		/* entries per refcount block */
	uint64_t	*l1;		/* host order */
	uint64_t	*rt;		/* host order */
	uint64_t	 rtn;		/* refcount table entries */
	struct qcow2_cache	 l2c, rbc;
	uint64_t	 end;		/* bytes: the file's end, as we know it */
	uint64_t	 hint;		/* lowest cluster that may be free */
	int		 dirty;		/* we set the dirty bit */
	struct qcow2_uses	*walk;		/* during the open walk */
};

extern const uint8_t	qcow2_zeros[65536];

static inline uint64_t
qcow2_get64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline uint32_t
qcow2_get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline void
qcow2_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline void
qcow2_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void
qcow2_put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

/* qcow2_overlaps: [a, a + alen) and [b, b + blen) share a byte. */
static inline int
qcow2_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen != 0 && blen != 0 && a < b + blen && b < a + alen;
}

/* qcow2_meta.c; everything under the image's lock. */
/* qcow2_meta_ok: a metadata cluster's offset, read from the file, is sane. */
int	qcow2_meta_ok(const struct qcow2 *, uint64_t off);
int	qcow2_meta_cache_init(struct qcow2_cache *, int n, uint64_t cs);
void	qcow2_meta_cache_free(struct qcow2_cache *);
/* qcow2_meta_corrupt: log what is wrong with the image; -1, errno EIO. */
int	qcow2_meta_corrupt(const char *what, uint64_t v);
/* qcow2_meta_refcount(_set): cluster c's refcount, read or written. */
int	qcow2_meta_refcount(struct qcow2 *, uint64_t c, uint16_t *val);
int	qcow2_meta_refcount_set(struct qcow2 *, uint64_t c, uint16_t val);
/* qcow2_meta_alloc: count contiguous new clusters, counted; the first. */
int	qcow2_meta_alloc(struct qcow2 *, uint64_t count, uint64_t *first);
/*
 * qcow2_meta_l2: the L2 table holding guest offset off (*l2off, 0 if
 * none) and the entry's index; with make, one is made if there is none.
 */
int	qcow2_meta_l2(struct qcow2 *, uint64_t off, int make,
	    uint64_t *l2off, uint64_t *idx);
/* qcow2_meta_decode: what L2 entry e says, checked against the file. */
int	qcow2_meta_decode(struct qcow2 *, uint64_t e, struct qcow2_map *);
/* qcow2_meta_lookup: the mapping of the guest cluster holding off. */
int	qcow2_meta_lookup(struct qcow2 *, uint64_t off, struct qcow2_map *);
/* qcow2_meta_set: the L2 entry for guest offset off becomes e. */
int	qcow2_meta_set(struct qcow2 *, uint64_t off, uint64_t e);
/* qcow2_meta_release: the clusters a mapping held lose its reference. */
int	qcow2_meta_release(struct qcow2 *, const struct qcow2_map *);

/* qcow2_walk.c */
/*
 * qcow2_walk: count every use of every cluster (refusing one used twice)
 * and make the refcounts what was counted. 0, or -1 with why set.
 */
int	qcow2_walk(struct qcow2 *, char *why);

#endif /* LIB_DISK_QCOW2_H */
