/* SPDX-License-Identifier: ISC */
/* The parent process: the VM registry, permissions, fds and the lifecycle. */
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <net/if.h>
#include <linux/if_tun.h>

#include <sys/fsuid.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "lib/localaddr.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "vm/kvm.h"
#include "vm/vm.h"
#include "vmd/netif.h"
#include "vmd/vmd.h"

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
	enum proto_vmstate	 state;
	pid_t			 pid;
	int			 ptm, pts;	/* console pty, kept over reboots */
	char			 tty[PROTO_TTY_MAX];
	struct timespec		 last_start;	/* CLOCK_MONOTONIC */
	int			 quick_restarts;
	int			 stopping;	/* stop asked: no restart */
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

/* A VM's fds: KVM, console in and out, kernel, initrd, disks, NICs. */
#define PARENT_MAX_FDS		(5 + CONFIG_MAX_DISKS + CONFIG_MAX_NICS)

/* The parent context, set in parent_main. */
struct parent {
	const struct vmd_opts	*opts;
	struct event_base	*base;
	struct vmd_config	*conf;		/* the last loaded global part */
	struct proc_chan	 control, vmm, priv;
	pid_t			 control_pid, vmm_pid, priv_pid;
	TAILQ_HEAD(, parent_vm)	 vms;
	uint32_t		 next_id;
	int			 reset_ids;	/* restart ids once empty */
	TAILQ_HEAD(, parent_oldid) oldids;	/* oldest first */
	unsigned int		 noldids;
	int			 stop_timeout;	/* seconds */
	int			 start_timeout;	/* seconds */
	int			 kvm_fd;	/* /dev/kvm, for every VM */
	struct event		*ev_hup, *ev_term, *ev_int, *ev_stagger;
	struct event		*ev_chld;
	int			 quitting;
};

static int	parent_vm_start(struct parent *, struct parent_vm *);
static void	parent_stagger(struct parent *);

/* Replies to clients. */

static void
parent_reply(struct parent *p, uint32_t peerid, uint32_t type, int err,
    const struct parent_vm *vm)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	if (peerid == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.error = err;
	r.pid = -1;
	if (vm != NULL) {
		r.id = vm->id;
		r.pid = vm->pid;
		strlcpy(r.name, vm->conf.name, sizeof(r.name));
		strlcpy(r.tty, vm->tty, sizeof(r.tty));
	}
	len = proto_result_encode(&r, buf);
	(void)proc_send_ctl(&p->control, type, peerid, 0, buf, (size_t)len,
	    -1);
}

/* The registry. */

static struct parent_vm *
parent_vm_find(struct parent *p, uint32_t id, const char *name)
{
	struct parent_vm	*vm;

	TAILQ_FOREACH(vm, &p->vms, entry)
		if ((id != 0 && vm->id == id) ||
		    (id == 0 && strcmp(vm->conf.name, name) == 0))
			return vm;
	return NULL;
}

/* The id for a new VM: the one name had for uid before, else a new one. */
static uint32_t
parent_vm_newid(struct parent *p, const char *name, uid_t uid)
{
	struct parent_oldid	*o;
	uint32_t		 id;

	TAILQ_FOREACH(o, &p->oldids, entry)
		if (o->uid == uid && strcmp(o->name, name) == 0 &&
		    parent_vm_find(p, o->id, "") == NULL) {
			id = o->id;
			TAILQ_REMOVE(&p->oldids, o, entry);
			p->noldids--;
			free(o);
			return id;
		}
	return ++p->next_id;
}

/* Remember a forgotten VM's id (the oldest memory goes first). */
static void
parent_vm_oldid(struct parent *p, const struct parent_vm *vm)
{
	struct parent_oldid	*o;

	if (p->reset_ids || (o = calloc(1, sizeof(*o))) == NULL)
		return;
	strlcpy(o->name, vm->conf.name, sizeof(o->name));
	o->uid = vm->uid;
	o->id = vm->id;
	TAILQ_INSERT_TAIL(&p->oldids, o, entry);
	if (++p->noldids > PARENT_OLDIDS_MAX) {
		o = TAILQ_FIRST(&p->oldids);
		TAILQ_REMOVE(&p->oldids, o, entry);
		p->noldids--;
		free(o);
	}
}

static void
parent_oldids_clear(struct parent *p)
{
	struct parent_oldid	*o;

	while ((o = TAILQ_FIRST(&p->oldids)) != NULL) {
		TAILQ_REMOVE(&p->oldids, o, entry);
		free(o);
	}
	p->noldids = 0;
}

