/* SPDX-License-Identifier: ISC */
/* vmctl stop: ask a VM (or all) to shut down, or end it by force. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

/*
 * Requests in flight on stop -a's connection: vmd reads no more than
 * VMD_CLIENT_INFLIGHT (4) from a client before it has answered one.
 */
#define STOP_WINDOW	4

/* Say how the stop of what went; 0 or 1. */
static int
stop_report(const char *what, uint32_t flags, const struct proto_result *r)
{
	if (r->error != 0) {
		if (r->error == PROTO_ENOTRUNNING)
			warnx("cannot stop vm that is not running");
		else
			warnx("stopping vm %s: failed: %s", what,
			    proto_result_why(r));
		return 1;
	}
	if (flags & PROTO_VMREF_F_WAIT)
		warnx("stopping vm %s: terminated vm %u", r->name, r->id);
	else if (flags & PROTO_VMREF_F_FORCE)
		warnx("stopping vm %s: forced to terminate vm %u", r->name,
		    r->id);
	else
		warnx("stopping vm %s: requested to shutdown vm %u", r->name,
		    r->id);
	return 0;
}

/* Stop one VM; 0 or 1 (the message is printed). */
static int
stop_one(const struct vmctl_opts *opts, const char *what,
    const struct proto_vmref *ref)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(*ref)];
	int			len;

	len = proto_vmref_encode(ref, buf);
	(void)cmd_ctl_simple(opts, IMSG_VM_STOP_REQ, buf, len, &r);
	return stop_report(what, ref->flags, &r);
}

/*
 * Every running VM, on one connection with up to STOP_WINDOW requests in
 * flight (one round trip per VM through control and the parent made a
 * thousand VMs take seconds); each answer names its VM.
 */
static int
stop_all(const struct vmctl_opts *opts, uint32_t flags)
{
	struct proto_vminfo	*vms;
	struct proto_vmref	 ref;
	struct proto_result	 r;
	uint8_t			 buf[sizeof(ref)];
	size_t			 n, sent = 0, done = 0, i;
	const char		*what;
	int			 fd = -1, rv = 0;

	n = cmd_status_list(opts, NULL, 1, &vms);
	if (n > 0)
		fd = cmd_ctl_connect(opts);
	while (done < n) {
		while (sent < n && sent - done < STOP_WINDOW) {
			memset(&ref, 0, sizeof(ref));
			ref.id = vms[sent].id;
			ref.flags = flags;
			cmd_ctl_send(fd, IMSG_VM_STOP_REQ, buf,
			    proto_vmref_encode(&ref, buf));
			sent++;
		}
		cmd_ctl_result(fd, IMSG_VM_STOP_RESP, &r);
		done++;
		what = "?";
		for (i = 0; i < n; i++)
			if (vms[i].id == r.id)
				what = vms[i].name;
		rv |= stop_report(what, flags, &r);
	}
	if (fd != -1)
		close(fd);
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
