/* SPDX-License-Identifier: ISC */
/*
 * vmd: the entry point; `vmd -P proc` is a privsep child, `vmd -V fd` a VM.
 * ps shows the children as vmd titles its processes: `vmd: control`,
 * `vmd: vmm`, `vmd: priv`, `vmd: vm NAME`; the parent keeps its command
 * line (the flags it was started with).
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "proc.h"
#include "vm/vm.h"
#include "vmd/vmd.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vmd [-dnv] [-D macro=value] [-f file] "
	    "[-s socket]\n");
	exit(1);
}

/*
 * vmd_fds: the parent keeps nothing it inherited but stdin, stdout and
 * stderr (each opened on /dev/null if it was closed, so that no socket
 * or file of ours lands on 0-2). 0, or -1 with errno.
 */
static int
vmd_fds(void)
{
	int	fd;

	if (close_range(STDERR_FILENO + 1, ~0U, 0) == -1)
		return -1;
	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == STDIN_FILENO ? O_RDONLY :
		    O_WRONLY) != fd)
			return -1;
	}
	return 0;
}

/*
 * vmd_nofile: the parent holds a pty and a channel per VM, vmm a channel
 * per VM and control one socket per client: raise the soft limit on open
 * files to the hard one, for the privsep children to inherit, so that the
 * number of VMs is bounded by what the administrator allows (the hard
 * limit) and not by the usual soft 1024.  0, or -1 with errno.
 */
static int
vmd_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * vmd_chan_cloexec: a child's own channel is close-on-exec, so nothing
 * it starts inherits it. 0, or -1 with errno.
 */
static int
vmd_chan_cloexec(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

pid_t
vmd_spawn(const struct vmd_opts *opts, const char *proc, int *fd)
{
	char	*argv[16];
	int	 n = 0, i;
	pid_t	 pid;

	argv[n++] = (char *)(uintptr_t)"vmd";
	if (opts->debug)
		argv[n++] = (char *)(uintptr_t)"-d";
	for (i = 0; i < opts->verbose && i < 3; i++)
		argv[n++] = (char *)(uintptr_t)"-v";
	argv[n++] = (char *)(uintptr_t)"-s";
	argv[n++] = (char *)(uintptr_t)opts->sockpath;
	argv[n++] = (char *)(uintptr_t)"-P";
	argv[n++] = (char *)(uintptr_t)proc;
	argv[n] = NULL;
	if ((pid = proc_spawn(argv, fd)) == -1)
		log_warn("%s: %s", __func__, proc);
	return pid;
}

int
main(int argc, char *argv[], char *envp[])
{
	struct vmd_opts	 opts;
	const char	*proc = NULL;
	uint64_t	 exec_ns = 0;
	int		 ch, vmfd = -1, noaction = 0, vmsyslog = 0;

	/*
	 * Before getopt reads argv: this moves argv and the environment
	 * aside, so that setproctitle may write over where they were.
	 */
	setproctitle_init(argc, argv, envp);
	memset(&opts, 0, sizeof(opts));
	opts.sockpath = VMD_SOCKET;
	while ((ch = getopt(argc, argv, "dD:f:LnP:s:T:vV:")) != -1) {
		switch (ch) {
		case 'd':
			opts.debug = 1;
			break;
		case 'D':
			if (config_macros_add(&opts.macros, optarg) == -1) {
				fprintf(stderr, "vmd: could not parse macro "
				    "definition %s\n", optarg);
				exit(1);
			}
			break;
		case 'f':
			opts.conffile = optarg;
			break;
		case 'L':
			vmsyslog = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			proc = optarg;
			break;
		case 's':
			opts.sockpath = optarg;
			break;
		case 'v':
			opts.verbose++;
			break;
		default:
			if (!launch_vm_opt(ch, optarg, &vmfd, &exec_ns))
				usage();
		}
	}
	if (optind != argc)
		usage();
	if (proc == NULL && vmfd == -1 && vmd_fds() == -1) {
		fprintf(stderr, "vmd: closing inherited fds: %s\n",
		    strerror(errno));
		exit(1);
	}
	if (vmfd != -1) {
		/* The VM process: stderr, or syslog when vmd runs detached. */
		log_init(!vmsyslog, opts.verbose);
		log_procname("vm");
		/* vm_main adds the name once it has read it. */
		setproctitle("vm");
		if (vmd_chan_cloexec(vmfd) == -1)
			fatal("vm fd %d", vmfd);
		return vm_main(vmfd, exec_ns);
	}
	if (noaction)
		return config_check(opts.conffile, &opts.macros, opts.verbose);
	if (proc != NULL) {
		log_init(opts.debug, opts.verbose);
		log_procname(proc);
		/* ps: vmd: control, ... (memory writes only: no syscall). */
		setproctitle("%s", proc);
		if (vmd_chan_cloexec(PROC_CHILD_FD) == -1)
			fatal("channel fd %d", PROC_CHILD_FD);
		if (strcmp(proc, "control") == 0)
			return control_main(&opts, PROC_CHILD_FD);
		if (strcmp(proc, "vmm") == 0)
			return vmm_main(&opts, PROC_CHILD_FD);
		if (strcmp(proc, "priv") == 0)
			return priv_main(&opts, PROC_CHILD_FD);
		usage();
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vmd: need root privileges\n");
		exit(1);
	}
	if (opts.sockpath[0] != '/') {
		fprintf(stderr, "vmd: socket path must be absolute\n");
		exit(1);
	}
	log_init(1, opts.verbose);
	log_procname("parent");
	if (vmd_nofile() == -1)
		log_warn("raising the open files limit");
	return parent_main(&opts);
}
