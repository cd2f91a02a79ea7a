/* SPDX-License-Identifier: ISC */
/* vmctl: control the VM daemon, or run one VM in the foreground. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmctl.h"

int
main(int argc, char *argv[])
{
	const struct vmctl_cmd	*cmd;
	struct vmctl_opts	 opts = { "/run/vmd.sock", 0 };
	int			 ch, ambiguous;

	while ((ch = getopt(argc, argv, "+s:v")) != -1) {
		switch (ch) {
		case 's':
			opts.socket = optarg;
			break;
		case 'v':
			opts.verbose++;
			break;
		default:
			cmd_usage_all();
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cmd_usage_all();
		return 1;
	}
	if ((cmd = cmd_find(argv[0], &ambiguous)) == NULL) {
		if (ambiguous)
			warnx("ambiguous argument: %s", argv[0]);
		else
			warnx("unknown command: %s", argv[0]);
		cmd_usage_all();
		return 1;
	}
	optind = 0;
	return cmd->run(&opts, argc, argv);
}
