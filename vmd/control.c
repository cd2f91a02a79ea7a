/* SPDX-License-Identifier: ISC */
/* The control process: accepts vmctl clients and relays their requests. */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "vmd/vmd.h"

/* One vmctl connection; owned by the control process's only thread. */
struct control_client {
	TAILQ_ENTRY(control_client) entry;
	uint32_t		 id;		/* peer id on the way to parent */
	uid_t			 uid;		/* SO_PEERCRED */
	struct proc_chan	 chan;
	struct control		*ctl;
};

/* The control process context, set in control_main. */
struct control {
	struct event_base	*base;
	struct proc_chan	 parent;
	int			 listen_fd;
	struct event		*ev_accept;
	TAILQ_HEAD(, control_client) clients;
	unsigned int		 nclients;
	uint32_t		 next_id;
};

/*
 * What the control process may do once it listens: accept and talk on
 * sockets, pass no files, run its event loop.
 */
static const char *const control_syscalls[] = {
	/* the event loop */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"clock_gettime", "gettimeofday", "eventfd2", "pipe2",
	/* clients and the parent: messages, credentials */
	"accept4", "accept", "getsockopt", "setsockopt", "recvmsg", "sendmsg",
	"read", "write", "close", "fcntl",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "madvise",
	/* logging (syslog's socket is open already), signals, exit */
	"getpid", "sendto", "-connect", "-socket", "writev", "newfstatat",
	"fstat", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
	"exit", "exit_group",
	NULL
};

static void	control_accept(evutil_socket_t, short, void *);

static void
control_client_free(struct control *ctl, struct control_client *c)
{
	TAILQ_REMOVE(&ctl->clients, c, entry);
	proc_chan_close(&c->chan);
	free(c->chan.im);
	free(c);
	ctl->nclients--;
	if (ctl->ev_accept != NULL && ctl->nclients == VMD_MAX_CLIENTS - 1)
		event_add(ctl->ev_accept, NULL);
}

static struct control_client *
control_client_find(struct control *ctl, uint32_t id)
{
	struct control_client	*c;

	TAILQ_FOREACH(c, &ctl->clients, entry)
		if (c->id == id)
			return c;
	return NULL;
}

/* control_client_refuse: answer a request with errno err, from here. */
static void
control_client_refuse(struct control_client *c, uint32_t type, int err)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	r.error = err;
	r.pid = -1;
	len = proto_result_encode(&r, buf);
	(void)proto_ctl_send(c->chan.fd, type + 1, 0, 0, buf, (size_t)len,
	    -1);
}

/* A client's message: check it, stamp its uid, pass it to the parent. */
static void
control_dispatch_client(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct control_client	*c = arg;
	struct control		*ctl;
	const struct proto_route *r;
	const uint8_t		*payload;
	size_t			 len;
	uint32_t		 uid;

	(void)ch;
	ctl = c->ctl;
	if (im->fd != -1) {
		close(im->fd);
		im->fd = -1;
		log_warnx("%s: client %u (uid %u) passed an fd", __func__,
		    c->id, (unsigned)c->uid);
		goto drop;
	}
	r = proto_route(im->hdr.type);
	if (r == NULL || r->from == PROTO_FROM_DAEMON ||
	    r->to != PROTO_TO_PARENT) {
		log_warnx("%s: client %u (uid %u) sent %s", __func__, c->id,
		    (unsigned)c->uid, proto_name(im->hdr.type));
		goto drop;
	}
	if (proto_ctl_open(im, &uid, &payload, &len) == -1) {
		log_warn("%s: client %u (uid %u)", __func__, c->id,
		    (unsigned)c->uid);
		goto drop;
	}
	if (r->from == PROTO_FROM_ROOT && c->uid != 0) {
		control_client_refuse(c, im->hdr.type, EPERM);
		return;
	}
	(void)proto_ctl_stamp(im, (uint32_t)c->uid);
	if (proc_send(&ctl->parent, im->hdr.type, c->id, im->data, im->hdr.len,
	    -1) == -1)
		control_client_refuse(c, im->hdr.type, EIO);
	return;
 drop:
	control_client_free(ctl, c);
}

