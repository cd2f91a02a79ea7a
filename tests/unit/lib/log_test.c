/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/log.c: processes logging long lines at once into one
 * pipe or one file (as vmd -d's processes share stderr) leave every line
 * whole; a message too long is cut, its line still ends with a newline;
 * the rate limit for guest-caused lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/capture.h"
#include "helper/tap.h"
#include "log.h"

#define NPROC	4	/* processes logging at once */
#define NLINES	400	/* lines each */
#define PAYLOAD	900	/* bytes of payload in each line */

/* log_test_line: the line writer K logs as its Ith, newline included. */
static void
log_test_line(char *buf, size_t sz, int k, int i)
{
	char	pay[PAYLOAD + 1];

	memset(pay, 'a' + k, PAYLOAD);
	pay[PAYLOAD] = '\0';
	if (i % 2)
		snprintf(buf, sz, "w%d: %d %d %s: %s\n", k, k, i, pay,
		    strerror(ENOENT));
	else
		snprintf(buf, sz, "w%d: %d %d %s\n", k, k, i, pay);
}

/* log_test_writer: the body of writer K, logging into fd. */
static void __attribute__((noreturn))
log_test_writer(int fd, int k)
{
	char	name[16], pay[PAYLOAD + 1];
	int	i;

	if (dup2(fd, STDERR_FILENO) == -1)
		_exit(2);
	snprintf(name, sizeof(name), "w%d", k);
	memset(pay, 'a' + k, PAYLOAD);
	pay[PAYLOAD] = '\0';
	log_init(1, 0);
	log_procname(name);
	for (i = 0; i < NLINES; i++) {
		if (i % 2) {
			errno = ENOENT;
			log_warn("%d %d %s", k, i, pay);
		} else
			log_info("%d %d %s", k, i, pay);
	}
	_exit(0);
}

/* log_test_spawn: NPROC writers into fd; their pids in pids. */
static void
log_test_spawn(int fd, pid_t pids[NPROC])
{
	int	k;

	fflush(stdout);
	for (k = 0; k < NPROC; k++) {
		if ((pids[k] = fork()) == -1)
			abort();
		if (pids[k] == 0)
			log_test_writer(fd, k);
	}
}

/* log_test_wait: 1 if every writer exited 0. */
static int
log_test_wait(pid_t pids[NPROC])
{
	int	k, st, good = 1;

	for (k = 0; k < NPROC; k++)
		if (waitpid(pids[k], &st, 0) != pids[k] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			good = 0;
	return good;
}

/* log_test_slurp: everything fd holds, NUL-terminated; its length in len. */
static char *
log_test_slurp(int fd, size_t *len)
{
	char	*buf = NULL, *nb;
	size_t	 sz = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (sz - *len < 65536) {
			sz = sz ? sz * 2 : 1 << 20;
			if ((nb = realloc(buf, sz)) == NULL)
				abort();
			buf = nb;
		}
		if ((n = read(fd, buf + *len, sz - *len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			abort();
		}
		if (n == 0)
			break;
		*len += n;
	}
	buf[*len] = '\0';
	return buf;
}

/*
 * log_test_check: the number of lines in buf that are not exactly the
 * next line of their writer, plus the lines missing.
 */
static int
log_test_check(const char *what, char *buf)
{
	char	 want[PAYLOAD + 128], *line, *nl;
	int	 next[NPROC] = { 0 }, bad = 0, k, shown = 0;

	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		if (sscanf(line, "w%d: ", &k) != 1 || k < 0 || k >= NPROC ||
		    next[k] >= NLINES)
			goto bad;
		log_test_line(want, sizeof(want), k, next[k]);
		if (strncmp(line, want, strlen(want)) != 0 ||
		    (size_t)(nl + 1 - line) != strlen(want))
			goto bad;
		next[k]++;
		continue;
 bad:
		bad++;
		if (shown++ < 3)
			printf("#   %s: broken line: %.80s...\n", what, line);
	}
	for (k = 0; k < NPROC; k++)
		bad += NLINES - next[k];
	return bad;
}

/* log_test_limit: burst lines pass, then one per interval, and the count. */
static void
log_test_limit(void)
{
	struct log_limit	l = { .who = "dev", .units = "writes",
	    .burst = 3, .interval_ns = 1000 };
	struct capture		c;
	int			i, passed = 0;

	log_init(1, 1);
	log_procname("t");
	capture_start(&c);
	for (i = 0; i < 10; i++)
		passed += log_limit_pass(&l, 100 + (uint64_t)i);
	tap_ok(passed == 3 && l.suppressed == 7, "limit: the burst of 3 "
	    "passes, 7 more within the interval do not (%d)", passed);
	tap_ok(log_limit_pass(&l, 102 + 999) == 0,
	    "limit: still held back just inside the interval");
	tap_ok(log_limit_pass(&l, 102 + 1000) == 1 && l.suppressed == 0,
	    "limit: one passes once the interval is over");
	tap_ok(log_limit_pass(&l, 102 + 1001) == 0,
	    "limit: and the next waits for the next interval");
	capture_stop(&c);
	tap_ok(capture_count(c.buf, "t: dev: 8 writes not logged (rate "
	    "limit)\n") == 1, "limit: the 8 held back are said once, before "
	    "the line that passed");
	log_init(1, 0);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/log_test.XXXXXX", *buf, big[3000];
	pid_t	 pids[NPROC];
	size_t	 len;
	int	 p[2], fd, saved;

	/* Writers into one pipe, read as they write. */
	if (pipe(p) == -1)
		abort();
	log_test_spawn(p[1], pids);
	close(p[1]);
	buf = log_test_slurp(p[0], &len);
	close(p[0]);
	tap_ok(log_test_wait(pids), "pipe: %d writers exit 0", NPROC);
	tap_is(log_test_check("pipe", buf), 0,
	    "pipe: %d processes x %d lines of %d bytes: every line whole",
	    NPROC, NLINES, PAYLOAD);
	free(buf);

	/* Writers into one file opened for appending (vmd -d >>log). */
	if ((fd = mkstemp(tmpl)) == -1)
		abort();
	unlink(tmpl);
	if ((saved = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, saved | O_APPEND) == -1)
		abort();
	log_test_spawn(fd, pids);
	tap_ok(log_test_wait(pids), "file: %d writers exit 0", NPROC);
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	buf = log_test_slurp(fd, &len);
	close(fd);
	tap_is(log_test_check("file", buf), 0,
	    "file: %d processes x %d lines: every line whole", NPROC, NLINES);
	free(buf);

	/* A message past LOG_MSG_MAX is cut; the line keeps its newline. */
	if (pipe(p) == -1 || (saved = dup(STDERR_FILENO)) == -1)
		abort();
	fflush(stderr);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init(1, 0);
	log_procname("t");
	log_info("%s", big);
	log_debug("not shown at verbose 0");
	log_info("after");
	dup2(saved, STDERR_FILENO);
	close(saved);
	buf = log_test_slurp(p[0], &len);
	close(p[0]);
	tap_is(len, 3 + LOG_MSG_MAX - 1 + 1 + strlen("t: after\n"),
	    "a long message is cut at LOG_MSG_MAX - 1 bytes");
	tap_ok(len > LOG_MSG_MAX && buf[2 + LOG_MSG_MAX] == '\n' &&
	    strcmp(buf + 3 + LOG_MSG_MAX, "t: after\n") == 0,
	    "the cut line ends with a newline; the next line follows whole");
	free(buf);
	log_test_limit();
	return tap_done();
}
