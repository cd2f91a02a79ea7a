/* SPDX-License-Identifier: ISC */
/*
 * The debug port (0xe9): each byte a guest writes is logged with the uptime,
 * at debug level (vmd -v, vmctl -v run, vmctl log verbose).
 */
#include <errno.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"

/* Writes logged one line each before the rate limit applies. */
#define DEBUGPORT_BURST		64
/* After the burst, at most one line per this many nanoseconds. */
#define DEBUGPORT_INTERVAL_NS	1000000000ULL
/*
 * What a read returns: 0xe9, the value bochs returns, so a guest can probe
 * for the port (an unclaimed port would read 0xff).
 */
#define DEBUGPORT_READ_VALUE	0xe9

/* Touched only from debugport_io, under the range's bus lock. */
struct debugport {
	struct vm	*vm;
	struct log_limit limit;		/* on the VM's uptime */
};

/*
 * The guest's first write (the test guest's 0x01: its first instruction,
 * give or take a few) also says how long after the launcher's execve of
 * this process it came (issue 14's start-up metric; bench/startup.pl).
 */
static void
debugport_first(uint8_t v, uint64_t now, uint64_t exec_ns)
{
	struct timespec	 ts;
	uint64_t	 mono, since;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	since = mono > exec_ns ? mono - exec_ns : 0;
	log_debug("debug port 0x%02x at %llu.%03llu ms, %llu.%03llu ms from "
	    "the exec", v, (unsigned long long)(now / 1000000),
	    (unsigned long long)(now / 1000 % 1000),
	    (unsigned long long)(since / 1000000),
	    (unsigned long long)(since / 1000 % 1000));
}

static void
debugport_write(struct debugport *dp, uint8_t v)
{
	uint64_t	 now;

	/* Brief logging: nothing to log, nothing to count. */
	if (log_getverbose() < 1)
		return;
	now = vcpu_uptime_ns(dp->vm);
	if (!log_limit_pass(&dp->limit, now))
		return;
	if (dp->limit.nlogged == 1 && dp->vm->exec_ns != 0) {
		debugport_first(v, now, dp->vm->exec_ns);
		return;
	}
	log_debug("debug port 0x%02x at %llu.%03llu ms", v,
	    (unsigned long long)(now / 1000000),
	    (unsigned long long)(now / 1000 % 1000));
}

/*
 * debugport_io: the bus handler. The range is one byte long, so the bus
 * only passes off 0 and len 1; anything else is still handled bytewise.
 */
static void
debugport_io(void *arg, uint64_t off, int is_write, uint8_t *data,
    size_t len)
{
	struct debugport	*dp = arg;
	size_t			 i;

	(void)off;
	if (is_write) {
		for (i = 0; i < len; i++)
			debugport_write(dp, data[i]);
	} else
		memset(data, DEBUGPORT_READ_VALUE, len);
}

int
debugport_init(struct vm *vm)
{
	struct debugport	*dp;
	int			 saved;

	if ((dp = calloc(1, sizeof(*dp))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	dp->vm = vm;
	dp->limit = (struct log_limit){ .who = "debug port", .units =
	    "writes", .burst = DEBUGPORT_BURST,
	    .interval_ns = DEBUGPORT_INTERVAL_NS };
	if (bus_register(&vm->pio, "debugport", PLAT_DEBUG_PORT, 1,
	    debugport_io, dp, NULL) == -1) {
		saved = errno;
		log_warn("%s: bus_register", __func__);
		free(dp);
		errno = saved;
		return -1;
	}
	return 0;
}
