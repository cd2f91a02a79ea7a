/* SPDX-License-Identifier: ISC */
/* vmd's processes: their entry points and what they share. */
#ifndef VMD_VMD_H
#define VMD_VMD_H

#include <sys/types.h>

#include "vmd/config.h"

#define VMD_SOCKET		"/run/vmd.sock"
#define VMD_STOP_TIMEOUT	30	/* seconds before a polite stop is forced */
#define VMD_START_TIMEOUT	30	/* seconds for a VM to report started */
#define VMD_RESTART_WINDOW	6	/* seconds: a restart this soon is quick */
#define VMD_RESTART_MAX		3	/* quick restarts allowed in a row */

/*
 * The control socket. No client may stall control or the parent: a client
 * that does not read its answers is not read either, and is dropped when
 * VMD_CLIENT_QUEUE_MAX bytes wait for it.
 */
#define VMD_MAX_CLIENTS		1024	/* control connections at once (a
					   thousand vmctl start); past it,
					   new ones wait to be accepted */
#define VMD_CLIENTS_ROOT	16	/* of those, slots only root may use */
#define VMD_CLIENTS_PER_UID	32	/* connections per uid but root's */
#define VMD_CLIENT_INFLIGHT	4	/* requests in flight per connection
					   before it is read no more */
#define VMD_CLIENT_QUEUE_MAX	(8 * 1024 * 1024) /* bytes waiting for a
					   client (a status of ~30k VMs) */
#define VMD_CLIENT_IDLE		30	/* seconds a connection with nothing in
					   flight, or whose answers do not
					   move, is kept (env VMD_CLIENT_IDLE
					   for tests) */

/* Command-line options; set in main, read-only afterwards. */
struct vmd_opts {
	int			 debug;		/* -d: foreground, stderr */
	int			 verbose;	/* -v */
	const char		*conffile;	/* -f, NULL: default */
	const char		*sockpath;	/* -s */
	struct config_macros	 macros;	/* -D */
};

/*
 * vmd_spawn: start child process proc ("control", "vmm", "priv") with
 * the options it needs; *fd gets the channel. Its pid, or -1 (logged).
 */
pid_t	vmd_spawn(const struct vmd_opts *, const char *proc, int *fd);

/* Process entry points; each returns the process exit status. */
int	parent_main(const struct vmd_opts *);
int	control_main(const struct vmd_opts *, int fd);
int	vmm_main(const struct vmd_opts *, int fd);
int	priv_main(const struct vmd_opts *, int fd);

#endif /* VMD_VMD_H */
