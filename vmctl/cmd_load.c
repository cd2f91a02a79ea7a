/* SPDX-License-Identifier: ISC */
/* vmctl load: add the VMs of another configuration file (root). */
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_load(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_path	path;
	struct proto_result	r;
	uint8_t			buf[sizeof(path)];
	char			abs[PATH_MAX];
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("load", &ch));
	if (optind != argc - 1)
		cmd_usage(cmd_find("load", &ch));
	if (realpath(argv[optind], abs) == NULL)
		err(1, "%s", argv[optind]);
	memset(&path, 0, sizeof(path));
	if (strlcpy(path.path, abs, sizeof(path.path)) >= sizeof(path.path))
		errx(1, "path too long: %s", abs);
	if (cmd_ctl_simple(opts, IMSG_CONF_LOAD_REQ, buf,
	    proto_path_encode(&path, buf), &r) != 0)
		errx(1, "load command failed: %s", proto_result_why(&r));
	return 0;
}
