/* SPDX-License-Identifier: ISC */
/* The message table and one encoder/decoder per payload. */
#ifndef LIB_PROTO_H
#define LIB_PROTO_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"
#include "vmdef.h"

/*
 * Message types: IMSG_<AREA>_<VERB>_{REQ,RESP,EVENT}. On the control path
 * the answer to a request is the next type (IMSG_VM_STOP_REQ + 1 ==
 * IMSG_VM_STOP_RESP).
 */
enum proto_type {
	IMSG_NONE = 0,
	/* launcher (vmctl run, the parent) -> VM process */
	IMSG_VMP_CREATE_REQ,	/* struct proto_vmcreate; no fd */
	IMSG_VMP_FD_REQ,	/* struct proto_fdreq; fd */
	IMSG_VMP_START_REQ,	/* empty: all is sent, boot */
	/* vmm <-> VM process, after the launch (peer id: none) */
	IMSG_VMP_PAUSE_REQ,	/* empty */
	IMSG_VMP_PAUSE_RESP,	/* u32 errno */
	IMSG_VMP_UNPAUSE_REQ,	/* empty */
	IMSG_VMP_UNPAUSE_RESP,	/* u32 errno */
	IMSG_VMP_START_RESP,	/* u32 errno: the guest is running (or not) */
	/* vmctl -> control -> parent and back (envelope + payload) */
	IMSG_VM_START_REQ,	/* struct proto_vmstart */
	IMSG_VM_START_RESP,	/* struct proto_result */
	IMSG_VM_STOP_REQ,	/* struct proto_vmref (PROTO_VMREF_F_*) */
	IMSG_VM_STOP_RESP,	/* struct proto_result */
	IMSG_VM_PAUSE_REQ,	/* struct proto_vmref */
	IMSG_VM_PAUSE_RESP,	/* struct proto_result */
	IMSG_VM_UNPAUSE_REQ,	/* struct proto_vmref */
	IMSG_VM_UNPAUSE_RESP,	/* struct proto_result */
	IMSG_VM_WAIT_REQ,	/* struct proto_vmref */
	IMSG_VM_WAIT_RESP,	/* struct proto_result, when the VM stopped */
	IMSG_VM_STATUS_REQ,	/* struct proto_vmref; id 0 and "" = all */
	IMSG_VM_STATUS_RESP,	/* struct proto_vminfo, one per VM */
	IMSG_VM_STATUS_END_RESP, /* struct proto_result: the list is over */
	IMSG_CONF_LOAD_REQ,	/* struct proto_path */
	IMSG_CONF_LOAD_RESP,	/* struct proto_result */
	IMSG_CONF_RELOAD_REQ,	/* empty */
	IMSG_CONF_RELOAD_RESP,	/* struct proto_result */
	IMSG_CONF_RESET_REQ,	/* u32 PROTO_RESET_* */
	IMSG_CONF_RESET_RESP,	/* struct proto_result */
	IMSG_LOG_VERBOSE_REQ,	/* u32 verbosity */
	IMSG_LOG_VERBOSE_RESP,	/* struct proto_result */
	/* between vmd's own processes */
	IMSG_LOG_VERBOSE_EVENT,	/* parent -> children: u32 verbosity */
	IMSG_CTL_LISTEN_EVENT,	/* parent -> control: fd = listening socket */
	IMSG_VMM_START_RESP,	/* vmm -> parent, peer id = vm id: proto_result */
	IMSG_VMM_ATTACH_REQ,	/* parent -> vmm, peer id = vm id: proto_result
				   (id, pid); fd = the VM process's channel */
	IMSG_VMM_BAD_EVENT,	/* vmm -> parent, peer id = vm id: u32 pid of a
				   VM process whose channel broke or ended */
	/* parent -> priv: one host interface operation each */
	IMSG_PRIV_IFDESCR_REQ,	/* struct proto_ifdescr */
	IMSG_PRIV_IFUP_REQ,	/* struct proto_ifvalue: 1 up, 0 down */
	IMSG_PRIV_IFGROUP_REQ,	/* struct proto_ifvalue: the group */
	IMSG_PRIV_IFADDR_REQ,	/* struct proto_ifaddr */
	IMSG_PRIV_IFADDR6_REQ,	/* struct proto_ifaddr6 */
	IMSG_PRIV_IFBRADD_REQ,	/* struct proto_ifbradd */
	IMSG_PRIV_SWITCH_REQ,	/* struct proto_switch: create if missing */
	IMSG_PRIV_RESET_REQ,	/* empty: delete the bridges priv created,
				   clear nat */
	IMSG_PRIV_NAT_REQ,	/* struct proto_nat: local nat on or off */
	IMSG_VMP_LOG_EVENT,	/* vmm -> VM process: u32 verbosity */
	IMSG_VMP_CPUID_REQ,	/* launcher -> VM process, before start:
				   struct proto_cpuid; no fd */
	IMSG_TYPE_MAX
};


