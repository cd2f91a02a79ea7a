/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/sandbox.c: seccomp allow-lists and dropping to _vmd. */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
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

/* vmm's way: _vmd keeping CAP_SYS_CHROOT, then a VM's chroot and no caps. */
static int
child_keep_chroot(void)
{
	struct passwd	*pw = getpwnam(SANDBOX_USER);

	if (pw == NULL || sandbox_drop_keep_chroot(SANDBOX_USER) == -1)
		return 30;
	if (getuid() != pw->pw_uid || !sandbox_has_chroot())
		return 31;
	if (sandbox_chroot_only(SANDBOX_EMPTY) == -1)
		return 32;
	if (sandbox_has_chroot() || access("/proc", F_OK) == 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 33;
	return 0;
}

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
		tap_st.n++;
	} else {
		tap_ok(sandbox_prepare(SANDBOX_USER) == 0,
		    "sandbox_prepare: %s exists, root-owned", SANDBOX_EMPTY);
		st = in_child(child_drop);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sandbox_drop: %s, chrooted, no_new_privs, no way back "
		    "(status 0x%x)", SANDBOX_USER, st);
		st = in_child(child_keep_chroot);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "sandbox_drop_keep_chroot then sandbox_chroot_only: "
		    "CAP_SYS_CHROOT kept, used, then gone (status 0x%x)", st);
	}
	tap_ok(sandbox_prepare("no-such-user-here") == -1,
	    "sandbox_prepare refuses a missing user");
	return tap_done();
}