/* parent_vm_new: register conf for uid; it keeps an id it had before. */
static struct parent_vm *
parent_vm_new(struct parent *p, const struct config_vm *conf, int from_config,
    uid_t uid)
{
	struct parent_vm	*vm;

	if ((vm = calloc(1, sizeof(*vm))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	vm->p = p;
	vm->conf = *conf;
	vm->from_config = from_config;
	vm->uid = uid;
	vm->id = parent_vm_newid(p, conf->name, uid);
	vm->pid = -1;
	vm->ptm = vm->pts = -1;
	vm->state = PROTO_VMSTATE_STOPPED;
	TAILQ_INIT(&vm->waiters);
	TAILQ_INSERT_TAIL(&p->vms, vm, entry);
	return vm;
}

static void
parent_vm_closetty(struct parent_vm *vm)
{
	if (vm->pts != -1) {
		/*
		 * Nobody keeps the console of a stopped VM: a client still
		 * attached holds a pts that only root may open again.
		 */
		(void)fchown(vm->pts, 0, 0);
		(void)fchmod(vm->pts, 0600);
		close(vm->pts);
	}
	if (vm->ptm != -1)
		close(vm->ptm);
	vm->ptm = vm->pts = -1;
	vm->tty[0] = '\0';
}

static void
parent_vm_free(struct parent *p, struct parent_vm *vm)
{
	struct parent_waiter	*w;

	while ((w = TAILQ_FIRST(&vm->waiters)) != NULL) {
		TAILQ_REMOVE(&vm->waiters, w, entry);
		parent_reply(p, w->peerid, w->type, 0, vm);
		free(w);
	}
	if (vm->ev_stop != NULL)
		event_free(vm->ev_stop);
	if (vm->ev_start != NULL)
		event_free(vm->ev_start);
	if (vm->ev_lost != NULL)
		event_free(vm->ev_lost);
	parent_vm_closetty(vm);
	free(vm->next_conf);
	parent_vm_oldid(p, vm);
	TAILQ_REMOVE(&p->vms, vm, entry);
	free(vm);
	if (TAILQ_EMPTY(&p->vms) && p->reset_ids) {
		p->next_id = 0;
		p->reset_ids = 0;
	}
}

static int
parent_vm_running(const struct parent_vm *vm)
{
	return vm->state == PROTO_VMSTATE_RUNNING ||
	    vm->state == PROTO_VMSTATE_PAUSED ||
	    vm->state == PROTO_VMSTATE_STOPPING ||
	    vm->state == PROTO_VMSTATE_STARTING;
}

static int
parent_owner_set(const struct config_owner *o)
{
	return o->uid != (uid_t)-1 || o->gid != (gid_t)-1;
}

/* parent_vm_permits: root, the user who started it, or its owner. */
static int
parent_vm_permits(const struct parent_vm *vm, uid_t uid)
{
	if (uid == 0)
		return 1;
	if (parent_vm_running(vm) && vm->uid == uid)
		return 1;
	return parent_owner_set(&vm->conf.owner) &&
	    config_owner_permits(&vm->conf.owner, uid);
}

/* The uid that owns a running VM's console. */
static uid_t
parent_vm_owner_uid(const struct parent_vm *vm)
{
	if (vm->conf.owner.uid != (uid_t)-1)
		return vm->conf.owner.uid;
	return vm->uid;
}

/*
 * parent_open_as: open path for a VM started by uid, as uid would: the
 * kernel checks the path and the file with uid's file-system ids and
 * groups (no window between a check and the open), and it must be a
 * regular file. fd, or -1 with errno.
 */
static int
parent_open_as(const char *path, int flags, uid_t uid)
{
	struct passwd	*pw;
	struct stat	 st;
	gid_t		 groups[NGROUPS_MAX];
	int		 ngroups = NGROUPS_MAX, fd, saved;

	flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (uid == 0)
		fd = open(path, flags);
	else {
		if ((pw = getpwuid(uid)) == NULL ||
		    getgrouplist(pw->pw_name, pw->pw_gid, groups,
		    &ngroups) == -1) {
			errno = EPERM;
			return -1;
		}
		/* The parent is single-threaded: ids change for all of it. */
		if (setgroups((size_t)ngroups, groups) == -1)
			return -1;
		(void)setfsgid(pw->pw_gid);
		(void)setfsuid(uid);
		fd = open(path, flags);
		saved = errno;
		(void)setfsuid(0);
		(void)setfsgid(0);
		if (setgroups(0, NULL) == -1)
			fatal("%s: setgroups", __func__);
		errno = saved;
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Open the console pty and give it to the VM's owner. 0 or -1 (logged). */
static int
parent_vm_opentty(struct parent_vm *vm)
{
	struct termios	 tio;
	struct group	*gr;
	uid_t		 uid = parent_vm_owner_uid(vm);
	gid_t		 gid;
	mode_t		 mode;

	if (vm->ptm != -1)
		return 0;
	if ((vm->ptm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(vm->ptm) == -1 || unlockpt(vm->ptm) == -1 ||
	    ptsname_r(vm->ptm, vm->tty, sizeof(vm->tty)) != 0) {
		log_warn("%s: vm %s: pty", __func__, vm->conf.name);
		goto fail;
	}
	if ((vm->pts = open(vm->tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		log_warn("%s: %s", __func__, vm->tty);
		goto fail;
	}
	/* A serial line: raw, 115200. */
	if (tcgetattr(vm->pts, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, B115200);
		(void)tcsetattr(vm->pts, TCSANOW, &tio);
	}
	if (vm->conf.owner.gid != (gid_t)-1) {
		gid = vm->conf.owner.gid;
		mode = 0660;
	} else if ((gr = getgrnam("tty")) != NULL) {
		gid = gr->gr_gid;
		mode = 0620;
	} else {
		gid = 0;
		mode = 0600;
	}
	if (fchown(vm->pts, uid, gid) == -1 || fchmod(vm->pts, mode) == -1) {
		log_warn("%s: %s", __func__, vm->tty);
		goto fail;
	}
	return 0;
 fail:
	parent_vm_closetty(vm);
	return -1;
}

/* A disk image for vm: checked for the user, opened read-write. fd or -1. */
static int
parent_open_disk(struct parent_vm *vm, const struct config_disk *d)
{
	uint8_t	magic[4];
	int	fd;

	if ((fd = parent_open_as(d->path, O_RDWR,
	    (vm->user_set & PROTO_VMSTART_DISKS) ? vm->uid : 0)) == -1) {
		log_warn("vm %s: disk %s", vm->conf.name, d->path);
		return -1;
	}
	/* The VM process speaks raw only, for now. */
	if (d->format == CONFIG_FORMAT_QCOW2 ||
	    (d->format == CONFIG_FORMAT_AUTO &&
	    pread(fd, magic, sizeof(magic), 0) == sizeof(magic) &&
	    memcmp(magic, "QFI\xfb", 4) == 0)) {
		log_warnx("vm %s: disk %s: qcow2 is not supported yet",
		    vm->conf.name, d->path);
		close(fd);
		errno = EOPNOTSUPP;
		return -1;
	}
	return fd;
}

/* Networking: every host change is one request to priv. */

static void
parent_priv_if(struct parent *p, uint32_t type, const char *name,
    const char *bridge, const char *descr, uint32_t value)
{
	struct proto_ifreq	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	strlcpy(r.name, name != NULL ? name : "", sizeof(r.name));
	strlcpy(r.bridge, bridge != NULL ? bridge : "", sizeof(r.bridge));
	strlcpy(r.descr, descr != NULL ? descr : "", sizeof(r.descr));
	r.value = value;
	if ((len = proto_ifreq_encode(&r, buf)) != -1)
		(void)proc_send(&p->priv, type, 0, buf, (size_t)len, -1);
}

/* parent_net_config: switches (bridges) and local nat, after a load. */
static void
parent_net_config(struct parent *p)
{
	struct config_switch	*sw;
	struct proto_ifreq	 r;
	uint8_t			 buf[sizeof(r)];
	int			 len;

	TAILQ_FOREACH(sw, &p->conf->switches, entry) {
		if (sw->disabled)
			continue;
		parent_priv_if(p, IMSG_PRIV_SWITCH_REQ, NULL, sw->ifname,
		    sw->name, sw->updown != CONFIG_UPDOWN_DOWN);
		if (sw->group[0] != '\0')
			parent_priv_if(p, IMSG_PRIV_IFGROUP_REQ, sw->ifname,
			    NULL, NULL, sw->group_id);
	}
	/* Without local nat, prefix length 0 turns it off (a reload). */
	memset(&r, 0, sizeof(r));
	memcpy(r.addr, &p->conf->local_prefix, 4);
	r.value = p->conf->local_nat ? (uint32_t)p->conf->local_prefixlen : 0;
	if (p->conf->local_nat && p->conf->local_inet6) {
		memcpy(r.addr6, &p->conf->local_prefix6, 16);
		r.value6 = (uint32_t)p->conf->local_prefix6len;
	}
	if ((len = proto_ifreq_encode(&r, buf)) != -1)
		(void)proc_send(&p->priv, IMSG_PRIV_NAT_REQ, 0, buf,
		    (size_t)len, -1);
}

/*
 * parent_net_nic: configure tap ifname, NIC i of vm, through priv:
 * description, switch, group, local addresses, up/down. For a local NIC
 * f gets the guest's /31 and the tap's MAC for the DHCP server.
 */
static void
parent_net_nic(struct parent *p, struct parent_vm *vm, size_t i,
    const char *ifname, int fd, struct proto_fdreq *f)
{
	const struct config_nic	*nic = i < vm->conf.nnics ?
				    &vm->conf.nics[i] : NULL;
	struct config_switch	*sw = NULL;
	struct in_addr		 host, guest;
	struct in6_addr		 host6;
	struct proto_ifreq	 r;
	uint8_t			 buf[sizeof(r)];
	char			 descr[PROTO_IFDESCR_MAX];
	int			 len, up = 1;

	snprintf(descr, sizeof(descr), "vm%u-if%zu-%s", vm->id, i,
	    vm->conf.name);
	parent_priv_if(p, IMSG_PRIV_IFDESCR_REQ, ifname, NULL, descr, 0);
	if (nic != NULL && nic->switchname[0] != '\0') {
		sw = config_switch_find(p->conf, nic->switchname);
		if (sw == NULL || sw->disabled)
			log_warnx("vm %s: interface %zu: switch %s is not "
			    "configured", vm->conf.name, i, nic->switchname);
		else {
			parent_priv_if(p, IMSG_PRIV_IFBRADD_REQ, ifname,
			    sw->ifname, NULL, 0);
			if (sw->locked)
				f->locked = 1;
			if (sw->updown == CONFIG_UPDOWN_DOWN)
				up = 0;
		}
	}
	if (nic != NULL && nic->group[0] != '\0')
		parent_priv_if(p, IMSG_PRIV_IFGROUP_REQ, ifname, NULL, NULL,
		    nic->group_id);
	else if (sw != NULL && !sw->disabled && sw->group[0] != '\0')
		parent_priv_if(p, IMSG_PRIV_IFGROUP_REQ, ifname, NULL, NULL,
		    sw->group_id);
	if (nic != NULL && nic->updown != CONFIG_UPDOWN_UNSET)
		up = nic->updown == CONFIG_UPDOWN_UP;
	if (nic != NULL && nic->local) {
		if (localaddr_inet(p->conf->local_prefix,
		    p->conf->local_prefixlen, vm->id, (unsigned int)i, &host,
		    &guest) == -1)
			log_warn("vm %s: interface %zu: local address",
			    vm->conf.name, i);
		else {
			f->local = 1;
			f->host = host.s_addr;
			f->guest = guest.s_addr;
			if (netif_tap_lladdr(fd, f->server_mac) == -1)
				memset(f->server_mac, 0, 6);
			memset(&r, 0, sizeof(r));
			strlcpy(r.name, ifname, sizeof(r.name));
			memcpy(r.addr, &host, 4);
			r.value = LOCALADDR_PREFIXLEN;
			if (p->conf->local_inet6 &&
			    localaddr_inet6(&p->conf->local_prefix6,
			    p->conf->local_prefix6len, guest, &host6,
			    NULL) == 0) {
				memcpy(r.addr6, &host6, 16);
				r.value6 = LOCALADDR_PREFIXLEN6;
			}
			if ((len = proto_ifreq_encode(&r, buf)) != -1) {
				(void)proc_send(&p->priv, IMSG_PRIV_IFADDR_REQ,
				    0, buf, (size_t)len, -1);
				r.value = r.value6;
				if (r.value6 != 0 &&
				    (len = proto_ifreq_encode(&r, buf)) != -1)
					(void)proc_send(&p->priv,
					    IMSG_PRIV_IFADDR6_REQ, 0, buf,
					    (size_t)len, -1);
			}
		}
	}
	parent_priv_if(p, IMSG_PRIV_IFUP_REQ, ifname, NULL, NULL,
	    (uint32_t)up);
}

/* A tap for NIC i of vm: the named one, or a new tapN. fd or -1. */
static int
parent_open_tap(struct parent_vm *vm, const char *name, char *actual)
{
	struct ifreq	ifr;
	int		fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("vm %s: /dev/net/tun", vm->conf.name);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* Plain frames: the VM process's virtio-net expects no vnet header. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		log_warn("vm %s: tap %s", vm->conf.name,
		    name[0] ? name : "(new)");
		close(fd);
		return -1;
	}
	log_debug("vm %s: tap %s", vm->conf.name, ifr.ifr_name);
	strlcpy(actual, ifr.ifr_name, PROTO_IFNAME_MAX);
	return fd;
}

/*
 * Open vm's disks and NICs into fds from *n on (PARENT_MAX_FDS at most).
 * 0, or an error code (logged); the fds opened stay in fds either way.
 */
static int
parent_vm_devs(struct parent *p, struct parent_vm *vm, struct launch_fd *fds,
    size_t *n)
{
	struct launch_fd	*f;
	char			 ifname[PROTO_IFNAME_MAX];
	size_t			 i, nnics;
	int			 fd;

	if (vm->conf.cdrom[0] != '\0') {
		log_warnx("vm %s: cdrom is not supported yet", vm->conf.name);
		return EOPNOTSUPP;
	}
	/* Boot devices need BIOS boot: refuse rather than boot the kernel. */
	if (vm->conf.bootdev != CONFIG_BOOTDEV_NONE) {
		log_warnx("vm %s: boot device %s needs BIOS boot, which is not "
		    "supported yet", vm->conf.name,
		    vm->conf.bootdev == CONFIG_BOOTDEV_DISK ? "disk" :
		    vm->conf.bootdev == CONFIG_BOOTDEV_CDROM ? "cdrom" : "net");
		return EOPNOTSUPP;
	}
	for (i = 0; i < vm->conf.ndisks; i++) {
		if ((fd = parent_open_disk(vm, &vm->conf.disks[i])) == -1)
			return errno;
		f = &fds[(*n)++];
		memset(f, 0, sizeof(*f));
		f->req.which = PROTO_VMFD_DISK;
		f->fd = fd;
	}
	nnics = vm->conf.nnics > vm->conf.ninterfaces ? vm->conf.nnics :
	    vm->conf.ninterfaces;
	for (i = 0; i < nnics && i < CONFIG_MAX_NICS; i++) {
		if ((fd = parent_open_tap(vm, i < vm->conf.nnics ?
		    vm->conf.nics[i].ifname : "", ifname)) == -1)
			return errno;
		f = &fds[(*n)++];
		memset(f, 0, sizeof(*f));
		f->req.which = PROTO_VMFD_TAP;
		f->fd = fd;
		if (i < vm->conf.nnics && vm->conf.nics[i].has_lladdr)
			memcpy(f->req.lladdr, vm->conf.nics[i].lladdr, 6);
		f->req.locked = i < vm->conf.nnics && vm->conf.nics[i].locked;
		parent_net_nic(p, vm, i, ifname, fd, &f->req);
	}
	return 0;
}

/* The restart rate limit: 0, or -1 if started too often too quickly. */
static int
parent_vm_ratelimit(struct parent_vm *vm)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (vm->last_start.tv_sec != 0 &&
	    now.tv_sec - vm->last_start.tv_sec < VMD_RESTART_WINDOW) {
		if (++vm->quick_restarts > VMD_RESTART_MAX)
			return -1;
	} else
		vm->quick_restarts = 0;
	vm->last_start = now;
	return 0;
}

static void
parent_start_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct parent_vm	*vm = arg;

	(void)fd;
	(void)ev;
	if (vm->state != PROTO_VMSTATE_STARTING || vm->pid == -1)
		return;
	log_warnx("vm %s (vm %u) did not report started in %d s, killing it",
	    vm->conf.name, vm->id, vm->p->start_timeout);
	vm->start_err = PROTO_ESTARTTIME;
	vm->stopping = 1;
	if (kill(vm->pid, SIGKILL) == -1)
		log_warn("%s: vm %u pid %d", __func__, vm->id, (int)vm->pid);
}

/* Hand the channel of vm's new process to vmm. 0 or -1 (logged). */
static int
parent_vmm_attach(struct parent *p, struct parent_vm *vm, int sock)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	r.id = vm->id;
	r.pid = vm->pid;
	len = proto_result_encode(&r, buf);
	return proc_send(&p->vmm, IMSG_VMM_ATTACH_REQ, vm->id, buf,
	    (size_t)len, sock);
}

/*
 * parent_vm_start: open what the VM needs, start its process (as a uid of
 * its own), send it its description and hand its channel to vmm. 0, or an
 * error code for the client (logged).
 */
static int
parent_vm_start(struct parent *p, struct parent_vm *vm)
{
	struct proto_vmcreate	*c = NULL;
	struct launch_fd	 fds[PARENT_MAX_FDS];
	struct launch		 l;
	struct timeval		 tv = { p->start_timeout, 0 };
	size_t			 n = 0, i, nown = 0;
	int			 kfd = -1, ifd = -1, err = 0, sock = -1;
	pid_t			 pid;

	if (vm->conf.boot[0] == '\0') {
		log_warnx("vm %s: no kernel to boot", vm->conf.name);
		return PROTO_ENOKERNEL;
	}
	if (parent_vm_ratelimit(vm) == -1) {
		log_warnx("vm %s: restarted too quickly", vm->conf.name);
		return PROTO_ERESTART;
	}
	if (p->kvm_fd == -1) {
		log_warnx("vm %s: no KVM on this host", vm->conf.name);
		return ENODEV;
	}
	if ((kfd = parent_open_as(vm->conf.boot, O_RDONLY,
	    (vm->user_set & PROTO_VMSTART_BOOT) ? vm->uid : 0)) == -1) {
		err = errno;
		log_warn("vm %s: kernel %s", vm->conf.name, vm->conf.boot);
		goto done;
	}
	if (vm->conf.initrd[0] != '\0' &&
	    (ifd = parent_open_as(vm->conf.initrd, O_RDONLY,
	    (vm->user_set & PROTO_VMSTART_INITRD) ? vm->uid : 0)) == -1) {
		err = errno;
		log_warn("vm %s: initrd %s", vm->conf.name, vm->conf.initrd);
		goto done;
	}
	if (parent_vm_opentty(vm) == -1) {
		err = errno;
		goto done;
	}
	memset(fds, 0, sizeof(fds));
	fds[n].req.which = PROTO_VMFD_KVM;
	fds[n++].fd = p->kvm_fd;
	fds[n].req.which = PROTO_VMFD_CON_IN;
	fds[n++].fd = vm->ptm;
	fds[n].req.which = PROTO_VMFD_CON_OUT;
	fds[n++].fd = vm->ptm;
	/* From here on the fds are ours to close. */
	nown = n;
	fds[n].req.which = PROTO_VMFD_KERNEL;
	fds[n++].fd = kfd;
	kfd = -1;
	if (ifd != -1) {
		fds[n].req.which = PROTO_VMFD_INITRD;
		fds[n++].fd = ifd;
		ifd = -1;
	}
	if ((err = parent_vm_devs(p, vm, fds, &n)) != 0)
		goto done;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err = errno;
		goto done;
	}
	strlcpy(c->name, vm->conf.name, sizeof(c->name));
	strlcpy(c->cmdline, vm->conf.cmdline, sizeof(c->cmdline));
	c->memsize = vm->conf.memory;
	c->ncpus = vm->conf.cpus;
	memset(&l, 0, sizeof(l));
	l.prog = "/proc/self/exe";
	l.verbose = log_getverbose();
	l.syslog = !p->opts->debug;
	l.own_uid = 1;
	if ((pid = launch_spawn(&l, &sock)) == -1) {
		err = errno;
		goto done;
	}
	vm->pid = pid;
	vm->state = PROTO_VMSTATE_STARTING;
	vm->stopping = 0;
	if (vm->ev_start == NULL)
		vm->ev_start = evtimer_new(p->base, parent_start_timeout, vm);
	if (vm->ev_start != NULL)
		evtimer_add(vm->ev_start, &tv);
	log_debug("vm %s (vm %u) is pid %d, uid %u", vm->conf.name, vm->id,
	    (int)pid, (unsigned)launch_uid(pid));
	/* It runs now: a failure from here on ends it, and its exit answers. */
	if (sock == -1 || launch_send(sock, c, fds, n) == -1 ||
	    parent_vmm_attach(p, vm, sock) == -1) {
		(void)kill(pid, SIGKILL);
		vm->stopping = 1;
		vm->start_err = EIO;
	}
 done:
	if (sock != -1)
		close(sock);
	for (i = nown; i < n; i++)
		close(fds[i].fd);
	if (kfd != -1)
		close(kfd);
	if (ifd != -1)
		close(ifd);
	free(c);
	return err;
}

/* Start VM vm for uid and answer peerid when it runs (or fails). */
static void
parent_vm_start_for(struct parent *p, struct parent_vm *vm, uid_t uid,
    uint32_t peerid)
{
	int	err;

	vm->uid = uid;
	if (uid == 0)
		vm->user_set = 0;
	if ((err = parent_vm_start(p, vm)) != 0) {
		parent_reply(p, peerid, IMSG_VM_START_RESP, err, vm);
		if (!vm->from_config)
			parent_vm_free(p, vm);
		else if (vm->next_conf != NULL) {
			vm->conf = *vm->next_conf;
			free(vm->next_conf);
			vm->next_conf = NULL;
		}
		return;
	}
	vm->start_peer = peerid;
}

/* vmctl start's flags say which settings they give as vm.conf does. */
_Static_assert(PROTO_VMSTART_MEMORY == CONFIG_SET_MEMORY &&
    PROTO_VMSTART_CPUS == CONFIG_SET_CPUS &&
    PROTO_VMSTART_DISKS == CONFIG_SET_DISKS &&
    PROTO_VMSTART_CDROM == CONFIG_SET_CDROM &&
    PROTO_VMSTART_BOOT == CONFIG_SET_BOOT &&
    PROTO_VMSTART_BOOTDEV == CONFIG_SET_BOOTDEV &&
    PROTO_VMSTART_NICS == CONFIG_SET_NICS &&
    PROTO_VMSTART_NIFS == CONFIG_SET_NINTERFACES &&
    PROTO_VMSTART_INITRD == CONFIG_SET_INITRD &&
    PROTO_VMSTART_CMDLINE == CONFIG_SET_CMDLINE, "start flags");

/* Build a config_vm from a start request's fields (root's ad hoc VMs). */
static int
parent_apply_request(struct config_vm *c, const struct proto_vmstart *r)
{
	size_t	i;

	if (r->bootdev > CONFIG_BOOTDEV_NET || r->ndisks > CONFIG_MAX_DISKS ||
	    r->nnics > CONFIG_MAX_NICS)
		return -1;
	for (i = 0; i < r->ndisks; i++)
		if (r->diskfmt[i] > CONFIG_FORMAT_QCOW2)
			return -1;
	if (r->set & PROTO_VMSTART_MEMORY)
		c->memory = r->memsize;
	if (r->set & PROTO_VMSTART_CPUS)
		c->cpus = r->ncpus;
	if ((r->set & PROTO_VMSTART_BOOT) &&
	    strlcpy(c->boot, r->boot, sizeof(c->boot)) >= sizeof(c->boot))
		return -1;
	if ((r->set & PROTO_VMSTART_INITRD) &&
	    strlcpy(c->initrd, r->initrd, sizeof(c->initrd)) >=
	    sizeof(c->initrd))
		return -1;
	if ((r->set & PROTO_VMSTART_CMDLINE) &&
	    strlcpy(c->cmdline, r->cmdline, sizeof(c->cmdline)) >=
	    sizeof(c->cmdline))
		return -1;
	if ((r->set & PROTO_VMSTART_CDROM) &&
	    strlcpy(c->cdrom, r->cdrom, sizeof(c->cdrom)) >= sizeof(c->cdrom))
		return -1;
	if (r->set & PROTO_VMSTART_DISKS) {
		c->ndisks = r->ndisks;
		for (i = 0; i < r->ndisks; i++) {
			if (strlcpy(c->disks[i].path, r->disks[i],
			    sizeof(c->disks[i].path)) >=
			    sizeof(c->disks[i].path))
				return -1;
			c->disks[i].format = (enum config_format)r->diskfmt[i];
		}
	}
	if (r->set & PROTO_VMSTART_NICS) {
		c->nnics = r->nnics;
		for (i = 0; i < r->nnics; i++) {
			memset(&c->nics[i], 0, sizeof(c->nics[i]));
			strlcpy(c->nics[i].switchname, r->nics[i],
			    sizeof(c->nics[i].switchname));
			c->nics[i].local = r->niclocal[i] != 0;
		}
	}
	if (r->set & PROTO_VMSTART_NIFS)
		c->ninterfaces = r->nifs;
	if (r->set & PROTO_VMSTART_BOOTDEV)
		c->bootdev = (enum config_bootdev)r->bootdev;
	c->set |= r->set;
	if (c->memory < CONFIG_MEM_MIN || c->memory > CONFIG_MEM_MAX ||
	    c->cpus < CONFIG_CPUS_MIN || c->cpus > CONFIG_CPUS_MAX ||
	    c->ninterfaces > CONFIG_MAX_NICS)
		return -1;
	c->memory &= ~(CONFIG_MEM_ROUND - 1);
	return 0;
}

/* start -t: a new instance of template tmpl. 0 or an error code. */
static int
parent_start_instance(struct parent *p, const struct proto_vmstart *r,
    uid_t uid, struct config_vm *c, struct parent_vm **vmp)
{
	struct parent_vm	*tmpl;
	struct config_vm	*out;
	char			 errbuf[256];
	int			 err = 0;

	if ((tmpl = parent_vm_find(p, 0, r->template)) == NULL)
		return PROTO_ENOTFOUND;
	config_vm_init(c, r->name);
	if (parent_apply_request(c, r) == -1)
		return EINVAL;
	c->set = r->set;
	if ((out = calloc(1, sizeof(*out))) == NULL)
		return ENOMEM;
	if (config_vm_instance(&tmpl->conf, c, r->name, uid, out, errbuf,
	    sizeof(errbuf)) == -1) {
		err = errno;
		log_warnx("instance %s of %s: %s", r->name, r->template,
		    errno == EINVAL ? errbuf : strerror(errno));
	} else if ((*vmp = parent_vm_new(p, out, 0, uid)) == NULL)
		err = ENOMEM;
	free(out);
	return err;
}

/*
 * start of a VM the configuration defined: its owner may add a kernel,
 * root anything, for this run only. 0 or an error code.
 */
static int
parent_start_known(struct parent_vm *vm, const struct proto_vmstart *r,
    uid_t uid, struct config_vm *c)
{
	if (!parent_vm_permits(vm, uid))
		return EPERM;
	if (parent_vm_running(vm))
		return EALREADY;
	if (uid != 0 && (r->set & ~PROTO_VMSTART_BOOT) != 0)
		return EPERM;
	*c = vm->conf;
	if (parent_apply_request(c, r) == -1)
		return EINVAL;
	if (r->set != 0 && vm->next_conf == NULL) {
		/* The configured settings come back when it stops. */
		if ((vm->next_conf = malloc(sizeof(*vm->next_conf))) == NULL)
			return ENOMEM;
		*vm->next_conf = vm->conf;
	}
	vm->conf = *c;
	return 0;
}

/* start of a VM the command line defines (root only). 0 or an error. */
static int
parent_start_new(struct parent *p, const struct proto_vmstart *r, uid_t uid,
    struct config_vm *c, struct parent_vm **vmp)
{
	if (uid != 0)
		return EPERM;
	config_vm_init(c, r->name);
	if (parent_apply_request(c, r) == -1)
		return EINVAL;
	if ((*vmp = parent_vm_new(p, c, 0, uid)) == NULL)
		return ENOMEM;
	return 0;
}

static void
parent_start_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	struct proto_vmstart	*r;
	struct config_vm	*c;
	struct parent_vm	*vm;
	const char		*errstr;
	uint32_t		 id;
	int			 err;

	r = calloc(1, sizeof(*r));
	c = calloc(1, sizeof(*c));
	if (r == NULL || c == NULL)
		err = ENOMEM;
	else if (proto_vmstart_decode(data, len, r) == -1 ||
	    !config_name_valid(r->name))
		err = EINVAL;
	else {
		vm = NULL;
		/* "start 3": an id names a VM too. */
		if ((vm = parent_vm_find(p, 0, r->name)) == NULL &&
		    (id = (uint32_t)strtonum(r->name, 1, UINT32_MAX,
		    &errstr), errstr == NULL))
			vm = parent_vm_find(p, id, "");
		if (r->template[0] != '\0')
			err = vm != NULL ? EALREADY :
			    parent_start_instance(p, r, uid, c, &vm);
		else if (vm != NULL)
			err = parent_start_known(vm, r, uid, c);
		else
			err = parent_start_new(p, r, uid, c, &vm);
	}
	if (err == 0) {
		/* What a user names is opened with the user's rights. */
		vm->user_set = r->set;
		parent_vm_start_for(p, vm, uid, peerid);
	}
	else {
		if (err != ENOMEM)
			log_warnx("start %s for uid %u: %s", r->name,
			    (unsigned)uid, proto_strerror(err));
		parent_reply(p, peerid, IMSG_VM_START_RESP, err, NULL);
	}
	free(r);
	free(c);
}

