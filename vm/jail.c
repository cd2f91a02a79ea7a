/* SPDX-License-Identifier: ISC */
/* The VM process's sandbox: no root, no files, a filter on every call. */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irqcpu.h"
#include "log.h"
#include "sandbox.h"
#include "jail.h"
#include "vm/net/tapio.h"
#include "vm.h"
/*
 * Generated when vmd-vm is built (vm/jail_gen.c, in build/gen):
 * jail_bpf_prog, the instructions libseccomp made of vm/jail_rules.c,
 * and jail_bpf_patches, where they hold the pid and the disks' limit.
 */
#include "vm/jail_bpf.h"

#define JAIL_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define JAIL_FSIZE_MIN	(1LL << 30)	/* files may grow this far at least */
#define JAIL_NOFILE	4096		/* open files at most: what a VM holds
					   (its disks at 512 and up) and room */

/*
 * jail_irqcpus: where d's disk takes its completion interrupts, while
 * /sys and /proc are in sight: kept if those CPUs are some of ours only
 * (vm/virtio/blk.c keeps the disk's ring thread there).
 */
static void
jail_irqcpus(struct vm_disk *d)
{
	cpu_set_t	all;

	d->nirqcpus = 0;
	if (getenv("VMD_NO_IRQ_AFFINITY") != NULL ||
	    irqcpu_of_fd(d->fd[0], &d->irqcpus) == -1 ||
	    sched_getaffinity(0, sizeof(all), &all) == -1)
		return;
	CPU_AND(&d->irqcpus, &d->irqcpus, &all);
	if (CPU_COUNT(&d->irqcpus) < CPU_COUNT(&all))
		d->nirqcpus = CPU_COUNT(&d->irqcpus);
}

/*
 * Move every disk layer to fds from JAIL_DISK_FD_MIN up, make each
 * disk's io_uring ring (disabled and restricted: the filter refuses
 * io_uring_setup, so no other ring can exist) and return how far writes
 * may reach: the largest disk_limit of a writable top (its file, or for
 * qcow2 room for every cluster and its metadata), or -1 (logged). The
 * qcow2 code keeps under the same limit (virtio_blk_add).
 */
static int64_t
jail_disks(struct vm *vm)
{
	struct vm_params	*p = &vm->params;
	struct vm_disk		*d;
	uint64_t		 max = 0, lim;
	off_t			 size;
	int			 i, j, fd;

	for (i = 0; i < p->ndisks; i++) {
		d = &p->disks[i];
		for (j = 0; j < d->nlayers; j++) {
			if ((fd = fcntl(d->fd[j], F_DUPFD_CLOEXEC,
			    JAIL_DISK_FD_MIN)) == -1) {
				log_warn("%s: disk %d", __func__, i);
				return -1;
			}
			close(d->fd[j]);
			d->fd[j] = fd;
		}
		if ((size = lseek(d->fd[0], 0, SEEK_END)) == -1) {
			log_warn("%s: disk %d", __func__, i);
			return -1;
		}
		lim = disk_limit(d->format[0], (uint64_t)size, d->size);
		d->limit = lim;
		d->aio = disk_aio_prepare(DISK_AIO_DEPTH);
		jail_irqcpus(d);
		if (!d->readonly && lim > max)
			max = lim;
	}
	return max > INT64_MAX ? INT64_MAX : (int64_t)max;
}

/*
 * jail_vnet_hdr: a tap opened with IFF_VNET_HDR (vmd, vmctl run) gets the
 * virtio 1.x header size and no offload towards the guest (a persistent
 * tap keeps what its last user set), while TUNSET* ioctls are allowed:
 * its frames then carry the guest's offloads (virtio_net_set_offload).
 * 1 if so, 0 for a tap without one (or another kind of fd), -1 on error.
 */
static int
jail_vnet_hdr(int fd)
{
	struct ifreq	ifr;
	int		sz = 12;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == -1 ||
	    !(ifr.ifr_flags & IFF_VNET_HDR))
		return 0;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) == -1 ||
	    ioctl(fd, TUNSETOFFLOAD, 0UL) == -1)
		return -1;
	return 1;
}

/*
 * Each interface's tap ring (vm/net/tapio.c), while io_uring_setup works,
 * and its header (jail_vnet_hdr).
 */
