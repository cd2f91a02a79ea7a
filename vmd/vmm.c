/* SPDX-License-Identifier: ISC */
/* The vmm process: launches VM processes, relays requests to them, reaps them. */
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "vm/kvm.h"
#include "vmd/vmd.h"

struct vmm;

/* One VM process; owned by the vmm process's only thread. */
struct vmm_vm {
	TAILQ_ENTRY(vmm_vm)	 entry;
	uint32_t		 id;		/* vmd's id (peer id) */
	pid_t			 pid;
	int			 started;	/* START_RESP sent */
	int			 pending;	/* (un)pause requests asked */
	struct proc_chan	 chan;		/* the launch channel */
	struct vmm		*vmm;
};

/* The vmm process context, set in vmm_main. */
struct vmm {
	const struct vmd_opts	*opts;
	struct event_base	*base;
	struct proc_chan	 parent;
	TAILQ_HEAD(, vmm_vm)	 vms;
	int			 kvm_fd;	/* /dev/kvm, for every VM */
	struct event		*ev_chld;
	struct event		*ev_term;
};

static struct vmm_vm *
vmm_vm_find(struct vmm *vmm, uint32_t id)
{
	struct vmm_vm	*vm;

	TAILQ_FOREACH(vm, &vmm->vms, entry)
		if (vm->id == id)
			return vm;
	return NULL;
}

static void
vmm_vm_free(struct vmm *vmm, struct vmm_vm *vm)
{
	TAILQ_REMOVE(&vmm->vms, vm, entry);
	proc_chan_close(&vm->chan);
	free(vm->chan.im);
	free(vm);
}

static void
vmm_result(struct vmm *vmm, struct vmm_vm *vm, int err)
{
	struct proto_result	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	r.error = err;
	r.id = vm->id;
	r.pid = vm->pid;
	len = proto_result_encode(&r, buf);
	(void)proc_send(&vmm->parent, IMSG_VMM_START_RESP, vm->id, buf,
	    (size_t)len, -1);
}

/* A VM process broke the protocol: it may be compromised; end it. */
static void
vmm_vm_bad(struct vmm_vm *vm, struct imsg *im, const char *why)
{
	log_warnx("vm %u (pid %d): %s: %s, killing it", vm->id, (int)vm->pid,
	    proto_name(im->hdr.type), why);
	kill(vm->pid, SIGKILL);
	proc_chan_close(&vm->chan);
}

/* The VM process runs its guest (or could not start it). */
static void
vmm_vm_started(struct vmm_vm *vm, struct imsg *im, uint32_t err)
{
	if (vm->started) {
		vmm_vm_bad(vm, im, "second start");
		return;
	}
	vm->started = 1;
	vmm_result(vm->vmm, vm, (int)err);
}

/* The VM process's answer to (un)pause: pass it to the parent. */
static void
vmm_vm_paused(struct vmm_vm *vm, struct imsg *im, uint32_t err)
{
	if (vm->pending == 0) {
		vmm_vm_bad(vm, im, "answer to nothing");
		return;
	}
	vm->pending--;
	(void)proc_send_u32(&vm->vmm->parent,
	    im->hdr.type == IMSG_VMP_PAUSE_RESP ? IMSG_VMM_PAUSE_RESP :
	    IMSG_VMM_UNPAUSE_RESP, vm->id, err);
}

static void
vmm_dispatch_vm(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct vmm_vm	*vm = arg;
	uint32_t	 err;

	(void)ch;
	if (im->fd != -1) {
		close(im->fd);
		im->fd = -1;
		vmm_vm_bad(vm, im, "passed an fd");
		return;
	}
	if (proto_u32_decode(im->data, im->hdr.len, &err) == -1) {
		vmm_vm_bad(vm, im, "bad payload");
		return;
	}
	switch (im->hdr.type) {
	case IMSG_VMP_START_RESP:
		vmm_vm_started(vm, im, err);
		break;
	case IMSG_VMP_PAUSE_RESP:
	case IMSG_VMP_UNPAUSE_RESP:
		vmm_vm_paused(vm, im, err);
		break;
	default:
		vmm_vm_bad(vm, im, "unexpected");
		break;
	}
}

static void
vmm_vm_closed(struct proc_chan *ch, void *arg)
{
	/* The exit is reported when the process is reaped. */
	(void)ch;
	(void)arg;
}

static int
vmm_send_fd(struct vmm_vm *vm, uint32_t which, int fd)
{
	struct proto_fdreq	f;
	uint8_t			buf[16];
	int			len;

	memset(&f, 0, sizeof(f));
	f.which = which;
	len = proto_fdreq_encode(&f, buf);
	return imsg_send(vm->chan.fd, IMSG_VMP_FD_REQ, 0, buf, (size_t)len,
	    fd);
}

