/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: the control path's envelope and payload decoders. */
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct imsg		 im;
	static struct proto_vmstart	 s, s2;
	struct proto_result		 r;
	struct proto_vmref		 v;
	struct proto_vminfo		 i;
	struct proto_path		 p;
	static uint8_t			 buf[IMSG_MAX_PAYLOAD];
	const uint8_t			*pl;
	size_t				 pll;
	uint32_t			 uid, u;
	int				 n;

	if (len > sizeof(im.data))
		return 0;
	memset(&im.hdr, 0, sizeof(im.hdr));
	im.hdr.len = (uint32_t)len;
	im.fd = -1;
	memcpy(im.data, data, len);
	/* What a client sends: an envelope, then any request's payload. */
	if (proto_ctl_open(&im, &uid, &pl, &pll) == -1)
		return 0;
	if (proto_vmstart_decode(pl, pll, &s) == 0) {
		/* What decodes encodes back to the same bytes. */
		n = proto_vmstart_encode(&s, buf);
		if (n != (int)pll || memcmp(buf, pl, pll) != 0 ||
		    proto_vmstart_decode(buf, (size_t)n, &s2) != 0 ||
		    memcmp(&s, &s2, sizeof(s)) != 0)
			__builtin_trap();
	}
	/* Fixed answers are canonical: what decodes encodes back the same. */
	if (proto_result_decode(pl, pll, &r) == 0 &&
	    (strlen(r.name) >= sizeof(r.name) || strlen(r.tty) >=
	    sizeof(r.tty) || strlen(r.why) >= sizeof(r.why) ||
	    proto_result_encode(&r, buf) != (int)pll ||
	    memcmp(buf, pl, pll) != 0))
		__builtin_trap();
	if (proto_vmref_decode(pl, pll, &v) == 0 &&
	    (strlen(v.name) >= sizeof(v.name) || proto_vmref_encode(&v,
	    buf) != (int)pll || memcmp(buf, pl, pll) != 0))
		__builtin_trap();
	if (proto_vminfo_decode(pl, pll, &i) == 0 &&
	    (strlen(i.owner) >= sizeof(i.owner) || proto_vminfo_encode(&i,
	    buf) != (int)pll || memcmp(buf, pl, pll) != 0))
		__builtin_trap();
	if (proto_path_decode(pl, pll, &p) == 0 &&
	    (strlen(p.path) != pll || proto_path_encode(&p, buf) != (int)pll))
		__builtin_trap();
	(void)proto_u32_decode(pl, pll, &u);
	(void)proto_empty_decode(pl, pll);
	(void)proto_ctl_stamp(&im, 1000);
	return 0;
}
