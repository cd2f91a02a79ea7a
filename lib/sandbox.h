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
 * sandbox_filter: allow only the system calls named in allow (NULL-ended;
 * names unknown to this kernel are skipped; a name with a leading '-'
 * fails with EPERM instead); any other call kills the process. Needs no_new_privs or CAP_SYS_ADMIN. 0, or -1 (logged).
 */
int	sandbox_filter(const char *const *allow);

/* sandbox_filter_errno: like sandbox_filter, but others fail with ENOSYS. */
int	sandbox_filter_errno(const char *const *allow);

#endif /* LIB_SANDBOX_H */
