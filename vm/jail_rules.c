/* SPDX-License-Identifier: ISC */
/*
 * The VM process's seccomp filter, as rules: what vm/jail_gen.c compiles
 * with libseccomp when vmd-vm is built (the VM process loads that program,
 * vm/jail.c), and what the unit tests compare it with.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/sched.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>

#include "sandbox.h"
#include "vm/jail.h"

#define JAIL_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A rule with no comparison, or with one. */
#define JAIL_ANY(n)		{ (n), 0, 0, { { 0, 0, 0, 0 } } }
#define JAIL_ERR(n, e)		{ (n), (e), 0, { { 0, 0, 0, 0 } } }
#define JAIL_IF(n, a, op, m, v)	{ (n), 0, 1, { { (a), (op), (m), (v) } } }
#define JAIL_IOCTL(req)							\
	JAIL_IF("ioctl", 1, SANDBOX_EQ, 0xffffffffULL, (req))

/*
 * The ioctls a VM process makes once it runs: KVM on its VM and vCPU fds
 * (creating vCPUs, their registers and MSRs, interrupts, clocks, MSI
 * routes, irqfds and ioeventfds, which move when the firmware moves a
 * PCI BAR; the firmware ROM's read-only memory slot, added once the
 * image is read), and the size of a disk that is a block device. No
 * socket (SIOCS*) or terminal ioctl but TCGETS, which stdio asks of
 * stderr; of a tap's, only TUNSETOFFLOAD with TCP and checksum offloads
 * (jail_checked).
 */
static const struct sandbox_rule jail_ioctls[] = {
	JAIL_IOCTL(KVM_CHECK_EXTENSION), JAIL_IOCTL(KVM_GET_VCPU_MMAP_SIZE),
	JAIL_IOCTL(KVM_GET_SUPPORTED_CPUID), JAIL_IOCTL(KVM_CREATE_VCPU),
	JAIL_IOCTL(KVM_SET_CPUID2), JAIL_IOCTL(KVM_RUN),
	JAIL_IOCTL(KVM_GET_REGS), JAIL_IOCTL(KVM_SET_REGS),
	JAIL_IOCTL(KVM_GET_SREGS), JAIL_IOCTL(KVM_SET_SREGS),
	JAIL_IOCTL(KVM_GET_MSRS), JAIL_IOCTL(KVM_SET_MSRS),
	JAIL_IOCTL(KVM_GET_LAPIC), JAIL_IOCTL(KVM_SET_LAPIC),
	JAIL_IOCTL(KVM_IRQ_LINE), JAIL_IOCTL(KVM_SIGNAL_MSI),
	JAIL_IOCTL(KVM_SET_GSI_ROUTING), JAIL_IOCTL(KVM_IRQFD),
	JAIL_IOCTL(KVM_IOEVENTFD), JAIL_IOCTL(KVM_GET_CLOCK),
	JAIL_IOCTL(KVM_SET_CLOCK), JAIL_IOCTL(KVM_SET_USER_MEMORY_REGION),
	JAIL_IOCTL(BLKGETSIZE64), JAIL_IOCTL(BLKSSZGET),
	JAIL_IOCTL(BLKPBSZGET), JAIL_IOCTL(TCGETS),
};

/*
 * Calls whose arguments are checked. Memory: never executable (the guest's
 * bytes never become code). Threads: clone only for a thread of this
 * process (clone3 hides its flags in memory: glibc falls back to clone on
 * ENOSYS). Signals: only to threads of this process (vCPU kicks, raise).
 * fcntl: flags, locks and close-on-exec; no O_APPEND, no F_DUPFD. prctl:
 * thread names only. ioctl: a tap's offloads, bounded.
 */
static const struct sandbox_rule jail_checked[] = {
	JAIL_IF("mmap", 2, SANDBOX_EQ, PROT_EXEC, 0),
	JAIL_IF("mprotect", 2, SANDBOX_EQ, PROT_EXEC, 0),
	JAIL_IF("clone", 0, SANDBOX_EQ, CLONE_THREAD | CLONE_VM |
	    CLONE_SIGHAND | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS |
	    CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP,
	    CLONE_THREAD | CLONE_VM | CLONE_SIGHAND),
	JAIL_ERR("clone3", ENOSYS),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_GETFL),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_GETFD),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_SETFD),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_GETLK),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_SETLK),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_OFD_GETLK),
	JAIL_IF("fcntl", 1, SANDBOX_EQ, 0, F_OFD_SETLK),
	{ "fcntl", 0, 2, { { 1, SANDBOX_EQ, 0, F_SETFL },
	    { 2, SANDBOX_EQ, O_APPEND, 0 } } },
	/*
	 * A tap's offloads towards the guest, set to what its driver takes
	 * (vm/virtio/net.c): checksums, TCP segments, ECN. No UDP ones.
	 */
	{ "ioctl", 0, 2, { { 1, SANDBOX_EQ, 0xffffffffULL, TUNSETOFFLOAD },
	    { 2, SANDBOX_LE, 0, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    TUN_F_TSO_ECN } } },
	/* a disk's ring thread, onto its disk's interrupts' CPUs: itself */
	JAIL_IF("sched_setaffinity", 0, SANDBOX_EQ, 0, 0),
	JAIL_IF("prctl", 0, SANDBOX_EQ, 0, PR_SET_NAME),
	JAIL_IF("prctl", 0, SANDBOX_EQ, 0, PR_GET_NAME),
	/* on disks (fds from JAIL_DISK_FD_MIN): only positioned writes */
	JAIL_IF("write", 0, SANDBOX_LT, 0, JAIL_DISK_FD_MIN),
	JAIL_IF("writev", 0, SANDBOX_LT, 0, JAIL_DISK_FD_MIN),
	JAIL_IF("pwrite64", 0, SANDBOX_LT, 0, JAIL_DISK_FD_MIN),
	JAIL_IF("pwritev", 0, SANDBOX_LT, 0, JAIL_DISK_FD_MIN),
	JAIL_IF("pwritev2", 0, SANDBOX_LT, 0, JAIL_DISK_FD_MIN),
};

