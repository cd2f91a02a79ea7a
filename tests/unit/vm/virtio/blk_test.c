/* SPDX-License-Identifier: ISC */
/* Unit tests for virtio-blk over temporary raw images. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"
#include "disk/aio.h"
#include "vm/virtio/virtio.h"

#define SECTORS		2048
#define HDR		0x300000ULL
#define DATA		0x310000ULL
#define STATUS		0x320000ULL

static struct vm	vm;
static struct tring	tr;

static int
mkimage(char *path)
{
	int	fd;

	strcpy(path, "/tmp/vioblk.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || ftruncate(fd, SECTORS * 512) == -1)
		abort();
	return fd;
}

/* req: one request: header, data (dir: 0 none, 1 out, 2 in), status. */
static int
req(struct virtio_pci *vp, uint32_t type, uint64_t sector, uint32_t dlen,
    int dir, uint32_t *used)
{
	uint8_t		hdr[16], st = 0xee;
	uint32_t	id;
	uint16_t	i = 0;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	mem_write(&vm.mem, HDR, hdr, sizeof(hdr));
	mem_write(&vm.mem, STATUS, &st, 1);
	tr_desc(&tr, 0, HDR, 16, TR_F_NEXT, 1);
	if (dir != 0) {
		tr_desc(&tr, 1, DATA, dlen, TR_F_NEXT |
		    (dir == 2 ? TR_F_WRITE : 0), 2);
		i = 2;
	} else
		i = 1;
	tr_desc(&tr, i, STATUS, 1, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, vp, 0);
	if (!vt_wait_used(&vm, &tr, &id, used))
		return -1;
	mem_read(&vm.mem, STATUS, &st, 1);
	return st;
}

static void
start(struct virtio_pci *vp, uint64_t *feat)
{
	uint64_t	cc = VT_CC(vp);

	vt_wr(&vm, cc, 4, 0);
	*feat = vt_rd(&vm, cc + 4, 4);
	vt_wr(&vm, cc, 4, 1);
	*feat |= vt_rd(&vm, cc + 4, 4) << 32;
	vt_negotiate(&vm, vp, *feat);
	tr_init(&tr, &vm.mem, 16, 0x10000);
	vt_setup_queue(&vm, vp, 0, &tr, 0xffff);
	vt_driver_ok(&vm, vp);
}

/*
 * The worker pool: requests posted together on a 256-entry ring, each
 * with its own header, data and status, completed in any order.
 */
#define PQ_SIZE		256
#define PQ_RING		0x10000ULL
#define PQ_HDR		0x400000ULL	/* 32 bytes per request */
#define PQ_STATUS	0x480000ULL	/* 1 byte per request */
#define PQ_DATA		0x500000ULL	/* 4 KiB per request */
#define PQ_BIG		0x800000ULL	/* one 8 MiB buffer, to RAM's end */
#define PQ_BIGLEN	(8U << 20)
#define PQ_IMG		(32ULL << 20)

static struct tring	ptr;

/* pq_post: request i (descriptors 3i..3i+2) without a kick. */
static void
pq_post(int i, uint32_t type, uint64_t sector, uint64_t data, uint32_t dlen,
    int dir)
{
	uint8_t		hdr[16], st = 0xee;
	uint16_t	d = (uint16_t)(3 * i);

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	mem_write(&vm.mem, PQ_HDR + 32ULL * i, hdr, sizeof(hdr));
	mem_write(&vm.mem, PQ_STATUS + (uint64_t)i, &st, 1);
	tr_desc(&ptr, d, PQ_HDR + 32ULL * i, 16, TR_F_NEXT, d + 1);
	if (dir != 0) {
		tr_desc(&ptr, d + 1, data, dlen, TR_F_NEXT |
		    (dir == 2 ? TR_F_WRITE : 0), d + 2);
		tr_desc(&ptr, d + 2, PQ_STATUS + (uint64_t)i, 1, TR_F_WRITE, 0);
	} else
		tr_desc(&ptr, d + 1, PQ_STATUS + (uint64_t)i, 1, TR_F_WRITE, 0);
	tr_post(&ptr, d);
}

