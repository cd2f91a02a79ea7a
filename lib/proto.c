/* SPDX-License-Identifier: ISC */
/* The message table and one encoder/decoder per payload. */
#include <errno.h>
#include <string.h>

#include "proto.h"

/*
 * The serializer every codec below uses. A writer fills p (IMSG_MAX_PAYLOAD
 * bytes), a reader takes from r; both stop at len. Integers are in host
 * order (the channels are local). A put or get that does not fit, or a
 * string that breaks its rule, sets err; later calls do nothing, and
 * proto_buf_done tells. Strings are either length-prefixed (u16 length
 * without NUL, then the bytes, no NUL inside) or fixed (size bytes, NUL
 * then zero padding).
 */
struct proto_buf {
	uint8_t		*p;	/* writer */
	const uint8_t	*r;	/* reader */
	size_t		 len, off;
	int		 err;
};

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
	/* Relayed by vmm from the parent (peer id = vm id) and back. */
	[IMSG_VMP_PAUSE_REQ] = { "vmp-pause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM, IMSG_VMP_PAUSE_RESP },
	[IMSG_VMP_PAUSE_RESP] = { "vmp-pause-resp", PROTO_FROM_VM,
	    PROTO_TO_PARENT, 0 },
	[IMSG_VMP_UNPAUSE_REQ] = { "vmp-unpause-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM, IMSG_VMP_UNPAUSE_RESP },
	[IMSG_VMP_UNPAUSE_RESP] = { "vmp-unpause-resp", PROTO_FROM_VM,
	    PROTO_TO_PARENT, 0 },
	[IMSG_VMP_CPUID_REQ] = { "vmp-cpuid-req", PROTO_FROM_DAEMON,
	    PROTO_TO_VM },
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

static void
proto_buf_writer(struct proto_buf *b, uint8_t *buf)
{
	memset(b, 0, sizeof(*b));
	b->p = buf;
	b->len = IMSG_MAX_PAYLOAD;
}

static void
proto_buf_reader(struct proto_buf *b, const uint8_t *buf, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->r = buf;
	b->len = len;
}

/* proto_buf_room: 1 if n more bytes fit; if not, b is in error. */
static int
proto_buf_room(struct proto_buf *b, size_t n)
{
	if (b->err || b->len - b->off < n) {
		b->err = 1;
		return 0;
	}
	return 1;
}

/* proto_buf_encoded: the length written, or -1 (EINVAL). */
static int
proto_buf_encoded(const struct proto_buf *b)
{
	if (b->err) {
		errno = EINVAL;
		return -1;
	}
	return (int)b->off;
}

/*
 * proto_buf_decoded: 0 if all of the payload was taken without error;
 * else out (size bytes) is zeroed and -1 (EBADMSG).
 */
static int
proto_buf_decoded(const struct proto_buf *b, void *out, size_t size)
{
	if (b->err || b->off != b->len) {
		memset(out, 0, size);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static void
proto_put(struct proto_buf *b, const void *v, size_t n)
{
	if (!proto_buf_room(b, n))
		return;
	if (n > 0)
		memcpy(b->p + b->off, v, n);
	b->off += n;
}

static void
proto_put_u8(struct proto_buf *b, uint8_t v)
{
	proto_put(b, &v, sizeof(v));
}

static void
proto_put_u16(struct proto_buf *b, uint16_t v)
{
	proto_put(b, &v, sizeof(v));
}

static void
proto_put_u32(struct proto_buf *b, uint32_t v)
{
	proto_put(b, &v, sizeof(v));
}

static void
proto_put_u64(struct proto_buf *b, uint64_t v)
{
	proto_put(b, &v, sizeof(v));
}

/* A length-prefixed string: s has its NUL within max bytes. */
static void
proto_put_str(struct proto_buf *b, const char *s, size_t max)
{
	size_t	n = strnlen(s, max);

	if (n == max || n > UINT16_MAX) {
		b->err = 1;
		return;
	}
	proto_put_u16(b, (uint16_t)n);
	proto_put(b, s, n);
}

/* A fixed string field of size bytes: s, then zeros. */
static void
proto_put_strfix(struct proto_buf *b, const char *s, size_t size)
{
	size_t	n = strnlen(s, size);

	if (n == size) {
		b->err = 1;
		return;
	}
	if (!proto_buf_room(b, size))
		return;
	memcpy(b->p + b->off, s, n);
	memset(b->p + b->off + n, 0, size - n);
	b->off += size;
}

static void
proto_get(struct proto_buf *b, void *v, size_t n)
{
	if (!proto_buf_room(b, n)) {
		memset(v, 0, n);
		return;
	}
	if (n > 0)
		memcpy(v, b->r + b->off, n);
	b->off += n;
}

static uint8_t
proto_get_u8(struct proto_buf *b)
{
	uint8_t	v;

	proto_get(b, &v, sizeof(v));
	return v;
}

static uint16_t
proto_get_u16(struct proto_buf *b)
{
	uint16_t	v;

	proto_get(b, &v, sizeof(v));
	return v;
}

static uint32_t
proto_get_u32(struct proto_buf *b)
{
	uint32_t	v;

	proto_get(b, &v, sizeof(v));
	return v;
}

static uint64_t
proto_get_u64(struct proto_buf *b)
{
	uint64_t	v;

	proto_get(b, &v, sizeof(v));
	return v;
}

/* A length-prefixed string into s (max bytes): shorter than max, no NUL. */
static void
proto_get_str(struct proto_buf *b, char *s, size_t max)
{
	size_t	n = proto_get_u16(b);

	s[0] = '\0';
	if (n >= max || !proto_buf_room(b, n)) {
		b->err = 1;
		return;
	}
	if (memchr(b->r + b->off, '\0', n) != NULL) {
		b->err = 1;
		return;
	}
	memcpy(s, b->r + b->off, n);
	s[n] = '\0';
	b->off += n;
}

/* A fixed string field of size bytes: a NUL, and only zeros after it. */
static void
proto_get_strfix(struct proto_buf *b, char *s, size_t size)
{
	size_t	n, i;

	s[0] = '\0';
	if (!proto_buf_room(b, size))
		return;
	n = strnlen((const char *)b->r + b->off, size);
	if (n == size)
		b->err = 1;
	for (i = n; i < size && !b->err; i++)
		if (b->r[b->off + i] != 0)
			b->err = 1;
	if (b->err)
		return;
	memcpy(s, b->r + b->off, size);
	b->off += size;
}

/* proto_buf_check: put b in error unless ok (a field's own rule). */
static void
proto_buf_check(struct proto_buf *b, int ok)
{
	if (!ok)
		b->err = 1;
}

int
proto_vmcreate_encode(const struct proto_vmcreate *c, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u64(&b, c->memsize);
	proto_put_u32(&b, c->ncpus);
	proto_put_u32(&b, c->bootdev);
	proto_put_str(&b, c->name, sizeof(c->name));
	proto_put_str(&b, c->cmdline, sizeof(c->cmdline));
	return proto_buf_encoded(&b);
}

int
proto_vmcreate_decode(const uint8_t *buf, size_t len,
    struct proto_vmcreate *c)
{
	struct proto_buf	b;

	memset(c, 0, sizeof(*c));
	proto_buf_reader(&b, buf, len);
	c->memsize = proto_get_u64(&b);
	c->ncpus = proto_get_u32(&b);
	c->bootdev = proto_get_u32(&b);
	proto_get_str(&b, c->name, sizeof(c->name));
	proto_get_str(&b, c->cmdline, sizeof(c->cmdline));
	return proto_buf_decoded(&b, c, sizeof(*c));
}

int
proto_cpuid_encode(const struct proto_cpuid *c, uint8_t *buf)
{
	struct proto_buf	b;
	uint32_t		i;

	if (c->nent > PROTO_CPUID_MAX) {
		errno = EINVAL;
		return -1;
	}
	proto_buf_writer(&b, buf);
	proto_put_u32(&b, c->nent);
	for (i = 0; i < c->nent; i++) {
		proto_put_u32(&b, c->e[i].function);
		proto_put_u32(&b, c->e[i].index);
		proto_put_u32(&b, c->e[i].flags);
		proto_put_u32(&b, c->e[i].eax);
		proto_put_u32(&b, c->e[i].ebx);
		proto_put_u32(&b, c->e[i].ecx);
		proto_put_u32(&b, c->e[i].edx);
	}
	return proto_buf_encoded(&b);
}

int
proto_cpuid_decode(const uint8_t *buf, size_t len, struct proto_cpuid *c)
{
	struct proto_buf	b;
	uint32_t		i;

	memset(c, 0, sizeof(*c));
	proto_buf_reader(&b, buf, len);
	c->nent = proto_get_u32(&b);
	proto_buf_check(&b, c->nent <= PROTO_CPUID_MAX);
	for (i = 0; !b.err && i < c->nent; i++) {
		c->e[i].function = proto_get_u32(&b);
		c->e[i].index = proto_get_u32(&b);
		c->e[i].flags = proto_get_u32(&b);
		c->e[i].eax = proto_get_u32(&b);
		c->e[i].ebx = proto_get_u32(&b);
		c->e[i].ecx = proto_get_u32(&b);
		c->e[i].edx = proto_get_u32(&b);
	}
	return proto_buf_decoded(&b, c, sizeof(*c));
}

int
proto_u32_encode(uint32_t v, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u32(&b, v);
	return proto_buf_encoded(&b);
}

int
proto_u32_decode(const uint8_t *buf, size_t len, uint32_t *v)
{
	struct proto_buf	b;

	proto_buf_reader(&b, buf, len);
	*v = proto_get_u32(&b);
	return proto_buf_decoded(&b, v, sizeof(*v));
}

int
proto_empty_decode(const uint8_t *buf, size_t len)
{
	struct proto_buf	b;
	uint8_t			none;

	proto_buf_reader(&b, buf, len);
	return proto_buf_decoded(&b, &none, sizeof(none));
}

/* A tap carries its options; a local one its addresses and a u16 0 pad. */
/* proto_fdreq_disk: an fd that carries a disk layer's format and size. */
static int
proto_fdreq_disk(uint32_t which)
{
	return which == PROTO_VMFD_DISK || which == PROTO_VMFD_DISK_RO ||
	    which == PROTO_VMFD_DISK_BASE;
}

int
proto_fdreq_encode(const struct proto_fdreq *f, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, f->which != 0 && f->which < PROTO_VMFD_MAX &&
	    f->locked <= 1 && f->local <= 1);
	proto_put_u32(&b, f->which);
	if (proto_fdreq_disk(f->which)) {
		proto_buf_check(&b, f->format == 1 || f->format == 2);
		proto_put_u8(&b, f->format);
		proto_put_u64(&b, f->size);
	}
	if (f->which == PROTO_VMFD_TAP) {
		proto_put(&b, f->lladdr, sizeof(f->lladdr));
		proto_put_u8(&b, f->locked);
		proto_put_u8(&b, f->local);
		if (f->local) {
			proto_put_u32(&b, f->host);
			proto_put_u32(&b, f->guest);
			proto_put(&b, f->server_mac, sizeof(f->server_mac));
			proto_put_u16(&b, 0);
		}
	}
	return proto_buf_encoded(&b);
}

int
proto_fdreq_decode(const uint8_t *buf, size_t len, struct proto_fdreq *f)
{
	struct proto_buf	b;

	memset(f, 0, sizeof(*f));
	proto_buf_reader(&b, buf, len);
	f->which = proto_get_u32(&b);
	proto_buf_check(&b, f->which != 0 && f->which < PROTO_VMFD_MAX);
	if (!b.err && proto_fdreq_disk(f->which)) {
		f->format = proto_get_u8(&b);
		f->size = proto_get_u64(&b);
		/* raw (1) or qcow2 (2), as lib/disk/disk.h numbers them */
		proto_buf_check(&b, f->format == 1 || f->format == 2);
	}
	if (!b.err && f->which == PROTO_VMFD_TAP) {
		proto_get(&b, f->lladdr, sizeof(f->lladdr));
		f->locked = proto_get_u8(&b);
		f->local = proto_get_u8(&b);
		proto_buf_check(&b, f->locked <= 1 && f->local <= 1);
		if (f->local) {
			f->host = proto_get_u32(&b);
			f->guest = proto_get_u32(&b);
			proto_get(&b, f->server_mac, sizeof(f->server_mac));
			proto_buf_check(&b, proto_get_u16(&b) == 0);
		}
	}
	return proto_buf_decoded(&b, f, sizeof(*f));
}

/*
 * IMSG_VM_START_REQ: the numbers, the disk formats and nic flags (always
 * PROTO_MAX_* of each), then the length-prefixed strings.
 */
static void
proto_vmstart_put(struct proto_buf *b, const struct proto_vmstart *v)
{
	size_t	i;

	proto_buf_check(b, v->ndisks <= PROTO_MAX_DISKS &&
	    v->nnics <= PROTO_MAX_NICS);
	if (b->err)
		return;
	proto_put_u64(b, v->memsize);
	proto_put_u32(b, v->ncpus);
	proto_put_u32(b, v->nifs);
	proto_put_u32(b, v->bootdev);
	proto_put_u32(b, v->set);
	proto_put_u32(b, v->ndisks);
	proto_put_u32(b, v->nnics);
	for (i = 0; i < PROTO_MAX_DISKS; i++)
		proto_put_u32(b, v->diskfmt[i]);
	for (i = 0; i < PROTO_MAX_NICS; i++)
		proto_put_u32(b, v->niclocal[i]);
	proto_put_str(b, v->name, sizeof(v->name));
	proto_put_str(b, v->template, sizeof(v->template));
	proto_put_str(b, v->boot, sizeof(v->boot));
	proto_put_str(b, v->initrd, sizeof(v->initrd));
	proto_put_str(b, v->cdrom, sizeof(v->cdrom));
	proto_put_str(b, v->cmdline, sizeof(v->cmdline));
	for (i = 0; i < v->ndisks; i++)
		proto_put_str(b, v->disks[i], sizeof(v->disks[i]));
	for (i = 0; i < v->nnics; i++)
		proto_put_str(b, v->nics[i], sizeof(v->nics[i]));
}

int
proto_vmstart_encode(const struct proto_vmstart *v, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_vmstart_put(&b, v);
	return proto_buf_encoded(&b);
}

int
proto_vmstart_decode(const uint8_t *buf, size_t len, struct proto_vmstart *v)
{
	struct proto_buf	b;
	size_t			i;

	memset(v, 0, sizeof(*v));
	proto_buf_reader(&b, buf, len);
	v->memsize = proto_get_u64(&b);
	v->ncpus = proto_get_u32(&b);
	v->nifs = proto_get_u32(&b);
	v->bootdev = proto_get_u32(&b);
	v->set = proto_get_u32(&b);
	v->ndisks = proto_get_u32(&b);
	v->nnics = proto_get_u32(&b);
	proto_buf_check(&b, v->ndisks <= PROTO_MAX_DISKS &&
	    v->nnics <= PROTO_MAX_NICS);
	if (b.err)
		return proto_buf_decoded(&b, v, sizeof(*v));
	for (i = 0; i < PROTO_MAX_DISKS; i++)
		v->diskfmt[i] = proto_get_u32(&b);
	for (i = 0; i < PROTO_MAX_NICS; i++)
		v->niclocal[i] = proto_get_u32(&b);
	proto_get_str(&b, v->name, sizeof(v->name));
	proto_get_str(&b, v->template, sizeof(v->template));
	proto_get_str(&b, v->boot, sizeof(v->boot));
	proto_get_str(&b, v->initrd, sizeof(v->initrd));
	proto_get_str(&b, v->cdrom, sizeof(v->cdrom));
	proto_get_str(&b, v->cmdline, sizeof(v->cmdline));
	for (i = 0; i < v->ndisks; i++)
		proto_get_str(&b, v->disks[i], sizeof(v->disks[i]));
	for (i = 0; i < v->nnics; i++)
		proto_get_str(&b, v->nics[i], sizeof(v->nics[i]));
	return proto_buf_decoded(&b, v, sizeof(*v));
}

/* The fixed control-path answers: fixed string fields, NUL padded. */
int
proto_result_encode(const struct proto_result *r, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u32(&b, (uint32_t)r->error);
	proto_put_u32(&b, r->id);
	proto_put_u32(&b, (uint32_t)r->pid);
	proto_put_strfix(&b, r->name, sizeof(r->name));
	proto_put_strfix(&b, r->tty, sizeof(r->tty));
	proto_put_strfix(&b, r->why, sizeof(r->why));
	return proto_buf_encoded(&b);
}

int
proto_result_decode(const uint8_t *buf, size_t len, struct proto_result *r)
{
	struct proto_buf	b;

	memset(r, 0, sizeof(*r));
	proto_buf_reader(&b, buf, len);
	r->error = (int32_t)proto_get_u32(&b);
	r->id = proto_get_u32(&b);
	r->pid = (int32_t)proto_get_u32(&b);
	proto_get_strfix(&b, r->name, sizeof(r->name));
	proto_get_strfix(&b, r->tty, sizeof(r->tty));
	proto_get_strfix(&b, r->why, sizeof(r->why));
	return proto_buf_decoded(&b, r, sizeof(*r));
}

int
proto_vmref_encode(const struct proto_vmref *r, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u32(&b, r->id);
	proto_put_u32(&b, r->flags);
	proto_put_strfix(&b, r->name, sizeof(r->name));
	return proto_buf_encoded(&b);
}

int
proto_vmref_decode(const uint8_t *buf, size_t len, struct proto_vmref *r)
{
	struct proto_buf	b;

	memset(r, 0, sizeof(*r));
	proto_buf_reader(&b, buf, len);
	r->id = proto_get_u32(&b);
	r->flags = proto_get_u32(&b);
	proto_get_strfix(&b, r->name, sizeof(r->name));
	return proto_buf_decoded(&b, r, sizeof(*r));
}

int
proto_vminfo_encode(const struct proto_vminfo *v, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u32(&b, v->id);
	proto_put_u32(&b, (uint32_t)v->pid);
	proto_put_u32(&b, v->ncpus);
	proto_put_u32(&b, v->state);
	proto_put_u64(&b, v->maxmem);
	proto_put_u64(&b, v->curmem);
	proto_put_u32(&b, v->uid);
	proto_put_strfix(&b, v->tty, sizeof(v->tty));
	proto_put_strfix(&b, v->owner, sizeof(v->owner));
	proto_put_strfix(&b, v->name, sizeof(v->name));
	return proto_buf_encoded(&b);
}

int
proto_vminfo_decode(const uint8_t *buf, size_t len, struct proto_vminfo *v)
{
	struct proto_buf	b;

	memset(v, 0, sizeof(*v));
	proto_buf_reader(&b, buf, len);
	v->id = proto_get_u32(&b);
	v->pid = (int32_t)proto_get_u32(&b);
	v->ncpus = proto_get_u32(&b);
	v->state = proto_get_u32(&b);
	v->maxmem = proto_get_u64(&b);
	v->curmem = proto_get_u64(&b);
	v->uid = proto_get_u32(&b);
	proto_get_strfix(&b, v->tty, sizeof(v->tty));
	proto_get_strfix(&b, v->owner, sizeof(v->owner));
	proto_get_strfix(&b, v->name, sizeof(v->name));
	return proto_buf_decoded(&b, v, sizeof(*v));
}

/* A path is the whole payload: its bytes, no NUL, not empty. */
int
proto_path_encode(const struct proto_path *p, uint8_t *buf)
{
	struct proto_buf	b;
	size_t			n = strnlen(p->path, sizeof(p->path));

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, n > 0 && n < sizeof(p->path));
	proto_put(&b, p->path, n);
	return proto_buf_encoded(&b);
}

int
proto_path_decode(const uint8_t *buf, size_t len, struct proto_path *p)
{
	struct proto_buf	b;

	memset(p, 0, sizeof(*p));
	proto_buf_reader(&b, buf, len);
	proto_buf_check(&b, len > 0 && len < sizeof(p->path) &&
	    memchr(buf, '\0', len) == NULL);
	proto_get(&b, p->path, b.err ? 0 : len);
	return proto_buf_decoded(&b, p, sizeof(*p));
}

/*
 * The priv requests. Interface names are length-prefixed and never
 * empty; priv checks them further (netif_name_valid).
 */
int
proto_ifdescr_encode(const struct proto_ifdescr *d, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, d->name[0] != '\0');
	proto_put_str(&b, d->name, sizeof(d->name));
	proto_put_str(&b, d->descr, sizeof(d->descr));
	return proto_buf_encoded(&b);
}

int
proto_ifdescr_decode(const uint8_t *buf, size_t len, struct proto_ifdescr *d)
{
	struct proto_buf	b;

	memset(d, 0, sizeof(*d));
	proto_buf_reader(&b, buf, len);
	proto_get_str(&b, d->name, sizeof(d->name));
	proto_get_str(&b, d->descr, sizeof(d->descr));
	proto_buf_check(&b, d->name[0] != '\0');
	return proto_buf_decoded(&b, d, sizeof(*d));
}

int
proto_ifvalue_encode(const struct proto_ifvalue *v, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, v->name[0] != '\0');
	proto_put_str(&b, v->name, sizeof(v->name));
	proto_put_u32(&b, v->value);
	return proto_buf_encoded(&b);
}

