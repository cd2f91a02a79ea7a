/* SPDX-License-Identifier: ISC */
/* The KVM system and VM ioctls the VM process needs, in one place. */
#ifndef VM_KVM_H
#define VM_KVM_H

struct vm;
struct kvm_cpuid2;

/* kvm_open: open /dev/kvm and check API version and capabilities. fd or -1. */
int	kvm_open(void);
/* kvm_max_vcpus: the largest vCPU count KVM allows for one VM. */
int	kvm_max_vcpus(int kvm_fd);
/*
 * kvm_create_vm: create the VM on vm->kvm_fd with the in-kernel irqchip
 * and PIT, and map vm->mem. Sets vm->vm_fd. 0 or -1.
 */
int	kvm_create_vm(struct vm *);
/* kvm_supported_cpuid: KVM_GET_SUPPORTED_CPUID (caller frees), or NULL. */
struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd);

#endif /* VM_KVM_H */
