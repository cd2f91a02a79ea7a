/* SPDX-License-Identifier: ISC */
/* Talking to vmd: connect, send one request, read its answers. */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

int
cmd_ctl_connect(const struct vmctl_opts *opts)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, opts->socket, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", opts->socket);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		/* No socket, or one nobody listens on: a vmd that is gone. */
		if (errno == ENOENT || errno == ECONNREFUSED)
			errx(1, "vmd is not running (no daemon on %s)",
			    opts->socket);
		err(1, "connect: %s", opts->socket);
	}
	return fd;
}

void
cmd_ctl_send(int fd, uint32_t type, const void *payload, int len)
{
	if (len < 0)
		errx(1, "request does not fit in a message");
	if (proto_ctl_send(fd, type, 0, 0, payload, (size_t)len, -1) == -1)
		err(1, "send %s", proto_name(type));
}

const uint8_t *
cmd_ctl_recv(int fd, struct imsg *im, size_t *len)
{
	const uint8_t	*payload;
	uint32_t	 uid;
	int		 rv;

	if ((rv = imsg_recv(fd, im)) == -1)
		err(1, "receive");
	if (rv == 0)
		errx(1, "vmd closed the connection");
	if (im->fd != -1)
		close(im->fd);
	if (proto_ctl_open(im, &uid, &payload, len) == -1)
		errx(1, "vmd speaks another protocol version (%s)",
		    strerror(errno));
	return payload;
}

void
cmd_ctl_result(int fd, uint32_t type, struct proto_result *r)
{
	struct imsg	*im;
	const uint8_t	*p;
	size_t		 len;

	if ((im = malloc(sizeof(*im))) == NULL)
		err(1, NULL);
	p = cmd_ctl_recv(fd, im, &len);
	if (im->hdr.type != type || proto_result_decode(p, len, r) == -1)
		errx(1, "unexpected answer %s from vmd",
		    proto_name(im->hdr.type));
	free(im);
}

void
cmd_ctl_vmref(const char *arg, struct proto_vmref *ref)
{
	const char	*errstr;
	long long	 id;

	memset(ref, 0, sizeof(*ref));
	id = strtonum(arg, 1, UINT32_MAX, &errstr);
	if (errstr == NULL) {
		ref->id = (uint32_t)id;
		return;
	}
	if (strlcpy(ref->name, arg, sizeof(ref->name)) >= sizeof(ref->name))
		errx(1, "invalid id or name: %s", arg);
}

int
cmd_ctl_simple(const struct vmctl_opts *opts, uint32_t type,
    const void *payload, int len, struct proto_result *r)
{
	int	fd;

	fd = cmd_ctl_connect(opts);
	cmd_ctl_send(fd, type, payload, len);
	cmd_ctl_result(fd, type + 1, r);
	close(fd);
	return r->error;
}
