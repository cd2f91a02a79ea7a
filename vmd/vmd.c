/* SPDX-License-Identifier: ISC */
/* vmd: the entry point; `vmd -P proc` is a privsep child, `vmd -V fd` a VM. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
main(int argc, char *argv[])
{
	struct vmd_opts	 opts;
	const char	*errstr, *proc = NULL;
	int		 ch, vmfd = -1, noaction = 0, vmsyslog = 0;

	memset(&opts, 0, sizeof(opts));
	opts.sockpath = VMD_SOCKET;
	while ((ch = getopt(argc, argv, "dD:f:LnP:s:vV:")) != -1) {
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
		case 'V':
			vmfd = (int)strtonum(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL)
				fatalx("vm fd %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (vmfd != -1) {
		/* The VM process: stderr, or syslog when vmd runs detached. */
		log_init(!vmsyslog, opts.verbose);
		log_procname("vm");
		return vm_main(vmfd);
	}
	if (noaction)
		return config_check(opts.conffile, &opts.macros, opts.verbose);
	if (proc != NULL) {
		log_init(opts.debug, opts.verbose);
		log_procname(proc);
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
	return parent_main(&opts);
}
