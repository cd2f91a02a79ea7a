/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for virtio-blk on O_DIRECT images: a raw file on the real
 * disk (whatever block size its device has, usually 512) and, as root, a
 * loop device of 4 KiB logical blocks over a file, so the device probes
 * 4096 and must read-modify-write partial blocks. Guest buffers at odd
 * addresses, ranges and buffers 512- but not 4096-aligned, requests split
 * over many descriptors at odd boundaries, more than one bounce buffer
 * long, concurrent partial writes into one block, discard and
 * write-zeroes. Every write is checked against a model of the image read
 * with plain pread, every read against the model in guest RAM, with the
 * bytes around each guest buffer left alone. Parts skip when O_DIRECT or
 * loop devices are not to be had.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/virtio/virtio.h"

#define IMG		(8ULL << 20)
#define NSECT		(IMG / 512)
#define RINGS		0x10000ULL	/* disk k's ring: RINGS + k * 0x10000 */
#define QSIZE		256
#define HDRS		0x100000ULL	/* 64 bytes per request slot */
#define STATS		0x110000ULL	/* 16 bytes per request slot */
#define BUF		0x200000ULL	/* guest data buffers ... */
#define BUFEND		0xf00000ULL	/* ... up to here */
#define GUARD		16
#define JUNK		0xa5
#define MAXSEG		16

struct tdisk {
	const char		*name;
	struct virtio_pci	*vp;
	struct tring		 tr;
	int			 fd;		/* O_DIRECT: the device's */
	int			 cmp;		/* plain: to check the image */
	uint64_t		 align;		/* blk_size the device reports */
	int			 event_idx;	/* negotiated */
	int			 honest;	/* kick only when asked to */
};

struct seg {
	uint64_t	gpa;
	uint32_t	len;
};

/* One request: header, data segments, status, as the driver lays them. */
struct rq {
	uint32_t	type;
	uint64_t	sector;
	int		nseg;
	struct seg	seg[MAXSEG];
	int		hsplit;	/* header in two descriptors: this, 16 - this */
	int		hjoin;	/* header and seg[0] in one descriptor (OUT) */
	int		sjoin;	/* status behind the last segment (IN) */
	uint64_t	hdr, status;	/* set by rq_post */
	uint16_t	head;
};

static struct vm	vm;
static uint8_t		model[IMG], image[IMG];
static uint64_t		rnd_state = 0x9e3779b97f4a7c15ULL;

static uint8_t
rnd8(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint8_t)(rnd_state >> 24);
}

static void
fill_rnd(uint8_t *p, size_t n)
{
	while (n-- > 0)
		*p++ = rnd8();
}

static uint32_t
rq_dlen(const struct rq *r)
{
	uint32_t	n = 0;
	int		k;

	for (k = 0; k < r->nseg; k++)
		n += r->seg[k].len;
	return n;
}

/*
 * rq_segs: n data segments of the given lengths, each mis[k] bytes past
 * a page boundary, apart from each other and from their guards.
 */
static void
rq_segs(struct rq *r, int n, const uint32_t *len, const uint32_t *mis)
{
	uint64_t	cur = BUF;
	int		k;

	r->nseg = n;
	for (k = 0; k < n; k++) {
		cur = ((cur + 2 * GUARD + 4095) & ~4095ULL) + mis[k];
		r->seg[k].gpa = cur;
		r->seg[k].len = len[k];
		cur += len[k] + 2 * GUARD;
	}
	if (cur >= BUFEND)
		abort();
}

