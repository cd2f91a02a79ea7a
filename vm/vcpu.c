/* SPDX-License-Identifier: ISC */
/*
 * vCPUs: creation, CPUID, the run loop of each vCPU thread, and the VM-wide
 * run control (exit, pause, unpause, interrupt lines, uptime). The state
 * machine is described in vcpu.h.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emul.h"
#include "log.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

#define VCPU_KICK_SIGNAL	SIGUSR1

#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_EDX_APIC	(1U << 9)

/*
 * KVM paravirtual features a guest uses through hypercalls: PV IPIs,
 * spinlock kicks, directed yield. Not offered: KVM-PVM re-executes a
 * hypercall from guest kernel mode forever, and Linux with 2 vCPUs then
 * hangs in its first PV IPI (tests/integ/linux_boot.t). The LAPIC paths
 * they stand in for work on every KVM.
 */
#define KVM_PV_HYPERCALLS	((1U << KVM_FEATURE_PV_UNHALT) | \
				 (1U << KVM_FEATURE_PV_SEND_IPI) | \
				 (1U << KVM_FEATURE_PV_SCHED_YIELD))

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
		case KVM_CPUID_FEATURES:
			e->eax &= ~KVM_PV_HYPERCALLS;
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
	vcpu->state = VCPU_CREATED;
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
	const uint8_t		*code;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == -1 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) == -1)
		return;
	log_warnx("vcpu %d: rip 0x%llx rsp 0x%llx rflags 0x%llx cs 0x%x "
	    "cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx", vcpu->id,
	    (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
	    (unsigned long long)regs.rflags, sregs.cs.selector,
	    (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
	    (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
	/* Without paging, the code bytes it stopped at (for diagnosis). */
	if (!(sregs.cr0 & 0x80000000ULL) && (code = mem_gpa2hva(&vcpu->vm->mem,
	    (sregs.cs.base + regs.rip) & 0xffffffffULL, 8)) != NULL)
		log_warnx("vcpu %d: code at cs:rip %02x %02x %02x %02x %02x "
		    "%02x %02x %02x", vcpu->id, code[0], code[1], code[2],
		    code[3], code[4], code[5], code[6], code[7]);
	log_warnx("vcpu %d: cs base 0x%llx limit 0x%x d %u, ss 0x%x base "
	    "0x%llx limit 0x%x b %u, gdt 0x%llx limit 0x%x", vcpu->id,
	    (unsigned long long)sregs.cs.base, sregs.cs.limit, sregs.cs.db,
	    sregs.ss.selector, (unsigned long long)sregs.ss.base,
	    sregs.ss.limit, sregs.ss.db, (unsigned long long)sregs.gdt.base,
	    sregs.gdt.limit);
	if (!(sregs.cr0 & 0x80000000ULL) && (code = mem_gpa2hva(&vcpu->vm->mem,
	    (sregs.ss.base + (regs.rsp & (sregs.ss.db ? 0xffffffffULL :
	    0xffffULL))) & 0xffffffffULL, 12)) != NULL)
		log_warnx("vcpu %d: bytes at ss:esp %02x %02x %02x %02x %02x "
		    "%02x %02x %02x %02x %02x %02x %02x", vcpu->id, code[0],
		    code[1], code[2], code[3], code[4], code[5], code[6],
		    code[7], code[8], code[9], code[10], code[11]);
}

/*
 * vcpu_emulate: run the instruction KVM's emulator failed on (emul.c)
 * and continue. 0, or -1 if it cannot be (logged).
 */
static int
vcpu_emulate(struct vcpu *vcpu)
{
	struct kvm_regs		regs, before;
	struct kvm_sregs	sregs, sbefore;
	const char		*why;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == -1 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) == -1) {
		log_warn("vcpu %d: KVM_GET_REGS or KVM_GET_SREGS", vcpu->id);
		return -1;
	}
	before = regs;
	sbefore = sregs;
	if (emul_insn(&vcpu->vm->mem, &regs, &sregs, &why) == -1) {
		log_warnx("vcpu %d: cannot emulate the instruction: %s",
		    vcpu->id, why);
		return -1;
	}
	if (memcmp(&sregs, &sbefore, sizeof(sregs)) != 0 &&
	    ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) == -1) {
		log_warn("vcpu %d: KVM_SET_SREGS", vcpu->id);
		return -1;
	}
	if (memcmp(&regs, &before, sizeof(regs)) != 0 &&
	    ioctl(vcpu->fd, KVM_SET_REGS, &regs) == -1) {
		log_warn("vcpu %d: KVM_SET_REGS", vcpu->id);
		return -1;
	}
	return 0;
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

/* vcpu_handle_exit: handle one exit; returns -1 when the VM must end. */
static int
vcpu_handle_exit(struct vcpu *vcpu)
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
		vcpu_request_exit(vm, VM_EXIT_REBOOT);
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vcpu_request_exit(vm, VM_EXIT_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vcpu_request_exit(vm, VM_EXIT_REBOOT);
			break;
		default:
			log_warnx("vcpu %d: system event %u", vcpu->id,
			    run->system_event.type);
			vcpu_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    vcpu_emulate(vcpu) == 0)
			return 0;
		log_warnx("vcpu %d: KVM internal error, suberror %u, %u data "
		    "words: 0x%llx 0x%llx 0x%llx 0x%llx", vcpu->id,
		    run->internal.suberror, run->internal.ndata,
		    (unsigned long long)run->internal.data[0],
		    (unsigned long long)run->internal.data[1],
		    (unsigned long long)run->internal.data[2],
		    (unsigned long long)run->internal.data[3]);
		vcpu_log_state(vcpu);
		vcpu_request_exit(vm, VM_EXIT_ERROR);
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		log_warnx("vcpu %d: entry failed, reason 0x%llx", vcpu->id,
		    (unsigned long long)
		    run->fail_entry.hardware_entry_failure_reason);
		vcpu_log_state(vcpu);
		vcpu_request_exit(vm, VM_EXIT_ERROR);
		return -1;
	default:
		log_warnx("vcpu %d: unhandled exit reason %u", vcpu->id,
		    run->exit_reason);
		vcpu_log_state(vcpu);
		vcpu_request_exit(vm, VM_EXIT_ERROR);
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
			(void)vcpu_park(vcpu);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) == -1) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			log_warn("vcpu %d: KVM_RUN", vcpu->id);
			vcpu_log_state(vcpu);
			vcpu_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
		if (vcpu_handle_exit(vcpu) == -1)
			break;
	}
	(void)vcpu_finish(vcpu);
	return NULL;
}