static uint8_t
pq_status(int i)
{
	uint8_t	st = 0xee;

	mem_read(&vm.mem, PQ_STATUS + (uint64_t)i, &st, 1);
	return st;
}

/* pq_collect: wait for n completions; order[k] = the k-th request done. */
static int
pq_collect(int n, int *order, uint32_t *lens)
{
	uint32_t	id, len;
	int		k;

	for (k = 0; k < n; k++) {
		if (!vt_wait_used(&vm, &ptr, &id, &len) || id % 3 != 0 ||
		    id / 3 >= (uint32_t)n)
			return k;
		order[k] = (int)(id / 3);
		if (lens != NULL)
			lens[id / 3] = len;
	}
	return n;
}

/*
 * fast_wait: spin until a used entry comes, up to 2 s (a driver that
 * polls, as the test guest's blk-bench does: vt_wait_used sleeps 1 ms
 * between looks, too slow for the device's polling to matter).
 */
static int
fast_wait(uint32_t *id, uint32_t *used)
{
	struct timespec	t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (tr_get_used(&tr, id, used))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 2)
			return 0;
	}
}

/*
 * polled_reads: n reads one after another by a driver that kicks only
 * when the device asks for it (VIRTQ_USED_F_NO_NOTIFY clear, or with
 * the event index avail_event, virtio 1.x 2.7.10), as Linux does: a
 * device that polls its ring sets the flag while it polls, and must
 * never leave a request without a kick or a poller. The number done;
 * *kicks counts the kicks sent.
 */
static int
polled_reads(struct virtio_pci *vp, int n, int event_idx, int *kicks)
{
	uint8_t		hdr[16], st;
	uint32_t	type = 0, id, used;
	uint64_t	sector;
	uint16_t	old, ev;
	int		i, kick;

	*kicks = 0;
	for (i = 0; i < n; i++) {
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, &type, 4);
		sector = (uint64_t)(i * 7 % SECTORS);
		memcpy(hdr + 8, &sector, 8);
		mem_write(&vm.mem, HDR, hdr, sizeof(hdr));
		st = 0xee;
		mem_write(&vm.mem, STATUS, &st, 1);
		tr_desc(&tr, 0, HDR, 16, TR_F_NEXT, 1);
		tr_desc(&tr, 1, DATA, 512, TR_F_NEXT | TR_F_WRITE, 2);
		tr_desc(&tr, 2, STATUS, 1, TR_F_WRITE, 0);
		old = tr.avail_idx;
		tr_post(&tr, 0);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (event_idx) {
			ev = tr_avail_event(&tr);
			kick = (uint16_t)(tr.avail_idx - ev - 1) <
			    (uint16_t)(tr.avail_idx - old);
		} else
			kick = !(tr_r16(&vm.mem, tr.used) & 1);
		if (kick) {
			vt_kick(&vm, vp, 0);
			(*kicks)++;
		}
		if (!fast_wait(&id, &used))
			break;
		mem_read(&vm.mem, STATUS, &st, 1);
		if (st != 0 || used != 513)
			break;
	}
	return i;
}

static void
pq_start(struct virtio_pci *vp)
{
	uint64_t	cc = VT_CC(vp), feat;

	vt_wr(&vm, cc, 4, 0);
	feat = vt_rd(&vm, cc + 4, 4);
	vt_wr(&vm, cc, 4, 1);
	feat |= vt_rd(&vm, cc + 4, 4) << 32;
	/* No event index: every completion counts, kicks always wanted. */
	vt_negotiate(&vm, vp, feat & ~(1ULL << VIRTIO_F_EVENT_IDX));
	tr_init(&ptr, &vm.mem, PQ_SIZE, PQ_RING);
	vt_setup_queue(&vm, vp, 0, &ptr, 0xffff);
	vt_driver_ok(&vm, vp);
}

