/* SPDX-License-Identifier: ISC */
/* Giving up privilege: chroot, setresuid, no_new_privs and seccomp filters. */
#ifndef LIB_SANDBOX_H
#define LIB_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_USER	"_vmd"
#define SANDBOX_EMPTY	"/var/empty"	/* an empty root-owned directory */

/*
 * sandbox_prepare: make sure SANDBOX_EMPTY exists (root, 0755) and the
 * user exists. 0, or -1 with errno (logged).
 */
int	sandbox_prepare(const char *user);

/*
 * sandbox_empty: make sure SANDBOX_EMPTY exists, a directory owned by
 * root and writable only by it (a VM process run with a uid of its own
 * chroots there). 0, or -1 with errno (logged).
 */
int	sandbox_empty(void);

/*
 * sandbox_drop: chroot to dir (NULL: stay) and chdir /, become user
 * (groups, gid and uid; real, effective and saved), set no_new_privs.
 * 0, or -1 with errno (logged).
 */
int	sandbox_drop(const char *user, const char *dir);

/*
 * sandbox_drop_keep: chroot to dir (NULL: stay), become user, keep only the
 * capabilities in caps (a mask of 1 << CAP_*; permitted and effective) and
 * set no_new_privs. For priv, which keeps CAP_NET_ADMIN. 0, or -1 with
 * errno (logged).
 */
int	sandbox_drop_keep(const char *user, const char *dir, uint64_t caps);

/*
 * sandbox_become_vm: from root, become uid/gid (no supplementary groups)
 * keeping CAP_SYS_CHROOT alone, as an ambient capability that the program
 * exec'd next inherits, so that a VM process can chroot itself and then
 * drop it. For a freshly forked child before exec. 0 or -1 (not logged:
 * the child has nowhere to log).
 */
int	sandbox_become_vm(uid_t uid, gid_t gid);

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
 * fails with EPERM instead); any other call kills the process. Needs
 * no_new_privs or CAP_SYS_ADMIN. 0, or -1 (logged).
 */
int	sandbox_filter(const char *const *allow);

/* sandbox_filter_errno: like sandbox_filter, but others fail with EPERM. */
int	sandbox_filter_errno(const char *const *allow);

/* How a filter rule compares one system call argument. */
enum sandbox_op {
	SANDBOX_EQ,		/* (arg & mask) == val; mask 0: whole arg */
	SANDBOX_NE,		/* arg != val */
	SANDBOX_LT,		/* arg < val (unsigned) */
	SANDBOX_LE,		/* arg <= val (unsigned) */
	SANDBOX_GE		/* arg >= val (unsigned) */
};

/* One comparison: argument number (0 to 5), operator, mask, value. */
struct sandbox_cmp {
	unsigned int	 arg;
	enum sandbox_op	 op;
	uint64_t	 mask;
	uint64_t	 val;
};

#define SANDBOX_CMP_MAX	3

/*
 * One rule: the call name, what it gets (errnum 0: allowed; else it fails
 * with that errno), and up to SANDBOX_CMP_MAX comparisons that must all
 * hold. Several rules for one call are alternatives.
 */
struct sandbox_rule {
	const char		*name;
	int			 errnum;
	unsigned int		 ncmp;
	struct sandbox_cmp	 cmp[SANDBOX_CMP_MAX];
};

/* A filter being built. */
struct sandbox_filter;

/* What a filter does with a call no rule names. */
#define SANDBOX_EPERM	0	/* fails with EPERM */
#define SANDBOX_KILL	1	/* the process dies of SIGSYS */
#define SANDBOX_ALLOW	2	/* runs: the rules name what is refused */

/* sandbox_filter_new: a filter with that default. NULL (logged). */
struct sandbox_filter *sandbox_filter_new(int deflt);
/* sandbox_filter_names: allow the calls named (NULL-ended, '-' = EPERM). */
int	sandbox_filter_names(struct sandbox_filter *, const char *const *);
/* sandbox_filter_rules: add n rules. 0, or -1 (logged). */
int	sandbox_filter_rules(struct sandbox_filter *,
	    const struct sandbox_rule *, size_t n);
/* sandbox_filter_load: install the filter and free it. 0, or -1 (logged). */
int	sandbox_filter_load(struct sandbox_filter *);
/*
 * sandbox_filter_tree: lay the filter's program out as a binary search
 * over the call numbers, not a list (libseccomp's optimize level 2): a
 * call takes a few comparisons to find, not up to one per rule, and the
 * kernel takes less time to load it (it runs it for every call number).
 * 0, or -1 (logged).
 */
int	sandbox_filter_tree(struct sandbox_filter *);
/* sandbox_filter_free: free a filter not loaded. */
void	sandbox_filter_free(struct sandbox_filter *);
/*
 * sandbox_filter_export: write the filter's BPF program to fd (struct
 * sock_filter, native byte order; libseccomp's seccomp_export_bpf). For
 * programs made at build time (vm/jail_gen.c). 0, or -1 (logged).
 */
int	sandbox_filter_export(struct sandbox_filter *, int fd);

/*
 * sandbox_load_bpf: set no_new_privs and install the BPF program of n
 * instructions as this thread's seccomp filter, as sandbox_filter_load
 * does with the program libseccomp makes (no flags). 0, or -1 (logged).
 */
struct sock_filter;
int	sandbox_load_bpf(const struct sock_filter *, size_t n);

#endif /* LIB_SANDBOX_H */