int
proto_ifvalue_decode(const uint8_t *buf, size_t len, struct proto_ifvalue *v)
{
	struct proto_buf	b;

	memset(v, 0, sizeof(*v));
	proto_buf_reader(&b, buf, len);
	proto_get_str(&b, v->name, sizeof(v->name));
	v->value = proto_get_u32(&b);
	proto_buf_check(&b, v->name[0] != '\0');
	return proto_buf_decoded(&b, v, sizeof(*v));
}

/*
 * An interface address, IPv4 or IPv6: the name, alen bytes of address and
 * a prefix length of 1 to max. The two encoders and decoders below.
 */
static int
proto_ifaddr_put(const char *name, size_t namelen, const void *addr,
    size_t alen, uint32_t prefixlen, uint32_t max, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, name[0] != '\0' && prefixlen >= 1 &&
	    prefixlen <= max);
	proto_put_str(&b, name, namelen);
	proto_put(&b, addr, alen);
	proto_put_u32(&b, prefixlen);
	return proto_buf_encoded(&b);
}

static int
proto_ifaddr_get(const uint8_t *buf, size_t len, char *name, size_t namelen,
    void *addr, size_t alen, uint32_t *prefixlen, uint32_t max, void *out,
    size_t outlen)
{
	struct proto_buf	b;

	memset(out, 0, outlen);
	proto_buf_reader(&b, buf, len);
	proto_get_str(&b, name, namelen);
	proto_get(&b, addr, alen);
	*prefixlen = proto_get_u32(&b);
	proto_buf_check(&b, name[0] != '\0' && *prefixlen >= 1 &&
	    *prefixlen <= max);
	return proto_buf_decoded(&b, out, outlen);
}

