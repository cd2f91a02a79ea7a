/* SPDX-License-Identifier: ISC */
/*
 * vCPUs: creation, CPUID, the run loop of each vCPU thread, and the
 * VM-wide run control built on it (end the VM with a status, pause and
 * unpause every vCPU with the guest's clocks, interrupt lines, uptime).
 * Devices call the VM-wide functions; vm.c only drives them.
 */
#ifndef VM_VCPU_H
#define VM_VCPU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct kvm_run;
struct kvm_cpuid2;

/*
 * The lifecycle of one vCPU. Every transition is one function and happens
 * under vm->run_mtx; a change that someone may wait for is broadcast on
 * vm->run_cv.
 *
 *	            vcpu_create          vcpu_start, vcpu_run
 *	(none) ----------------> CREATED -----------------> RUNNING
 *	                                                     |  ^
 *	         vcpu_park (pause requested, vCPU thread)    v  | vcpu_park
 *	                                                    PARKED  returns:
 *	                                            unpause or exit requested
 *	RUNNING --- vcpu_finish (exit requested or fatal exit) ---> EXITED
 *	EXITED  --- vcpu_join (main thread) ---> JOINED
 *
 * The VM-wide run state is vm->exit_status (-1 while running, else the
 * VM_EXIT_* status; set once, by vcpu_request_exit, from any thread) and
 * vm->pause_req (set and cleared by the event thread in vcpu_pause_all
 * and vcpu_unpause_all). A vCPU in RUNNING checks both before each
 * KVM_RUN; vcpu_kick makes it leave KVM_RUN to see them.
 */
enum vcpu_state {
	VCPU_NONE = 0,		/* not created */
	VCPU_CREATED,		/* fd and kvm_run mapped, no thread (main) */
	VCPU_RUNNING,		/* its thread is in or around KVM_RUN */
	VCPU_PARKED,		/* its thread waits in vcpu_park */
	VCPU_EXITED,		/* its thread left the run loop */
	VCPU_JOINED,		/* its thread has been joined (main) */
};

/*
 * One per vCPU. fd and run are set up by the main thread in vcpu_create
 * and used by the vCPU thread after vcpu_start; state is read and written
 * under vm->run_mtx only.
 */
struct vcpu {
	struct vm	*vm;
	int		 id;
	int		 fd;
	struct kvm_run	*run;
	size_t		 run_size;
	pthread_t	 thread;
	int		 started;	/* thread created (joinable) */
	enum vcpu_state	 state;
};

/* vcpu_state_name: "created", "running", ... for logs and tests. */
const char *vcpu_state_name(enum vcpu_state);

/*
 * vcpu_create: create vCPU id with CPUID filtered from supported and its
 * local APIC wired as on a PC (LINT0 ExtINT, LINT1 NMI). NONE -> CREATED.
 * Main thread. 0 or -1.
 */
int	vcpu_create(struct vm *, struct vcpu *, int id,
	    const struct kvm_cpuid2 *supported);
/*
 * vcpu_start: start the thread running the vCPU. CREATED -> RUNNING; any
 * other state is refused (EINVAL). Main thread. 0 or -1 with errno.
 */
int	vcpu_start(struct vcpu *);
/*
 * vcpu_run: run the vCPU on the calling thread until the VM ends: the
 * main thread runs the boot vCPU, so the guest's first instruction waits
 * for no new thread to get a CPU (on a busy host that wait was 2 ms at
 * the median, measured here). CREATED -> RUNNING, then EXITED when it
 * returns; any other state is refused (EINVAL). 0, or -1 with errno.
 */
int	vcpu_run(struct vcpu *);
/*
 * vcpu_park: the vCPU's own thread, outside KVM_RUN, while vm->pause_req
 * is set: RUNNING -> PARKED, wakes the pauser, waits until the VM is
 * unpaused or ends, then PARKED -> RUNNING. Refused unless RUNNING
 * (EINVAL). 0, or -1 with errno.
 */
int	vcpu_park(struct vcpu *);
/*
 * vcpu_finish: the vCPU's own thread leaves its run loop: RUNNING ->
 * EXITED (a pauser waiting for it stops waiting). Refused unless RUNNING
 * (EINVAL). 0 or -1 with errno.
 */
int	vcpu_finish(struct vcpu *);
/* vcpu_kick: make the vCPU leave KVM_RUN soon (any thread). */
void	vcpu_kick(struct vcpu *);
/*
 * vcpu_join: wait for the vCPU's thread (main thread). EXITED or RUNNING
 * (the thread is about to see the exit request) -> JOINED; without a
 * thread, nothing; a vCPU the caller ran itself (vcpu_run) has ended
 * already, and only becomes JOINED.
 */
void	vcpu_join(struct vcpu *);
void	vcpu_destroy(struct vcpu *);
/* vcpu_state: the vCPU's state (any thread: a snapshot). */
enum vcpu_state vcpu_state(struct vcpu *);

/*
 * The VM-wide run control.
 *
 * vcpu_run_init: the run state of a new VM: running, not paused, guest
 * time starting now. Main thread, before any other function below.
 */
void	vcpu_run_init(struct vm *);
/*
 * vcpu_request_exit: end the VM with status (VM_EXIT_*). The first request
 * wins; parked vCPUs and a waiting pauser wake, every vCPU is kicked out
 * of KVM_RUN and the event loop is woken (vm->exit_efd). Any thread.
 */
void	vcpu_request_exit(struct vm *, int status);
/* vcpu_exit_status: -1 while the VM runs, else the requested status. */
int	vcpu_exit_status(struct vm *);
/*
 * vcpu_pause_all: park every vCPU, then freeze the guest's clocks
 * (kvmclock and the TSCs) so no time passes for it. Event thread.
 * 0, EALREADY if paused, ESRCH if the VM ends meanwhile.
 */
int	vcpu_pause_all(struct vm *);
/*
 * vcpu_unpause_all: restore the clocks as they were at the pause and let
 * the vCPUs run. Event thread. 0, or EALREADY if not paused.
 */
int	vcpu_unpause_all(struct vm *);
/*
 * vcpu_uptime_ns: nanoseconds of guest time since the VM process started
 * (time spent paused excluded). Any thread.
 */
uint64_t vcpu_uptime_ns(struct vm *);
/* vcpu_irq_line: set ISA/IOAPIC interrupt line gsi to level (0/1). 0 or -1. */
int	vcpu_irq_line(struct vm *, int gsi, int level);
/* vcpu_irq_pulse: raise then lower an edge-triggered line. 0 or -1. */
int	vcpu_irq_pulse(struct vm *, int gsi);

#endif /* VM_VCPU_H */
