/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/jail.c's filter: the program made at build time is
 * libseccomp's for the rules (vm/jail_rules.c), and loaded it refuses what
 * the rules refuse.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/filter.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "sandbox.h"
#include "vm/jail.h"

#define LIM	(1ULL << 20)	/* the disks' limit in the children */

/* libseccomp's program for pid and lim: its length, into prog. */
static size_t
libseccomp_prog(uint64_t pid, uint64_t lim, struct sock_filter *prog,
    size_t max)
{
	struct sandbox_filter	*f;
	off_t			 len;
	int			 fd;

	if ((f = jail_rules_build(pid, lim)) == NULL)
		return 0;
	if ((fd = memfd_create("jail_test", 0)) == -1) {
		sandbox_filter_free(f);
		return 0;
	}
	if (sandbox_filter_export(f, fd) == -1 ||
	    (len = lseek(fd, 0, SEEK_CUR)) <= 0 ||
	    (size_t)len > max * sizeof(*prog) ||
	    pread(fd, prog, (size_t)len, 0) != len)
		len = 0;
	sandbox_filter_free(f);
	close(fd);
	return (size_t)len / sizeof(*prog);
}

/*
 * In a child: load the build-time filter for this process and a disk
 * limit of LIM, then make one call (which). Exits 0 if an allowed call
 * worked or a refused one failed with EPERM; a call the filter kills
 * for never returns.
 */
static int
child(int which)
{
	static struct sock_filter	 prog[BPF_MAXINSNS];
	size_t				 n;
	pid_t				 ppid = getppid();
	int				 fd, p[2];
	char				 c = 0;

	/* A disk above JAIL_DISK_FD_MIN, and a pipe for write(). */
	if ((fd = memfd_create("disk", 0)) == -1 ||
	    dup2(fd, JAIL_DISK_FD_MIN) == -1 || pipe(p) == -1)
		return 90;
	if ((n = jail_bpf((uint64_t)getpid(), LIM, prog, BPF_MAXINSNS)) == 0 ||
	    sandbox_load_bpf(prog, n) == -1)
		return 91;
	switch (which) {
	case 0:		/* allowed: positioned writes below the limit */
		if (syscall(SYS_pwrite64, JAIL_DISK_FD_MIN, &c, 1,
		    (off_t)LIM - 1) != 1)
			return 92;
		if (syscall(SYS_write, p[1], &c, 1) != 1)
			return 93;
		if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) != 0)
			return 94;
		break;
	case 1:		/* EPERM: socket */
		if (syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0) != -1 ||
		    errno != EPERM)
			return 95;
		break;
	case 2:		/* killed: past the limit */
		(void)syscall(SYS_pwrite64, JAIL_DISK_FD_MIN, &c, 1,
		    (off_t)LIM + 1);
		return 96;
	case 3:		/* killed: write() on a disk */
		(void)syscall(SYS_write, JAIL_DISK_FD_MIN, &c, 1);
		return 97;
	case 4:		/* killed: a signal to another process */
		(void)syscall(SYS_tgkill, ppid, ppid, 0);
		return 98;
	case 5:		/* killed: executable memory */
		(void)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return 99;
	default:	/* killed: opening a file */
		(void)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
		return 100;
	}
	syscall(SYS_exit_group, 0);
	return 101;
}

static int
in_child(int which)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0)
		_exit(child(which));
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return -1;
	return status;
}

int
main(void)
{
	static struct sock_filter	 a[BPF_MAXINSNS], b[BPF_MAXINSNS];
	const uint64_t			 pids[] = { 1, (uint64_t)getpid(),
					    4194303 };
	const uint64_t			 lims[] = { 0, 1ULL << 30,
					    (1ULL << 32) + 512, INT64_MAX };
	const char			*killed[] = { "past the limit",
					    "write() on a disk", "tgkill to "
					    "another process", "PROT_EXEC",
					    "openat" };
	size_t				 i, j, na, nb;
	int				 st, same = 1;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		for (j = 0; j < sizeof(lims) / sizeof(lims[0]); j++) {
			na = jail_bpf(pids[i], lims[j], a, BPF_MAXINSNS);
			nb = libseccomp_prog(pids[i], lims[j], b,
			    BPF_MAXINSNS);
			if (na == 0 || na != nb ||
			    memcmp(a, b, na * sizeof(*a)) != 0)
				same = 0;
		}
	tap_ok(same, "the build-time program is libseccomp's for the rules "
	    "(%zu pids x %zu limits)", sizeof(pids) / sizeof(pids[0]),
	    sizeof(lims) / sizeof(lims[0]));
	tap_ok(jail_bpf(1, 1, a, 8) == 0, "jail_bpf refuses a short buffer");
	st = in_child(0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "loaded: positioned disk writes below the limit, write() to a "
	    "pipe and tgkill to itself work (status 0x%x)", st);
	st = in_child(1);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "loaded: socket fails with EPERM (status 0x%x)", st);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		st = in_child((int)i + 2);
		tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		    "loaded: %s kills the process (status 0x%x)", killed[i],
		    st);
	}
	return tap_done();
}
