/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/sandbox.c: seccomp allow-lists and dropping to _vmd. */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "sandbox.h"

/* Enough for a child to run, test one call and leave (ASan included). */
static const char *const base_calls[] = {
	"exit", "exit_group", "write", "rt_sigreturn", "rt_sigprocmask",
	"rt_sigaction", "munmap", "mmap", "madvise", "sigaltstack", "getpid",
	"gettid", "futex", "prctl", "-getppid", NULL
};

static const char *const kill_getppid[] = {
	"exit", "exit_group", "write", "rt_sigreturn", "rt_sigprocmask",
	"rt_sigaction", "munmap", "mmap", "madvise", "sigaltstack", "getpid",
	"gettid", "futex", "prctl", NULL
};

/* Run fn in a child; its wait status. */
static int
in_child(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return status;
}

static int
child_eperm(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    sandbox_filter(base_calls) == -1)
		return 10;
	if (syscall(SYS_getppid) != -1 || errno != EPERM)
		return 11;
	return 0;
}

static int
child_killed(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    sandbox_filter(kill_getppid) == -1)
		return 10;
	syscall(SYS_getppid);
	return 12;
}

static int
child_drop(void)
{
	struct passwd	*pw = getpwnam(SANDBOX_USER);
	uid_t		 r, e, s;
	char		 cwd[16];

	if (pw == NULL || sandbox_drop(SANDBOX_USER, SANDBOX_EMPTY) == -1)
		return 20;
	if (getresuid(&r, &e, &s) == -1 || r != pw->pw_uid ||
	    e != pw->pw_uid || s != pw->pw_uid || getgid() != pw->pw_gid)
		return 21;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 22;
	if (getcwd(cwd, sizeof(cwd)) == NULL || strcmp(cwd, "/") != 0)
		return 23;
	if (access("/proc", F_OK) == 0 || setuid(0) == 0)
		return 24;
	return 0;
}

/* A launcher's child: its own uid keeping CAP_SYS_CHROOT, then chroot. */
static int
child_become_vm(void)
{
	uid_t	uid = 0x7f000000 + (uid_t)getpid();

	if (sandbox_become_vm(uid, (gid_t)uid) == -1)
		return 30;
	if (getuid() != uid || getgid() != (gid_t)uid ||
	    getgroups(0, NULL) != 0 || !sandbox_has_chroot() ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SYS_CHROOT, 0,
	    0) != 1)
		return 31;
	if (sandbox_chroot_only(SANDBOX_EMPTY) == -1)
		return 32;
	if (sandbox_has_chroot() || access("/proc", F_OK) == 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SYS_CHROOT, 0,
	    0) != 0)
		return 33;
	return 0;
}

/* priv's way: _vmd in the empty root with one capability kept. */
static int
child_keep(void)
{
	struct passwd	*pw = getpwnam(SANDBOX_USER);

	if (pw == NULL || sandbox_drop_keep(SANDBOX_USER, SANDBOX_EMPTY,
	    1ULL << CAP_NET_ADMIN) == -1)
		return 40;
	if (getuid() != pw->pw_uid || sandbox_has_chroot() ||
	    access("/proc", F_OK) == 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 1)
		return 41;
	return 0;
}

/* Rules with arguments: ioctl 0x1234 allowed, fcntl only F_GETFD. */
static const struct sandbox_rule arg_rules[] = {
	{ "ioctl", 0, 1, { { 1, SANDBOX_EQ, 0xffffffffULL, 0x1234 } } },
	{ "fcntl", 0, 1, { { 1, SANDBOX_EQ, 0, F_GETFD } } },
	{ "dup", EACCES, 0, { { 0, 0, 0, 0 } } },
	{ "lseek", 0, 1, { { 0, SANDBOX_LT, 0, 3 } } },
};

static int
child_args(int which)
{
	struct sandbox_filter	*f;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    (f = sandbox_filter_new(SANDBOX_KILL)) == NULL ||
	    sandbox_filter_names(f, kill_getppid) == -1 ||
	    sandbox_filter_rules(f, arg_rules, sizeof(arg_rules) /
	    sizeof(arg_rules[0])) == -1 || sandbox_filter_load(f) == -1)
		return 50;
	switch (which) {
	case 0:		/* allowed ones go through to the kernel */
		if (ioctl(0, 0x1234, 0) != -1 || errno == 0)
			return 51;
		if (fcntl(0, F_GETFD) == -1)
			return 52;
		if (dup(0) != -1 || errno != EACCES)
			return 53;
		if (lseek(1, 0, SEEK_CUR) == -1 && errno == EPERM)
			return 54;
		return 0;
	case 1:
		(void)ioctl(0, 0x1235, 0);
		return 55;
	case 2:
		(void)fcntl(0, F_DUPFD, 10);
		return 56;
	default:
		(void)lseek(3, 0, SEEK_CUR);
		return 57;
	}
}

static int child_args0(void) { return child_args(0); }
static int child_args1(void) { return child_args(1); }
static int child_args2(void) { return child_args(2); }
static int child_args3(void) { return child_args(3); }

int
main(void)
{
	int	st;

	st = in_child(child_eperm);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a '-' entry fails with EPERM (status 0x%x)", st);
	st = in_child(child_killed);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "a call not allowed kills the process with SIGSYS (0x%x)", st);
	if (geteuid() != 0 || getpwnam(SANDBOX_USER) == NULL) {
		printf("ok 3 # SKIP sandbox_drop needs root and %s\n",
		    SANDBOX_USER);
		printf("ok 4 # SKIP sandbox_drop needs root and %s\n",
		    SANDBOX_USER);
		printf("ok 5 # SKIP sandbox_become_vm needs root\n");
		printf("ok 6 # SKIP sandbox_drop_keep needs root and %s\n",
		    SANDBOX_USER);
		tap_st.n += 4;
	} else {
		tap_ok(sandbox_prepare(SANDBOX_USER) == 0,
		    "sandbox_prepare: %s exists, root-owned", SANDBOX_EMPTY);
		st = in_child(child_drop);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sandbox_drop: %s, chrooted, no_new_privs, no way back "
		    "(status 0x%x)", SANDBOX_USER, st);
		st = in_child(child_become_vm);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sandbox_become_vm then sandbox_chroot_only: own uid, "
		    "no groups, CAP_SYS_CHROOT ambient, used, then gone "
		    "(status 0x%x)", st);
		st = in_child(child_keep);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sandbox_drop_keep: %s, chrooted, no_new_privs, "
		    "CAP_NET_ADMIN kept (status 0x%x)", SANDBOX_USER, st);
	}
	st = in_child(child_args0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "argument rules: matching calls pass, an errnum rule fails with "
	    "it (status 0x%x)", st);
	st = in_child(child_args1);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "argument rules: another ioctl request kills (0x%x)", st);
	st = in_child(child_args2);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "argument rules: another fcntl command kills (0x%x)", st);
	st = in_child(child_args3);
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "argument rules: an fd out of range kills (0x%x)", st);
	tap_ok(sandbox_prepare("no-such-user-here") == -1,
	    "sandbox_prepare refuses a missing user");
	return tap_done();
}
