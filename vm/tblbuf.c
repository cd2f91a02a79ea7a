/* SPDX-License-Identifier: ISC */
/* The bytes of firmware tables: a bounded little-endian writer, checksums. */
#include <string.h>

#include "tblbuf.h"

void
tblbuf_put(struct tblbuf *b, const void *data, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void
tblbuf_u8(struct tblbuf *b, uint8_t v)
{
	tblbuf_put(b, &v, 1);
}

void
tblbuf_u16(struct tblbuf *b, uint16_t v)
{
	uint8_t	d[2];

	tblbuf_set16(d, v);
	tblbuf_put(b, d, sizeof(d));
}

void
tblbuf_u32(struct tblbuf *b, uint32_t v)
{
	uint8_t	d[4];

	tblbuf_set32(d, v);
	tblbuf_put(b, d, sizeof(d));
}

void
tblbuf_u64(struct tblbuf *b, uint64_t v)
{
	uint8_t	d[8];

	tblbuf_set64(d, v);
	tblbuf_put(b, d, sizeof(d));
}

void
tblbuf_set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
tblbuf_set32(uint8_t *p, uint32_t v)
{
	tblbuf_set16(p, (uint16_t)v);
	tblbuf_set16(p + 2, (uint16_t)(v >> 16));
}

void
tblbuf_set64(uint8_t *p, uint64_t v)
{
	tblbuf_set32(p, (uint32_t)v);
	tblbuf_set32(p + 4, (uint32_t)(v >> 32));
}

uint8_t
tblbuf_sum(const uint8_t *p, size_t n)
{
	uint8_t	s = 0;

	while (n-- > 0)
		s += *p++;
	return (uint8_t)-s;
}
