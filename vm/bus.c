/* SPDX-License-Identifier: ISC */
/* The I/O bus: port and MMIO ranges mapped to device handlers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "bus.h"

void
bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->rw, NULL);
}

void
bus_free(struct bus *bus)
{
	size_t	i;

	for (i = 0; i < bus->nranges; i++)
		if (bus->ranges[i].owns_lock) {
			pthread_mutex_destroy(bus->ranges[i].lock);
			free(bus->ranges[i].lock);
		}
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nranges = 0;
	pthread_rwlock_destroy(&bus->rw);
	pthread_rwlock_init(&bus->rw, NULL);
}

static int
bus_insert(struct bus *bus, const char *name, uint64_t base, uint64_t len,
    bus_io_fn fn, void *arg, pthread_mutex_t *lock, int quiet)
{
	struct bus_range	*r;
	size_t			 i, pos;

	if (len == 0 || base + len < base || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (pos = 0; pos < bus->nranges; pos++) {
		r = &bus->ranges[pos];
		if (base < r->base + r->len && r->base < base + len) {
			if (!quiet)
				log_warnx("%s: %s [0x%llx+0x%llx] overlaps %s",
				    __func__, name, (unsigned long long)base,
				    (unsigned long long)len, r->name);
			errno = EEXIST;
			return -1;
		}
		if (r->base > base)
			break;
	}
	r = reallocarray(bus->ranges, bus->nranges + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	bus->ranges = r;
	for (i = bus->nranges; i > pos; i--)
		bus->ranges[i] = bus->ranges[i - 1];
	bus->nranges++;
	r = &bus->ranges[pos];
	r->base = base;
	r->len = len;
	r->fn = fn;
	r->arg = arg;
	r->name = name;
	r->lock = lock;
	r->owns_lock = 0;
	if (lock == NULL) {
		if ((r->lock = malloc(sizeof(*r->lock))) == NULL)
			return -1;
		pthread_mutex_init(r->lock, NULL);
		r->owns_lock = 1;
	}
	return 0;
}

int
bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t len,
    bus_io_fn fn, void *arg, pthread_mutex_t *lock)
{
	int	rv;

	pthread_rwlock_wrlock(&bus->rw);
	rv = bus_insert(bus, name, base, len, fn, arg, lock, 0);
	pthread_rwlock_unlock(&bus->rw);
	return rv;
}

int
bus_map(struct bus *bus, const char *name, uint64_t base, uint64_t len,
    bus_io_fn fn, void *arg, pthread_mutex_t *lock)
{
	int	rv;

	if (lock == NULL) {
		errno = EINVAL;
		return -1;
	}
	pthread_rwlock_wrlock(&bus->rw);
	rv = bus_insert(bus, name, base, len, fn, arg, lock, 1);
	pthread_rwlock_unlock(&bus->rw);
	return rv;
}

int
bus_unregister(struct bus *bus, uint64_t base, bus_io_fn fn, void *arg)
{
	size_t	i;
	int	rv = -1;

	pthread_rwlock_wrlock(&bus->rw);
	for (i = 0; i < bus->nranges; i++)
		if (bus->ranges[i].base == base && bus->ranges[i].fn == fn &&
		    bus->ranges[i].arg == arg)
			break;
	if (i == bus->nranges)
		errno = ENOENT;
	else if (bus->ranges[i].owns_lock)
		errno = EINVAL;
	else {
		for (; i + 1 < bus->nranges; i++)
			bus->ranges[i] = bus->ranges[i + 1];
		bus->nranges--;
		rv = 0;
	}
	pthread_rwlock_unlock(&bus->rw);
	return rv;
}

const struct bus_range *
bus_find(const struct bus *bus, uint64_t addr)
{
	size_t	lo = 0, hi = bus->nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < bus->ranges[mid].base)
			hi = mid;
		else if (addr - bus->ranges[mid].base >= bus->ranges[mid].len)
			lo = mid + 1;
		else
			return &bus->ranges[mid];
	}
	return NULL;
}

int
bus_dispatch(struct bus *bus, uint64_t addr, int is_write, uint8_t *data,
    size_t len)
{
	const struct bus_range	*r;
	struct bus_range	 c;

	/* A copy: the range may move once the lookup lock is dropped. */
	pthread_rwlock_rdlock(&bus->rw);
	r = bus_find(bus, addr);
	if (r != NULL)
		c = *r;
	pthread_rwlock_unlock(&bus->rw);
	if (r == NULL || addr - c.base + len > c.len) {
		if (!is_write)
			memset(data, 0xff, len);
		return -1;
	}
	if (!is_write)
		memset(data, 0, len);
	pthread_mutex_lock(c.lock);
	c.fn(c.arg, addr - c.base, is_write, data, len);
	pthread_mutex_unlock(c.lock);
	return 0;
}
