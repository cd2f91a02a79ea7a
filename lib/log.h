/* SPDX-License-Identifier: ISC */
/* Logging: stderr or syslog, one convention for every process. */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>

/*
 * log_init: debug != 0 logs to stderr, else syslog. verbose raises the
 * level at which log_debug prints. log_procname sets the prefix.
 */
void	log_init(int debug, int verbose);
void	log_procname(const char *name);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* LIB_LOG_H */