/* vmm's answer to a launch: the VM runs (or not). */
static void
parent_vmm_started(struct parent *p, struct imsg *im)
{
	struct proto_result	 r;
	struct parent_vm	*vm;

	if (proto_result_decode(im->data, im->hdr.len, &r) == -1)
		proc_bad(&p->vmm, im, "bad result");
	/* A report from a process that has since ended is stale. */
	if ((vm = parent_vm_find(p, im->hdr.peerid, "")) == NULL ||
	    vm->state != PROTO_VMSTATE_STARTING || vm->pid != r.pid)
		return;
	if (vm->ev_start != NULL)
		evtimer_del(vm->ev_start);
	if (r.error != 0) {
		/* The exit event follows and cleans up. */
		parent_reply(p, vm->start_peer, IMSG_VM_START_RESP,
		    vm->start_err ? vm->start_err : PROTO_ESTARTFAIL, vm);
		vm->start_peer = 0;
		return;
	}
	vm->state = vm->stopping ? PROTO_VMSTATE_STOPPING :
	    PROTO_VMSTATE_RUNNING;
	log_info("started %s (vm %u) successfully, tty %s", vm->conf.name,
	    vm->id, vm->tty);
	parent_reply(p, vm->start_peer, IMSG_VM_START_RESP, 0, vm);
	vm->start_peer = 0;
}

