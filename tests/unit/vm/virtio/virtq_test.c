/* SPDX-License-Identifier: ISC */
/* Unit tests for the split-ring walker: good chains, every bad kind, events. */
#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "unit/vm/virtio/ring.h"
#include "vm/mem.h"
#include "vm/virtio/virtq.h"

#define RAM		(16ULL << 20)
#define RING		0x10000ULL
#define BUF		0x100000ULL
#define FEAT_ALL	((1ULL << VIRTIO_F_EVENT_IDX) | \
			    (1ULL << VIRTIO_F_INDIRECT_DESC))

static struct mem		mem;
static struct virtq_chain	ch;

static void
setup(struct tring *tr, struct virtq *vq, uint16_t size, uint64_t feat)
{
	tr_init(tr, &mem, size, RING);
	if (virtq_init(vq, &mem, size, tr->desc, tr->avail, tr->used,
	    feat) == -1)
		tap_ok(0, "virtq_init: %s", vq->err);
}

/* bad: post a one-off chain built by fn and expect virtq_pop to fail. */
static void
expect_bad(const char *name, int want_errno, uint64_t feat,
    void (*fn)(struct tring *))
{
	struct tring	tr;
	struct virtq	vq;
	int		r;

	setup(&tr, &vq, 8, feat);
	fn(&tr);
	errno = 0;
	r = virtq_pop(&vq, &ch);
	tap_ok(r == -1 && errno == want_errno, "bad chain: %s (%s)", name,
	    r == -1 ? vq.err : "accepted");
}

static void
bad_outside(struct tring *tr)
{
	tr_desc(tr, 0, RAM - 8, 16, 0, 0);
	tr_post(tr, 0);
}

static void
bad_hole(struct tring *tr)
{
	tr_desc(tr, 0, 0xc0000000ULL, 512, TR_F_WRITE, 0);
	tr_post(tr, 0);
}

static void
bad_loop(struct tring *tr)
{
	tr_desc(tr, 0, BUF, 16, TR_F_NEXT, 1);
	tr_desc(tr, 1, BUF, 16, TR_F_NEXT, 2);
	tr_desc(tr, 2, BUF, 16, TR_F_NEXT, 0);
	tr_post(tr, 0);
}

static void
bad_selfloop_empty(struct tring *tr)
{
	tr_desc(tr, 3, BUF, 0, TR_F_NEXT, 3);
	tr_post(tr, 3);
}

static void
bad_next_range(struct tring *tr)
{
	tr_desc(tr, 0, BUF, 16, TR_F_NEXT, 8);
	tr_post(tr, 0);
}

static void
bad_head_range(struct tring *tr)
{
	tr_post(tr, 200);
}

static void
bad_order(struct tring *tr)
{
	tr_desc(tr, 0, BUF, 16, TR_F_WRITE | TR_F_NEXT, 1);
	tr_desc(tr, 1, BUF + 16, 16, 0, 0);
	tr_post(tr, 0);
}

static void
bad_avail_ahead(struct tring *tr)
{
	tr_w16(tr->mem, tr->avail + 2, 9);
}

static void
indirect_table(struct tring *tr, uint64_t table, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		tr_desc_at(tr->mem, table, (uint16_t)i, BUF + 64 * i, 64,
		    i + 1 < n ? TR_F_NEXT : TR_F_WRITE,
		    (uint16_t)(i + 1));
}

