/* SPDX-License-Identifier: ISC */
/*
 * The vmm process: the one that talks with VM processes. The parent, root,
 * starts each VM process and hands its channel here, so it never reads a
 * byte a VM process wrote; vmm (chrooted, _vmd, filtered) relays the
 * start report, pause and unpause, and log levels.
 */
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/mman.h>

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
#include "vmd/vmd.h"

struct vmm;

/* One VM process; owned by the vmm process's only thread. */
struct vmm_vm {
	TAILQ_ENTRY(vmm_vm)	 entry;
	uint32_t		 id;		/* vmd's id (peer id) */
	pid_t			 pid;		/* as the parent says */
	int			 started;	/* START_RESP sent */
	int			 pending;	/* (un)pause requests asked */
	struct proc_chan	 chan;		/* the VM process's channel */
	struct vmm		*vmm;
};

/* The vmm process context, set in vmm_main. */
struct vmm {
	const struct vmd_opts	*opts;
	struct event_base	*base;
	struct proc_chan	 parent;
	TAILQ_HEAD(, vmm_vm)	 vms;
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

/*
 * A VM process broke the protocol: it may be compromised. Stop listening
 * and ask the parent, which can signal it, to end it.
 */
static void
vmm_vm_bad(struct vmm_vm *vm, struct imsg *im, const char *why)
{
	log_warnx("vm %u (pid %d): %s: %s, ending it", vm->id, (int)vm->pid,
	    proto_name(im->hdr.type), why);
	(void)proc_send_u32(&vm->vmm->parent, IMSG_VMM_BAD_EVENT, vm->id,
	    (uint32_t)vm->pid);
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

/*
 * An answer from the VM process to a request vmm relayed (the route table
 * says which): to the parent, with the VM's id. One not asked for means a
 * compromised process.
 */
static void
vmm_vm_answer(struct vmm_vm *vm, struct imsg *im)
{
	if (vm->pending == 0) {
		vmm_vm_bad(vm, im, "answer to nothing");
		return;
	}
	vm->pending--;
	(void)proc_send(&vm->vmm->parent, im->hdr.type, vm->id, im->data,
	    im->hdr.len, -1);
}

static void
vmm_dispatch_vm(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct vmm_vm			*vm = arg;
	const struct proto_route	*r;
	uint32_t			 err;

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
	r = proto_route(im->hdr.type);
	if (im->hdr.type == IMSG_VMP_START_RESP)
		vmm_vm_started(vm, im, err);
	else if (r != NULL && r->from == PROTO_FROM_VM &&
	    r->to == PROTO_TO_PARENT)
		vmm_vm_answer(vm, im);
	else
		vmm_vm_bad(vm, im, "unexpected");
}

/*
 * The channel ended: the VM process exited (the parent reaps it and
 * reports the exit) or closed it or broke its framing while running, which
 * the parent tells apart and ends.
 */
static void
vmm_vm_closed(struct proc_chan *ch, void *arg)
{
	struct vmm_vm	*vm = arg;

	(void)ch;
	if (!vm->started)
		vmm_result(vm->vmm, vm, EIO);
	(void)proc_send_u32(&vm->vmm->parent, IMSG_VMM_BAD_EVENT, vm->id,
	    (uint32_t)vm->pid);
	vmm_vm_free(vm->vmm, vm);
}

/* vmm_attach: the channel of a VM process the parent just started. */
static void
vmm_attach(struct vmm *vmm, struct imsg *im)
{
	struct proto_result	 r;
	struct vmm_vm		*vm;

	if (im->fd == -1 || proto_result_decode(im->data, im->hdr.len,
	    &r) == -1 || r.id != im->hdr.peerid)
		proc_bad(&vmm->parent, im, "bad attach");
	/* A rebooted VM's old channel may not have reached EOF yet. */
	if ((vm = vmm_vm_find(vmm, im->hdr.peerid)) != NULL)
		vmm_vm_free(vmm, vm);
	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		fatal("%s", __func__);
	vm->id = im->hdr.peerid;
	vm->pid = r.pid;
	vm->vmm = vmm;
	if (proc_chan_open(&vm->chan, vmm->base, im->fd, "vm",
	    vmm_dispatch_vm, vmm_vm_closed, vm) == -1)
		fatal("%s: channel", __func__);
	im->fd = -1;
	TAILQ_INSERT_TAIL(&vmm->vms, vm, entry);
	log_debug("%s: vm %u is pid %d", __func__, vm->id, (int)vm->pid);
}

/*
 * vmm_relay: a request the route table sends to a VM process (peer id =
 * its id), passed on as it is; its answer comes back by vmm_vm_answer. A
 * VM that has just gone answers ESRCH from here.
 */
static void
vmm_relay(struct vmm *vmm, struct imsg *im, const struct proto_route *r)
{
	struct vmm_vm	*vm;
	int		 err = 0;

	if ((vm = vmm_vm_find(vmm, im->hdr.peerid)) == NULL)
		err = ESRCH;
	else if (proc_send(&vm->chan, im->hdr.type, 0, im->data, im->hdr.len,
	    -1) == -1)
		err = EIO;
	else if (r->answer != 0)
		vm->pending++;
	if (err != 0 && r->answer != 0)
		(void)proc_send_u32(&vmm->parent, r->answer, im->hdr.peerid,
		    (uint32_t)err);
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
		if (vm->started && vm->chan.fd != -1)
			(void)proc_send(&vm->chan, IMSG_VMP_LOG_EVENT, 0,
			    im->data, im->hdr.len, -1);
}

static void
vmm_dispatch_parent(struct proc_chan *ch, struct imsg *im, void *arg)
{
	struct vmm			*vmm = arg;
	const struct proto_route	*r;

	switch (im->hdr.type) {
	case IMSG_VMM_ATTACH_REQ:
		vmm_attach(vmm, im);
		break;
	case IMSG_LOG_VERBOSE_EVENT:
		vmm_verbose(vmm, im);
		break;
	default:
		if ((r = proto_route(im->hdr.type)) == NULL ||
		    r->to != PROTO_TO_VM || im->fd != -1)
			proc_bad(ch, im, "unexpected");
		vmm_relay(vmm, im, r);
		break;
	}
	if (im->fd != -1)
		close(im->fd);
}

/* Leave (SIGTERM, or the parent is gone); the parent ends the VMs. */
static void __attribute__((noreturn))
vmm_shutdown(struct vmm *vmm)
{
	(void)vmm;
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

/*
 * What vmm may do once it runs: its event loop, messages with the parent
 * and the VM processes (fds only from the parent), memory, logging. It
 * opens, execs and signals nothing.
 */
static const char *const vmm_calls[] = {
	/* the event loop */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"clock_gettime", "gettimeofday", "eventfd2", "pipe2",
	/* the parent and the VM processes (socket buffer sizes) */
	"recvmsg", "sendmsg", "read", "write", "close", "fcntl",
	"getsockopt", "setsockopt",
	/* memory (never executable: see vmm_rules) */
	"brk", "munmap", "mremap", "madvise",
	/* logging (syslog's socket is open already, or refused), signals
	   from the parent, exit */
	"getpid", "sendto", "-connect", "-socket", "writev", "newfstatat",
	"fstat", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
	"exit", "exit_group",
	NULL
};

static const struct sandbox_rule vmm_rules[] = {
	{ "mmap", 0, 1, { { 2, SANDBOX_EQ, PROT_EXEC, 0 } } },
	{ "mprotect", 0, 1, { { 2, SANDBOX_EQ, PROT_EXEC, 0 } } },
};

int
vmm_main(const struct vmd_opts *opts, int fd)
{
	struct sandbox_filter	*f;
	struct vmm		*vmm;
	pid_t			 ppid;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	ppid = getppid();
	if ((vmm = calloc(1, sizeof(*vmm))) == NULL)
		fatal("%s", __func__);
	vmm->opts = opts;
	TAILQ_INIT(&vmm->vms);
	if ((vmm->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	/* vmm needs nothing of root: it only holds channels. */
	if (sandbox_drop(SANDBOX_USER, SANDBOX_EMPTY) == -1)
		fatalx("%s: cannot drop privileges", __func__);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != ppid)
		fatal("%s: prctl", __func__);
	if (proc_chan_open(&vmm->parent, vmm->base, fd, "parent",
	    vmm_dispatch_parent, vmm_parent_closed, vmm) == -1)
		fatal("%s: channel", __func__);
	vmm->ev_term = evsignal_new(vmm->base, SIGTERM, vmm_sigterm, vmm);
	if (vmm->ev_term == NULL || event_add(vmm->ev_term, NULL) == -1)
		fatalx("%s: signals", __func__);
	if ((f = sandbox_filter_new(SANDBOX_KILL)) == NULL ||
	    sandbox_filter_names(f, vmm_calls) == -1 ||
	    sandbox_filter_rules(f, vmm_rules, sizeof(vmm_rules) /
	    sizeof(vmm_rules[0])) == -1 || sandbox_filter_load(f) == -1)
		fatalx("%s: seccomp", __func__);
	event_base_dispatch(vmm->base);
	return 0;
}
