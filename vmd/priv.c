/* SPDX-License-Identifier: ISC */
/* The priv process: the only code that will change host networking. */
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "vmd/vmd.h"

/* The priv process context, set in priv_main. */
struct priv {
	struct event_base	*base;
	struct proc_chan	 parent;
};

static void
priv_verbose(struct priv *priv, struct imsg *im)
{
	uint32_t	v;

	if (proto_u32_decode(im->data, im->hdr.len, &v) == -1)
		proc_bad(&priv->parent, im, "bad verbosity");
	log_setverbose((int)v);
}

static void
priv_dispatch_parent(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct priv	*priv = arg;

	switch (im->hdr.type) {
	case IMSG_LOG_VERBOSE_EVENT:
		priv_verbose(priv, im);
		break;
	default:
		proc_bad(ch, im, "unexpected");
	}
	if (im->fd != -1)
		close(im->fd);
}

static void
priv_parent_closed(struct proc_chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	exit(0);
}

int
priv_main(const struct vmd_opts *opts, int fd)
{
	struct priv	*priv;

	(void)opts;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if ((priv = calloc(1, sizeof(*priv))) == NULL)
		fatal("%s", __func__);
	if ((priv->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	/* Root stays (network ioctls need it) but the file system goes. */
	if (chroot(SANDBOX_EMPTY) == -1 || chdir("/") == -1)
		fatal("%s: chroot", __func__);
	if (proc_chan_open(&priv->parent, priv->base, fd, "parent",
	    priv_dispatch_parent, priv_parent_closed, priv) == -1)
		fatal("%s: channel", __func__);
	event_base_dispatch(priv->base);
	return 0;
}