/* Which fd an IMSG_VMP_FD_REQ carries. */
enum proto_vmfd {
	PROTO_VMFD_KERNEL = 1,
	PROTO_VMFD_INITRD,
	PROTO_VMFD_CON_IN,
	PROTO_VMFD_CON_OUT,
	PROTO_VMFD_DISK,	/* a disk's top layer, read-write */
	PROTO_VMFD_DISK_RO,	/* a disk's top layer, read-only */
	PROTO_VMFD_TAP,		/* tap device, with lladdr and locked */
	PROTO_VMFD_KVM,		/* /dev/kvm, opened by vmm */
	PROTO_VMFD_DISK_BASE,	/* the last disk's next backing layer */
	PROTO_VMFD_CDROM,	/* ISO image, read-only (virtio-scsi CD-ROM) */
	PROTO_VMFD_OPTROM,	/* the first NIC's boot ROM (iPXE), read-only */
	PROTO_VMFD_MAX
};

#define PROTO_NAME_MAX		64	/* incl. NUL */
#define PROTO_CMDLINE_MAX	4096	/* incl. NUL */

/* Decoded IMSG_VMP_CREATE_REQ. */
struct proto_vmcreate {
	char		name[PROTO_NAME_MAX];
	uint64_t	memsize;
	uint32_t	ncpus;
	uint32_t	bootdev;	/* VM_BOOTDEV_* */
	char		cmdline[PROTO_CMDLINE_MAX];	/* "" if none */
};

/*
 * Decoded IMSG_VMP_CPUID_REQ: KVM's supported CPUID table (what
 * KVM_GET_SUPPORTED_CPUID answers on /dev/kvm), asked by the launcher
 * while the VM process starts (the parent once, vmctl run after its fork)
 * so the VM process need not ask (0.3 ms here). Optional: without it the
 * VM process asks itself. Wire: u32 nent, then per entry u32 function,
 * index, flags, eax, ebx, ecx, edx; nent at most PROTO_CPUID_MAX.
 */
#define PROTO_CPUID_MAX		256	/* KVM_MAX_CPUID_ENTRIES in Linux */
struct proto_cpuid_entry {
	uint32_t	function, index, flags;
	uint32_t	eax, ebx, ecx, edx;
};
struct proto_cpuid {
	uint32_t		 nent;
	struct proto_cpuid_entry e[PROTO_CPUID_MAX];
};

/*
 * Who may send a message and where it goes: one row per type in proto.c.
 * PROTO_FROM_DAEMON types come only from vmd's own processes; a client
 * sending one is dropped. PROTO_FROM_ROOT types are answered EPERM for any
 * other uid.
 */
enum proto_from {
	PROTO_FROM_DAEMON = 0,
	PROTO_FROM_ANY,
	PROTO_FROM_ROOT,
	PROTO_FROM_VM		/* a VM process's answer (vmm checks it) */
};

enum proto_to {
	PROTO_TO_NONE = 0,
	PROTO_TO_VM,		/* the VM process */
	PROTO_TO_VMM,
	PROTO_TO_PARENT,
	PROTO_TO_CONTROL,
	PROTO_TO_CLIENT,	/* vmctl, by peer id */
	PROTO_TO_ALL		/* every vmd child */
};

struct proto_route {
	const char	*name;
	enum proto_from	 from;
	enum proto_to	 to;
	uint32_t	 answer;	/* a request relayed to a VM process:
					   the type of its answer, which vmm
					   relays back to the parent */
};

/* proto_route: the table row of type, or NULL if there is none. */
const struct proto_route *proto_route(uint32_t type);

/*
 * The control socket: every message between vmctl and vmd (and its hops
 * inside vmd) starts with this envelope. control checks the version and
 * overwrites uid with the peer's SO_PEERCRED uid before forwarding.
 */
#define PROTO_CTL_VERSION	2
struct proto_ctlhdr {
	uint32_t	version;
	uint32_t	uid;
};

/* VM states as status shows them. */
enum proto_vmstate {
	PROTO_VMSTATE_STOPPED = 0,
	PROTO_VMSTATE_RUNNING,
	PROTO_VMSTATE_PAUSED,
	PROTO_VMSTATE_STOPPING,
	PROTO_VMSTATE_WAITING,
	PROTO_VMSTATE_STARTING,
	PROTO_VMSTATE_UNKNOWN
};

