/* SPDX-License-Identifier: ISC */
/* The vm.conf data model: global options, switches and VMs, and its limits. */
#ifndef VMD_CONFIG_H
#define VMD_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmdef.h"

/*
 * Limits: the one place they are written. vmd (OpenBSD) values unless the
 * Linux VM process says otherwise (memory and vCPUs come from platform.h).
 */
#define CONFIG_DEFAULT_FILE	"/etc/vm.conf"
#define CONFIG_NAME_MAX		64	/* VM/switch name: 63 chars + NUL */
#define CONFIG_MAX_DISKS	PLAT_MAX_DISKS	/* disks per VM */
#define CONFIG_MAX_NICS		PLAT_MAX_NICS	/* interfaces per VM */
#define CONFIG_IFNAME_MAX	16	/* Linux IFNAMSIZ: 15 chars + NUL */
#define CONFIG_GROUP_MAX	16	/* interface group: 15 chars + NUL */
#define CONFIG_PATH_MAX		1024	/* disk, cdrom, boot, initrd paths */
#define CONFIG_CMDLINE_MAX	2048	/* kernel command line, incl. NUL */
#define CONFIG_MEM_MIN		PLAT_MIN_MEM
#define CONFIG_MEM_MAX		PLAT_MAX_MEM
#define CONFIG_MEM_DEFAULT	(512ULL << 20)
#define CONFIG_MEM_ROUND	(1ULL << 20)	/* rounded down to MB */
#define CONFIG_CPUS_MIN		1
#define CONFIG_CPUS_MAX		PLAT_MAX_VCPUS
#define CONFIG_CPUS_DEFAULT	1
#define CONFIG_MAX_INCLUDE	16	/* nested include depth */
#define CONFIG_MAX_FILES	64	/* files read by one parse */
#define CONFIG_MAX_EXPAND	(1 << 20) /* bytes of macro expansion */
#define CONFIG_TOKEN_MAX	8192	/* longest token the lexer accepts */
#define CONFIG_LOCAL_PREFIX	"100.64.0.0/10"
#define CONFIG_STAGGER_DELAY	30	/* seconds */

/* An owner (vm owner, socket owner, allow instance owner); -1 = unset. */
struct config_owner {
	uid_t	 uid;
	gid_t	 gid;
};

/* The values are lib/disk's enum disk_format. */
enum config_format {
	CONFIG_FORMAT_AUTO = 0,	/* guess: qcow2 magic, else raw */
	CONFIG_FORMAT_RAW,
	CONFIG_FORMAT_QCOW2,
	CONFIG_FORMAT_RAW_FORCE	/* raw even with the qcow2 magic */
};

enum config_bootdev {
	CONFIG_BOOTDEV_NONE = 0,
	CONFIG_BOOTDEV_DISK,
	CONFIG_BOOTDEV_CDROM,
	CONFIG_BOOTDEV_NET
};

/* Interface up/down: UNSET lets a NIC follow its switch (default up). */
enum config_updown {
	CONFIG_UPDOWN_UNSET = 0,
	CONFIG_UPDOWN_UP,
	CONFIG_UPDOWN_DOWN
};

struct config_disk {
	char			 path[CONFIG_PATH_MAX];
	enum config_format	 format;
};

struct config_nic {
	char			 ifname[CONFIG_IFNAME_MAX]; /* "" = any tap */
	char			 switchname[CONFIG_NAME_MAX]; /* "" = none */
	char			 group[CONFIG_GROUP_MAX];    /* "" = none */
	uint32_t		 group_id;	/* group, resolved at parse */
	uint8_t			 lladdr[6];
	int			 has_lladdr;	/* else random at start */
	int			 locked;	/* locked lladdr */
	int			 local;		/* local interface */
	enum config_updown	 updown;
	int			 line;		/* where it was declared */
};

/* Bits of allow instance { ... }. */
#define CONFIG_ALLOW_BOOT	0x01
#define CONFIG_ALLOW_CDROM	0x02
#define CONFIG_ALLOW_DISK	0x04
#define CONFIG_ALLOW_INSTANCE	0x08
#define CONFIG_ALLOW_INTERFACE	0x10
#define CONFIG_ALLOW_MEMORY	0x20
#define CONFIG_ALLOW_OWNER	0x40

