/* SPDX-License-Identifier: ISC */
/* vmctl reload: re-read vmd's configuration file (root). */
#include <err.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_reload(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_result	r;
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("reload", &ch));
	if (optind != argc)
		cmd_usage(cmd_find("reload", &ch));
	if (cmd_ctl_simple(opts, IMSG_CONF_RELOAD_REQ, NULL, 0, &r) != 0)
		errx(1, "reload command failed: %s", proto_result_why(&r));
	return 0;
}
