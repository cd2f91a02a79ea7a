/* SPDX-License-Identifier: ISC */
/* Unit tests for the control-path half of lib/proto.c: table, codecs, envelope. */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "imsg.h"
#include "proto.h"

static void
test_table(void)
{
	const struct proto_route	*r, *resp;
	uint32_t			 t;
	int				 rows = 1, pairs = 1;
	size_t				 n;

	for (t = 1; t < IMSG_TYPE_MAX; t++)
		if (proto_route(t) == NULL)
			rows = 0;
	tap_ok(rows, "every message type has a row in the table");
	tap_ok(proto_route(IMSG_TYPE_MAX) == NULL && proto_route(99999) ==
	    NULL, "no row past the end");
	/* On the control path, the answer to X_REQ is the next type. */
	for (t = 1; t < IMSG_TYPE_MAX; t++) {
		r = proto_route(t);
		if (r->from != PROTO_FROM_ANY && r->from != PROTO_FROM_ROOT)
			continue;
		resp = proto_route(t + 1);
		n = strlen(r->name);
		if (r->to != PROTO_TO_PARENT || resp == NULL ||
		    resp->to != PROTO_TO_CLIENT ||
		    strncmp(r->name, resp->name, n - 3) != 0 ||
		    strcmp(resp->name + n - 3, "resp") != 0)
			pairs = 0;
	}
	tap_ok(pairs, "client requests go to the parent, answers (REQ + 1) "
	    "to the client");
	/* What vmm relays to a VM names its answer, which goes back. */
	pairs = 1;
	for (t = 1; t < IMSG_TYPE_MAX; t++) {
		r = proto_route(t);
		if (r->answer == 0)
			continue;
		resp = proto_route(r->answer);
		if (r->to != PROTO_TO_VM || resp == NULL ||
		    resp->from != PROTO_FROM_VM ||
		    resp->to != PROTO_TO_PARENT)
			pairs = 0;
	}
	tap_ok(pairs && proto_route(IMSG_VMP_PAUSE_REQ)->answer ==
	    IMSG_VMP_PAUSE_RESP, "requests relayed to VMs name their answer, "
	    "which a VM sends and vmm relays to the parent");
	tap_ok(proto_route(IMSG_CONF_RELOAD_REQ)->from == PROTO_FROM_ROOT &&
	    proto_route(IMSG_LOG_VERBOSE_REQ)->from == PROTO_FROM_ROOT &&
	    proto_route(IMSG_VM_START_REQ)->from == PROTO_FROM_ANY,
	    "reload and log are root only; start is for anyone");
	tap_ok(strcmp(proto_vmstate_name(PROTO_VMSTATE_PAUSED), "paused") == 0 &&
	    strcmp(proto_vmstate_name(1000), "unknown") == 0, "state names");
}

static void
test_vmstart(void)
{
	struct proto_vmstart	*a, *b;
	uint8_t			 buf[IMSG_MAX_PAYLOAD + 16];
	int			 len, i, bad = 0;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	strlcpy(a->name, "web", sizeof(a->name));
	strlcpy(a->boot, "/boot/vmlinuz", sizeof(a->boot));
	strlcpy(a->cmdline, "console=ttyS0", sizeof(a->cmdline));
	a->memsize = 1ULL << 30;
	a->ncpus = 4;
	a->ndisks = 2;
	strlcpy(a->disks[0], "/var/vm/a.img", sizeof(a->disks[0]));
	strlcpy(a->disks[1], "/var/vm/b.qcow2", sizeof(a->disks[1]));
	a->diskfmt[1] = 2;
	a->nnics = 1;
	strlcpy(a->nics[0], "uplink", sizeof(a->nics[0]));
	a->set = PROTO_VMSTART_BOOT | PROTO_VMSTART_DISKS;
	len = proto_vmstart_encode(a, buf);
	tap_ok(len > 0 && proto_vmstart_decode(buf, (size_t)len, b) == 0 &&
	    memcmp(a, b, sizeof(*a)) == 0, "vmstart: round trip");
	for (i = 0; i < len; i++)
		if (proto_vmstart_decode(buf, (size_t)i, b) == 0)
			bad++;
	tap_is(bad, 0, "vmstart: every truncation is refused");
	tap_ok(proto_vmstart_decode(buf, (size_t)len + 1, b) == -1 &&
	    errno == EBADMSG, "vmstart: a leftover byte is refused");
	/* u64, 6 u32, 8 u32 (formats, local flags), u16 3, "web", ... */
	tap_ok(buf[64] == 3 && memcmp(buf + 66, "web", 3) == 0,
	    "vmstart: the strings follow the numbers");
	buf[67] = '\0';
	tap_ok(proto_vmstart_decode(buf, (size_t)len, b) == -1,
	    "vmstart: an embedded NUL is refused");
	buf[67] = 'e';
	memset(buf + 24, 0xff, 4);
	tap_ok(proto_vmstart_decode(buf, (size_t)len, b) == -1,
	    "vmstart: too many disks is refused");
	a->ndisks = PROTO_MAX_DISKS + 1;
	tap_ok(proto_vmstart_encode(a, buf) == -1, "vmstart: too many disks "
	    "does not encode");
	a->ndisks = 0;
	memset(a->cmdline, 'x', sizeof(a->cmdline));
	tap_ok(proto_vmstart_encode(a, buf) == -1 && errno == EINVAL,
	    "vmstart: an unterminated string does not encode");
	free(a);
	free(b);
}