static void
vcpu_kick_handler(int sig)
{
	(void)sig;
}

const char *
vcpu_state_name(enum vcpu_state st)
{
	switch (st) {
	case VCPU_NONE:
		return "none";
	case VCPU_CREATED:
		return "created";
	case VCPU_RUNNING:
		return "running";
	case VCPU_PARKED:
		return "parked";
	case VCPU_EXITED:
		return "exited";
	case VCPU_JOINED:
		return "joined";
	}
	return "unknown";
}

enum vcpu_state
vcpu_state(struct vcpu *vcpu)
{
	enum vcpu_state	st;

	pthread_mutex_lock(&vcpu->vm->run_mtx);
	st = vcpu->state;
	pthread_mutex_unlock(&vcpu->vm->run_mtx);
	return st;
}

/*
 * vcpu_set_state: move vcpu from state from to state to and wake whoever
 * waits on run_cv. Caller holds run_mtx. 0, or -1 (EINVAL) if the vCPU is
 * not in state from.
 */
static int
vcpu_set_state(struct vcpu *vcpu, enum vcpu_state from, enum vcpu_state to)
{
	if (vcpu->state != from) {
		log_debug("vcpu %d: %s -> %s refused in state %s", vcpu->id,
		    vcpu_state_name(from), vcpu_state_name(to),
		    vcpu_state_name(vcpu->state));
		errno = EINVAL;
		return -1;
	}
	vcpu->state = to;
	pthread_cond_broadcast(&vcpu->vm->run_cv);
	return 0;
}

