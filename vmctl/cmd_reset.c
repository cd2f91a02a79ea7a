/* SPDX-License-Identifier: ISC */
/* vmctl reset: purge vmd's VMs and/or switches (root). */
#include <err.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_reset(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_result	r;
	uint8_t			buf[4];
	uint32_t		mask = PROTO_RESET_ALL;
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("reset", &ch));
	if (argc - optind > 1)
		cmd_usage(cmd_find("reset", &ch));
	if (optind < argc) {
		if (strcmp(argv[optind], "all") == 0)
			mask = PROTO_RESET_ALL;
		else if (strcmp(argv[optind], "vms") == 0)
			mask = PROTO_RESET_VMS;
		else if (strcmp(argv[optind], "switches") == 0)
			mask = PROTO_RESET_SWITCHES;
		else
			cmd_usage(cmd_find("reset", &ch));
	}
	if (cmd_ctl_simple(opts, IMSG_CONF_RESET_REQ, buf,
	    proto_u32_encode(mask, buf), &r) != 0)
		errx(1, "reset command failed: %s", proto_result_why(&r));
	return 0;
}