int
proto_ifaddr_encode(const struct proto_ifaddr *a, uint8_t *buf)
{
	return proto_ifaddr_put(a->name, sizeof(a->name), &a->addr,
	    sizeof(a->addr), a->prefixlen, 32, buf);
}

int
proto_ifaddr_decode(const uint8_t *buf, size_t len, struct proto_ifaddr *a)
{
	return proto_ifaddr_get(buf, len, a->name, sizeof(a->name), &a->addr,
	    sizeof(a->addr), &a->prefixlen, 32, a, sizeof(*a));
}

int
proto_ifaddr6_encode(const struct proto_ifaddr6 *a, uint8_t *buf)
{
	return proto_ifaddr_put(a->name, sizeof(a->name), &a->addr,
	    sizeof(a->addr), a->prefixlen, 128, buf);
}

int
proto_ifaddr6_decode(const uint8_t *buf, size_t len, struct proto_ifaddr6 *a)
{
	return proto_ifaddr_get(buf, len, a->name, sizeof(a->name), &a->addr,
	    sizeof(a->addr), &a->prefixlen, 128, a, sizeof(*a));
}

int
proto_ifbradd_encode(const struct proto_ifbradd *r, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, r->bridge[0] != '\0' && r->name[0] != '\0');
	proto_put_str(&b, r->bridge, sizeof(r->bridge));
	proto_put_str(&b, r->name, sizeof(r->name));
	return proto_buf_encoded(&b);
}