/* vcpu_kick_init: the kick signal's handler (it only interrupts). 0/-1. */
static int
vcpu_kick_init(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int
vcpu_start(struct vcpu *vcpu)
{
	struct vm		*vm = vcpu->vm;
	int			 error, rv;

	if (vcpu_kick_init() == -1)
		return -1;
	/* RUNNING before the thread exists: it may park at once. */
	pthread_mutex_lock(&vm->run_mtx);
	rv = vcpu_set_state(vcpu, VCPU_CREATED, VCPU_RUNNING);
	pthread_mutex_unlock(&vm->run_mtx);
	if (rv == -1)
		return -1;
	if ((error = pthread_create(&vcpu->thread, NULL, vcpu_thread,
	    vcpu)) != 0) {
		pthread_mutex_lock(&vm->run_mtx);
		(void)vcpu_set_state(vcpu, VCPU_RUNNING, VCPU_CREATED);
		pthread_mutex_unlock(&vm->run_mtx);
		errno = error;
		log_warn("%s: pthread_create", __func__);
		return -1;
	}
	vcpu->started = 1;
	return 0;
}

int
vcpu_run(struct vcpu *vcpu)
{
	struct vm	*vm = vcpu->vm;
	int		 rv;

	if (vcpu_kick_init() == -1)
		return -1;
	pthread_mutex_lock(&vm->run_mtx);
	if ((rv = vcpu_set_state(vcpu, VCPU_CREATED, VCPU_RUNNING)) == 0) {
		/* Kicks reach this thread; vcpu_join has nothing to wait for. */
		vcpu->thread = pthread_self();
		vcpu->started = 1;
	}
	pthread_mutex_unlock(&vm->run_mtx);
	if (rv == -1)
		return -1;
	(void)vcpu_thread(vcpu);
	return 0;
}

int
vcpu_park(struct vcpu *vcpu)
{
	struct vm	*vm = vcpu->vm;

	pthread_mutex_lock(&vm->run_mtx);
	if (vcpu_set_state(vcpu, VCPU_RUNNING, VCPU_PARKED) == -1) {
		pthread_mutex_unlock(&vm->run_mtx);
		return -1;
	}
	while (atomic_load(&vm->pause_req) &&
	    atomic_load(&vm->exit_status) == -1)
		pthread_cond_wait(&vm->run_cv, &vm->run_mtx);
	(void)vcpu_set_state(vcpu, VCPU_PARKED, VCPU_RUNNING);
	pthread_mutex_unlock(&vm->run_mtx);
	return 0;
}

int
vcpu_finish(struct vcpu *vcpu)
{
	struct vm	*vm = vcpu->vm;
	int		 rv;

	pthread_mutex_lock(&vm->run_mtx);
	rv = vcpu_set_state(vcpu, VCPU_RUNNING, VCPU_EXITED);
	pthread_mutex_unlock(&vm->run_mtx);
	return rv;
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
	if (!vcpu->started)
		return;
	/* Run by this thread (vcpu_run): it has left its loop already. */
	if (!pthread_equal(vcpu->thread, pthread_self()))
		pthread_join(vcpu->thread, NULL);
	vcpu->started = 0;
	pthread_mutex_lock(&vcpu->vm->run_mtx);
	vcpu->state = VCPU_JOINED;
	pthread_cond_broadcast(&vcpu->vm->run_cv);
	pthread_mutex_unlock(&vcpu->vm->run_mtx);
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

void
vcpu_run_init(struct vm *vm)
{
	atomic_store(&vm->exit_status, -1);
	atomic_store(&vm->pause_req, 0);
	pthread_mutex_init(&vm->run_mtx, NULL);
	pthread_cond_init(&vm->run_cv, NULL);
	vm->paused = 0;
	clock_gettime(CLOCK_MONOTONIC, &vm->start);
}

void
vcpu_request_exit(struct vm *vm, int status)
{
	uint64_t	one = 1;
	int		expect = -1, i;

	if (!atomic_compare_exchange_strong(&vm->exit_status, &expect, status))
		return;
	/* Parked vCPUs and a pausing event thread must see the exit. */
	pthread_mutex_lock(&vm->run_mtx);
	pthread_cond_broadcast(&vm->run_cv);
	pthread_mutex_unlock(&vm->run_mtx);
	if (vm->vcpus != NULL)
		for (i = 0; i < vm->params.ncpus; i++)
			vcpu_kick(&vm->vcpus[i]);
	if (vm->exit_efd != -1)
		(void)write(vm->exit_efd, &one, sizeof(one));
}

int
vcpu_exit_status(struct vm *vm)
{
	return atomic_load(&vm->exit_status);
}

/* The guest TSC of vcpu fd (MSR 0x10), read or written. 0 or -1. */
static int
vcpu_tsc(int fd, uint64_t *tsc, int set)
{
	struct {
		struct kvm_msrs		hdr;
		struct kvm_msr_entry	e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = 0x10;	/* IA32_TIME_STAMP_COUNTER */
	m.e.data = *tsc;
	if (ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
		return -1;
	*tsc = m.e.data;
	return 0;
}

/* vcpu_all_parked: no vCPU thread is still running. Holds run_mtx. */
static int
vcpu_all_parked(struct vm *vm)
{
	int	i;

	for (i = 0; i < vm->params.ncpus; i++)
		if (vm->vcpus[i].state == VCPU_RUNNING)
			return 0;
	return 1;
}

int
vcpu_pause_all(struct vm *vm)
{
	struct kvm_clock_data	clock;
	int			i;

	if (vm->paused)
		return EALREADY;
	if (atomic_load(&vm->exit_status) != -1)
		return ESRCH;
	if (vm->paused_tsc == NULL && (vm->paused_tsc = calloc(
	    (size_t)vm->params.ncpus, sizeof(*vm->paused_tsc))) == NULL)
		return ENOMEM;
	atomic_store(&vm->pause_req, 1);
	for (i = 0; i < vm->params.ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->run_mtx);
	while (!vcpu_all_parked(vm) && atomic_load(&vm->exit_status) == -1)
		pthread_cond_wait(&vm->run_cv, &vm->run_mtx);
	pthread_mutex_unlock(&vm->run_mtx);
	if (atomic_load(&vm->exit_status) != -1)
		return ESRCH;
	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) == -1)
		log_warn("%s: KVM_GET_CLOCK", __func__);
	vm->paused_clock = clock.clock;
	for (i = 0; i < vm->params.ncpus; i++)
		if (vcpu_tsc(vm->vcpus[i].fd, &vm->paused_tsc[i], 0) == -1)
			log_warnx("%s: vcpu %d: cannot read the TSC", __func__,
			    i);
	clock_gettime(CLOCK_MONOTONIC, &vm->paused_at);
	vm->paused = 1;
	log_info("paused");
	return 0;
}

int
vcpu_unpause_all(struct vm *vm)
{
	struct kvm_clock_data	clock;
	struct timespec		now;
	int			i;

	if (!vm->paused)
		return EALREADY;
	for (i = 0; i < vm->params.ncpus; i++)
		if (vcpu_tsc(vm->vcpus[i].fd, &vm->paused_tsc[i], 1) == -1)
			log_warnx("%s: vcpu %d: cannot set the TSC", __func__,
			    i);
	memset(&clock, 0, sizeof(clock));
	clock.clock = vm->paused_clock;
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) == -1)
		log_warn("%s: KVM_SET_CLOCK", __func__);
	/* Clocks built on vcpu_uptime_ns (PM timer) skip the pause too. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	vm->start.tv_sec += now.tv_sec - vm->paused_at.tv_sec;
	vm->start.tv_nsec += now.tv_nsec - vm->paused_at.tv_nsec;
	while (vm->start.tv_nsec < 0) {
		vm->start.tv_nsec += 1000000000L;
		vm->start.tv_sec--;
	}
	while (vm->start.tv_nsec >= 1000000000L) {
		vm->start.tv_nsec -= 1000000000L;
		vm->start.tv_sec++;
	}
	pthread_mutex_lock(&vm->run_mtx);
	atomic_store(&vm->pause_req, 0);
	pthread_cond_broadcast(&vm->run_cv);
	pthread_mutex_unlock(&vm->run_mtx);
	vm->paused = 0;
	log_info("unpaused");
	return 0;
}

uint64_t
vcpu_uptime_ns(struct vm *vm)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - vm->start.tv_sec) * 1000000000ULL +
	    (uint64_t)now.tv_nsec - (uint64_t)vm->start.tv_nsec;
}

int
vcpu_irq_line(struct vm *vm, int gsi, int level)
{
	struct kvm_irq_level	irq;

	irq.irq = (uint32_t)gsi;
	irq.level = (uint32_t)(level != 0);
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) == -1) {
		log_warn("%s: KVM_IRQ_LINE %d", __func__, gsi);
		return -1;
	}
	return 0;
}

int
vcpu_irq_pulse(struct vm *vm, int gsi)
{
	if (vcpu_irq_line(vm, gsi, 1) == -1)
		return -1;
	return vcpu_irq_line(vm, gsi, 0);
}