static void
test_fixed(void)
{
	struct proto_result	r, r2;
	struct proto_vmref	v, v2;
	struct proto_vminfo	i, i2;
	struct proto_path	p, p2;
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	int			len;

	memset(&r, 0, sizeof(r));
	r.error = EPERM;
	r.id = 7;
	strlcpy(r.tty, "/dev/pts/3", sizeof(r.tty));
	len = proto_result_encode(&r, buf);
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == 0 &&
	    r2.id == 7 && r2.error == EPERM, "result: round trip");
	tap_is(len, (int)sizeof(r), "result: no bigger than its struct "
	    "(callers' buffers)");
	tap_ok(proto_result_decode(buf, (size_t)len - 1, &r2) == -1 &&
	    proto_result_decode(buf, (size_t)len + 1, &r2) == -1 &&
	    r2.id == 0, "result: exact length, the output zeroed");
	buf[offsetof(struct proto_result, tty) + 12] = 'x';
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == -1,
	    "result: bytes after a string's NUL refused");
	buf[offsetof(struct proto_result, tty) + 12] = '\0';
	r.error = -5;
	r.pid = -1;
	len = proto_result_encode(&r, buf);
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == 0 &&
	    r2.error == -5 && r2.pid == -1, "result: signed fields");
	tap_ok(buf[0] == 0xfb && buf[1] == 0xff,
	    "result: the error is the first field (tests read it there)");
	r.error = EPERM;
	len = proto_result_encode(&r, buf);
	memset(buf + offsetof(struct proto_result, tty), 'A', PROTO_TTY_MAX);
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == -1,
	    "result: unterminated tty refused");
	strlcpy(r.why, "vm db: cdrom is not supported yet", sizeof(r.why));
	len = proto_result_encode(&r, buf);
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == 0 &&
	    strcmp(proto_result_why(&r2), r.why) == 0,
	    "result: the reason travels and is what vmctl prints");
	r.why[0] = '\0';
	tap_ok(strcmp(proto_result_why(&r), proto_strerror(EPERM)) == 0,
	    "result: no reason: the error's message");
	memset(buf + offsetof(struct proto_result, why), 'A', PROTO_WHY_MAX);
	tap_ok(proto_result_decode(buf, (size_t)len, &r2) == -1,
	    "result: unterminated reason refused");

	memset(&v, 0, sizeof(v));
	strlcpy(v.name, "db", sizeof(v.name));
	v.flags = PROTO_VMREF_F_FORCE;
	len = proto_vmref_encode(&v, buf);
	tap_ok(proto_vmref_decode(buf, (size_t)len, &v2) == 0 &&
	    strcmp(v2.name, "db") == 0 && v2.flags == PROTO_VMREF_F_FORCE,
	    "vmref: round trip");
	tap_is(len, 72, "vmref: id, flags, a 64-byte name");
	tap_ok(proto_vmref_decode(buf, (size_t)len + 1, &v2) == -1 &&
	    proto_vmref_decode(buf, (size_t)len - 1, &v2) == -1,
	    "vmref: exact length");
	memset(buf + 8, 'A', PROTO_NAME_MAX);
	tap_ok(proto_vmref_decode(buf, (size_t)len, &v2) == -1,
	    "vmref: unterminated name refused");
	memset(v.name, 'A', sizeof(v.name));
	tap_ok(proto_vmref_encode(&v, buf) == -1 && errno == EINVAL,
	    "vmref: unterminated name does not encode");

	memset(&i, 0, sizeof(i));
	i.id = 3;
	i.maxmem = 64ULL << 20;
	strlcpy(i.owner, "alice:staff", sizeof(i.owner));
	len = proto_vminfo_encode(&i, buf);
	tap_ok(proto_vminfo_decode(buf, (size_t)len, &i2) == 0 &&
	    i2.maxmem == i.maxmem && strcmp(i2.owner, i.owner) == 0,
	    "vminfo: round trip");
	tap_ok(proto_vminfo_decode(buf, 3, &i2) == -1 &&
	    proto_vminfo_decode(buf, (size_t)len - 1, &i2) == -1 &&
	    proto_vminfo_decode(buf, (size_t)len + 1, &i2) == -1,
	    "vminfo: exact length");
	i.pid = -1;
	i.curmem = 1ULL << 40;
	strlcpy(i.name, "web", sizeof(i.name));
	strlcpy(i.tty, "/dev/pts/9", sizeof(i.tty));
	len = proto_vminfo_encode(&i, buf);
	tap_ok(proto_vminfo_decode(buf, (size_t)len, &i2) == 0 &&
	    memcmp(&i, &i2, sizeof(i)) == 0, "vminfo: every field travels");
	memset(i.tty, 'x', sizeof(i.tty));
	tap_ok(proto_vminfo_encode(&i, buf) == -1,
	    "vminfo: unterminated tty does not encode");

	strlcpy(p.path, "/etc/vm.conf", sizeof(p.path));
	len = proto_path_encode(&p, buf);
	tap_ok(len == 12 && proto_path_decode(buf, (size_t)len, &p2) == 0 &&
	    strcmp(p2.path, p.path) == 0, "path: round trip");
	tap_ok(proto_path_decode((const uint8_t *)"a\0b", 3, &p2) == -1 &&
	    proto_path_decode(buf, 0, &p2) == -1,
	    "path: embedded NUL and empty refused");
	memset(buf, 'p', PROTO_PATH_MAX);
	tap_ok(proto_path_decode(buf, PROTO_PATH_MAX, &p2) == -1 &&
	    proto_path_decode(buf, PROTO_PATH_MAX - 1, &p2) == 0,
	    "path: at most PROTO_PATH_MAX - 1 bytes");
	p.path[0] = '\0';
	tap_ok(proto_path_encode(&p, buf) == -1, "path: empty does not "
	    "encode");
	tap_ok(proto_empty_decode(buf, 0) == 0 &&
	    proto_empty_decode(buf, 1) == -1, "empty: exact length");
}

