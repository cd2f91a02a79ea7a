/* SPDX-License-Identifier: ISC */
/* The priv process: the only code that will change host networking. */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/capability.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "vmd/nat.h"
#include "vmd/netif.h"
#include "vmd/vmd.h"

#define PRIV_MAX_SWITCHES	64
#define PRIV_SWITCH_TAG		"-switch "	/* "<owner>-switch <name>" */

/* The priv process context, set in priv_main. */
struct priv {
	struct event_base	*base;
	struct proc_chan	 parent;
	struct event		*ev_term;
	/* Bridges this vmd created (or a killed one left): deleted at reset
	   and exit. */
	char			 created[PRIV_MAX_SWITCHES][PROTO_IFNAME_MAX];
	int			 ncreated;
	int			 fwd4, fwd6;	/* forwarding sysctls, or -1 */
	int			 was4, was6;	/* their values before, or -1 */
	struct nat_lib		 nat;		/* libnftables, from before chroot */
};

/* priv_cleanup: delete our bridges, nat table and forwarding changes. */
static void
priv_cleanup(struct priv *priv, int all)
{
	int	i;

	for (i = 0; i < priv->ncreated; i++) {
		log_debug("%s: deleting bridge %s", __func__,
		    priv->created[i]);
		(void)netif_delete(priv->created[i]);
	}
	priv->ncreated = 0;
	(void)nat_clear(&priv->nat);
	if (!all)
		return;
	if ((priv->was4 != -1 || priv->was6 != -1) &&
	    nat_others(&priv->nat) == 1) {
		log_info("%s: forwarding stays on for another vmd's local nat",
		    __func__);
		return;
	}
	if (priv->fwd4 != -1 && priv->was4 != -1)
		(void)nat_forwarding_set(priv->fwd4, priv->was4, NULL);
	if (priv->fwd6 != -1 && priv->was6 != -1)
		(void)nat_forwarding_set(priv->fwd6, priv->was6, NULL);
	priv->was4 = priv->was6 = -1;
}

/* A switch: create its bridge if missing, or adopt one vmd left. */
static void
priv_switch(struct priv *priv, const struct proto_switch *r)
{
	struct netif_info	info;
	char			tag[PROTO_IFDESCR_MAX];
	int			i, ex, taglen;

	/* Our tag: the owner of our nat table (nat_owner), never another's. */
	taglen = snprintf(tag, sizeof(tag), "%s" PRIV_SWITCH_TAG,
	    priv->nat.table);
	strlcat(tag, r->name, sizeof(tag));
	for (i = 0; i < priv->ncreated; i++)
		if (strcmp(priv->created[i], r->bridge) == 0)
			break;
	if (i == priv->ncreated) {
		if ((ex = netif_exists(r->bridge)) == -1)
			return;
		if (ex && (netif_info(r->bridge, &info) == -1 ||
		    strncmp(info.alias, tag, (size_t)taglen) != 0))
			i = -1;		/* the admin's bridge: never deleted */
		else if (!ex && netif_bridge_create(r->bridge) == -1)
			return;
		if (i != -1 && priv->ncreated < PRIV_MAX_SWITCHES) {
			strlcpy(priv->created[priv->ncreated++], r->bridge,
			    PROTO_IFNAME_MAX);
			(void)netif_descr(r->bridge, tag);
			log_info("switch %s: bridge %s %s", r->name,
			    r->bridge, ex ? "adopted" : "created");
		}
	}
	(void)netif_updown(r->bridge, r->up);
}

/* local nat: masquerade the local prefixes, forwarding on; length 0: off. */
static void
priv_nat(struct priv *priv, const struct proto_nat *r)
{
	struct nat_prefixes	np;
	int			was;

	if (r->prefixlen == 0) {
		(void)nat_clear(&priv->nat);
		if ((priv->was4 != -1 || priv->was6 != -1) &&
		    nat_others(&priv->nat) == 1) {
			log_info("%s: forwarding stays on for another vmd's "
			    "local nat", __func__);
			return;
		}
		if (priv->fwd4 != -1 && priv->was4 != -1)
			(void)nat_forwarding_set(priv->fwd4, priv->was4, NULL);
		if (priv->fwd6 != -1 && priv->was6 != -1)
			(void)nat_forwarding_set(priv->fwd6, priv->was6, NULL);
		priv->was4 = priv->was6 = -1;
		return;
	}

	memset(&np, 0, sizeof(np));
	np.prefix = r->prefix;
	np.prefixlen = (int)r->prefixlen;
	np.prefix6 = r->prefix6;
	np.prefix6len = (int)r->prefix6len;
	if (nat_set(&priv->nat, &np) == -1)
		return;
	if (priv->fwd4 != -1 && nat_forwarding_set(priv->fwd4, 1, &was) == 0 &&
	    priv->was4 == -1)
		priv->was4 = was;
	if (np.prefix6len != 0 && priv->fwd6 != -1 &&
	    nat_forwarding_set(priv->fwd6, 1, &was) == 0 && priv->was6 == -1)
		priv->was6 = was;
}