/* A VM process ended: restart it (guest reboot) or mark it stopped. */
static void
parent_vm_exited(struct parent *p, struct parent_vm *vm, int status)
{
	struct parent_waiter	*w;
	int			 err;

	if (vm->ev_stop != NULL) {
		event_free(vm->ev_stop);
		vm->ev_stop = NULL;
	}
	if (vm->ev_start != NULL)
		evtimer_del(vm->ev_start);
	if (vm->start_peer != 0) {
		parent_reply(p, vm->start_peer, IMSG_VM_START_RESP,
		    vm->start_err ? vm->start_err : PROTO_ESTARTFAIL, vm);
		vm->start_peer = 0;
	}
	vm->start_err = 0;
	if (vm->pause_peer != 0) {
		parent_reply(p, vm->pause_peer, IMSG_VM_PAUSE_RESP,
		    PROTO_ENOTRUNNING, vm);
		vm->pause_peer = 0;
	}
	vm->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == VM_EXIT_REBOOT &&
	    !vm->stopping && !vm->remove && !p->quitting &&
	    vm->state == PROTO_VMSTATE_RUNNING) {
		log_info("vm %s (vm %u) rebooted, restarting", vm->conf.name,
		    vm->id);
		if ((err = parent_vm_start(p, vm)) == 0)
			return;
	}
	if (WIFSIGNALED(status))
		log_info("vm %s (vm %u) killed by signal %d", vm->conf.name,
		    vm->id, WTERMSIG(status));
	else
		log_info("vm %s (vm %u) stopped, status %d", vm->conf.name,
		    vm->id, WEXITSTATUS(status));
	vm->state = PROTO_VMSTATE_STOPPED;
	vm->stopping = 0;
	parent_vm_closetty(vm);
	if (vm->next_conf != NULL) {
		vm->conf = *vm->next_conf;
		free(vm->next_conf);
		vm->next_conf = NULL;
	}
	while ((w = TAILQ_FIRST(&vm->waiters)) != NULL) {
		TAILQ_REMOVE(&vm->waiters, w, entry);
		parent_reply(p, w->peerid, w->type, 0, vm);
		free(w);
	}
	if (!vm->from_config || vm->remove)
		parent_vm_free(p, vm);
	if (p->quitting && TAILQ_EMPTY(&p->vms))
		event_base_loopexit(p->base, NULL);
	parent_stagger(p);
}

