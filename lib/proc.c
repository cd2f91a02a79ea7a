/* SPDX-License-Identifier: ISC */
/* Privsep plumbing: spawn vmd's processes and carry messages between them. */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "proc.h"
#include "proto.h"

/* Room for bursts (status lists) before a message has to be queued. */
#define PROC_SOCKBUF	(1024 * 1024)

/* A message waiting for room on the socket; owned by its channel. */
struct proc_msg {
	TAILQ_ENTRY(proc_msg)	 entry;
	uint32_t		 type;
	uint32_t		 peerid;
	int			 fd;		/* our duplicate, or -1 */
	size_t			 len;
	uint8_t			 data[];
};

static void	proc_chan_fail(struct proc_chan *, const char *);

pid_t
proc_spawn(char *const argv[], int *fd)
{
	/*
	 * No parent-death signal: a privsep child sees its channel close
	 * and cleans up (priv deletes what it made) before it leaves.
	 */
	return launch_fork("/proc/self/exe", argv, 0, fd);
}

/* Read the peer unless the owner holds it or sends are waiting. */
static void
proc_chan_update_read(struct proc_chan *ch)
{
	int	want;

	if (ch->ev == NULL)
		return;
	want = !ch->dead && !ch->hold &&
	    !((ch->flags & PROC_CHAN_F_BACKPRESSURE) && ch->qlen > 0);
	if (want && !ch->reading) {
		if (event_add(ch->ev, NULL) == 0)
			ch->reading = 1;
		event_del(ch->ev_hup);
	} else if (!want && ch->reading) {
		event_del(ch->ev);
		ch->reading = 0;
		/* A peer that hangs up meanwhile is noticed all the same. */
		if (!ch->dead)
			(void)event_add(ch->ev_hup, NULL);
	}
}

static void
proc_chan_read(evutil_socket_t fd, short ev, void *arg)
{
	struct proc_chan	*ch = arg;
	int			 rv;

	(void)fd;
	(void)ev;
	rv = imsg_tryrecv(ch->fd, ch->im);
	if (rv == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (rv == 1) {
		ch->dispatch(ch, ch->im, ch->arg);
		return;
	}
	if (rv == -1)
		log_warn("%s: from %s", __func__, ch->peer);
	proc_chan_close(ch);
	if (ch->closed != NULL)
		ch->closed(ch, ch->arg);
}

/*
 * The channel ends: EV_CLOSED while the peer is not read (it hung up), or
 * the deferred closed call of a channel proc_chan_fail shut.
 */
static void
proc_chan_end(evutil_socket_t fd, short ev, void *arg)
{
	struct proc_chan	*ch = arg;

	(void)fd;
	(void)ev;
	proc_chan_close(ch);
	if (ch->closed != NULL)
		ch->closed(ch, ch->arg);
}

static void
proc_msg_free(struct proc_chan *ch, struct proc_msg *m)
{
	TAILQ_REMOVE(&ch->queue, m, entry);
	ch->qlen--;
	ch->qbytes -= sizeof(struct imsg_hdr) + m->len;
	if (m->fd != -1)
		close(m->fd);
	free(m);
}

/* EV_WRITE: send what waits, in order, until the socket is full. */
static void
proc_chan_write(evutil_socket_t fd, short ev, void *arg)
{
	struct proc_chan	*ch = arg;
	struct proc_msg		*m;

	(void)fd;
	(void)ev;
	while ((m = TAILQ_FIRST(&ch->queue)) != NULL) {
		if (imsg_trysend(ch->fd, m->type, m->peerid, m->data, m->len,
		    m->fd) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			proc_chan_fail(ch, strerror(errno));
			return;
		}
		proc_msg_free(ch, m);
		ch->nflushed++;
	}
	event_del(ch->wev);
	proc_chan_update_read(ch);
}

/*
 * proc_chan_fail: the peer is broken (a send failed, or it let the queue
 * pass its bound). Stop using it now; its owner hears of it from the loop,
 * not from inside a proc_send it is calling.
 */
static void
proc_chan_fail(struct proc_chan *ch, const char *why)
{
	struct proc_msg	*m;

	if (ch->dead)
		return;
	log_warnx("%s: %s: %s, treated as closed", __func__, ch->peer, why);
	ch->dead = 1;
	proc_chan_update_read(ch);
	event_del(ch->ev_hup);
	if (ch->wev != NULL)
		event_del(ch->wev);
	while ((m = TAILQ_FIRST(&ch->queue)) != NULL)
		proc_msg_free(ch, m);
	event_active(ch->ev_dead, EV_TIMEOUT, 0);
}

int
proc_chan_open(struct proc_chan *ch, struct event_base *base, int fd,
    const char *peer, proc_dispatch_fn dispatch, proc_closed_fn closed,
    void *arg)
{
	struct timeval	tv;

	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->peer = peer;
	ch->dispatch = dispatch;
	ch->closed = closed;
	ch->arg = arg;
	ch->qmax = PROC_QUEUE_MAX;
	TAILQ_INIT(&ch->queue);
	/* Bound the wait of anyone who writes the fd directly. */
	tv.tv_sec = PROC_SNDTIMEO_MS / 1000;
	tv.tv_usec = (PROC_SNDTIMEO_MS % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ch->im = malloc(sizeof(*ch->im))) == NULL)
		return -1;
	if ((ch->ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    proc_chan_read, ch)) == NULL ||
	    (ch->wev = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    proc_chan_write, ch)) == NULL ||
	    (ch->ev_hup = event_new(base, fd, EV_CLOSED | EV_PERSIST,
	    proc_chan_end, ch)) == NULL ||
	    (ch->ev_dead = evtimer_new(base, proc_chan_end, ch)) == NULL ||
	    event_add(ch->ev, NULL) == -1) {
		if (ch->ev != NULL)
			event_free(ch->ev);
		if (ch->wev != NULL)
			event_free(ch->wev);
		if (ch->ev_hup != NULL)
			event_free(ch->ev_hup);
		if (ch->ev_dead != NULL)
			event_free(ch->ev_dead);
		free(ch->im);
		ch->ev = ch->wev = ch->ev_hup = ch->ev_dead = NULL;
		ch->im = NULL;
		errno = ENOMEM;
		return -1;
	}
	ch->reading = 1;
	return 0;
}