int
proto_ifbradd_decode(const uint8_t *buf, size_t len, struct proto_ifbradd *r)
{
	struct proto_buf	b;

	memset(r, 0, sizeof(*r));
	proto_buf_reader(&b, buf, len);
	proto_get_str(&b, r->bridge, sizeof(r->bridge));
	proto_get_str(&b, r->name, sizeof(r->name));
	proto_buf_check(&b, r->bridge[0] != '\0' && r->name[0] != '\0');
	return proto_buf_decoded(&b, r, sizeof(*r));
}

int
proto_switch_encode(const struct proto_switch *s, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, s->bridge[0] != '\0' && s->up <= 1);
	proto_put_str(&b, s->bridge, sizeof(s->bridge));
	proto_put_str(&b, s->name, sizeof(s->name));
	proto_put_u8(&b, s->up);
	return proto_buf_encoded(&b);
}

int
proto_switch_decode(const uint8_t *buf, size_t len, struct proto_switch *s)
{
	struct proto_buf	b;

	memset(s, 0, sizeof(*s));
	proto_buf_reader(&b, buf, len);
	proto_get_str(&b, s->bridge, sizeof(s->bridge));
	proto_get_str(&b, s->name, sizeof(s->name));
	s->up = proto_get_u8(&b);
	proto_buf_check(&b, s->bridge[0] != '\0' && s->up <= 1);
	return proto_buf_decoded(&b, s, sizeof(*s));
}

