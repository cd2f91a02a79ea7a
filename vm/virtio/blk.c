/* SPDX-License-Identifier: ISC */
/*
 * virtio-blk: the protocol and its threading; every image byte goes through
 * lib/disk (raw or qcow2, backing chains). Requests are served by a small
 * thread pool.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "disk/aio.h"
#include "log.h"
#include "vm/vm.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/pollwin.h"
#include "vm/virtio/virtio.h"

#define VIRTIO_ID_BLOCK		2
#define BLK_SECTOR		512ULL
#define BLK_QSIZE		256
#define BLK_SEG_MAX		(VIRTQ_MAX_IOV - 2)	/* header + status */
#define BLK_DISCARD_SEG		32
#define BLK_DISCARD_MAX		(1U << 22)		/* sectors: 2G */
#define BLK_ID_BYTES		20

/* Feature bits (virtio 1.x, 5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_DISCARD	13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values. */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_DISCARD	11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

/* struct virtio_blk_config, the fields we fill (offsets). */
#define BLK_CFG_CAPACITY	0
#define BLK_CFG_SEG_MAX		12
#define BLK_CFG_BLK_SIZE	20
#define BLK_CFG_DISCARD_MAX	36
#define BLK_CFG_DISCARD_SEG	40
#define BLK_CFG_DISCARD_ALIGN	44
#define BLK_CFG_WZ_MAX		48
#define BLK_CFG_WZ_SEG		52
#define BLK_CFG_WZ_UNMAP	56
#define BLK_CFG_SIZE		60

#define BLK_WORKERS		4	/* threads serving one disk */
#define BLK_IDLE		UINT64_MAX
#define BLK_SLOW_BYTES		(64 * 1024)	/* larger I/O: wake a worker */
/*
 * After the ring runs dry the poller watches the avail index this long,
 * kicks suppressed, before it re-arms them and sleeps on the kick
 * eventfd: a request that comes sooner (the next one at queue depth 1)
 * costs no thread wake-up. Bounded, so an idle disk burns nothing. 0
 * turns polling off.
 */
#ifndef BLK_POLL_NS
#define BLK_POLL_NS		32000ULL
#endif

/*
 * With io_uring (lib/disk/aio.c), one thread per disk pops every request
 * there is, puts the reads and writes that map onto the image file on
 * the ring as one batch, serves the rest itself, and waits on the ring
 * for completions and for the next kick (a poll on the ring) at once.
 * BLK_SLOTS requests may be in flight.
 */
#define BLK_SLOTS		(DISK_AIO_DEPTH / 2)
#define BLK_TAG_KICK		UINT64_MAX
#define BLK_REAP		64
/*
 * The ring thread polls before it sleeps: with nothing to do it watches
 * the avail index and the ring's completions, kicks suppressed, for its
 * window (vm/virtio/pollwin.c), which grows while work comes soon after
 * the thread gave up and slept and shrinks to nothing while it does
 * not, so a busy disk costs no kick and no wake-up and an idle one no
 * CPU.
 */

struct virtio_blk;

/*
 * One request slot: a pool thread's, or (the last of b->w) the one
 * notify() serves inline with. seq is under the device lock; the rest is
 * the slot owner's.
 */
struct blk_worker {
	struct virtio_blk	*b;
	pthread_t		 thread;
	uint64_t		 seq;		/* request being served, or BLK_IDLE */
	uint32_t		 type;		/* its header, read once */
	uint64_t		 sector;
	struct virtq_chain	 chain;
	struct iovec		 iov[VIRTQ_MAX_IOV];
};

/*
 * One disk. cfg and the image fields are written once in virtio_blk_add;
 * the fields from nextseq on are under vp.lock (ncompleting is atomic);
 * each worker owns its slot. Workers pop requests one at a time under
 * the lock and serve them in parallel; completions go to the used ring
 * in whatever order they finish (virtio 1.x, 2.7.14). One idle worker at
 * a time (the poller) sleeps on the kick eventfd, the others on work.
 */
