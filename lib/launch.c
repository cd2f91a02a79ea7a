/* SPDX-License-Identifier: ISC */
/* Starting a VM process: fork, a uid of its own, exec, its description. */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "launch.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

/* Room for the launch messages and more before a sender would block. */
#define LAUNCH_SOCKBUF	(1024 * 1024)

int
launch_vm_opt(int ch, const char *arg, int *vmfd, uint64_t *exec_ns)
{
	const char	*errstr;

	switch (ch) {
	case 'T':
		*exec_ns = (uint64_t)strtonum(arg, 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			fatalx("exec time %s: %s", arg, errstr);
		return 1;
	case 'V':
		*vmfd = (int)strtonum(arg, 0, INT_MAX, &errstr);
		if (errstr != NULL)
			fatalx("vm fd %s: %s", arg, errstr);
		return 1;
	default:
		return 0;
	}
}

int
launch_vm_prog(const char *vmd, char *path, size_t len)
{
	if ((size_t)snprintf(path, len, "%s%s", vmd, LAUNCH_VM_SUFFIX) <
	    len && access(path, X_OK) == 0)
		return 0;
	if (strlcpy(path, vmd, len) >= len) {
		log_warnx("%s: %s: path too long", __func__, vmd);
		return -1;
	}
	return 0;
}

uid_t
launch_uid(pid_t pid)
{
	return (uid_t)(LAUNCH_UID_BASE + ((uint32_t)pid % LAUNCH_UID_SPAN));
}

/*
 * Write CLOCK_MONOTONIC in nanoseconds into stamp (LAUNCH_STAMP_LEN
 * bytes: decimal digits, zero-padded, NUL-ended). Between fork and exec:
 * only clock_gettime, no stdio.
 */
static void
launch_stamp(char *stamp)
{
	struct timespec	 ts;
	uint64_t	 ns;
	int		 i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	stamp[LAUNCH_STAMP_LEN - 1] = '\0';
	for (i = LAUNCH_STAMP_LEN - 2; i >= 0; i--) {
		stamp[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
}

/*
 * The child, between fork and exec: signals back to their defaults, the
 * channel on fd 3 and nothing else but stdio, its own uid, and the time
 * of the exec in stamp (if not NULL, an argument of argv). Never returns.
 */
static void __attribute__((noreturn))
launch_child(const char *prog, char *const argv[], int flags, int fd,
    pid_t ppid, char *stamp)
{
	struct sigaction	sa;
	sigset_t		all;
	const int		sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP,
				    SIGCHLD, SIGPIPE };
	size_t			i;
	uid_t			uid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	/* dup2 clears close-on-exec on the new number. */
	if (fd == PROC_CHILD_FD) {
		if (fcntl(fd, F_SETFD, 0) == -1)
			_exit(127);
	} else if (dup2(fd, PROC_CHILD_FD) == -1)
		_exit(127);
	if (syscall(SYS_close_range, PROC_CHILD_FD + 1, ~0U, 0) == -1)
		_exit(127);
	if (flags & LAUNCH_F_OWN_UID) {
		uid = launch_uid(getpid());
		if (sandbox_become_vm(uid, (gid_t)uid) == -1)
			_exit(127);
	}
	/* After any change of credentials, which clears it. */
	if ((flags & LAUNCH_F_DEATHSIG) &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != ppid))
		_exit(127);
	if (stamp != NULL)
		launch_stamp(stamp);
	execv(prog, argv);
	_exit(127);
}

/* launch_fork, and the child's exec time into stamp if not NULL. */
static pid_t
launch_fork_stamp(const char *prog, char *const argv[], int flags, int *sock,
    char *stamp)
{
	int	 sv[2], bufsz = LAUNCH_SOCKBUF;
	pid_t	 pid, ppid = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", __func__);
		return -1;
	}
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", __func__);
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0:
		launch_child(prog, argv, flags, sv[1], ppid, stamp);
	default:
		break;
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

pid_t
launch_fork(const char *prog, char *const argv[], int flags, int *sock)
{
	return launch_fork_stamp(prog, argv, flags, sock, NULL);
}

pid_t
launch_spawn(const struct launch *l, int *sock)
{
	char	 fdarg[16], stamp[LAUNCH_STAMP_LEN], *argv[12];
	int	 n = 0, i, fd;
	pid_t	 pid;

	snprintf(fdarg, sizeof(fdarg), "%d", PROC_CHILD_FD);
	argv[n++] = (char *)(uintptr_t)"vmd";
	if (l->syslog)
		argv[n++] = (char *)(uintptr_t)"-L";
	for (i = 0; i < l->verbose && i < 3; i++)
		argv[n++] = (char *)(uintptr_t)"-v";
	argv[n++] = (char *)(uintptr_t)"-V";
	argv[n++] = fdarg;
	/* The child writes the time of its exec here. */
	memset(stamp, '0', sizeof(stamp) - 1);
	stamp[sizeof(stamp) - 1] = '\0';
	argv[n++] = (char *)(uintptr_t)"-T";
	argv[n++] = stamp;
	argv[n] = NULL;
	if ((pid = launch_fork_stamp(l->prog, argv, LAUNCH_F_DEATHSIG |
	    (l->own_uid ? LAUNCH_F_OWN_UID : 0), &fd, stamp)) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		log_warn("%s: O_NONBLOCK", __func__);
		close(fd);
		kill(pid, SIGKILL);
		return pid;	/* the caller reaps it; its channel is gone */
	}
	*sock = fd;
	return pid;
}

int
launch_send(int sock, const struct proto_vmcreate *c,
    const struct launch_fd *fds, size_t n, const struct proto_cpuid *cpuid)
{
	uint8_t	*buf, fbuf[64];
	size_t	 i;
	int	 len;

	if ((buf = malloc(IMSG_MAX_PAYLOAD)) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	if ((len = proto_vmcreate_encode(c, buf)) == -1 ||
	    imsg_send(sock, IMSG_VMP_CREATE_REQ, 0, buf, (size_t)len,
	    -1) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		len = proto_fdreq_encode(&fds[i].req, fbuf);
		if (imsg_send(sock, IMSG_VMP_FD_REQ, 0, fbuf, (size_t)len,
		    fds[i].fd) == -1)
			goto fail;
	}
	if (cpuid != NULL && ((len = proto_cpuid_encode(cpuid, buf)) == -1 ||
	    imsg_send(sock, IMSG_VMP_CPUID_REQ, 0, buf, (size_t)len,
	    -1) == -1))
		goto fail;
	if (imsg_send(sock, IMSG_VMP_START_REQ, 0, NULL, 0, -1) == -1)
		goto fail;
	free(buf);
	return 0;
 fail:
	if (errno == 0)
		errno = EINVAL;
	log_warn("%s: the vm process's description", __func__);
	free(buf);
	return -1;
}