/* Off is prefixlen 0 and then no IPv6 either. */
static int
proto_nat_ok(const struct proto_nat *n)
{
	return n->prefixlen <= 32 && n->prefix6len <= 128 &&
	    (n->prefixlen != 0 || n->prefix6len == 0);
}

int
proto_nat_encode(const struct proto_nat *n, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_buf_check(&b, proto_nat_ok(n));
	proto_put(&b, &n->prefix, sizeof(n->prefix));
	proto_put_u32(&b, n->prefixlen);
	proto_put(&b, &n->prefix6, sizeof(n->prefix6));
	proto_put_u32(&b, n->prefix6len);
	return proto_buf_encoded(&b);
}

int
proto_nat_decode(const uint8_t *buf, size_t len, struct proto_nat *n)
{
	struct proto_buf	b;

	memset(n, 0, sizeof(*n));
	proto_buf_reader(&b, buf, len);
	proto_get(&b, &n->prefix, sizeof(n->prefix));
	n->prefixlen = proto_get_u32(&b);
	proto_get(&b, &n->prefix6, sizeof(n->prefix6));
	n->prefix6len = proto_get_u32(&b);
	proto_buf_check(&b, proto_nat_ok(n));
	return proto_buf_decoded(&b, n, sizeof(*n));
}