/* vmm_launch: fork and exec a VM process for id; its channel is read here. */
static void
vmm_launch(struct vmm *vmm, struct imsg *im)
{
	struct vmm_vm	*vm;
	char		 fdarg[16], *argv[10];
	int		 sv[2], n = 0, i;
	pid_t		 pid;

	if (vmm_vm_find(vmm, im->hdr.peerid) != NULL)
		proc_bad(&vmm->parent, im, "vm id in use");
	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		fatal("%s", __func__);
	vm->id = im->hdr.peerid;
	vm->vmm = vmm;
	vm->pid = -1;
	vm->chan.fd = -1;
	TAILQ_INSERT_TAIL(&vmm->vms, vm, entry);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", __func__);
		goto fail;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	argv[n++] = (char *)(uintptr_t)"vmd";
	if (!vmm->opts->debug)
		argv[n++] = (char *)(uintptr_t)"-L";
	for (i = 0; i < log_getverbose() && i < 3; i++)
		argv[n++] = (char *)(uintptr_t)"-v";
	argv[n++] = (char *)(uintptr_t)"-V";
	argv[n++] = fdarg;
	argv[n] = NULL;
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", __func__);
		close(sv[0]);
		close(sv[1]);
		goto fail;
	case 0:
		/* A VM does not outlive vmm. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    fcntl(sv[1], F_SETFD, 0) == -1)
			_exit(127);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execv("/proc/self/exe", argv);
		_exit(127);
	default:
		break;
	}
	close(sv[1]);
	vm->pid = pid;
	if (proc_chan_open(&vm->chan, vmm->base, sv[0], "vm", vmm_dispatch_vm,
	    vmm_vm_closed, vm) == -1) {
		log_warn("%s: channel", __func__);
		close(sv[0]);
		kill(pid, SIGKILL);
		return;		/* reaped and reported by vmm_sigchld */
	}
	log_debug("%s: vm %u is pid %d", __func__, vm->id, (int)pid);
	if (imsg_send(vm->chan.fd, im->hdr.type, 0, im->data, im->hdr.len,
	    -1) == -1 || (vmm->kvm_fd != -1 &&
	    vmm_send_fd(vm, PROTO_VMFD_KVM, vmm->kvm_fd) == -1))
		log_warn("%s: vm %u", __func__, vm->id);
	return;
 fail:
	vmm_result(vmm, vm, errno ? errno : EIO);
	(void)proc_send_u32(&vmm->parent, IMSG_VMM_EXIT_EVENT, vm->id,
	    (uint32_t)(1 << 8));
	vmm_vm_free(vmm, vm);
}

/* vmm_forward: a launch message (fd, start) or a request for the VM. */
static void
vmm_forward(struct vmm *vmm, struct imsg *im, uint32_t type)
{
	struct vmm_vm	*vm;

	if ((vm = vmm_vm_find(vmm, im->hdr.peerid)) == NULL) {
		/* It may have just exited: the parent learns of it soon. */
		if (type == IMSG_VMP_PAUSE_REQ || type == IMSG_VMP_UNPAUSE_REQ)
			(void)proc_send_u32(&vmm->parent,
			    type == IMSG_VMP_PAUSE_REQ ? IMSG_VMM_PAUSE_RESP :
			    IMSG_VMM_UNPAUSE_RESP, im->hdr.peerid, ESRCH);
		return;
	}
	if (type == IMSG_VMP_PAUSE_REQ || type == IMSG_VMP_UNPAUSE_REQ)
		vm->pending++;
	if (vm->chan.fd == -1 || imsg_send(vm->chan.fd, type, 0, im->data,
	    im->hdr.len, im->fd) == -1) {
		log_warn("%s: %s to vm %u", __func__, proto_name(type), vm->id);
		if (type == IMSG_VMP_PAUSE_REQ || type == IMSG_VMP_UNPAUSE_REQ)
			(void)proc_send_u32(&vmm->parent,
			    type == IMSG_VMP_PAUSE_REQ ? IMSG_VMM_PAUSE_RESP :
			    IMSG_VMM_UNPAUSE_RESP, vm->id, EIO);
	}
}

static void
vmm_stop(struct vmm *vmm, struct imsg *im)
{
	struct vmm_vm	*vm;
	uint32_t	 force;

	if (proto_u32_decode(im->data, im->hdr.len, &force) == -1)
		proc_bad(&vmm->parent, im, "bad payload");
	if ((vm = vmm_vm_find(vmm, im->hdr.peerid)) == NULL || vm->pid == -1)
		return;
	/* The VM process presses the power button on the first SIGTERM. */
	if (kill(vm->pid, force ? SIGKILL : SIGTERM) == -1)
		log_warn("%s: vm %u pid %d", __func__, vm->id, (int)vm->pid);
}