/* rq_post: lay out r's descriptors from *next on and make it available. */
static void
rq_post(struct tdisk *d, struct rq *r, int slot, uint16_t *next)
{
	uint64_t	ga[MAXSEG + 3];
	uint32_t	gl[MAXSEG + 3];
	uint16_t	gf[MAXSEG + 3], w;
	uint8_t		hdr[16], st = 0xee;
	int		n = 0, k = 0, j;

	w = r->type == 0 ? TR_F_WRITE : 0;
	r->hdr = r->hjoin ? r->seg[0].gpa - 16 : HDRS + 64ULL * slot + 3;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &r->type, 4);
	memcpy(hdr + 8, &r->sector, 8);
	mem_write(&vm.mem, r->hdr, hdr, sizeof(hdr));
	if (r->hjoin) {
		ga[n] = r->hdr;
		gl[n] = 16 + r->seg[0].len;
		gf[n++] = 0;
		k = 1;
	} else if (r->hsplit) {
		ga[n] = r->hdr;
		gl[n] = (uint32_t)r->hsplit;
		gf[n++] = 0;
		ga[n] = r->hdr + (uint64_t)r->hsplit;
		gl[n] = 16 - (uint32_t)r->hsplit;
		gf[n++] = 0;
	} else {
		ga[n] = r->hdr;
		gl[n] = 16;
		gf[n++] = 0;
	}
	for (; k < r->nseg; k++) {
		ga[n] = r->seg[k].gpa;
		gl[n] = r->seg[k].len;
		gf[n++] = w;
	}
	if (r->sjoin) {
		r->status = r->seg[r->nseg - 1].gpa + r->seg[r->nseg - 1].len;
		gl[n - 1]++;
	} else {
		r->status = STATS + 16ULL * slot + 7;
		ga[n] = r->status;
		gl[n] = 1;
		gf[n++] = TR_F_WRITE;
	}
	mem_write(&vm.mem, r->status, &st, 1);
	for (j = 0; j < n; j++)
		tr_desc(&d->tr, (uint16_t)(*next + j), ga[j], gl[j],
		    (uint16_t)(gf[j] | (j + 1 < n ? TR_F_NEXT : 0)),
		    (uint16_t)(*next + j + 1));
	r->head = *next;
	*next = (uint16_t)(*next + n);
	tr_post(&d->tr, r->head);
}

/*
 * kick: what a driver does after making chains available: kick, or
 * (honest) kick only when the device asked for it: avail_event crossed
 * (event index) or no VIRTQ_USED_F_NO_NOTIFY.
 */
static void
kick(struct tdisk *d, uint16_t old)
{
	uint16_t	newi = d->tr.avail_idx, ev;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->honest) {
		if (d->event_idx) {
			ev = tr_avail_event(&d->tr);
			if (!((uint16_t)(newi - ev - 1) <
			    (uint16_t)(newi - old)))
				return;
		} else if (tr_r16(&vm.mem, d->tr.used) & 1)
			return;
	}
	vt_kick(&vm, d->vp, 0);
}

/* rq_run: post the n requests of r together; 1 if all completed. */
static int
rq_run(struct tdisk *d, struct rq *r, int n, uint32_t *used)
{
	uint32_t	id, len;
	uint16_t	next = 0, old = d->tr.avail_idx;
	int		i, k;

	for (i = 0; i < n; i++)
		rq_post(d, &r[i], i, &next);
	kick(d, old);
	for (k = 0; k < n; k++) {
		if (!vt_wait_used(&vm, &d->tr, &id, &len))
			return 0;
		for (i = 0; i < n && r[i].head != id; i++)
			;
		if (i == n)
			return 0;
		used[i] = len;
	}
	return 1;
}

static uint8_t
rq_status(const struct rq *r)
{
	uint8_t	st = 0xee;

	mem_read(&vm.mem, r->status, &st, 1);
	return st;
}

/* image_ok: the image, read plainly, is the model. */
static int
image_ok(struct tdisk *d)
{
	size_t	i;

	if (pread(d->cmp, image, IMG, 0) != (ssize_t)IMG)
		return 0;
	if (memcmp(image, model, IMG) == 0)
		return 1;
	for (i = 0; i < IMG && image[i] == model[i]; i++)
		;
	printf("# %s: image differs from byte %zu (sector %zu): 0x%02x, "
	    "want 0x%02x\n", d->name, i, i / 512, image[i], model[i]);
	return 0;
}

