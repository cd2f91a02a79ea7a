/* SPDX-License-Identifier: ISC */
/* Logging: stderr or syslog, one convention for every process. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

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

static void
log_vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char	 msg[1024];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_ctx.debug) {
		if (log_ctx.procname != NULL)
			fprintf(stderr, "%s: ", log_ctx.procname);
		if (with_errno)
			fprintf(stderr, "%s: %s\n", msg, strerror(saved));
		else
			fprintf(stderr, "%s\n", msg);
		fflush(stderr);
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
