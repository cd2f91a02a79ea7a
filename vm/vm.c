/* SPDX-License-Identifier: ISC */
/*
 * The VM process main: receive the launch description, sandbox, create the
 * VM and its devices, run the vCPUs (vcpu.c) and the device event loop,
 * report the exit status. Nothing here is called by devices or vCPUs.
 */
#include <sys/eventfd.h>
#include <sys/prctl.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "boot.h"
#include "devices.h"
#include "jail.h"
#include "kvm.h"
#include "mptable.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

/*
 * vm_add_layer: a disk's top starts a new disk; a base goes under the
 * last one. 0, or -1 for a layer out of place or one too many.
 */
static int
vm_add_layer(struct vm_params *p, const struct proto_fdreq *f, int fd)
{
	struct vm_disk	*d;

	if (f->which != PROTO_VMFD_DISK_BASE) {
		if (p->ndisks == PROTO_MAX_DISKS)
			return -1;
		d = &p->disks[p->ndisks++];
		d->readonly = f->which == PROTO_VMFD_DISK_RO;
		d->size = f->size;
	} else if (p->ndisks == 0)
		return -1;
	d = &p->disks[p->ndisks - 1];
	if (d->nlayers == DISK_CHAIN_MAX)
		return -1;
	d->format[d->nlayers] = f->format;
	d->fd[d->nlayers++] = fd;
	return 0;
}

/* Receive the launch messages: create, fds, start. 0 or -1 (logged). */
static int
vm_receive(struct vm *vm, int sock)
{
	struct proto_vmcreate	*c;
	struct proto_cpuid	*cpuid = NULL;
	struct imsg		*im;
	struct proto_fdreq	 fdreq;
	int			 rv = -1, got_create = 0;

	if ((im = malloc(sizeof(*im))) == NULL ||
	    (c = malloc(sizeof(*c))) == NULL) {
		free(im);
		return -1;
	}
	for (;;) {
		if (imsg_recv(sock, im) != 1) {
			log_warn("%s: launch channel", __func__);
			goto done;
		}
		switch (im->hdr.type) {
		case IMSG_VMP_CREATE_REQ:
			if (proto_vmcreate_decode(im->data, im->hdr.len,
			    c) == -1 || got_create)
				goto bad;
			got_create = 1;
			strlcpy(vm->params.name, c->name,
			    sizeof(vm->params.name));
			vm->params.memsize = c->memsize;
			vm->params.ncpus = (int)c->ncpus;
			if (c->bootdev > VM_BOOTDEV_MAX)
				goto bad;
			vm->params.bootdev = (int)c->bootdev;
			if (c->cmdline[0] != '\0' &&
			    (vm->params.cmdline = strdup(c->cmdline)) == NULL)
				goto done;
			break;
		case IMSG_VMP_FD_REQ:
			if (proto_fdreq_decode(im->data, im->hdr.len,
			    &fdreq) == -1 || im->fd == -1)
				goto bad;
			switch (fdreq.which) {
			case PROTO_VMFD_KERNEL:
				vm->params.kernel_fd = im->fd;
				break;
			case PROTO_VMFD_INITRD:
				vm->params.initrd_fd = im->fd;
				break;
			case PROTO_VMFD_CDROM:
				if (vm->params.cdrom_fd != -1) {
					close(im->fd);
					goto bad;
				}
				vm->params.cdrom_fd = im->fd;
				break;
			case PROTO_VMFD_OPTROM:
				if (vm->params.optrom_fd != -1) {
					close(im->fd);
					goto bad;
				}
				vm->params.optrom_fd = im->fd;
				break;
			case PROTO_VMFD_CON_IN:
				vm->params.con_in = im->fd;
				break;
			case PROTO_VMFD_CON_OUT:
				vm->params.con_out = im->fd;
				break;
			case PROTO_VMFD_KVM:
				if (vm->kvm_fd != -1) {
					close(im->fd);
					goto bad;
				}
				vm->kvm_fd = im->fd;
				break;
			case PROTO_VMFD_DISK:
			case PROTO_VMFD_DISK_RO:
			case PROTO_VMFD_DISK_BASE:
				if (vm_add_layer(&vm->params, &fdreq,
				    im->fd) == -1) {
					close(im->fd);
					goto bad;
				}
				break;
			case PROTO_VMFD_TAP:
				if (vm->params.nnics == PROTO_MAX_NICS) {
					close(im->fd);
					goto bad;
				}
				vm->params.nics[vm->params.nnics].fd = im->fd;
				memcpy(vm->params.nics[vm->params.nnics].lladdr,
				    fdreq.lladdr, sizeof(fdreq.lladdr));
				vm->params.nics[vm->params.nnics].locked =
				    fdreq.locked;
				vm->params.nics[vm->params.nnics].local =
				    fdreq.local;
				vm->params.nics[vm->params.nnics].host.s_addr =
				    fdreq.host;
				vm->params.nics[vm->params.nnics].guest.s_addr =
				    fdreq.guest;
				memcpy(vm->params.nics[vm->params.nnics++].
				    server_mac, fdreq.server_mac, 6);
				break;
			default:
				close(im->fd);
				goto bad;
			}
			break;
		case IMSG_VMP_CPUID_REQ:
			if (im->fd != -1 || vm->cpuid != NULL ||
			    (cpuid == NULL &&
			    (cpuid = malloc(sizeof(*cpuid))) == NULL))
				goto bad;
			if (proto_cpuid_decode(im->data, im->hdr.len,
			    cpuid) == -1)
				goto bad;
			if ((vm->cpuid = kvm_cpuid_import(cpuid)) == NULL)
				goto done;
			break;
		case IMSG_VMP_START_REQ:
			if (!got_create || vm->params.kernel_fd == -1)
				goto bad;
			rv = 0;
			goto done;
		default:
			goto bad;
		}
	}
 bad:
	if (im->fd != -1 && im->hdr.type != IMSG_VMP_FD_REQ)
		close(im->fd);
	log_warnx("%s: bad %s message", __func__, proto_name(im->hdr.type));
 done:
	free(cpuid);
	free(c);
	free(im);
	return rv;
}