/* wr_prep: fresh data in r's segments, into the model too. */
static void
wr_prep(struct rq *r)
{
	static uint8_t	tmp[IMG + 2 * GUARD];
	uint64_t	off = r->sector * 512;
	int		k;

	for (k = 0; k < r->nseg; k++) {
		fill_rnd(tmp, r->seg[k].len);
		mem_write(&vm.mem, r->seg[k].gpa, tmp, r->seg[k].len);
		memcpy(model + off, tmp, r->seg[k].len);
		off += r->seg[k].len;
	}
}

/* wr: one write of fresh data; status OK, used 1, image as modelled. */
static void
wr(struct tdisk *d, struct rq *r, const char *what)
{
	uint32_t	used = 0;
	int		ok;

	r->type = 1;
	wr_prep(r);
	ok = rq_run(d, r, 1, &used);
	tap_ok(ok && rq_status(r) == 0 && used == 1, "%s: write %s: OK "
	    "(status %d, used %u)", d->name, what, rq_status(r), used);
	tap_ok(image_ok(d), "%s: write %s: the image holds it", d->name,
	    what);
}

/* rd_prep: junk in r's segments and their guards. */
static void
rd_prep(struct rq *r)
{
	static uint8_t	junk[IMG + 2 * GUARD];
	int		k;

	memset(junk, JUNK, sizeof(junk));
	for (k = 0; k < r->nseg; k++)
		mem_write(&vm.mem, r->seg[k].gpa - GUARD, junk,
		    r->seg[k].len + 2 * GUARD);
}

/* rd_check: r's segments hold the model's bytes, guards untouched. */
static int
rd_check(struct rq *r)
{
	static uint8_t	got[IMG + 2 * GUARD];
	uint64_t	off = r->sector * 512;
	uint32_t	i, n;
	int		k;

	for (k = 0; k < r->nseg; k++) {
		n = r->seg[k].len + 2 * GUARD;
		mem_read(&vm.mem, r->seg[k].gpa - GUARD, got, n);
		if (memcmp(got + GUARD, model + off, r->seg[k].len) != 0) {
			for (i = 0; got[GUARD + i] == model[off + i]; i++)
				;
			printf("# segment %d differs at byte %u\n", k, i);
			return 0;
		}
		for (i = 0; i < GUARD; i++) {
			if (got[i] != JUNK || (got[n - 1 - i] != JUNK &&
			    !(r->sjoin && k == r->nseg - 1 &&
			    i == GUARD - 1))) {
				printf("# segment %d: guard byte hit\n", k);
				return 0;
			}
		}
		off += r->seg[k].len;
	}
	return 1;
}

/* rd: one read; status OK, used data + 1, guest bytes as modelled. */
static void
rd(struct tdisk *d, struct rq *r, const char *what)
{
	uint32_t	used = 0;
	int		ok;

	r->type = 0;
	rd_prep(r);
	ok = rq_run(d, r, 1, &used);
	tap_ok(ok && rq_status(r) == 0 && used == rq_dlen(r) + 1,
	    "%s: read %s: OK (status %d, used %u)", d->name, what,
	    rq_status(r), used);
	tap_ok(rd_check(r), "%s: read %s: the right bytes, nothing around "
	    "them", d->name, what);
}

static void
one(struct rq *r, uint64_t sector, uint32_t len, uint32_t mis)
{
	memset(r, 0, sizeof(*r));
	r->sector = sector;
	rq_segs(r, 1, &len, &mis);
}

static void
many(struct rq *r, uint64_t sector, int n, const uint32_t *len,
    const uint32_t *mis)
{
	memset(r, 0, sizeof(*r));
	r->sector = sector;
	rq_segs(r, n, len, mis);
}