static void
test_envelope(void)
{
	struct imsg	*im = malloc(sizeof(*im));
	const uint8_t	*p;
	size_t		 len;
	uint32_t	 uid;
	int		 sv[2];

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	proto_ctl_send(sv[0], IMSG_VM_STATUS_REQ, 5, 0, "abc", 3, -1);
	imsg_recv(sv[1], im);
	tap_ok(proto_ctl_open(im, &uid, &p, &len) == 0 && len == 3 &&
	    memcmp(p, "abc", 3) == 0 && im->hdr.peerid == 5,
	    "envelope: payload after version and uid");
	proto_ctl_stamp(im, 1234);
	tap_ok(proto_ctl_open(im, &uid, &p, &len) == 0 && uid == 1234,
	    "envelope: control stamps the uid");
	im->data[0] ^= 0xff;
	tap_ok(proto_ctl_open(im, &uid, &p, &len) == -1 && errno == EPROTO,
	    "envelope: another version is refused (EPROTO)");
	im->hdr.len = 7;
	tap_ok(proto_ctl_open(im, &uid, &p, &len) == -1 && errno == EBADMSG,
	    "envelope: too short (EBADMSG)");
	tap_ok(strcmp(proto_strerror(PROTO_ERESTART),
	    "vm restarted too quickly") == 0 &&
	    strcmp(proto_strerror(EPERM), strerror(EPERM)) == 0,
	    "proto_strerror: vmd codes and errno");
	close(sv[0]);
	close(sv[1]);
	free(im);
}

int
main(void)
{
	test_table();
	test_vmstart();
	test_fixed();
	test_envelope();
	return tap_done();
}