struct virtio_blk {
	struct virtio_pci	 vp;
	struct disk		*disk;
	int			 readonly;
	int			 direct;	/* the top layer is O_DIRECT */
	int			 index;
	/*
	 * Where the ring thread runs, if not anywhere: the CPUs that take
	 * the completion interrupts of the disk under the image, when those
	 * are some of ours only (vm_disk's irqcpus, found by the jail: a
	 * disk with one request queue, as a cloud VM's virtio disk has). A
	 * completion then finds the thread where it lands, with no
	 * interprocessor interrupt, and does not stop a vCPU, which the
	 * scheduler keeps on the other CPUs. Disks with a queue per CPU
	 * (NVMe) spread their interrupts over all and are left alone.
	 */
	cpu_set_t		 cpus;
	int			 ncpus;
	uint64_t		 sectors;
	char			 serial[BLK_ID_BYTES + 1];
	uint8_t			 cfg[BLK_CFG_SIZE];
	uint64_t		 nextseq;	/* for the next request popped */
	int			 poller;	/* a worker watches the kick */
	int			 spinning;	/* a worker polls the ring */
	int			 nidle;		/* workers waiting on work */
	int			 nflushwait;	/* flushes waiting on done */
	int			 inline_busy;	/* notify() is serving */
	pthread_cond_t		 work;		/* take a request, or poll */
	pthread_cond_t		 done;		/* a request completed */
	int			 ncompleting;	/* workers about to complete */
	struct blk_worker	 w[BLK_WORKERS + 1];
	/* io_uring: the ring thread's (slots' seq under the lock). */
	struct disk_aio		*aio;		/* NULL: the pool serves */
	struct blk_worker	*slot;		/* BLK_SLOTS */
	int			 free[BLK_SLOTS];	/* stack of free slots */
	int			 nfree;
	struct blk_worker	*flush;		/* waits for the ring to drain */
	struct pollwin		 poll;		/* the ring thread's window */
};

static void
blk_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
blk_cfg_read(struct virtio_pci *vp, uint32_t off, uint8_t *data, size_t len)
{
	struct virtio_blk	*b = vp->softc;

	memcpy(data, b->cfg + off, len);
}

/*
 * blk_data: the data of an IN (write 0: the writable part but the
 * status byte) or OUT (write 1: the readable part after the header)
 * request, len bytes at image offset off. 0 or -1.
 */
static int
blk_data(struct virtio_blk *b, struct blk_worker *w, uint64_t off,
    uint64_t len, int write)
{
	int	n;

	if (len == 0)
		return 0;
	n = virtq_iov_slice(&w->chain, !write, write ? 16 : 0, len, w->iov,
	    VIRTQ_MAX_IOV);
	return write ? disk_write(b->disk, w->iov, n, off) :
	    disk_read(b->disk, w->iov, n, off);
}

/* blk_range_ok: [sector, sector + bytes) inside the disk, whole sectors. */
static int
blk_range_ok(struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % BLK_SECTOR == 0 && sector <= b->sectors &&
	    bytes / BLK_SECTOR <= b->sectors - sector;
}

