/* SPDX-License-Identifier: ISC */
/*
 * sysinject: run one system call inside a running process, as that process
 * (its credentials, namespaces, root, seccomp filters), and print what it
 * returned. For sandbox tests: "can vmd's control process call kill(2)?"
 *
 *	sysinject [-t tid] pid syscall [arg ...]
 *
 * syscall is a name from the table below or a number. Each arg is a number
 * (decimal, 0x hex, 0 octal, negative), "@buf" (a pointer to 512 zeroed
 * bytes of scratch on the tracee's stack) or "@str:text" (a pointer to that
 * NUL-terminated text there). Prints the return value in decimal, or
 * "-ENAME" for an error, or "killed by SIGNAME" (or "exited N") when the
 * process died of the call. Exit status: 0 the call returned, 2 the process
 * died, 1 any other failure (usage, ptrace, no such process).
 *
 * How: PTRACE_SEIZE + PTRACE_INTERRUPT the thread, save its registers, find
 * a syscall instruction (0f 05) in an executable mapping, point rip at it
 * with rax and the argument registers set and orig_rax = -1 (so that a
 * system call the thread was blocked in is not restarted into ours),
 * PTRACE_SINGLESTEP, read rax, restore the registers and detach: a blocked
 * call is then restarted, or returns EINTR where Linux never restarts it
 * (epoll_wait, KVM_RUN), as after any stop. x86-64 only.
 */
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef __x86_64__
#error "sysinject: x86-64 only"
#endif

#define SYSINJECT_MAXARGS	6
#define SYSINJECT_BUFSZ		512
#define SYSINJECT_REDZONE	128
#define SYSINJECT_PF_IO_WORKER	0x00000010	/* include/linux/sched.h */
#define SYSINJECT_PF_USER_WORKER 0x00004000

static const struct sysinject_name {
	const char	*name;
	long		 nr;
} sysinject_names[] = {
	{ "read", SYS_read }, { "write", SYS_write }, { "open", SYS_open },
	{ "close", SYS_close }, { "fstat", SYS_fstat },
	{ "mmap", SYS_mmap }, { "mprotect", SYS_mprotect },
	{ "munmap", SYS_munmap }, { "brk", SYS_brk },
	{ "rt_sigaction", SYS_rt_sigaction },
	{ "rt_sigprocmask", SYS_rt_sigprocmask }, { "ioctl", SYS_ioctl },
	{ "pread64", SYS_pread64 }, { "pwrite64", SYS_pwrite64 },
	{ "madvise", SYS_madvise }, { "dup", SYS_dup }, { "dup2", SYS_dup2 },
	{ "nanosleep", SYS_nanosleep }, { "getpid", SYS_getpid },
	{ "socket", SYS_socket }, { "connect", SYS_connect },
	{ "sendto", SYS_sendto }, { "sendmsg", SYS_sendmsg },
	{ "recvmsg", SYS_recvmsg }, { "bind", SYS_bind },
	{ "listen", SYS_listen }, { "socketpair", SYS_socketpair },
	{ "clone", SYS_clone }, { "fork", SYS_fork }, { "vfork", SYS_vfork },
	{ "execve", SYS_execve }, { "exit", SYS_exit }, { "kill", SYS_kill },
	{ "uname", SYS_uname }, { "fcntl", SYS_fcntl }, { "flock", SYS_flock },
	{ "fsync", SYS_fsync }, { "truncate", SYS_truncate },
	{ "ftruncate", SYS_ftruncate }, { "getcwd", SYS_getcwd },
	{ "chdir", SYS_chdir }, { "fchdir", SYS_fchdir },
	{ "rename", SYS_rename }, { "mkdir", SYS_mkdir },
	{ "unlink", SYS_unlink }, { "chmod", SYS_chmod },
	{ "fchmod", SYS_fchmod }, { "chown", SYS_chown },
	{ "fchown", SYS_fchown }, { "umask", SYS_umask },
	{ "ptrace", SYS_ptrace }, { "getuid", SYS_getuid },
	{ "getgid", SYS_getgid }, { "setuid", SYS_setuid },
	{ "setgid", SYS_setgid }, { "geteuid", SYS_geteuid },
	{ "getegid", SYS_getegid }, { "setpgid", SYS_setpgid },
	{ "getppid", SYS_getppid }, { "setsid", SYS_setsid },
	{ "setgroups", SYS_setgroups }, { "setresuid", SYS_setresuid },
	{ "setresgid", SYS_setresgid }, { "capget", SYS_capget },
	{ "capset", SYS_capset }, { "sigaltstack", SYS_sigaltstack },
	{ "mknod", SYS_mknod }, { "personality", SYS_personality },
	{ "getpriority", SYS_getpriority }, { "setpriority", SYS_setpriority },
	{ "prctl", SYS_prctl }, { "arch_prctl", SYS_arch_prctl },
	{ "chroot", SYS_chroot }, { "mount", SYS_mount },
	{ "umount2", SYS_umount2 }, { "reboot", SYS_reboot },
	{ "sethostname", SYS_sethostname }, { "init_module", SYS_init_module },
	{ "gettid", SYS_gettid }, { "tkill", SYS_tkill }, { "futex", SYS_futex },
	{ "epoll_wait", SYS_epoll_wait }, { "exit_group", SYS_exit_group },
	{ "tgkill", SYS_tgkill }, { "openat", SYS_openat },
	{ "sched_setaffinity", SYS_sched_setaffinity },
	{ "mkdirat", SYS_mkdirat }, { "unlinkat", SYS_unlinkat },
	{ "fallocate", SYS_fallocate }, { "eventfd2", SYS_eventfd2 },
	{ "pipe2", SYS_pipe2 }, { "perf_event_open", SYS_perf_event_open },
	{ "process_vm_readv", SYS_process_vm_readv },
	{ "process_vm_writev", SYS_process_vm_writev },
	{ "kcmp", SYS_kcmp }, { "seccomp", SYS_seccomp },
	{ "getrandom", SYS_getrandom }, { "memfd_create", SYS_memfd_create },
	{ "bpf", SYS_bpf }, { "execveat", SYS_execveat },
	{ "userfaultfd", SYS_userfaultfd }, { "pkey_mprotect", SYS_pkey_mprotect },
	{ "io_uring_setup", SYS_io_uring_setup },
	{ "pidfd_send_signal", SYS_pidfd_send_signal },
	{ "open_tree", SYS_open_tree }, { "fsopen", SYS_fsopen },
	{ "clone3", SYS_clone3 }, { "pidfd_open", SYS_pidfd_open },
	{ "pidfd_getfd", SYS_pidfd_getfd },
	{ "process_madvise", SYS_process_madvise },
	{ "close_range", SYS_close_range },
	{ "unshare", SYS_unshare }, { "setns", SYS_setns },
	{ "keyctl", SYS_keyctl }, { "add_key", SYS_add_key },
	{ "mremap", SYS_mremap },
	{ NULL, 0 }
};