static void
vm_ctl_reply(struct vm *vm, uint32_t type, uint32_t err)
{
	uint8_t	buf[4];
	int	len;

	if (vm->ctl_fd == -1)
		return;
	len = proto_u32_encode(err, buf);
	if (imsg_send(vm->ctl_fd, type, 0, buf, (size_t)len, -1) == -1)
		log_warn("%s: %s", __func__, proto_name(type));
}

/* vmctl log brief|verbose, relayed by vmm. */
static void
vm_verbose(struct imsg *im)
{
	uint32_t	v;

	if (proto_u32_decode(im->data, im->hdr.len, &v) == -1 || v > 3) {
		log_warnx("%s: bad verbosity", __func__);
		return;
	}
	log_setverbose((int)v);
}

/* A request from vmm on the launch channel (event thread). */
static void
vm_dispatch_vmm(evutil_socket_t fd, short ev, void *arg)
{
	struct vm	*vm = arg;
	struct imsg	*im = vm->ctl_im;
	int		 rv;

	(void)ev;
	if ((rv = imsg_recv(fd, im)) == -1 && errno == EAGAIN)
		return;
	if (rv != 1) {
		/* vmctl run leaves after the launch; vmm's death kills us. */
		event_del(vm->ev_ctl);
		close(vm->ctl_fd);
		vm->ctl_fd = -1;
		return;
	}
	if (im->fd != -1) {
		close(im->fd);
		log_warnx("%s: unexpected fd", __func__);
		return;
	}
	if (im->hdr.type == IMSG_VMP_LOG_EVENT) {
		vm_verbose(im);
		return;
	}
	if (proto_empty_decode(im->data, im->hdr.len) == -1) {
		log_warnx("%s: bad %s", __func__, proto_name(im->hdr.type));
		return;
	}
	switch (im->hdr.type) {
	case IMSG_VMP_PAUSE_REQ:
		vm_ctl_reply(vm, IMSG_VMP_PAUSE_RESP,
		    (uint32_t)vcpu_pause_all(vm));
		break;
	case IMSG_VMP_UNPAUSE_REQ:
		vm_ctl_reply(vm, IMSG_VMP_UNPAUSE_RESP,
		    (uint32_t)vcpu_unpause_all(vm));
		break;
	default:
		log_warnx("%s: unexpected %s", __func__,
		    proto_name(im->hdr.type));
		break;
	}
}

/* vm_check: refuse parameters this host or platform cannot honour. */
static int
vm_check(struct vm *vm)
{
	struct vm_params	*p = &vm->params;
	int			 max;

	max = kvm_max_vcpus(vm->kvm_fd);
	if (max > PLAT_MAX_VCPUS)
		max = PLAT_MAX_VCPUS;
	if (p->ncpus < 1 || p->ncpus > max) {
		log_warnx("%d vcpus requested, this host allows 1 to %d",
		    p->ncpus, max);
		return -1;
	}
	if (p->memsize < PLAT_MIN_MEM || p->memsize > PLAT_MAX_MEM) {
		log_warnx("memory size %lluM out of range (%lluM to %lluG)",
		    (unsigned long long)(p->memsize >> 20),
		    (unsigned long long)(PLAT_MIN_MEM >> 20),
		    (unsigned long long)(PLAT_MAX_MEM >> 30));
		return -1;
	}
	p->memsize &= ~0xfffULL;
	return 0;
}