static int
jail_nics(struct vm *vm)
{
	struct vm_params	*p = &vm->params;
	int			 i, v;

	for (i = 0; i < p->nnics; i++) {
		if ((v = jail_vnet_hdr(p->nics[i].fd)) == -1 ||
		    (p->nics[i].io = tapio_prepare(1)) == NULL) {
			log_warn("%s: interface %d", __func__, i);
			return -1;
		}
		p->nics[i].vnet_hdr = v;
	}
	return 0;
}

size_t
jail_bpf(uint64_t pid, uint64_t lim, struct sock_filter *prog, size_t max)
{
	size_t		 i;
	uint32_t	 k;

	if (max < JAIL_NELEM(jail_bpf_prog))
		return 0;
	memcpy(prog, jail_bpf_prog, sizeof(jail_bpf_prog));
	for (i = 0; i < JAIL_NELEM(jail_bpf_patches); i++) {
		switch (jail_bpf_patches[i].what) {
		case JAIL_BPF_PID:
			k = (uint32_t)pid;
			break;
		case JAIL_BPF_LIM_HI:
			k = (uint32_t)(lim >> 32);
			break;
		default:
			k = (uint32_t)lim;
			break;
		}
		prog[jail_bpf_patches[i].at].k = k;
	}
	return JAIL_NELEM(jail_bpf_prog);
}

/*
 * The filter (vm/jail_rules.c), from the program made at build time:
 * building it with libseccomp here took 0.4 ms of the way to the guest's
 * first instruction (bench/README.md).
 */
static int
jail_filter(int64_t max)
{
	struct sock_filter	prog[JAIL_NELEM(jail_bpf_prog)];
	size_t			n;

	n = jail_bpf((uint64_t)getpid(), (uint64_t)max, prog,
	    JAIL_NELEM(prog));
	return sandbox_load_bpf(prog, n);
}

/*
 * jail_fsize: no file may grow past the disks' limit (at least
 * JAIL_FSIZE_MIN, for a log on stderr): the kernel's bound on what the
 * io_uring rings write, whose offsets the filter cannot see. Past it a
 * write fails with EFBIG (SIGXFSZ is ignored). 0 or -1 (logged).
 */
static int
jail_fsize(int64_t max)
{
	struct rlimit	rl;

	if (max < JAIL_FSIZE_MIN)
		max = JAIL_FSIZE_MIN;
	rl.rlim_cur = rl.rlim_max = (rlim_t)max;
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE,
	    &rl) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

/*
 * jail_nofile: vmd raises its open files limit for a thousand VMs, and
 * its VM processes inherit it; one VM needs far fewer: JAIL_NOFILE, soft
 * and hard (the filter lets nothing raise it again). 0 or -1 (logged).
 */
static int
jail_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	if (rl.rlim_max > JAIL_NOFILE)
		rl.rlim_max = JAIL_NOFILE;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	return 0;
}

/* End with the launcher, which may have gone already. 0 or -1. */
static int
jail_deathsig(pid_t ppid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != ppid) {
		log_warnx("%s: launcher gone", __func__);
		return -1;
	}
	return 0;
}

int
jail_enter(struct vm *vm)
{
	pid_t	ppid = getppid();
	int64_t	max;

	if ((max = jail_disks(vm)) == -1 || jail_nics(vm) == -1 ||
	    jail_fsize(max) == -1 || jail_nofile() == -1)
		return -1;
	if (geteuid() != 0 && sandbox_has_chroot()) {
		/* From vmd or vmctl run as root: a uid of our own. */
		if (sandbox_chroot_only(SANDBOX_EMPTY) == -1 ||
		    jail_deathsig(ppid) == -1)
			return -1;
	} else if (geteuid() == 0) {
		/* `vmd -V` run as root by hand. */
		if (sandbox_prepare(SANDBOX_USER) == -1 ||
		    sandbox_drop(SANDBOX_USER, SANDBOX_EMPTY) == -1 ||
		    jail_deathsig(ppid) == -1) {
			log_warnx("%s: cannot leave root", __func__);
			return -1;
		}
	} else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		/* vmctl run by a user: stays that user. */
		log_warn("%s: no_new_privs", __func__);
		return -1;
	}
	return jail_filter(max);
}
