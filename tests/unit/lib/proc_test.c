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
	event_base_free(base);
	return tap_done();
}
