/* SPDX-License-Identifier: ISC */
/* vmctl status (and show): the VM table, or JSON with -j. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

size_t
cmd_status_list(const struct vmctl_opts *opts, const struct proto_vmref *ref,
    int running, struct proto_vminfo **out)
{
	struct proto_vmref	 all;
	struct proto_result	 r;
	struct proto_vminfo	*vms = NULL, *nv;
	struct imsg		*im;
	const uint8_t		*p;
	uint8_t			 buf[sizeof(all)];
	size_t			 n = 0, len;
	int			 fd;

	if ((im = malloc(sizeof(*im))) == NULL)
		err(1, NULL);
	if (ref == NULL) {
		memset(&all, 0, sizeof(all));
		ref = &all;
	}
	all = *ref;
	if (running)
		all.flags |= PROTO_VMREF_F_RUNNING;
	fd = cmd_ctl_connect(opts);
	cmd_ctl_send(fd, IMSG_VM_STATUS_REQ, buf, proto_vmref_encode(&all,
	    buf));
	for (;;) {
		p = cmd_ctl_recv(fd, im, &len);
		if (im->hdr.type == IMSG_VM_STATUS_END_RESP) {
			if (proto_result_decode(p, len, &r) == -1)
				errx(1, "bad answer from vmd");
			if (r.error != 0)
				errx(1, "%s", proto_result_why(&r));
			break;
		}
		if (im->hdr.type != IMSG_VM_STATUS_RESP)
			errx(1, "unexpected answer %s from vmd",
			    proto_name(im->hdr.type));
		if ((nv = reallocarray(vms, n + 1, sizeof(*vms))) == NULL)
			err(1, NULL);
		vms = nv;
		if (proto_vminfo_decode(p, len, &vms[n]) == -1)
			errx(1, "bad answer from vmd");
		n++;
	}
	close(fd);
	free(im);
	*out = vms;
	return n;
}

/* Sizes as vmctl prints them: 512M, 64.0M, 1.0G. */
static void
status_size(uint64_t bytes, char *buf, size_t len)
{
	static const char	units[] = "BKMGTPE";
	uint64_t		v = bytes, rem = 0;
	int			i = 0;

	while (v >= 1024 && i < 6) {
		rem = v % 1024;
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%lluB", (unsigned long long)v);
	else if (v >= 100)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[i]);
	else
		snprintf(buf, len, "%llu.%llu%c", (unsigned long long)v,
		    (unsigned long long)(rem * 10 / 1024), units[i]);
}

static const char *
status_tty(const char *tty)
{
	if (tty[0] == '\0')
		return "-";
	if (strncmp(tty, "/dev/", 5) == 0)
		return tty + 5;
	return tty;
}

static void
status_table(const struct proto_vminfo *vms, size_t n)
{
	char	pid[16], maxmem[32], curmem[32];
	size_t	i;

	printf("%5s %5s %5s %7s %7s %7s %12s %8s %s\n", "ID", "PID", "VCPUS",
	    "MAXMEM", "CURMEM", "TTY", "OWNER", "STATE", "NAME");
	for (i = 0; i < n; i++) {
		status_size(vms[i].maxmem, maxmem, sizeof(maxmem));
		if (vms[i].pid > 0) {
			snprintf(pid, sizeof(pid), "%d", vms[i].pid);
			status_size(vms[i].curmem, curmem, sizeof(curmem));
		} else {
			strlcpy(pid, "-", sizeof(pid));
			strlcpy(curmem, "-", sizeof(curmem));
		}
		printf("%5u %5s %5u %7s %7s %7s %12s %8s %s\n", vms[i].id, pid,
		    vms[i].ncpus, maxmem, curmem, status_tty(vms[i].tty),
		    vms[i].owner, proto_vmstate_name(vms[i].state),
		    vms[i].name);
	}
}

/* A JSON string: names are plain, but escape what JSON needs anyway. */
static void
status_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
status_json(const struct proto_vminfo *vms, size_t n)
{
	size_t	i;

	printf("[");
	for (i = 0; i < n; i++) {
		printf("%s\n  {\"id\": %u, \"pid\": %d, \"vcpus\": %u, "
		    "\"maxmem\": %llu, \"curmem\": %llu, \"tty\": ",
		    i ? "," : "", vms[i].id, vms[i].pid > 0 ? vms[i].pid : -1,
		    vms[i].ncpus, (unsigned long long)vms[i].maxmem,
		    (unsigned long long)vms[i].curmem);
		status_json_str(vms[i].tty);
		printf(", \"owner\": ");
		status_json_str(vms[i].owner);
		printf(", \"state\": ");
		status_json_str(proto_vmstate_name(vms[i].state));
		printf(", \"name\": ");
		status_json_str(vms[i].name);
		printf("}");
	}
	printf("%s]\n", n ? "\n" : "");
}

int
cmd_status(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_vminfo	*vms;
	struct proto_vmref	 ref;
	size_t			 n;
	int			 ch, running = 0, json = 0;

	while ((ch = getopt(argc, argv, "jr")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'r':
			running = 1;
			break;
		default:
			cmd_usage(cmd_find(argv[0], &ch));
		}
	}
	if (argc - optind > 1)
		cmd_usage(cmd_find(argv[0], &ch));
	if (optind < argc)
		cmd_ctl_vmref(argv[optind], &ref);
	n = cmd_status_list(opts, optind < argc ? &ref : NULL, running, &vms);
	if (json)
		status_json(vms, n);
	else
		status_table(vms, n);
	free(vms);
	return n == 0 ? 1 : 0;
}