/* One argument: a value, or scratch to place on the tracee's stack. */
struct sysinject_arg {
	unsigned long	 val;
	const char	*str;		/* @str:text */
	int		 buf;		/* @buf */
};

static void
sysinject_usage(void)
{
	fprintf(stderr, "usage: sysinject [-t tid] pid syscall [arg ...]\n"
	    "       arg: number | @buf | @str:text\n");
	exit(1);
}

static long
sysinject_lookup(const char *s)
{
	const struct sysinject_name	*n;
	char				*end;
	long				 nr;

	for (n = sysinject_names; n->name != NULL; n++)
		if (strcmp(n->name, s) == 0)
			return n->nr;
	errno = 0;
	nr = strtol(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || nr < 0)
		return -1;
	return nr;
}

static int
sysinject_number(const char *s, unsigned long *v)
{
	char	*end;

	errno = 0;
	if (s[0] == '-')
		*v = (unsigned long)strtol(s, &end, 0);
	else
		*v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* A stopped tracee's memory: write len bytes at addr. 0 or -1. */
static int
sysinject_poke(pid_t tid, unsigned long addr, const void *data, size_t len)
{
	struct iovec	 local, remote;
	const uint8_t	*p = data;
	unsigned long	 word;
	size_t		 n;
	char		 path[64];
	int		 fd;
	ssize_t		 w = -1;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) != -1) {
		w = pwrite(fd, data, len, (off_t)addr);
		close(fd);
	}
	if (w == (ssize_t)len)
		return 0;
	local.iov_base = (void *)(uintptr_t)data;
	local.iov_len = len;
	remote.iov_base = (void *)addr;
	remote.iov_len = len;
	if (process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	/* Word by word; the last word keeps its tail bytes. */
	for (n = 0; n < len; n += sizeof(word)) {
		if (len - n < sizeof(word)) {
			errno = 0;
			word = (unsigned long)ptrace(PTRACE_PEEKDATA, tid,
			    addr + n, NULL);
			if (errno != 0)
				return -1;
			memcpy(&word, p + n, len - n);
		} else
			memcpy(&word, p + n, sizeof(word));
		if (ptrace(PTRACE_POKEDATA, tid, addr + n, word) == -1)
			return -1;
	}
	return 0;
}