/*
 * One interface operation from the parent, decoded by its type; a payload
 * that does not decode ends priv (proc_bad). Failures of the operation are
 * logged by netif.
 */
static void
priv_ifreq(struct priv *priv, struct imsg *im)
{
	union {
		struct proto_ifdescr	d;
		struct proto_ifvalue	v;
		struct proto_ifaddr	a;
		struct proto_ifaddr6	a6;
		struct proto_ifbradd	br;
		struct proto_switch	sw;
		struct proto_nat	nat;
	}			 r;
	const uint8_t		*data = im->data;
	size_t			 len = im->hdr.len;
	const char		*name = NULL, *bridge = NULL;
	int			 rv = -1;

	switch (im->hdr.type) {
	case IMSG_PRIV_IFDESCR_REQ:
		rv = proto_ifdescr_decode(data, len, &r.d);
		name = r.d.name;
		break;
	case IMSG_PRIV_IFUP_REQ:
	case IMSG_PRIV_IFGROUP_REQ:
		rv = proto_ifvalue_decode(data, len, &r.v);
		name = r.v.name;
		break;
	case IMSG_PRIV_IFADDR_REQ:
		rv = proto_ifaddr_decode(data, len, &r.a);
		name = r.a.name;
		break;
	case IMSG_PRIV_IFADDR6_REQ:
		rv = proto_ifaddr6_decode(data, len, &r.a6);
		name = r.a6.name;
		break;
	case IMSG_PRIV_IFBRADD_REQ:
		rv = proto_ifbradd_decode(data, len, &r.br);
		name = r.br.name;
		bridge = r.br.bridge;
		break;
	case IMSG_PRIV_SWITCH_REQ:
		rv = proto_switch_decode(data, len, &r.sw);
		bridge = r.sw.bridge;
		break;
	case IMSG_PRIV_NAT_REQ:
		rv = proto_nat_decode(data, len, &r.nat);
		break;
	case IMSG_PRIV_RESET_REQ:
		rv = proto_empty_decode(data, len);
		break;
	}
	if (rv == -1)
		proc_bad(&priv->parent, im, "bad interface request");
	/* Names are checked here: priv touches nothing else. */
	if ((name != NULL && !netif_name_valid(name)) ||
	    (bridge != NULL && !netif_name_valid(bridge))) {
		log_warnx("%s: %s: invalid interface name", __func__,
		    proto_name(im->hdr.type));
		return;
	}
	switch (im->hdr.type) {
	case IMSG_PRIV_IFDESCR_REQ:
		(void)netif_descr(r.d.name, r.d.descr);
		break;
	case IMSG_PRIV_IFUP_REQ:
		(void)netif_updown(r.v.name, r.v.value != 0);
		break;
	case IMSG_PRIV_IFGROUP_REQ:
		(void)netif_group(r.v.name, r.v.value);
		break;
	case IMSG_PRIV_IFADDR_REQ:
		(void)netif_addr(r.a.name, r.a.addr, (int)r.a.prefixlen, 1);
		break;
	case IMSG_PRIV_IFADDR6_REQ:
		(void)netif_addr6(r.a6.name, &r.a6.addr, (int)r.a6.prefixlen,
		    1);
		break;
	case IMSG_PRIV_IFBRADD_REQ:
		(void)netif_bridge_add(r.br.bridge, r.br.name);
		break;
	case IMSG_PRIV_SWITCH_REQ:
		priv_switch(priv, &r.sw);
		break;
	case IMSG_PRIV_RESET_REQ:
		priv_cleanup(priv, 1);
		break;
	case IMSG_PRIV_NAT_REQ:
		priv_nat(priv, &r.nat);
		break;
	}
}

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
	case IMSG_PRIV_IFDESCR_REQ:
	case IMSG_PRIV_IFUP_REQ:
	case IMSG_PRIV_IFGROUP_REQ:
	case IMSG_PRIV_IFADDR_REQ:
	case IMSG_PRIV_IFADDR6_REQ:
	case IMSG_PRIV_IFBRADD_REQ:
	case IMSG_PRIV_SWITCH_REQ:
	case IMSG_PRIV_RESET_REQ:
	case IMSG_PRIV_NAT_REQ:
		priv_ifreq(priv, im);
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
	priv_cleanup(arg, 1);
	exit(0);
}

