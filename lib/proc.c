/* SPDX-License-Identifier: ISC */
/* Privsep plumbing: spawn vmd's processes and carry messages between them. */
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proto.h"

/* Room for bursts (status lists) before a sender blocks. */
#define PROC_SOCKBUF	(1024 * 1024)

pid_t
proc_spawn(char *const argv[], int *fd)
{
	pid_t	pid;
	int	sv[2], bufsz = PROC_SOCKBUF;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	switch ((pid = fork())) {
	case -1:
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0:
		/* dup2 clears close-on-exec on the new number. */
		if (sv[1] == PROC_CHILD_FD) {
			if (fcntl(sv[1], F_SETFD, 0) == -1)
				_exit(127);
		} else if (dup2(sv[1], PROC_CHILD_FD) == -1)
			_exit(127);
		execv("/proc/self/exe", argv);
		_exit(127);
	default:
		break;
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

static void
proc_chan_read(evutil_socket_t fd, short ev, void *arg)
{
	struct proc_chan	*ch = arg;
	int			 rv;

	(void)fd;
	(void)ev;
	rv = imsg_recv(ch->fd, ch->im);
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

int
proc_chan_open(struct proc_chan *ch, struct event_base *base, int fd,
    const char *peer, proc_dispatch_fn dispatch, proc_closed_fn closed,
    void *arg)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->peer = peer;
	ch->dispatch = dispatch;
	ch->closed = closed;
	ch->arg = arg;
	if ((ch->im = malloc(sizeof(*ch->im))) == NULL)
		return -1;
	if ((ch->ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    proc_chan_read, ch)) == NULL || event_add(ch->ev, NULL) == -1) {
		if (ch->ev != NULL)
			event_free(ch->ev);
		free(ch->im);
		ch->ev = NULL;
		ch->im = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
proc_chan_close(struct proc_chan *ch)
{
	if (ch->ev != NULL) {
		event_free(ch->ev);
		ch->ev = NULL;
	}
	if (ch->fd != -1) {
		close(ch->fd);
		ch->fd = -1;
	}
	/* The buffer may be the one being dispatched: keep it until reuse. */
}

int
proc_send(struct proc_chan *ch, uint32_t type, uint32_t peerid,
    const void *data, size_t len, int fd)
{
	if (ch->fd == -1) {
		errno = EPIPE;
		return -1;
	}
	if (imsg_send(ch->fd, type, peerid, data, len, fd) == -1) {
		log_warn("%s: %s to %s", __func__, proto_name(type), ch->peer);
		return -1;
	}
	return 0;
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

void
proc_bad(struct proc_chan *ch, struct imsg *im, const char *why)
{
	fatalx("protocol error from %s: %s (%u bytes): %s", ch->peer,
	    proto_name(im->hdr.type), im->hdr.len, why);
}
