/* SPDX-License-Identifier: ISC */
/* vmctl wait: block until a VM stops. */
#include <err.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_wait(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_vmref	ref;
	struct proto_result	r;
	uint8_t			buf[sizeof(ref)];
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("wait", &ch));
	if (optind != argc - 1)
		cmd_usage(cmd_find("wait", &ch));
	cmd_ctl_vmref(argv[optind], &ref);
	if (cmd_ctl_simple(opts, IMSG_VM_WAIT_REQ, buf,
	    proto_vmref_encode(&ref, buf), &r) != 0)
		errx(1, "wait vm command failed: %s", proto_result_why(&r));
	return 0;
}
