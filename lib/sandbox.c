/* SPDX-License-Identifier: ISC */
/* Giving up privilege: chroot, setresuid, no_new_privs and seccomp filters. */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

int
sandbox_prepare(const char *user)
{
	struct stat	st;

	if (getpwnam(user) == NULL) {
		log_warnx("%s: user %s does not exist (useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s)", __func__,
		    user, user);
		errno = ENOENT;
		return -1;
	}
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

/* Set the effective, permitted and inheritable sets to caps (a bit mask). */
static int
sandbox_capset(uint64_t caps)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = data[0].inheritable =
	    (uint32_t)caps;
	data[1].effective = data[1].permitted = data[1].inheritable =
	    (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

int
sandbox_drop_keep_chroot(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("%s: unknown user %s", __func__, user);
		errno = ENOENT;
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("%s: cannot become %s", __func__, user);
		return -1;
	}
	if (sandbox_capset(1ULL << CAP_SYS_CHROOT) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_CHROOT, 0,
	    0) == -1 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		log_warn("%s: CAP_SYS_CHROOT", __func__);
		return -1;
	}
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
	    sandbox_capset(0) == -1) {
		log_warn("%s: capabilities", __func__);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: no_new_privs", __func__);
		return -1;
	}
	return 0;
}

static int
sandbox_install(const char *const *allow, uint32_t deflt)
{
	scmp_filter_ctx	 ctx;
	const char	*name;
	uint32_t	 action;
	int		 nr, rv;

	if ((ctx = seccomp_init(deflt)) == NULL) {
		log_warnx("%s: seccomp_init", __func__);
		return -1;
	}
	for (; *allow != NULL; allow++) {
		name = *allow;
		action = SCMP_ACT_ALLOW;
		if (name[0] == '-') {
			name++;
			action = SCMP_ACT_ERRNO(EPERM);
		}
		if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
			continue;
		if ((rv = seccomp_rule_add(ctx, action, nr, 0)) < 0) {
			errno = -rv;
			log_warn("%s: allow %s", __func__, *allow);
			seccomp_release(ctx);
			return -1;
		}
	}
	if ((rv = seccomp_load(ctx)) < 0) {
		errno = -rv;
		log_warn("%s: seccomp_load", __func__);
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}

int
sandbox_filter(const char *const *allow)
{
	return sandbox_install(allow, SCMP_ACT_KILL_PROCESS);
}

int
sandbox_filter_errno(const char *const *allow)
{
	return sandbox_install(allow, SCMP_ACT_ERRNO(ENOSYS));
}