static void
control_client_closed(struct proc_chan *ch, void *arg)
{
	struct control_client	*c = arg;
	(void)ch;
	control_client_free(c->ctl, c);
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct control		*ctl = arg;
	struct control_client	*c;
	struct ucred		 cred;
	socklen_t		 sl = sizeof(cred);
	int			 fd;

	(void)ev;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->uid = cred.uid;
	c->id = ++ctl->next_id;
	if (c->id == 0)
		c->id = ++ctl->next_id;
	if (proc_chan_open(&c->chan, ctl->base, fd, "client",
	    control_dispatch_client, control_client_closed, c) == -1) {
		log_warn("%s: client", __func__);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	if (++ctl->nclients >= VMD_MAX_CLIENTS) {
		log_warnx("%s: %u clients, pausing accept", __func__,
		    ctl->nclients);
		event_del(ctl->ev_accept);
	}
	log_debug("%s: client %u uid %u", __func__, c->id, (unsigned)c->uid);
}

static void
control_listen(struct control *ctl, int fd)
{
	if (ctl->ev_accept != NULL)
		proc_bad(&ctl->parent, ctl->parent.im, "second listen fd");
	ctl->listen_fd = fd;
	if ((ctl->ev_accept = event_new(ctl->base, fd, EV_READ | EV_PERSIST,
	    control_accept, ctl)) == NULL || event_add(ctl->ev_accept,
	    NULL) == -1)
		fatalx("%s: event", __func__);
}

/* A parent's answer for a client: pass it on if the client is still here. */
static void
control_relay(struct control *ctl, struct imsg *im)
{
	struct control_client	*c;

	if ((c = control_client_find(ctl, im->hdr.peerid)) == NULL)
		return;
	if (imsg_send(c->chan.fd, im->hdr.type, 0, im->data, im->hdr.len,
	    -1) == -1) {
		log_warn("%s: client %u", __func__, c->id);
		control_client_free(ctl, c);
	}
}

static void
control_verbose(struct control *ctl, struct imsg *im)
{
	uint32_t	v;

	if (proto_u32_decode(im->data, im->hdr.len, &v) == -1)
		proc_bad(&ctl->parent, im, "bad verbosity");
	log_setverbose((int)v);
}

static void
control_dispatch_parent(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct control			*ctl = arg;
	const struct proto_route	*r;

	switch (im->hdr.type) {
	case IMSG_CTL_LISTEN_EVENT:
		if (im->fd == -1)
			proc_bad(ch, im, "no fd");
		control_listen(ctl, im->fd);
		return;
	case IMSG_LOG_VERBOSE_EVENT:
		control_verbose(ctl, im);
		break;
	default:
		r = proto_route(im->hdr.type);
		if (r == NULL || r->to != PROTO_TO_CLIENT)
			proc_bad(ch, im, "unexpected");
		control_relay(ctl, im);
		break;
	}
	if (im->fd != -1)
		close(im->fd);
}

static void
control_parent_closed(struct proc_chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	log_debug("parent went away");
	exit(0);
}

int
control_main(const struct vmd_opts *opts, int fd)
{
	struct control	*ctl;

	(void)opts;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ctl->clients);
	ctl->listen_fd = -1;
	if ((ctl->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	if (sandbox_drop(SANDBOX_USER, SANDBOX_EMPTY) == -1)
		fatalx("%s: cannot drop privileges", __func__);
	if (proc_chan_open(&ctl->parent, ctl->base, fd, "parent",
	    control_dispatch_parent, control_parent_closed, ctl) == -1)
		fatal("%s: channel", __func__);
	if (sandbox_filter(control_syscalls) == -1)
		fatalx("%s: seccomp", __func__);
	event_base_dispatch(ctl->base);
	return 0;
}
