/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/bus.c: registration, lookup, dispatch. */
#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "vm/bus.h"

struct probe {
	uint64_t	off;
	int		is_write;
	size_t		len;
	int		calls;
};

static void
probe_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct probe	*p = arg;

	p->off = off;
	p->is_write = is_write;
	p->len = len;
	p->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

int
main(void)
{
	struct bus	bus;
	struct probe	a = { 0 }, b = { 0 };
	uint8_t		d[8];
	int		i, rv;

	bus_init(&bus, "pio");
	tap_is(bus_register(&bus, "a", 0x100, 8, probe_io, &a, NULL), 0,
	    "register a range");
	tap_is(bus_register(&bus, "b", 0x10, 0x10, probe_io, &b, NULL), 0,
	    "register a range below it");
	rv = bus_register(&bus, "c", 0x104, 8, probe_io, &b, NULL);
	tap_ok(rv == -1 && errno == EEXIST, "overlap refused with EEXIST");
	rv = bus_register(&bus, "d", 0x1000, 0, probe_io, &b, NULL);
	tap_ok(rv == -1 && errno == EINVAL, "empty range refused");
	rv = bus_register(&bus, "e", UINT64_MAX - 2, 8, probe_io, &b, NULL);
	tap_ok(rv == -1 && errno == EINVAL, "wrapping range refused");
	tap_ok(bus.nranges == 2 && bus.ranges[0].base == 0x10,
	    "ranges kept sorted");

	memset(d, 0, sizeof(d));
	tap_is(bus_dispatch(&bus, 0x106, 0, d, 2), 0, "read claimed");
	tap_ok(a.off == 6 && a.len == 2 && !a.is_write && d[0] == 0x5a,
	    "handler sees offset 6, size 2, read");
	tap_is(bus_dispatch(&bus, 0x1f, 1, d, 1), 0, "write at last byte");
	tap_ok(b.off == 0xf && b.is_write, "offset within second range");
	tap_is(bus_dispatch(&bus, 0x200, 0, d, 4), -1, "unclaimed read");
	tap_ok(d[0] == 0xff && d[3] == 0xff, "unclaimed read returns ones");
	i = a.calls;
	tap_is(bus_dispatch(&bus, 0x107, 1, d, 4), -1,
	    "access straddling the end of a range is refused");
	tap_is(a.calls, i, "handler not called for a straddling access");
	tap_ok(bus_find(&bus, 0x0f) == NULL && bus_find(&bus, 0x108) == NULL &&
	    bus_find(&bus, 0x100) != NULL, "bus_find edges");

	/* Moving a range (a PCI BAR the guest moves): unregister, register. */
	{
		static pthread_mutex_t	lk = PTHREAD_MUTEX_INITIALIZER;
		struct probe		c = { 0 };

		tap_is(bus_register(&bus, "c", 0x400, 0x10, probe_io, &c, &lk),
		    0, "register a range with its own lock");
		tap_ok(bus_unregister(&bus, 0x400, probe_io, &b) == -1 &&
		    errno == ENOENT, "unregister needs the same handler arg");
		tap_is(bus_unregister(&bus, 0x400, probe_io, &c), 0,
		    "unregister it");
		tap_ok(bus_dispatch(&bus, 0x404, 0, d, 4) == -1 && c.calls == 0,
		    "its old place is unclaimed");
		tap_is(bus_register(&bus, "c", 0x800, 0x10, probe_io, &c, &lk),
		    0, "register it again elsewhere");
		tap_ok(bus_dispatch(&bus, 0x804, 0, d, 4) == 0 && c.calls == 1 &&
		    c.off == 4, "its new place reaches it, offsets relative");
		tap_ok(bus_unregister(&bus, 0x100, probe_io, &a) == -1 &&
		    errno == EINVAL, "a range whose lock the bus owns stays");
	}
	bus_free(&bus);
	return tap_done();
}
