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

static const char *const proto_names[IMSG_TYPE_MAX] = {
	[IMSG_NONE] = "none",
	[IMSG_VMP_CREATE_REQ] = "vmp-create-req",
	[IMSG_VMP_FD_REQ] = "vmp-fd-req",
	[IMSG_VMP_START_REQ] = "vmp-start-req",
};

const char *
proto_name(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || proto_names[type] == NULL)
		return "unknown";
	return proto_names[type];
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
	if (f->which == 0 || f->which >= PROTO_VMFD_MAX || f->locked > 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, &f->which, 4);
	if (f->which != PROTO_VMFD_TAP)
		return 4;
	memcpy(buf + 4, f->lladdr, 6);
	buf[10] = f->locked;
	buf[11] = 0;
	return 12;
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
	if (len != 12 || buf[10] > 1 || buf[11] != 0)
		goto bad;
	memcpy(f->lladdr, buf + 4, 6);
	f->locked = buf[10];
	return 0;
 bad:
	errno = EBADMSG;
	return -1;
}
