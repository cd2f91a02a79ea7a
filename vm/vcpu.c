/* SPDX-License-Identifier: ISC */
/* vCPUs: creation, CPUID, and the run loop of each vCPU thread. */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

#define VCPU_KICK_SIGNAL	SIGUSR1

#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_EDX_APIC	(1U << 9)

#define APIC_LVT_LINT0		0x350
#define APIC_LVT_LINT1		0x360
#define APIC_MODE_EXTINT	(7U << 8)
#define APIC_MODE_NMI		(4U << 8)

static void
vcpu_filter_cpuid(struct kvm_cpuid2 *c, int id, int ncpus)
{
	struct kvm_cpuid_entry2	*e;
	uint32_t		 i;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* Initial APIC id, logical processors per package. */
			e->ebx = (e->ebx & 0x0000ffffU) |
			    ((uint32_t)id << 24) |
			    ((uint32_t)(ncpus > 255 ? 255 : ncpus) << 16);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			e->edx |= CPUID_1_EDX_APIC;
			break;
		case 0xb:
		case 0x1f:
			/* x2APIC topology: one package of ncpus threads. */
			e->edx = (uint32_t)id;
			break;
		case 6:
			/* No thermal/power management to offer. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		default:
			break;
		}
	}
}

/* MSRs a PC's firmware would have set: fast strings, MTRRs on, WB default. */
static void
vcpu_setup_msrs(struct vcpu *vcpu)
{
	struct {
		struct kvm_msrs		hdr;
		struct kvm_msr_entry	e[2];
	} m;
	int	n;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 2;
	m.e[0].index = 0x1a0;		/* IA32_MISC_ENABLE */
	m.e[0].data = 1;		/* fast string operations */
	m.e[1].index = 0x2ff;		/* IA32_MTRR_DEF_TYPE */
	m.e[1].data = (1U << 11) | 6;	/* MTRRs enabled, write-back */
	n = ioctl(vcpu->fd, KVM_SET_MSRS, &m);
	if (n != 2)
		log_debug("%s: vcpu %d: %d of 2 MSRs set", __func__, vcpu->id,
		    n);
}

static int
vcpu_setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state	 lapic;
	uint32_t		*reg;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) == -1) {
		log_warn("%s: KVM_GET_LAPIC", __func__);
		return -1;
	}
	reg = (uint32_t *)(void *)&lapic.regs[APIC_LVT_LINT0];
	*reg = APIC_MODE_EXTINT;
	reg = (uint32_t *)(void *)&lapic.regs[APIC_LVT_LINT1];
	*reg = APIC_MODE_NMI;
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) == -1) {
		log_warn("%s: KVM_SET_LAPIC", __func__);
		return -1;
	}
	return 0;
}

int
vcpu_create(struct vm *vm, struct vcpu *vcpu, int id,
    const struct kvm_cpuid2 *supported)
{
	struct kvm_cpuid2	*c;
	size_t			 sz;
	int			 mmap_size;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd == -1) {
		log_warn("%s: KVM_CREATE_VCPU %d", __func__, id);
		return -1;
	}
	(void)fcntl(vcpu->fd, F_SETFD, FD_CLOEXEC);
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		log_warn("%s: KVM_GET_VCPU_MMAP_SIZE", __func__);
		return -1;
	}
	vcpu->run_size = (size_t)mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		log_warn("%s: mmap kvm_run", __func__);
		return -1;
	}
	sz = sizeof(*c) + supported->nent * sizeof(c->entries[0]);
	if ((c = malloc(sz)) == NULL)
		return -1;
	memcpy(c, supported, sz);
	vcpu_filter_cpuid(c, id, vm->params.ncpus);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) == -1) {
		log_warn("%s: KVM_SET_CPUID2", __func__);
		free(c);
		return -1;
	}
	free(c);
	vcpu_setup_msrs(vcpu);
	return vcpu_setup_lapic(vcpu);
}

