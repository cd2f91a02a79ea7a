/* SPDX-License-Identifier: ISC */
/*
 * The firmware's debug console (port 0x402, where SeaBIOS writes its
 * debug log when a read of the port returns 0xe9). At debug level (vmd -v,
 * vmctl -v run, vmctl log verbose) the port answers, and each line the
 * firmware writes is logged with the uptime: where POST spends its time.
 * Otherwise it reads as absent (0xff), and the firmware, which probes it
 * once at start, spends no time formatting a log nobody reads. Only for
 * firmware boot.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/boot.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"

#define FWLOG_READBACK		0xe9	/* "the console is there" */
#define FWLOG_ABSENT		0xff
#define FWLOG_LINE		160	/* longer lines are split */
/* Lines logged before the rate limit applies (a POST writes ~100). */
#define FWLOG_BURST		1024
/* After the burst, at most one line per this many nanoseconds. */
#define FWLOG_INTERVAL_NS	1000000000ULL

/* Touched only from fwlog_io, under the range's bus lock. */
struct fwlog {
	struct vm	*vm;
	char		 line[FWLOG_LINE + 1];
	size_t		 len;
	struct log_limit limit;		/* on the VM's uptime */
};

static void
fwlog_flush(struct fwlog *fl)
{
	uint64_t	now = vcpu_uptime_ns(fl->vm);

	fl->line[fl->len] = '\0';
	fl->len = 0;
	if (!log_limit_pass(&fl->limit, now))
		return;
	log_debug("firmware at %llu.%03llu ms: %s",
	    (unsigned long long)(now / 1000000),
	    (unsigned long long)(now / 1000 % 1000), fl->line);
}

/* fwlog_putc: one byte of the log; anything unprintable becomes '?'. */
static void
fwlog_putc(struct fwlog *fl, uint8_t c)
{
	if (c == '\n') {
		fwlog_flush(fl);
		return;
	}
	if (c == '\r')
		return;
	fl->line[fl->len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	if (fl->len == FWLOG_LINE)
		fwlog_flush(fl);
}

/* fwlog_io: the bus handler of the one-byte range. */
static void
fwlog_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct fwlog	*fl = arg;
	int		 on = log_getverbose() >= 1;
	size_t		 i;

	(void)off;
	if (!is_write) {
		memset(data, on ? FWLOG_READBACK : FWLOG_ABSENT, len);
		return;
	}
	if (!on) {
		fl->len = 0;
		return;
	}
	for (i = 0; i < len; i++)
		fwlog_putc(fl, data[i]);
}

int
fwlog_init(struct vm *vm)
{
	struct fwlog	*fl;
	int		 saved;

	if (vm->boot.kind != BOOT_KIND_FIRMWARE)
		return 0;
	if ((fl = calloc(1, sizeof(*fl))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	fl->vm = vm;
	fl->limit = (struct log_limit){ .who = "firmware", .units = "lines",
	    .burst = FWLOG_BURST, .interval_ns = FWLOG_INTERVAL_NS };
	if (bus_register(&vm->pio, "fwlog", PLAT_FWLOG_PORT, 1, fwlog_io, fl,
	    NULL) == -1) {
		saved = errno;
		log_warn("%s: bus_register", __func__);
		free(fl);
		errno = saved;
		return -1;
	}
	return 0;
}
