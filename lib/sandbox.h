/* SPDX-License-Identifier: ISC */
/* Giving up privilege: chroot, setresuid, no_new_privs and seccomp filters. */
#ifndef LIB_SANDBOX_H
#define LIB_SANDBOX_H

#include <stddef.h>

#define SANDBOX_USER	"_vmd"
#define SANDBOX_EMPTY	"/var/empty"	/* an empty root-owned directory */

/*
 * sandbox_prepare: make sure SANDBOX_EMPTY exists (root, 0755) and the
 * user exists. 0, or -1 with errno (logged).
 */
int	sandbox_prepare(const char *user);

/*
 * sandbox_drop: chroot to dir (NULL: stay) and chdir /, become user
 * (groups, gid and uid; real, effective and saved), set no_new_privs.
 * 0, or -1 with errno (logged).
 */
int	sandbox_drop(const char *user, const char *dir);

/*
 * sandbox_drop_keep_chroot: become user like sandbox_drop (no chroot, no
 * no_new_privs) but keep CAP_SYS_CHROOT, as an ambient capability that the
 * programs this process execs inherit. For vmm, whose VM processes chroot
 * themselves. 0, or -1 with errno (logged).
 */
int	sandbox_drop_keep_chroot(const char *user);

/* sandbox_has_chroot: whether this process holds CAP_SYS_CHROOT. */
int	sandbox_has_chroot(void);

/*
 * sandbox_chroot_only: chroot to dir, then give up every capability and
 * set no_new_privs (the user is already the unprivileged one). 0 or -1.
 */
int	sandbox_chroot_only(const char *dir);

/*
 * sandbox_filter: allow only the system calls named in allow (NULL-ended;
 * names unknown to this kernel are skipped; a name with a leading '-'
 * fails with EPERM instead); any other call kills the process. Needs no_new_privs or CAP_SYS_ADMIN. 0, or -1 (logged).
 */
int	sandbox_filter(const char *const *allow);

/* sandbox_filter_errno: like sandbox_filter, but others fail with ENOSYS. */
int	sandbox_filter_errno(const char *const *allow);

#endif /* LIB_SANDBOX_H */