static void
vm_on_exit(evutil_socket_t fd, short ev, void *arg)
{
	struct vm	*vm = arg;
	uint64_t	 v;

	(void)ev;
	(void)read(fd, &v, sizeof(v));
	event_base_loopbreak(vm->evbase);
}

static void
vm_on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct vm	*vm = arg;

	(void)ev;
	if (vm->nsignals++ == 0 && vm->pm != NULL) {
		log_info("%s: pressing the power button",
		    strsignal((int)sig));
		pm_power_button(vm->pm);
		return;
	}
	log_info("%s: terminating the guest", strsignal((int)sig));
	vcpu_request_exit(vm, VM_EXIT_ERROR);
}

/*
 * The device event thread: the event loop until the VM ends. First, off
 * the boot vCPU's way, it gives the kernel back the heap pages the set-up
 * freed (the launch messages, the CPUID table); and turns on huge pages
 * for the guest's RAM (mem_hugepages).
 */
static void *
vm_event_thread(void *arg)
{
	struct vm	*vm = arg;

	(void)malloc_trim(0);
	mem_hugepages(&vm->mem);
	event_base_dispatch(vm->evbase);
	return NULL;
}

/*
 * vm_go: start every vCPU thread but the boot vCPU's, tell the launcher
 * the guest runs, start the device event thread (from here on it owns the
 * launch channel), then run the boot vCPU on this, the main, thread, which
 * is on a CPU already, until the VM ends; then wait for the other threads.
 */