/* proto_vmstate_name: "running", "stopped", ... for status. */
const char *proto_vmstate_name(uint32_t state);

#define PROTO_PATH_MAX		1024	/* incl. NUL */
#define PROTO_TTY_MAX		32	/* incl. NUL */
#define PROTO_WHY_MAX		160	/* a refusal's reason, incl. NUL */
#define PROTO_OWNER_MAX		80	/* "user:group", incl. NUL */
#define PROTO_MAX_DISKS		PLAT_MAX_DISKS
#define PROTO_MAX_NICS		PLAT_MAX_NICS

/* Which fields of a proto_vmstart the user gave (vmctl start flags). */
#define PROTO_VMSTART_MEMORY	0x0001	/* -m */
#define PROTO_VMSTART_CPUS	0x0002	/* -p */
#define PROTO_VMSTART_DISKS	0x0004	/* -d */
#define PROTO_VMSTART_CDROM	0x0008	/* -r */
#define PROTO_VMSTART_BOOT	0x0010	/* -b */
#define PROTO_VMSTART_BOOTDEV	0x0020	/* -B */
#define PROTO_VMSTART_NICS	0x0040	/* -n, -L */
#define PROTO_VMSTART_NIFS	0x0080	/* -i */
#define PROTO_VMSTART_INITRD	0x0400	/* -I */
#define PROTO_VMSTART_CMDLINE	0x0800	/* -k */

/* IMSG_VM_START_REQ: vmctl start. Paths are absolute; "" when unset. */
struct proto_vmstart {
	char		name[PROTO_NAME_MAX];
	char		template[PROTO_NAME_MAX];	/* -t, "" if none */
	uint64_t	memsize;
	uint32_t	ncpus;
	uint32_t	nifs;			/* -i */
	uint32_t	bootdev;		/* 0 none, 1 disk, 2 cdrom, 3 net */
	uint32_t	set;			/* PROTO_VMSTART_* */
	uint32_t	ndisks;
	uint32_t	nnics;
	char		boot[PROTO_PATH_MAX];
	char		initrd[PROTO_PATH_MAX];
	char		cdrom[PROTO_PATH_MAX];
	char		cmdline[PROTO_CMDLINE_MAX];
	char		disks[PROTO_MAX_DISKS][PROTO_PATH_MAX];
	uint32_t	diskfmt[PROTO_MAX_DISKS];	/* enum disk_format */
	char		nics[PROTO_MAX_NICS][PROTO_NAME_MAX]; /* switch, "" */
	uint32_t	niclocal[PROTO_MAX_NICS];	/* -L */
};

/* The answer to most requests. */
struct proto_result {
	int32_t		error;		/* 0 or an errno */
	uint32_t	id;		/* VM id, 0 if none */
	int32_t		pid;		/* VM process, -1 if none */
	char		name[PROTO_NAME_MAX];
	char		tty[PROTO_TTY_MAX];
	char		why[PROTO_WHY_MAX];	/* the daemon's reason for
						   error, or "" */
};

/* A VM named by id or name, plus flags (stop). */
#define PROTO_VMREF_F_FORCE	0x1	/* stop -f */
#define PROTO_VMREF_F_WAIT	0x2	/* stop -w */
#define PROTO_VMREF_F_RUNNING	0x4	/* status -r */
struct proto_vmref {
	uint32_t	id;		/* 0: by name */
	uint32_t	flags;
	char		name[PROTO_NAME_MAX];
};

/* One row of status. */
struct proto_vminfo {
	uint32_t	id;
	int32_t		pid;		/* -1 when not running */
	uint32_t	ncpus;
	uint32_t	state;		/* enum proto_vmstate */
	uint64_t	maxmem;		/* bytes */
	uint64_t	curmem;		/* bytes, 0 when not running */
	uint32_t	uid;		/* owner uid, for clients' checks */
	char		tty[PROTO_TTY_MAX];
	char		owner[PROTO_OWNER_MAX];
	char		name[PROTO_NAME_MAX];
};

struct proto_path {
	char		path[PROTO_PATH_MAX];
};

/* IMSG_CONF_RESET_REQ bits. */
#define PROTO_RESET_VMS		0x1
#define PROTO_RESET_SWITCHES	0x2
#define PROTO_RESET_ALL		(PROTO_RESET_VMS | PROTO_RESET_SWITCHES)

