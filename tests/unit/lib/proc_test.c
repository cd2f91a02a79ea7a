/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/proc.c: spawning a child and channels on libevent. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "proc.h"
#include "proto.h"

/* What the test's loop saw. */
struct seen {
	int		 n;
	uint32_t	 last;
	int		 fd;
	int		 closed;
	struct event_base *base;
};

static void
test_dispatch(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct seen	*s = arg;
	uint32_t	 v;

	(void)ch;
	s->n++;
	if (proto_u32_decode(im->data, im->hdr.len, &v) == 0)
		s->last = v;
	if (im->fd != -1) {
		s->fd = im->fd;
	}
	if (s->n == 3)
		event_base_loopbreak(s->base);
}

static void
test_closed(struct proc_chan *ch, void *arg)
{
	struct seen	*s = arg;

	(void)ch;
	s->closed++;
	event_base_loopbreak(s->base);
}

/* A reader on the other end: checks the order of what the queue sent. */
struct order {
	uint32_t	 next;		/* the value expected next */
	uint32_t	 want;		/* stop after this many */
	int		 bad;		/* out of order */
	int		 fd;		/* the last fd received */
	struct event_base *base;
};

static void
order_dispatch(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct order	*o = arg;
	uint32_t	 v;

	(void)ch;
	if (proto_u32_decode(im->data, im->hdr.len, &v) == -1 || v != o->next)
		o->bad++;
	o->next++;
	if (im->fd != -1) {
		if (o->fd != -1)
			close(o->fd);
		o->fd = im->fd;
	}
	if (o->next == o->want)
		event_base_loopbreak(o->base);
}

/*
 * Fill ch's socket: send v, v + 1, ... until one has to be queued. The
 * next value to send.
 */
static uint32_t
fill(struct proc_chan *ch, uint32_t v)
{
	while (ch->qlen == 0 && proc_send_u32(ch, IMSG_VMP_PAUSE_RESP, 0,
	    v) == 0)
		v++;
	return v;
}

