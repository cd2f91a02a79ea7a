/* SPDX-License-Identifier: ISC */
/* vmctl stop: ask a VM (or all) to shut down, or end it by force. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

/* Stop one VM; 0 or 1 (the message is printed). */
static int
stop_one(const struct vmctl_opts *opts, const char *what,
    const struct proto_vmref *ref)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(*ref)];
	int			len;

	len = proto_vmref_encode(ref, buf);
	if (cmd_ctl_simple(opts, IMSG_VM_STOP_REQ, buf, len, &r) != 0) {
		if (r.error == PROTO_ENOTRUNNING)
			warnx("cannot stop vm that is not running");
		else
			warnx("stopping vm %s: failed: %s", what,
			    proto_result_why(&r));
		return 1;
	}
	if (ref->flags & PROTO_VMREF_F_WAIT)
		warnx("stopping vm %s: terminated vm %u", r.name, r.id);
	else if (ref->flags & PROTO_VMREF_F_FORCE)
		warnx("stopping vm %s: forced to terminate vm %u", r.name,
		    r.id);
	else
		warnx("stopping vm %s: requested to shutdown vm %u", r.name,
		    r.id);
	return 0;
}

/* Every running VM, one by one. */
static int
stop_all(const struct vmctl_opts *opts, uint32_t flags)
{
	struct proto_vminfo	*vms;
	struct proto_vmref	 ref;
	size_t			 n, i;
	int			 rv = 0;

	n = cmd_status_list(opts, NULL, 1, &vms);
	for (i = 0; i < n; i++) {
		memset(&ref, 0, sizeof(ref));
		ref.id = vms[i].id;
		ref.flags = flags;
		rv |= stop_one(opts, vms[i].name, &ref);
	}
	free(vms);
	return rv;
}

int
cmd_stop(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_vmref	ref;
	uint32_t		flags = 0;
	int			ch, all = 0;

	while ((ch = getopt(argc, argv, "afw")) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'f':
			flags |= PROTO_VMREF_F_FORCE;
			break;
		case 'w':
			flags |= PROTO_VMREF_F_WAIT;
			break;
		default:
			cmd_usage(cmd_find("stop", &ch));
		}
	}
	if (all) {
		if (optind != argc)
			cmd_usage(cmd_find("stop", &ch));
		return stop_all(opts, flags);
	}
	if (optind != argc - 1)
		cmd_usage(cmd_find("stop", &ch));
	cmd_ctl_vmref(argv[optind], &ref);
	ref.flags = flags;
	return stop_one(opts, argv[optind], &ref);
}
