/* SPDX-License-Identifier: ISC */
/* Split virtqueues: the only code that knows the ring layout in guest RAM. */
#include <errno.h>
#include <string.h>

#include "vm/mem.h"
#include "vm/virtio/virtq.h"

/*
 * Ring layout (virtio 1.x, 2.7): all fields little endian, as is the host.
 *   descriptor table: size x { le64 addr; le32 len; le16 flags; le16 next }
 *   avail: le16 flags; le16 idx; le16 ring[size]; le16 used_event
 *   used:  le16 flags; le16 idx; { le32 id; le32 len } ring[size];
 *          le16 avail_event
 */
#define VIRTQ_DESC_SIZE		16
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

#define VIRTQ_AVAIL_BYTES(n)	(6 + 2 * (uint64_t)(n))
#define VIRTQ_USED_BYTES(n)	(6 + 8 * (uint64_t)(n))

struct virtq_desc {
	uint64_t	addr;
	uint32_t	len;
	uint16_t	flags;
	uint16_t	next;
};

static uint16_t
virtq_load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
	    __ATOMIC_ACQUIRE);
}

static void
virtq_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE);
}

static int
virtq_fail(struct virtq *vq, int error, const char *why)
{
	vq->err = why;
	errno = error;
	return -1;
}

int
virtq_init(struct virtq *vq, const struct mem *mem, uint16_t size,
    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) != 0)
		return virtq_fail(vq, EINVAL, "queue size not a power of two");
	if ((desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0)
		return virtq_fail(vq, EINVAL, "ring misaligned");
	vq->desc = mem_gpa2hva(mem, desc, (uint64_t)size * VIRTQ_DESC_SIZE);
	vq->avail = mem_gpa2hva(mem, avail, VIRTQ_AVAIL_BYTES(size));
	vq->used = mem_gpa2hva(mem, used, VIRTQ_USED_BYTES(size));
	if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL) {
		vq->desc = vq->avail = vq->used = NULL;
		return virtq_fail(vq, EFAULT, "ring outside guest RAM");
	}
	vq->size = size;
	vq->event_idx = (features >> VIRTIO_F_EVENT_IDX) & 1;
	vq->indirect = (features >> VIRTIO_F_INDIRECT_DESC) & 1;
	/* The device starts at whatever the rings say (0 after a reset). */
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	/* Kicks wanted: whatever a former device left in the used ring. */
	virtq_store16(vq->used, 0);
	if (vq->event_idx)
		virtq_store16(vq->used + 4 + 8 * (uint64_t)size, 0);
	return 0;
}

