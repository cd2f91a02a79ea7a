/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the firmware debug log (port 0x402): absent unless at
 * debug level, one log line per firmware line, hostile bytes and lengths.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/capture.h"
#include "helper/fakevm.h"
#include "helper/tap.h"
#include "log.h"
#include "vm/boot.h"
#include "vm/devices.h"
#include "vm/platform.h"

static void
put(struct vm *vm, const char *s)
{
	while (*s != '\0')
		fakevm_pio_write(vm, PLAT_FWLOG_PORT, 1, (uint8_t)*s++);
}

int
main(void)
{
	struct vm	 vm;
	struct capture	 c;
	char		 want[64], longline[400];
	int		 i;

	fakevm_init(&vm);
	vm.boot.kind = BOOT_KIND_BZIMAGE;
	tap_is(fwlog_init(&vm), 0, "fwlog_init, kernel boot");
	tap_ok(bus_find(&vm.pio, PLAT_FWLOG_PORT) == NULL,
	    "kernel boot: 0x402 not claimed");
	fakevm_free(&vm);

	fakevm_init(&vm);
	vm.boot.kind = BOOT_KIND_FIRMWARE;
	tap_is(fwlog_init(&vm), 0, "fwlog_init, firmware boot");
	tap_ok(bus_find(&vm.pio, PLAT_FWLOG_PORT) != NULL, "0x402 claimed");
	tap_ok(bus_find(&vm.pio, PLAT_FWLOG_PORT + 1) == NULL,
	    "0x403 not claimed");

	/* Brief logging: the port looks absent, lines go nowhere. */
	log_setverbose(0);
	tap_is(fakevm_pio_read(&vm, PLAT_FWLOG_PORT, 1), 0xff,
	    "brief: reads 0xff (absent)");
	capture_start(&c);
	put(&vm, "quiet\n");
	capture_stop(&c);
	tap_is(capture_count(c.buf, "firmware"), 0, "brief: nothing logged");

	log_setverbose(1);
	tap_is(fakevm_pio_read(&vm, PLAT_FWLOG_PORT, 1), 0xe9,
	    "debug: reads 0xe9, the console is there");
	fakevm.now_ns = 1234567890ULL;
	capture_start(&c);
	put(&vm, "SeaBIOS (version 1)\r\n");
	capture_stop(&c);
	tap_ok(strstr(c.buf, "firmware at 1234.567 ms: SeaBIOS (version 1)\n")
	    != NULL, "a line, with the uptime, CR dropped");

	capture_start(&c);
	put(&vm, "half ");
	capture_stop(&c);
	tap_is(capture_count(c.buf, "firmware"), 0, "nothing before the newline");
	capture_start(&c);
	put(&vm, "a line\n");
	capture_stop(&c);
	tap_ok(strstr(c.buf, ": half a line\n") != NULL,
	    "the line in one piece");

	capture_start(&c);
	fakevm_pio_write(&vm, PLAT_FWLOG_PORT, 1, 0x1b);
	fakevm_pio_write(&vm, PLAT_FWLOG_PORT, 1, 0xff);
	put(&vm, "x\n");
	capture_stop(&c);
	tap_ok(strstr(c.buf, ": ??x\n") != NULL, "unprintable bytes become ?");

	memset(longline, 'L', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	capture_start(&c);
	put(&vm, longline);
	capture_stop(&c);
	tap_is(capture_count(c.buf, "firmware at"), 3,
	    "a 398-byte line is split in pieces of 160");

	/* Rate limit: 1024 lines in a burst (6 so far), then one a second. */
	fakevm.now_ns = 10000000000ULL;
	capture_start(&c);
	for (i = 0; i < 2000; i++)
		put(&vm, "flood\n");
	capture_stop(&c);
	tap_is(capture_count(c.buf, ": flood"), 1024 - 6,
	    "burst of 1024 lines in all, then silence");
	fakevm.now_ns += 1100000000ULL;
	capture_start(&c);
	put(&vm, "later\n");
	capture_stop(&c);
	(void)snprintf(want, sizeof(want), "%d lines not logged",
	    2000 - (1024 - 6));
	tap_ok(strstr(c.buf, want) != NULL && strstr(c.buf, ": later\n") !=
	    NULL, "after a second: the count, then the line");

	/* Hostile sizes and neighbours. */
	capture_start(&c);
	for (i = 0; i < 4; i++) {
		fakevm_pio_write(&vm, PLAT_FWLOG_PORT - 1, 4, 0x0a0a0a0a);
		fakevm_pio_write(&vm, PLAT_FWLOG_PORT, 1 << i,
		    0x0a41414141414141ULL);
		(void)fakevm_pio_read(&vm, PLAT_FWLOG_PORT, 1 << i);
	}
	capture_stop(&c);
	tap_ok(1, "hostile writes survived");

	free(bus_find(&vm.pio, PLAT_FWLOG_PORT)->arg);
	fakevm_free(&vm);
	return tap_done();
}
