/* SPDX-License-Identifier: ISC */
/* Logging: stderr or syslog, one convention for every process. */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>

/*
 * A message is cut at LOG_MSG_MAX - 1 bytes, a whole line (prefix, message,
 * error, newline) at LOG_LINE_MAX - 1: at most PIPE_BUF, so that each line
 * reaches a pipe or a file in one write(2), whole.
 */
#define LOG_MSG_MAX	1024
#define LOG_LINE_MAX	2048
_Static_assert(LOG_LINE_MAX <= PIPE_BUF, "a log line fits one pipe write");

/*
 * log_init: debug != 0 logs to stderr, else syslog. verbose raises the
 * level at which log_debug prints. log_procname sets the prefix (the
 * string is not copied: it must outlive the process's logging). Each line
 * goes to stderr in one write(2).
 */
void	log_init(int debug, int verbose);
void	log_procname(const char *name);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A rate limit for lines a guest can cause: burst lines, then at most one
 * per interval_ns; the lines held back are counted, and said ("WHO: N
 * UNITS not logged (rate limit)") before the next line that passes.
 * log_limit_pass: 1 if a line may be logged at now_ns (counted in
 * nlogged), 0 if it is held back.
 */
struct log_limit {
	const char	*who;
	const char	*units;
	uint64_t	 burst;
	uint64_t	 interval_ns;
	uint64_t	 nlogged;	/* lines passed so far */
	uint64_t	 last_ns;	/* when the last one passed */
	uint64_t	 suppressed;	/* held back since then */
};
int	log_limit_pass(struct log_limit *, uint64_t now_ns);
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* LIB_LOG_H */