/* vmd's own error codes in proto_result.error, beside errno values. */
#define PROTO_ENOKERNEL		1001	/* no kernel given */
#define PROTO_ENOTRUNNING	1004	/* stop/pause of a stopped VM */
#define PROTO_ESTARTFAIL	1008	/* the VM process ended while starting */
#define PROTO_ERESTART		1009	/* restarted too quickly */
#define PROTO_ECONFIG		1010	/* the configuration has errors */
#define PROTO_ENOTFOUND		1011	/* no such VM */
#define PROTO_ESTARTTIME	1012	/* no start report in time: killed */

/* proto_strerror: the message for an errno or a PROTO_E* code. */
const char *proto_strerror(int);
/* proto_result_why: the daemon's reason for r's error, or its message. */
const char *proto_result_why(const struct proto_result *r);

/* proto_name: the type's name for logs. */
const char *proto_name(uint32_t type);

/*
 * The codecs, one pair per payload, all on one serializer in proto.c
 * (host-order integers, strings length-prefixed or in fixed NUL-padded
 * fields). Encoders write into buf (IMSG_MAX_PAYLOAD bytes; a control-path
 * answer takes at most the size of its struct) and return the payload
 * length, or -1 with errno EINVAL if a field breaks its rule or does not
 * fit. Decoders take exactly len bytes: they refuse short payloads,
 * leftover bytes, strings without their NUL or with one inside, and any
 * field out of its range, returning -1 with errno EBADMSG and the output
 * zeroed; 0 otherwise.
 */
int	proto_vmcreate_encode(const struct proto_vmcreate *, uint8_t *buf);
int	proto_vmcreate_decode(const uint8_t *buf, size_t len,
	    struct proto_vmcreate *);
int	proto_cpuid_encode(const struct proto_cpuid *, uint8_t *buf);
int	proto_cpuid_decode(const uint8_t *buf, size_t len,
	    struct proto_cpuid *);
int	proto_u32_encode(uint32_t, uint8_t *buf);
int	proto_u32_decode(const uint8_t *buf, size_t len, uint32_t *);

/*
 * Decoded IMSG_VMP_FD_REQ: which fd it carries, and for PROTO_VMFD_TAP the
 * interface's MAC (all zero: the VM process generates vmd's fe:e1:bb:dN
 * address) and locked-lladdr flag. On the wire: u32 which, then for a
 * tap 6 bytes lladdr, 1 byte locked, 1 byte local (0/1); a local
 * interface adds 4 bytes host and 4 bytes guest address (network order),
 * 6 bytes server MAC (the tap's; zero: unknown) and 2 zero bytes.
 */
struct proto_fdreq {
	uint32_t	which;		/* enum proto_vmfd */
	uint8_t		lladdr[6];
	uint8_t		locked;
	uint8_t		local;		/* local interface: DHCP in the VM */
	uint32_t	host, guest;	/* local: the /31 pair, network order */
	uint8_t		server_mac[6];	/* local: the tap's MAC, or zero */
	uint8_t		format;		/* disks: enum disk_format, raw/qcow2 */
	uint64_t	size;		/* disk tops: the guest-visible size */
};
int	proto_fdreq_encode(const struct proto_fdreq *, uint8_t *buf);
int	proto_fdreq_decode(const uint8_t *buf, size_t len,
	    struct proto_fdreq *);
int	proto_vmstart_encode(const struct proto_vmstart *, uint8_t *buf);
int	proto_vmstart_decode(const uint8_t *buf, size_t len,
	    struct proto_vmstart *);
int	proto_result_encode(const struct proto_result *, uint8_t *buf);
int	proto_result_decode(const uint8_t *buf, size_t len,
	    struct proto_result *);
int	proto_vmref_encode(const struct proto_vmref *, uint8_t *buf);
int	proto_vmref_decode(const uint8_t *buf, size_t len,
	    struct proto_vmref *);
int	proto_vminfo_encode(const struct proto_vminfo *, uint8_t *buf);
int	proto_vminfo_decode(const uint8_t *buf, size_t len,
	    struct proto_vminfo *);
int	proto_path_encode(const struct proto_path *, uint8_t *buf);
int	proto_path_decode(const uint8_t *buf, size_t len, struct proto_path *);

/*
 * IMSG_PRIV_*_REQ: one host interface operation each, a payload per kind.
 * Interface names are never empty; priv checks them (netif_name_valid).
 * IMSG_PRIV_RESET_REQ is empty.
 */
#define PROTO_IFNAME_MAX	16	/* IFNAMSIZ */
#define PROTO_IFDESCR_MAX	256

