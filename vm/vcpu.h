/* SPDX-License-Identifier: ISC */
/* vCPUs: creation, CPUID, and the run loop of each vCPU thread. */
#ifndef VM_VCPU_H
#define VM_VCPU_H

#include <pthread.h>
#include <stddef.h>

struct vm;
struct kvm_run;
struct kvm_cpuid2;

/* One per vCPU; owned by its thread once vcpu_start has run. */
struct vcpu {
	struct vm	*vm;
	int		 id;
	int		 fd;
	struct kvm_run	*run;
	size_t		 run_size;
	pthread_t	 thread;
	int		 started;
};

/*
 * vcpu_create: create vCPU id with CPUID filtered from supported and its
 * local APIC wired as on a PC (LINT0 ExtINT, LINT1 NMI). 0 or -1.
 */
int	vcpu_create(struct vm *, struct vcpu *, int id,
	    const struct kvm_cpuid2 *supported);
/* vcpu_start: start the thread running the vCPU. 0 or -1. */
int	vcpu_start(struct vcpu *);
/* vcpu_kick: make the vCPU leave KVM_RUN soon (any thread). */
void	vcpu_kick(struct vcpu *);
void	vcpu_join(struct vcpu *);
void	vcpu_destroy(struct vcpu *);

#endif /* VM_VCPU_H */
