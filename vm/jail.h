/* SPDX-License-Identifier: ISC */
/* The VM process's sandbox: no root, no files, a filter on every call. */
#ifndef VM_JAIL_H
#define VM_JAIL_H

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

#endif /* VM_JAIL_H */
