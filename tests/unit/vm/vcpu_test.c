/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the vCPU state machine and the VM-wide run control
 * (vm/vcpu.c) without KVM: test threads play the vCPU threads' part of the
 * protocol (park while a pause is requested, finish on exit), so what is
 * refused and who wakes whom can be checked. Linking vm/vcpu.c replaces
 * fakevm's weak stand-ins with the real functions.
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/kvm.h"
#include "vm/mem.h"
#include "vm/vcpu.h"

#define NCPUS	2

static struct vm	vm;
static struct vcpu	vcpus[NCPUS];

static void
setup(void)
{
	int	i;

	fakevm_init(&vm);
	vcpu_run_init(&vm);
	vm.params.ncpus = NCPUS;
	vm.vcpus = vcpus;
	for (i = 0; i < NCPUS; i++) {
		memset(&vcpus[i], 0, sizeof(vcpus[i]));
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
		vcpus[i].fd = -1;
		vcpus[i].state = VCPU_CREATED;
	}
}

static void
teardown(void)
{
	free(vm.paused_tsc);
	vm.paused_tsc = NULL;
	if (vm.exit_efd != -1)
		close(vm.exit_efd);
	fakevm_free(&vm);
}

/* A vCPU thread's loop without KVM_RUN. */
static void *
fake_vcpu(void *arg)
{
	struct vcpu	*v = arg;

	while (vcpu_exit_status(v->vm) == -1) {
		if (atomic_load(&v->vm->pause_req)) {
			(void)vcpu_park(v);
			continue;
		}
		usleep(1000);
	}
	(void)vcpu_finish(v);
	return NULL;
}

