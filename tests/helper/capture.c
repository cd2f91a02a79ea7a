/* SPDX-License-Identifier: ISC */
/* Unit-test helper: capture what the code under test logs on stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/capture.h"

void
capture_start(struct capture *c)
{
	fflush(stderr);
	if (pipe(c->pipe) == -1 || (c->saved = dup(2)) == -1)
		abort();
	fcntl(c->pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(c->pipe[0], F_SETPIPE_SZ, 1 << 20);
	dup2(c->pipe[1], 2);
	c->len = 0;
}

void
capture_stop(struct capture *c)
{
	ssize_t	n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	close(c->pipe[1]);
	while (c->len < sizeof(c->buf) - 1 &&
	    (n = read(c->pipe[0], c->buf + c->len,
	    sizeof(c->buf) - 1 - c->len)) > 0)
		c->len += (size_t)n;
	c->buf[c->len] = '\0';
	close(c->pipe[0]);
}

int
capture_count(const char *buf, const char *needle)
{
	const char	*p;
	int		 n = 0;

	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}