static void
start(struct tdisk *d, int k, int event_idx)
{
	uint64_t	cc = VT_CC(d->vp), feat;

	vt_wr(&vm, cc, 4, 0);
	feat = vt_rd(&vm, cc + 4, 4);
	vt_wr(&vm, cc, 4, 1);
	feat |= vt_rd(&vm, cc + 4, 4) << 32;
	if (!event_idx)
		feat &= ~(1ULL << VIRTIO_F_EVENT_IDX);
	d->event_idx = !!(feat & (1ULL << VIRTIO_F_EVENT_IDX));
	vt_negotiate(&vm, d->vp, feat);
	tr_init(&d->tr, &vm.mem, QSIZE, RINGS + 0x10000ULL * (uint64_t)k);
	vt_setup_queue(&vm, d->vp, 0, &d->tr, 0xffff);
	vt_driver_ok(&vm, d->vp);
}

/* attach: fill the image with random bytes, open the device on dfd. */
static int
attach(struct tdisk *d, int k, int dfd, int cmpw)
{
	uint64_t	devcfg;

	fill_rnd(model, IMG);
	if (pwrite(cmpw, model, IMG, 0) != (ssize_t)IMG || fsync(cmpw) == -1)
		abort();
	d->fd = dfd;
	if ((d->vp = virtio_blk_add(&vm, fakevm_disk(dup(dfd), 0), NULL,
	    10 + k)) == NULL) {
		tap_ok(0, "%s: virtio_blk_add", d->name);
		return -1;
	}
	d->vp->msi = vt_msi_hook;
	start(d, k, 1);
	devcfg = d->vp->pci.bars[0].addr + VIRTIO_PCI_DEVCFG_OFF;
	tap_is(vt_rd(&vm, devcfg, 8), NSECT, "%s: capacity", d->name);
	d->align = vt_rd(&vm, devcfg + 20, 4);
	return 0;
}

/* probe_ok: O_DIRECT takes align-sized reads and no smaller ones. */
static int
probe_ok(int fd, uint64_t align)
{
	void	*p;
	int	 ok;

	if (posix_memalign(&p, 4096, 4096) != 0)
		abort();
	ok = align >= 512 && align <= 4096 &&
	    pread(fd, p, align, 0) == (ssize_t)align;
	if (ok && align > 512) {
		errno = 0;
		ok = pread(fd, p, align / 2, 0) == -1 && errno == EINVAL;
	}
	free(p);
	return ok;
}

