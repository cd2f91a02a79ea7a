/* SPDX-License-Identifier: ISC */
/* vmctl run: one VM in the foreground, without the daemon. */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/chain.h"
#include "launch.h"
#include "lib/localaddr.h"
#include "proto.h"
#include "sandbox.h"
#include "vm/boot.h"
#include "vm/kvm.h"
#include "vm/dev/cdrom.h"
#include "vm/vm.h"
#include "vmctl.h"
#include "vmd/netif.h"

#define RUN_DEFAULT_MEM		(512ULL << 20)
#define RUN_LOCAL_PREFIX	"100.64.0.0"	/* vmd's default local prefix */
#define RUN_LOCAL_PREFIXLEN	10
#define RUN_LOCAL_VMID		1		/* the foreground VM's id */
/* kernel, initrd, console in and out, KVM, CD-ROM, option ROM; disks; taps */
#define RUN_MAX_FDS		(7 + PROTO_MAX_DISKS * DISK_CHAIN_MAX + \
				    PROTO_MAX_NICS)

/* Where the VM process program is: beside vmctl, else the install path. */
static int
run_find_vmd(char *path, size_t len)
{
	char		 self[PATH_MAX];
	const char	*fixed[] = { "/usr/local/sbin/vmd", "/usr/sbin/vmd" };
	ssize_t		 n;
	size_t		 i;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		snprintf(path, len, "%s/vmd", dirname(self));
		if (access(path, X_OK) == 0)
			return 0;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (access(fixed[i], X_OK) == 0) {
			strlcpy(path, fixed[i], len);
			return 0;
		}
	}
	return -1;
}

/* Console input worth polling: a terminal, a pipe or a socket. */
static int
run_is_stream(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) == -1)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	    (S_ISCHR(st.st_mode) && isatty(fd));
}

/*
 * A console fd of our own for the VM: a new open file description for the
 * same file, so the VM process may make it non-blocking without changing
 * the terminal the shell shares with us.
 */
static int
run_reopen(int fd, int flags)
{
	struct stat	st;
	char		path[64];
	int		nfd;

	if (fstat(fd, &st) == -1)
		return -1;
	/* A file keeps one offset shared with whoever redirected us. */
	if (S_ISREG(st.st_mode))
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((nfd = open(path, flags | O_CLOEXEC | O_NOCTTY)) == -1)
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return nfd;
}

/*
 * The devices vmctl run attaches: disks ("-d [ro,direct,qcow2:]path") and
 * interfaces on taps ("-t name", or "-i count" for taps the kernel names); "-l"
 * locks every interface's lladdr.
 */
struct run_devs {
	struct disk_chain disk[PROTO_MAX_DISKS];
	int		 disk_ro[PROTO_MAX_DISKS];
	int		 ndisks;
	const char	*tap[PROTO_MAX_NICS];	/* "" = kernel picks */
	int		 tapfd[PROTO_MAX_NICS];
	int		 local[PROTO_MAX_NICS];	/* -L: a local interface */
	char		 ifname[PROTO_MAX_NICS][IFNAMSIZ];
	struct in_addr	 host[PROTO_MAX_NICS], guest[PROTO_MAX_NICS];
	uint8_t		 tapmac[PROTO_MAX_NICS][6];
	int		 ntaps;
	int		 locked;		/* -l: locked lladdr */
};

/* run_opener: lib/disk's opener; *arg adds O_DIRECT to the top layer. */
static int
run_opener(const char *path, int flags, void *arg)
{
	int	*direct = arg, fd;

	fd = open(path, flags | O_CLOEXEC | *direct);
	*direct = 0;
	return fd;
}

/*
 * run_open_disk: "-d [opts:]path", opts a comma-separated list of "ro"
 * (read-only), "direct" (O_DIRECT: no host page cache) and a format
 * ("raw", "qcow2", "force-raw"; else the qcow2 magic decides), e.g.
 * "ro,direct:disk.img". A path that itself starts with such a prefix
 * can be given as "./ro:...". Backing files are opened too.
 */
