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
	unsigned int		 inflight;	/* requests not answered yet */
	uint64_t		 flushed;	/* chan.nflushed at last check */
	struct event		*ev_idle;
	struct proc_chan	 chan;
	struct control		*ctl;
	char			 peer[48];	/* "client 7 (uid 1000)" */
};

/* The control process context, set in control_main. */
struct control {
	struct event_base	*base;
	struct proc_chan	 parent;
	int			 listen_fd;
	struct event		*ev_accept;
	struct event		*ev_backoff;	/* accept again after EMFILE */
	TAILQ_HEAD(, control_client) clients;
	unsigned int		 nclients;
	uint32_t		 next_id;
	struct timeval		 idle;		/* VMD_CLIENT_IDLE */
	int			 refusing;	/* the last accept was refused */
	int			 full;		/* every slot taken: not accepting */
};

/* Event priorities: the parent's channel goes first, always. */
#define CONTROL_PRI_PARENT	0
#define CONTROL_PRI_CLIENT	1
#define CONTROL_NPRI		2

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
	if (c->ev_idle != NULL)
		event_free(c->ev_idle);
	free(c->chan.im);
	free(c);
	ctl->nclients--;
	/* A slot is free: take the next connection waiting in the kernel. */
	if (ctl->full && ctl->nclients < VMD_MAX_CLIENTS) {
		ctl->full = 0;
		if (!evtimer_pending(ctl->ev_backoff, NULL))
			event_add(ctl->ev_accept, NULL);
	}
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

/* The client did something: its idle time starts again. */
static void
control_client_touch(struct control_client *c)
{
	evtimer_add(c->ev_idle, &c->ctl->idle);
}

/*
 * The idle timer: a client with a request in flight (vmctl wait, stop -w)
 * or whose answers are being read is kept; one with nothing in flight, or
 * whose answers have not moved for the whole time, is dropped.
 */
static void
control_client_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct control_client	*c = arg;

	(void)fd;
	(void)ev;
	if (c->chan.qlen == 0 && c->inflight > 0) {
		control_client_touch(c);
		return;
	}
	if (c->chan.qlen > 0 && c->chan.nflushed != c->flushed) {
		c->flushed = c->chan.nflushed;
		control_client_touch(c);
		return;
	}
	log_debug("%s: %s: %s for %lld s, dropped", __func__, c->peer,
	    c->chan.qlen > 0 ? "answers not read" : "idle",
	    (long long)c->ctl->idle.tv_sec);
	control_client_free(c->ctl, c);
}

/* Read the client again once few enough of its requests are in flight. */
static void
control_client_inflight(struct control_client *c, int delta)
{
	if (delta < 0 && c->inflight > 0)
		c->inflight--;
	else if (delta > 0)
		c->inflight++;
	proc_chan_hold(&c->chan, c->inflight >= VMD_CLIENT_INFLIGHT);
}

/*
 * control_client_send: a message for the client, through its send queue.
 * 0, or -1 when the client is gone (freed here; proc_send logged why).
 */
