/* SPDX-License-Identifier: ISC */
/* vmctl pause and unpause: freeze and resume a VM's vCPUs and clock. */
#include <err.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

static int
pause_do(const struct vmctl_opts *opts, int argc, char *argv[], int pause)
{
	struct proto_vmref	ref;
	struct proto_result	r;
	uint8_t			buf[sizeof(ref)];
	const char		*verb = pause ? "pause" : "unpause";
	int			ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find(verb, &ch));
	if (optind != argc - 1)
		cmd_usage(cmd_find(verb, &ch));
	cmd_ctl_vmref(argv[optind], &ref);
	if (cmd_ctl_simple(opts, pause ? IMSG_VM_PAUSE_REQ :
	    IMSG_VM_UNPAUSE_REQ, buf, proto_vmref_encode(&ref, buf), &r) != 0)
		errx(1, "%s vm command failed: %s", verb,
		    proto_result_why(&r));
	warnx("%sd vm %u successfully", verb, r.id);
	return 0;
}

int
cmd_pause(const struct vmctl_opts *opts, int argc, char *argv[])
{
	return pause_do(opts, argc, argv, 1);
}

int
cmd_unpause(const struct vmctl_opts *opts, int argc, char *argv[])
{
	return pause_do(opts, argc, argv, 0);
}
