/* SPDX-License-Identifier: ISC */
/* vmctl: the command table and what commands share. */
#ifndef VMCTL_VMCTL_H
#define VMCTL_VMCTL_H

#include <stddef.h>
#include <stdint.h>

#include "vm/platform.h"

/* The memory sizes a VM may have (the VM process's limits). */
#define VMCTL_MEM_MIN	PLAT_MIN_MEM
#define VMCTL_MEM_MAX	PLAT_MAX_MEM
#define VMCTL_MEM_ROUND	(1ULL << 20)	/* sizes are rounded down to MB */

/* Options before the command, shared by every command. */
struct vmctl_opts {
	const char	*socket;
	int		 verbose;
};

struct vmctl_cmd {
	const char	*name;
	const char	*usage;
	int		(*run)(const struct vmctl_opts *, int, char *[]);
};

/* cmd_find: the command named by name or a unique prefix of one; NULL. */
const struct vmctl_cmd *cmd_find(const char *name, int *ambiguous);
void	cmd_usage_all(void);
void	cmd_usage(const struct vmctl_cmd *) __attribute__((noreturn));
/*
 * cmd_memsize: -m size ("512M", "1.5G"): between VMCTL_MEM_MIN and
 * VMCTL_MEM_MAX, rounded down to whole megabytes (with a warning); exits
 * with a message naming the accepted range otherwise.
 */
uint64_t cmd_memsize(const char *arg);

int	cmd_create(const struct vmctl_opts *, int, char *[]);
int	cmd_run(const struct vmctl_opts *, int, char *[]);
int	cmd_start(const struct vmctl_opts *, int, char *[]);
int	cmd_stop(const struct vmctl_opts *, int, char *[]);
int	cmd_status(const struct vmctl_opts *, int, char *[]);
int	cmd_console(const struct vmctl_opts *, int, char *[]);
int	cmd_pause(const struct vmctl_opts *, int, char *[]);
int	cmd_unpause(const struct vmctl_opts *, int, char *[]);
int	cmd_wait(const struct vmctl_opts *, int, char *[]);
int	cmd_load(const struct vmctl_opts *, int, char *[]);
int	cmd_reload(const struct vmctl_opts *, int, char *[]);
int	cmd_reset(const struct vmctl_opts *, int, char *[]);
int	cmd_log(const struct vmctl_opts *, int, char *[]);

/* Talking to vmd (cmd_ctl.c); errors end vmctl with a message. */
struct imsg;
struct proto_result;
struct proto_vmref;
struct proto_vminfo;
/* cmd_ctl_connect: the control socket of opts; exits on failure. */
int	cmd_ctl_connect(const struct vmctl_opts *);
/* cmd_ctl_send: one request with the envelope; len from an encoder. */
void	cmd_ctl_send(int fd, uint32_t type, const void *payload, int len);
/* cmd_ctl_recv: the next answer into im; returns its payload. */
const uint8_t *cmd_ctl_recv(int fd, struct imsg *im, size_t *len);
/* cmd_ctl_result: read an answer of type carrying a proto_result. */
void	cmd_ctl_result(int fd, uint32_t type, struct proto_result *);
/* cmd_ctl_vmref: a numeric id or a name. */
void	cmd_ctl_vmref(const char *arg, struct proto_vmref *);
/* cmd_ctl_simple: connect, send, read the result; returns r->error. */
int	cmd_ctl_simple(const struct vmctl_opts *, uint32_t type,
	    const void *payload, int len, struct proto_result *r);
/*
 * cmd_status_list: the VMs matching ref (NULL: all; running: only
 * running ones) into *out (caller frees); their number.
 */
size_t	cmd_status_list(const struct vmctl_opts *, const struct proto_vmref *,
	    int running, struct proto_vminfo **out);
/*
 * cmd_console_tty: attach the terminal to the pty at path until ~. or the
 * end of the input; exits if another vmctl is attached to it.
 */
int	cmd_console_tty(const char *path);

#endif /* VMCTL_VMCTL_H */