/* IMSG_PRIV_IFDESCR_REQ: the interface's description ("" clears it). */
struct proto_ifdescr {
	char		name[PROTO_IFNAME_MAX];
	char		descr[PROTO_IFDESCR_MAX];
};
int	proto_ifdescr_encode(const struct proto_ifdescr *, uint8_t *buf);
int	proto_ifdescr_decode(const uint8_t *buf, size_t len,
	    struct proto_ifdescr *);

/* IMSG_PRIV_IFUP_REQ (value 1 up, 0 down), IMSG_PRIV_IFGROUP_REQ (group). */
struct proto_ifvalue {
	char		name[PROTO_IFNAME_MAX];
	uint32_t	value;
};
int	proto_ifvalue_encode(const struct proto_ifvalue *, uint8_t *buf);
int	proto_ifvalue_decode(const uint8_t *buf, size_t len,
	    struct proto_ifvalue *);

/* IMSG_PRIV_IFADDR_REQ: add an IPv4 address, prefix length 1 to 32. */
struct proto_ifaddr {
	char		name[PROTO_IFNAME_MAX];
	struct in_addr	addr;
	uint32_t	prefixlen;
};
int	proto_ifaddr_encode(const struct proto_ifaddr *, uint8_t *buf);
int	proto_ifaddr_decode(const uint8_t *buf, size_t len,
	    struct proto_ifaddr *);

/* IMSG_PRIV_IFADDR6_REQ: add an IPv6 address, prefix length 1 to 128. */
struct proto_ifaddr6 {
	char		name[PROTO_IFNAME_MAX];
	struct in6_addr	addr;
	uint32_t	prefixlen;
};
int	proto_ifaddr6_encode(const struct proto_ifaddr6 *, uint8_t *buf);
int	proto_ifaddr6_decode(const uint8_t *buf, size_t len,
	    struct proto_ifaddr6 *);

/* IMSG_PRIV_IFBRADD_REQ: interface name joins bridge. */
struct proto_ifbradd {
	char		bridge[PROTO_IFNAME_MAX];
	char		name[PROTO_IFNAME_MAX];
};
int	proto_ifbradd_encode(const struct proto_ifbradd *, uint8_t *buf);
int	proto_ifbradd_decode(const uint8_t *buf, size_t len,
	    struct proto_ifbradd *);

/* IMSG_PRIV_SWITCH_REQ: switch name's bridge, created if missing. */
struct proto_switch {
	char		bridge[PROTO_IFNAME_MAX];
	char		name[PROTO_NAME_MAX];	/* the switch */
	uint8_t		up;			/* 0 or 1 */
};
int	proto_switch_encode(const struct proto_switch *, uint8_t *buf);
int	proto_switch_decode(const uint8_t *buf, size_t len,
	    struct proto_switch *);

/*
 * IMSG_PRIV_NAT_REQ: local nat of the local prefixes; prefixlen 0 turns
 * it off (and then prefix6len is 0), prefix6len 0 leaves IPv6 out.
 */
struct proto_nat {
	struct in_addr	prefix;
	uint32_t	prefixlen;	/* 0 to 32 */
	struct in6_addr	prefix6;
	uint32_t	prefix6len;	/* 0 to 128 */
};
int	proto_nat_encode(const struct proto_nat *, uint8_t *buf);
int	proto_nat_decode(const uint8_t *buf, size_t len, struct proto_nat *);

/* proto_empty_decode: a payload that must be empty. 0, or -1 (EBADMSG). */
int	proto_empty_decode(const uint8_t *buf, size_t len);

/*
 * proto_ctl_wrap: the envelope (version, uid) then len bytes of payload,
 * into buf (IMSG_MAX_PAYLOAD bytes). The length, or -1 (EMSGSIZE).
 */
int	proto_ctl_wrap(uint32_t uid, const void *payload, size_t len,
	    uint8_t *buf);
/*
 * proto_ctl_send: send type on the control path: the envelope (version,
 * uid) then len bytes of payload, and fd (-1 for none). 0 or -1.
 */
int	proto_ctl_send(int sock, uint32_t type, uint32_t peerid, uint32_t uid,
	    const void *payload, size_t len, int fd);
/*
 * proto_ctl_open: check the envelope of a control-path message; set *uid
 * and the payload that follows. 0, or -1 with errno EPROTO (wrong version)
 * or EBADMSG (too short).
 */
int	proto_ctl_open(const struct imsg *, uint32_t *uid,
	    const uint8_t **payload, size_t *len);
/* proto_ctl_stamp: overwrite the envelope's uid (control). 0 or -1. */
int	proto_ctl_stamp(struct imsg *, uint32_t uid);

#endif /* LIB_PROTO_H */
