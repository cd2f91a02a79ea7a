/* SPDX-License-Identifier: ISC */
/* Unit tests for the IMSG_VMP_FD_REQ payload (disks and taps). */
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "proto.h"

int
main(void)
{
	struct proto_fdreq	f, g;
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	uint32_t		v;
	int			len;

	memset(&f, 0, sizeof(f));
	f.which = PROTO_VMFD_KERNEL;
	tap_is(proto_fdreq_encode(&f, buf), 4, "kernel: 4 bytes");
	tap_ok(proto_u32_decode(buf, 4, &v) == 0 && v == PROTO_VMFD_KERNEL,
	    "a plain fd request is a u32 (launchers may use proto_u32)");
	tap_ok(proto_fdreq_decode(buf, 4, &g) == 0 &&
	    g.which == PROTO_VMFD_KERNEL, "kernel decoded");
	tap_ok(proto_fdreq_decode(buf, 5, &g) == -1 && errno == EBADMSG,
	    "kernel with leftovers refused");
	f.which = PROTO_VMFD_DISK_RO;
	tap_ok(proto_fdreq_encode(&f, buf) == -1, "disk without a format "
	    "refused");
	f.format = 2;
	f.size = 1ULL << 40;
	tap_is(proto_fdreq_encode(&f, buf), 13, "disk: 13 bytes");
	tap_ok(proto_fdreq_decode(buf, 13, &g) == 0 &&
	    g.which == PROTO_VMFD_DISK_RO && g.format == 2 &&
	    g.size == 1ULL << 40, "disk decoded with format and size");
	tap_ok(proto_fdreq_decode(buf, 14, &g) == -1 && errno == EBADMSG,
	    "disk with leftovers refused");
	buf[4] = 3;
	tap_ok(proto_fdreq_decode(buf, 13, &g) == -1, "unknown format "
	    "refused");
	tap_ok(proto_fdreq_decode(buf, 4, &g) == -1, "disk without format "
	    "refused");
	f.which = PROTO_VMFD_DISK_BASE;
	f.format = 1;
	tap_ok(proto_fdreq_encode(&f, buf) == 13 &&
	    proto_fdreq_decode(buf, 13, &g) == 0 &&
	    g.which == PROTO_VMFD_DISK_BASE && g.format == 1,
	    "backing layer round trip");
	memset(&f, 0, sizeof(f));
	f.which = PROTO_VMFD_TAP;
	memcpy(f.lladdr, "\xfe\xe1\xbb\xd1\x01\x02", 6);
	f.locked = 1;
	len = proto_fdreq_encode(&f, buf);
	tap_is(len, 12, "tap: 12 bytes");
	tap_ok(proto_fdreq_decode(buf, 12, &g) == 0 && g.which ==
	    PROTO_VMFD_TAP && g.locked == 1 &&
	    memcmp(g.lladdr, f.lladdr, 6) == 0, "tap round trip");
	tap_ok(proto_fdreq_decode(buf, 4, &g) == -1, "tap without options");
	buf[10] = 2;
	tap_ok(proto_fdreq_decode(buf, 12, &g) == -1, "locked must be 0/1");
	buf[10] = 1;
	buf[11] = 9;
	tap_ok(proto_fdreq_decode(buf, 12, &g) == -1, "local must be 0/1");
	/* A local interface carries its /31 and the tap's MAC. */
	memset(&f, 0, sizeof(f));
	f.which = PROTO_VMFD_TAP;
	f.local = 1;
	f.host = htonl(0x64400102);
	f.guest = htonl(0x64400103);
	memcpy(f.server_mac, "\x02\x00\x00\x00\x00\x09", 6);
	len = proto_fdreq_encode(&f, buf);
	tap_is(len, 28, "local tap: 28 bytes");
	tap_ok(proto_fdreq_decode(buf, 28, &g) == 0 && g.local == 1 &&
	    g.host == f.host && g.guest == f.guest &&
	    memcmp(g.server_mac, f.server_mac, 6) == 0, "local round trip");
	tap_ok(proto_fdreq_decode(buf, 12, &g) == -1,
	    "local tap without its addresses refused");
	tap_ok(proto_fdreq_decode(buf, 27, &g) == -1 &&
	    proto_fdreq_decode(buf, 29, &g) == -1,
	    "local tap: short or with leftovers refused");
	buf[27] = 1;
	tap_ok(proto_fdreq_decode(buf, 28, &g) == -1, "local pad must be 0");
	buf[27] = 0;
	buf[11] = 0;
	tap_ok(proto_fdreq_decode(buf, 28, &g) == -1,
	    "addresses without local refused");
	f.local = 2;
	tap_ok(proto_fdreq_encode(&f, buf) == -1, "encode refuses local 2");
	v = PROTO_VMFD_MAX;
	memcpy(buf, &v, 4);
	tap_ok(proto_fdreq_decode(buf, 4, &g) == -1, "unknown kind");
	v = 0;
	memcpy(buf, &v, 4);
	tap_ok(proto_fdreq_decode(buf, 4, &g) == -1, "kind 0");
	tap_ok(proto_fdreq_decode(buf, 0, &g) == -1, "empty");
	f.which = 0;
	tap_ok(proto_fdreq_encode(&f, buf) == -1, "encode refuses kind 0");
	return tap_done();
}