static void
parent_stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct parent_vm	*vm = arg;

	(void)fd;
	(void)ev;
	log_info("vm %s (vm %u) did not stop in %d s, forcing it",
	    vm->conf.name, vm->id, vm->p->stop_timeout);
	if (vm->pid != -1)
		(void)kill(vm->pid, SIGKILL);
}

/*
 * parent_vm_stop: end the VM, politely unless force: its process presses
 * the guest's power button on the first SIGTERM.
 */
static void
parent_vm_stop(struct parent *p, struct parent_vm *vm, int force)
{
	struct timeval	tv = { p->stop_timeout, 0 };

	if (vm->state == PROTO_VMSTATE_PAUSED && !force)
		(void)proc_send(&p->vmm, IMSG_VMM_UNPAUSE_REQ, vm->id, NULL, 0,
		    -1);
	vm->stopping = 1;
	if (vm->state != PROTO_VMSTATE_STARTING)
		vm->state = PROTO_VMSTATE_STOPPING;
	if (vm->pid != -1 && kill(vm->pid, force ? SIGKILL : SIGTERM) == -1)
		log_warn("%s: vm %u pid %d", __func__, vm->id, (int)vm->pid);
	if (!force && vm->ev_stop == NULL &&
	    (vm->ev_stop = evtimer_new(p->base, parent_stop_timeout,
	    vm)) != NULL)
		evtimer_add(vm->ev_stop, &tv);
}

static int
parent_add_waiter(struct parent_vm *vm, uint32_t peerid, uint32_t type)
{
	struct parent_waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->peerid = peerid;
	w->type = type;
	TAILQ_INSERT_TAIL(&vm->waiters, w, entry);
	return 0;
}

/*
 * parent_lookup: decode a proto_vmref and find a VM uid may act on. The
 * VM, or NULL after answering the client with type.
 */
static struct parent_vm *
parent_lookup(struct parent *p, uint32_t peerid, uid_t uid, uint32_t type,
    const uint8_t *data, size_t len, struct proto_vmref *ref)
{
	struct parent_vm	*vm;

	if (proto_vmref_decode(data, len, ref) == -1) {
		parent_reply(p, peerid, type, EINVAL, NULL);
		return NULL;
	}
	if ((vm = parent_vm_find(p, ref->id, ref->name)) == NULL) {
		parent_reply(p, peerid, type, PROTO_ENOTFOUND, NULL);
		return NULL;
	}
	if (!parent_vm_permits(vm, uid)) {
		parent_reply(p, peerid, type, EPERM, vm);
		return NULL;
	}
	return vm;
}

static void
parent_stop_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	struct proto_vmref	 ref;
	struct parent_vm	*vm;
	int			 force;

	if ((vm = parent_lookup(p, peerid, uid, IMSG_VM_STOP_RESP, data, len,
	    &ref)) == NULL)
		return;
	force = (ref.flags & PROTO_VMREF_F_FORCE) != 0;
	if (!parent_vm_running(vm)) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, PROTO_ENOTRUNNING,
		    vm);
		return;
	}
	if (vm->stopping && !force) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, EALREADY, vm);
		return;
	}
	if ((ref.flags & PROTO_VMREF_F_WAIT) &&
	    parent_add_waiter(vm, peerid, IMSG_VM_STOP_RESP) == -1) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, ENOMEM, vm);
		return;
	}
	log_info("stopping %s (vm %u)%s for uid %u", vm->conf.name, vm->id,
	    force ? " by force" : "", (unsigned)uid);
	parent_vm_stop(p, vm, force);
	if ((ref.flags & PROTO_VMREF_F_WAIT) == 0)
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, 0, vm);
}