static void
run_open_disk(struct run_devs *d, const char *arg)
{
	const char	*p = arg;
	char		 why[DISK_WHY_MAX], word[16];
	size_t		 n;
	int		 ro = 0, direct = 0, flag, ok = 0, fmt = 0, f;

	if (d->ndisks == PROTO_MAX_DISKS)
		errx(1, "too many disks (at most %d)", PROTO_MAX_DISKS);
	for (;;) {
		n = strcspn(p, ",:");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (strcmp(word, "ro") == 0)
			ro = 1;
		else if (strcmp(word, "direct") == 0)
			direct = 1;
		else if (n < sizeof(word) && (f = disk_format_parse(word)) != -1)
			fmt = f;
		else
			break;
		if (p[n] == ':') {
			ok = 1;
			p += n + 1;
			break;
		}
		if (p[n] != ',')
			break;
		p += n + 1;
	}
	if (ok)
		arg = p;
	else
		ro = direct = fmt = 0;	/* no option list: a plain path */
	flag = direct ? O_DIRECT : 0;
	if (disk_chain_open(arg, fmt, ro, run_opener, &flag,
	    &d->disk[d->ndisks], why) == -1) {
		if (direct && errno == EINVAL && flag != 0)
			errx(1, "%s: O_DIRECT not supported here (tmpfs?)",
			    arg);
		errx(1, "%s", why);
	}
	d->disk_ro[d->ndisks++] = ro;
}

/*
 * run_open_tap: attach to tap name, creating it if it does not exist (it
 * then goes away with the VM); "" lets the kernel choose a tapN name.
 * The interface is not configured or brought up: that is the caller's.
 */
static int
run_open_tap(const char *name, char actual[IFNAMSIZ], int verbose)
{
	int	fd;

	if (strlcpy(actual, name, IFNAMSIZ) >= IFNAMSIZ)
		errx(1, "tap name too long: %s", name);
	if ((fd = netif_tap_open(actual, IFNAMSIZ, NETIF_TAP_VNET_HDR)) == -1)
		err(1, "tap %s", name[0] != '\0' ? name : "(new)");
	if (verbose)
		fprintf(stderr, "vmctl: interface on %s\n", actual);
	return fd;
}

/*
 * run_local: make tap i of d a local interface as vmd would for VM id 1:
 * the host side of NIC i's /31 on the tap, the tap up; the guest side is
 * what the VM process's DHCP server hands out.
 */
static void
run_local(struct run_devs *d, int i, int verbose)
{
	struct in_addr	prefix;
	char		h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	const char	*name = d->ifname[i];

	if (inet_pton(AF_INET, RUN_LOCAL_PREFIX, &prefix) != 1 ||
	    localaddr_inet(prefix, RUN_LOCAL_PREFIXLEN, RUN_LOCAL_VMID,
	    (unsigned int)i, &d->host[i], &d->guest[i]) == -1)
		err(1, "local interface %d", i);
	if (netif_tap_lladdr(d->tapfd[i], d->tapmac[i]) == -1)
		err(1, "local interface %d: tap address", i);
	if (netif_addr(name, d->host[i], LOCALADDR_PREFIXLEN, 1) == -1 ||
	    netif_updown(name, 1) == -1)
		errx(1, "local interface %s: cannot configure it", name);
	if (verbose)
		fprintf(stderr, "vmctl: local interface %s: host %s/%d, "
		    "guest %s\n", name,
		    inet_ntop(AF_INET, &d->host[i], h, sizeof(h)),
		    LOCALADDR_PREFIXLEN,
		    inet_ntop(AF_INET, &d->guest[i], g, sizeof(g)));
}

/* run_send_devs: the disk and tap fds, in order. 0 or -1. */
/* The VM's description: kernel, initrd, console, KVM, disks and taps. */
static size_t
run_fds(const struct run_devs *d, int kfd, int ifd, int cin, int cout,
    int kvm, int cdfd, int romfd, struct launch_fd *fds)
{
	struct proto_fdreq	*f;
	size_t			 n = 0;
	int			 i, j, k;

	memset(fds, 0, sizeof(*fds) * RUN_MAX_FDS);
	fds[n].req.which = PROTO_VMFD_KERNEL;
	fds[n++].fd = kfd;
	if (ifd != -1) {
		fds[n].req.which = PROTO_VMFD_INITRD;
		fds[n++].fd = ifd;
	}
	if (cin != -1) {
		fds[n].req.which = PROTO_VMFD_CON_IN;
		fds[n++].fd = cin;
	}
	fds[n].req.which = PROTO_VMFD_CON_OUT;
	fds[n++].fd = cout;
	fds[n].req.which = PROTO_VMFD_KVM;
	fds[n++].fd = kvm;
	if (cdfd != -1) {
		fds[n].req.which = PROTO_VMFD_CDROM;
		fds[n++].fd = cdfd;
	}
	if (romfd != -1) {
		fds[n].req.which = PROTO_VMFD_OPTROM;
		fds[n++].fd = romfd;
	}
	for (i = 0; i < d->ndisks; i++) {
		for (k = 0; k < d->disk[i].n; k++) {
			fds[n].req.which = k > 0 ? PROTO_VMFD_DISK_BASE :
			    d->disk_ro[i] ? PROTO_VMFD_DISK_RO :
			    PROTO_VMFD_DISK;
			fds[n].req.format = (uint8_t)d->disk[i].layer[k].format;
			fds[n].req.size = d->disk[i].layer[k].size;
			fds[n++].fd = d->disk[i].layer[k].fd;
		}
	}
	for (j = 0; j < d->ntaps; j++) {
		f = &fds[n].req;
		f->which = PROTO_VMFD_TAP;
		f->locked = (uint8_t)d->locked;
		if (d->local[j]) {
			f->local = 1;
			f->host = d->host[j].s_addr;
			f->guest = d->guest[j].s_addr;
			memcpy(f->server_mac, d->tapmac[j], 6);
		}
		fds[n++].fd = d->tapfd[j];
	}
	return n;
}