static void
rw_tests(struct tdisk *d)
{
	struct rq	r;
	uint32_t	len[MAXSEG], mis[MAXSEG];

	tap_ok(probe_ok(d->fd, d->align), "%s: blk_size %llu is the "
	    "smallest O_DIRECT block", d->name, (unsigned long long)d->align);

	one(&r, 8, 4096, 0);
	wr(d, &r, "aligned 4 KiB at sector 8");
	one(&r, 8, 4096, 0);
	rd(d, &r, "aligned 4 KiB at sector 8");

	one(&r, 5, 1536, 1);
	wr(d, &r, "3 sectors at 5 from an odd address");
	one(&r, 5, 1536, 3);
	rd(d, &r, "3 sectors at 5 to an odd address");
	one(&r, 4, 2048, 4095);
	rd(d, &r, "4 sectors at 4 to address 4095 mod 4096");

	one(&r, 3, 1024, 512);
	wr(d, &r, "2 sectors at 3 from a 512-aligned buffer");
	one(&r, 2, 2048, 1536);
	rd(d, &r, "4 sectors at 2 to a 512-aligned buffer");
	one(&r, 16, 4096, 512);
	wr(d, &r, "aligned range from a 512-aligned buffer");
	one(&r, 16, 4096, 2560);
	rd(d, &r, "aligned range to a 512-aligned buffer");
	one(&r, 33, 512, 0);
	wr(d, &r, "1 sector at 33 from an aligned buffer");
	one(&r, 39, 512, 0);
	wr(d, &r, "1 sector at 39 (a block's last) from an aligned buffer");
	one(&r, 32, 4096, 0);
	rd(d, &r, "the block around them");

	/* Descriptors of odd lengths at odd places. */
	len[0] = 1; len[1] = 1000; len[2] = 511; len[3] = 536;
	mis[0] = 1; mis[1] = 7; mis[2] = 4000; mis[3] = 2049;
	many(&r, 11, 4, len, mis);
	wr(d, &r, "4 sectors at 11 in pieces of 1, 1000, 511, 536");
	len[0] = 7; len[1] = 2041;
	mis[0] = 5; mis[1] = 512;
	many(&r, 11, 2, len, mis);
	rd(d, &r, "them in pieces of 7, 2041");
	len[0] = 513; len[1] = 511; len[2] = 1; len[3] = 4095; len[4] = 1024;
	mis[0] = 511; mis[1] = 0; mis[2] = 17; mis[3] = 1; mis[4] = 2048;
	many(&r, 9, 5, len, mis);
	rd(d, &r, "12 sectors at 9 in pieces of 513, 511, 1, 4095, 1024");
	len[0] = 4096; len[1] = 4096; len[2] = 512; len[3] = 3584;
	mis[0] = 512; mis[1] = 0; mis[2] = 3584; mis[3] = 512;
	many(&r, 41, 4, len, mis);
	wr(d, &r, "24 sectors at 41 in 512-aligned pieces");
	many(&r, 41, 4, len, mis);
	rd(d, &r, "24 sectors at 41 in 512-aligned pieces");

	/* Buffers at aligned addresses, lengths not whole blocks. */
	len[0] = 1000; len[1] = 1048; mis[0] = 0; mis[1] = 0;
	many(&r, 24, 2, len, mis);
	wr(d, &r, "aligned buffers of 1000 and 1048 bytes");
	len[0] = 1536; len[1] = 2560;
	many(&r, 24, 2, len, mis);
	wr(d, &r, "a block from aligned buffers of 1536 and 2560 bytes");
	many(&r, 24, 2, len, mis);
	rd(d, &r, "a block to aligned buffers of 1536 and 2560 bytes");
	len[0] = 4095; len[1] = 1; len[2] = 4096;
	mis[2] = 0;
	many(&r, 48, 3, len, mis);
	wr(d, &r, "2 blocks from aligned buffers of 4095, 1, 4096 bytes");

	/* Header and status where the descriptors put them. */
	one(&r, 70, 1024, 9);
	r.hsplit = 5;
	wr(d, &r, "header split 5 + 11");
	memset(&r, 0, sizeof(r));
	r.hjoin = 1;
	r.sector = 75;
	len[0] = 700; len[1] = 324; mis[0] = 100; mis[1] = 33;
	rq_segs(&r, 2, len, mis);
	wr(d, &r, "header and data in one descriptor");
	len[0] = 1500; len[1] = 2084; mis[0] = 3; mis[1] = 0;
	many(&r, 69, 2, len, mis);
	r.sjoin = 1;
	r.hsplit = 1;
	rd(d, &r, "data and status in one descriptor");

	/* Longer than the bounce buffer. */
	one(&r, 1, (2U << 20) + 1024, 1);
	wr(d, &r, "2 MiB + 2 sectors at 1 from an odd address");
	len[0] = (1U << 20) + 3; len[1] = (1U << 20) + 1021;
	mis[0] = 0; mis[1] = 2;
	many(&r, 1, 2, len, mis);
	rd(d, &r, "it back in two odd pieces");
	len[0] = (1U << 20) - 512; len[1] = 3 * 512; len[2] = 1U << 20;
	mis[0] = 512; mis[1] = 1; mis[2] = 0;
	many(&r, 4097, 3, len, mis);
	wr(d, &r, "2 MiB + 2 sectors at 4097 in three pieces");
	one(&r, 4096, 3U << 20, 0);
	rd(d, &r, "3 MiB at 4096, aligned");
	one(&r, 4100, 3U << 20, 511);
	rd(d, &r, "3 MiB at 4100 to an odd address");

	/* The disk's end. */
	one(&r, NSECT - 1, 512, 1);
	wr(d, &r, "the last sector");
	one(&r, NSECT - 3, 1536, 0);
	wr(d, &r, "the last 3 sectors, aligned buffer");
	one(&r, NSECT - 8, 4096, 77);
	rd(d, &r, "the last 8 sectors");
	{
		uint32_t	used = 0;

		one(&r, NSECT - 1, 1024, 1);
		r.type = 1;
		tap_ok(rq_run(d, &r, 1, &used) && rq_status(&r) == 1,
		    "%s: write past the end: IOERR", d->name);
	}
	tap_ok(image_ok(d), "%s: a refused write changes nothing", d->name);
	one(&r, 0, IMG, 1);
	rd(d, &r, "the whole disk to an odd address");
}