static void
parent_pause_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len, int pause)
{
	struct proto_vmref	 ref;
	struct parent_vm	*vm;
	uint32_t		 rtype;

	rtype = pause ? IMSG_VM_PAUSE_RESP : IMSG_VM_UNPAUSE_RESP;
	if ((vm = parent_lookup(p, peerid, uid, rtype, data, len,
	    &ref)) == NULL)
		return;
	if (vm->state != (pause ? PROTO_VMSTATE_RUNNING :
	    PROTO_VMSTATE_PAUSED)) {
		parent_reply(p, peerid, rtype, parent_vm_running(vm) ?
		    EALREADY : PROTO_ENOTRUNNING, vm);
		return;
	}
	if (vm->pause_peer != 0) {
		parent_reply(p, peerid, rtype, EBUSY, vm);
		return;
	}
	if (proc_send(&p->vmm, pause ? IMSG_VMM_PAUSE_REQ :
	    IMSG_VMM_UNPAUSE_REQ, vm->id, NULL, 0, -1) == -1) {
		parent_reply(p, peerid, rtype, EIO, vm);
		return;
	}
	vm->pause_peer = peerid;
}

static void
parent_vmm_paused(struct parent *p, struct imsg *im, int pause)
{
	struct parent_vm	*vm;
	uint32_t		 err, peer;

	if (proto_u32_decode(im->data, im->hdr.len, &err) == -1)
		proc_bad(&p->vmm, im, "bad result");
	if ((vm = parent_vm_find(p, im->hdr.peerid, "")) == NULL)
		return;
	if (err == 0 && (vm->state == PROTO_VMSTATE_RUNNING ||
	    vm->state == PROTO_VMSTATE_PAUSED)) {
		vm->state = pause ? PROTO_VMSTATE_PAUSED :
		    PROTO_VMSTATE_RUNNING;
		log_info("%s %s (vm %u)", pause ? "paused" : "unpaused",
		    vm->conf.name, vm->id);
	}
	peer = vm->pause_peer;
	vm->pause_peer = 0;
	parent_reply(p, peer, pause ? IMSG_VM_PAUSE_RESP :
	    IMSG_VM_UNPAUSE_RESP, (int)err, vm);
}

static void
parent_wait_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	struct proto_vmref	 ref;
	struct parent_vm	*vm;

	if ((vm = parent_lookup(p, peerid, uid, IMSG_VM_WAIT_RESP, data, len,
	    &ref)) == NULL)
		return;
	if (!parent_vm_running(vm)) {
		parent_reply(p, peerid, IMSG_VM_WAIT_RESP, PROTO_ENOTRUNNING,
		    vm);
		return;
	}
	if (parent_add_waiter(vm, peerid, IMSG_VM_WAIT_RESP) == -1)
		parent_reply(p, peerid, IMSG_VM_WAIT_RESP, ENOMEM, vm);
}

/* The VM process's resident memory, from /proc. */
static uint64_t
parent_vm_curmem(const struct parent_vm *vm)
{
	char			 path[64];
	FILE			*f;
	unsigned long long	 size, rss;

	if (vm->pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)vm->pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
parent_vm_info(const struct parent_vm *vm, struct proto_vminfo *info)
{
	struct passwd	*pw;

	memset(info, 0, sizeof(*info));
	info->id = vm->id;
	info->pid = parent_vm_running(vm) ? vm->pid : -1;
	info->ncpus = vm->conf.cpus;
	info->state = vm->state;
	info->maxmem = vm->conf.memory;
	info->curmem = parent_vm_curmem(vm);
	strlcpy(info->tty, vm->tty, sizeof(info->tty));
	strlcpy(info->name, vm->conf.name, sizeof(info->name));
	if (parent_owner_set(&vm->conf.owner)) {
		config_owner_str(&vm->conf.owner, info->owner,
		    sizeof(info->owner));
		info->uid = vm->conf.owner.uid;
	} else {
		info->uid = parent_vm_running(vm) ? vm->uid : 0;
		if ((pw = getpwuid(info->uid)) != NULL)
			strlcpy(info->owner, pw->pw_name, sizeof(info->owner));
		else
			snprintf(info->owner, sizeof(info->owner), "%u",
			    (unsigned)info->uid);
	}
}

static void
parent_status_req(struct parent *p, uint32_t peerid, const uint8_t *data,
    size_t len)
{
	struct proto_vmref	 ref;
	struct proto_vminfo	 info;
	struct parent_vm	*vm;
	uint8_t			 buf[sizeof(info)];
	int			 n, found = 0;

	if (proto_vmref_decode(data, len, &ref) == -1) {
		parent_reply(p, peerid, IMSG_VM_STATUS_END_RESP, EINVAL, NULL);
		return;
	}
	TAILQ_FOREACH(vm, &p->vms, entry) {
		if ((ref.id != 0 && vm->id != ref.id) ||
		    (ref.id == 0 && ref.name[0] != '\0' &&
		    strcmp(ref.name, vm->conf.name) != 0))
			continue;
		if ((ref.flags & PROTO_VMREF_F_RUNNING) &&
		    !parent_vm_running(vm))
			continue;
		parent_vm_info(vm, &info);
		if ((n = proto_vminfo_encode(&info, buf)) == -1)
			continue;
		found++;
		(void)proc_send_ctl(&p->control, IMSG_VM_STATUS_RESP,
		    peerid, 0, buf, (size_t)n, -1);
	}
	parent_reply(p, peerid, IMSG_VM_STATUS_END_RESP,
	    (found == 0 && (ref.id != 0 || ref.name[0] != '\0')) ?
	    PROTO_ENOTFOUND : 0, NULL);
}

/* Configuration: load, reload, reset. */

static void
parent_socket_owner(struct parent *p)
{
	const struct config_owner	*o = &p->conf->socket_owner;
	uid_t				 uid = o->uid == (uid_t)-1 ? 0 : o->uid;
	gid_t				 gid = o->gid == (gid_t)-1 ? 0 : o->gid;

	if (chown(p->opts->sockpath, uid, gid) == -1)
		log_warn("%s: chown %s", __func__, p->opts->sockpath);
}

/*
 * parent_add_config: register conf's VMs that are not known yet and queue
 * the enabled ones. Takes conf over.
 */
static void
parent_add_config(struct parent *p, struct vmd_config *conf, int global)
{
	struct config_vm	*c;
	struct parent_vm	*vm;

	TAILQ_FOREACH(c, &conf->vms, entry) {
		if ((vm = parent_vm_find(p, 0, c->name)) != NULL) {
			/* A running VM takes its new settings when it stops. */
			if (global && parent_vm_running(vm) &&
			    vm->from_config) {
				free(vm->next_conf);
				if ((vm->next_conf = malloc(sizeof(*c))) != NULL)
					*vm->next_conf = *c;
			} else
				log_warnx("vm %s is already defined, skipped",
				    c->name);
			continue;
		}
		if ((vm = parent_vm_new(p, c, 1, 0)) == NULL)
			continue;
		if (!c->disabled)
			vm->state = PROTO_VMSTATE_WAITING;
	}
	if (global) {
		config_free(p->conf);
		p->conf = conf;
		parent_socket_owner(p);
		parent_net_config(p);
	} else
		config_free(conf);
	parent_stagger(p);
}

static void
parent_stagger_timer(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	parent_stagger(arg);
}

/*
 * parent_stagger: start waiting VMs, `parallel` at a time, then wait
 * `delay` seconds before the next batch (staggered start).
 */
static void
parent_stagger(struct parent *p)
{
	struct parent_vm	*vm;
	struct timeval		 tv;
	unsigned int		 n = 0, max;
	long			 ncpu;

	if (p->quitting || evtimer_pending(p->ev_stagger, NULL))
		return;
	max = p->conf->stagger_parallel;
	if (max == 0)
		max = (ncpu = sysconf(_SC_NPROCESSORS_ONLN)) > 0 ?
		    (unsigned int)ncpu : 1;
	TAILQ_FOREACH(vm, &p->vms, entry) {
		if (vm->state != PROTO_VMSTATE_WAITING)
			continue;
		if (n++ == max) {
			tv.tv_sec = p->conf->stagger_delay;
			tv.tv_usec = 0;
			evtimer_add(p->ev_stagger, &tv);
			return;
		}
		vm->state = PROTO_VMSTATE_STOPPED;
		parent_vm_start_for(p, vm, 0, 0);
	}
}

static struct vmd_config *
parent_parse(struct parent *p, const char *file)
{
	struct vmd_config	*conf;
	int			 errors = 0, flags = 0;

	if (file == NULL) {
		file = p->opts->conffile;
		if (file == NULL)
			flags = CONFIG_F_MISSING_OK;
	}
	if ((conf = config_parse(file, &p->opts->macros, flags,
	    &errors)) == NULL)
		log_warnx("%s: %s: %d errors", __func__,
		    file ? file : CONFIG_DEFAULT_FILE, errors);
	return conf;
}

static void
parent_load_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	struct proto_path	 path;
	struct vmd_config	*conf;

	if (uid != 0) {
		parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, EPERM, NULL);
		return;
	}
	if (proto_path_decode(data, len, &path) == -1) {
		parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, EINVAL, NULL);
		return;
	}
	if ((conf = parent_parse(p, path.path)) == NULL) {
		parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, PROTO_ECONFIG,
		    NULL);
		return;
	}
	log_info("loaded %s", path.path);
	parent_add_config(p, conf, 0);
	parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, 0, NULL);
}

