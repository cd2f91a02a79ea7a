/* SPDX-License-Identifier: ISC */
/* vmctl start: start a VM defined in vm.conf, or a new one, through vmd. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/disk.h"
#include "proto.h"
#include "vmctl.h"

/* An absolute path for the daemon, which does not share our cwd. */
static void
start_path(const char *arg, char *out, size_t len)
{
	char	buf[PATH_MAX];

	if (realpath(arg, buf) == NULL)
		err(1, "%s", arg);
	if (strlcpy(out, buf, len) >= len)
		errx(1, "path too long: %s", arg);
}

/* -d [raw:|qcow2:|force-raw:]path */
static void
start_disk(struct proto_vmstart *v, const char *arg)
{
	uint32_t	fmt;

	if (v->ndisks == PROTO_MAX_DISKS)
		errx(1, "too many disks (at most %d)", PROTO_MAX_DISKS);
	fmt = (uint32_t)disk_format_prefix(&arg);
	start_path(arg, v->disks[v->ndisks], sizeof(v->disks[0]));
	v->diskfmt[v->ndisks++] = fmt;
	v->set |= PROTO_VMSTART_DISKS;
}

static void
start_nic(struct proto_vmstart *v, const char *sw, int local)
{
	if (v->nnics == PROTO_MAX_NICS)
		errx(1, "too many interfaces (at most %d)", PROTO_MAX_NICS);
	if (sw != NULL && strlcpy(v->nics[v->nnics], sw,
	    sizeof(v->nics[0])) >= sizeof(v->nics[0]))
		errx(1, "invalid switch name: %s", sw);
	v->niclocal[v->nnics++] = (uint32_t)local;
	v->set |= PROTO_VMSTART_NICS;
}

int
cmd_start(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_vmstart	*v;
	struct proto_result	 r;
	const char		*errstr;
	uint8_t			*buf;
	int			 ch, console = 0, len;

	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (buf = malloc(IMSG_MAX_PAYLOAD)) == NULL)
		err(1, NULL);
	while ((ch = getopt(argc, argv, "B:b:cd:I:i:k:Lm:n:p:r:t:")) != -1) {
		switch (ch) {
		case 'B':
			if (strcmp(optarg, "disk") == 0)
				v->bootdev = 1;
			else if (strcmp(optarg, "cdrom") == 0)
				v->bootdev = 2;
			else if (strcmp(optarg, "net") == 0)
				v->bootdev = 3;
			else
				errx(1, "invalid boot device: %s", optarg);
			v->set |= PROTO_VMSTART_BOOTDEV;
			break;
		case 'b':
			start_path(optarg, v->boot, sizeof(v->boot));
			v->set |= PROTO_VMSTART_BOOT;
			break;
		case 'c':
			console = 1;
			break;
		case 'd':
			start_disk(v, optarg);
			break;
		case 'I':
			start_path(optarg, v->initrd, sizeof(v->initrd));
			v->set |= PROTO_VMSTART_INITRD;
			break;
		case 'i':
			v->nifs = (uint32_t)strtonum(optarg, 0, PROTO_MAX_NICS,
			    &errstr);
			if (errstr != NULL)
				errx(1, "invalid count \"%s\": %s", optarg,
				    errstr);
			v->set |= PROTO_VMSTART_NIFS;
			break;
		case 'k':
			if (strlcpy(v->cmdline, optarg, sizeof(v->cmdline)) >=
			    sizeof(v->cmdline))
				errx(1, "kernel command line too long");
			v->set |= PROTO_VMSTART_CMDLINE;
			break;
		case 'L':
			start_nic(v, NULL, 1);
			break;
		case 'm':
			v->memsize = cmd_memsize(optarg);
			v->set |= PROTO_VMSTART_MEMORY;
			break;
		case 'n':
			start_nic(v, optarg, 0);
			break;
		case 'p':
			v->ncpus = (uint32_t)strtonum(optarg, 1, 4096, &errstr);
			if (errstr != NULL)
				errx(1, "number of cpus is %s: %s", errstr,
				    optarg);
			v->set |= PROTO_VMSTART_CPUS;
			break;
		case 'r':
			start_path(optarg, v->cdrom, sizeof(v->cdrom));
			v->set |= PROTO_VMSTART_CDROM;
			break;
		case 't':
			if (strlcpy(v->template, optarg, sizeof(v->template)) >=
			    sizeof(v->template))
				errx(1, "invalid template name: %s", optarg);
			break;
		default:
			cmd_usage(cmd_find("start", &ch));
		}
	}
	if (optind != argc - 1)
		cmd_usage(cmd_find("start", &ch));
	if (strlcpy(v->name, argv[optind], sizeof(v->name)) >= sizeof(v->name))
		errx(1, "invalid vm name: %s", argv[optind]);
	len = proto_vmstart_encode(v, buf);
	if (cmd_ctl_simple(opts, IMSG_VM_START_REQ, buf, len, &r) != 0)
		errx(1, "start vm command failed: %s", proto_result_why(&r));
	warnx("started vm %u successfully, tty %s", r.id, r.tty);
	free(buf);
	free(v);
	if (console)
		return cmd_console_tty(r.tty);
	return 0;
}
