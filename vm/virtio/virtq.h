/* SPDX-License-Identifier: ISC */
/* Split virtqueues: the only code that knows the ring layout in guest RAM. */
#ifndef VM_VIRTIO_VIRTQ_H
#define VM_VIRTIO_VIRTQ_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

struct mem;

/* Feature bits the ring walker implements (virtio 1.x numbering). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29

#define VIRTQ_MAX_SIZE		256	/* largest queue a device offers */
#define VIRTQ_MAX_IOV		256	/* descriptors in one chain, all kinds */

/*
 * One split queue as the device sees it. Owned by whoever holds the
 * device's lock (struct virtio_pci.lock); virtq itself takes no locks.
 */
struct virtq {
	const struct mem	*mem;
	uint16_t		 size;		/* 0: not set up */
	int			 event_idx;	/* VIRTIO_F_EVENT_IDX negotiated */
	int			 indirect;	/* VIRTIO_F_INDIRECT_DESC too */
	uint8_t			*desc;		/* host views of the rings */
	uint8_t			*avail;
	uint8_t			*used;
	uint16_t		 last_avail;	/* next avail entry to take */
	uint16_t		 used_idx;	/* next used entry to fill */
	uint16_t		 signalled;	/* used_idx at the last interrupt */
	int			 nonotify;	/* kicks suppressed (virtq_notify) */
	const char		*err;		/* why the last call failed */
};

/*
 * One descriptor chain handed to a device: iov[0 .. nread) are the
 * device-readable buffers, iov[nread .. nread + nwrite) the writable ones,
 * every one inside guest RAM. rlen and wlen are their total lengths.
 */
struct virtq_chain {
	uint16_t	 head;
	int		 nread;
	int		 nwrite;
	size_t		 rlen;
	size_t		 wlen;
	struct iovec	 iov[VIRTQ_MAX_IOV];
};

/*
 * virtq_init: attach vq to rings at the given guest addresses. size is a
 * power of two <= VIRTQ_MAX_SIZE, features the negotiated feature bits.
 * 0, or -1 with vq->err set and errno EINVAL (size, alignment) or EFAULT
 * (a ring is not inside RAM).
 */
int	virtq_init(struct virtq *, const struct mem *, uint16_t size,
	    uint64_t desc, uint64_t avail, uint64_t used, uint64_t features);
/* virtq_reset: forget the queue (size 0). */
void	virtq_reset(struct virtq *);
/*
 * virtq_pop: take the next available chain into c. 1 if one was taken,
 * 0 if the ring is empty (with event index, the device also asks to be
 * notified of the next one), -1 if the driver broke the rules: errno
 * EFAULT (buffer outside RAM), ELOOP (loop), E2BIG (chain too long),
 * EINVAL (bad index, flags or direction order); vq->err says which. After
 * -1 the queue must not be used until the device is reset.
 */
int	virtq_pop(struct virtq *, struct virtq_chain *c);
/* virtq_unpop: give back the chain the last virtq_pop took, unused. */
void	virtq_unpop(struct virtq *);
/* virtq_push: return chain head to the driver with len bytes written. */
void	virtq_push(struct virtq *, uint16_t head, uint32_t len);
/*
 * virtq_need_interrupt: 1 if the driver wants an interrupt for the chains
 * pushed since the last call that returned 1 (flags or used_event).
 */
int	virtq_need_interrupt(struct virtq *);
/* virtq_pending: 1 if the driver has made chains available not yet taken. */
int	virtq_pending(const struct virtq *);
/*
 * virtq_notify: ask the driver to kick for new chains (on) or to spare
 * the kicks (off) while the device polls the ring: VIRTQ_USED_F_NO_NOTIFY
 * in the used ring, or with event index avail_event (set behind the ring,
 * so no kick is due). While off, virtq_pop no longer re-arms kicks when
 * the ring runs dry. Turning them on returns virtq_pending() read after
 * the request is visible to the driver: 1 means chains came meanwhile,
 * for which no kick may come. A hint only: drivers may kick regardless.
 */
int	virtq_notify(struct virtq *, int on);
/*
 * virtq_avail_moved: 1 if the avail index at avail (a ring's host view,
 * read without the device lock) is not last. For polling only: the
 * caller re-checks with virtq_pop under the lock.
 */
int	virtq_avail_moved(const uint8_t *avail, uint16_t last);

/*
 * Copy helpers over a chain's readable or writable part, starting off
 * bytes in. They return the bytes copied (short at the end of the part).
 */
size_t	virtq_read_buf(const struct virtq_chain *, size_t off, void *,
	    size_t len);
size_t	virtq_write_buf(const struct virtq_chain *, size_t off, const void *,
	    size_t len);
/*
 * virtq_iov_slice: fill out (at most max entries) with the part of the
 * readable (writable = 0) or writable chain part in [off, off + len).
 * Returns the entry count; bytes not covered are simply left out.
 */
int	virtq_iov_slice(const struct virtq_chain *, int writable, size_t off,
	    size_t len, struct iovec *out, int max);

#endif /* VM_VIRTIO_VIRTQ_H */