void
proc_chan_close(struct proc_chan *ch)
{
	struct proc_msg	*m;

	if (ch->ev != NULL) {
		event_free(ch->ev);
		ch->ev = NULL;
	}
	if (ch->wev != NULL) {
		event_free(ch->wev);
		ch->wev = NULL;
	}
	if (ch->ev_hup != NULL) {
		event_free(ch->ev_hup);
		ch->ev_hup = NULL;
	}
	if (ch->ev_dead != NULL) {
		event_free(ch->ev_dead);
		ch->ev_dead = NULL;
	}
	while ((m = TAILQ_FIRST(&ch->queue)) != NULL)
		proc_msg_free(ch, m);
	ch->reading = 0;
	if (ch->fd != -1) {
		close(ch->fd);
		ch->fd = -1;
	}
	/* The buffer may be the one being dispatched: keep it until reuse. */
}

void
proc_chan_limit(struct proc_chan *ch, size_t qmax, int flags)
{
	ch->qmax = qmax;
	ch->flags = flags;
	proc_chan_update_read(ch);
}

void
proc_chan_hold(struct proc_chan *ch, int hold)
{
	ch->hold = hold;
	proc_chan_update_read(ch);
}

int
proc_chan_priority(struct proc_chan *ch, int pri)
{
	if (ch->ev == NULL || event_priority_set(ch->ev, pri) == -1 ||
	    event_priority_set(ch->wev, pri) == -1 ||
	    event_priority_set(ch->ev_hup, pri) == -1 ||
	    event_priority_set(ch->ev_dead, pri) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Queue a message the socket has no room for. 0, or -1 with errno. */
static int
proc_enqueue(struct proc_chan *ch, uint32_t type, uint32_t peerid,
    const void *data, size_t len, int fd)
{
	struct proc_msg	*m;
	size_t		 size = sizeof(struct imsg_hdr) + len;

	if (ch->qbytes + size > ch->qmax) {
		proc_chan_fail(ch, "send queue over its bound");
		errno = ENOBUFS;
		return -1;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL) {
		log_warn("%s: %s to %s", __func__, proto_name(type), ch->peer);
		return -1;
	}
	m->type = type;
	m->peerid = peerid;
	m->len = len;
	m->fd = -1;
	if (len > 0)
		memcpy(m->data, data, len);
	if (fd != -1 && (m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("%s: %s to %s: fd", __func__, proto_name(type),
		    ch->peer);
		free(m);
		return -1;
	}
	TAILQ_INSERT_TAIL(&ch->queue, m, entry);
	ch->qbytes += size;
	if (++ch->qlen == 1) {
		event_add(ch->wev, NULL);
		proc_chan_update_read(ch);
	}
	return 0;
}

int
proc_send(struct proc_chan *ch, uint32_t type, uint32_t peerid,
    const void *data, size_t len, int fd)
{
	if (ch->fd == -1 || ch->dead) {
		errno = EPIPE;
		return -1;
	}
	if (len > IMSG_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		log_warn("%s: %s to %s", __func__, proto_name(type), ch->peer);
		return -1;
	}
	/* Behind queued messages, a new one waits its turn. */
	if (ch->qlen == 0) {
		if (imsg_trysend(ch->fd, type, peerid, data, len, fd) == 0)
			return 0;
		if (errno != EAGAIN) {
			log_warn("%s: %s to %s", __func__, proto_name(type),
			    ch->peer);
			return -1;
		}
	}
	return proc_enqueue(ch, type, peerid, data, len, fd);
}

int
proc_send_u32(struct proc_chan *ch, uint32_t type, uint32_t peerid,
    uint32_t v)
{
	uint8_t	buf[sizeof(v)];
	int	len;

	len = proto_u32_encode(v, buf);
	return proc_send(ch, type, peerid, buf, (size_t)len, -1);
}

int
proc_send_ctl(struct proc_chan *ch, uint32_t type, uint32_t peerid,
    uint32_t uid, const void *payload, size_t len, int fd)
{
	uint8_t	buf[IMSG_MAX_PAYLOAD];
	int	n;

	if ((n = proto_ctl_wrap(uid, payload, len, buf)) == -1) {
		log_warn("%s: %s to %s", __func__, proto_name(type), ch->peer);
		return -1;
	}
	return proc_send(ch, type, peerid, buf, (size_t)n, fd);
}

void
proc_bad(struct proc_chan *ch, struct imsg *im, const char *why)
{
	fatalx("protocol error from %s: %s (%u bytes): %s", ch->peer,
	    proto_name(im->hdr.type), im->hdr.len, why);
}