/*
 * The rest, allowed with any arguments, grouped by who needs them.
 */
static const char *const jail_calls[] = {
	/* console, taps, eventfds, the launch channel, reading disks */
	"read", "readv", "pread64", "preadv", "preadv2", "lseek", "fsync",
	"fdatasync", "recvmsg", "sendmsg", "close", "eventfd2", "pipe2",
	"flock",
	/* memory */
	"brk", "munmap", "madvise", "mremap",
	/* threads and kicks */
	"futex", "set_robust_list", "rseq", "sched_yield", "gettid", "getpid",
	"getuid", "geteuid", "getgid", "getegid", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "sigaltstack", "sched_getaffinity",
	/* the event loop and its timers */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "poll", "ppoll", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "clock_gettime", "clock_getres", "gettimeofday",
	"clock_nanosleep", "nanosleep",
	/* virtio-blk's and virtio-net's io_uring rings, made before the
	   filter (no io_uring_setup here), each restricted to readv, writev
	   and poll (lib/disk/aio.c) or readv and writev (vm/net/tapio.c,
	   one enter per batch of frames); RLIMIT_FSIZE bounds their writes */
	"io_uring_enter", "io_uring_register",
	/* entropy (virtio-rng), logging (syslog's socket is open or
	   refused), exit */
	"getrandom", "newfstatat", "fstat", "sendto", "-socket", "-connect",
	"exit", "exit_group",
	NULL
};

struct sandbox_filter *
jail_rules_build(uint64_t pid, uint64_t lim)
{
	struct sandbox_filter	*f;
	struct sandbox_rule	 r[7];
	size_t			 n = 0;

	memset(r, 0, sizeof(r));
	/* Only to this process's threads: vCPU kicks, raise(). */
	r[n++] = (struct sandbox_rule){ "tgkill", 0, 1,
	    { { 0, SANDBOX_EQ, 0, pid } } };
	/* Disks: positioned writes and fallocate up to the largest one. */
	r[n++] = (struct sandbox_rule){ "pwrite64", 0, 2,
	    { { 0, SANDBOX_GE, 0, JAIL_DISK_FD_MIN }, { 3, SANDBOX_LE, 0,
	    lim } } };
	r[n++] = (struct sandbox_rule){ "pwritev", 0, 2,
	    { { 0, SANDBOX_GE, 0, JAIL_DISK_FD_MIN }, { 3, SANDBOX_LE, 0,
	    lim } } };
	r[n++] = (struct sandbox_rule){ "pwritev2", 0, 3,
	    { { 0, SANDBOX_GE, 0, JAIL_DISK_FD_MIN }, { 3, SANDBOX_LE, 0,
	    lim }, { 5, SANDBOX_EQ, RWF_APPEND, 0 } } };
	/* The two modes virtio-blk uses: punch a hole, zero a range. */
	r[n++] = (struct sandbox_rule){ "fallocate", 0, 3,
	    { { 1, SANDBOX_EQ, 0, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE },
	    { 2, SANDBOX_LE, 0, lim }, { 3, SANDBOX_LE, 0, lim } } };
	r[n++] = (struct sandbox_rule){ "fallocate", 0, 3,
	    { { 1, SANDBOX_EQ, 0, FALLOC_FL_ZERO_RANGE },
	    { 2, SANDBOX_LE, 0, lim }, { 3, SANDBOX_LE, 0, lim } } };
	if ((f = sandbox_filter_new(SANDBOX_KILL)) == NULL)
		return NULL;
	/* A tree: 0.05 ms less to load here, fewer steps per call. */
	if (sandbox_filter_tree(f) == -1 ||
	    sandbox_filter_names(f, jail_calls) == -1 ||
	    sandbox_filter_rules(f, jail_ioctls, JAIL_NELEM(jail_ioctls)) ==
	    -1 || sandbox_filter_rules(f, jail_checked,
	    JAIL_NELEM(jail_checked)) == -1 ||
	    sandbox_filter_rules(f, r, n) == -1) {
		sandbox_filter_free(f);
		return NULL;
	}
	return f;
}