/* Bits of config_vm.set: which keywords the block gave explicitly. */
#define CONFIG_SET_MEMORY	0x0001
#define CONFIG_SET_CPUS		0x0002
#define CONFIG_SET_DISKS	0x0004
#define CONFIG_SET_CDROM	0x0008
#define CONFIG_SET_BOOT		0x0010
#define CONFIG_SET_BOOTDEV	0x0020
#define CONFIG_SET_NICS		0x0040
#define CONFIG_SET_NINTERFACES	0x0080
#define CONFIG_SET_OWNER	0x0100
#define CONFIG_SET_ENABLE	0x0200
#define CONFIG_SET_INITRD	0x0400
#define CONFIG_SET_CMDLINE	0x0800
#define CONFIG_SET_ALLOW	0x1000

/*
 * One vm block (or vm "parent" instance "name" block, already merged with
 * its parent). Strings are "" when unset. Read-only once parsed; owned by
 * the thread that owns the vmd_config.
 */
struct config_vm {
	TAILQ_ENTRY(config_vm)	 entry;
	RB_ENTRY(config_vm)	 node;		/* vmd_config's vm_names */
	char			 name[CONFIG_NAME_MAX];
	char			 parent[CONFIG_NAME_MAX]; /* "" unless instance */
	uint64_t		 memory;	/* bytes, multiple of 1M */
	unsigned int		 cpus;
	struct config_disk	 disks[CONFIG_MAX_DISKS];
	size_t			 ndisks;
	char			 cdrom[CONFIG_PATH_MAX];
	char			 boot[CONFIG_PATH_MAX];	  /* kernel / BIOS */
	char			 initrd[CONFIG_PATH_MAX];
	char			 cmdline[CONFIG_CMDLINE_MAX];
	enum config_bootdev	 bootdev;
	struct config_nic	 nics[CONFIG_MAX_NICS];
	size_t			 nnics;		/* declared interfaces */
	size_t			 ninterfaces;	/* interfaces N (minimum) */
	struct config_owner	 owner;
	int			 disabled;
	unsigned int		 allow;		/* CONFIG_ALLOW_* */
	struct config_owner	 allow_owner;	/* who may create instances */
	unsigned int		 set;		/* CONFIG_SET_* */
	char			 file[CONFIG_PATH_MAX]; /* where it was defined */
	int			 line;
};

struct config_switch {
	TAILQ_ENTRY(config_switch) entry;
	RB_ENTRY(config_switch)	 node;		/* vmd_config's sw_names */
	RB_ENTRY(config_switch)	 ifnode;	/* vmd_config's sw_ifnames */
	char			 name[CONFIG_NAME_MAX];
	char			 ifname[CONFIG_IFNAME_MAX]; /* the bridge */
	char			 group[CONFIG_GROUP_MAX];
	uint32_t		 group_id;	/* group, resolved at parse */
	int			 locked;	/* locked lladdr for its NICs */
	enum config_updown	 updown;	/* UNSET means up */
	int			 disabled;
	char			 file[CONFIG_PATH_MAX];
	int			 line;
};

TAILQ_HEAD(config_vms, config_vm);
TAILQ_HEAD(config_switches, config_switch);
/* Indexes by name (red-black trees): lookups in O(log n), not a scan. */
RB_HEAD(config_vm_names, config_vm);
RB_HEAD(config_switch_names, config_switch);
RB_HEAD(config_switch_ifnames, config_switch);

/*
 * A parsed configuration. Iterate with TAILQ_FOREACH(vm, &c->vms, entry)
 * (file order); add with config_vm_add and config_switch_add only, which
 * keep the lists and the indexes together.
 */
struct vmd_config {
	struct in_addr		 local_prefix;	/* local prefix, network order */
	int			 local_prefixlen;
	int			 local_inet6;	/* local inet6 given */
	struct in6_addr		 local_prefix6;	/* random ULA if not given */
	int			 local_prefix6len;
	int			 local_prefix6_set; /* given, not random */
	int			 local_nat;	/* local nat: masquerade */
	int			 local_prefix_line; /* where it was set, or 0 */
	struct config_owner	 socket_owner;	/* -1/-1: root:root default */
	unsigned int		 stagger_parallel; /* 0 = online CPUs */
	unsigned int		 stagger_delay;	/* seconds */
	struct config_vms	 vms;
	struct config_switches	 switches;
	struct config_vm_names	 vm_names;	/* vms by name */
	struct config_switch_names sw_names;	/* switches by name */
	struct config_switch_ifnames sw_ifnames; /* switches by bridge */
};

