/* SPDX-License-Identifier: ISC */
/*
 * The VM process: one guest, its vCPU threads and its device event thread.
 * vm.c is the process main only; the services devices call (exit, pause,
 * interrupt lines, uptime) are in vcpu.c.
 */
#ifndef VM_VM_H
#define VM_VM_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "boot.h"
#include "bus.h"
#include "mem.h"
#include "disk/aio.h"
#include "disk/disk.h"
#include "proto.h"
#include "vmdef.h"

struct event;
struct event_base;
struct imsg;
struct kvm_routes;
struct tapio;
struct vcpu;

#define VM_NAME_MAX		64

/*
 * A virtio-blk disk: its layers' fds, the top first, each with its
 * format (enum disk_format), and the size the parent read from the top;
 * lib/disk opens and locks them once the VM process is jailed.
 */
struct vm_disk {
	int		 fd[DISK_CHAIN_MAX];
	int		 format[DISK_CHAIN_MAX];
	int		 nlayers;
	uint64_t	 size;
	uint64_t	 limit;		/* set by the jail: writes stay below */
	struct disk_aio	*aio;		/* made by the jail, or NULL */
	int		 readonly;
	/*
	 * The CPUs that take its disk's completion interrupts, found by the
	 * jail (irqcpu_of_fd), if they are some of this process's only.
	 */
	cpu_set_t	 irqcpus;
	int		 nirqcpus;
};

/* A virtio-net interface on a tap fd. */
struct vm_nic {
	int		 fd;
	uint8_t		 lladdr[6];	/* all zero: generated */
	int		 locked;	/* drop frames from other MACs */
	int		 vnet_hdr;	/* tap with a virtio_net_hdr (the jail) */
	int		 local;		/* local interface: answer DHCP */
	struct in_addr	 host, guest;	/* local: the /31 pair */
	uint8_t		 server_mac[6];	/* local: the tap's MAC, or zero */
	struct tapio	*io;		/* made by the jail, or NULL */
};

/* What the VM process is asked to run (decoded from the launch message). */
struct vm_params {
	char		 name[VM_NAME_MAX];
	uint64_t	 memsize;	/* bytes */
	int		 ncpus;
	int		 kernel_fd;	/* bzImage, required */
	int		 initrd_fd;	/* -1 if none */
	char		*cmdline;	/* may be NULL */
	int		 con_in;	/* console input fd, -1 if none */
	int		 con_out;	/* console output fd */
	struct vm_disk	 disks[PROTO_MAX_DISKS];
	int		 ndisks;
	struct vm_nic	 nics[PROTO_MAX_NICS];
	int		 nnics;
	int		 bootdev;	/* VM_BOOTDEV_*: firmware boots it first */
	int		 cdrom_fd;	/* ISO image, read-only; -1 if none */
	int		 optrom_fd;	/* the first NIC's boot ROM; -1 if none */
};

/*
 * The per-VM context, created in vm_main. Set-up happens on the main
 * thread, which then runs the boot vCPU (vcpu_run) beside the device
 * event thread and the other vCPUs' threads; afterwards the buses are
 * read-only, devices own their state (behind their bus lock) and the
 * fields below say who writes them.
 */
struct vm {
	struct vm_params	 params;
	int			 kvm_fd;
	int			 vm_fd;
	struct mem		 mem;
	struct bus		 pio;
	struct bus		 mmio;
	struct vcpu		*vcpus;		/* params.ncpus entries */
	struct kvm_routes	*routes;	/* MSI routes (kvm.c, own lock),
						   or NULL */
	struct event_base	*evbase;	/* device event thread */
	struct pm		*pm;		/* power button from the host */
	struct i8042		*i8042;		/* ctrl-alt-del from the host */
	uint64_t		 acpi_rsdp;	/* guest address, for boot */
	struct boot_image	 boot;		/* what the boot file is (main) */
	struct kvm_cpuid2	*cpuid;		/* KVM's, from the launcher
						   (main, until the vCPUs
						   exist); NULL: ask KVM */
	int			 bootslot[VM_BOOTDEV_MAX + 1];	/* PCI slot of
						   each boot device, 0: none */
	uint8_t			*rom;		/* firmware mapped below 4G */
	uint64_t		 rom_size;
	int			 exit_efd;	/* eventfd: wakes the event loop */
	int			 nsignals;	/* stop requests seen (event
						   thread) */
	/* The launch channel, kept for pause/unpause (event thread). */
	int			 ctl_fd;	/* -1 once the launcher left */
	struct event		*ev_ctl;
	struct imsg		*ctl_im;
	/*
	 * The run control (vcpu.c, see vcpu.h): who may write what.
	 * exit_status: -1 while running, set once by vcpu_request_exit (any
	 * thread). pause_req, paused, paused_*: the event thread. start:
	 * moved on by unpauses (event thread). Every vcpu->state, under
	 * run_mtx; run_cv is broadcast on each change of them and on exit.
	 */
	atomic_int		 exit_status;
	atomic_int		 pause_req;
	pthread_mutex_t		 run_mtx;
	pthread_cond_t		 run_cv;
	int			 paused;
	uint64_t		 paused_clock;	/* KVM_GET_CLOCK at pause */
	uint64_t		*paused_tsc;	/* per vCPU, at pause */
	struct timespec		 paused_at;	/* CLOCK_MONOTONIC at pause */
	struct timespec		 start;		/* CLOCK_MONOTONIC at vm_main,
						   moved on by pauses */
	uint64_t		 exec_ns;	/* CLOCK_MONOTONIC (ns) at the
						   launcher's execve; 0:
						   unknown (main, then read) */
};

/*
 * vm_main: the VM process (vmd -V fd [-T ns]). Reads its launch messages
 * from sock, boots the guest and returns the process exit status
 * (VM_EXIT_*). exec_ns: CLOCK_MONOTONIC in nanoseconds at the launcher's
 * execve (lib/launch.h), 0 if unknown.
 */
int	vm_main(int sock, uint64_t exec_ns);

#endif /* VM_VM_H */