static void
vm_go(struct vm *vm)
{
	pthread_t	evthread;
	int		i, error, evstarted = 0;

	for (i = 1; i < vm->params.ncpus; i++)
		if (vcpu_start(&vm->vcpus[i]) == -1) {
			vcpu_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
	/* Tell the launcher the guest runs (vmctl run has gone: ignored). */
	if (vcpu_exit_status(vm) == -1 && vm->ctl_fd != -1)
		(void)imsg_send(vm->ctl_fd, IMSG_VMP_START_RESP, 0,
		    (const uint8_t[4]){ 0 }, 4, -1);
	if ((error = pthread_create(&evthread, NULL, vm_event_thread,
	    vm)) != 0) {
		errno = error;
		log_warn("%s: event thread", __func__);
		vcpu_request_exit(vm, VM_EXIT_ERROR);
	} else
		evstarted = 1;
	if (vcpu_exit_status(vm) == -1 && vcpu_run(&vm->vcpus[0]) == -1) {
		log_warn("%s: vcpu 0", __func__);
		vcpu_request_exit(vm, VM_EXIT_ERROR);
	}
	/* The exit request broke the event loop (vm_on_exit). */
	if (evstarted)
		pthread_join(evthread, NULL);
	for (i = 0; i < vm->params.ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
}

static int
vm_run(struct vm *vm)
{
	struct kvm_cpuid2	*cpuid = NULL;
	struct event		*ev_exit = NULL, *ev_term = NULL, *ev_int = NULL;
	const char		*why;
	int			 i, status = VM_EXIT_ERROR;

	/* vmd's vmm passes /dev/kvm; vmctl run's VM opens it. */
	if (vm->kvm_fd == -1 && (vm->kvm_fd = kvm_open()) == -1)
		return VM_EXIT_ERROR;
	if (vm_check(vm) == -1)
		return VM_EXIT_ERROR;
	if (mem_init(&vm->mem, vm->params.memsize) == -1) {
		log_warn("cannot allocate %lluM of guest memory",
		    (unsigned long long)(vm->params.memsize >> 20));
		return VM_EXIT_ERROR;
	}
	/*
	 * The PIT here, on this thread, before the jail: KVM waits for a
	 * kernel thread of its own, which gets this thread's CPU at once
	 * (kvm_create_pit); made on a thread of its own beside the set-up,
	 * it waited for a CPU on a busy host and held up KVM_CREATE_VCPU.
	 */
	if (kvm_create_vm(vm) == -1 || kvm_create_pit(vm) == -1)
		return VM_EXIT_ERROR;
	/* Nothing the guest controls (not even its kernel) is read before. */
	if (jail_enter(vm) == -1)
		return VM_EXIT_ERROR;
	if (evthread_use_pthreads() == -1 ||
	    (vm->evbase = event_base_new()) == NULL) {
		log_warnx("%s: event_base_new", __func__);
		return VM_EXIT_ERROR;
	}
	if ((vm->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		log_warn("%s: eventfd", __func__);
		return VM_EXIT_ERROR;
	}
	ev_exit = event_new(vm->evbase, vm->exit_efd, EV_READ | EV_PERSIST,
	    vm_on_exit, vm);
	ev_term = evsignal_new(vm->evbase, SIGTERM, vm_on_signal, vm);
	ev_int = evsignal_new(vm->evbase, SIGINT, vm_on_signal, vm);
	if (ev_exit == NULL || ev_term == NULL || ev_int == NULL ||
	    event_add(ev_exit, NULL) == -1 || event_add(ev_term, NULL) == -1 ||
	    event_add(ev_int, NULL) == -1) {
		log_warnx("%s: events", __func__);
		goto out;
	}
	/* What boots decides the devices: firmware reads fw_cfg. */
	if (boot_probe(vm->params.kernel_fd, &vm->boot, &why) == -1) {
		log_warnx("kernel: %s", why);
		goto out;
	}
	/* Firmware gets the ACPI tables through fw_cfg (vm/dev/fwcfg.c). */
	if (devices_init(vm) == -1 || (vm->boot.kind != BOOT_KIND_FIRMWARE &&
	    acpi_build(vm) == -1))
		goto out;
	/* The launcher's table (vm_receive), else KVM's answer. */
	if ((cpuid = vm->cpuid) != NULL)
		vm->cpuid = NULL;
	else if ((cpuid = kvm_supported_cpuid(vm->kvm_fd)) == NULL)
		goto out;
	/* And MP tables: Linux searches for them, ACPI or not. */
	if (vm->boot.kind != BOOT_KIND_FIRMWARE &&
	    mptable_build(vm, cpuid) == -1)
		goto out;
	if ((vm->vcpus = calloc((size_t)vm->params.ncpus,
	    sizeof(*vm->vcpus))) == NULL)
		goto out;
	for (i = 0; i < vm->params.ncpus; i++)
		vm->vcpus[i].fd = -1;
	for (i = 0; i < vm->params.ncpus; i++)
		if (vcpu_create(vm, &vm->vcpus[i], i, cpuid) == -1)
			goto out;
	if (boot_load(vm, &vm->vcpus[0]) == -1)
		goto out;
	/* Loaded: the guest cannot make us read them again. */
	close(vm->params.kernel_fd);
	vm->params.kernel_fd = -1;
	if (vm->params.initrd_fd != -1) {
		close(vm->params.initrd_fd);
		vm->params.initrd_fd = -1;
	}
	if (vm->ctl_fd != -1 && ((vm->ctl_im = malloc(sizeof(*vm->ctl_im))) ==
	    NULL || (vm->ev_ctl = event_new(vm->evbase, vm->ctl_fd,
	    EV_READ | EV_PERSIST, vm_dispatch_vmm, vm)) == NULL ||
	    event_add(vm->ev_ctl, NULL) == -1)) {
		log_warnx("%s: launch channel", __func__);
		goto out;
	}
	vm_go(vm);
	status = vcpu_exit_status(vm);
	if (status == -1)
		status = VM_EXIT_ERROR;
 out:
	free(cpuid);
	if (ev_exit != NULL)
		event_free(ev_exit);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (vm->ev_ctl != NULL)
		event_free(vm->ev_ctl);
	return status;
}

int
vm_main(int sock, uint64_t exec_ns)
{
	struct vm	*vm;
	int		 status;

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		fatal("%s", __func__);
	vcpu_run_init(vm);
	vm->exec_ns = exec_ns;
	vm->kvm_fd = vm->vm_fd = vm->exit_efd = -1;
	vm->params.kernel_fd = vm->params.initrd_fd = -1;
	vm->params.cdrom_fd = vm->params.optrom_fd = -1;
	vm->params.con_in = vm->params.con_out = -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	vm->ctl_fd = -1;
	if (vm_receive(vm, sock) == -1)
		return VM_EXIT_ERROR;
	/* Kept for pause and unpause requests. */
	vm->ctl_fd = sock;
	if (vm->params.con_out == -1)
		vm->params.con_out = STDOUT_FILENO;
	log_procname(vm->params.name[0] ? vm->params.name : "vm");
	setproctitle("vm%s%s", vm->params.name[0] ? " " : "", vm->params.name);
	status = vm_run(vm);
	switch (status) {
	case VM_EXIT_POWEROFF:
		log_info("guest powered off");
		break;
	case VM_EXIT_REBOOT:
		log_info("guest requested reboot");
		break;
	default:
		log_info("vm exiting with error");
		break;
	}
	/* The process ends here: the kernel reclaims the VM and its memory. */
	return status;
}