static int
control_client_send(struct control_client *c, uint32_t type,
    const void *data, size_t len)
{
	if (proc_send(&c->chan, type, 0, data, len, -1) == -1) {
		control_client_free(c->ctl, c);
		return -1;
	}
	return 0;
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
	if (proc_send_ctl(&c->chan, type + 1, 0, 0, buf, (size_t)len,
	    -1) == -1)
		control_client_free(c->ctl, c);
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
	control_client_touch(c);
	if (im->fd != -1) {
		close(im->fd);
		im->fd = -1;
		log_warnx("%s: %s passed an fd", __func__, c->peer);
		goto drop;
	}
	r = proto_route(im->hdr.type);
	if (r == NULL || (r->from != PROTO_FROM_ANY &&
	    r->from != PROTO_FROM_ROOT) ||
	    r->to != PROTO_TO_PARENT) {
		log_warnx("%s: %s sent %s", __func__, c->peer,
		    proto_name(im->hdr.type));
		goto drop;
	}
	if (proto_ctl_open(im, &uid, &payload, &len) == -1) {
		log_warn("%s: %s", __func__, c->peer);
		goto drop;
	}
	if (r->from == PROTO_FROM_ROOT && c->uid != 0) {
		control_client_refuse(c, im->hdr.type, EPERM);
		return;
	}
	(void)proto_ctl_stamp(im, (uint32_t)c->uid);
	if (proc_send(&ctl->parent, im->hdr.type, c->id, im->data, im->hdr.len,
	    -1) == -1) {
		control_client_refuse(c, im->hdr.type, EIO);
		return;
	}
	control_client_inflight(c, 1);
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

/*
 * control_admit: may a client of uid take a slot? Root may use every slot;
 * other uids share all but VMD_CLIENTS_ROOT and hold VMD_CLIENTS_PER_UID
 * each (control_accept does not accept while every slot is taken). 0, or
 * -1 with why set.
 */
static int
control_admit(struct control *ctl, uid_t uid, const char **why)
{
	struct control_client	*c;
	unsigned int		 n = 0;

	if (uid == 0)
		return 0;
	if (ctl->nclients >= VMD_MAX_CLIENTS - VMD_CLIENTS_ROOT) {
		*why = "the slots left are root's";
		return -1;
	}
	TAILQ_FOREACH(c, &ctl->clients, entry)
		if (c->uid == uid)
			n++;
	if (n >= VMD_CLIENTS_PER_UID) {
		*why = "its uid has the most connections it may";
		return -1;
	}
	return 0;
}

/* Accept again after running out of fds. */
static void
control_accept_backoff(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;

	(void)fd;
	(void)ev;
	event_add(ctl->ev_accept, NULL);
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct control		*ctl = arg;
	struct control_client	*c;
	struct ucred		 cred;
	struct timeval		 tv = { 1, 0 };
	socklen_t		 sl = sizeof(cred);
	const char		*why;
	int			 fd;

	(void)ev;
	/*
	 * Every slot taken (only root's clients can take the last ones):
	 * the next connections wait in the kernel, their connect(2) blocked,
	 * until control_client_free frees a slot, instead of being refused.
	 * Root holding every slot with requests that never end (vmctl wait)
	 * makes its next vmctl wait too: said once in the log.
	 */
	if (ctl->nclients >= VMD_MAX_CLIENTS) {
		if (!ctl->full)
			log_warnx("%s: every slot is taken, new connections "
			    "wait for one", __func__);
		ctl->full = 1;
		event_del(ctl->ev_accept);
		return;
	}
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("%s: accept, pausing for a second", __func__);
			event_del(ctl->ev_accept);
			evtimer_add(ctl->ev_backoff, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		close(fd);
		return;
	}
	if (control_admit(ctl, cred.uid, &why) == -1) {
		/* Once per run of refusals, not once per connection. */
		if (!ctl->refusing)
			log_warnx("%s: uid %u refused: %s", __func__,
			    (unsigned)cred.uid, why);
		ctl->refusing = 1;
		close(fd);
		return;
	}
	ctl->refusing = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->uid = cred.uid;
	c->id = ++ctl->next_id;
	if (c->id == 0)
		c->id = ++ctl->next_id;
	(void)snprintf(c->peer, sizeof(c->peer), "client %u (uid %u)", c->id,
	    (unsigned)c->uid);
	if ((c->ev_idle = evtimer_new(ctl->base, control_client_idle,
	    c)) == NULL || proc_chan_open(&c->chan, ctl->base, fd, c->peer,
	    control_dispatch_client, control_client_closed, c) == -1) {
		log_warn("%s: %s", __func__, c->peer);
		if (c->ev_idle != NULL)
			event_free(c->ev_idle);
		close(fd);
		free(c);
		return;
	}
	proc_chan_limit(&c->chan, VMD_CLIENT_QUEUE_MAX,
	    PROC_CHAN_F_BACKPRESSURE);
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
	control_client_touch(c);
	log_debug("%s: %s", __func__, c->peer);
}

static void
control_listen(struct control *ctl, int fd)
{
	if (ctl->ev_accept != NULL)
		proc_bad(&ctl->parent, ctl->parent.im, "second listen fd");
	ctl->listen_fd = fd;
	if ((ctl->ev_accept = event_new(ctl->base, fd, EV_READ | EV_PERSIST,
	    control_accept, ctl)) == NULL || (ctl->ev_backoff =
	    evtimer_new(ctl->base, control_accept_backoff, ctl)) == NULL ||
	    event_priority_set(ctl->ev_accept, CONTROL_PRI_CLIENT) == -1 ||
	    event_add(ctl->ev_accept, NULL) == -1)
		fatalx("%s: event", __func__);
}

/* A parent's answer for a client: pass it on if the client is still here. */
static void
control_relay(struct control *ctl, struct imsg *im)
{
	struct control_client	*c;

	if ((c = control_client_find(ctl, im->hdr.peerid)) == NULL)
		return;
	/* Every answer but a status row ends its request. */
	if (im->hdr.type != IMSG_VM_STATUS_RESP)
		control_client_inflight(c, -1);
	if (control_client_send(c, im->hdr.type, im->data, im->hdr.len) == 0)
		control_client_touch(c);
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
	const char	*errstr, *s;

	(void)opts;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ctl->clients);
	ctl->listen_fd = -1;
	ctl->idle.tv_sec = VMD_CLIENT_IDLE;
	/* A knob for tests: how long a connection may idle. */
	if ((s = getenv("VMD_CLIENT_IDLE")) != NULL) {
		ctl->idle.tv_sec = strtonum(s, 1, 3600, &errstr);
		if (errstr != NULL)
			fatalx("VMD_CLIENT_IDLE %s: %s", s, errstr);
	}
	if ((ctl->base = event_base_new()) == NULL ||
	    event_base_priority_init(ctl->base, CONTROL_NPRI) == -1)
		fatalx("%s: event_base_new", __func__);
	if (sandbox_drop(SANDBOX_USER, SANDBOX_EMPTY) == -1)
		fatalx("%s: cannot drop privileges", __func__);
	if (proc_chan_open(&ctl->parent, ctl->base, fd, "parent",
	    control_dispatch_parent, control_parent_closed, ctl) == -1 ||
	    proc_chan_priority(&ctl->parent, CONTROL_PRI_PARENT) == -1)
		fatal("%s: channel", __func__);
	if (sandbox_filter(control_syscalls) == -1)
		fatalx("%s: seccomp", __func__);
	event_base_dispatch(ctl->base);
	return 0;
}
