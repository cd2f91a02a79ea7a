/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/proto.c and lib/imsg.c: codecs and framing. */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "imsg.h"
#include "proto.h"
#include "vmdef.h"

int
main(void)
{
	struct proto_vmcreate	 c, d;
	struct proto_cpuid	*cp, *cq;
	struct imsg		*im;
	uint8_t			 buf[IMSG_MAX_PAYLOAD];
	uint32_t		 v;
	int			 len, sv[2], fd, i, bad;

	memset(&c, 0, sizeof(c));
	strlcpy(c.name, "web", sizeof(c.name));
	strlcpy(c.cmdline, "console=ttyS0 tg.echo=x", sizeof(c.cmdline));
	c.memsize = 256ULL << 20;
	c.ncpus = 4;
	c.bootdev = VM_BOOTDEV_CDROM;
	len = proto_vmcreate_encode(&c, buf);
	tap_ok(len > 0, "encode vmcreate");
	tap_ok(proto_vmcreate_decode(buf, (size_t)len, &d) == 0 &&
	    strcmp(d.name, "web") == 0 && d.ncpus == 4 &&
	    d.memsize == c.memsize && strcmp(d.cmdline, c.cmdline) == 0 &&
	    d.bootdev == VM_BOOTDEV_CDROM, "decode gives it back");
	tap_ok(proto_vmcreate_decode(buf, (size_t)len - 1, &d) == -1 &&
	    errno == EBADMSG, "short payload refused");
	for (i = 0, bad = 0; i < len; i++)
		if (proto_vmcreate_decode(buf, (size_t)i, &d) == 0)
			bad++;
	tap_is(bad, 0, "every truncation refused");
	tap_ok(proto_vmcreate_decode(buf, (size_t)len + 1, &d) == -1 &&
	    d.name[0] == '\0' && d.ncpus == 0,
	    "leftover byte refused, the output zeroed");
	/* u64 memsize, u32 ncpus, u32 bootdev, u16 3 "web", u16 len, cmdline */
	tap_ok(buf[16] == 3 && buf[17] == 0 && memcmp(buf + 18, "web", 3) == 0,
	    "name: u16 length, then its bytes");
	buf[19] = '\0';
	tap_ok(proto_vmcreate_decode(buf, (size_t)len, &d) == -1 &&
	    errno == EBADMSG, "embedded NUL refused");
	buf[19] = 'e';
	buf[16] = 0xff;
	buf[17] = 0xff;
	tap_ok(proto_vmcreate_decode(buf, (size_t)len, &d) == -1,
	    "lying name length refused");
	buf[16] = PROTO_NAME_MAX;
	buf[17] = 0;
	tap_ok(proto_vmcreate_decode(buf, (size_t)len, &d) == -1,
	    "name as long as its field refused");
	memset(c.name, 'a', sizeof(c.name));
	tap_ok(proto_vmcreate_encode(&c, buf) == -1 && errno == EINVAL,
	    "unterminated name refused (EINVAL)");
	/* KVM's CPUID table from the launcher: u32 nent, 7 u32 per entry. */
	if ((cp = calloc(1, sizeof(*cp))) == NULL ||
	    (cq = calloc(1, sizeof(*cq))) == NULL) {
		printf("Bail out! calloc\n");
		return 1;
	}
	cp->nent = 2;
	cp->e[0].function = 1;
	cp->e[0].eax = 0x806f8;
	cp->e[1].function = 7;
	cp->e[1].index = 0;
	cp->e[1].flags = 1;
	cp->e[1].edx = 0xdeadbeef;
	len = proto_cpuid_encode(cp, buf);
	tap_is(len, 4 + 2 * 28, "encode cpuid: u32 nent, 28 bytes an entry");
	tap_ok(proto_cpuid_decode(buf, (size_t)len, cq) == 0 &&
	    cq->nent == 2 && memcmp(cp->e, cq->e, 2 * sizeof(cp->e[0])) == 0,
	    "decode cpuid gives it back");
	for (i = 0, bad = 0; i < len; i++)
		if (proto_cpuid_decode(buf, (size_t)i, cq) == 0)
			bad++;
	tap_is(bad, 0, "cpuid: every truncation refused");
	tap_ok(proto_cpuid_decode(buf, (size_t)len + 1, cq) == -1 &&
	    errno == EBADMSG && cq->nent == 0,
	    "cpuid: leftover byte refused, the output zeroed");
	v = PROTO_CPUID_MAX + 1;
	memcpy(buf, &v, 4);
	tap_ok(proto_cpuid_decode(buf, (size_t)len, cq) == -1 &&
	    errno == EBADMSG, "cpuid: more entries than KVM has refused");
	cp->nent = PROTO_CPUID_MAX;
	len = proto_cpuid_encode(cp, buf);
	tap_ok(len > 0 && proto_cpuid_decode(buf, (size_t)len, cq) == 0 &&
	    cq->nent == PROTO_CPUID_MAX, "cpuid: the largest table fits");
	cp->nent = PROTO_CPUID_MAX + 1;
	tap_ok(proto_cpuid_encode(cp, buf) == -1 && errno == EINVAL,
	    "cpuid: encoding too many entries refused (EINVAL)");
	free(cp);
	free(cq);

	tap_ok(proto_u32_encode(7, buf) == 4 && proto_u32_decode(buf, 4, &v) ==
	    0 && v == 7, "u32 round trip");
	tap_ok(proto_u32_decode(buf, 5, &v) == -1 && errno == EBADMSG,
	    "u32 with a leftover refused");
	tap_ok(proto_u32_decode(buf, 3, &v) == -1, "u32 needs 4 bytes");

	im = malloc(sizeof(*im));
	tap_ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	fd = open("/dev/null", O_RDONLY);
	tap_is(imsg_send(sv[0], IMSG_VMP_FD_REQ, 7, "abcd", 4, fd), 0,
	    "send with fd");
	tap_ok(imsg_recv(sv[1], im) == 1 && im->hdr.type == IMSG_VMP_FD_REQ &&
	    im->hdr.len == 4 && im->hdr.peerid == 7 && im->fd >= 0 &&
	    memcmp(im->data, "abcd", 4) == 0, "receive with fd");
	close(im->fd);
	tap_ok(imsg_send(sv[0], 1, 0, buf, IMSG_MAX_PAYLOAD + 1, -1) == -1 &&
	    errno == EMSGSIZE, "oversized payload refused");
	/* A raw packet whose length field lies. */
	memset(buf, 0, 64);
	buf[4] = 200;
	(void)send(sv[0], buf, 64, 0);
	tap_ok(imsg_recv(sv[1], im) == -1 && errno == EBADMSG,
	    "length field that lies is EBADMSG");
	(void)send(sv[0], buf, 3, 0);
	tap_ok(imsg_recv(sv[1], im) == -1 && errno == EBADMSG,
	    "runt packet is EBADMSG");
	close(sv[0]);
	tap_is(imsg_recv(sv[1], im), 0, "EOF");
	close(sv[1]);
	close(fd);
	free(im);
	return tap_done();
}
