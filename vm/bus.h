/* SPDX-License-Identifier: ISC */
/* The I/O bus: port and MMIO ranges mapped to device handlers. */
#ifndef VM_BUS_H
#define VM_BUS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A device access: off is relative to the start of the registered range,
 * data holds len bytes (1, 2, 4 or 8; little endian). For a read the handler
 * fills data; bus_dispatch zero-fills it first, and unclaimed reads return
 * all ones. Handlers run on vCPU threads with the range's lock held, so a
 * device whose state is only touched from its handlers needs no lock.
 */
typedef void (*bus_io_fn)(void *arg, uint64_t off, int is_write,
    uint8_t *data, size_t len);

struct bus_range {
	uint64_t	 base;
	uint64_t	 len;
	bus_io_fn	 fn;
	void		*arg;
	const char	*name;
	pthread_mutex_t	*lock;		/* shared by one device's ranges */
	int		 owns_lock;	/* the bus allocated lock */
};

/*
 * Set up by the VM process main thread; once vCPUs run, ranges change only
 * when a guest moves a PCI BAR (bus_register/bus_unregister from a vCPU
 * thread), under rw held for writing. bus_dispatch holds it for reading
 * only while it looks the range up: handlers run without it, so a handler
 * may move ranges (of either bus).
 */
struct bus {
	struct bus_range	*ranges;	/* sorted by base */
	size_t			 nranges;
	const char		*name;		/* "pio" or "mmio" */
	pthread_rwlock_t	 rw;
};

void	bus_init(struct bus *, const char *name);
void	bus_free(struct bus *);
/*
 * bus_register: map [base, base+len) to fn. lock may be NULL (the bus
 * gives the range its own lock) or a lock shared by several ranges of one
 * device. Returns 0, or -1 with errno EEXIST on overlap, EINVAL on len 0.
 */
int	bus_register(struct bus *, const char *name, uint64_t base,
	    uint64_t len, bus_io_fn fn, void *arg, pthread_mutex_t *lock);
/*
 * bus_map: bus_register for a range the guest places (a PCI BAR), at run
 * time: the caller's lock is required, and an overlap (EEXIST) is not
 * logged: the guest may cause it at will, the caller reports it once.
 */
int	bus_map(struct bus *, const char *name, uint64_t base, uint64_t len,
	    bus_io_fn fn, void *arg, pthread_mutex_t *lock);
/*
 * bus_unregister: unmap the range at base whose handler is fn with arg.
 * Its lock must be the caller's (not the bus's). 0, or -1 with errno
 * ENOENT (no such range) or EINVAL (the bus owns its lock).
 */
int	bus_unregister(struct bus *, uint64_t base, bus_io_fn fn, void *arg);
/* bus_dispatch: returns 0 when a range claimed the access, -1 if none. */
int	bus_dispatch(struct bus *, uint64_t addr, int is_write,
	    uint8_t *data, size_t len);
/* bus_find: the range holding addr (set-up time only: not locked). */
const struct bus_range *bus_find(const struct bus *, uint64_t addr);

#endif /* VM_BUS_H */