/*
 * Concurrent partial-block writes: 8 one-sector writes into the same
 * 4 KiB block, posted together, served by the pool at once, and (zeros)
 * every other one a write-zeroes or discard instead. Any
 * read-modify-write not excluding the others loses sectors.
 */
static void
concurrent_tests(struct tdisk *d, int zeros)
{
	struct rq	r[16];
	uint8_t		seg[16];
	uint64_t	sector;
	uint32_t	used[16], len, mis, one_sector = 1, flags;
	int		round, i, ok = 1, bad = 0;

	for (round = 0; round < 40 && ok; round++) {
		for (i = 0; i < 8; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].type = 1;
			r[i].sector = 8ULL * (uint64_t)(200 + 40 * zeros +
			    round) + (uint64_t)((i * 5) % 8);
			len = 512;
			mis = (uint32_t)(i & 1 ? 512 : 1);
			if (zeros && (i & 1)) {
				/* one segment: sector, 1, flags */
				r[i].type = i & 2 ? 13 : 11;
				sector = r[i].sector;
				r[i].sector = 0;
				flags = r[i].type == 13 && (i & 4) ? 1 : 0;
				len = 16;
				rq_segs(&r[i], 1, &len, &mis);
				r[i].seg[0].gpa += 0x2000ULL * (uint64_t)i;
				memcpy(seg, &sector, 8);
				memcpy(seg + 8, &one_sector, 4);
				memcpy(seg + 12, &flags, 4);
				mem_write(&vm.mem, r[i].seg[0].gpa, seg, 16);
				memset(model + sector * 512, 0, 512);
				continue;
			}
			rq_segs(&r[i], 1, &len, &mis);
			/* rq_segs starts at BUF: spread the buffers. */
			r[i].seg[0].gpa += 0x2000ULL * (uint64_t)i;
			wr_prep(&r[i]);
		}
		/* ... and reads of the block, between them. */
		for (i = 8; i < 12; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].sector = 8ULL * (uint64_t)(200 + round);
			len = 4096;
			mis = 3;
			rq_segs(&r[i], 1, &len, &mis);
			r[i].seg[0].gpa += 0x2000ULL * (uint64_t)i;
		}
		ok = rq_run(d, r, 12, used);
		for (i = 0; ok && i < 12; i++)
			if (rq_status(&r[i]) != 0)
				ok = 0;
		if (!image_ok(d))
			bad++;
	}
	tap_ok(ok, "%s: 40 rounds of 8 concurrent one-sector %s into "
	    "one block, with reads: all OK", d->name,
	    zeros ? "writes, write-zeroes and discards" : "writes");
	tap_is(bad, 0, "%s: no sector lost to a concurrent "
	    "read-modify-write%s", d->name, zeros ? " (with zeroing)" : "");
}