static void
test_queue(struct event_base *base)
{
	struct proc_chan	 tx, rx;
	struct seen		 s;
	struct order		 o;
	uint32_t		 v, n;
	uint8_t			 buf[4];
	char			 c = 0;
	int			 sv[2], p[2], ok, i;

	/* A full socket: proc_send queues instead of waiting. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.fd = -1;
	memset(&o, 0, sizeof(o));
	o.base = base;
	o.fd = -1;
	tap_is(proc_chan_open(&tx, base, sv[0], "tx", test_dispatch,
	    test_closed, &s), 0, "queue: channel opened");
	v = fill(&tx, 0);
	tap_ok(v > 1 && tx.qlen == 1, "a full socket: message %u queued, "
	    "proc_send did not wait", (unsigned)v - 1);
	ok = 1;
	for (i = 0; i < 5000; i++)
		ok &= proc_send_u32(&tx, IMSG_VMP_PAUSE_RESP, 0, v++) == 0;
	tap_ok(ok && tx.qlen == 5001, "5000 more queue behind it (%zu bytes)",
	    tx.qbytes);

	/* An fd through the queue: ours to close at once, a dup travels. */
	pipe(p);
	proto_u32_encode(v++, buf);
	ok = proc_send(&tx, IMSG_VMP_FD_REQ, 0, buf, 4, p[0]) == 0;
	close(p[0]);
	tap_ok(ok && tx.qlen == 5002, "a message with an fd is queued");

	/* Reading the other end flushes everything, in order. */
	n = v;
	o.want = n;
	proc_chan_open(&rx, base, sv[1], "rx", order_dispatch, test_closed,
	    &s);
	rx.arg = &o;
	event_base_dispatch(base);
	tap_ok(o.next == n && o.bad == 0, "flushed in order: %u of %u",
	    (unsigned)o.next, (unsigned)n);
	tap_ok(tx.qlen == 0 && tx.qbytes == 0 && tx.nflushed == 5002,
	    "the queue is empty (%llu flushed)",
	    (unsigned long long)tx.nflushed);
	tap_ok(o.fd != -1 && write(p[1], "x", 1) == 1 && read(o.fd, &c, 1) ==
	    1 && c == 'x', "the queued fd arrives and works");
	close(o.fd);
	close(p[1]);
	tap_ok(tx.fd != -1 && !tx.dead, "the channel is still open");
	proc_chan_close(&tx);
	proc_chan_close(&rx);
	free(tx.im);
	free(rx.im);

	/* Backpressure: the peer is not read while sends wait. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.fd = -1;
	proc_chan_open(&tx, base, sv[0], "bp", test_dispatch, test_closed, &s);
	proc_chan_limit(&tx, PROC_QUEUE_MAX, PROC_CHAN_F_BACKPRESSURE);
	v = fill(&tx, 0);
	for (i = 0; i < 3; i++)
		imsg_send(sv[1], IMSG_VMP_PAUSE_RESP, 0, "\1\0\0\0", 4, -1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	tap_is(s.n, 0, "backpressure: nothing read while a message waits");
	/* Drain the peer's side: the queue empties, reading resumes. */
	memset(&o, 0, sizeof(o));
	o.base = base;
	o.fd = -1;
	o.want = v;
	proc_chan_open(&rx, base, sv[1], "rx", order_dispatch, NULL, &o);
	event_base_dispatch(base);
	for (i = 0; i < 100 && s.n < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	tap_ok(tx.qlen == 0 && s.n == 3, "read again once flushed (%d)", s.n);
	proc_chan_close(&tx);
	proc_chan_close(&rx);
	free(tx.im);
	free(rx.im);

	/* The bound: past it the peer is broken, closed is called once. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.fd = -1;
	proc_chan_open(&tx, base, sv[0], "bound", test_dispatch, test_closed,
	    &s);
	proc_chan_limit(&tx, 64 * 1024, 0);
	v = fill(&tx, 0);
	while (proc_send_u32(&tx, IMSG_VMP_PAUSE_RESP, 0, v) == 0)
		v++;
	tap_ok(errno == ENOBUFS && tx.qlen == 0, "past 64 KiB queued: ENOBUFS, "
	    "the queue dropped");
	tap_ok(proc_send_u32(&tx, IMSG_VMP_PAUSE_RESP, 0, 1) == -1 &&
	    errno == EPIPE, "then EPIPE");
	tap_is(s.closed, 0, "closed is not called from inside proc_send");
	event_base_dispatch(base);
	tap_ok(s.closed == 1 && tx.fd == -1, "closed once, from the loop");
	close(sv[1]);
	free(tx.im);
}

/* The spawned child: echo each u32 back plus one, then exit on 0. */
static int
child(void)
{
	struct imsg	*im = malloc(sizeof(*im));
	uint32_t	 v;
	uint8_t		 buf[4];
	int		 rv = 1;

	while (imsg_recv(PROC_CHILD_FD, im) == 1) {
		if (proto_u32_decode(im->data, im->hdr.len, &v) == -1) {
			rv = 2;
			break;
		}
		if (v == 0) {
			rv = 0;
			break;
		}
		proto_u32_encode(v + 1, buf);
		imsg_send(PROC_CHILD_FD, im->hdr.type, 0, buf, 4, -1);
	}
	free(im);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct proc_chan	 ch;
	struct seen		 s;
	char			 childarg[] = "child";
	char			*cargv[] = { argv[0], childarg, NULL };
	int			 fd, sv[2], status, p[2];
	pid_t			 pid;

	if (argc == 2 && strcmp(argv[1], "child") == 0)
		return child();
	base = event_base_new();
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.fd = -1;

	pid = proc_spawn(cargv, &fd);
	tap_ok(pid > 0, "proc_spawn: child %d", (int)pid);
	tap_ok(proc_chan_open(&ch, base, fd, "child", test_dispatch,
	    test_closed, &s) == 0, "proc_chan_open");
	proc_send_u32(&ch, IMSG_VMP_PAUSE_RESP, 0, 1);
	proc_send_u32(&ch, IMSG_VMP_PAUSE_RESP, 0, 10);
	proc_send_u32(&ch, IMSG_VMP_PAUSE_RESP, 0, 100);
	event_base_dispatch(base);
	tap_is(s.n, 3, "three answers dispatched");
	tap_is(s.last, 101, "in order, from the child");
	proc_send_u32(&ch, IMSG_VMP_PAUSE_RESP, 0, 0);
	event_base_dispatch(base);
	tap_is(s.closed, 1, "closed callback once at EOF");
	tap_is(ch.fd, -1, "the channel is shut");
	tap_ok(proc_send_u32(&ch, IMSG_VMP_PAUSE_RESP, 0, 5) == -1 &&
	    errno == EPIPE, "sending on a shut channel: EPIPE");
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child saw its channel on fd %d", PROC_CHILD_FD);
	free(ch.im);

	/* An fd travels with a message; framing errors close the channel. */
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&s, 0, sizeof(s));
	s.base = base;
	s.fd = -1;
	proc_chan_open(&ch, base, sv[0], "peer", test_dispatch, test_closed,
	    &s);
	pipe(p);
	imsg_send(sv[1], IMSG_VMP_PAUSE_RESP, 0, "\0\0\0\0", 4, p[0]);
	send(sv[1], "junk", 4, 0);
	event_base_dispatch(base);
	tap_ok(s.fd >= 0 && s.fd != p[0], "an fd arrives as a new fd");
	tap_is(s.closed, 1, "a short packet closes the channel");
	close(s.fd);
	close(p[0]);
	close(p[1]);
	close(sv[1]);
	free(ch.im);

	test_queue(base);
	event_base_free(base);
	return tap_done();
}
