/* SPDX-License-Identifier: ISC */
/* Parent: the VM registry and its lifecycle (stop, exit, timeouts). */
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmdef.h"
#include "vmd/parent.h"

/* PF_EXITING, a task flag in /proc/PID/stat (the kernel's sched.h) */
#define VMS_PF_EXITING	0x00000004UL
/*
 * A stopped VM's console pty stays open while its last output waits to be
 * read (closing the master hangs the slave up, which discards unread
 * input): checked every VMS_DRAIN_MS, at most VMS_DRAIN_TICKS times.
 */
#define VMS_DRAIN_MS	20
#define VMS_DRAIN_TICKS	100

/* A pty kept for its unread output. */
struct vms_drain {
	struct event	*ev;
	int		 ptm;
	int		 pts;
	int		 ticks;
};

struct parent_vm *
vms_find(struct parent *p, uint32_t id, const char *name)
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
vms_newid(struct parent *p, const char *name, uid_t uid)
{
	struct parent_oldid	*o;
	uint32_t		 id;

	TAILQ_FOREACH(o, &p->oldids, entry)
		if (o->uid == uid && strcmp(o->name, name) == 0 &&
		    vms_find(p, o->id, "") == NULL) {
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
vms_oldid(struct parent *p, const struct parent_vm *vm)
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

void
vms_oldids_clear(struct parent *p)
{
	struct parent_oldid	*o;

	while ((o = TAILQ_FIRST(&p->oldids)) != NULL) {
		TAILQ_REMOVE(&p->oldids, o, entry);
		free(o);
	}
	p->noldids = 0;
}

/* vms_new: register conf for uid; it keeps an id it had before. */
struct parent_vm *
vms_new(struct parent *p, const struct config_vm *conf, int from_config,
    uid_t uid)
{
	struct parent_vm	*vm, *after;

	if ((vm = calloc(1, sizeof(*vm))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	vm->p = p;
	vm->conf = *conf;
	vm->from_config = from_config;
	vm->uid = uid;
	vm->id = vms_newid(p, conf->name, uid);
	vm->pid = -1;
	vm->ptm = vm->pts = -1;
	vm->state = LC_STOPPED;
	TAILQ_INIT(&vm->waiters);
	/* By id, as vmctl status lists them (an old id may come back). */
	TAILQ_FOREACH_REVERSE(after, &p->vms, parent_vms, entry)
		if (after->id < vm->id)
			break;
	if (after != NULL)
		TAILQ_INSERT_AFTER(&p->vms, after, vm, entry);
	else
		TAILQ_INSERT_HEAD(&p->vms, vm, entry);
	return vm;
}

/* vms_drain_tick: close the pty once its output is read or time is up. */
static void
vms_drain_tick(int fd, short ev, void *arg)
{
	struct vms_drain	*d = arg;
	struct timeval		 tv = { 0, VMS_DRAIN_MS * 1000 };
	int			 n;

	(void)fd;
	(void)ev;
	if (--d->ticks > 0 && ioctl(d->pts, TIOCINQ, &n) == 0 && n > 0) {
		evtimer_add(d->ev, &tv);
		return;
	}
	close(d->pts);
	close(d->ptm);
	event_free(d->ev);
	free(d);
}

/*
 * vms_releasetty: the VM is over. Its console pty goes at once, or, while
 * a client has not yet read what the VM wrote last, when it has (bounded).
 * Only root may open the console again from now on.
 */
void
vms_releasetty(struct parent *p, struct parent_vm *vm)
{
	struct vms_drain	*d;
	struct timeval		 tv = { 0, VMS_DRAIN_MS * 1000 };
	int			 n;

	if (vm->pts == -1 || vm->ptm == -1 ||
	    ioctl(vm->pts, TIOCINQ, &n) == -1 || n == 0 ||
	    (d = calloc(1, sizeof(*d))) == NULL) {
		vms_closetty(vm);
		return;
	}
	if ((d->ev = evtimer_new(p->base, vms_drain_tick, d)) == NULL) {
		free(d);
		vms_closetty(vm);
		return;
	}
	(void)fchown(vm->pts, 0, 0);
	(void)fchmod(vm->pts, 0600);
	d->ptm = vm->ptm;
	d->pts = vm->pts;
	d->ticks = VMS_DRAIN_TICKS;
	evtimer_add(d->ev, &tv);
	vm->ptm = vm->pts = -1;
	vm->tty[0] = '\0';
}

void
vms_closetty(struct parent_vm *vm)
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

void
vms_free(struct parent *p, struct parent_vm *vm)
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
	vms_releasetty(p, vm);
	free(vm->next_conf);
	vms_oldid(p, vm);
	TAILQ_REMOVE(&p->vms, vm, entry);
	free(vm);
	if (TAILQ_EMPTY(&p->vms) && p->reset_ids) {
		p->next_id = 0;
		p->reset_ids = 0;
	}
}

int
vms_running(const struct parent_vm *vm)
{
	return lc_live(vm->state);
}

static int
vms_owner_set(const struct config_owner *o)
{
	return o->uid != (uid_t)-1 || o->gid != (gid_t)-1;
}

/* vms_permits: root, the user who started it, or its owner. */
int
vms_permits(const struct parent_vm *vm, uid_t uid)
{
	if (uid == 0)
		return 1;
	if (vms_running(vm) && vm->uid == uid)
		return 1;
	return vms_owner_set(&vm->conf.owner) &&
	    config_owner_permits(&vm->conf.owner, uid);
}

/* The uid that owns a running VM's console. */
uid_t
vms_owner_uid(const struct parent_vm *vm)
{
	if (vm->conf.owner.uid != (uid_t)-1)
		return vm->conf.owner.uid;
	return vm->uid;
}

static void	vms_stop_timeout(evutil_socket_t, short, void *);

/* A VM process ended: restart it (guest reboot) or mark it stopped. */
void
vms_exited(struct parent *p, struct parent_vm *vm, int status)
{
	if (WIFSIGNALED(status))
		log_info("vm %s (vm %u) killed by signal %d", vm->conf.name,
		    vm->id, WTERMSIG(status));
	else if (WEXITSTATUS(status) != VM_EXIT_REBOOT)
		log_info("vm %s (vm %u) stopped, status %d", vm->conf.name,
		    vm->id, WEXITSTATUS(status));
	vm->pid = -1;
	vms_event(p, vm, WIFEXITED(status) &&
	    WEXITSTATUS(status) == VM_EXIT_REBOOT ? LC_EV_REBOOT : LC_EV_EXIT);
}

/* LC_A_ENDED: the VM is over; answer who waits, forget what it held. */
static void
vms_ended(struct parent *p, struct parent_vm *vm)
{
	struct parent_waiter	*w;

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
	vms_releasetty(p, vm);
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
		vms_free(p, vm);
	if (p->quitting && TAILQ_EMPTY(&p->vms))
		event_base_loopexit(p->base, NULL);
	reload_stagger(p);
}

/* A signal to vm's process, if it has one. */
static void
vms_signal(struct parent_vm *vm, int sig)
{
	if (vm->pid != -1 && kill(vm->pid, sig) == -1)
		log_warn("%s: vm %u pid %d", __func__, vm->id, (int)vm->pid);
}

/*
 * vms_event: ev happens to vm: take the lifecycle's step (vmd/lifecycle.c)
 * and carry out its actions. vm may be freed (LC_A_ENDED).
 */
void
vms_event(struct parent *p, struct parent_vm *vm, enum lc_event ev)
{
	struct lc_step	st;
	struct timeval	tv = { p->stop_timeout, 0 };
	int		restart_ok;

	restart_ok = !vm->remove && !p->quitting;
	if (lc_step(vm->state, ev, restart_ok, &st) == -1) {
		log_debug("vm %u: %s when %s: ignored", vm->id,
		    lc_event_name(ev), lc_state_name(vm->state));
		return;
	}
	log_debug("vm %u: %s: %s -> %s", vm->id, lc_event_name(ev),
	    lc_state_name(vm->state), lc_state_name(st.next));
	vm->state = st.next;
	if (st.actions & LC_A_UNPAUSE)
		(void)proc_send(&p->vmm, IMSG_VMP_UNPAUSE_REQ, vm->id, NULL, 0,
		    -1);
	if (st.actions & LC_A_SIGTERM)
		vms_signal(vm, SIGTERM);
	if (st.actions & LC_A_SIGKILL)
		vms_signal(vm, SIGKILL);
	if ((st.actions & LC_A_STOP_TIMER) && vm->ev_stop == NULL &&
	    (vm->ev_stop = evtimer_new(p->base, vms_stop_timeout,
	    vm)) != NULL)
		evtimer_add(vm->ev_stop, &tv);
	if (st.actions & (LC_A_START_OK | LC_A_START_ERR)) {
		if (vm->ev_start != NULL)
			evtimer_del(vm->ev_start);
		if (st.actions & LC_A_START_OK)
			log_info("started %s (vm %u) successfully, tty %s",
			    vm->conf.name, vm->id, vm->tty);
		parent_reply(p, vm->start_peer, IMSG_VM_START_RESP,
		    (st.actions & LC_A_START_OK) ? 0 : vm->start_err ?
		    vm->start_err : PROTO_ESTARTFAIL, vm);
		vm->start_peer = 0;
	}
	if (st.actions & LC_A_RESTART) {
		log_info("vm %s (vm %u) rebooted, restarting", vm->conf.name,
		    vm->id);
		if (vm->pause_peer != 0) {
			parent_reply(p, vm->pause_peer, IMSG_VM_PAUSE_RESP,
			    PROTO_ENOTRUNNING, vm);
			vm->pause_peer = 0;
		}
		if (start_vm(p, vm) != 0)
			vms_event(p, vm, LC_EV_RESTART_FAILED);
		return;
	}
	if (st.actions & LC_A_ENDED)
		vms_ended(p, vm);
}

static void
vms_stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct parent_vm	*vm = arg;

	(void)fd;
	(void)ev;
	log_info("vm %s (vm %u) did not stop in %d s, forcing it",
	    vm->conf.name, vm->id, vm->p->stop_timeout);
	vms_event(vm->p, vm, LC_EV_STOP_TIMEOUT);
}

/*
 * vms_stop: end the VM, politely unless force: its process presses
 * the guest's power button on the first SIGTERM.
 */
void
vms_stop(struct parent *p, struct parent_vm *vm, int force)
{
	vms_event(p, vm, force ? LC_EV_FORCE : LC_EV_STOP);
}

int
vms_add_waiter(struct parent_vm *vm, uint32_t peerid, uint32_t type)
{
	struct parent_waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->peerid = peerid;
	w->type = type;
	TAILQ_INSERT_TAIL(&vm->waiters, w, entry);
	return 0;
}

/* The VM process's resident memory, from /proc. */
static uint64_t
vms_curmem(const struct parent_vm *vm)
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

void
vms_info(const struct parent_vm *vm, struct proto_vminfo *info)
{
	struct passwd	*pw;

	memset(info, 0, sizeof(*info));
	info->id = vm->id;
	info->pid = vms_running(vm) ? vm->pid : -1;
	info->ncpus = vm->conf.cpus;
	info->state = lc_display(vm->state);
	info->maxmem = vm->conf.memory;
	info->curmem = vms_curmem(vm);
	strlcpy(info->tty, vm->tty, sizeof(info->tty));
	strlcpy(info->name, vm->conf.name, sizeof(info->name));
	if (vms_owner_set(&vm->conf.owner)) {
		config_owner_str(&vm->conf.owner, info->owner,
		    sizeof(info->owner));
		info->uid = vm->conf.owner.uid;
	} else {
		info->uid = vms_running(vm) ? vm->uid : 0;
		if ((pw = getpwuid(info->uid)) != NULL)
			strlcpy(info->owner, pw->pw_name, sizeof(info->owner));
		else
			snprintf(info->owner, sizeof(info->owner), "%u",
			    (unsigned)info->uid);
	}
}

/*
 * vms_exiting: the process is on its way out (the kernel's PF_EXITING in
 * the flags of /proc/PID/stat): it closes its files, the channel among
 * them, before it becomes a zombie, and tearing down a VM (its memory, its
 * KVM state) can take longer than vms_lost's moment when a thousand end at
 * once.  1 if so, 0 if not or unknown.
 */
static int
vms_exiting(pid_t pid)
{
	char		 path[64], buf[512], *p;
	unsigned long	 flags;
	ssize_t		 n;
	int		 fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (i = 0; i < 7; i++)
		if ((p = strchr(p + 1, ' ')) == NULL)
			return 0;
	flags = strtoul(p + 1, NULL, 10);
	return (flags & VMS_PF_EXITING) != 0;
}

/*
 * A moment after vmm lost a VM process's channel: a process that exited
 * has been reaped by now, or is still exiting; one still running closed or
 * broke its channel and cannot be managed: end it.
 */
void
vms_lost(evutil_socket_t fd, short ev, void *arg)
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
	if (vms_exiting(vm->pid))
		return;		/* it is exiting: the same, a little later */
	log_warnx("vm %s (vm %u): its process broke the protocol, killing it",
	    vm->conf.name, vm->id);
	(void)kill(vm->pid, SIGKILL);
}