/* zero: one discard (11) or write-zeroes (13) of n segments. */
static void
zero(struct tdisk *d, uint32_t type, int n, const uint64_t *sector,
    const uint32_t *num, const uint32_t *flags, const char *what)
{
	struct rq	r;
	uint8_t		seg[16];
	uint64_t	lo, hi;
	uint32_t	used = 0, len = 16U * (uint32_t)n, mis = 7;
	int		k, ok;

	memset(&r, 0, sizeof(r));
	r.type = type;
	rq_segs(&r, 1, &len, &mis);
	for (k = 0; k < n; k++) {
		memcpy(seg, &sector[k], 8);
		memcpy(seg + 8, &num[k], 4);
		memcpy(seg + 12, &flags[k], 4);
		mem_write(&vm.mem, r.seg[0].gpa + 16ULL * (uint64_t)k, seg,
		    16);
		memset(model + sector[k] * 512, 0, num[k] * 512ULL);
	}
	ok = rq_run(d, &r, 1, &used);
	tap_ok(ok && rq_status(&r) == 0, "%s: %s: OK (status %d)", d->name,
	    what, rq_status(&r));
	tap_ok(image_ok(d), "%s: %s: the image reads zeros there, the rest "
	    "kept", d->name, what);
	/* Through the device too, unaligned, around the first segment. */
	lo = sector[0] > 8 ? sector[0] - 8 : 0;
	hi = sector[0] + num[0] + 8 < NSECT ? sector[0] + num[0] + 8 : NSECT;
	one(&r, lo, (uint32_t)(512 * (hi - lo)), 1);
	rd(d, &r, what);
}

static void
zero_tests(struct tdisk *d)
{
	uint64_t	s[4];
	uint32_t	n[4], f[4];
	struct rq	r;

	/* Data everywhere first, so zeros show. */
	one(&r, 0, 1U << 20, 1);
	wr(d, &r, "the first MiB before discards");
	s[0] = 3; n[0] = 1; f[0] = 0;
	zero(d, 13, 1, s, n, f, "write-zeroes of sector 3");
	s[0] = 16; n[0] = 8; f[0] = 1;
	zero(d, 13, 1, s, n, f, "write-zeroes of a block, unmap");
	s[0] = 64; n[0] = 16; f[0] = 0;
	zero(d, 11, 1, s, n, f, "discard of 2 blocks");
	s[0] = 9; n[0] = 2; f[0] = 0;
	zero(d, 11, 1, s, n, f, "discard of sectors 9-10");
	s[0] = 101; n[0] = 14; f[0] = 1;
	zero(d, 13, 1, s, n, f, "write-zeroes of 101-114, unmap");
	s[0] = 130; n[0] = 1; f[0] = 0;
	s[1] = 140; n[1] = 9; f[1] = 1;
	s[2] = 200; n[2] = 24; f[2] = 0;
	s[3] = 1500; n[3] = 3; f[3] = 0;
	zero(d, 13, 4, s, n, f, "write-zeroes of 4 segments");
	s[0] = NSECT - 1; n[0] = 1; f[0] = 0;
	zero(d, 11, 1, s, n, f, "discard of the last sector");
	/* And data written over zeros reads back. */
	one(&r, 9, 1024, 1);
	wr(d, &r, "over the discarded sectors 9-10");
	one(&r, 8, 4096, 5);
	rd(d, &r, "the block holding them");
}

/*
 * An honest driver: posts one request at a time, waits for it, and
 * kicks only when the device asks (the device polls with kicks
 * suppressed in between). A request left without a kick or a taker
 * times out.
 */
