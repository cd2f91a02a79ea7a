/* SPDX-License-Identifier: ISC */
/* parent: the launch sequence: open what a VM needs, start its process. */
#include <event2/event.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/boot.h"
#include "vm/dev/cdrom.h"
#include "vmd/parent.h"

/*
 * Open vm's disks and NICs into fds from *n on (PARENT_MAX_FDS at most).
 * 0, or an error code (logged); the fds opened stay in fds either way.
 */
static int
start_devs(struct parent *p, struct parent_vm *vm, struct launch_fd *fds,
    size_t *n)
{
	struct launch_fd	*f;
	struct disk_chain	 ch;
	char			 ifname[PROTO_IFNAME_MAX];
	const char		*why;
	size_t			 i, nnics;
	int			 fd, e, j;

	if (vm->conf.cdrom[0] != '\0') {
		if ((fd = files_open_as(vm->conf.cdrom, O_RDONLY,
		    (vm->user_set & PROTO_VMSTART_CDROM) ? vm->uid : 0)) ==
		    -1) {
			e = errno;
			parent_why(p, "vm %s: cdrom %s: %s", vm->conf.name,
			    vm->conf.cdrom, strerror(e));
			return e;
		}
		f = &fds[(*n)++];
		memset(f, 0, sizeof(*f));
		f->req.which = PROTO_VMFD_CDROM;
		f->fd = fd;
		if (cdrom_check_fd(fd, &why) == -1) {
			parent_why(p, "vm %s: cdrom %s: %s", vm->conf.name,
			    vm->conf.cdrom, why);
			return EINVAL;
		}
	}
	for (i = 0; i < vm->conf.ndisks; i++) {
		if (files_open_disk(vm, &vm->conf.disks[i], &ch) == -1)
			return errno;
		/* The top, then each backing layer under it, in order. */
		for (j = 0; j < ch.n; j++) {
			f = &fds[(*n)++];
			memset(f, 0, sizeof(*f));
			f->req.which = j == 0 ? PROTO_VMFD_DISK :
			    PROTO_VMFD_DISK_BASE;
			f->req.format = (uint8_t)ch.layer[j].format;
			f->req.size = ch.layer[j].size;
			f->fd = ch.layer[j].fd;
		}
	}
	nnics = vm->conf.nnics > vm->conf.ninterfaces ? vm->conf.nnics :
	    vm->conf.ninterfaces;
	for (i = 0; i < nnics && i < CONFIG_MAX_NICS; i++) {
		if ((fd = files_open_tap(vm, i < vm->conf.nnics ?
		    vm->conf.nics[i].ifname : "", ifname)) == -1)
			return errno;
		f = &fds[(*n)++];
		memset(f, 0, sizeof(*f));
		f->req.which = PROTO_VMFD_TAP;
		f->fd = fd;
		if (i < vm->conf.nnics && vm->conf.nics[i].has_lladdr)
			memcpy(f->req.lladdr, vm->conf.nics[i].lladdr, 6);
		f->req.locked = i < vm->conf.nnics && vm->conf.nics[i].locked;
		netcfg_nic(p, vm, i, ifname, fd, &f->req);
	}
	return 0;
}

/* The restart rate limit: 0, or -1 if started too often too quickly. */
static int
start_ratelimit(struct parent_vm *vm)
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

void
start_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct parent_vm	*vm = arg;

	(void)fd;
	(void)ev;
	if (vm->pid == -1)
		return;
	log_warnx("vm %s (vm %u) did not report started in %d s, killing it",
	    vm->conf.name, vm->id, vm->p->start_timeout);
	vm->start_err = PROTO_ESTARTTIME;
	vms_event(vm->p, vm, LC_EV_START_TIMEOUT);
}

/* Hand the channel of vm's new process to vmm. 0 or -1 (logged). */
static int
start_attach(struct parent *p, struct parent_vm *vm, int sock)
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
 * start_vm: open what the VM needs, start its process (as a uid of
 * its own), send it its description and hand its channel to vmm. 0, or an
 * error code for the client (logged).
 */
