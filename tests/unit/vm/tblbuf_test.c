/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/tblbuf.c: the firmware tables' byte writer. */
#include <string.h>

#include "helper/tap.h"
#include "vm/tblbuf.h"

int
main(void)
{
	static const uint8_t	 want[] = { 0xaa, 0x34, 0x12, 0x78, 0x56,
	    0x34, 0x12, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	uint8_t			 mem[16], p[8];
	struct tblbuf		 b = { mem, 0, 15, 0 };
	uint8_t			 s;

	memset(mem, 0xee, sizeof(mem));
	tblbuf_u8(&b, 0xaa);
	tblbuf_u16(&b, 0x1234);
	tblbuf_u32(&b, 0x12345678);
	tblbuf_u64(&b, 0x0102030405060708ULL);
	tap_ok(!b.overflow && b.len == 15 && memcmp(mem, want, 15) == 0,
	    "u8, u16, u32, u64 little-endian, 15 bytes");
	tblbuf_u8(&b, 1);
	tap_ok(b.overflow && b.len == 15 && mem[15] == 0xee,
	    "a byte past cap: overflow, nothing written");
	b.cap = 16;
	tblbuf_u8(&b, 1);
	tap_ok(b.overflow && b.len == 15 && mem[15] == 0xee,
	    "overflow is sticky: later writes that would fit are ignored");
	b = (struct tblbuf){ mem, 0, 4, 0 };
	tblbuf_put(&b, "abcdefgh", 5);
	tap_ok(b.overflow && b.len == 0, "a put larger than the room: none "
	    "of it");
	tblbuf_set16(p, 0xbeef);
	tblbuf_set32(p + 2, 0xdeadc0de);
	tap_ok(p[0] == 0xef && p[1] == 0xbe && p[2] == 0xde && p[5] == 0xde,
	    "set16, set32 store little-endian");
	tblbuf_set64(p, 0x8877665544332211ULL);
	tap_ok(p[0] == 0x11 && p[7] == 0x88, "set64");
	s = tblbuf_sum(want, sizeof(want));
	tap_ok((uint8_t)(s + 0xaa + 0x34 + 0x12 + 0x78 + 0x56 + 0x34 + 0x12 +
	    0x08 + 0x07 + 0x06 + 0x05 + 0x04 + 0x03 + 0x02 + 0x01) == 0,
	    "sum: the byte that makes the table sum to zero (0x%02x)", s);
	tap_ok(tblbuf_sum(p, 0) == 0, "sum of nothing is 0");
	return tap_done();
}