void
virtq_reset(struct virtq *vq)
{
	const struct mem	*mem = vq->mem;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

int
virtq_pending(const struct virtq *vq)
{
	if (vq->size == 0)
		return 0;
	return virtq_load16(vq->avail + 2) != vq->last_avail;
}

int
virtq_avail_moved(const uint8_t *avail, uint16_t last)
{
	return virtq_load16(avail + 2) != last;
}

int
virtq_notify(struct virtq *vq, int on)
{
	if (vq->size == 0)
		return 0;
	vq->nonotify = !on;
	if (vq->event_idx)
		virtq_store16(vq->used + 4 + 8 * (uint64_t)vq->size,
		    (uint16_t)(vq->last_avail - (on ? 0 : 1)));
	else
		virtq_store16(vq->used, on ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	if (!on)
		return 0;
	/* The request before our look at the avail index (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_pending(vq);
}

/* virtq_avail_idx: the driver's avail index, or -1 if it ran too far. */
static int
virtq_avail_idx(struct virtq *vq)
{
	uint16_t	idx;

	idx = virtq_load16(vq->avail + 2);
	if ((uint16_t)(idx - vq->last_avail) > vq->size)
		return virtq_fail(vq, EINVAL, "avail index ran ahead of ring");
	return idx;
}

int
virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	struct virtq_desc	 d;
	const uint8_t		*table;
	uint32_t		 tsize, visited = 0;
	uint16_t		 idx;
	int			 avail, in_indirect = 0, writing = 0, n = 0;
	void			*hva;

	if (vq->size == 0)
		return virtq_fail(vq, EINVAL, "queue not set up");
	if ((avail = virtq_avail_idx(vq)) == -1)
		return -1;
	if (avail == vq->last_avail) {
		if (!vq->event_idx || vq->nonotify)
			return 0;
		/* Ask for a kick at the next entry, then look again. */
		virtq_store16(vq->used + 4 + 8 * (uint64_t)vq->size,
		    vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if ((avail = virtq_avail_idx(vq)) == -1)
			return -1;
		if (avail == vq->last_avail)
			return 0;
	}
	idx = virtq_load16(vq->avail + 4 + 2 * (vq->last_avail % vq->size));
	if (idx >= vq->size)
		return virtq_fail(vq, EINVAL, "head index out of range");
	memset(c, 0, offsetof(struct virtq_chain, iov));
	c->head = idx;
	table = vq->desc;
	tsize = vq->size;
	for (;;) {
		if (idx >= tsize)
			return virtq_fail(vq, EINVAL, "next index out of range");
		if (++visited > tsize)
			return virtq_fail(vq, ELOOP, "descriptor loop");
		/* One copy: the guest may rewrite the table under us. */
		memcpy(&d, table + (size_t)idx * VIRTQ_DESC_SIZE, sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return virtq_fail(vq, EINVAL,
				    "indirect descriptor not negotiated");
			if (in_indirect)
				return virtq_fail(vq, EINVAL,
				    "indirect descriptor inside indirect");
			if (n != 0 || visited != 1 ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return virtq_fail(vq, EINVAL,
				    "indirect descriptor not alone in chain");
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE != 0)
				return virtq_fail(vq, EINVAL,
				    "bad indirect table length");
			if (d.len / VIRTQ_DESC_SIZE > VIRTQ_MAX_IOV)
				return virtq_fail(vq, E2BIG,
				    "indirect table too long");
			if ((table = mem_gpa2hva(vq->mem, d.addr, d.len)) ==
			    NULL)
				return virtq_fail(vq, EFAULT,
				    "indirect table outside guest RAM");
			tsize = d.len / VIRTQ_DESC_SIZE;
			in_indirect = 1;
			visited = 0;
			idx = 0;
			continue;
		}
		if (d.flags & VIRTQ_DESC_F_WRITE)
			writing = 1;
		else if (writing)
			return virtq_fail(vq, EINVAL,
			    "readable buffer after a writable one");
		if (d.len > 0) {
			if (n == VIRTQ_MAX_IOV)
				return virtq_fail(vq, E2BIG, "chain too long");
			if ((hva = mem_gpa2hva(vq->mem, d.addr, d.len)) == NULL)
				return virtq_fail(vq, EFAULT,
				    "buffer outside guest RAM");
			c->iov[n].iov_base = hva;
			c->iov[n].iov_len = d.len;
			n++;
			if (writing) {
				c->nwrite++;
				c->wlen += d.len;
			} else {
				c->nread++;
				c->rlen += d.len;
			}
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	vq->last_avail++;
	return 1;
}

void
virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

void
virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t		*e;
	uint32_t	 v[2];

	if (vq->size == 0)
		return;
	e = vq->used + 4 + 8 * (uint64_t)(vq->used_idx % vq->size);
	v[0] = head;
	v[1] = len;
	memcpy(e, v, sizeof(v));
	vq->used_idx++;
	/* The entry is visible before the index that publishes it. */
	virtq_store16(vq->used + 2, vq->used_idx);
}

int
virtq_need_interrupt(struct virtq *vq)
{
	uint16_t	ev, old;

	if (vq->size == 0)
		return 0;
	/* Our used index store before we read the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->signalled;
	if (vq->used_idx == old)
		return 0;
	if (vq->event_idx) {
		ev = virtq_load16(vq->avail + 4 + 2 * (uint64_t)vq->size);
		vq->signalled = vq->used_idx;
		return (uint16_t)(vq->used_idx - ev - 1) <
		    (uint16_t)(vq->used_idx - old);
	}
	vq->signalled = vq->used_idx;
	return !(virtq_load16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* virtq_copy: copy between buf and a part of the chain. */
static size_t
virtq_copy(const struct virtq_chain *c, int writable, size_t off,
    uint8_t *buf, size_t len, int to_chain)
{
	const struct iovec	*iov;
	size_t			 done = 0, n;
	int			 i, cnt;

	iov = writable ? c->iov + c->nread : c->iov;
	cnt = writable ? c->nwrite : c->nread;
	for (i = 0; i < cnt && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len - done)
			n = len - done;
		if (to_chain)
			memcpy((uint8_t *)iov[i].iov_base + off, buf + done, n);
		else
			memcpy(buf + done, (uint8_t *)iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t
virtq_read_buf(const struct virtq_chain *c, size_t off, void *buf, size_t len)
{
	return virtq_copy(c, 0, off, buf, len, 0);
}

size_t
virtq_write_buf(const struct virtq_chain *c, size_t off, const void *buf,
    size_t len)
{
	return virtq_copy(c, 1, off, (uint8_t *)(uintptr_t)buf, len, 1);
}

int
virtq_iov_slice(const struct virtq_chain *c, int writable, size_t off,
    size_t len, struct iovec *out, int max)
{
	const struct iovec	*iov;
	size_t			 n;
	int			 i, cnt, k = 0;

	iov = writable ? c->iov + c->nread : c->iov;
	cnt = writable ? c->nwrite : c->nread;
	for (i = 0; i < cnt && len > 0 && k < max; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len)
			n = len;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[k].iov_len = n;
		k++;
		len -= n;
		off = 0;
	}
	return k;
}
