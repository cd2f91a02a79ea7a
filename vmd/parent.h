/* SPDX-License-Identifier: ISC */
/* The parent process: its context and VM registry, shared by its files. */
#ifndef VMD_PARENT_H
#define VMD_PARENT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "disk/chain.h"
#include "launch.h"
#include "proc.h"
#include "proto.h"
#include "vmd/config.h"
#include "vmd/lifecycle.h"
#include "vmd/vmd.h"

#include <event2/util.h>

struct event;
struct event_base;
struct imsg;

struct parent;

/* A client waiting for a VM to stop (wait, stop -w). */
struct parent_waiter {
	TAILQ_ENTRY(parent_waiter) entry;
	uint32_t		 peerid;
	uint32_t		 type;		/* the answer to send */
};

/* One VM in the registry; owned by the parent's only thread. */
struct parent_vm {
	TAILQ_ENTRY(parent_vm)	 entry;
	struct parent		*p;
	struct config_vm	 conf;		/* what to run */
	uint32_t		 id;
	int			 from_config;	/* stays listed when stopped */
	uid_t			 uid;		/* who started it */
	unsigned int		 user_set;	/* PROTO_VMSTART_* the user (not
						   root) gave: opened as uid */
	enum lc_state		 state;		/* vmd/lifecycle.c */
	pid_t			 pid;
	int			 ptm, pts;	/* console pty, kept over reboots */
	char			 tty[PROTO_TTY_MAX];
	struct timespec		 last_start;	/* CLOCK_MONOTONIC */
	int			 quick_restarts;
	int			 remove;	/* drop from the registry at exit */
	struct config_vm	*next_conf;	/* from a reload, for the next
						   start, or NULL */
	uint32_t		 start_peer;	/* client awaiting start, or 0 */
	int			 start_err;	/* why a start is being undone */
	uint32_t		 pause_peer;	/* client awaiting (un)pause */
	struct event		*ev_stop;	/* polite stop timeout */
	struct event		*ev_start;	/* start report timeout */
	struct event		*ev_lost;	/* vmm lost its channel: check */
	pid_t			 lost_pid;	/* the process it was */
	TAILQ_HEAD(, parent_waiter) waiters;
};

/* A forgotten VM's id, for the same name and user to get it back. */
struct parent_oldid {
	TAILQ_ENTRY(parent_oldid) entry;
	char			 name[CONFIG_NAME_MAX];
	uid_t			 uid;
	uint32_t		 id;
};
#define PARENT_OLDIDS_MAX	256

/* How long after vmm lost a VM's channel a process still there is ended. */
#define PARENT_LOST_USEC	500000

/* kvm, console in and out, kernel, initrd, CD-ROM, option ROM; disks; NICs */
#define PARENT_MAX_FDS		(7 + CONFIG_MAX_DISKS * DISK_CHAIN_MAX + \
			    CONFIG_MAX_NICS)

/* The parent context, set in parent_main. */
struct parent {
	const struct vmd_opts	*opts;
	struct event_base	*base;
	struct vmd_config	*conf;		/* the last loaded global part */
	struct proc_chan	 control, vmm, priv;
	pid_t			 control_pid, vmm_pid, priv_pid;
	TAILQ_HEAD(parent_vms, parent_vm) vms;	/* by id */
	uint32_t		 next_id;
	int			 reset_ids;	/* restart ids once empty */
	TAILQ_HEAD(, parent_oldid) oldids;	/* oldest first */
	unsigned int		 noldids;
	int			 stop_timeout;	/* seconds */
	int			 start_timeout;	/* seconds */
	int			 kvm_fd;	/* /dev/kvm, for every VM */
	char			 vmprog[PATH_MAX];	/* what VM processes
							   exec (launch_vm_prog) */
	struct proto_cpuid	*cpuid;		/* KVM's, sent to each VM
						   process; NULL: it asks */
	struct event		*ev_hup, *ev_term, *ev_int, *ev_stagger;
	struct event		*ev_chld;
	int			 quitting;
	char			 why[PROTO_WHY_MAX];	/* the reason for the
							   refusal being
							   answered, or "" */
};

/* parent.c: replies to clients */
void	parent_why(struct parent *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	parent_reply(struct parent *p, uint32_t peerid, uint32_t type, int err,
	    const struct parent_vm *vm);

/* vms.c: the registry and lifecycle */
int	vms_add_waiter(struct parent_vm *vm, uint32_t peerid, uint32_t type);
void	vms_oldids_clear(struct parent *p);
void	vms_closetty(struct parent_vm *vm);
void	vms_releasetty(struct parent *p, struct parent_vm *vm);
void	vms_exited(struct parent *p, struct parent_vm *vm, int status);
void	vms_event(struct parent *p, struct parent_vm *vm, enum lc_event ev);
struct parent_vm *vms_find(struct parent *p, uint32_t id, const char *name);
void	vms_free(struct parent *p, struct parent_vm *vm);
void	vms_info(const struct parent_vm *vm, struct proto_vminfo *info);
void	vms_lost(evutil_socket_t fd, short ev, void *arg);
struct parent_vm *vms_new(struct parent *p, const struct config_vm *conf,
	    int from_config, uid_t uid);
uid_t	vms_owner_uid(const struct parent_vm *vm);
int	vms_permits(const struct parent_vm *vm, uid_t uid);
int	vms_running(const struct parent_vm *vm);
void	vms_stop(struct parent *p, struct parent_vm *vm, int force);

/* files.c: opening as a user */
int	files_open_as(const char *path, int flags, uid_t uid);
int	files_open_disk(struct parent_vm *vm, const struct config_disk *d,
	    struct disk_chain *);
int	files_open_tap(struct parent_vm *vm, const char *name, char *actual);
int	files_opentty(struct parent_vm *vm);

/* netcfg.c: host networking through priv */
void	netcfg_switches(struct parent *p);
void	netcfg_nic(struct parent *p, struct parent_vm *vm, size_t i,
	    const char *ifname, int fd, struct proto_fdreq *f);
void	netcfg_if(struct parent *p, uint32_t type, const char *name,
	    const char *bridge, const char *descr, uint32_t value);

/* start.c: the launch sequence */
int	start_instance(struct parent *p, const struct proto_vmstart *r,
	    uid_t uid, struct config_vm *c, struct parent_vm **vmp);
int	start_known(struct parent_vm *vm, const struct proto_vmstart *r,
	    uid_t uid, struct config_vm *c);
int	start_new(struct parent *p, const struct proto_vmstart *r, uid_t uid,
	    struct config_vm *c, struct parent_vm **vmp);
void	start_timeout(evutil_socket_t fd, short ev, void *arg);
int	start_vm(struct parent *p, struct parent_vm *vm);
void	start_for(struct parent *p, struct parent_vm *vm, uid_t uid,
	    uint32_t peerid);

/* reload.c: the configuration */
void	reload_add(struct parent *p, struct vmd_config *conf, int global);
struct vmd_config *reload_parse(struct parent *p, const char *file);
int	reload_config(struct parent *p);
void	reload_stagger(struct parent *p);
void	reload_stagger_timer(evutil_socket_t fd, short ev, void *arg);

#endif /* VMD_PARENT_H */