/* parent_reload: drop what is not running, re-read the default file. */
static int
parent_reload(struct parent *p)
{
	struct vmd_config	*conf;
	struct parent_vm	*vm, *next;

	if ((conf = parent_parse(p, NULL)) == NULL)
		return PROTO_ECONFIG;
	for (vm = TAILQ_FIRST(&p->vms); vm != NULL; vm = next) {
		next = TAILQ_NEXT(vm, entry);
		if (!parent_vm_running(vm))
			parent_vm_free(p, vm);
		else if (vm->from_config &&
		    config_vm_find(conf, vm->conf.name) == NULL)
			vm->from_config = 0;	/* forgotten when it stops */
	}
	log_info("configuration reloaded");
	parent_add_config(p, conf, 1);
	return 0;
}

static void
parent_reload_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	if (uid != 0 || proto_empty_decode(data, len) == -1) {
		parent_reply(p, peerid, IMSG_CONF_RELOAD_RESP,
		    uid != 0 ? EPERM : EINVAL, NULL);
		return;
	}
	parent_reply(p, peerid, IMSG_CONF_RELOAD_RESP, parent_reload(p), NULL);
}

static void
parent_reset_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	struct parent_vm	*vm, *next;
	uint32_t		 mask;

	if (uid != 0 || proto_u32_decode(data, len, &mask) == -1 ||
	    (mask & ~PROTO_RESET_ALL) != 0) {
		parent_reply(p, peerid, IMSG_CONF_RESET_RESP,
		    uid != 0 ? EPERM : EINVAL, NULL);
		return;
	}
	if (mask & PROTO_RESET_VMS) {
		log_info("reset: terminating and forgetting every vm");
		for (vm = TAILQ_FIRST(&p->vms); vm != NULL; vm = next) {
			next = TAILQ_NEXT(vm, entry);
			if (parent_vm_running(vm)) {
				vm->remove = 1;
				parent_vm_stop(p, vm, 1);
			} else
				parent_vm_free(p, vm);
		}
		p->reset_ids = 1;
		parent_oldids_clear(p);
		if (TAILQ_EMPTY(&p->vms)) {
			p->next_id = 0;
			p->reset_ids = 0;
		}
	}
	/* Switches: priv deletes the bridges it made, and the nat table. */
	if (mask & PROTO_RESET_SWITCHES) {
		log_info("reset: removing the switches vmd created");
		parent_priv_if(p, IMSG_PRIV_RESET_REQ, NULL, NULL, NULL, 0);
	}
	parent_reply(p, peerid, IMSG_CONF_RESET_RESP, 0, NULL);
}

static void
parent_log_req(struct parent *p, uint32_t peerid, uid_t uid,
    const uint8_t *data, size_t len)
{
	uint32_t	v;

	if (uid != 0 || proto_u32_decode(data, len, &v) == -1 || v > 3) {
		parent_reply(p, peerid, IMSG_LOG_VERBOSE_RESP,
		    uid != 0 ? EPERM : EINVAL, NULL);
		return;
	}
	log_setverbose((int)v);
	(void)proc_send_u32(&p->control, IMSG_LOG_VERBOSE_EVENT, 0, v);
	(void)proc_send_u32(&p->vmm, IMSG_LOG_VERBOSE_EVENT, 0, v);
	(void)proc_send_u32(&p->priv, IMSG_LOG_VERBOSE_EVENT, 0, v);
	log_info("log level %s", v ? "verbose" : "brief");
	parent_reply(p, peerid, IMSG_LOG_VERBOSE_RESP, 0, NULL);
}

/* Dispatchers. */

static void
parent_dispatch_control(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct parent		*p = arg;
	const uint8_t		*data;
	size_t			 len;
	uint32_t		 uid;

	if (im->fd != -1)
		proc_bad(ch, im, "unexpected fd");
	if (proto_ctl_open(im, &uid, &data, &len) == -1)
		proc_bad(ch, im, "bad envelope");
	switch (im->hdr.type) {
	case IMSG_VM_START_REQ:
		parent_start_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_VM_STOP_REQ:
		parent_stop_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_VM_PAUSE_REQ:
		parent_pause_req(p, im->hdr.peerid, uid, data, len, 1);
		break;
	case IMSG_VM_UNPAUSE_REQ:
		parent_pause_req(p, im->hdr.peerid, uid, data, len, 0);
		break;
	case IMSG_VM_WAIT_REQ:
		parent_wait_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_VM_STATUS_REQ:
		parent_status_req(p, im->hdr.peerid, data, len);
		break;
	case IMSG_CONF_LOAD_REQ:
		parent_load_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_CONF_RELOAD_REQ:
		parent_reload_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_CONF_RESET_REQ:
		parent_reset_req(p, im->hdr.peerid, uid, data, len);
		break;
	case IMSG_LOG_VERBOSE_REQ:
		parent_log_req(p, im->hdr.peerid, uid, data, len);
		break;
	default:
		proc_bad(ch, im, "unexpected");
	}
}

/*
 * A moment after vmm lost a VM process's channel: a process that exited
 * has been reaped by now; one still running closed or broke its channel
 * and cannot be managed: end it.
 */
static void
parent_vm_lost(evutil_socket_t fd, short ev, void *arg)
{
	struct parent_vm	*vm = arg;
	siginfo_t		 si;

	(void)fd;
	(void)ev;
	if (vm->pid == -1 || vm->pid != vm->lost_pid)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)vm->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid == vm->pid)
		return;		/* it exited: parent_sigchld reports it */
	log_warnx("vm %s (vm %u): its process broke the protocol, killing it",
	    vm->conf.name, vm->id);
	(void)kill(vm->pid, SIGKILL);
}

/* vmm lost a VM process's channel: at its exit, or not. */
static void
parent_vmm_bad(struct parent *p, struct imsg *im)
{
	struct parent_vm	*vm;
	struct timeval		 tv = { 0, PARENT_LOST_USEC };
	uint32_t		 pid;

	if (proto_u32_decode(im->data, im->hdr.len, &pid) == -1)
		proc_bad(&p->vmm, im, "bad pid");
	if ((vm = parent_vm_find(p, im->hdr.peerid, "")) == NULL ||
	    vm->pid == -1 || vm->pid != (pid_t)pid)
		return;
	vm->lost_pid = vm->pid;
	if (vm->ev_lost == NULL &&
	    (vm->ev_lost = evtimer_new(p->base, parent_vm_lost, vm)) == NULL) {
		parent_vm_lost(-1, 0, vm);
		return;
	}
	evtimer_add(vm->ev_lost, &tv);
}