int
start_vm(struct parent *p, struct parent_vm *vm)
{
	struct proto_vmcreate	*c = NULL;
	struct launch_fd	 fds[PARENT_MAX_FDS];
	struct launch		 l;
	struct boot_image	 img;
	struct timeval		 tv = { p->start_timeout, 0 };
	const char		*boot, *why;
	size_t			 n = 0, i, nown = 0;
	int			 kfd = -1, ifd = -1, err = 0, sock = -1;
	pid_t			 pid;

	/* Without a kernel the VM boots the firmware (BIOS boot). */
	boot = vm->conf.boot[0] != '\0' ? vm->conf.boot : VMD_FIRMWARE;
	if (start_ratelimit(vm) == -1) {
		parent_why(p, "vm %s: restarted too quickly", vm->conf.name);
		return PROTO_ERESTART;
	}
	if (p->kvm_fd == -1) {
		parent_why(p, "vm %s: no KVM on this host", vm->conf.name);
		return ENODEV;
	}
	if ((kfd = files_open_as(boot, O_RDONLY,
	    (vm->user_set & PROTO_VMSTART_BOOT) ? vm->uid : 0)) == -1) {
		err = errno;
		parent_why(p, "vm %s: kernel %s: %s", vm->conf.name, boot,
		    strerror(err));
		goto done;
	}
	/* The VM process checks again; this says why to the client. */
	if (boot_probe(kfd, &img, &why) == -1 ||
	    (vm->conf.memory >= PLAT_MIN_MEM &&
	    boot_fit(&img, vm->conf.memory, &why) == -1)) {
		err = ENOEXEC;
		parent_why(p, "vm %s: kernel %s: %s", vm->conf.name, boot,
		    why);
		goto done;
	}
	/* A boot device is the firmware's choice: a kernel boots itself. */
	if (vm->conf.bootdev != CONFIG_BOOTDEV_NONE &&
	    img.kind != BOOT_KIND_FIRMWARE) {
		err = EOPNOTSUPP;
		parent_why(p, "vm %s: boot device %s needs BIOS boot (a VM "
		    "without a kernel)", vm->conf.name,
		    vm->conf.bootdev == CONFIG_BOOTDEV_DISK ? "disk" :
		    vm->conf.bootdev == CONFIG_BOOTDEV_CDROM ? "cdrom" : "net");
		goto done;
	}
	if (vm->conf.initrd[0] != '\0' &&
	    (ifd = files_open_as(vm->conf.initrd, O_RDONLY,
	    (vm->user_set & PROTO_VMSTART_INITRD) ? vm->uid : 0)) == -1) {
		err = errno;
		parent_why(p, "vm %s: initrd %s: %s", vm->conf.name,
		    vm->conf.initrd, strerror(err));
		goto done;
	}
	if (files_opentty(vm) == -1) {
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
	if ((err = start_devs(p, vm, fds, &n)) != 0)
		goto done;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err = errno;
		goto done;
	}
	strlcpy(c->name, vm->conf.name, sizeof(c->name));
	strlcpy(c->cmdline, vm->conf.cmdline, sizeof(c->cmdline));
	c->memsize = vm->conf.memory;
	c->ncpus = vm->conf.cpus;
	c->bootdev = (uint32_t)vm->conf.bootdev;
	/* Network boot: iPXE as the first NIC's option ROM. */
	if (vm->conf.bootdev == CONFIG_BOOTDEV_NET) {
		if (n == PARENT_MAX_FDS || (fds[n].fd = open(VMD_NET_ROM,
		    O_RDONLY | O_CLOEXEC)) == -1) {
			err = errno;
			parent_why(p, "vm %s: %s: %s (network boot needs "
			    "ipxe-qemu)", vm->conf.name, VMD_NET_ROM,
			    strerror(err));
			goto done;
		}
		fds[n++].req.which = PROTO_VMFD_OPTROM;
	}
	memset(&l, 0, sizeof(l));
	l.prog = p->vmprog;
	l.verbose = log_getverbose();
	l.syslog = !p->opts->debug;
	l.own_uid = 1;
	if ((pid = launch_spawn(&l, &sock)) == -1) {
		err = errno;
		goto done;
	}
	vm->pid = pid;
	vms_event(p, vm, LC_EV_LAUNCHED);
	if (vm->ev_start == NULL)
		vm->ev_start = evtimer_new(p->base, start_timeout, vm);
	if (vm->ev_start != NULL)
		evtimer_add(vm->ev_start, &tv);
	log_debug("vm %s (vm %u) is pid %d, uid %u", vm->conf.name, vm->id,
	    (int)pid, (unsigned)launch_uid(pid));
	/* It runs now: a failure from here on ends it, and its exit answers. */
	if (sock == -1 || launch_send(sock, c, fds, n, p->cpuid) == -1 ||
	    start_attach(p, vm, sock) == -1) {
		vm->start_err = EIO;
		vms_event(p, vm, LC_EV_START_FAILED);
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
void
start_for(struct parent *p, struct parent_vm *vm, uid_t uid,
    uint32_t peerid)
{
	int	err;

	vm->uid = uid;
	if (uid == 0)
		vm->user_set = 0;
	if ((err = start_vm(p, vm)) != 0) {
		parent_reply(p, peerid, IMSG_VM_START_RESP, err, vm);
		if (!vm->from_config)
			vms_free(p, vm);
		else if (vm->next_conf != NULL) {
			vm->conf = *vm->next_conf;
			free(vm->next_conf);
			vm->next_conf = NULL;
		}
		return;
	}
	vm->start_peer = peerid;
}

/* Build a config_vm from a start request's fields (root's ad hoc VMs). */
static int
start_apply(struct config_vm *c, const struct proto_vmstart *r)
{
	size_t	i;

	if (r->bootdev > CONFIG_BOOTDEV_NET || r->ndisks > CONFIG_MAX_DISKS ||
	    r->nnics > CONFIG_MAX_NICS)
		return -1;
	for (i = 0; i < r->ndisks; i++)
		if (r->diskfmt[i] > CONFIG_FORMAT_RAW_FORCE)
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
int
start_instance(struct parent *p, const struct proto_vmstart *r,
    uid_t uid, struct config_vm *c, struct parent_vm **vmp)
{
	struct parent_vm	*tmpl;
	struct config_vm	*out;
	char			 errbuf[256];
	int			 err = 0;

	if ((tmpl = vms_find(p, 0, r->template)) == NULL)
		return PROTO_ENOTFOUND;
	config_vm_init(c, r->name);
	if (start_apply(c, r) == -1)
		return EINVAL;
	c->set = r->set;
	if ((out = calloc(1, sizeof(*out))) == NULL)
		return ENOMEM;
	if (config_vm_instance(&tmpl->conf, c, r->name, uid, out, errbuf,
	    sizeof(errbuf)) == -1) {
		err = errno;
		parent_why(p, "instance %s of %s: %s", r->name, r->template,
		    errbuf[0] != '\0' ? errbuf : strerror(err));
	} else if ((*vmp = vms_new(p, out, 0, uid)) == NULL)
		err = ENOMEM;
	free(out);
	return err;
}

/*
 * start of a VM the configuration defined: its owner may add a kernel,
 * root anything, for this run only. 0 or an error code.
 */
int
start_known(struct parent_vm *vm, const struct proto_vmstart *r,
    uid_t uid, struct config_vm *c)
{
	if (!vms_permits(vm, uid))
		return EPERM;
	if (vms_running(vm))
		return EALREADY;
	if (uid != 0 && (r->set & ~PROTO_VMSTART_BOOT) != 0)
		return EPERM;
	*c = vm->conf;
	if (start_apply(c, r) == -1)
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
int
start_new(struct parent *p, const struct proto_vmstart *r, uid_t uid,
    struct config_vm *c, struct parent_vm **vmp)
{
	if (uid != 0)
		return EPERM;
	config_vm_init(c, r->name);
	if (start_apply(c, r) == -1)
		return EINVAL;
	if ((*vmp = vms_new(p, c, 0, uid)) == NULL)
		return ENOMEM;
	return 0;
}