/* Command-line macros (vmd -D name=value); they override the file's. */
struct config_macro {
	char			*name;
	char			*value;
};

struct config_macros {
	struct config_macro	*v;
	size_t			 n;
};

/*
 * config_macros_add: add "name=value" (from -D). 0, or -1 with errno EINVAL
 * (no '=' or a bad name) or ENOMEM.
 */
int	config_macros_add(struct config_macros *, const char *nameval);
void	config_macros_free(struct config_macros *);

/* Flags for config_parse. */
#define CONFIG_F_MISSING_OK	0x01	/* a missing file is an empty config */
#define CONFIG_F_VERBOSE	0x02	/* warn about unused macros */
#define CONFIG_F_QUIET		0x04	/* count errors, print nothing */

/*
 * config_parse: parse file (NULL = CONFIG_DEFAULT_FILE) with the -D macros
 * defs (may be NULL). Errors and warnings go to stderr as "file:line:
 * message". Returns the configuration, or NULL with *errors set to the
 * number of errors (0 and errno set on an allocation or open failure).
 */
struct vmd_config *config_parse(const char *file,
	    const struct config_macros *defs, int flags, int *errors);

/* config_new: an empty configuration with the defaults; NULL on ENOMEM. */
struct vmd_config *config_new(void);
void	config_free(struct vmd_config *);

/*
 * config_check: vmd -n. Parses file and prints "configuration OK" or the
 * errors on stderr; verbose > 0 also prints the parsed configuration (with
 * instances merged and sizes rounded) on stdout and warns about unused
 * macros. Returns the exit status: 0 OK, 1 errors.
 */
int	config_check(const char *file, const struct config_macros *defs,
	    int verbose);

/* Lookups by name (O(log n)); NULL if absent. */
struct config_vm	*config_vm_find(const struct vmd_config *, const char *);
struct config_switch	*config_switch_find(const struct vmd_config *,
			    const char *);
/* config_switch_find_ifname: the switch whose bridge is ifname, or NULL. */
struct config_switch	*config_switch_find_ifname(const struct vmd_config *,
			    const char *);

/*
 * config_vm_add: append vm (allocated with malloc; c owns it afterwards)
 * to c's list and index. NULL if added; else the VM already there with
 * that name, and vm is neither added nor freed.
 */
struct config_vm	*config_vm_add(struct vmd_config *c,
			    struct config_vm *vm);
/*
 * config_switch_add: the same for a switch; it is refused if another has
 * its name or its interface (the one returned: compare the names to tell).
 */
struct config_switch	*config_switch_add(struct vmd_config *c,
			    struct config_switch *sw);

/*
 * config_vm_init: a VM with the defaults (512M, 1 vCPU, enabled, no owner).
 */
void	config_vm_init(struct config_vm *, const char *name);

/*
 * config_vm_instance: build *out as the instance `name` of parent, with the
 * settings of req overriding (only fields in req->set). uid is the
 * requesting user: root may change anything, others only what the parent's
 * allow instance grants and only if allowed by its owner or allow owner.
 * Disks may not reuse the parent's; MACs and tap names are not inherited.
 * 0, or -1 with errno EPERM (not allowed), EINVAL (bad request, message in
 * errbuf) or ENOMEM.
 */
int	config_vm_instance(const struct config_vm *parent,
	    const struct config_vm *req, const char *name, uid_t uid,
	    struct config_vm *out, char *errbuf, size_t errlen);

/*
 * config_owner_permits: whether uid may act on a VM owned by owner: root
 * always, the owner user, or a member of the owner group (primary or
 * supplementary). 1 yes, 0 no.
 */
int	config_owner_permits(const struct config_owner *, uid_t uid);

/* config_owner_str: "user", "user:group", ":group" or "root" into buf. */
const char *config_owner_str(const struct config_owner *, char *buf,
	    size_t len);

/* config_name_valid: alnum plus . - _, not starting with . - _, < 64. */
int	config_name_valid(const char *);

/*
 * config_parse_size: a size with an optional K, M, G or T suffix (powers of
 * 1024; decimals allowed, "4.5G"). 0, or -1 with errno EINVAL or ERANGE.
 */
int	config_parse_size(const char *, uint64_t *);

/* config_print: vm.conf syntax for conf (vmd -nv and tests). */
void	config_print(FILE *, const struct vmd_config *);

#endif /* VMD_CONFIG_H */
