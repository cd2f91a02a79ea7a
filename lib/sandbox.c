/* SPDX-License-Identifier: ISC */
/* Giving up privilege: chroot, setresuid, no_new_privs and seccomp filters. */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

int
sandbox_prepare(const char *user)
{
	if (getpwnam(user) == NULL) {
		log_warnx("%s: user %s does not exist (useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s)", __func__,
		    user, user);
		errno = ENOENT;
		return -1;
	}
	return sandbox_empty();
}

int
sandbox_empty(void)
{
	struct stat	st;

	if (mkdir(SANDBOX_EMPTY, 0755) == -1 && errno != EEXIST) {
		log_warn("%s: mkdir %s", __func__, SANDBOX_EMPTY);
		return -1;
	}
	if (stat(SANDBOX_EMPTY, &st) == -1) {
		log_warn("%s: %s", __func__, SANDBOX_EMPTY);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("%s: %s must be a directory owned by root and "
		    "writable only by it", __func__, SANDBOX_EMPTY);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
sandbox_drop(const char *user, const char *dir)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("%s: unknown user %s", __func__, user);
		errno = ENOENT;
		return -1;
	}
	if (dir != NULL && (chroot(dir) == -1 || chdir("/") == -1)) {
		log_warn("%s: chroot %s", __func__, dir);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("%s: cannot become %s", __func__, user);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: no_new_privs", __func__);
		return -1;
	}
	return 0;
}

/*
 * Set the effective and permitted sets to caps (a bit mask), and the
 * inheritable set too if inherit.
 */
static int
sandbox_capset(uint64_t caps, int inherit)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	if (inherit) {
		data[0].inheritable = (uint32_t)caps;
		data[1].inheritable = (uint32_t)(caps >> 32);
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

int
sandbox_drop_keep(const char *user, const char *dir, uint64_t caps)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("%s: unknown user %s", __func__, user);
		errno = ENOENT;
		return -1;
	}
	if (dir != NULL && (chroot(dir) == -1 || chdir("/") == -1)) {
		log_warn("%s: chroot %s", __func__, dir);
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("%s: cannot become %s", __func__, user);
		return -1;
	}
	if (sandbox_capset(caps, 0) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: capabilities", __func__);
		return -1;
	}
	return 0;
}

int
sandbox_become_vm(uid_t uid, gid_t gid)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(0, NULL) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return -1;
	/* Inheritable too: an ambient capability must be in both. */
	if (sandbox_capset(1ULL << CAP_SYS_CHROOT, 1) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_CHROOT, 0,
	    0) == -1 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}

int
sandbox_has_chroot(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	return (data[0].effective & (1U << CAP_SYS_CHROOT)) != 0;
}

int
sandbox_chroot_only(const char *dir)
{
	if (chroot(dir) == -1 || chdir("/") == -1) {
		log_warn("%s: chroot %s", __func__, dir);
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 ||
	    sandbox_capset(0, 0) == -1) {
		log_warn("%s: capabilities", __func__);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: no_new_privs", __func__);
		return -1;
	}
	return 0;
}

/* A filter being built: libseccomp's context. */
struct sandbox_filter {
	scmp_filter_ctx	 ctx;
	uint32_t	 deflt;		/* libseccomp's default action */
};