static void
priv_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	priv_cleanup(arg, 1);
	exit(0);
}

/*
 * What priv may do once it runs: talk netlink (links, addresses, bridges,
 * nftables through libnftables), write the forwarding sysctls it opened,
 * its event loop. Anything else fails with EPERM rather than killing it:
 * libnftables is not ours, and a refused call there fails one request,
 * where a killed priv would end vmd.
 */
static const char *const priv_calls[] = {
	/* netlink: one socket per request (socket(2): see priv_rules) */
	"bind", "getsockname", "setsockopt", "getsockopt",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "close",
	/* libnftables waits for netlink answers with select */
	"pselect6", "select", "poll", "ppoll",
	/* the forwarding sysctls, the parent's channel, the event loop */
	"read", "write", "pread64", "pwrite64", "lseek", "fcntl",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"clock_gettime", "gettimeofday", "eventfd2", "pipe2",
	/* memory, the process, logging, signals, exit */
	"brk", "munmap", "mremap", "madvise", "getpid", "gettid", "getuid",
	"geteuid", "getrandom", "newfstatat", "fstat", "writev", "uname",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "exit",
	"exit_group",
	/* libnftables looks for files that are not in the empty root;
	   syslog's socket is open or refused */
	"-openat", "-open", "-connect",
	NULL
};

/*
 * Sockets: netlink, and the datagram socket if_nametoindex(3) asks
 * SIOCGIFINDEX on (no other ioctl: interfaces change only by netlink).
 * Memory never executable.
 */
static const struct sandbox_rule priv_rules[] = {
	{ "socket", 0, 1, { { 0, SANDBOX_EQ, 0, AF_NETLINK } } },
	{ "socket", 0, 1, { { 0, SANDBOX_EQ, 0, AF_UNIX } } },
	{ "socket", 0, 1, { { 0, SANDBOX_EQ, 0, AF_INET } } },
	{ "ioctl", 0, 1, { { 1, SANDBOX_EQ, 0xffffffffULL, SIOCGIFINDEX } } },
	{ "mmap", 0, 1, { { 2, SANDBOX_EQ, PROT_EXEC, 0 } } },
	{ "mprotect", 0, 1, { { 2, SANDBOX_EQ, PROT_EXEC, 0 } } },
};

static int
priv_filter(void)
{
	struct sandbox_filter	*f;

	if ((f = sandbox_filter_new(SANDBOX_EPERM)) == NULL)
		return -1;
	if (sandbox_filter_names(f, priv_calls) == -1 ||
	    sandbox_filter_rules(f, priv_rules, sizeof(priv_rules) /
	    sizeof(priv_rules[0])) == -1) {
		sandbox_filter_free(f);
		return -1;
	}
	return sandbox_filter_load(f);
}

int
priv_main(const struct vmd_opts *opts, int fd)
{
	struct priv	*priv;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if ((priv = calloc(1, sizeof(*priv))) == NULL)
		fatal("%s", __func__);
	if ((priv->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	priv->was4 = priv->was6 = -1;
	/*
	 * libnftables, what a killed vmd left, and the sysctls: the file
	 * system is gone after chroot.
	 */
	if (nat_open(&priv->nat, opts->sockpath) == 0)
		(void)nat_clear(&priv->nat);
	priv->fwd4 = nat_forwarding_open(AF_INET);
	priv->fwd6 = nat_forwarding_open(AF_INET6);
	if ((priv->ev_term = evsignal_new(priv->base, SIGTERM, priv_sigterm,
	    priv)) == NULL || event_add(priv->ev_term, NULL) == -1)
		fatalx("%s: signal", __func__);
	/*
	 * The file system goes, and root with it: _vmd keeping only
	 * CAP_NET_ADMIN, which netlink (links, addresses, bridges), nftables
	 * and the forwarding sysctls opened above need.
	 */
	if (sandbox_drop_keep(SANDBOX_USER, SANDBOX_EMPTY,
	    1ULL << CAP_NET_ADMIN) == -1)
		fatalx("%s: cannot drop privileges", __func__);
	if (proc_chan_open(&priv->parent, priv->base, fd, "parent",
	    priv_dispatch_parent, priv_parent_closed, priv) == -1)
		fatal("%s: channel", __func__);
	if (priv_filter() == -1)
		fatalx("%s: seccomp", __func__);
	event_base_dispatch(priv->base);
	return 0;
}
