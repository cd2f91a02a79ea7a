/* SPDX-License-Identifier: ISC */
/*
 * vmd-vm: the VM process program. The same VM process as `vmd -V fd`
 * (vm_main), linked statically (Makefile): no dynamic loader, no shared
 * library mapped, so it reaches the guest's first instruction sooner and
 * holds less memory. vmd and `vmctl run` exec it as "vmd [-L] [-v...]
 * -V fd -T ns" when it is installed beside vmd (lib/launch.c).
 */
#include <sys/prctl.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "vm.h"

static void __attribute__((noreturn))
main_usage(void)
{
	fprintf(stderr, "usage: vmd-vm [-Lv] -V fd [-T ns]\n");
	exit(1);
}

int
main(int argc, char *argv[], char *envp[])
{
	uint64_t	 exec_ns = 0;
	int		 ch, vmfd = -1, verbose = 0, vmsyslog = 0;

	/* Before getopt reads argv (see vmd/vmd.c). */
	setproctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "LT:vV:")) != -1) {
		switch (ch) {
		case 'L':
			vmsyslog = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			if (!launch_vm_opt(ch, optarg, &vmfd, &exec_ns))
				main_usage();
		}
	}
	if (optind != argc || vmfd == -1)
		main_usage();
	/* Stderr, or syslog when vmd runs detached. */
	log_init(!vmsyslog, verbose);
	log_procname("vm");
	/*
	 * Named as `vmd -V` is: command name vmd (ps -C vmd, pgrep -x vmd),
	 * title `vmd: vm` (vm_main adds the name once it has read it).
	 */
	(void)prctl(PR_SET_NAME, "vmd", 0, 0, 0);
	setproctitle("vm");
	/* Nothing it starts inherits its channel. */
	if (fcntl(vmfd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("vm fd %d", vmfd);
	return vm_main(vmfd, exec_ns);
}
