/* SPDX-License-Identifier: ISC */
/* Privsep plumbing: spawn vmd's processes and carry messages between them. */
#ifndef LIB_PROC_H
#define LIB_PROC_H

#include <sys/types.h>

#include <stdint.h>

#include "imsg.h"

struct event;
struct event_base;
struct proc_chan;

/* The fd a spawned child finds its channel to the parent on. */
#define PROC_CHILD_FD	3

/*
 * proc_dispatch_fn: one message from the peer; im->fd is the receiver's to
 * close. proc_closed_fn: the peer went away or broke the framing.
 */
typedef void	(*proc_dispatch_fn)(struct proc_chan *, struct imsg *, void *);
typedef void	(*proc_closed_fn)(struct proc_chan *, void *);

/* One end of a message channel, read on a libevent loop (its thread). */
struct proc_chan {
	int			 fd;
	const char		*peer;		/* for logs */
	struct event		*ev;
	struct imsg		*im;		/* receive buffer */
	proc_dispatch_fn	 dispatch;
	proc_closed_fn		 closed;
	void			*arg;
};

/*
 * proc_spawn: start this program again with argv, its end of a new
 * SOCK_SEQPACKET pair on PROC_CHILD_FD. *fd gets our end. Returns the pid,
 * or -1 with errno.
 */
pid_t	proc_spawn(char *const argv[], int *fd);

/*
 * proc_chan_open: read fd on base, calling dispatch for each message and
 * closed (once) at EOF or on a framing error; the channel is then shut.
 * 0, or -1 with errno.
 */
int	proc_chan_open(struct proc_chan *, struct event_base *, int fd,
	    const char *peer, proc_dispatch_fn, proc_closed_fn, void *arg);
/* proc_chan_close: stop reading and close the fd. Idempotent. */
void	proc_chan_close(struct proc_chan *);

/* proc_send: send one message; 0, or -1 with errno (logged). */
int	proc_send(struct proc_chan *, uint32_t type, uint32_t peerid,
	    const void *data, size_t len, int fd);
/* proc_send_u32: send a message whose payload is one u32. */
int	proc_send_u32(struct proc_chan *, uint32_t type, uint32_t peerid,
	    uint32_t v);

/* proc_bad: log a protocol violation by the peer and exit (fatal). */
void	proc_bad(struct proc_chan *, struct imsg *, const char *why)
	    __attribute__((noreturn));

#endif /* LIB_PROC_H */
