/* SPDX-License-Identifier: ISC */
/* vmctl log: switch vmd's logging between brief and verbose (root). */
#include <err.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_log(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_result	r;
	uint8_t			buf[4];
	uint32_t		v;
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("log", &ch));
	if (optind != argc - 1)
		cmd_usage(cmd_find("log", &ch));
	if (strcmp(argv[optind], "brief") == 0)
		v = 0;
	else if (strcmp(argv[optind], "verbose") == 0)
		v = 2;
	else
		cmd_usage(cmd_find("log", &ch));
	if (cmd_ctl_simple(opts, IMSG_LOG_VERBOSE_REQ, buf,
	    proto_u32_encode(v, buf), &r) != 0)
		errx(1, "log command failed: %s", proto_result_why(&r));
	return 0;
}