static void
pool_tests(void)
{
	char			 path[32];
	struct virtio_pci	*vp;
	uint8_t			 buf[4096], back[4096];
	uint32_t		 lens[64];
	int			 order[64], seen[64], fd, i, k, n, ok, tries;
	int			 flush_after;
	uint16_t		 before;

	strcpy(path, "/tmp/vioblkp.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || ftruncate(fd, PQ_IMG) == -1)
		abort();
	if ((vp = virtio_blk_add(&vm, fakevm_disk(dup(fd), 0), NULL, 9)) == NULL) {
		tap_ok(0, "pool: virtio_blk_add");
		return;
	}
	vp->msi = vt_msi_hook;
	pq_start(vp);

	/* 64 writes of distinct patterns posted at once, then 64 reads. */
	for (i = 0; i < 64; i++) {
		memset(buf, 0x40 + i, sizeof(buf));
		mem_write(&vm.mem, PQ_DATA + 4096ULL * i, buf, sizeof(buf));
		pq_post(i, 1, 8ULL * (uint64_t)i, PQ_DATA + 4096ULL * i, 4096,
		    1);
	}
	vt_kick(&vm, vp, 0);
	n = pq_collect(64, order, lens);
	memset(seen, 0, sizeof(seen));
	ok = n == 64;
	for (k = 0; k < n; k++)
		if (seen[order[k]]++ || pq_status(order[k]) != 0 ||
		    lens[order[k]] != 1)
			ok = 0;
	tap_ok(ok, "pool: 64 concurrent writes complete once each, OK, "
	    "used length 1 (%d done)", n);
	for (ok = 1, i = 0; i < 64; i++) {
		memset(buf, 0x40 + i, sizeof(buf));
		if (pread(fd, back, 4096, 4096LL * i) != 4096 ||
		    memcmp(buf, back, 4096) != 0)
			ok = 0;
	}
	tap_ok(ok, "pool: the image holds all 64 writes");
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 64; i++) {
		mem_write(&vm.mem, PQ_DATA + 4096ULL * i, buf, sizeof(buf));
		pq_post(i, 0, 8ULL * (uint64_t)(63 - i), PQ_DATA +
		    4096ULL * i, 4096, 2);
	}
	vt_kick(&vm, vp, 0);
	n = pq_collect(64, order, lens);
	for (ok = n == 64, k = 0; k < n; k++) {
		i = order[k];
		memset(buf, 0x40 + 63 - i, sizeof(buf));
		mem_read(&vm.mem, PQ_DATA + 4096ULL * i, back, sizeof(back));
		if (pq_status(i) != 0 || lens[i] != 4097 ||
		    memcmp(buf, back, 4096) != 0)
			ok = 0;
	}
	tap_ok(ok, "pool: 64 concurrent reads return the right data, used "
	    "length 4097 (%d done)", n);

	/* 16 slow (512 KiB) reads at once: the pool serves them together. */
	{
		static uint8_t	big[512 << 10], got[512 << 10];

		for (i = 0; i < 16; i++) {
			memset(big, 0x90 + i, sizeof(big));
			if (pwrite(fd, big, sizeof(big), (1LL << 20) +
			    (off_t)sizeof(big) * i) != (ssize_t)sizeof(big))
				abort();
			pq_post(i, 0, 2048 + 1024ULL * (uint64_t)i, PQ_BIG +
			    sizeof(big) * (uint64_t)i, sizeof(big), 2);
		}
		vt_kick(&vm, vp, 0);
		n = pq_collect(16, order, lens);
		for (ok = n == 16, i = 0; ok && i < 16; i++) {
			memset(big, 0x90 + i, sizeof(big));
			mem_read(&vm.mem, PQ_BIG + sizeof(big) * (uint64_t)i,
			    got, sizeof(got));
			if (pq_status(i) != 0 || lens[i] != sizeof(big) + 1 ||
			    memcmp(big, got, sizeof(big)) != 0)
				ok = 0;
		}
		tap_ok(ok, "pool: 16 concurrent 512 KiB reads (%d done)", n);
	}

	/*
	 * A slow 8 MiB read posted first, then 16 GET_IDs that need no I/O,
	 * several times over. The used ring's order is not promised (virtio
	 * 1.x, 2.7.14): whatever it is, each request completes exactly once,
	 * OK, with its own used length and its own data.
	 */
	{
		static uint8_t	big[PQ_BIGLEN], img[PQ_BIGLEN];
		struct stat	sb;
		char		serial[21];

		if (pread(fd, img, PQ_BIGLEN, 0) != (ssize_t)PQ_BIGLEN)
			abort();
		if (fstat(fd, &sb) == -1)
			abort();
		(void)snprintf(serial, sizeof(serial), "vmd9-%llx",
		    (unsigned long long)sb.st_ino);
		memset(back, 0, sizeof(back));
		for (ok = 1, tries = 0; tries < 4; tries++) {
			memset(big, 0xee, sizeof(big));
			mem_write(&vm.mem, PQ_BIG, big, sizeof(big));
			pq_post(0, 0, 0, PQ_BIG, PQ_BIGLEN, 2);
			for (i = 1; i <= 16; i++) {
				mem_write(&vm.mem, PQ_DATA + 4096ULL * i, back,
				    20);
				pq_post(i, 8, 0, PQ_DATA + 4096ULL * i, 20, 2);
			}
			vt_kick(&vm, vp, 0);
			memset(lens, 0, sizeof(lens));
			n = pq_collect(17, order, lens);
			memset(seen, 0, sizeof(seen));
			if (n != 17)
				ok = 0;
			for (k = 0; k < n; k++)
				if (seen[order[k]]++)
					ok = 0;
			mem_read(&vm.mem, PQ_BIG, big, sizeof(big));
			if (pq_status(0) != 0 || lens[0] != PQ_BIGLEN + 1 ||
			    memcmp(big, img, sizeof(big)) != 0)
				ok = 0;
			for (i = 1; i <= 16; i++) {
				mem_read(&vm.mem, PQ_DATA + 4096ULL * i, buf, 20);
				if (pq_status(i) != 0 || lens[i] != 21 ||
				    strncmp((char *)buf, serial, 20) != 0)
					ok = 0;
			}
			if (!ok)
				break;
		}
		tap_ok(ok, "pool: a big read and 16 GET_IDs posted together "
		    "each complete once, OK, with their lengths and data "
		    "(%d rounds)", tries);
		/* Nothing more lands in the used ring. */
		usleep(10000);
		tap_is(tr_r16(&vm.mem, ptr.used + 2), ptr.used_seen,
		    "pool: no request completes twice");
	}

	/*
	 * Flush ordering: an 8 MiB write, then a flush in the same kick:
	 * the flush completes after the write, every time.
	 */
	memset(buf, 0x77, sizeof(buf));
	mem_write(&vm.mem, PQ_BIG + PQ_BIGLEN - 4096, buf, sizeof(buf));
	for (flush_after = 0, tries = 0; tries < 10; tries++) {
		pq_post(0, 1, 0, PQ_BIG, PQ_BIGLEN, 1);
		pq_post(1, 4, 0, 0, 0, 0);
		vt_kick(&vm, vp, 0);
		if (pq_collect(2, order, NULL) == 2 && order[0] == 0 &&
		    order[1] == 1 && pq_status(0) == 0 && pq_status(1) == 0)
			flush_after++;
	}
	tap_is(flush_after, 10, "pool: a flush completes after the write "
	    "popped before it (10 of 10)");
	tap_ok(pread(fd, back, 4096, PQ_BIGLEN - 4096) == 4096 &&
	    memcmp(buf, back, 4096) == 0, "pool: the flushed write is in "
	    "the image");

	/*
	 * Reset with requests in flight: 16 big reads, then status 0 at
	 * once. The reset returns with none in flight, nothing lands in
	 * the ring afterwards, and the device works again.
	 */
	for (i = 0; i < 16; i++)
		pq_post(i, 0, 0, PQ_BIG, PQ_BIGLEN, 2);
	vt_kick(&vm, vp, 0);
	usleep(1000);
	vt_wr(&vm, VT_CC(vp) + 0x14, 1, 0);
	virtio_pci_lock(vp);
	k = vp->busy;
	virtio_pci_unlock(vp);
	tap_is(k, 0, "pool: reset returns with no request in flight");
	tap_is(vt_rd(&vm, VT_CC(vp) + 0x14, 1), 0, "pool: status reads 0");
	before = tr_r16(&vm.mem, ptr.used + 2);
	usleep(50000);
	tap_is(tr_r16(&vm.mem, ptr.used + 2), before,
	    "pool: no completion lands after the reset");
	pq_start(vp);
	memset(buf, 0x40 + 5, sizeof(buf));
	pq_post(0, 0, 8 * 5, PQ_DATA, 4096, 2);
	vt_kick(&vm, vp, 0);
	mem_read(&vm.mem, PQ_DATA, back, sizeof(back));
	n = pq_collect(1, order, NULL);
	mem_read(&vm.mem, PQ_DATA, back, sizeof(back));
	tap_ok(n == 1 && pq_status(0) == 0 && memcmp(buf, back, 4096) == 0,
	    "pool: works again after the reset");
	unlink(path);
}