static void
bad_indirect_nofeat(struct tring *tr)
{
	indirect_table(tr, BUF + 0x10000, 2);
	tr_desc(tr, 0, BUF + 0x10000, 32, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_nested(struct tring *tr)
{
	tr_desc_at(tr->mem, BUF + 0x10000, 0, BUF + 0x20000, 32,
	    TR_F_INDIRECT, 0);
	tr_desc(tr, 0, BUF + 0x10000, 16, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_next(struct tring *tr)
{
	indirect_table(tr, BUF + 0x10000, 2);
	tr_desc(tr, 0, BUF + 0x10000, 32, TR_F_INDIRECT | TR_F_NEXT, 1);
	tr_desc(tr, 1, BUF, 16, TR_F_WRITE, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_len(struct tring *tr)
{
	tr_desc(tr, 0, BUF + 0x10000, 20, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_long(struct tring *tr)
{
	tr_desc(tr, 0, BUF + 0x10000, 16 * (VIRTQ_MAX_IOV + 1),
	    TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_outside(struct tring *tr)
{
	tr_desc(tr, 0, RAM - 16, 32, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_loop(struct tring *tr)
{
	tr_desc_at(tr->mem, BUF + 0x10000, 0, BUF, 16, TR_F_NEXT, 1);
	tr_desc_at(tr->mem, BUF + 0x10000, 1, BUF, 16, TR_F_NEXT, 0);
	tr_desc(tr, 0, BUF + 0x10000, 32, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
bad_indirect_not_head(struct tring *tr)
{
	indirect_table(tr, BUF + 0x10000, 2);
	tr_desc(tr, 0, BUF, 16, TR_F_NEXT, 1);
	tr_desc(tr, 1, BUF + 0x10000, 32, TR_F_INDIRECT, 0);
	tr_post(tr, 0);
}

static void
test_init(void)
{
	struct virtq	vq;

	tap_ok(virtq_init(&vq, &mem, 0, RING, RING + 0x1000, RING + 0x2000,
	    0) == -1 && errno == EINVAL, "size 0 refused");
	tap_ok(virtq_init(&vq, &mem, 6, RING, RING + 0x1000, RING + 0x2000,
	    0) == -1 && errno == EINVAL, "size 6 refused");
	tap_ok(virtq_init(&vq, &mem, 512, RING, RING + 0x2000, RING + 0x3000,
	    0) == -1 && errno == EINVAL, "size 512 refused");
	tap_ok(virtq_init(&vq, &mem, 8, RING + 8, RING + 0x1000,
	    RING + 0x2000, 0) == -1 && errno == EINVAL, "misaligned desc");
	tap_ok(virtq_init(&vq, &mem, 8, RING, RING + 0x1000,
	    RING + 0x2002, 0) == -1 && errno == EINVAL, "misaligned used");
	tap_ok(virtq_init(&vq, &mem, 256, RAM - 0x800, RING, RING + 0x1000,
	    0) == -1 && errno == EFAULT, "desc table past RAM");
	tap_ok(virtq_init(&vq, &mem, 8, RING, RING + 0x1000, 0xfee00000ULL,
	    0) == -1 && errno == EFAULT, "used ring in MMIO");
	tap_ok(virtq_init(&vq, &mem, 256, RING, RING + 0x1000, RING + 0x2000,
	    FEAT_ALL) == 0 && vq.event_idx && vq.indirect, "size 256 ok");
	tap_ok(virtq_pop(&vq, &ch) == 0, "empty ring pops nothing");
	virtq_reset(&vq);
	tap_ok(virtq_pop(&vq, &ch) == -1, "reset queue refuses pop");
}

static void
test_good(void)
{
	struct tring	tr;
	struct virtq	vq;
	uint32_t	id, len;
	uint8_t		buf[64];
	struct iovec	sl[4];
	int		n;

	setup(&tr, &vq, 8, 0);
	mem_write(&mem, BUF, "hello, ", 7);
	mem_write(&mem, BUF + 0x100, "world", 5);
	tr_desc(&tr, 5, BUF, 7, TR_F_NEXT, 2);
	tr_desc(&tr, 2, BUF + 0x100, 5, TR_F_NEXT, 7);
	tr_desc(&tr, 7, BUF + 0x200, 0, TR_F_NEXT | TR_F_WRITE, 1);
	tr_desc(&tr, 1, BUF + 0x300, 100, TR_F_WRITE, 0);
	tr_post(&tr, 5);
	tap_is(virtq_pop(&vq, &ch), 1, "good chain popped");
	tap_is(ch.head, 5, "head");
	tap_is(ch.nread, 2, "two readable buffers");
	tap_is(ch.nwrite, 1, "one writable buffer (empty one skipped)");
	tap_is(ch.rlen, 12, "readable length");
	tap_is(ch.wlen, 100, "writable length");
	memset(buf, 0, sizeof(buf));
	tap_is(virtq_read_buf(&ch, 3, buf, sizeof(buf)), 9, "read_buf short");
	tap_ok(memcmp(buf, "lo, world", 9) == 0, "read_buf across iovs");
	tap_is(virtq_write_buf(&ch, 98, "abcd", 4), 2, "write_buf clipped");
	mem_read(&mem, BUF + 0x300 + 98, buf, 2);
	tap_ok(memcmp(buf, "ab", 2) == 0, "write_buf lands in guest RAM");
	n = virtq_iov_slice(&ch, 0, 5, 4, sl, 4);
	tap_ok(n == 2 && sl[0].iov_len == 2 && sl[1].iov_len == 2 &&
	    memcmp(sl[1].iov_base, "wo", 2) == 0, "iov slice");
	tap_is(virtq_pop(&vq, &ch), 0, "nothing more");
	virtq_push(&vq, 5, 42);
	tap_ok(tr_get_used(&tr, &id, &len) && id == 5 && len == 42,
	    "used entry id 5 len 42");
	tap_ok(virtq_need_interrupt(&vq), "interrupt wanted (no flags)");
	tap_ok(!virtq_need_interrupt(&vq), "no interrupt for nothing new");
	/* NO_INTERRUPT honoured without event index. */
	tr_w16(&mem, tr.avail, 1);
	tr_desc(&tr, 0, BUF, 8, 0, 0);
	tr_post(&tr, 0);
	tap_is(virtq_pop(&vq, &ch), 1, "second chain");
	virtq_push(&vq, 0, 0);
	tap_ok(!virtq_need_interrupt(&vq), "NO_INTERRUPT suppresses");
}

static void
test_indirect(void)
{
	struct tring	tr;
	struct virtq	vq;

	setup(&tr, &vq, 8, FEAT_ALL);
	indirect_table(&tr, BUF + 0x10000, 5);
	tr_desc(&tr, 3, BUF + 0x10000, 5 * 16, TR_F_INDIRECT, 0);
	tr_post(&tr, 3);
	tap_is(virtq_pop(&vq, &ch), 1, "indirect chain popped");
	tap_ok(ch.head == 3 && ch.nread == 4 && ch.nwrite == 1 &&
	    ch.rlen == 256 && ch.wlen == 64, "indirect: 4 readable, 1 "
	    "writable");
	tap_ok(ch.iov[4].iov_base == mem_gpa2hva(&mem, BUF + 256, 64),
	    "indirect iov addresses");
	/* The longest allowed table. */
	indirect_table(&tr, BUF + 0x10000, VIRTQ_MAX_IOV);
	tr_desc(&tr, 4, BUF + 0x10000, 16 * VIRTQ_MAX_IOV, TR_F_INDIRECT, 0);
	tr_post(&tr, 4);
	tap_ok(virtq_pop(&vq, &ch) == 1 && ch.nread + ch.nwrite ==
	    VIRTQ_MAX_IOV, "indirect table of %d", VIRTQ_MAX_IOV);
}

static void
test_event_idx(void)
{
	struct tring	tr;
	struct virtq	vq;
	int		i, irqs = 0;

	setup(&tr, &vq, 8, FEAT_ALL);
	tap_is(virtq_pop(&vq, &ch), 0, "empty");
	tap_is(tr_avail_event(&tr), 0, "avail_event asks for entry 0");
	for (i = 0; i < 3; i++) {
		tr_desc(&tr, (uint16_t)i, BUF, 8, 0, 0);
		tr_post(&tr, (uint16_t)i);
	}
	while (virtq_pop(&vq, &ch) == 1)
		virtq_push(&vq, ch.head, 0);
	tap_is(tr_avail_event(&tr), 3, "avail_event follows last_avail");
	/* Driver wants an interrupt only once used idx passes 5. */
	tr_set_used_event(&tr, 4);
	tap_ok(!virtq_need_interrupt(&vq), "used_event 4: none at 3");
	for (i = 0; i < 3; i++) {
		tr_desc(&tr, (uint16_t)i, BUF, 8, 0, 0);
		tr_post(&tr, (uint16_t)i);
	}
	for (i = 0; i < 3; i++) {
		if (virtq_pop(&vq, &ch) != 1)
			break;
		virtq_push(&vq, ch.head, 0);
		irqs += virtq_need_interrupt(&vq);
	}
	tap_is(irqs, 1, "exactly one interrupt crossing used_event");
	/* Wrap the 16-bit indexes on a small ring. */
	irqs = 0;
	tr_set_used_event(&tr, 0xffff);
	for (i = 0; i < 70000; i++) {
		tr_desc(&tr, (uint16_t)(i % 8), BUF, 8, 0, 0);
		tr_post(&tr, (uint16_t)(i % 8));
		if (virtq_pop(&vq, &ch) != 1)
			break;
		virtq_push(&vq, ch.head, 0);
		tr_set_used_event(&tr, vq.used_idx - 1);
		irqs += virtq_need_interrupt(&vq);
	}
	tap_ok(i == 70000 && irqs == 70000, "70000 chains across index "
	    "wrap, one interrupt each (%d, %d)", i, irqs);
}

/*
 * driver_kicks: whether a driver that just moved its avail index from
 * old to tr->avail_idx kicks: avail_event crossed (event index, 2.7.10)
 * or VIRTQ_USED_F_NO_NOTIFY clear.
 */
static int
driver_kicks(struct tring *tr, int event_idx, uint16_t old)
{
	uint16_t	newi = tr->avail_idx, ev;

	if (event_idx) {
		ev = tr_avail_event(tr);
		return (uint16_t)(newi - ev - 1) < (uint16_t)(newi - old);
	}
	return !(tr_r16(tr->mem, tr->used) & 1);
}

/* post1: make one chain available; 1 if the driver would kick for it. */
static int
post1(struct tring *tr, int event_idx)
{
	uint16_t	old = tr->avail_idx, d = (uint16_t)(old % tr->size);

	tr_desc(tr, d, BUF, 8, 0, 0);
	tr_post(tr, d);
	return driver_kicks(tr, event_idx, old);
}

static void
test_notify(void)
{
	struct tring	tr;
	struct virtq	vq;
	const char	*m;
	uint16_t	l0;
	int		ev, i, kicks, ok;

	memset(&vq, 0, sizeof(vq));
	tap_is(virtq_notify(&vq, 1), 0, "notify on a queue not set up: 0");
	for (ev = 0; ev < 2; ev++) {
		m = ev ? "notify, event index" : "notify, flags";
		setup(&tr, &vq, 8, ev ? FEAT_ALL : 0);
		tap_ok(post1(&tr, ev), "%s: kicks wanted at first", m);
		tap_ok(virtq_pop(&vq, &ch) == 1, "%s: popped", m);
		virtq_push(&vq, ch.head, 0);
		l0 = vq.last_avail;

		tap_is(virtq_notify(&vq, 0), 0, "%s: off returns 0", m);
		tap_ok(vq.nonotify, "%s: off recorded", m);
		if (ev)
			tap_is(tr_avail_event(&tr), (uint16_t)(l0 - 1),
			    "%s: off: avail_event one behind last_avail", m);
		else
			tap_is(tr_r16(&mem, tr.used) & 1, 1,
			    "%s: off: VIRTQ_USED_F_NO_NOTIFY set", m);
		tap_ok(!virtq_avail_moved(vq.avail, vq.last_avail),
		    "%s: avail not moved yet", m);
		for (kicks = 0, i = 0; i < 3; i++)
			kicks += post1(&tr, ev);
		tap_is(kicks, 0, "%s: 3 chains posted while off: no kick", m);
		tap_ok(virtq_avail_moved(vq.avail, vq.last_avail),
		    "%s: avail_moved sees them", m);
		tap_ok(!virtq_avail_moved(vq.avail, tr.avail_idx),
		    "%s: avail_moved: not past the driver's index", m);
		for (i = 0; i < 3 && virtq_pop(&vq, &ch) == 1; i++)
			virtq_push(&vq, ch.head, 0);
		tap_is(i, 3, "%s: all 3 popped while off", m);
		tap_is(virtq_pop(&vq, &ch), 0, "%s: ring dry", m);
		if (ev)
			tap_is(tr_avail_event(&tr), (uint16_t)(l0 - 1),
			    "%s: running dry while off does not re-arm", m);
		tap_ok(!post1(&tr, ev), "%s: still no kick after the ring ran "
		    "dry", m);

		/* Posted in between: the re-check on re-enabling sees it. */
		tap_is(virtq_notify(&vq, 1), 1, "%s: on: sees the chain posted "
		    "while off", m);
		tap_ok(!vq.nonotify, "%s: on recorded", m);
		if (ev)
			tap_is(tr_avail_event(&tr), vq.last_avail,
			    "%s: on: avail_event at last_avail", m);
		else
			tap_is(tr_r16(&mem, tr.used) & 1, 0,
			    "%s: on: VIRTQ_USED_F_NO_NOTIFY clear", m);
		tap_is(virtq_pop(&vq, &ch), 1, "%s: and pops it", m);
		virtq_push(&vq, ch.head, 0);
		tap_is(virtq_pop(&vq, &ch), 0, "%s: ring dry again", m);
		tap_ok(post1(&tr, ev), "%s: the next chain is kicked", m);
		tap_is(virtq_pop(&vq, &ch), 1, "%s: popped", m);
		virtq_push(&vq, ch.head, 0);

		/* Off, nothing comes, on: 0, and the next one is kicked. */
		(void)virtq_notify(&vq, 0);
		tap_is(virtq_notify(&vq, 1), 0, "%s: on with nothing new: 0",
		    m);
		tap_ok(post1(&tr, ev), "%s: then a chain is kicked", m);
		tap_is(virtq_pop(&vq, &ch), 1, "%s: popped", m);
		virtq_push(&vq, ch.head, 0);
		tap_is(virtq_pop(&vq, &ch), 0, "%s: dry (re-arms)", m);

		/*
		 * Across the 16-bit wrap: every chain is either kicked or
		 * seen by the re-check when kicks come back on, never lost.
		 */
		for (ok = 1, i = 0; ok && i < 70000; i++) {
			if (i % 2 == 0) {
				ok = post1(&tr, ev) && virtq_pop(&vq, &ch) == 1;
			} else {
				(void)virtq_notify(&vq, 0);
				ok = !post1(&tr, ev);
				/* re-enabled before the device looked ... */
				if (ok && i % 4 == 1)
					ok = virtq_notify(&vq, 1) == 1 &&
					    virtq_pop(&vq, &ch) == 1;
				/* ... or found by polling first */
				else if (ok)
					ok = virtq_pop(&vq, &ch) == 1 &&
					    virtq_notify(&vq, 1) == 0;
			}
			if (ok) {
				virtq_push(&vq, ch.head, 0);
				ok = virtq_pop(&vq, &ch) == 0;
			}
			if (!ok)
				break;
		}
		tap_ok(ok && i == 70000, "%s: 70000 chains across the index "
		    "wrap, each kicked or seen on re-enabling (%d)", m, i);
	}
	/* Off at last_avail 0: avail_event wraps to 0xffff. */
	setup(&tr, &vq, 8, FEAT_ALL);
	(void)virtq_notify(&vq, 0);
	tap_is(tr_avail_event(&tr), 0xffff, "notify off at index 0: "
	    "avail_event 0xffff");
	tap_ok(!post1(&tr, 1), "notify off at index 0: no kick");
	tap_is(virtq_notify(&vq, 1), 1, "notify on at index 0: sees it");
}

int
main(void)
{
	if (mem_init(&mem, RAM) == -1) {
		tap_ok(0, "mem_init");
		return tap_done();
	}
	test_init();
	test_good();
	test_indirect();
	test_event_idx();
	test_notify();
	expect_bad("buffer past end of RAM", EFAULT, 0, bad_outside);
	expect_bad("buffer in the PCI hole", EFAULT, 0, bad_hole);
	expect_bad("loop", ELOOP, 0, bad_loop);
	expect_bad("empty self loop", ELOOP, 0, bad_selfloop_empty);
	expect_bad("next out of range", EINVAL, 0, bad_next_range);
	expect_bad("head out of range", EINVAL, 0, bad_head_range);
	expect_bad("readable after writable", EINVAL, 0, bad_order);
	expect_bad("avail index ran ahead", EINVAL, 0, bad_avail_ahead);
	expect_bad("indirect not negotiated", EINVAL, 0, bad_indirect_nofeat);
	expect_bad("indirect inside indirect", EINVAL, FEAT_ALL,
	    bad_indirect_nested);
	expect_bad("indirect with next", EINVAL, FEAT_ALL, bad_indirect_next);
	expect_bad("indirect bad length", EINVAL, FEAT_ALL, bad_indirect_len);
	expect_bad("indirect too long", E2BIG, FEAT_ALL, bad_indirect_long);
	expect_bad("indirect outside RAM", EFAULT, FEAT_ALL,
	    bad_indirect_outside);
	expect_bad("indirect loop", ELOOP, FEAT_ALL, bad_indirect_loop);
	expect_bad("indirect after a direct one", EINVAL, FEAT_ALL,
	    bad_indirect_not_head);
	mem_free(&mem);
	return tap_done();
}
