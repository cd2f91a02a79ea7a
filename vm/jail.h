/* SPDX-License-Identifier: ISC */
/* The VM process's sandbox: no root, no files, a filter on every call. */
#ifndef VM_JAIL_H
#define VM_JAIL_H

#include <stddef.h>
#include <stdint.h>

struct sandbox_filter;
struct sock_filter;
struct vm;

/*
 * Disks are moved to fds from here up, so that the filter can tell them
 * from everything else: write() and writev() on them are refused, and
 * positioned writes and fallocate only reach up to the largest disk's
 * size (a VM cannot grow an image to fill the host's file system).
 */
#define JAIL_DISK_FD_MIN	512

/*
 * jail_enter: before the guest or any byte it controls is read: chroot
 * to an empty directory and give up every capability (from vmd's or
 * vmctl run's launcher: a uid of its own already), or become _vmd when
 * started as root by hand; no_new_privs; then the seccomp filter below.
 * 0, or -1 (logged).
 */
int	jail_enter(struct vm *);

/*
 * jail_rules_build: the filter of a VM process whose pid is pid and
 * whose disk writes may reach lim, built by libseccomp from the rules
 * (vm/jail_rules.c). What jail_gen exports when vmd-vm is built, and
 * what the tests compare jail_bpf with. NULL (logged).
 */
struct sandbox_filter *jail_rules_build(uint64_t pid, uint64_t lim);

/*
 * The places in the exported program that hold the run-time values
 * (jail_gen finds them: vm/jail_bpf.h, generated): the pid (a 32-bit
 * word; its upper word is 0), the limit's upper and lower words.
 */
#define JAIL_BPF_PID		1
#define JAIL_BPF_LIM_HI		2
#define JAIL_BPF_LIM_LO		3
struct jail_bpf_patch {
	uint16_t	at;		/* instruction index */
	uint16_t	what;		/* JAIL_BPF_* */
};

/*
 * jail_bpf: the filter for pid and lim, from the program exported at
 * build time: its instructions into prog (room for max). Their number,
 * 0 if max is too small. The same instructions as jail_rules_build's.
 */
size_t	jail_bpf(uint64_t pid, uint64_t lim, struct sock_filter *prog,
	    size_t max);

#endif /* VM_JAIL_H */
