/* SPDX-License-Identifier: ISC */
/* Logging: stderr or syslog, one convention for every process. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * The logging configuration is process-wide by nature (like errno): it is
 * set once in main and read by every thread.
 */
static struct {
	int		 debug;
	int		 verbose;
	const char	*procname;
} log_ctx = { 1, 0, NULL };

void
log_init(int debug, int verbose)
{
	log_ctx.debug = debug;
	log_ctx.verbose = verbose;
	if (!debug)
		openlog(NULL, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/*
	 * Now, before any chroot or filter: libc reads the zone file at the
	 * first call that needs the zone, and gmtime_r is one (the VM
	 * process's RTC), not only syslog's local time.
	 */
	tzset();
}

void
log_procname(const char *name)
{
	log_ctx.procname = name;
}

void
log_setverbose(int verbose)
{
	log_ctx.verbose = verbose;
}

int
log_getverbose(void)
{
	return log_ctx.verbose;
}

/*
 * log_write: the whole line in as few write(2)s as the kernel allows; a
 * line of at most PIPE_BUF bytes goes in one, so that lines of processes
 * sharing stderr (vmd -d) never interleave mid-line.
 */
static void
log_write(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= n;
	}
}

static void
log_vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char	 msg[LOG_MSG_MAX], line[LOG_LINE_MAX];
	int	 saved = errno, n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_ctx.debug) {
		n = snprintf(line, sizeof(line), "%s%s%s%s%s\n",
		    log_ctx.procname ? log_ctx.procname : "",
		    log_ctx.procname ? ": " : "", msg,
		    with_errno ? ": " : "", with_errno ? strerror(saved) : "");
		if (n < 0)
			n = 0;
		else if ((size_t)n >= sizeof(line)) {
			/* Truncated: the line still ends with its newline. */
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		/* Whatever stdio holds for stderr goes first. */
		fflush(stderr);
		log_write(STDERR_FILENO, line, n);
	} else {
		if (with_errno)
			syslog(pri, "%s%s%s: %s",
			    log_ctx.procname ? log_ctx.procname : "",
			    log_ctx.procname ? ": " : "", msg, strerror(saved));
		else
			syslog(pri, "%s%s%s",
			    log_ctx.procname ? log_ctx.procname : "",
			    log_ctx.procname ? ": " : "", msg);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_ctx.verbose < 1)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

int
log_limit_pass(struct log_limit *l, uint64_t now_ns)
{
	if (l->nlogged >= l->burst && now_ns - l->last_ns < l->interval_ns) {
		l->suppressed++;
		return 0;
	}
	if (l->suppressed > 0) {
		log_debug("%s: %llu %s not logged (rate limit)", l->who,
		    (unsigned long long)l->suppressed, l->units);
		l->suppressed = 0;
	}
	l->nlogged++;
	l->last_ns = now_ns;
	return 1;
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