/* Reap VM processes (and notice vmd's own children going). */
static void
parent_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct parent		*p = arg;
	struct parent_vm	*vm;
	pid_t			 pid;
	int			 status;

	(void)sig;
	(void)ev;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->control_pid || pid == p->vmm_pid ||
		    pid == p->priv_pid) {
			/* Its channel's end ends vmd (parent_child_closed). */
			if (pid == p->control_pid)
				p->control_pid = -1;
			else if (pid == p->vmm_pid)
				p->vmm_pid = -1;
			else
				p->priv_pid = -1;
			continue;
		}
		TAILQ_FOREACH(vm, &p->vms, entry)
			if (vm->pid == pid)
				break;
		if (vm == NULL)
			continue;
		log_debug("vm %u pid %d ended, status 0x%x", vm->id, (int)pid,
		    status);
		parent_vm_exited(p, vm, status);
	}
}

static void
parent_dispatch_vmm(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct parent	*p = arg;

	if (im->fd != -1)
		proc_bad(ch, im, "unexpected fd");
	switch (im->hdr.type) {
	case IMSG_VMM_START_RESP:
		parent_vmm_started(p, im);
		break;
	case IMSG_VMM_PAUSE_RESP:
		parent_vmm_paused(p, im, 1);
		break;
	case IMSG_VMM_UNPAUSE_RESP:
		parent_vmm_paused(p, im, 0);
		break;
	case IMSG_VMM_BAD_EVENT:
		parent_vmm_bad(p, im);
		break;
	default:
		proc_bad(ch, im, "unexpected");
	}
}

static void
parent_dispatch_priv(struct proc_chan *ch, struct imsg *im, void *arg)
{
	(void)arg;
	proc_bad(ch, im, "unexpected");
}

/* Shutting down. */

static void __attribute__((noreturn))
parent_exit(struct parent *p, int status)
{
	struct parent_vm	*vm;
	pid_t			 pids[3] = { p->control_pid, p->vmm_pid,
				    p->priv_pid };
	int			 i;

	TAILQ_FOREACH(vm, &p->vms, entry)
		if (vm->pid != -1)
			(void)kill(vm->pid, SIGKILL);
	TAILQ_FOREACH(vm, &p->vms, entry)
		if (vm->pid != -1)
			while (waitpid(vm->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
	for (i = 0; i < 3; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < 3; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) == -1 &&
			    errno == EINTR)
				;
	unlink(p->opts->sockpath);
	log_info("exiting");
	exit(status);
}

static void
parent_child_closed(struct proc_chan *ch, void *arg)
{
	struct parent	*p = arg;

	log_warnx("%s process went away", ch->peer);
	parent_exit(p, 1);
}

static void
parent_sighup(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	log_info("SIGHUP: reloading the configuration");
	(void)parent_reload(arg);
}

static void
parent_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	struct parent	*p = arg;

	(void)ev;
	log_info("%s: terminating every vm", strsignal((int)sig));
	p->quitting = 1;
	parent_exit(p, 0);
}

/* Set up. */

/* parent_listen: the control socket, refusing to steal a live one. */
static int
parent_listen(const char *path)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd, s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("%s: another vmd is listening", path);
	close(s);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0660) == -1 || listen(fd, 64) == -1)
		fatal("%s", path);
	return fd;
}

/*
 * The parent stays root: it opens files, ttys and taps as any user, and
 * forks and execs the VM processes, which inherit its filter until they
 * add their own. So its filter lists what it refuses: what changes the
 * kernel, the mounts, the clock or other processes' memory, and the
 * kernel's rarer attack surface. None of it is vmd's job.
 */
static const char *const parent_denied[] = {
	/* other processes' memory and credentials */
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
	"kcmp",
	/* mounts and namespaces (a VM process's chroot is allowed) */
	"mount", "umount2", "pivot_root", "setns", "unshare", "open_tree",
	"move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr", "open_by_handle_at", "name_to_handle_at",
	/* the kernel itself */
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "reboot", "swapon", "swapoff", "acct", "syslog",
	"iopl", "ioperm", "quotactl", "lookup_dcookie", "uselib", "ustat",
	"sysfs", "vhangup", "personality",
	/* clocks and names */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname",
	/* attack surface vmd never uses */
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
	"request_key", "fanotify_init",
	NULL
};

/* parent_filter: refuse parent_denied with EPERM. 0 or -1 (logged). */
static int
parent_filter(void)
{
	struct sandbox_filter	*f;
	struct sandbox_rule	 r;
	const char *const	*c;

	if ((f = sandbox_filter_new(SANDBOX_ALLOW)) == NULL)
		return -1;
	for (c = parent_denied; *c != NULL; c++) {
		memset(&r, 0, sizeof(r));
		r.name = *c;
		r.errnum = EPERM;
		if (sandbox_filter_rules(f, &r, 1) == -1) {
			sandbox_filter_free(f);
			return -1;
		}
	}
	return sandbox_filter_load(f);
}

static void
parent_spawn(struct parent *p, const char *name, struct proc_chan *ch,
    pid_t *pid, proc_dispatch_fn dispatch)
{
	int	fd;

	if ((*pid = vmd_spawn(p->opts, name, &fd)) == -1)
		fatalx("cannot start the %s process", name);
	if (proc_chan_open(ch, p->base, fd, name, dispatch,
	    parent_child_closed, p) == -1)
		fatal("%s: %s", __func__, name);
}

int
parent_main(const struct vmd_opts *opts)
{
	struct parent		*p;
	struct vmd_config	*conf;
	const char		*errstr, *s;
	int			 lfd;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->opts = opts;
	p->stop_timeout = VMD_STOP_TIMEOUT;
	p->start_timeout = VMD_START_TIMEOUT;
	/* Knobs for tests: how long a polite stop and a start may take. */
	if ((s = getenv("VMD_STOP_TIMEOUT")) != NULL) {
		p->stop_timeout = (int)strtonum(s, 1, 3600, &errstr);
		if (errstr != NULL)
			fatalx("VMD_STOP_TIMEOUT %s: %s", s, errstr);
	}
	if ((s = getenv("VMD_START_TIMEOUT")) != NULL) {
		p->start_timeout = (int)strtonum(s, 1, 3600, &errstr);
		if (errstr != NULL)
			fatalx("VMD_START_TIMEOUT %s: %s", s, errstr);
	}
	/* Every VM process gets it: it may not open /dev/kvm itself. */
	if ((p->kvm_fd = kvm_open()) == -1)
		log_warnx("%s: no KVM: VMs will not start", __func__);
	TAILQ_INIT(&p->vms);
	TAILQ_INIT(&p->oldids);
	if (sandbox_prepare(SANDBOX_USER) == -1)
		exit(1);
	if ((conf = parent_parse(p, NULL)) == NULL)
		exit(1);
	if ((p->conf = config_new()) == NULL)
		fatal("%s", __func__);
	lfd = parent_listen(opts->sockpath);
	if (!opts->debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, opts->verbose);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((p->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	parent_spawn(p, "control", &p->control, &p->control_pid,
	    parent_dispatch_control);
	parent_spawn(p, "vmm", &p->vmm, &p->vmm_pid, parent_dispatch_vmm);
	parent_spawn(p, "priv", &p->priv, &p->priv_pid, parent_dispatch_priv);
	if (proc_send(&p->control, IMSG_CTL_LISTEN_EVENT, 0, NULL, 0,
	    lfd) == -1)
		fatalx("cannot hand the socket to control");
	close(lfd);
	p->ev_hup = evsignal_new(p->base, SIGHUP, parent_sighup, p);
	p->ev_term = evsignal_new(p->base, SIGTERM, parent_sigterm, p);
	p->ev_int = evsignal_new(p->base, SIGINT, parent_sigterm, p);
	p->ev_stagger = evtimer_new(p->base, parent_stagger_timer, p);
	p->ev_chld = evsignal_new(p->base, SIGCHLD, parent_sigchld, p);
	if (p->ev_hup == NULL || p->ev_term == NULL || p->ev_int == NULL ||
	    p->ev_stagger == NULL || p->ev_chld == NULL ||
	    event_add(p->ev_chld, NULL) == -1 ||
	    event_add(p->ev_hup, NULL) == -1 ||
	    event_add(p->ev_term, NULL) == -1 ||
	    event_add(p->ev_int, NULL) == -1)
		fatalx("%s: signals", __func__);
	/* After vmd's own children: they have their own. */
	if (parent_filter() == -1)
		fatalx("%s: seccomp", __func__);
	log_info("startup, listening on %s", opts->sockpath);
	parent_add_config(p, conf, 1);
	event_base_dispatch(p->base);
	parent_exit(p, 0);
}