static void
vcpu_log_state(struct vcpu *vcpu)
{
	struct kvm_regs		regs;
	struct kvm_sregs	sregs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == -1 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) == -1)
		return;
	log_warnx("vcpu %d: rip 0x%llx rsp 0x%llx rflags 0x%llx cs 0x%x "
	    "cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx", vcpu->id,
	    (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
	    (unsigned long long)regs.rflags, sregs.cs.selector,
	    (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
	    (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
}

static void
vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run	*run = vcpu->run;
	uint8_t		*data;
	uint32_t	 i;
	size_t		 size = run->io.size;

	data = (uint8_t *)run + run->io.data_offset;
	if (size == 0 || size > 4 || run->io.data_offset +
	    (uint64_t)run->io.count * size > vcpu->run_size)
		return;
	for (i = 0; i < run->io.count; i++, data += size)
		(void)bus_dispatch(&vcpu->vm->pio, run->io.port,
		    run->io.direction == KVM_EXIT_IO_OUT, data, size);
}

static void
vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run	*run = vcpu->run;

	if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data))
		return;
	(void)bus_dispatch(&vcpu->vm->mmio, run->mmio.phys_addr,
	    run->mmio.is_write, run->mmio.data, run->mmio.len);
}

/* vcpu_exit: handle one exit; returns -1 when the VM must end. */
static int
vcpu_exit(struct vcpu *vcpu)
{
	struct kvm_run	*run = vcpu->run;
	struct vm	*vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(vcpu);
		return 0;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(vcpu);
		return 0;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return 0;
	case KVM_EXIT_SHUTDOWN:
		log_info("vcpu %d: triple fault, resetting", vcpu->id);
		vm_request_exit(vm, VM_EXIT_REBOOT);
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_exit(vm, VM_EXIT_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_exit(vm, VM_EXIT_REBOOT);
			break;
		default:
			log_warnx("vcpu %d: system event %u", vcpu->id,
			    run->system_event.type);
			vm_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		log_warnx("vcpu %d: KVM internal error, suberror %u",
		    vcpu->id, run->internal.suberror);
		vcpu_log_state(vcpu);
		vm_request_exit(vm, VM_EXIT_ERROR);
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		log_warnx("vcpu %d: entry failed, reason 0x%llx", vcpu->id,
		    (unsigned long long)
		    run->fail_entry.hardware_entry_failure_reason);
		vcpu_log_state(vcpu);
		vm_request_exit(vm, VM_EXIT_ERROR);
		return -1;
	default:
		log_warnx("vcpu %d: unhandled exit reason %u", vcpu->id,
		    run->exit_reason);
		vcpu_log_state(vcpu);
		vm_request_exit(vm, VM_EXIT_ERROR);
		return -1;
	}
}

static void *
vcpu_thread(void *arg)
{
	struct vcpu	*vcpu = arg;
	struct vm	*vm = vcpu->vm;
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (atomic_load(&vm->exit_status) == -1) {
		if (atomic_load(&vm->pause_req)) {
			vm_park(vm);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			log_warn("vcpu %d: KVM_RUN", vcpu->id);
			vcpu_log_state(vcpu);
			vm_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
		if (vcpu_exit(vcpu) == -1)
			break;
	}
	return NULL;
}

static void
vcpu_kick_handler(int sig)
{
	(void)sig;
}

int
vcpu_start(struct vcpu *vcpu)
{
	struct sigaction	sa;
	int			error;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) == -1)
		return -1;
	if ((error = pthread_create(&vcpu->thread, NULL, vcpu_thread,
	    vcpu)) != 0) {
		errno = error;
		log_warn("%s: pthread_create", __func__);
		return -1;
	}
	vcpu->started = 1;
	return 0;
}

void
vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu->run != NULL)
		vcpu->run->immediate_exit = 1;
	if (vcpu->started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void
vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started) {
		pthread_join(vcpu->thread, NULL);
		vcpu->started = 0;
	}
}

void
vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run != NULL)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd > 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
