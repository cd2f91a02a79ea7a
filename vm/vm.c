/* SPDX-License-Identifier: ISC */
/* The VM process: one guest, its vCPU threads and its device event thread. */
#include <sys/eventfd.h>

#include <linux/kvm.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "boot.h"
#include "devices.h"
#include "kvm.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

void
vm_request_exit(struct vm *vm, int status)
{
	uint64_t	one = 1;
	int		expect = -1, i;

	if (!atomic_compare_exchange_strong(&vm->exit_status, &expect, status))
		return;
	if (vm->vcpus != NULL)
		for (i = 0; i < vm->params.ncpus; i++)
			vcpu_kick(&vm->vcpus[i]);
	if (vm->exit_efd != -1)
		(void)write(vm->exit_efd, &one, sizeof(one));
}

int
vm_irq_line(struct vm *vm, int gsi, int level)
{
	struct kvm_irq_level	irq;

	irq.irq = (uint32_t)gsi;
	irq.level = (uint32_t)(level != 0);
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) == -1) {
		log_warn("%s: KVM_IRQ_LINE %d", __func__, gsi);
		return -1;
	}
	return 0;
}

int
vm_irq_pulse(struct vm *vm, int gsi)
{
	if (vm_irq_line(vm, gsi, 1) == -1)
		return -1;
	return vm_irq_line(vm, gsi, 0);
}

uint64_t
vm_uptime_ns(const struct vm *vm)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - vm->start.tv_sec) * 1000000000ULL +
	    (uint64_t)now.tv_nsec - (uint64_t)vm->start.tv_nsec;
}

/* Receive the launch messages: create, fds, start. 0 or -1 (logged). */
static int
vm_receive(struct vm *vm, int sock)
{
	struct proto_vmcreate	*c;
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
			case PROTO_VMFD_CON_IN:
				vm->params.con_in = im->fd;
				break;
			case PROTO_VMFD_CON_OUT:
				vm->params.con_out = im->fd;
				break;
			case PROTO_VMFD_DISK:
			case PROTO_VMFD_DISK_RO:
				if (vm->params.ndisks == PROTO_MAX_DISKS) {
					close(im->fd);
					goto bad;
				}
				vm->params.disks[vm->params.ndisks].fd = im->fd;
				vm->params.disks[vm->params.ndisks++].readonly =
				    fdreq.which == PROTO_VMFD_DISK_RO;
				break;
			case PROTO_VMFD_TAP:
				if (vm->params.nnics == PROTO_MAX_NICS) {
					close(im->fd);
					goto bad;
				}
				vm->params.nics[vm->params.nnics].fd = im->fd;
				memcpy(vm->params.nics[vm->params.nnics].lladdr,
				    fdreq.lladdr, sizeof(fdreq.lladdr));
				vm->params.nics[vm->params.nnics++].locked =
				    fdreq.locked;
				break;
			default:
				close(im->fd);
				goto bad;
			}
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
	free(c);
	free(im);
	return rv;
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
	vm_request_exit(vm, VM_EXIT_ERROR);
}

static int
vm_run(struct vm *vm)
{
	struct kvm_cpuid2	*cpuid = NULL;
	struct event		*ev_exit = NULL, *ev_term = NULL, *ev_int = NULL;
	int			 i, status = VM_EXIT_ERROR;

	if ((vm->kvm_fd = kvm_open()) == -1)
		return VM_EXIT_ERROR;
	if (vm_check(vm) == -1)
		return VM_EXIT_ERROR;
	if (mem_init(&vm->mem, vm->params.memsize) == -1) {
		log_warn("cannot allocate %lluM of guest memory",
		    (unsigned long long)(vm->params.memsize >> 20));
		return VM_EXIT_ERROR;
	}
	if (kvm_create_vm(vm) == -1)
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
	if (devices_init(vm) == -1 || acpi_build(vm) == -1)
		goto out;
	if ((cpuid = kvm_supported_cpuid(vm->kvm_fd)) == NULL)
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
	for (i = 0; i < vm->params.ncpus; i++)
		if (vcpu_start(&vm->vcpus[i]) == -1) {
			vm_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
	if (atomic_load(&vm->exit_status) == -1)
		event_base_dispatch(vm->evbase);
	for (i = 0; i < vm->params.ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	status = atomic_load(&vm->exit_status);
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
	return status;
}

int
vm_main(int sock)
{
	struct vm	*vm;
	int		 status;

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		fatal("%s", __func__);
	clock_gettime(CLOCK_MONOTONIC, &vm->start);
	atomic_store(&vm->exit_status, -1);
	vm->kvm_fd = vm->vm_fd = vm->exit_efd = -1;
	vm->params.kernel_fd = vm->params.initrd_fd = -1;
	vm->params.con_in = vm->params.con_out = -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	if (vm_receive(vm, sock) == -1)
		return VM_EXIT_ERROR;
	close(sock);
	if (vm->params.con_out == -1)
		vm->params.con_out = STDOUT_FILENO;
	log_procname(vm->params.name[0] ? vm->params.name : "vm");
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
