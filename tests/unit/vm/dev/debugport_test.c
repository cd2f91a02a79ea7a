/* SPDX-License-Identifier: ISC */
/* Unit tests for the debug port: log line format, rate limit, hostile I/O. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/capture.h"
#include "helper/fakevm.h"
#include "helper/tap.h"
#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"

int
main(void)
{
	struct vm	 vm;
	struct capture	 c;
	uint64_t	 v;
	int		 i, ok;
	size_t		 len;
	unsigned	 off;

	fakevm_init(&vm);
	tap_is(debugport_init(&vm), 0, "debugport_init");
	tap_ok(bus_find(&vm.pio, PLAT_DEBUG_PORT) != NULL, "0xe9 claimed");
	tap_ok(bus_find(&vm.pio, PLAT_DEBUG_PORT + 1) == NULL,
	    "0xea not claimed");

	v = fakevm_pio_read(&vm, PLAT_DEBUG_PORT, 1);
	tap_is(v, 0xe9, "read returns 0xe9");

	/* Debug output: nothing at the brief level (vmctl log brief). */
	fakevm.now_ns = 1000000ULL;
	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x01);
	capture_stop(&c);
	tap_is(capture_count(c.buf, "debug port"), 0,
	    "brief logging: no debug port line");
	log_setverbose(1);

	/* Format. */
	fakevm.now_ns = 1234567890ULL;
	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x2a);
	capture_stop(&c);
	tap_ok(strstr(c.buf, "debug port 0x2a at 1234.567 ms\n") != NULL,
	    "log line format");

	fakevm.now_ns = 5000000ULL;
	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x00);
	capture_stop(&c);
	tap_ok(strstr(c.buf, "debug port 0x00 at 5.000 ms\n") != NULL,
	    "small time keeps 3 digits");

	/* Burst, then rate limit. 2 lines used so far. */
	fakevm.now_ns = 10000000000ULL;
	capture_start(&c);
	for (i = 0; i < 10000; i++)
		fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, i & 0xff);
	capture_stop(&c);
	tap_is(capture_count(c.buf, "debug port 0x"), 62,
	    "burst of 64 lines in all, then silence");

	fakevm.now_ns += 500000000ULL;
	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x77);
	capture_stop(&c);
	tap_is(capture_count(c.buf, "debug port 0x"), 0,
	    "still limited within the second");

	fakevm.now_ns += 600000000ULL;
	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x55);
	fakevm_pio_write(&vm, PLAT_DEBUG_PORT, 1, 0x56);
	capture_stop(&c);
	tap_is(capture_count(c.buf, "debug port 0x"), 1,
	    "one line after a second");
	tap_ok(strstr(c.buf, "debug port: 9939 writes not logged") != NULL,
	    "suppressed count reported");
	tap_ok(strstr(c.buf, "debug port 0x55 at 11100.000 ms") != NULL,
	    "the line after the limit is the first new write");

	/* Hostile sweep: every offset, size and a range of values. */
	capture_start(&c);
	ok = 1;
	for (off = 0; off < 4; off++)
		for (len = 1; len <= 8; len *= 2)
			for (v = 0; v < 256; v += 17) {
				fakevm_pio_write(&vm, PLAT_DEBUG_PORT - 2 + off,
				    len, v * 0x0101010101010101ULL);
				(void)fakevm_pio_read(&vm,
				    PLAT_DEBUG_PORT - 2 + off, len);
			}
	capture_stop(&c);
	tap_ok(ok, "hostile sweep survived");

	free(bus_find(&vm.pio, PLAT_DEBUG_PORT)->arg);
	fakevm_free(&vm);
	return tap_done();
}
