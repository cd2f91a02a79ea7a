/* SPDX-License-Identifier: ISC */
/*
 * Unit-test stand-ins for the VM process services devices call (vm/vcpu.h).
 * They are weak: a test that links the real vm/vcpu.c (vcpu_test) gets the
 * real ones; device tests and fuzzers, which do not, get these.
 */
#include <string.h>

#include "disk/disk.h"
#include "helper/fakevm.h"

#define FAKEVM_WEAK	__attribute__((weak))

struct fakevm_log fakevm;

void
fakevm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	memset(&fakevm, 0, sizeof(fakevm));
	fakevm.exit_status = -1;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->params.ncpus = 1;
	vm->params.con_in = -1;
	vm->params.con_out = -1;
	vm->params.kernel_fd = vm->params.initrd_fd = -1;
	vm->exit_efd = -1;
	vm->ctl_fd = -1;
	atomic_store(&vm->exit_status, -1);
	pthread_mutex_init(&vm->run_mtx, NULL);
	pthread_cond_init(&vm->run_cv, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
}

void
fakevm_free(struct vm *vm)
{
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	pthread_mutex_destroy(&vm->run_mtx);
	pthread_cond_destroy(&vm->run_cv);
}

FAKEVM_WEAK void
vcpu_request_exit(struct vm *vm, int status)
{
	int	expect = -1;

	if (atomic_compare_exchange_strong(&vm->exit_status, &expect, status))
		fakevm.exit_status = status;
}

FAKEVM_WEAK int
vcpu_irq_line(struct vm *vm, int gsi, int level)
{
	(void)vm;
	if (gsi < 0 || gsi >= FAKEVM_NIRQ)
		return -1;
	if (level && !fakevm.irq_level[gsi])
		fakevm.irq_raises[gsi]++;
	fakevm.irq_level[gsi] = level;
	return 0;
}

FAKEVM_WEAK int
vcpu_irq_pulse(struct vm *vm, int gsi)
{
	(void)vm;
	if (gsi < 0 || gsi >= FAKEVM_NIRQ)
		return -1;
	fakevm.irq_raises[gsi]++;
	return 0;
}

FAKEVM_WEAK uint64_t
vcpu_uptime_ns(struct vm *vm)
{
	(void)vm;
	return fakevm.now_ns;
}

uint64_t
fakevm_pio_read(struct vm *vm, uint64_t port, size_t len)
{
	uint8_t		data[8];
	uint64_t	v = 0;
	size_t		i;

	memset(data, 0xff, sizeof(data));
	bus_dispatch(&vm->pio, port, 0, data, len);
	for (i = 0; i < len; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

void
fakevm_pio_write(struct vm *vm, uint64_t port, size_t len, uint64_t val)
{
	uint8_t	data[8];
	size_t	i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(val >> (8 * i));
	bus_dispatch(&vm->pio, port, 1, data, len);
}

struct disk *
fakevm_disk(int fd, int readonly)
{
	int	fmt = DISK_FMT_RAW;
	char	why[DISK_WHY_MAX];

	return disk_open(&fd, &fmt, 1, readonly, 0, why);
}
