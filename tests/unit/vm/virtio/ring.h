/* SPDX-License-Identifier: ISC */
/* Driver side of a split ring in a struct mem, for the virtio unit tests. */
#ifndef TESTS_UNIT_VM_VIRTIO_RING_H
#define TESTS_UNIT_VM_VIRTIO_RING_H

#include <stdint.h>
#include <string.h>

#include "vm/mem.h"

#define TR_F_NEXT	1
#define TR_F_WRITE	2
#define TR_F_INDIRECT	4

struct tring {
	struct mem	*mem;
	uint16_t	 size;
	uint64_t	 desc, avail, used;
	uint16_t	 avail_idx;
	uint16_t	 used_seen;
};

static void __attribute__((unused))
tr_w16(struct mem *m, uint64_t gpa, uint16_t v)
{
	mem_write(m, gpa, &v, 2);
}

static uint16_t __attribute__((unused))
tr_r16(struct mem *m, uint64_t gpa)
{
	uint16_t v = 0;

	mem_read(m, gpa, &v, 2);
	return v;
}

/* tr_init: rings at base (desc), then avail, then used (4-aligned). */
static void __attribute__((unused))
tr_init(struct tring *tr, struct mem *m, uint16_t size, uint64_t base)
{
	memset(tr, 0, sizeof(*tr));
	tr->mem = m;
	tr->size = size;
	tr->desc = base;
	tr->avail = base + 16ULL * size;
	tr->used = (tr->avail + 6 + 2ULL * size + 3) & ~3ULL;
	memset(mem_gpa2hva(m, base, tr->used + 6 + 8ULL * size - base), 0,
	    tr->used + 6 + 8ULL * size - base);
}

/* tr_desc_at: write a descriptor into any table (direct or indirect). */
static void __attribute__((unused))
tr_desc_at(struct mem *m, uint64_t table, uint16_t i, uint64_t addr,
    uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t	d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	mem_write(m, table + 16ULL * i, d, 16);
}

static void __attribute__((unused))
tr_desc(struct tring *tr, uint16_t i, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	tr_desc_at(tr->mem, tr->desc, i, addr, len, flags, next);
}

/* tr_post: make head available. */
static void __attribute__((unused))
tr_post(struct tring *tr, uint16_t head)
{
	tr_w16(tr->mem, tr->avail + 4 + 2ULL * (tr->avail_idx % tr->size),
	    head);
	tr->avail_idx++;
	tr_w16(tr->mem, tr->avail + 2, tr->avail_idx);
}

/* tr_get_used: the next used entry; 1 if there was one. */
static int __attribute__((unused))
tr_get_used(struct tring *tr, uint32_t *id, uint32_t *len)
{
	uint64_t	e;

	if (tr_r16(tr->mem, tr->used + 2) == tr->used_seen)
		return 0;
	e = tr->used + 4 + 8ULL * (tr->used_seen % tr->size);
	mem_read(tr->mem, e, id, 4);
	mem_read(tr->mem, e + 4, len, 4);
	tr->used_seen++;
	return 1;
}

/* tr_used_event / tr_avail_event: the event index fields. */
static void __attribute__((unused))
tr_set_used_event(struct tring *tr, uint16_t v)
{
	tr_w16(tr->mem, tr->avail + 4 + 2ULL * tr->size, v);
}

static uint16_t __attribute__((unused))
tr_avail_event(struct tring *tr)
{
	return tr_r16(tr->mem, tr->used + 4 + 8ULL * tr->size);
}

#endif