/* The address of a syscall instruction (0f 05) mapped executable in pid. */
static int
sysinject_find_syscall(pid_t pid, pid_t tid, unsigned long *where)
{
	char		 path[64], line[512], perms[5];
	unsigned long	 lo, hi, a;
	uint8_t		 buf[65536];
	FILE		*maps;
	ssize_t		 n, i;
	int		 mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((maps = fopen(path, "re")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	if ((mem = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fclose(maps);
		return -1;
	}
	while (fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 ||
		    perms[2] != 'x' || strstr(line, "[vsyscall]") != NULL)
			continue;
		/* Overlapping reads by one byte: 0f 05 across a boundary. */
		for (a = lo; a < hi; a += sizeof(buf) - 1) {
			n = pread(mem, buf, hi - a < sizeof(buf) ? hi - a :
			    sizeof(buf), (off_t)a);
			if (n <= 1)
				break;
			for (i = 0; i + 1 < n; i++)
				if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
					*where = a + (unsigned long)i;
					close(mem);
					fclose(maps);
					return 0;
				}
		}
	}
	close(mem);
	fclose(maps);
	errno = ENOEXEC;
	return -1;
}

/*
 * tid is a thread of pid and not one of the kernel's workers that live in
 * a process (KVM's "kvm-nx-lpage-recovery", io_uring's): those never run
 * user code. 0 or -1.
 */
static int
sysinject_check_task(pid_t pid, pid_t tid)
{
	char		 path[64], line[1024], *p;
	unsigned long	 flags;
	FILE		*f;
	int		 i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
	    (int)tid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* Field 9, flags, counted after the comm's closing parenthesis. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (i = 2; i < 9 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %lu", &flags) != 1) {
		errno = EINVAL;
		return -1;
	}
	if ((flags & (SYSINJECT_PF_IO_WORKER | SYSINJECT_PF_USER_WORKER)) !=
	    0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Print how the process ended (a wait status); 2, the exit status. */
static int
sysinject_died(int status)
{
	const char	*name;

	if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		if (name != NULL)
			printf("killed by SIG%s\n", name);
		else
			printf("killed by signal %d\n", WTERMSIG(status));
	} else
		printf("exited %d\n", WEXITSTATUS(status));
	return 2;
}

/*
 * Wait for tid's next ptrace stop. Returns 1 stopped (*status), 0 the
 * process died (reported, *status its wait status), -1 error.
 */
static int
sysinject_wait(pid_t tid, int *status)
{
	unsigned long	msg;

	for (;;) {
		if (waitpid(tid, status, __WALL) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(*status) || WIFSIGNALED(*status))
			return 0;
		if (WIFSTOPPED(*status) &&
		    (*status >> 16) == PTRACE_EVENT_EXIT) {
			if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == -1)
				msg = 0;
			*status = (int)msg;
			/* Let it finish dying; we are done with it. */
			(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
			return 0;
		}
		return 1;
	}
}

/* Stop tid in a ptrace stop, passing on signals that arrive first. */
static int
sysinject_stop(pid_t tid, int *status)
{
	int	rv, tries;

	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) == -1)
		return -1;
	for (tries = 0; tries < 100; tries++) {
		if ((rv = sysinject_wait(tid, status)) != 1)
			return rv;
		/* The interrupt: an event stop (group stops look alike). */
		if ((*status >> 16) == PTRACE_EVENT_STOP)
			return 1;
		/* A signal-delivery-stop: deliver it, wait for ours. */
		if (ptrace(PTRACE_CONT, tid, NULL,
		    (void *)(uintptr_t)WSTOPSIG(*status)) == -1)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

int
main(int argc, char *argv[])
{
	struct sysinject_arg	 args[SYSINJECT_MAXARGS];
	struct user_regs_struct	 saved, regs;
	unsigned long		 insn, scratch, size, at, zero[SYSINJECT_BUFSZ /
				    sizeof(unsigned long)];
	const char		*name;
	long			 nr, rv;
	pid_t			 pid, tid = 0;
	int			 nargs, i, status, r, pending = 0;

	/* By hand: negative numbers among the arguments are no options. */
	argc--;
	argv++;
	if (argc >= 2 && strcmp(argv[0], "-t") == 0) {
		if ((tid = (pid_t)strtol(argv[1], NULL, 10)) <= 0)
			sysinject_usage();
		argc -= 2;
		argv += 2;
	} else if (argc >= 1 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 2 || argc - 2 > SYSINJECT_MAXARGS)
		sysinject_usage();
	if ((pid = (pid_t)strtol(argv[0], NULL, 10)) <= 0)
		sysinject_usage();
	if (tid == 0)
		tid = pid;
	if ((nr = sysinject_lookup(argv[1])) == -1) {
		fprintf(stderr, "sysinject: unknown system call %s\n", argv[1]);
		return 1;
	}
	nargs = argc - 2;
	memset(args, 0, sizeof(args));
	size = 0;
	for (i = 0; i < nargs; i++) {
		if (strcmp(argv[2 + i], "@buf") == 0) {
			args[i].buf = 1;
			size += SYSINJECT_BUFSZ;
		} else if (strncmp(argv[2 + i], "@str:", 5) == 0) {
			args[i].str = argv[2 + i] + 5;
			size += (strlen(args[i].str) + 16) & ~15UL;
		} else if (sysinject_number(argv[2 + i], &args[i].val) == -1) {
			fprintf(stderr, "sysinject: bad argument %s\n",
			    argv[2 + i]);
			return 1;
		}
	}

	if (sysinject_check_task(pid, tid) == -1) {
		fprintf(stderr, "sysinject: %d is no user thread of %d: %s\n",
		    (int)tid, (int)pid, strerror(errno));
		return 1;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL,
	    (void *)(uintptr_t)PTRACE_O_TRACEEXIT) == -1) {
		fprintf(stderr, "sysinject: seize %d: %s\n", (int)tid,
		    strerror(errno));
		return 1;
	}
	if ((r = sysinject_stop(tid, &status)) != 1) {
		if (r == 0)
			return sysinject_died(status);
		fprintf(stderr, "sysinject: stop %d: %s\n", (int)tid,
		    strerror(errno));
		return 1;
	}
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) == -1 ||
	    sysinject_find_syscall(pid, tid, &insn) == -1) {
		fprintf(stderr, "sysinject: %d: %s\n", (int)tid,
		    strerror(errno));
		(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return 1;
	}

	/* Scratch below the red zone, 16-byte aligned; the ABI owns none. */
	regs = saved;
	scratch = (saved.rsp - SYSINJECT_REDZONE - size) & ~15UL;
	memset(zero, 0, sizeof(zero));
	for (i = 0, at = scratch; i < nargs; i++) {
		if (args[i].buf) {
			if (sysinject_poke(tid, at, zero, sizeof(zero)) == -1)
				goto pokefail;
			args[i].val = at;
			at += SYSINJECT_BUFSZ;
		} else if (args[i].str != NULL) {
			if (sysinject_poke(tid, at, args[i].str,
			    strlen(args[i].str) + 1) == -1)
				goto pokefail;
			args[i].val = at;
			at += (strlen(args[i].str) + 16) & ~15UL;
		}
	}
	regs.rip = insn;
	regs.rax = (unsigned long)nr;
	regs.orig_rax = (unsigned long)-1;
	regs.rdi = args[0].val;
	regs.rsi = args[1].val;
	regs.rdx = args[2].val;
	regs.r10 = args[3].val;
	regs.r8 = args[4].val;
	regs.r9 = args[5].val;
	/* Keep the stack pointer below the scratch while the call runs. */
	regs.rsp = scratch - SYSINJECT_REDZONE;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) == -1) {
		fprintf(stderr, "sysinject: setregs: %s\n", strerror(errno));
		(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return 1;
	}

	/*
	 * One step: the call runs, the step trap stops the thread after it.
	 * A signal that arrives first is held back and delivered on detach.
	 */
	for (;;) {
		if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == -1) {
			fprintf(stderr, "sysinject: singlestep: %s\n",
			    strerror(errno));
			return 1;
		}
		if ((r = sysinject_wait(tid, &status)) == 0)
			return sysinject_died(status);
		if (r == -1) {
			fprintf(stderr, "sysinject: wait: %s\n",
			    strerror(errno));
			return 1;
		}
		if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) == -1) {
			fprintf(stderr, "sysinject: getregs: %s\n",
			    strerror(errno));
			return 1;
		}
		if (WSTOPSIG(status) == SIGTRAP && regs.rip == insn + 2)
			break;
		if (regs.rip == insn && (status >> 16) == 0 &&
		    WSTOPSIG(status) != SIGTRAP)
			pending = WSTOPSIG(status);
		else if (regs.rip != insn) {
			/* Stopped elsewhere (a SIGSYS of a TRAP filter...). */
			if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
				pending = WSTOPSIG(status);
			break;
		}
	}
	rv = (long)regs.rax;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &saved) == -1) {
		fprintf(stderr, "sysinject: restore: %s\n", strerror(errno));
		return 1;
	}
	/* A SECCOMP_RET_TRAP filter's SIGSYS is ours: not passed on. */
	if (pending == SIGSYS && regs.rip == insn + 2) {
		(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
		printf("trapped by SIGSYS\n");
		return 0;
	}
	(void)ptrace(PTRACE_DETACH, tid, NULL, (void *)(uintptr_t)pending);
	if (rv < 0 && rv >= -4095) {
		if ((name = strerrorname_np((int)-rv)) != NULL)
			printf("-%s\n", name);
		else
			printf("-E%ld\n", -rv);
	} else
		printf("%ld\n", rv);
	return 0;

 pokefail:
	fprintf(stderr, "sysinject: write scratch at %#lx: %s\n", at,
	    strerror(errno));
	(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return 1;
}
