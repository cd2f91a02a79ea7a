/* SPDX-License-Identifier: ISC */
/* The KVM system and VM ioctls the VM process needs, in one place. */
#ifndef VM_KVM_H
#define VM_KVM_H

#include <stdint.h>

struct vm;
struct kvm_cpuid2;
struct proto_cpuid;

/* kvm_open: open /dev/kvm and check API version and capabilities. fd or -1. */
int	kvm_open(void);
/* kvm_max_vcpus: the largest vCPU count KVM allows for one VM. */
int	kvm_max_vcpus(int kvm_fd);
/*
 * kvm_create_vm: create the VM on vm->kvm_fd with the in-kernel irqchip,
 * and map vm->mem. Sets vm->vm_fd. 0 or -1.
 */
int	kvm_create_vm(struct vm *);
/*
 * kvm_create_pit: the in-kernel PIT (i8254), after kvm_create_vm and
 * before the guest runs. KVM starts a kernel thread for it and waits
 * until that thread has run, holding the VM's lock (which KVM_CREATE_VCPU
 * takes too): 0.05 ms when the caller sleeps and gives its CPU to
 * kthreadd, far longer when the caller keeps its CPU busy meanwhile, so
 * vm.c makes it on the main thread (bench/README.md). 0 or -1 (logged).
 */
int	kvm_create_pit(struct vm *);
/*
 * kvm_map_rom: map len bytes at hva read-only into the guest at gpa (a
 * slot after the RAM's); guest writes there exit as MMIO. 0 or -1 (logged).
 */
int	kvm_map_rom(struct vm *, uint64_t gpa, void *hva, uint64_t len);
/* kvm_supported_cpuid: KVM_GET_SUPPORTED_CPUID (caller frees), or NULL. */
struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd);
/*
 * kvm_cpuid_export: the table in its message form (IMSG_VMP_CPUID_REQ);
 * kvm_cpuid_import: back (caller frees), or NULL (logged).
 * Export: 0, or -1 if it has more than PROTO_CPUID_MAX entries.
 */
int	kvm_cpuid_export(const struct kvm_cpuid2 *, struct proto_cpuid *);
struct kvm_cpuid2 *kvm_cpuid_import(const struct proto_cpuid *);

/*
 * kvm_ioeventfd: have KVM signal eventfd fd on a len-byte guest write to
 * MMIO address addr (any value) instead of exiting to us; deassign undoes
 * it. 0 or -1 (logged by the caller: a missing fast path is not fatal).
 */
int	kvm_ioeventfd(struct vm *, uint64_t addr, int len, int fd,
	    int deassign);
/* kvm_signal_msi: inject one MSI (address, data) into the guest. 0 or -1. */
int	kvm_signal_msi(struct vm *, uint64_t addr, uint32_t data);

/*
 * MSI delivery through irqfd: kvm_routes_init (called by kvm_create_vm)
 * sets up vm->routes, or leaves it NULL when KVM cannot route MSIs.
 * kvm_gsi_alloc hands out a GSI above the IOAPIC's; kvm_msi_route points
 * it at an MSI (address, data) with KVM_SET_GSI_ROUTING (slow: call it
 * when the guest reprograms a vector, not per interrupt); kvm_irqfd
 * makes a write to eventfd fd raise that GSI. Each is 0 (or the GSI) or
 * -1 with errno set, ENOTSUP without routing; safe from any thread.
 * kvm_routes_free forgets the table (the VM's routes stay in KVM).
 */
void	kvm_routes_init(struct vm *);
void	kvm_routes_free(struct vm *);
int	kvm_gsi_alloc(struct vm *);
int	kvm_msi_route(struct vm *, int gsi, uint64_t addr, uint32_t data);
int	kvm_irqfd(struct vm *, int fd, int gsi, int deassign);

#endif /* VM_KVM_H */