/* blk_segments: discard and write-zeroes. */
static uint8_t
blk_segments(struct virtio_blk *b, struct blk_worker *w, uint32_t type)
{
	struct virtq_chain	*c = &w->chain;
	uint8_t		seg[16];
	uint64_t	sector;
	uint32_t	num, flags;
	size_t		off, nseg;
	int		unmap, rv;

	if (b->readonly)
		return VIRTIO_BLK_S_IOERR;
	nseg = (c->rlen - 16) / 16;
	if (nseg == 0 || (c->rlen - 16) % 16 != 0 || nseg > BLK_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (off = 16; off < c->rlen; off += 16) {
		(void)virtq_read_buf(c, off, seg, sizeof(seg));
		memcpy(&sector, seg, 8);
		memcpy(&num, seg + 8, 4);
		memcpy(&flags, seg + 12, 4);
		if (num > BLK_DISCARD_MAX ||
		    !blk_range_ok(b, sector, num * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_DISCARD && flags != 0)
			return VIRTIO_BLK_S_UNSUPP;
		if ((flags & ~1U) != 0)
			return VIRTIO_BLK_S_UNSUPP;
		unmap = type == VIRTIO_BLK_T_DISCARD ? DISK_ZERO_UNMAP |
		    DISK_ZERO_MAY : (flags & 1) ? DISK_ZERO_UNMAP : 0;
		rv = disk_zero(b->disk, sector * BLK_SECTOR, num * BLK_SECTOR,
		    unmap);
		if (rv == -1)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * blk_request: serve w's request (without the lock); sets *used to the
 * bytes written to the guest. The status byte is the chain's last
 * writable byte.
 */
static uint8_t
blk_request(struct virtio_blk *b, struct blk_worker *w, uint32_t *used)
{
	struct virtq_chain	*c = &w->chain;
	uint64_t		 sector = w->sector, dlen;

	*used = 1;
	switch (w->type) {
	case VIRTIO_BLK_T_IN:
		dlen = c->wlen - 1;
		if (!blk_range_ok(b, sector, dlen))
			return VIRTIO_BLK_S_IOERR;
		if (blk_data(b, w, sector * BLK_SECTOR, dlen, 0) == -1)
			return VIRTIO_BLK_S_IOERR;
		*used = (uint32_t)c->wlen;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		dlen = c->rlen - 16;
		if (b->readonly || !blk_range_ok(b, sector, dlen))
			return VIRTIO_BLK_S_IOERR;
		if (blk_data(b, w, sector * BLK_SECTOR, dlen, 1) == -1)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		if (disk_flush(b->disk) == -1)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		dlen = c->wlen - 1 < BLK_ID_BYTES ? c->wlen - 1 : BLK_ID_BYTES;
		*used = (uint32_t)virtq_write_buf(c, 0, b->serial, dlen) + 1;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_segments(b, w, w->type);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* blk_older: 1 if a request popped before seq is still being served. */
static int
blk_older(struct virtio_blk *b, uint64_t seq)
{
	int	i;

	for (i = 0; i <= BLK_WORKERS; i++)
		if (b->w[i].seq < seq)
			return 1;
	for (i = 0; b->aio != NULL && i < BLK_SLOTS; i++)
		if (b->slot[i].seq < seq)
			return 1;
	return 0;
}

/* blk_slow: w's request is worth serving beside others. */
static int
blk_slow(const struct blk_worker *w)
{
	switch (w->type) {
	case VIRTIO_BLK_T_IN:
		/* O_DIRECT: every read or write waits for the disk. */
		return w->b->direct || w->chain.wlen > BLK_SLOW_BYTES;
	case VIRTIO_BLK_T_OUT:
		return w->b->direct || w->chain.rlen > BLK_SLOW_BYTES;
	case VIRTIO_BLK_T_GET_ID:
		return 0;
	default:
		return 1;	/* flush, discard, write zeroes, unknown */
	}
}

/*
 * blk_take: pop the next request into w (lock held). 1 if one was taken
 * (and counted in flight), 0 if there is none. For a slow request,
 * wakes an idle worker if nobody watches the kick or more requests
 * wait. A flush returns only
 * once every request popped before it has completed, so it covers every
 * write the driver saw complete before it queued the flush, and more.
 */
static int
blk_take(struct virtio_blk *b, struct blk_worker *w)
{
	struct virtio_pci	*vp = &b->vp;
	struct virtq_chain	*c = &w->chain;
	uint8_t			 hdr[16];

	if (virtio_pci_pop(vp, 0, c) != 1)
		return 0;
	if (c->rlen < 16 || c->wlen < 1) {
		virtio_pci_fail(vp, "request without header or status");
		return 0;
	}
	(void)virtq_read_buf(c, 0, hdr, sizeof(hdr));
	memcpy(&w->type, hdr, 4);
	memcpy(&w->sector, hdr + 8, 8);
	w->seq = b->nextseq++;
	virtio_pci_begin(vp);
	/*
	 * Waking a worker costs about what a small request does: only a
	 * slow one hands on the kick and the requests behind it.
	 */
	if (b->nidle > 0 && blk_slow(w) && (!b->poller ||
	    virtq_pending(&vp->q[0].vq)))
		pthread_cond_signal(&b->work);
	if (w->type == VIRTIO_BLK_T_FLUSH) {
		b->nflushwait++;
		while (blk_older(b, w->seq))
			pthread_cond_wait(&b->done, &vp->lock);
		b->nflushwait--;
	}
	return 1;
}

/*
 * blk_serve: serve the request blk_take gave w: called and returns with
 * the lock held, drops it for the I/O. Completions that pile up on the
 * lock send one interrupt: the last one in sends it for all.
 */
static void
blk_serve(struct virtio_blk *b, struct blk_worker *w)
{
	struct virtio_pci	*vp = &b->vp;
	uint32_t		 used;
	uint8_t			 status;

	virtio_pci_unlock(vp);
	status = blk_request(b, w, &used);
	(void)virtq_write_buf(&w->chain, w->chain.wlen - 1, &status, 1);
	__atomic_add_fetch(&b->ncompleting, 1, __ATOMIC_SEQ_CST);
	virtio_pci_lock(vp);
	w->seq = BLK_IDLE;
	virtio_pci_end(vp);
	virtio_pci_push(vp, 0, w->chain.head, used);
	if (b->nflushwait > 0)
		pthread_cond_broadcast(&b->done);
	if (__atomic_sub_fetch(&b->ncompleting, 1, __ATOMIC_SEQ_CST) == 0)
		virtio_pci_interrupt(vp, 0);
}

/* blk_wait_kick: the poller: sleep until the driver kicks (no lock). */
static void
blk_wait_kick(struct virtio_blk *b)
{
	struct pollfd	pfd;
	uint64_t	v;

	pfd.fd = b->vp.q[0].kick_fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) == -1) {
		if (errno != EINTR) {
			log_warn("%s: disk %d: poll", __func__, b->index);
			(void)usleep(10000);
		}
	}
	(void)read(pfd.fd, &v, sizeof(v));
}

static uint64_t
blk_now_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void
blk_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * blk_poll: a worker that found the ring dry with nothing in flight
 * (the next request at queue depth 1 is the driver's answer to the last
 * completion): suppress kicks and watch the avail index for BLK_POLL_NS
 * without the lock (the ring's host view stays mapped for the VM's
 * life, whatever the driver does to the queue). One spinner at a time.
 * Called and returns with the lock held. 1 if a request may have come
 * (kicks stay off: whoever next finds the ring dry polls or re-arms), 0
 * if it timed out or the queue is not in use: then stale kicks are
 * drained, kicks are on again and the ring re-checked after that, so no
 * request is left without a kick or a taker.
 */
static int
blk_poll(struct virtio_blk *b)
{
	struct virtio_pci	*vp = &b->vp;
	struct virtq		*vq = &vp->q[0].vq;
	const uint8_t		*avail;
	uint64_t		 t0, v;
	uint16_t		 last;
	unsigned		 i;
	int			 moved = 0;

	if (!virtio_pci_ready(vp, 0) || vp->resetting)
		return 0;
	if (BLK_POLL_NS == 0 || b->spinning || vp->busy > 0)
		return vq->nonotify ? virtq_notify(vq, 1) : 0;
	b->spinning = 1;
	(void)virtq_notify(vq, 0);
	avail = vq->avail;
	last = vq->last_avail;
	virtio_pci_unlock(vp);
	t0 = blk_now_ns();
	for (i = 0; !moved; i++) {
		if ((moved = virtq_avail_moved(avail, last)))
			break;
		if ((i & 15) == 15 && blk_now_ns() - t0 >= BLK_POLL_NS)
			break;
		blk_relax();
	}
	if (!moved)	/* kicks the driver sent anyway, before the re-arm */
		(void)read(vp->q[0].kick_fd, &v, sizeof(v));
	virtio_pci_lock(vp);
	b->spinning = 0;
	if (moved)
		return 1;
	return virtio_pci_ready(vp, 0) && !vp->resetting &&
	    virtq_notify(vq, 1);
}

/* blk_thread: one pool worker: serve, else watch the kick, else sleep. */
static void *
blk_thread(void *arg)
{
	struct blk_worker	*w = arg;
	struct virtio_blk	*b = w->b;
	struct virtio_pci	*vp = &b->vp;

	virtio_pci_lock(vp);
	for (;;) {
		if (blk_take(b, w)) {
			blk_serve(b, w);
			continue;
		}
		if (blk_poll(b))
			continue;
		if (!b->poller) {
			b->poller = 1;
			virtio_pci_unlock(vp);
			blk_wait_kick(b);
			virtio_pci_lock(vp);
			b->poller = 0;
			continue;
		}
		b->nidle++;
		pthread_cond_wait(&b->work, &vp->lock);
		b->nidle--;
	}
	/* NOTREACHED */
	return NULL;
}

/* blk_ring_done: complete slot w with status (lock held). */
static void
blk_ring_done(struct virtio_blk *b, struct blk_worker *w, uint8_t status,
    uint32_t used)
{
	struct virtio_pci	*vp = &b->vp;

	(void)virtq_write_buf(&w->chain, w->chain.wlen - 1, &status, 1);
	w->seq = BLK_IDLE;
	virtio_pci_end(vp);
	virtio_pci_push(vp, 0, w->chain.head, used);
	b->free[b->nfree++] = (int)(w - b->slot);
}

/* blk_ring_sync: serve w on this thread, without the lock. */
static void
blk_ring_sync(struct virtio_blk *b, struct blk_worker *w)
{
	uint32_t	used;
	uint8_t		status;

	virtio_pci_unlock(&b->vp);
	status = blk_request(b, w, &used);
	virtio_pci_lock(&b->vp);
	blk_ring_done(b, w, status, used);
}

/*
 * blk_ring_take: pop one request into a free slot (lock held): onto the
 * ring if it maps onto the image, else served here. A flush waits in
 * b->flush until what is on the ring has completed. 1 if one was taken.
 */
static int
blk_ring_take(struct virtio_blk *b)
{
	struct virtio_pci	*vp = &b->vp;
	struct blk_worker	*w;
	uint64_t		 dlen;
	uint8_t			 hdr[16];
	int			 write, n, r;

	if (b->nfree == 0 || b->flush != NULL)
		return 0;
	w = &b->slot[b->free[b->nfree - 1]];
	if (virtio_pci_pop(vp, 0, &w->chain) != 1)
		return 0;
	if (w->chain.rlen < 16 || w->chain.wlen < 1) {
		virtio_pci_fail(vp, "request without header or status");
		return 0;
	}
	b->nfree--;
	(void)virtq_read_buf(&w->chain, 0, hdr, sizeof(hdr));
	memcpy(&w->type, hdr, 4);
	memcpy(&w->sector, hdr + 8, 8);
	w->seq = b->nextseq++;
	virtio_pci_begin(vp);
	write = w->type == VIRTIO_BLK_T_OUT;
	if (w->type == VIRTIO_BLK_T_FLUSH && blk_older(b, w->seq)) {
		b->flush = w;
		return 1;
	}
	if ((w->type != VIRTIO_BLK_T_IN && !write) || (write && b->readonly)) {
		blk_ring_sync(b, w);
		return 1;
	}
	dlen = write ? w->chain.rlen - 16 : w->chain.wlen - 1;
	if (dlen == 0 || !blk_range_ok(b, w->sector, dlen)) {
		blk_ring_sync(b, w);
		return 1;
	}
	n = virtq_iov_slice(&w->chain, !write, write ? 16 : 0, dlen, w->iov,
	    VIRTQ_MAX_IOV);
	/*
	 * Without the lock: a write through the page cache is done in the
	 * call and may wait while the kernel throttles dirty pages, and
	 * the vCPUs take the lock to reach the device's registers (the
	 * request is counted in flight, so a reset waits for it).
	 */
	virtio_pci_unlock(vp);
	r = disk_aio_rw(b->aio, write, w->iov, n, w->sector * BLK_SECTOR,
	    (uint64_t)(w - b->slot));
	virtio_pci_lock(vp);
	if (r == 2)
		blk_ring_done(b, w, VIRTIO_BLK_S_OK,
		    write ? 1 : (uint32_t)w->chain.wlen);
	else if (r != 1)
		blk_ring_sync(b, w);
	return 1;
}

/* blk_ring_complete: a read or write the ring finished (lock held). */
static void
blk_ring_complete(struct virtio_blk *b, struct blk_worker *w, int res)
{
	uint64_t	dlen;
	int		write = w->type == VIRTIO_BLK_T_OUT;

	dlen = write ? w->chain.rlen - 16 : w->chain.wlen - 1;
	if (res >= 0 && (uint64_t)res == dlen) {
		blk_ring_done(b, w, VIRTIO_BLK_S_OK,
		    write ? 1 : (uint32_t)w->chain.wlen);
		return;
	}
	/* Short (the file's last block) or failed: once more, in full. */
	blk_ring_sync(b, w);
}

/*
 * blk_ring_poll: the ring thread found nothing to do: watch the avail
 * index and the ring's completions for b->poll.ns, kicks suppressed
 * (no lock held while it spins: the ring's host view stays mapped for
 * the VM's life). 1 if something may have come; 0 if not, and then
 * kicks are on again and the ring was looked at after that, so the
 * thread may sleep. Called and returns without the lock.
 */
static int
blk_ring_poll(struct virtio_blk *b)
{
	struct virtio_pci	*vp = &b->vp;
	struct virtq		*vq = &vp->q[0].vq;
	const uint8_t		*avail = NULL;
	uint64_t		 t0;
	uint16_t		 last = 0;
	unsigned		 i;
	int			 moved = 0, watch;

	virtio_pci_lock(vp);
	watch = b->poll.ns > 0 && virtio_pci_ready(vp, 0) && !vp->resetting;
	if (watch) {
		(void)virtq_notify(vq, 0);
		avail = vq->avail;
		last = vq->last_avail;
	}
	virtio_pci_unlock(vp);
	if (watch) {
		t0 = blk_now_ns();
		for (i = 0; !moved; i++) {
			if (virtq_avail_moved(avail, last) ||
			    disk_aio_ready(b->aio) > 0)
				moved = 1;
			else if ((i & 15) == 15 &&
			    blk_now_ns() - t0 >= b->poll.ns)
				break;
			else
				blk_relax();
		}
	}
	if (moved)
		return 1;
	virtio_pci_lock(vp);
	if (virtio_pci_ready(vp, 0) && !vp->resetting)
		moved = virtq_notify(vq, 1);
	virtio_pci_unlock(vp);
	return moved;
}

/*
 * blk_ring_thread: the disk's one thread with io_uring: pop and submit
 * in batches, complete in batches with one interrupt; when there is
 * nothing to do, poll a while, then wait for a completion or a kick.
 */
static void *
blk_ring_thread(void *arg)
{
	struct virtio_blk	*b = arg;
	struct virtio_pci	*vp = &b->vp;
	struct disk_aio_done	 done[BLK_REAP];
	uint64_t		 v, t0, slept = 0;
	int			 took, armed = 0, n, i, pushed, kicked;
	int			 woke = 0;

	if (b->ncpus > 0) {
		if (sched_setaffinity(0, sizeof(b->cpus), &b->cpus) == -1)
			log_warn("disk %d: ring thread's CPUs", b->index);
		else
			log_debug("disk %d: ring thread kept where its disk's "
			    "interrupts go (%d CPUs)", b->index, b->ncpus);
	}
	for (;;) {
		virtio_pci_lock(vp);
		/*
		 * No kicks while this thread works: it looks at the ring
		 * again before it sleeps (blk_ring_poll turns them on and
		 * looks once more).
		 */
		if (!vp->q[0].vq.nonotify && virtio_pci_ready(vp, 0) &&
		    !vp->resetting)
			(void)virtq_notify(&vp->q[0].vq, 0);
		for (took = 0; blk_ring_take(b); took++)
			;
		virtio_pci_unlock(vp);
		if (disk_aio_submit(b->aio, 0) == -1) {
			log_warn("disk %d: io_uring", b->index);
			(void)usleep(1000);
		}
		n = disk_aio_reap(b->aio, done, BLK_REAP);
		virtio_pci_lock(vp);
		for (i = 0, pushed = 0, kicked = 0; i < n; i++) {
			if (done[i].tag == BLK_TAG_KICK) {
				(void)read(vp->q[0].kick_fd, &v, sizeof(v));
				armed = 0;
				kicked = 1;
			} else if (done[i].tag < BLK_SLOTS) {
				blk_ring_complete(b, &b->slot[done[i].tag],
				    done[i].res);
				pushed++;
			}
		}
		if (b->flush != NULL && !blk_older(b, b->flush->seq)) {
			blk_ring_sync(b, b->flush);
			b->flush = NULL;
			pushed++;
		}
		if (pushed > 0 || took > 0)
			virtio_pci_interrupt(vp, 0);
		virtio_pci_unlock(vp);
		if (woke) {
			/* What woke it: the guest's kick or the disk. */
			pollwin_slept(&b->poll, slept, blk_now_ns(),
			    kicked && pushed == 0);
			woke = 0;
		}
		if (took > 0 || pushed > 0 || kicked || blk_ring_poll(b))
			continue;
		/* Nothing came while it polled: sleep. */
		if (!armed && disk_aio_watch(b->aio, BLK_TAG_KICK) == 0)
			armed = 1;
		t0 = blk_now_ns();
		if (disk_aio_submit(b->aio, 1) == -1) {
			log_warn("disk %d: io_uring", b->index);
			(void)usleep(1000);
		}
		slept = blk_now_ns() - t0;
		woke = 1;
	}
	/* NOTREACHED */
	return NULL;
}

/*
 * blk_ring_start: serve the disk through io_uring, if the host has it.
 * 0 (the ring thread runs), or -1: the pool serves.
 */
static int
blk_ring_start(struct virtio_blk *b, struct disk_aio *aio)
{
	pthread_t	t;
	int		i;

	if (aio == NULL) {
		log_debug("disk %d: no io_uring: a pool of %d threads",
		    b->index, BLK_WORKERS);
		return -1;
	}
	if ((b->slot = calloc(BLK_SLOTS, sizeof(*b->slot))) == NULL ||
	    disk_aio_start(aio, b->disk, b->vp.q[0].kick_fd) == -1) {
		log_warn("disk %d: io_uring: a pool of %d threads instead",
		    b->index, BLK_WORKERS);
		disk_aio_free(aio);
		free(b->slot);
		b->slot = NULL;
		return -1;
	}
	b->aio = aio;
	for (i = 0; i < BLK_SLOTS; i++) {
		b->slot[i].b = b;
		b->slot[i].seq = BLK_IDLE;
		b->free[i] = BLK_SLOTS - 1 - i;
	}
	b->nfree = BLK_SLOTS;
	if ((errno = pthread_create(&t, NULL, blk_ring_thread, b)) != 0) {
		log_warn("disk %d: thread", b->index);
		disk_aio_free(b->aio);
		b->aio = NULL;
		return -1;
	}
	log_debug("disk %d: io_uring, %d requests in flight", b->index,
	    BLK_SLOTS);
	return 0;
}

/*
 * blk_notify: serve every available request on the caller's thread (the
 * pool may take some too). One caller at a time; others leave it to the
 * pool.
 */
static void
blk_notify(struct virtio_pci *vp, int q)
{
	struct virtio_blk	*b = vp->softc;
	struct blk_worker	*w = &b->w[BLK_WORKERS];

	(void)q;
	virtio_pci_lock(vp);
	if (!b->inline_busy) {
		b->inline_busy = 1;
		while (blk_take(b, w))
			blk_serve(b, w);
		b->inline_busy = 0;
	}
	virtio_pci_unlock(vp);
}

static const struct virtio_ops blk_ops = {
	.name = "virtio-blk",
	.type = VIRTIO_ID_BLOCK,
	.pci_class = 0x018000,		/* mass storage, other */
	.nqueues = 1,
	.qsize = BLK_QSIZE,
	.cfg_size = BLK_CFG_SIZE,
	.own_thread = 1,
	.cfg_read = blk_cfg_read,
	.notify = blk_notify,
};

struct virtio_pci *
virtio_blk_add(struct vm *vm, struct disk *disk, struct disk_aio *aio,
    int index)
{
	struct virtio_blk	*b;
	struct stat		 st;
	uint64_t		 features;
	int			 e, i;

	if (fstat(disk->fd, &st) == -1) {
		log_warn("disk %d", index);
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	b->disk = disk;
	b->readonly = disk->readonly;
	b->direct = disk->direct;
	b->index = index;
	if (index < vm->params.ndisks &&
	    vm->params.disks[index].nirqcpus > 0) {
		b->cpus = vm->params.disks[index].irqcpus;
		b->ncpus = vm->params.disks[index].nirqcpus;
	}
	b->sectors = disk->size / BLK_SECTOR;
	snprintf(b->serial, sizeof(b->serial), "vmd%d-%llx", index,
	    (unsigned long long)st.st_ino);
	memcpy(b->cfg + BLK_CFG_CAPACITY, &b->sectors, 8);
	blk_put32(b->cfg + BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	/* O_DIRECT on a disk of larger blocks: tell the driver. */
	blk_put32(b->cfg + BLK_CFG_BLK_SIZE, (uint32_t)disk->blksize);
	blk_put32(b->cfg + BLK_CFG_DISCARD_MAX, BLK_DISCARD_MAX);
	blk_put32(b->cfg + BLK_CFG_DISCARD_SEG, BLK_DISCARD_SEG);
	blk_put32(b->cfg + BLK_CFG_DISCARD_ALIGN, 8);
	blk_put32(b->cfg + BLK_CFG_WZ_MAX, BLK_DISCARD_MAX);
	blk_put32(b->cfg + BLK_CFG_WZ_SEG, BLK_DISCARD_SEG);
	b->cfg[BLK_CFG_WZ_UNMAP] = 1;
	features = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
	    (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);
	if (b->readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) |
		    (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	if (virtio_pci_init(vm, &b->vp, &blk_ops, b, features) == -1) {
		log_warn("disk %d: virtio-blk", index);
		return NULL;
	}
	/* The firmware boots from the first disk. */
	if (index == 0)
		vm->bootslot[VM_BOOTDEV_DISK] = b->vp.pci.slot;
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->done, NULL);
	for (i = 0; i <= BLK_WORKERS; i++) {
		b->w[i].b = b;
		b->w[i].seq = BLK_IDLE;
	}
	log_debug("disk %d: %s, %llu sectors%s%s", index, disk->ops->name,
	    (unsigned long long)b->sectors, b->readonly ? ", read-only" : "",
	    b->direct ? ", O_DIRECT" : "");
	if (b->direct)
		log_debug("disk %d: O_DIRECT blocks of %zu bytes", index,
		    disk->blksize);
	if (blk_ring_start(b, aio) == 0)
		return &b->vp;
	for (i = 0; i < BLK_WORKERS; i++) {
		if ((e = pthread_create(&b->w[i].thread, NULL, blk_thread,
		    &b->w[i])) != 0) {
			errno = e;
			log_warn("disk %d: thread", index);
			return NULL;
		}
	}
	return &b->vp;
}

/* virtio_blk_init: each disk opened through lib/disk, now jailed. */
int
virtio_blk_init(struct vm *vm)
{
	struct vm_disk	*d;
	struct disk	*disk;
	struct disk_aio	*aio;
	char		 why[DISK_WHY_MAX];
	int		 i;

	for (i = 0; i < vm->params.ndisks; i++) {
		d = &vm->params.disks[i];
		why[0] = '\0';
		if ((disk = disk_open(d->fd, d->format, d->nlayers,
		    d->readonly, d->limit, why)) == NULL) {
			d->nlayers = 0;
			log_warnx("disk %d: %s", i, why);
			return -1;
		}
		d->nlayers = 0;		/* the disk has the fds now */
		aio = d->aio;
		d->aio = NULL;		/* and the device the ring */
		if (virtio_blk_add(vm, disk, aio, i) == NULL) {
			disk_close(disk);
			return -1;
		}
	}
	return 0;
}