int
cmd_run(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct run_devs		 devs;
	struct proto_vmcreate	*c;
	struct proto_cpuid	*cpuid;
	struct kvm_cpuid2	*kcpuid = NULL;
	const char		*kernel = NULL, *initrd = NULL, *errstr, *why;
	const char		*cdrom = NULL;
	struct launch		 l;
	struct boot_image	 img;
	struct launch_fd	 fds[RUN_MAX_FDS];
	char			 vmd[PATH_MAX], vmprog[PATH_MAX];
	struct sigaction	 sa;
	pid_t			 pid;
	size_t			 nfds;
	int			 ch, sock, kfd, ifd = -1, cin, cout, status, kvm;
	int			 cdfd = -1, romfd = -1;
	int			 ncpus = 1, n, i, nifs = 0;
	uint64_t		 mem = RUN_DEFAULT_MEM;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(1, NULL);
	memset(&devs, 0, sizeof(devs));
	while ((ch = getopt(argc, argv, "B:b:d:I:i:k:Llm:p:r:t:")) != -1) {
		switch (ch) {
		case 'B':
			if (strcmp(optarg, "disk") == 0)
				c->bootdev = VM_BOOTDEV_DISK;
			else if (strcmp(optarg, "cdrom") == 0)
				c->bootdev = VM_BOOTDEV_CDROM;
			else if (strcmp(optarg, "net") == 0)
				c->bootdev = VM_BOOTDEV_NET;
			else
				errx(1, "invalid boot device: %s", optarg);
			break;
		case 'b':
			kernel = optarg;
			break;
		case 'd':
			run_open_disk(&devs, optarg);
			break;
		case 'i':
			n = (int)strtonum(optarg, 0, PROTO_MAX_NICS, &errstr);
			if (errstr != NULL)
				errx(1, "number of interfaces is %s: %s",
				    errstr, optarg);
			nifs = n;
			break;
		case 't':
			if (devs.ntaps == PROTO_MAX_NICS)
				errx(1, "too many interfaces (at most %d)",
				    PROTO_MAX_NICS);
			devs.tap[devs.ntaps++] = optarg;
			break;
		case 'L':
			if (devs.ntaps == PROTO_MAX_NICS)
				errx(1, "too many interfaces (at most %d)",
				    PROTO_MAX_NICS);
			devs.local[devs.ntaps] = 1;
			devs.tap[devs.ntaps++] = "";
			break;
		case 'l':
			devs.locked = 1;
			break;
		case 'I':
			initrd = optarg;
			break;
		case 'r':
			cdrom = optarg;
			break;
		case 'k':
			if (strlcpy(c->cmdline, optarg, sizeof(c->cmdline)) >=
			    sizeof(c->cmdline))
				errx(1, "kernel command line too long "
				    "(at most %d bytes)", PROTO_CMDLINE_MAX - 1);
			break;
		case 'm':
			mem = cmd_memsize(optarg);
			break;
		case 'p':
			ncpus = (int)strtonum(optarg, 1, 4096, &errstr);
			if (errstr != NULL)
				errx(1, "number of cpus is %s: %s", errstr,
				    optarg);
			break;
		default:
			cmd_usage(cmd_find("run", &ch));
		}
	}
	/* -i counts every interface; those -t did not name get new taps. */
	while (devs.ntaps < nifs)
		devs.tap[devs.ntaps++] = "";
	if (optind != argc)
		cmd_usage(cmd_find("run", &ch));
	/* Without a kernel the VM boots the firmware from its disks. */
	if (kernel == NULL)
		kernel = VMD_FIRMWARE;
	if ((kfd = open(kernel, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", kernel);
	if (initrd != NULL && (ifd = open(initrd, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", initrd);
	if (boot_probe(kfd, &img, &why) == -1 ||
	    (mem >= PLAT_MIN_MEM && boot_fit(&img, mem, &why) == -1))
		errx(1, "%s: %s", kernel, why);
	if (c->bootdev != VM_BOOTDEV_NONE && img.kind != BOOT_KIND_FIRMWARE)
		errx(1, "boot device needs BIOS boot (no -b kernel)");
	/* Network boot: iPXE as the first NIC's option ROM. */
	if (c->bootdev == VM_BOOTDEV_NET) {
		if (devs.ntaps == 0 && nifs == 0)
			errx(1, "boot device net needs an interface (-t, -i "
			    "or -L)");
		if ((romfd = open(VMD_NET_ROM, O_RDONLY | O_CLOEXEC)) == -1)
			err(1, "%s (network boot needs ipxe-qemu)",
			    VMD_NET_ROM);
	}
	if (cdrom != NULL) {
		if ((cdfd = open(cdrom, O_RDONLY | O_CLOEXEC)) == -1)
			err(1, "%s", cdrom);
		if (cdrom_check_fd(cdfd, &errstr) == -1)
			errx(1, "%s: %s", cdrom, errstr);
	}
	cin = -1;
	if (run_is_stream(STDIN_FILENO) &&
	    (cin = run_reopen(STDIN_FILENO, O_RDONLY)) == -1)
		err(1, "console input");
	if ((cout = run_reopen(STDOUT_FILENO, O_WRONLY)) == -1)
		err(1, "console output");
	for (i = 0; i < devs.ntaps; i++) {
		devs.tapfd[i] = run_open_tap(devs.tap[i], devs.ifname[i],
		    opts->verbose);
		if (devs.local[i])
			run_local(&devs, i, opts->verbose);
	}
	if (run_find_vmd(vmd, sizeof(vmd)) == -1)
		errx(1, "cannot find the vmd program beside vmctl or in "
		    "/usr/sbin");
	/* vmd-vm beside it, else vmd -V. */
	if (launch_vm_prog(vmd, vmprog, sizeof(vmprog)) == -1)
		errx(1, "%s: cannot name the VM program", vmd);
	/* The VM process may not open /dev/kvm under its own uid. */
	if ((kvm = kvm_open()) == -1)
		errx(1, "cannot use KVM");

	/* The foreground VM is named after its kernel. */
	strlcpy(c->name, basename((char *)(uintptr_t)kernel), sizeof(c->name));
	c->memsize = mem;
	c->ncpus = (uint32_t)ncpus;

	/* Ctrl-C and kill reach the VM process, which presses the power button. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	memset(&l, 0, sizeof(l));
	l.prog = vmprog;
	l.verbose = opts->verbose;
	l.own_uid = geteuid() == 0;
	/* With a uid of its own it chroots to the empty directory. */
	if (l.own_uid && sandbox_empty() == -1)
		exit(1);
	if ((pid = launch_spawn(&l, &sock)) == -1)
		err(1, "cannot start the vm process");
	/* While the VM process execs: KVM's CPUID table, sent to it. */
	if ((cpuid = calloc(1, sizeof(*cpuid))) != NULL &&
	    ((kcpuid = kvm_supported_cpuid(kvm)) == NULL ||
	    kvm_cpuid_export(kcpuid, cpuid) == -1)) {
		free(cpuid);
		cpuid = NULL;
	}
	free(kcpuid);
	nfds = run_fds(&devs, kfd, ifd, cin, cout, kvm, cdfd, romfd, fds);
	if (launch_send(sock, c, fds, nfds, cpuid) == -1)
		warnx("cannot launch the vm process");
	free(cpuid);
	close(sock);
	close(kvm);
	close(kfd);
	if (ifd != -1)
		close(ifd);
	if (cdfd != -1)
		close(cdfd);
	if (romfd != -1)
		close(romfd);
	if (cin != -1)
		close(cin);
	close(cout);
	for (i = 0; i < devs.ndisks; i++)
		disk_chain_close(&devs.disk[i]);
	for (i = 0; i < devs.ntaps; i++)
		close(devs.tapfd[i]);
	free(c);

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	if (WIFSIGNALED(status))
		errx(1, "vm process killed by signal %d", WTERMSIG(status));
	switch (WEXITSTATUS(status)) {
	case VM_EXIT_POWEROFF:
		return 0;
	case VM_EXIT_REBOOT:
		warnx("guest requested a reboot");
		return VM_EXIT_REBOOT;
	default:
		return 1;
	}
}
