/* SPDX-License-Identifier: ISC */
/* The message table and one encoder/decoder per payload. */
#include <errno.h>
#include <string.h>

#include "proto.h"

/* Wire layout of IMSG_VMP_CREATE_REQ: fixed part, then the strings. */
struct proto_vmcreate_wire {
	uint64_t	memsize;
	uint32_t	ncpus;
	uint16_t	namelen;	/* without NUL */
	uint16_t	cmdlen;		/* without NUL */
};

/* The message table: name, who may send it, where it goes. */
static const struct proto_route proto_routes[IMSG_TYPE_MAX] = {
	[IMSG_NONE] = { "none", PROTO_FROM_DAEMON, PROTO_TO_NONE },
	[IMSG_VMP_CREATE_REQ] = { "vmp-create-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
	[IMSG_VMP_FD_REQ] = { "vmp-fd-req", PROTO_FROM_DAEMON, PROTO_TO_VM },
	[IMSG_VMP_START_REQ] = { "vmp-start-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
	[IMSG_VMP_PAUSE_REQ] = { "vmp-pause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
	[IMSG_VMP_PAUSE_RESP] = { "vmp-pause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VMP_UNPAUSE_REQ] = { "vmp-unpause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
	[IMSG_VMP_UNPAUSE_RESP] = { "vmp-unpause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VMP_LOG_EVENT] = { "vmp-log-event", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
	[IMSG_VMP_START_RESP] = { "vmp-start-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VM_START_REQ] = { "vm-start-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_START_RESP] = { "vm-start-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_STOP_REQ] = { "vm-stop-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_STOP_RESP] = { "vm-stop-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_PAUSE_REQ] = { "vm-pause-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_PAUSE_RESP] = { "vm-pause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_UNPAUSE_REQ] = { "vm-unpause-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_UNPAUSE_RESP] = { "vm-unpause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_WAIT_REQ] = { "vm-wait-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_WAIT_RESP] = { "vm-wait-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_STATUS_REQ] = { "vm-status-req", PROTO_FROM_ANY,
	    PROTO_TO_PARENT },
	[IMSG_VM_STATUS_RESP] = { "vm-status-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_VM_STATUS_END_RESP] = { "vm-status-end-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_CONF_LOAD_REQ] = { "conf-load-req", PROTO_FROM_ROOT,
	    PROTO_TO_PARENT },
	[IMSG_CONF_LOAD_RESP] = { "conf-load-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_CONF_RELOAD_REQ] = { "conf-reload-req", PROTO_FROM_ROOT,
	    PROTO_TO_PARENT },
	[IMSG_CONF_RELOAD_RESP] = { "conf-reload-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_CONF_RESET_REQ] = { "conf-reset-req", PROTO_FROM_ROOT,
	    PROTO_TO_PARENT },
	[IMSG_CONF_RESET_RESP] = { "conf-reset-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_LOG_VERBOSE_REQ] = { "log-verbose-req", PROTO_FROM_ROOT,
	    PROTO_TO_PARENT },
	[IMSG_LOG_VERBOSE_RESP] = { "log-verbose-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_CLIENT },
	[IMSG_LOG_VERBOSE_EVENT] = { "log-verbose-event", PROTO_FROM_DAEMON,
	    PROTO_TO_ALL },
	[IMSG_CTL_LISTEN_EVENT] = { "ctl-listen-event", PROTO_FROM_DAEMON,
	    PROTO_TO_CONTROL },
	[IMSG_VMM_START_RESP] = { "vmm-start-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_PARENT },
	[IMSG_VMM_ATTACH_REQ] = { "vmm-attach-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VMM_PAUSE_REQ] = { "vmm-pause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VMM_PAUSE_RESP] = { "vmm-pause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_PARENT },
	[IMSG_VMM_UNPAUSE_REQ] = { "vmm-unpause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VMM },
	[IMSG_VMM_UNPAUSE_RESP] = { "vmm-unpause-resp", PROTO_FROM_DAEMON,
	    PROTO_TO_PARENT },
	[IMSG_VMM_BAD_EVENT] = { "vmm-bad-event", PROTO_FROM_DAEMON,
	    PROTO_TO_PARENT },
	[IMSG_PRIV_IFDESCR_REQ] = { "priv-ifdescr-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_IFUP_REQ] = { "priv-ifup-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_IFGROUP_REQ] = { "priv-ifgroup-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_IFADDR_REQ] = { "priv-ifaddr-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_IFADDR6_REQ] = { "priv-ifaddr6-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_IFBRADD_REQ] = { "priv-ifbradd-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_SWITCH_REQ] = { "priv-switch-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_RESET_REQ] = { "priv-reset-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
	[IMSG_PRIV_NAT_REQ] = { "priv-nat-req", PROTO_FROM_DAEMON,
	    PROTO_TO_NONE },
};

static const char *const proto_vmstates[] = {
	[PROTO_VMSTATE_STOPPED] = "stopped",
	[PROTO_VMSTATE_RUNNING] = "running",
	[PROTO_VMSTATE_PAUSED] = "paused",
	[PROTO_VMSTATE_STOPPING] = "stopping",
	[PROTO_VMSTATE_WAITING] = "waiting",
	[PROTO_VMSTATE_STARTING] = "starting",
	[PROTO_VMSTATE_UNKNOWN] = "unknown",
};

const char *
proto_result_why(const struct proto_result *r)
{
	return r->why[0] != '\0' ? r->why : proto_strerror(r->error);
}

const char *
proto_strerror(int err)
{
	switch (err) {
	case PROTO_ENOKERNEL:
		return "no kernel to boot";
	case PROTO_ENOTRUNNING:
		return "vm is not running";
	case PROTO_ESTARTFAIL:
		return "vm process ended while starting (see the vmd log)";
	case PROTO_ERESTART:
		return "vm restarted too quickly";
	case PROTO_ESTARTTIME:
		return "vm did not start in time and was killed (see the vmd "
		    "log)";
	case PROTO_ECONFIG:
		return "configuration has errors (see the vmd log)";
	case PROTO_ENOTFOUND:
		return "vm not found";
	default:
		return strerror(err);
	}
}

const struct proto_route *
proto_route(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || proto_routes[type].name == NULL)
		return NULL;
	return &proto_routes[type];
}

const char *
proto_name(uint32_t type)
{
	const struct proto_route	*r;

	if ((r = proto_route(type)) == NULL)
		return "unknown";
	return r->name;
}

const char *
proto_vmstate_name(uint32_t state)
{
	if (state >= sizeof(proto_vmstates) / sizeof(proto_vmstates[0]))
		return "unknown";
	return proto_vmstates[state];
}

int
proto_vmcreate_encode(const struct proto_vmcreate *c, uint8_t *buf)
{
	struct proto_vmcreate_wire	w;
	size_t				nl, cl;

	nl = strnlen(c->name, sizeof(c->name));
	cl = strnlen(c->cmdline, sizeof(c->cmdline));
	if (nl == sizeof(c->name) || cl == sizeof(c->cmdline) ||
	    sizeof(w) + nl + cl > IMSG_MAX_PAYLOAD) {
		errno = EINVAL;
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.memsize = c->memsize;
	w.ncpus = c->ncpus;
	w.namelen = (uint16_t)nl;
	w.cmdlen = (uint16_t)cl;
	memcpy(buf, &w, sizeof(w));
	memcpy(buf + sizeof(w), c->name, nl);
	memcpy(buf + sizeof(w) + nl, c->cmdline, cl);
	return (int)(sizeof(w) + nl + cl);
}

int
proto_vmcreate_decode(const uint8_t *buf, size_t len,
    struct proto_vmcreate *c)
{
	struct proto_vmcreate_wire	w;

	memset(c, 0, sizeof(*c));
	if (len < sizeof(w))
		goto bad;
	memcpy(&w, buf, sizeof(w));
	if (w.namelen >= sizeof(c->name) || w.cmdlen >= sizeof(c->cmdline) ||
	    len != sizeof(w) + w.namelen + w.cmdlen)
		goto bad;
	c->memsize = w.memsize;
	c->ncpus = w.ncpus;
	memcpy(c->name, buf + sizeof(w), w.namelen);
	memcpy(c->cmdline, buf + sizeof(w) + w.namelen, w.cmdlen);
	/* Embedded NULs would make the strings lie about their length. */
	if (strlen(c->name) != w.namelen || strlen(c->cmdline) != w.cmdlen)
		goto bad;
	return 0;
 bad:
	errno = EBADMSG;
	return -1;
}

int
proto_u32_encode(uint32_t v, uint8_t *buf)
{
	memcpy(buf, &v, sizeof(v));
	return (int)sizeof(v);
}

int
proto_u32_decode(const uint8_t *buf, size_t len, uint32_t *v)
{
	if (len != sizeof(*v)) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(v, buf, sizeof(*v));
	return 0;
}

int
proto_fdreq_encode(const struct proto_fdreq *f, uint8_t *buf)
{
	if (f->which == 0 || f->which >= PROTO_VMFD_MAX || f->locked > 1 ||
	    f->local > 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, &f->which, 4);
	if (f->which != PROTO_VMFD_TAP)
		return 4;
	memcpy(buf + 4, f->lladdr, 6);
	buf[10] = f->locked;
	buf[11] = f->local;
	if (!f->local)
		return 12;
	memcpy(buf + 12, &f->host, 4);
	memcpy(buf + 16, &f->guest, 4);
	memcpy(buf + 20, f->server_mac, 6);
	buf[26] = buf[27] = 0;
	return 28;
}

int
proto_fdreq_decode(const uint8_t *buf, size_t len, struct proto_fdreq *f)
{
	memset(f, 0, sizeof(*f));
	if (len < 4)
		goto bad;
	memcpy(&f->which, buf, 4);
	if (f->which == 0 || f->which >= PROTO_VMFD_MAX)
		goto bad;
	if (f->which != PROTO_VMFD_TAP)
		return len == 4 ? 0 : (errno = EBADMSG, -1);
	if (len < 12 || buf[10] > 1 || buf[11] > 1 ||
	    len != (buf[11] ? 28U : 12U))
		goto bad;
	memcpy(f->lladdr, buf + 4, 6);
	f->locked = buf[10];
	f->local = buf[11];
	if (f->local) {
		if (buf[26] != 0 || buf[27] != 0)
			goto bad;
		memcpy(&f->host, buf + 12, 4);
		memcpy(&f->guest, buf + 16, 4);
		memcpy(f->server_mac, buf + 20, 6);
	}
	return 0;
 bad:
	errno = EBADMSG;
	return -1;
}

/* Wire layout of IMSG_VM_START_REQ: fixed part, then the strings. */
struct proto_vmstart_wire {
	uint64_t	memsize;
	uint32_t	ncpus;
	uint32_t	nifs;
	uint32_t	bootdev;
	uint32_t	set;
	uint32_t	ndisks;
	uint32_t	nnics;
	uint32_t	diskfmt[PROTO_MAX_DISKS];
	uint32_t	niclocal[PROTO_MAX_NICS];
};

/* Append string s (at most max bytes with its NUL) as u16 length + bytes. */
static int
proto_put_str(uint8_t *buf, size_t *off, const char *s, size_t max)
{
	size_t		n = strnlen(s, max);
	uint16_t	l;

	if (n == max || *off + sizeof(l) + n > IMSG_MAX_PAYLOAD)
		return -1;
	l = (uint16_t)n;
	memcpy(buf + *off, &l, sizeof(l));
	memcpy(buf + *off + sizeof(l), s, n);
	*off += sizeof(l) + n;
	return 0;
}

/* Take one string written by proto_put_str into s (max bytes). */
static int
proto_get_str(const uint8_t *buf, size_t len, size_t *off, char *s,
    size_t max)
{
	uint16_t	l;

	if (len - *off < sizeof(l))
		return -1;
	memcpy(&l, buf + *off, sizeof(l));
	*off += sizeof(l);
	if (l >= max || len - *off < l)
		return -1;
	memcpy(s, buf + *off, l);
	s[l] = '\0';
	*off += l;
	return strlen(s) == l ? 0 : -1;
}

int
proto_vmstart_encode(const struct proto_vmstart *v, uint8_t *buf)
{
	struct proto_vmstart_wire	w;
	size_t				off = sizeof(w), i;

	if (v->ndisks > PROTO_MAX_DISKS || v->nnics > PROTO_MAX_NICS)
		goto bad;
	memset(&w, 0, sizeof(w));
	w.memsize = v->memsize;
	w.ncpus = v->ncpus;
	w.nifs = v->nifs;
	w.bootdev = v->bootdev;
	w.set = v->set;
	w.ndisks = v->ndisks;
	w.nnics = v->nnics;
	memcpy(w.diskfmt, v->diskfmt, sizeof(w.diskfmt));
	memcpy(w.niclocal, v->niclocal, sizeof(w.niclocal));
	memcpy(buf, &w, sizeof(w));
	if (proto_put_str(buf, &off, v->name, sizeof(v->name)) == -1 ||
	    proto_put_str(buf, &off, v->template, sizeof(v->template)) == -1 ||
	    proto_put_str(buf, &off, v->boot, sizeof(v->boot)) == -1 ||
	    proto_put_str(buf, &off, v->initrd, sizeof(v->initrd)) == -1 ||
	    proto_put_str(buf, &off, v->cdrom, sizeof(v->cdrom)) == -1 ||
	    proto_put_str(buf, &off, v->cmdline, sizeof(v->cmdline)) == -1)
		goto bad;
	for (i = 0; i < v->ndisks; i++)
		if (proto_put_str(buf, &off, v->disks[i],
		    sizeof(v->disks[i])) == -1)
			goto bad;
	for (i = 0; i < v->nnics; i++)
		if (proto_put_str(buf, &off, v->nics[i],
		    sizeof(v->nics[i])) == -1)
			goto bad;
	return (int)off;
 bad:
	errno = EINVAL;
	return -1;
}

int
proto_vmstart_decode(const uint8_t *buf, size_t len, struct proto_vmstart *v)
{
	struct proto_vmstart_wire	w;
	size_t				off = sizeof(w), i;

	memset(v, 0, sizeof(*v));
	if (len < sizeof(w))
		goto bad;
	memcpy(&w, buf, sizeof(w));
	if (w.ndisks > PROTO_MAX_DISKS || w.nnics > PROTO_MAX_NICS)
		goto bad;
	v->memsize = w.memsize;
	v->ncpus = w.ncpus;
	v->nifs = w.nifs;
	v->bootdev = w.bootdev;
	v->set = w.set;
	v->ndisks = w.ndisks;
	v->nnics = w.nnics;
	memcpy(v->diskfmt, w.diskfmt, sizeof(v->diskfmt));
	memcpy(v->niclocal, w.niclocal, sizeof(v->niclocal));
	if (proto_get_str(buf, len, &off, v->name, sizeof(v->name)) == -1 ||
	    proto_get_str(buf, len, &off, v->template,
	    sizeof(v->template)) == -1 ||
	    proto_get_str(buf, len, &off, v->boot, sizeof(v->boot)) == -1 ||
	    proto_get_str(buf, len, &off, v->initrd, sizeof(v->initrd)) == -1 ||
	    proto_get_str(buf, len, &off, v->cdrom, sizeof(v->cdrom)) == -1 ||
	    proto_get_str(buf, len, &off, v->cmdline,
	    sizeof(v->cmdline)) == -1)
		goto bad;
	for (i = 0; i < v->ndisks; i++)
		if (proto_get_str(buf, len, &off, v->disks[i],
		    sizeof(v->disks[i])) == -1)
			goto bad;
	for (i = 0; i < v->nnics; i++)
		if (proto_get_str(buf, len, &off, v->nics[i],
		    sizeof(v->nics[i])) == -1)
			goto bad;
	if (off != len)
		goto bad;
	return 0;
 bad:
	errno = EBADMSG;
	return -1;
}

/* Fixed-size payloads travel as the struct; strings must be terminated. */
#define PROTO_TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

int
proto_result_encode(const struct proto_result *r, uint8_t *buf)
{
	if (!PROTO_TERMINATED(r->name) || !PROTO_TERMINATED(r->tty) ||
	    !PROTO_TERMINATED(r->why)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, r, sizeof(*r));
	return (int)sizeof(*r);
}

int
proto_result_decode(const uint8_t *buf, size_t len, struct proto_result *r)
{
	if (len != sizeof(*r))
		goto bad;
	memcpy(r, buf, sizeof(*r));
	if (!PROTO_TERMINATED(r->name) || !PROTO_TERMINATED(r->tty) ||
	    !PROTO_TERMINATED(r->why))
		goto bad;
	return 0;
 bad:
	memset(r, 0, sizeof(*r));
	errno = EBADMSG;
	return -1;
}

int
proto_vmref_encode(const struct proto_vmref *r, uint8_t *buf)
{
	if (!PROTO_TERMINATED(r->name)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, r, sizeof(*r));
	return (int)sizeof(*r);
}

int
proto_vmref_decode(const uint8_t *buf, size_t len, struct proto_vmref *r)
{
	if (len != sizeof(*r))
		goto bad;
	memcpy(r, buf, sizeof(*r));
	if (!PROTO_TERMINATED(r->name))
		goto bad;
	return 0;
 bad:
	memset(r, 0, sizeof(*r));
	errno = EBADMSG;
	return -1;
}

int
proto_vminfo_encode(const struct proto_vminfo *v, uint8_t *buf)
{
	if (!PROTO_TERMINATED(v->tty) || !PROTO_TERMINATED(v->owner) ||
	    !PROTO_TERMINATED(v->name)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, v, sizeof(*v));
	return (int)sizeof(*v);
}

int
proto_vminfo_decode(const uint8_t *buf, size_t len, struct proto_vminfo *v)
{
	if (len != sizeof(*v))
		goto bad;
	memcpy(v, buf, sizeof(*v));
	if (!PROTO_TERMINATED(v->tty) || !PROTO_TERMINATED(v->owner) ||
	    !PROTO_TERMINATED(v->name))
		goto bad;
	return 0;
 bad:
	memset(v, 0, sizeof(*v));
	errno = EBADMSG;
	return -1;
}

int
proto_path_encode(const struct proto_path *p, uint8_t *buf)
{
	size_t	n = strnlen(p->path, sizeof(p->path));

	if (n == sizeof(p->path) || n == 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, p->path, n);
	return (int)n;
}

int
proto_path_decode(const uint8_t *buf, size_t len, struct proto_path *p)
{
	memset(p, 0, sizeof(*p));
	if (len == 0 || len >= sizeof(p->path) ||
	    memchr(buf, '\0', len) != NULL) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(p->path, buf, len);
	return 0;
}

int
proto_ifreq_encode(const struct proto_ifreq *r, uint8_t *buf)
{
	if (memchr(r->name, '\0', sizeof(r->name)) == NULL ||
	    memchr(r->bridge, '\0', sizeof(r->bridge)) == NULL ||
	    memchr(r->descr, '\0', sizeof(r->descr)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, r, sizeof(*r));
	return (int)sizeof(*r);
}

int
proto_ifreq_decode(const uint8_t *buf, size_t len, struct proto_ifreq *r)
{
	memset(r, 0, sizeof(*r));
	if (len != sizeof(*r)) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(r, buf, sizeof(*r));
	if (memchr(r->name, '\0', sizeof(r->name)) == NULL ||
	    memchr(r->bridge, '\0', sizeof(r->bridge)) == NULL ||
	    memchr(r->descr, '\0', sizeof(r->descr)) == NULL) {
		memset(r, 0, sizeof(*r));
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
proto_empty_decode(const uint8_t *buf, size_t len)
{
	(void)buf;
	if (len != 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int
proto_ctl_wrap(uint32_t uid, const void *payload, size_t len, uint8_t *buf)
{
	struct proto_ctlhdr	hdr;

	if (len > IMSG_MAX_PAYLOAD - sizeof(hdr)) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr.version = PROTO_CTL_VERSION;
	hdr.uid = uid;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(buf + sizeof(hdr), payload, len);
	return (int)(sizeof(hdr) + len);
}

int
proto_ctl_send(int sock, uint32_t type, uint32_t peerid, uint32_t uid,
    const void *payload, size_t len, int fd)
{
	uint8_t	buf[IMSG_MAX_PAYLOAD];
	int	n;

	if ((n = proto_ctl_wrap(uid, payload, len, buf)) == -1)
		return -1;
	return imsg_send(sock, type, peerid, buf, (size_t)n, fd);
}

int
proto_ctl_open(const struct imsg *im, uint32_t *uid, const uint8_t **payload,
    size_t *len)
{
	struct proto_ctlhdr	hdr;

	if (im->hdr.len < sizeof(hdr)) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&hdr, im->data, sizeof(hdr));
	if (hdr.version != PROTO_CTL_VERSION) {
		errno = EPROTO;
		return -1;
	}
	*uid = hdr.uid;
	*payload = im->data + sizeof(hdr);
	*len = im->hdr.len - sizeof(hdr);
	return 0;
}

int
proto_ctl_stamp(struct imsg *im, uint32_t uid)
{
	struct proto_ctlhdr	hdr;

	if (im->hdr.len < sizeof(hdr)) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&hdr, im->data, sizeof(hdr));
	hdr.uid = uid;
	memcpy(im->data, &hdr, sizeof(hdr));
	return 0;
}
