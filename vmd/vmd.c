/* SPDX-License-Identifier: ISC */
/* vmd: the entry point; `vmd -V fd` is the VM process. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "vm/vm.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vmd -V fd\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch, vmfd = -1, verbose = 0;

	while ((ch = getopt(argc, argv, "vV:")) != -1) {
		switch (ch) {
		case 'v':
			verbose++;
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
	if (optind != argc || vmfd == -1)
		usage();
	log_init(1, verbose);
	log_procname("vm");
	return vm_main(vmfd);
}