/* Wait up to 2 s for vcpu to reach st. 1 if it did. */
static int
wait_state(struct vcpu *v, enum vcpu_state st)
{
	int	i;

	for (i = 0; i < 2000; i++) {
		if (vcpu_state(v) == st)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void
start_fakes(pthread_t *t)
{
	int	i;

	for (i = 0; i < NCPUS; i++) {
		vcpus[i].state = VCPU_RUNNING;	/* what vcpu_start does */
		if (pthread_create(&t[i], NULL, fake_vcpu, &vcpus[i]) != 0) {
			printf("Bail out! pthread_create\n");
			exit(1);
		}
	}
}

static void
join_fakes(pthread_t *t)
{
	int	i;

	for (i = 0; i < NCPUS; i++)
		pthread_join(t[i], NULL);
}

static void
test_refused(void)
{
	setup();
	tap_is(vcpu_exit_status(&vm), -1, "a new VM runs");
	tap_is(vcpu_state(&vcpus[0]), VCPU_CREATED, "a new vCPU is created");
	errno = 0;
	tap_is(vcpu_park(&vcpus[0]), -1, "created: park refused");
	tap_is(errno, EINVAL, "with EINVAL");
	tap_is(vcpu_finish(&vcpus[0]), -1, "created: finish refused");
	tap_is(vcpu_state(&vcpus[0]), VCPU_CREATED, "still created");
	tap_is(vcpu_unpause_all(&vm), EALREADY, "unpause when running: EALREADY");
	vcpus[0].state = VCPU_EXITED;
	errno = 0;
	tap_is(vcpu_start(&vcpus[0]), -1, "exited: start refused");
	tap_is(errno, EINVAL, "with EINVAL");
	tap_is(vcpu_park(&vcpus[0]), -1, "exited: park refused");
	vcpus[0].state = VCPU_PARKED;
	tap_is(vcpu_finish(&vcpus[0]), -1, "parked: finish refused");
	tap_ok(strcmp(vcpu_state_name(VCPU_PARKED), "parked") == 0,
	    "state names");
	teardown();
}

static void
test_exit(void)
{
	uint64_t	v = 0;

	setup();
	vm.exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vcpu_request_exit(&vm, VM_EXIT_POWEROFF);
	tap_is(vcpu_exit_status(&vm), VM_EXIT_POWEROFF, "power-off: status 0");
	tap_is(read(vm.exit_efd, &v, sizeof(v)), sizeof(v),
	    "the event loop is woken");
	vcpu_request_exit(&vm, VM_EXIT_REBOOT);
	tap_is(vcpu_exit_status(&vm), VM_EXIT_POWEROFF,
	    "the first request wins");
	tap_is(read(vm.exit_efd, &v, sizeof(v)), -1,
	    "a later request does not wake the loop again");
	tap_is(vcpu_pause_all(&vm), ESRCH, "pause after exit: ESRCH");
	teardown();
}

/* A vCPU whose KVM_RUN fails (no fd here) ends the VM with an error. */
static void
test_start_fails_run(void)
{
	setup();
	vm.params.ncpus = 1;
	tap_is(vcpu_start(&vcpus[0]), 0, "vcpu_start: created -> running");
	vcpu_join(&vcpus[0]);
	tap_is(vcpu_exit_status(&vm), VM_EXIT_ERROR,
	    "KVM_RUN failing ends the VM with status error");
	tap_is(vcpu_state(&vcpus[0]), VCPU_JOINED, "joined");
	tap_is(vcpu_start(&vcpus[0]), -1, "joined: start refused");
	teardown();
}

/*
 * The boot vCPU run by the calling thread (vcpu_run): its loop runs there
 * and returns when the VM ends; joining it waits for nothing.
 */
static void
test_run_here(void)
{
	setup();
	vm.params.ncpus = 1;
	tap_is(vcpu_run(&vcpus[0]), 0, "vcpu_run: returns once the VM ends");
	tap_is(vcpu_exit_status(&vm), VM_EXIT_ERROR,
	    "KVM_RUN failing on the calling thread ends the VM with an error");
	tap_is(vcpu_state(&vcpus[0]), VCPU_EXITED, "then it is exited");
	vcpu_join(&vcpus[0]);
	tap_is(vcpu_state(&vcpus[0]), VCPU_JOINED,
	    "vcpu_join from the same thread: joined, without waiting");
	errno = 0;
	tap_is(vcpu_run(&vcpus[0]), -1, "joined: run refused");
	tap_is(errno, EINVAL, "with EINVAL");
	teardown();
	setup();
	vcpu_request_exit(&vm, VM_EXIT_POWEROFF);
	tap_is(vcpu_run(&vcpus[0]), 0, "run after an exit request returns");
	tap_is(vcpu_exit_status(&vm), VM_EXIT_POWEROFF,
	    "without running the guest: the request stands");
	teardown();
}

static uint64_t
ms_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
test_pause(void)
{
	pthread_t	t[NCPUS];
	struct timespec	t0;
	uint64_t	before, after;
	int		i;

	setup();
	start_fakes(t);
	before = vcpu_uptime_ns(&vm);
	tap_is(vcpu_pause_all(&vm), 0, "pause: 0");
	for (i = 0; i < NCPUS; i++)
		tap_is(vcpu_state(&vcpus[i]), VCPU_PARKED,
		    "pause returns once vcpu %d is parked", i);
	tap_ok(vm.paused, "paused");
	tap_is(vcpu_pause_all(&vm), EALREADY, "pause again: EALREADY");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	usleep(300000);
	tap_ok(ms_since(&t0) >= 300, "300 ms spent paused");
	tap_is(vcpu_unpause_all(&vm), 0, "unpause: 0");
	after = vcpu_uptime_ns(&vm);
	tap_ok(after - before < 200000000ULL,
	    "guest uptime skips the pause (%llu ms)",
	    (unsigned long long)((after - before) / 1000000));
	for (i = 0; i < NCPUS; i++)
		tap_ok(wait_state(&vcpus[i], VCPU_RUNNING),
		    "unpause wakes vcpu %d: running", i);
	tap_is(vcpu_unpause_all(&vm), EALREADY, "unpause again: EALREADY");

	tap_is(vcpu_pause_all(&vm), 0, "pause a second time");
	vcpu_request_exit(&vm, VM_EXIT_REBOOT);
	join_fakes(t);
	for (i = 0; i < NCPUS; i++)
		tap_is(vcpu_state(&vcpus[i]), VCPU_EXITED,
		    "exit wakes parked vcpu %d: exited", i);
	tap_is(vcpu_exit_status(&vm), VM_EXIT_REBOOT, "reboot: status 11");
	teardown();
}

static void *
pauser(void *arg)
{
	(void)arg;
	return (void *)(long)vcpu_pause_all(&vm);
}

/* A pauser waiting for a vCPU that never parks is woken by the exit. */
static void
test_exit_wakes_pauser(void)
{
	pthread_t	t;
	void		*rv;

	setup();
	vcpus[0].state = VCPU_RUNNING;	/* a thread stuck in KVM_RUN */
	vcpus[1].state = VCPU_EXITED;	/* does not hold up a pause */
	if (pthread_create(&t, NULL, pauser, NULL) != 0) {
		printf("Bail out! pthread_create\n");
		exit(1);
	}
	usleep(50000);
	tap_ok(!vm.paused, "not paused while a vCPU runs");
	vcpu_request_exit(&vm, VM_EXIT_ERROR);
	pthread_join(t, &rv);
	tap_is((long)rv, ESRCH, "exit wakes the pauser: ESRCH");
	tap_is(vcpu_exit_status(&vm), VM_EXIT_ERROR, "error: status 1");
	teardown();
}

/* cpuid_leaf: the entry of function fn (index 0) in c, or NULL. */
static struct kvm_cpuid_entry2 *
cpuid_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t	i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == 0)
			return &c->entries[i];
	return NULL;
}

