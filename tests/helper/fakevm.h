/* SPDX-License-Identifier: ISC */
/* Unit-test stand-ins for the VM process services devices call (vm/vcpu.h). */
#ifndef TESTS_HELPER_FAKEVM_H
#define TESTS_HELPER_FAKEVM_H

#include "vm/vcpu.h"
#include "vm/vm.h"

#define FAKEVM_NIRQ	24

/* What the devices under test asked of the VM, for assertions. */
struct fakevm_log {
	int		 irq_level[FAKEVM_NIRQ];	/* last level per line */
	int		 irq_raises[FAKEVM_NIRQ];	/* 0->1 transitions + pulses */
	int		 exit_status;			/* -1 if none requested */
	uint64_t	 now_ns;			/* what vcpu_uptime_ns returns */
};

extern struct fakevm_log fakevm;

/* fakevm_init: zero a struct vm with empty buses (no KVM) and reset the log. */
void	fakevm_init(struct vm *);
/* fakevm_disk: virtio_blk_add's disk on raw image fd (taken); NULL: errno. */
struct disk *fakevm_disk(int fd, int readonly);
void	fakevm_free(struct vm *);
/* Dispatch helpers: value in/out as a little-endian integer. */
uint64_t fakevm_pio_read(struct vm *, uint64_t port, size_t len);
void	fakevm_pio_write(struct vm *, uint64_t port, size_t len, uint64_t val);

#endif
