/* SPDX-License-Identifier: ISC */
/* The parent process: main loop, dispatch and the request handlers. */
#include <sys/un.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "vm/kvm.h"
#include "vmd/parent.h"

/*
 * parent_why: the reason a request is refused: logged once here, and sent
 * to the client with the error answer that follows.
 */
void
parent_why(struct parent *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	log_warnx("%s", p->why);
}

void
parent_reply(struct parent *p, uint32_t peerid, uint32_t type, int err,
    const struct parent_vm *vm)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	/* The reason goes to the client whose request was refused. */
	if (err != 0)
		strlcpy(r.why, p->why, sizeof(r.why));
	p->why[0] = '\0';
	if (peerid == 0)
		return;
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
		if ((vm = vms_find(p, 0, r->name)) == NULL &&
		    (id = (uint32_t)strtonum(r->name, 1, UINT32_MAX,
		    &errstr), errstr == NULL))
			vm = vms_find(p, id, "");
		if (r->template[0] != '\0')
			err = vm != NULL ? EALREADY :
			    start_instance(p, r, uid, c, &vm);
		else if (vm != NULL)
			err = start_known(vm, r, uid, c);
		else
			err = start_new(p, r, uid, c, &vm);
	}
	if (err == 0) {
		/* What a user names is opened with the user's rights. */
		vm->user_set = r->set;
		start_for(p, vm, uid, peerid);
	}
	else {
		if (err != ENOMEM && p->why[0] == '\0')
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
	if ((vm = vms_find(p, im->hdr.peerid, "")) == NULL ||
	    vm->pid == -1 || vm->pid != r.pid)
		return;
	vms_event(p, vm, r.error != 0 ? LC_EV_START_FAILED : LC_EV_STARTED);
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
	if ((vm = vms_find(p, ref->id, ref->name)) == NULL) {
		parent_reply(p, peerid, type, PROTO_ENOTFOUND, NULL);
		return NULL;
	}
	if (!vms_permits(vm, uid)) {
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
	if (!vms_running(vm)) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, PROTO_ENOTRUNNING,
		    vm);
		return;
	}
	if ((vm->state == LC_STOPPING || vm->state == LC_KILLING ||
	    vm->state == LC_ABORTING) && !force) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, EALREADY, vm);
		return;
	}
	if ((ref.flags & PROTO_VMREF_F_WAIT) &&
	    vms_add_waiter(vm, peerid, IMSG_VM_STOP_RESP) == -1) {
		parent_reply(p, peerid, IMSG_VM_STOP_RESP, ENOMEM, vm);
		return;
	}
	log_info("stopping %s (vm %u)%s for uid %u", vm->conf.name, vm->id,
	    force ? " by force" : "", (unsigned)uid);
	vms_stop(p, vm, force);
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
	if (vm->state != (pause ? LC_RUNNING : LC_PAUSED)) {
		parent_reply(p, peerid, rtype, vms_running(vm) ?
		    EALREADY : PROTO_ENOTRUNNING, vm);
		return;
	}
	if (vm->pause_peer != 0) {
		parent_reply(p, peerid, rtype, EBUSY, vm);
		return;
	}
	if (proc_send(&p->vmm, pause ? IMSG_VMP_PAUSE_REQ :
	    IMSG_VMP_UNPAUSE_REQ, vm->id, NULL, 0, -1) == -1) {
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
	if ((vm = vms_find(p, im->hdr.peerid, "")) == NULL)
		return;
	if (err == 0 && (vm->state == LC_RUNNING ||
	    vm->state == LC_PAUSED)) {
		vms_event(p, vm, pause ? LC_EV_PAUSED : LC_EV_UNPAUSED);
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
	if (!vms_running(vm)) {
		parent_reply(p, peerid, IMSG_VM_WAIT_RESP, PROTO_ENOTRUNNING,
		    vm);
		return;
	}
	if (vms_add_waiter(vm, peerid, IMSG_VM_WAIT_RESP) == -1)
		parent_reply(p, peerid, IMSG_VM_WAIT_RESP, ENOMEM, vm);
	else
		log_debug("vm %s: client %u waits for it", vm->conf.name,
		    peerid);
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
		    !vms_running(vm))
			continue;
		vms_info(vm, &info);
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
	if ((conf = reload_parse(p, path.path)) == NULL) {
		parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, PROTO_ECONFIG,
		    NULL);
		return;
	}
	log_info("loaded %s", path.path);
	reload_add(p, conf, 0);
	parent_reply(p, peerid, IMSG_CONF_LOAD_RESP, 0, NULL);
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
	parent_reply(p, peerid, IMSG_CONF_RELOAD_RESP, reload_config(p), NULL);
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
			if (vms_running(vm)) {
				vm->remove = 1;
				vms_stop(p, vm, 1);
			} else
				vms_free(p, vm);
		}
		p->reset_ids = 1;
		vms_oldids_clear(p);
		if (TAILQ_EMPTY(&p->vms)) {
			p->next_id = 0;
			p->reset_ids = 0;
		}
	}
	/* Switches: priv deletes the bridges it made, and the nat table. */
	if (mask & PROTO_RESET_SWITCHES) {
		log_info("reset: removing the switches vmd created");
		netcfg_if(p, IMSG_PRIV_RESET_REQ, NULL, NULL, NULL, 0);
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
	p->why[0] = '\0';
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
	p->why[0] = '\0';
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
	if ((vm = vms_find(p, im->hdr.peerid, "")) == NULL ||
	    vm->pid == -1 || vm->pid != (pid_t)pid)
		return;
	vm->lost_pid = vm->pid;
	if (vm->ev_lost == NULL &&
	    (vm->ev_lost = evtimer_new(p->base, vms_lost, vm)) == NULL) {
		vms_lost(-1, 0, vm);
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
		vms_exited(p, vm, status);
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
	case IMSG_VMP_PAUSE_RESP:
		parent_vmm_paused(p, im, 1);
		break;
	case IMSG_VMP_UNPAUSE_RESP:
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
	(void)reload_config(arg);
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

/*
 * parent_cpuid: KVM's supported CPUID table, asked once for every VM
 * process (it would take each of them 0.3 ms here), or NULL: each asks.
 */
static struct proto_cpuid *
parent_cpuid(int kvm_fd)
{
	struct proto_cpuid	*c;
	struct kvm_cpuid2	*k;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((k = kvm_supported_cpuid(kvm_fd)) == NULL ||
	    kvm_cpuid_export(k, c) == -1) {
		free(c);
		c = NULL;
	}
	free(k);
	return c;
}

int
parent_main(const struct vmd_opts *opts)
{
	struct parent		*p;
	struct vmd_config	*conf;
	const char		*errstr, *s;
	char			 self[PATH_MAX];
	ssize_t			 n;
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
	/* VM processes exec vmd-vm beside us, else this program (-V). */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("%s: /proc/self/exe", __func__);
	self[n] = '\0';
	if (launch_vm_prog(self, p->vmprog, sizeof(p->vmprog)) == -1)
		exit(1);
	log_debug("VM processes run %s", p->vmprog);
	/* Every VM process gets it: it may not open /dev/kvm itself. */
	if ((p->kvm_fd = kvm_open()) == -1)
		log_warnx("%s: no KVM: VMs will not start", __func__);
	else
		p->cpuid = parent_cpuid(p->kvm_fd);
	TAILQ_INIT(&p->vms);
	TAILQ_INIT(&p->oldids);
	if (sandbox_prepare(SANDBOX_USER) == -1)
		exit(1);
	if ((conf = reload_parse(p, NULL)) == NULL)
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
	p->ev_stagger = evtimer_new(p->base, reload_stagger_timer, p);
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
	reload_add(p, conf, 1);
	event_base_dispatch(p->base);
	parent_exit(p, 0);
}
