/* SPDX-License-Identifier: ISC */
/* The KVM system and VM ioctls the VM process needs, in one place. */
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "kvm.h"
#include "platform.h"
#include "proto.h"
#include "vm.h"

/*
 * The VM's interrupt routing table as we last gave it to KVM: the
 * irqchip routes KVM starts with (GSI 0-15 to both PICs and the IOAPIC,
 * 16-23 to the IOAPIC) and one MSI route per GSI handed out by
 * kvm_gsi_alloc. KVM_SET_GSI_ROUTING replaces the whole table, so every
 * change sends all of it. Shared by the device threads: lock guards all.
 */
#define KVM_IOAPIC_PINS		24
#define KVM_ROUTES_MAX		512

struct kvm_routes {
	pthread_mutex_t			 lock;
	uint32_t			 next_gsi;	/* next free GSI */
	uint32_t			 nent;
	struct kvm_irq_routing		*table;		/* KVM_ROUTES_MAX */
};

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
	kvm_routes_init(vm);
	return 0;
}

int
kvm_create_pit(struct vm *vm)
{
	struct kvm_pit_config	pit;

	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) == -1) {
		log_warn("%s: KVM_CREATE_PIT2", __func__);
		return -1;
	}
	return 0;
}

int
kvm_map_rom(struct vm *vm, uint64_t gpa, void *hva, uint64_t len)
{
	struct kvm_userspace_memory_region	region;

	memset(&region, 0, sizeof(region));
	region.slot = (uint32_t)vm->mem.nregions;
	region.flags = KVM_MEM_READONLY;
	region.guest_phys_addr = gpa;
	region.memory_size = len;
	region.userspace_addr = (uint64_t)(uintptr_t)hva;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) == -1) {
		log_warn("%s: KVM_SET_USER_MEMORY_REGION 0x%llx", __func__,
		    (unsigned long long)gpa);
		return -1;
	}
	return 0;
}

/* kvm_route_irqchip: entry e routes gsi to pin of irqchip chip. */
static void
kvm_route_irqchip(struct kvm_irq_routing_entry *e, uint32_t gsi,
    uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

void
kvm_routes_init(struct vm *vm)
{
	struct kvm_routes	*r;
	uint32_t		 gsi;

	vm->routes = NULL;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0) {
		log_debug("%s: no MSI routing: interrupts by KVM_SIGNAL_MSI",
		    __func__);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->table = calloc(1,
	    sizeof(*r->table) + KVM_ROUTES_MAX *
	    sizeof(r->table->entries[0]))) == NULL) {
		log_warn("%s", __func__);
		free(r);
		return;
	}
	pthread_mutex_init(&r->lock, NULL);
	/* KVM's own defaults (kvm_setup_default_irq_routing). */
	for (gsi = 0; gsi < KVM_IOAPIC_PINS; gsi++) {
		if (gsi < 16)
			kvm_route_irqchip(&r->table->entries[r->nent++], gsi,
			    gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
			    KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		kvm_route_irqchip(&r->table->entries[r->nent++], gsi,
		    KVM_IRQCHIP_IOAPIC, gsi);
	}
	r->next_gsi = KVM_IOAPIC_PINS;
	vm->routes = r;
}

void
kvm_routes_free(struct vm *vm)
{
	if (vm->routes == NULL)
		return;
	pthread_mutex_destroy(&vm->routes->lock);
	free(vm->routes->table);
	free(vm->routes);
	vm->routes = NULL;
}

int
kvm_gsi_alloc(struct vm *vm)
{
	struct kvm_routes	*r = vm->routes;
	int			 gsi = -1;

	if (r == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	if (r->nent < KVM_ROUTES_MAX)
		gsi = (int)r->next_gsi++;
	pthread_mutex_unlock(&r->lock);
	if (gsi == -1)
		errno = ENOSPC;
	return gsi;
}

int
kvm_msi_route(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	struct kvm_routes		*r = vm->routes;
	struct kvm_irq_routing_entry	*e, old;
	uint32_t			 i;
	int				 rv = 0, added = 0;

	if (r == NULL || gsi < KVM_IOAPIC_PINS) {
		errno = r == NULL ? ENOTSUP : EINVAL;
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nent; i++)
		if (r->table->entries[i].gsi == (uint32_t)gsi)
			break;
	if (i == r->nent) {
		if (r->nent == KVM_ROUTES_MAX) {
			pthread_mutex_unlock(&r->lock);
			errno = ENOSPC;
			return -1;
		}
		r->nent++;
		added = 1;
	}
	e = &r->table->entries[i];
	old = *e;
	memset(e, 0, sizeof(*e));
	e->gsi = (uint32_t)gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	r->table->nr = r->nent;
	r->table->flags = 0;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r->table) == -1) {
		/* KVM kept the previous table: so do we. */
		if (added)
			r->nent--;
		else
			*e = old;
		rv = -1;
	}
	pthread_mutex_unlock(&r->lock);
	return rv;
}

int
kvm_irqfd(struct vm *vm, int fd, int gsi, int deassign)
{
	struct kvm_irqfd	irqfd;

	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = (uint32_t)fd;
	irqfd.gsi = (uint32_t)gsi;
	irqfd.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0;
	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) == -1 ? -1 : 0;
}

/*
 * kvm_supported_cpuid: the host's table, asked for once with room for as
 * many entries as KVM ever gives (256, KVM_MAX_CPUID_ENTRIES in Linux):
 * the kernel builds the whole table before it finds a buffer too small,
 * and that costs as much as the answer (0.3-0.4 ms a call measured here).
 */
struct kvm_cpuid2 *
kvm_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2	*c;
	int			 n = 256;

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
kvm_cpuid_export(const struct kvm_cpuid2 *k, struct proto_cpuid *p)
{
	uint32_t	i;

	if (k->nent > PROTO_CPUID_MAX)
		return -1;
	memset(p, 0, sizeof(*p));
	p->nent = k->nent;
	for (i = 0; i < k->nent; i++) {
		p->e[i].function = k->entries[i].function;
		p->e[i].index = k->entries[i].index;
		p->e[i].flags = k->entries[i].flags;
		p->e[i].eax = k->entries[i].eax;
		p->e[i].ebx = k->entries[i].ebx;
		p->e[i].ecx = k->entries[i].ecx;
		p->e[i].edx = k->entries[i].edx;
	}
	return 0;
}

struct kvm_cpuid2 *
kvm_cpuid_import(const struct proto_cpuid *p)
{
	struct kvm_cpuid2	*k;
	uint32_t		 i;

	if ((k = calloc(1, sizeof(*k) + p->nent * sizeof(k->entries[0]))) ==
	    NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	k->nent = p->nent;
	for (i = 0; i < p->nent; i++) {
		k->entries[i].function = p->e[i].function;
		k->entries[i].index = p->e[i].index;
		k->entries[i].flags = p->e[i].flags;
		k->entries[i].eax = p->e[i].eax;
		k->entries[i].ebx = p->e[i].ebx;
		k->entries[i].ecx = p->e[i].ecx;
		k->entries[i].edx = p->e[i].edx;
	}
	return k;
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