int
proto_ctl_wrap(uint32_t uid, const void *payload, size_t len, uint8_t *buf)
{
	struct proto_buf	b;

	proto_buf_writer(&b, buf);
	proto_put_u32(&b, PROTO_CTL_VERSION);
	proto_put_u32(&b, uid);
	proto_put(&b, payload, len);
	if (b.err) {
		errno = EMSGSIZE;
		return -1;
	}
	return (int)b.off;
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
	struct proto_buf	b;
	uint32_t		version;

	proto_buf_reader(&b, im->data, im->hdr.len);
	version = proto_get_u32(&b);
	*uid = proto_get_u32(&b);
	if (b.err) {
		errno = EBADMSG;
		return -1;
	}
	if (version != PROTO_CTL_VERSION) {
		errno = EPROTO;
		return -1;
	}
	*payload = im->data + b.off;
	*len = b.len - b.off;
	return 0;
}

int
proto_ctl_stamp(struct imsg *im, uint32_t uid)
{
	struct proto_buf	b;
	uint32_t		version;

	proto_buf_reader(&b, im->data, im->hdr.len);
	version = proto_get_u32(&b);
	(void)proto_get_u32(&b);
	if (b.err) {
		errno = EBADMSG;
		return -1;
	}
	proto_buf_writer(&b, im->data);
	proto_put_u32(&b, version);
	proto_put_u32(&b, uid);
	return 0;
}