struct sandbox_filter *
sandbox_filter_new(int deflt)
{
	struct sandbox_filter	*f;
	uint32_t		 action;

	switch (deflt) {
	case SANDBOX_KILL:
		action = SCMP_ACT_KILL_PROCESS;
		break;
	case SANDBOX_ALLOW:
		action = SCMP_ACT_ALLOW;
		break;
	default:
		action = SCMP_ACT_ERRNO(EPERM);
		break;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	f->deflt = action;
	if ((f->ctx = seccomp_init(action)) == NULL) {
		log_warnx("%s: seccomp_init", __func__);
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

void
sandbox_filter_free(struct sandbox_filter *f)
{
	if (f == NULL)
		return;
	seccomp_release(f->ctx);
	free(f);
}

/* The libseccomp form of one comparison. */
static struct scmp_arg_cmp
sandbox_cmp(const struct sandbox_cmp *c)
{
	struct scmp_arg_cmp	a;

	memset(&a, 0, sizeof(a));
	a.arg = c->arg;
	a.datum_a = c->val;
	switch (c->op) {
	case SANDBOX_EQ:
		if (c->mask != 0) {
			a.op = SCMP_CMP_MASKED_EQ;
			a.datum_a = c->mask;
			a.datum_b = c->val;
		} else
			a.op = SCMP_CMP_EQ;
		break;
	case SANDBOX_NE:
		a.op = SCMP_CMP_NE;
		break;
	case SANDBOX_LT:
		a.op = SCMP_CMP_LT;
		break;
	case SANDBOX_LE:
		a.op = SCMP_CMP_LE;
		break;
	case SANDBOX_GE:
		a.op = SCMP_CMP_GE;
		break;
	}
	return a;
}

int
sandbox_filter_rules(struct sandbox_filter *f, const struct sandbox_rule *r,
    size_t n)
{
	struct scmp_arg_cmp	 a[SANDBOX_CMP_MAX];
	uint32_t		 action;
	unsigned int		 i;
	size_t			 k;
	int			 nr, rv;

	for (k = 0; k < n; k++) {
		if ((nr = seccomp_syscall_resolve_name(r[k].name)) ==
		    __NR_SCMP_ERROR)
			continue;	/* unknown to this kernel */
		if (r[k].ncmp > SANDBOX_CMP_MAX) {
			log_warnx("%s: %s: too many comparisons", __func__,
			    r[k].name);
			errno = EINVAL;
			return -1;
		}
		for (i = 0; i < r[k].ncmp; i++)
			a[i] = sandbox_cmp(&r[k].cmp[i]);
		action = r[k].errnum == 0 ? SCMP_ACT_ALLOW :
		    SCMP_ACT_ERRNO((uint32_t)r[k].errnum);
		if (action == f->deflt)
			continue;	/* what the filter does anyway */
		if ((rv = seccomp_rule_add_array(f->ctx, action, nr, r[k].ncmp,
		    a)) < 0) {
			errno = -rv;
			log_warn("%s: %s", __func__, r[k].name);
			return -1;
		}
	}
	return 0;
}

int
sandbox_filter_names(struct sandbox_filter *f, const char *const *allow)
{
	struct sandbox_rule	r;

	for (; *allow != NULL; allow++) {
		memset(&r, 0, sizeof(r));
		r.name = *allow;
		if (r.name[0] == '-') {
			r.name++;
			r.errnum = EPERM;
		}
		if (sandbox_filter_rules(f, &r, 1) == -1)
			return -1;
	}
	return 0;
}

int
sandbox_filter_load(struct sandbox_filter *f)
{
	int	rv;

	if ((rv = seccomp_load(f->ctx)) < 0) {
		errno = -rv;
		log_warn("%s: seccomp_load", __func__);
		sandbox_filter_free(f);
		return -1;
	}
	sandbox_filter_free(f);
	return 0;
}

int
sandbox_filter_tree(struct sandbox_filter *f)
{
	int	rv;

	if ((rv = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) {
		errno = -rv;
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

int
sandbox_filter_export(struct sandbox_filter *f, int fd)
{
	int	rv;

	if ((rv = seccomp_export_bpf(f->ctx, fd)) < 0) {
		errno = -rv;
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

int
sandbox_load_bpf(const struct sock_filter *insns, size_t n)
{
	struct sock_fprog	prog;

	if (n == 0 || n > BPF_MAXINSNS) {
		errno = EINVAL;
		log_warn("%s: %zu instructions", __func__, n);
		return -1;
	}
	prog.len = (unsigned short)n;
	prog.filter = (struct sock_filter *)(uintptr_t)insns;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

static int
sandbox_install(const char *const *allow, int kill)
{
	struct sandbox_filter	*f;

	if ((f = sandbox_filter_new(kill ? SANDBOX_KILL : SANDBOX_EPERM)) ==
	    NULL)
		return -1;
	if (sandbox_filter_names(f, allow) == -1) {
		sandbox_filter_free(f);
		return -1;
	}
	return sandbox_filter_load(f);
}

int
sandbox_filter(const char *const *allow)
{
	return sandbox_install(allow, 1);
}

int
sandbox_filter_errno(const char *const *allow)
{
	return sandbox_install(allow, 0);
}
