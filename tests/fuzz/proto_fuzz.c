/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: message framing and payload decoders (lib/). */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct imsg	im;
	struct proto_vmcreate	c, d;
	struct proto_fdreq	f;
	struct proto_ifdescr	id;
	struct proto_ifvalue	iv;
	struct proto_ifaddr	ia;
	struct proto_ifaddr6	ia6;
	struct proto_ifbradd	ib;
	struct proto_switch	sw;
	struct proto_nat	nat;
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	uint32_t		v;
	int			sv[2], n;

	if (proto_vmcreate_decode(data, len, &c) == 0) {
		/* What decodes must encode back to the same bytes. */
		n = proto_vmcreate_encode(&c, buf);
		if (n != (int)len || memcmp(buf, data, len) != 0 ||
		    proto_vmcreate_decode(buf, (size_t)n, &d) != 0)
			__builtin_trap();
	}
	(void)proto_u32_decode(data, len, &v);
	/* The same for the fd request and the priv requests. */
#define ROUND(dec, enc, x) do {						\
	if (dec(data, len, &(x)) == 0 && ((n = enc(&(x), buf)) !=	\
	    (int)len || memcmp(buf, data, len) != 0))			\
		__builtin_trap();					\
} while (0)
	ROUND(proto_fdreq_decode, proto_fdreq_encode, f);
	ROUND(proto_ifdescr_decode, proto_ifdescr_encode, id);
	ROUND(proto_ifvalue_decode, proto_ifvalue_encode, iv);
	ROUND(proto_ifaddr_decode, proto_ifaddr_encode, ia);
	ROUND(proto_ifaddr6_decode, proto_ifaddr6_encode, ia6);
	ROUND(proto_ifbradd_decode, proto_ifbradd_encode, ib);
	ROUND(proto_switch_decode, proto_switch_encode, sw);
	ROUND(proto_nat_decode, proto_nat_encode, nat);
#undef ROUND
	(void)proto_empty_decode(data, len);

	/* The same bytes as a raw packet on a message socket. */
	if (len > 0 && len <= sizeof(im.data) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0) {
		if (send(sv[0], data, len, 0) == (ssize_t)len &&
		    imsg_recv(sv[1], &im) == 1) {
			if (im.hdr.len + sizeof(im.hdr) != len || im.fd != -1)
				__builtin_trap();
		}
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}