static void
honest_tests(struct tdisk *d, int k)
{
	struct rq	r;
	uint32_t	used;
	int		ev, i, ok, gaps;

	for (ev = 0; ev < 2; ev++) {
		start(d, k, ev);
		d->honest = 1;
		for (ok = 1, i = 0; ok && i < 600; i++) {
			one(&r, (uint64_t)(i % 64) * 8 + (uint64_t)(i & 7),
			    512, (uint32_t)(i & 1));
			gaps = i % 3;
			r.type = i % 4 == 0 ? 1 : 0;
			if (r.type == 1)
				wr_prep(&r);
			else
				rd_prep(&r);
			ok = rq_run(d, &r, 1, &used) && rq_status(&r) == 0 &&
			    (r.type == 1 || rd_check(&r));
			/* now and then, a pause past the device's poll */
			if (gaps == 0 && i % 30 == 0)
				usleep(200);
		}
		tap_ok(ok, "%s: 600 requests one at a time, kicks only when "
		    "asked (%s event index) (%d done)", d->name,
		    d->event_idx ? "with" : "without", i - !ok);
		d->honest = 0;
	}
	tap_ok(image_ok(d), "%s: and the image holds their writes", d->name);
}

static void
all_tests(struct tdisk *d, int k)
{
	rw_tests(d);
	concurrent_tests(d, 0);
	zero_tests(d);
	concurrent_tests(d, 1);
	honest_tests(d, k);
}

/* file_disk: a raw image on the real disk, opened O_DIRECT. */
static void
file_disk(void)
{
	static const char	*dirs[] = { "/var/tmp", "build", "." };
	static struct tdisk	 d;
	char			 path[256];
	size_t			 i;
	int			 fd = -1, wfd = -1;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd == -1; i++) {
		snprintf(path, sizeof(path), "%s/vioblkd.XXXXXX", dirs[i]);
		if ((wfd = mkstemp(path)) == -1)
			continue;
		if (ftruncate(wfd, IMG) == -1 ||
		    (fd = open(path, O_RDWR | O_DIRECT)) == -1) {
			close(wfd);
			wfd = -1;
		}
		unlink(path);
	}
	if (fd == -1) {
		tap_ok(1, "# SKIP no filesystem here takes O_DIRECT");
		return;
	}
	d.name = "file";
	d.cmp = wfd;
	if (attach(&d, 0, fd, wfd) == -1)
		return;
	all_tests(&d, 0);
}

/* loop_disk: a loop device of 4 KiB logical blocks over a file. */
static void
loop_disk(void)
{
	static struct tdisk	 d;
	char			 path[64], cmd[256], dev[64];
	FILE			*p;
	int			 fd = -1, wfd;

	if (geteuid() != 0) {
		tap_ok(1, "# SKIP loop device of 4 KiB blocks: not root");
		return;
	}
	strcpy(path, "/var/tmp/vioblkl.XXXXXX");
	if ((wfd = mkstemp(path)) == -1 || ftruncate(wfd, IMG) == -1) {
		tap_ok(1, "# SKIP loop device: no backing file");
		return;
	}
	snprintf(cmd, sizeof(cmd), "losetup --find --show --sector-size 4096 "
	    "%s 2>/dev/null", path);
	dev[0] = '\0';
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(dev, sizeof(dev), p) == NULL)
			dev[0] = '\0';
		(void)pclose(p);
	}
	dev[strcspn(dev, "\n")] = '\0';
	unlink(path);
	if (dev[0] == '\0') {
		close(wfd);
		tap_ok(1, "# SKIP losetup --sector-size 4096 failed");
		return;
	}
	fd = open(dev, O_RDWR | O_DIRECT);
	/* Detached once the last user closes it, even if we crash. */
	snprintf(cmd, sizeof(cmd), "losetup -d %s 2>/dev/null", dev);
	if (system(cmd) != 0)
		printf("# losetup -d %s failed\n", dev);
	if (fd == -1) {
		close(wfd);
		tap_ok(1, "# SKIP cannot open %s O_DIRECT", dev);
		return;
	}
	d.name = "loop4k";
	d.cmp = wfd;
	if (attach(&d, 1, fd, wfd) == -1)
		return;
	tap_is(d.align, 4096, "%s: blk_size 4096 probed", d.name);
	if (d.align != 4096)
		return;
	all_tests(&d, 1);
}

int
main(void)
{
	vt_vm(&vm);
	file_disk();
	loop_disk();
	return tap_done();
}
