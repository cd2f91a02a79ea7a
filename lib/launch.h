/* SPDX-License-Identifier: ISC */
/* Starting a VM process: fork, a uid of its own, exec, its description. */
#ifndef LIB_LAUNCH_H
#define LIB_LAUNCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * A VM process started by root runs as uid and gid LAUNCH_UID_BASE + its
 * pid: no other process on the host has that uid, so no other VM, and
 * none of vmd's own processes, can be signalled, traced or otherwise
 * touched by it (the kernel checks uids), and it by none of them. The
 * range [LAUNCH_UID_BASE, LAUNCH_UID_BASE + 2^22) is above the ranges
 * systemd hands to containers and below the ones it reserves.
 */
#define LAUNCH_UID_BASE		0x7f000000U
#define LAUNCH_UID_SPAN		0x00400000U	/* pid_max's upper bound */

/* How to start a VM process. */
struct launch {
	const char	*prog;		/* launch_vm_prog's */
	int		 verbose;	/* -v count */
	int		 syslog;	/* -L: log to syslog, not stderr */
	int		 own_uid;	/* run as launch_uid(pid) (from root) */
};

/* One fd of a VM's description, with what it is (proto_fdreq). */
struct launch_fd {
	struct proto_fdreq	 req;
	int			 fd;
};

/* launch_fork flags. */
#define LAUNCH_F_OWN_UID	0x1	/* become launch_uid(pid) (from root) */
#define LAUNCH_F_DEATHSIG	0x2	/* SIGKILL when this thread ends */

/*
 * launch_vm_prog: the program VM processes of the vmd program at vmd
 * exec: vmd-vm beside it (vmd's path with LAUNCH_VM_SUFFIX appended:
 * build/vmd -> build/vmd-vm), statically linked, when it is there; else
 * vmd itself, whose -V runs the same VM process (vmd-asan, whose VM
 * processes are ASan builds too). 0, or -1 if a path does not fit in
 * len (logged).
 */
#define LAUNCH_VM_SUFFIX	"-vm"
int	launch_vm_prog(const char *vmd, char *path, size_t len);

/* launch_uid: the uid (and gid) of the VM process pid. */
uid_t	launch_uid(pid_t pid);

/*
 * The VM process's `-T ns`: CLOCK_MONOTONIC in nanoseconds just before
 * its execve, written by the child (20 digits, zero-padded), so that it
 * can tell the time from its exec (the debug port's first line).
 */
#define LAUNCH_STAMP_LEN	21

/*
 * launch_spawn: fork and exec the VM process (`vmd [-L] [-v...] -V 3 -T
 * ns`). Before exec the child keeps
 * only stdin, stdout, stderr and its end of a new channel (fd 3), ends
 * when this thread does (parent-death signal), with own_uid becomes
 * launch_uid(its pid) keeping only CAP_SYS_CHROOT for its own chroot, and
 * stamps its exec's time (LAUNCH_STAMP_LEN).
 * *sock gets our end (close-on-exec, non-blocking). The pid, or -1 with
 * errno (logged).
 */
pid_t	launch_spawn(const struct launch *, int *sock);

/*
 * launch_fork: fork and exec prog with argv, its end of a new
 * SOCK_SEQPACKET pair on fd 3 (PROC_CHILD_FD) and nothing else above
 * stderr, signals at their defaults, and what flags say. *sock gets our
 * end (close-on-exec). The one way vmd starts a process: its privsep
 * children (proc_spawn) and its VM processes (launch_spawn). The pid, or
 * -1 with errno (logged).
 */
pid_t	launch_fork(const char *prog, char *const argv[], int flags,
	    int *sock);

/*
 * launch_send: send a VM process its description on sock: what to run,
 * then each fd (n of them), then KVM's supported CPUID table if cpuid is
 * not NULL (else the VM process asks KVM itself), then the start request.
 * The fds stay ours. 0, or -1 with errno (logged).
 */
int	launch_send(int sock, const struct proto_vmcreate *,
	    const struct launch_fd *, size_t n,
	    const struct proto_cpuid *cpuid);

/*
 * launch_vm_opt: one of the options a VM process takes from its launcher,
 * parsed alike by vmd-vm and vmd -V: -V fd (the launch channel) and
 * -T ns (CLOCK_MONOTONIC at the launcher's execve). 1 if ch was one of
 * them, 0 if not; a bad value is fatal.
 */
int	launch_vm_opt(int ch, const char *arg, int *vmfd, uint64_t *exec_ns);

#endif /* LIB_LAUNCH_H */