int
main(void)
{
	char			 path[32], path2[32];
	struct virtio_pci	*vp, *ro;
	uint8_t			 buf[4096], back[4096];
	uint64_t		 feat, devcfg;
	uint32_t		 used;
	int			 fd, fd2, fd3, i, kicks;

	vt_vm(&vm);
	fd = mkimage(path);
	if ((vp = virtio_blk_add(&vm, fakevm_disk(dup(fd), 0),
	    disk_aio_prepare(DISK_AIO_DEPTH), 0)) == NULL) {
		tap_ok(0, "virtio_blk_add");
		return tap_done();
	}
	vp->msi = vt_msi_hook;
	start(vp, &feat);
	tap_ok((feat & 0x6264) == 0x6244, "features: SEG_MAX, BLK_SIZE, "
	    "FLUSH, DISCARD, WRITE_ZEROES, not RO (0x%llx)",
	    (unsigned long long)feat);
	devcfg = vp->pci.bars[0].addr + VIRTIO_PCI_DEVCFG_OFF;
	tap_is(vt_rd(&vm, devcfg, 8), SECTORS, "capacity in sectors");
	tap_is(vt_rd(&vm, devcfg + 20, 4), 512, "blk_size");
	tap_is(vt_rd(&vm, devcfg + 12, 4), VIRTQ_MAX_IOV - 2, "seg_max");
	tap_is(vp->ops->qsize, 256, "queue size 256");

	for (i = 0; i < 1024; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	mem_write(&vm.mem, DATA, buf, 1024);
	tap_is(req(vp, 1, 3, 1024, 1, &used), 0, "write 2 sectors at 3");
	tap_is(used, 1, "write: used length 1");
	memset(back, 0, sizeof(back));
	tap_ok(pread(fd, back, 1024, 3 * 512) == 1024 &&
	    memcmp(buf, back, 1024) == 0, "image holds the bytes");
	memset(buf, 0, 1024);
	mem_write(&vm.mem, DATA, buf, 1024);
	tap_is(req(vp, 0, 3, 1024, 2, &used), 0, "read them back");
	tap_is(used, 1025, "read: used length data + status");
	mem_read(&vm.mem, DATA, buf, 1024);
	tap_ok(memcmp(buf, back, 1024) == 0, "read data matches");
	/* Not in the page cache: the read waits on the ring instead. */
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	memset(buf, 0, 1024);
	mem_write(&vm.mem, DATA, buf, 1024);
	tap_is(req(vp, 0, 3, 1024, 2, &used), 0,
	    "read them back after the page cache dropped them");
	mem_read(&vm.mem, DATA, buf, 1024);
	tap_ok(used == 1025 && memcmp(buf, back, 1024) == 0,
	    "the same bytes, used length data + status");
	tap_is(req(vp, 0, SECTORS - 1, 1024, 2, &used), 1,
	    "read past the end: IOERR");
	tap_is(req(vp, 1, SECTORS, 512, 1, &used), 1,
	    "write past the end: IOERR");
	tap_is(req(vp, 0, 0, 100, 2, &used), 1, "partial sector: IOERR");
	tap_is(req(vp, 1, ~0ULL, 512, 1, &used), 1, "huge sector: IOERR");
	tap_is(req(vp, 4, 0, 0, 0, &used), 0, "flush");
	tap_is(req(vp, 8, 0, 20, 2, &used), 0, "get-id");
	mem_read(&vm.mem, DATA, buf, 20);
	tap_ok(memcmp(buf, "vmd0-", 5) == 0, "serial starts vmd0-");
	tap_is(req(vp, 99, 0, 0, 0, &used), 2, "unknown type: UNSUPP");
	/* Write-zeroes and discard (one segment each). */
	{
		uint8_t	seg[16];
		uint64_t s = 3;
		uint32_t n = 1, fl = 0;

		memcpy(seg, &s, 8);
		memcpy(seg + 8, &n, 4);
		memcpy(seg + 12, &fl, 4);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 13, 0, 16, 1, &used), 0, "write-zeroes");
		tap_ok(pread(fd, back, 1024, 3 * 512) == 1024 &&
		    back[0] == 0 && back[511] == 0 && back[512] != 0,
		    "sector 3 zeroed, 4 kept");
		s = 4;
		memcpy(seg, &s, 8);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 11, 0, 16, 1, &used), 0, "discard");
		tap_ok(pread(fd, back, 512, 4 * 512) == 512 &&
		    back[0] == 0 && back[511] == 0, "sector 4 reads zeros");
		s = SECTORS;
		memcpy(seg, &s, 8);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 11, 0, 16, 1, &used), 1,
		    "discard past the end: IOERR");
	}
	/* A polling device and a driver that kicks only when asked. */
	i = polled_reads(vp, 3000, !!(feat & (1ULL << VIRTIO_F_EVENT_IDX)),
	    &kicks);
	tap_ok(i == 3000, "3000 reads one after another, kicks only when "
	    "the device asks: every one completes, OK (%d done, %d kicks)",
	    i, kicks);
	/* A request without a header puts the device in NEEDS_RESET. */
	tr_desc(&tr, 0, STATUS, 1, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, vp, 0);
	for (i = 0; i < 1000 && !(vt_rd(&vm, VT_CC(vp) + 0x14, 1) & 0x40); i++)
		usleep(1000);
	tap_ok(vt_rd(&vm, VT_CC(vp) + 0x14, 1) & 0x40,
	    "headerless request: NEEDS_RESET");
	start(vp, &feat);
	tap_is(req(vp, 4, 0, 0, 0, &used), 0, "works again after reset");

	/* The image lock. */
	fd2 = open(path, O_RDWR);
	errno = 0;
	tap_ok(fakevm_disk(dup(fd2), 0) == NULL && errno == EBUSY,
	    "second writer refused: in use");
	tap_ok(fakevm_disk(dup(fd2), 1) == NULL && errno == EBUSY,
	    "reader refused while a writer holds it");
	close(fd2);

	/* Read-only disk: shared lock, writes refused. */
	fd2 = mkimage(path2);
	if (pwrite(fd2, "RORORORO", 8, 0) != 8)
		abort();
	if ((ro = virtio_blk_add(&vm, fakevm_disk(dup(fd2), 1), NULL, 2)) == NULL) {
		tap_ok(0, "read-only disk");
		return tap_done();
	}
	ro->msi = vt_msi_hook;
	fd3 = open(path2, O_RDONLY);
	tap_ok(virtio_blk_add(&vm, fakevm_disk(dup(fd3), 1), NULL, 3) != NULL,
	    "two readers share a read-only image");
	start(ro, &feat);
	tap_ok(!!(feat & (1ULL << 5)), "RO feature offered");
	tap_ok(!(feat & (1ULL << 13)), "no discard on a read-only disk");
	tap_is(req(ro, 1, 0, 512, 1, &used), 1, "write to RO disk: IOERR");
	tap_is(req(ro, 0, 0, 512, 2, &used), 0, "read from RO disk");
	mem_read(&vm.mem, DATA, buf, 4);
	tap_ok(memcmp(buf, "RORO", 4) == 0, "RO disk data intact");
	unlink(path);
	unlink(path2);
	pool_tests();
	return tap_done();
}
