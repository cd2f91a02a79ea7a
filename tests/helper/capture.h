/* SPDX-License-Identifier: ISC */
/* Unit-test helper: capture what the code under test logs on stderr. */
#ifndef TESTS_HELPER_CAPTURE_H
#define TESTS_HELPER_CAPTURE_H

#include <stddef.h>

/* Where stderr goes while a test captures log lines. */
struct capture {
	int	 pipe[2];
	int	 saved;
	char	 buf[65536];
	size_t	 len;
};

/* capture_start: stderr into a pipe from now on (up to 1 MiB). */
void	capture_start(struct capture *);
/* capture_stop: stderr back; what was written is in buf, NUL-ended. */
void	capture_stop(struct capture *);
/* capture_count: how many times needle occurs in buf. */
int	capture_count(const char *buf, const char *needle);

#endif
