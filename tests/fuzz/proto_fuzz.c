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
