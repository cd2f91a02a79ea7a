/* SPDX-License-Identifier: ISC */
/* Privsep plumbing: spawn vmd's processes and carry messages between them. */
#ifndef LIB_PROC_H
#define LIB_PROC_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>

#include "imsg.h"

struct event;
struct event_base;
struct proc_chan;

/* The fd a spawned child finds its channel to the parent on. */
#define PROC_CHILD_FD	3

/*
 * A channel's send queue may hold this many bytes (headers included)
 * before its peer counts as broken. Between vmd's own processes traffic
 * is bounded by what clients may have in flight, so a queue this long
 * means the peer stopped reading.
 */
#define PROC_QUEUE_MAX	(64 * 1024 * 1024)

/*
 * A writer that bypasses proc_send (imsg_send on ch->fd) waits at most
 * this long for room on a channel, then fails with EAGAIN.
 */
#define PROC_SNDTIMEO_MS	2000

/* proc_chan_limit flags. */
#define PROC_CHAN_F_BACKPRESSURE 0x1	/* read nothing while sends wait */

/*
 * proc_dispatch_fn: one message from the peer; im->fd is the receiver's to
 * close. proc_closed_fn: the peer went away, broke the framing or let the
 * send queue pass its bound; the channel is shut already.
 */
typedef void	(*proc_dispatch_fn)(struct proc_chan *, struct imsg *, void *);
typedef void	(*proc_closed_fn)(struct proc_chan *, void *);

/* A message waiting for room on the socket (lib/proc.c). */
struct proc_msg;
TAILQ_HEAD(proc_msgq, proc_msg);

/*
 * One end of a message channel, read and written on a libevent loop (its
 * thread). Nothing here ever waits for the peer: a message that does not
 * fit on the socket waits in the queue and goes out on EV_WRITE, in order.
 */
struct proc_chan {
	int			 fd;
	const char		*peer;		/* for logs */
	struct event		*ev;		/* EV_READ */
	struct event		*wev;		/* EV_WRITE, while queued */
	struct event		*ev_hup;	/* EV_CLOSED, while not read */
	struct event		*ev_dead;	/* the deferred closed call */
	struct imsg		*im;		/* receive buffer */
	proc_dispatch_fn	 dispatch;
	proc_closed_fn		 closed;
	void			*arg;
	struct proc_msgq	 queue;
	size_t			 qlen;		/* messages queued */
	size_t			 qbytes;	/* their bytes, headers too */
	size_t			 qmax;		/* bound on qbytes */
	uint64_t		 nflushed;	/* queued messages sent so far */
	int			 flags;		/* PROC_CHAN_F_* */
	int			 hold;		/* the owner paused reading */
	int			 reading;	/* ev is added */
	int			 dead;		/* shut, closed call pending */
};

/*
 * proc_spawn: start this program again with argv, its end of a new
 * SOCK_SEQPACKET pair on PROC_CHILD_FD and no other fd above 2. *fd gets
 * our end (close-on-exec). Returns the pid, or -1 with errno.
 */
pid_t	proc_spawn(char *const argv[], int *fd);

/*
 * proc_chan_open: read fd on base, calling dispatch for each message and
 * closed (once) at EOF, on a framing or send error, or when the send
 * queue passes its bound (PROC_QUEUE_MAX unless proc_chan_limit says
 * otherwise); the channel is shut before closed is called, which may free
 * it. 0, or -1 with errno.
 */
int	proc_chan_open(struct proc_chan *, struct event_base *, int fd,
	    const char *peer, proc_dispatch_fn, proc_closed_fn, void *arg);
/*
 * proc_chan_close: stop reading, drop what is queued (closing its fds)
 * and close the fd. Idempotent; the owner frees ch->im.
 */
void	proc_chan_close(struct proc_chan *);
/*
 * proc_chan_limit: bound the send queue to qmax bytes and set
 * PROC_CHAN_F_* flags. With PROC_CHAN_F_BACKPRESSURE the peer is not read
 * while anything waits to be sent to it.
 */
void	proc_chan_limit(struct proc_chan *, size_t qmax, int flags);
/* proc_chan_hold: pause (1) or resume (0) reading the peer. */
void	proc_chan_hold(struct proc_chan *, int hold);
/* proc_chan_priority: the libevent priority of the channel's events. */
int	proc_chan_priority(struct proc_chan *, int pri);

/*
 * proc_send: send one message, or queue it when the socket is full. A
 * passed fd stays the caller's: a queued message holds its own duplicate
 * (close-on-exec), closed once sent. 0, or -1 with errno (logged): EPIPE
 * on a shut channel, ENOBUFS when the queue passed its bound (the channel
 * is then shut and closed is called from the loop).
 */
int	proc_send(struct proc_chan *, uint32_t type, uint32_t peerid,
	    const void *data, size_t len, int fd);
/* proc_send_u32: send a message whose payload is one u32. */
int	proc_send_u32(struct proc_chan *, uint32_t type, uint32_t peerid,
	    uint32_t v);
/*
 * proc_send_ctl: proc_send on the control path: the envelope (version,
 * uid), then len bytes of payload (proto_ctl_send through the queue).
 */
int	proc_send_ctl(struct proc_chan *, uint32_t type, uint32_t peerid,
	    uint32_t uid, const void *payload, size_t len, int fd);

/* proc_bad: log a protocol violation by the peer and exit (fatal). */
void	proc_bad(struct proc_chan *, struct imsg *, const char *why)
	    __attribute__((noreturn));

#endif /* LIB_PROC_H */