/* The log level, here and in every VM process. */
static void
vmm_verbose(struct vmm *vmm, struct imsg *im)
{
	struct vmm_vm	*vm;
	uint32_t	 v;

	if (proto_u32_decode(im->data, im->hdr.len, &v) == -1)
		proc_bad(&vmm->parent, im, "bad verbosity");
	log_setverbose((int)v);
	TAILQ_FOREACH(vm, &vmm->vms, entry)
		if (vm->started && vm->chan.fd != -1 &&
		    imsg_send(vm->chan.fd, IMSG_VMP_LOG_EVENT, 0, im->data,
		    im->hdr.len, -1) == -1)
			log_warn("%s: vm %u", __func__, vm->id);
}

static void
vmm_dispatch_parent(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct vmm	*vmm = arg;

	switch (im->hdr.type) {
	case IMSG_VMP_CREATE_REQ:
		vmm_launch(vmm, im);
		break;
	case IMSG_VMP_FD_REQ:
	case IMSG_VMP_START_REQ:
		vmm_forward(vmm, im, im->hdr.type);
		break;
	case IMSG_VMM_PAUSE_REQ:
		vmm_forward(vmm, im, IMSG_VMP_PAUSE_REQ);
		break;
	case IMSG_VMM_UNPAUSE_REQ:
		vmm_forward(vmm, im, IMSG_VMP_UNPAUSE_REQ);
		break;
	case IMSG_VMM_STOP_REQ:
		vmm_stop(vmm, im);
		break;
	case IMSG_LOG_VERBOSE_EVENT:
		vmm_verbose(vmm, im);
		break;
	default:
		proc_bad(ch, im, "unexpected");
	}
	if (im->fd != -1)
		close(im->fd);
}

/* Reap VM processes and tell the parent how each ended. */
static void
vmm_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct vmm	*vmm = arg;
	struct vmm_vm	*vm;
	pid_t		 pid;
	int		 status;

	(void)sig;
	(void)ev;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(vm, &vmm->vms, entry)
			if (vm->pid == pid)
				break;
		if (vm == NULL)
			continue;
		log_debug("vm %u pid %d ended, status 0x%x", vm->id, (int)pid,
		    status);
		if (!vm->started)
			vmm_result(vmm, vm, EIO);
		(void)proc_send_u32(&vmm->parent, IMSG_VMM_EXIT_EVENT, vm->id,
		    (uint32_t)status);
		vmm_vm_free(vmm, vm);
	}
}

/* End every VM at once and leave (SIGTERM, or the parent is gone). */
static void __attribute__((noreturn))
vmm_shutdown(struct vmm *vmm)
{
	struct vmm_vm	*vm;

	TAILQ_FOREACH(vm, &vmm->vms, entry)
		if (vm->pid != -1)
			kill(vm->pid, SIGKILL);
	while (!TAILQ_EMPTY(&vmm->vms)) {
		vm = TAILQ_FIRST(&vmm->vms);
		if (vm->pid != -1)
			while (waitpid(vm->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
		vmm_vm_free(vmm, vm);
	}
	exit(0);
}

static void
vmm_sigterm(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	vmm_shutdown(arg);
}

static void
vmm_parent_closed(struct proc_chan *ch, void *arg)
{
	(void)ch;
	vmm_shutdown(arg);
}

int
vmm_main(const struct vmd_opts *opts, int fd)
{
	struct vmm	*vmm;
	pid_t		 ppid;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	ppid = getppid();
	if ((vmm = calloc(1, sizeof(*vmm))) == NULL)
		fatal("%s", __func__);
	/*
	 * All vmm needs of root: /dev/kvm, opened once and passed to every
	 * VM, and CAP_SYS_CHROOT, kept so that each VM process (exec'd, as
	 * _vmd) can chroot itself. Signals to the VMs need no privilege:
	 * they are _vmd's too.
	 */
	if ((vmm->kvm_fd = kvm_open()) == -1)
		log_warnx("%s: no KVM: VMs will not start", __func__);
	if (sandbox_drop_keep_chroot(SANDBOX_USER) == -1)
		fatalx("%s: cannot drop privileges", __func__);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != ppid)
		fatal("%s: prctl", __func__);
	vmm->opts = opts;
	TAILQ_INIT(&vmm->vms);
	if ((vmm->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	if (proc_chan_open(&vmm->parent, vmm->base, fd, "parent",
	    vmm_dispatch_parent, vmm_parent_closed, vmm) == -1)
		fatal("%s: channel", __func__);
	vmm->ev_chld = evsignal_new(vmm->base, SIGCHLD, vmm_sigchld, vmm);
	vmm->ev_term = evsignal_new(vmm->base, SIGTERM, vmm_sigterm, vmm);
	if (vmm->ev_chld == NULL || vmm->ev_term == NULL ||
	    event_add(vmm->ev_chld, NULL) == -1 ||
	    event_add(vmm->ev_term, NULL) == -1)
		fatalx("%s: signals", __func__);
	event_base_dispatch(vmm->base);
	return 0;
}