/*
 * On /dev/kvm: the CPUID a vCPU gets has no KVM PV feature that works
 * through hypercalls (Linux hung in a PV IPI on KVM-PVM), and keeps the
 * others KVM offers (kvm-clock).
 */
static void
test_cpuid(void)
{
	const uint32_t		 hc = (1U << KVM_FEATURE_PV_UNHALT) |
				    (1U << KVM_FEATURE_PV_SEND_IPI) |
				    (1U << KVM_FEATURE_PV_SCHED_YIELD);
	struct kvm_cpuid2	*sup, *got;
	struct kvm_cpuid_entry2	*s, *g;
	struct vm		 kvm;
	struct vcpu		 v;

	fakevm_init(&kvm);
	if (access("/dev/kvm", R_OK | W_OK) == -1 ||
	    (kvm.kvm_fd = kvm_open()) == -1) {
		tap_ok(1, "# SKIP no usable /dev/kvm");
		fakevm_free(&kvm);
		return;
	}
	kvm.params.ncpus = 2;
	if (mem_init(&kvm.mem, 16ULL << 20) == -1 || kvm_create_vm(&kvm) == -1 ||
	    (sup = kvm_supported_cpuid(kvm.kvm_fd)) == NULL) {
		tap_ok(0, "a KVM VM and its supported CPUID");
		return;
	}
	got = calloc(1, sizeof(*got) + 256 * sizeof(got->entries[0]));
	got->nent = 256;
	tap_ok(vcpu_create(&kvm, &v, 1, sup) == 0 &&
	    ioctl(v.fd, KVM_GET_CPUID2, got) == 0, "vCPU 1 created, its "
	    "CPUID read back");
	s = cpuid_leaf(sup, KVM_CPUID_FEATURES);
	g = cpuid_leaf(got, KVM_CPUID_FEATURES);
	tap_ok(s != NULL && g != NULL && (g->eax & hc) == 0 &&
	    g->eax == (s->eax & ~hc) &&
	    (g->eax & (1U << KVM_FEATURE_CLOCKSOURCE2)) ==
	    (s->eax & (1U << KVM_FEATURE_CLOCKSOURCE2)),
	    "KVM features 0x%x of 0x%x: no PV IPI, kick or yield; kvm-clock "
	    "kept", g ? g->eax : 0, s ? s->eax : 0);
	if (v.run != NULL)
		munmap(v.run, v.run_size);
	if (v.fd > 0)
		close(v.fd);
	free(got);
	free(sup);
	kvm_routes_free(&kvm);
	close(kvm.vm_fd);
	close(kvm.kvm_fd);
	mem_free(&kvm.mem);
	fakevm_free(&kvm);
}

int
main(void)
{
	test_cpuid();
	test_refused();
	test_exit();
	test_start_fails_run();
	test_run_here();
	test_pause();
	test_exit_wakes_pauser();
	return tap_done();
}
