/* SPDX-License-Identifier: ISC */
/* The vm.conf data model: defaults, lookups, instances, owners, printing. */
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmd/config.h"

static int	config_vm_cmp(const struct config_vm *,
		    const struct config_vm *);
static int	config_switch_cmp(const struct config_switch *,
		    const struct config_switch *);
static int	config_switch_ifcmp(const struct config_switch *,
		    const struct config_switch *);
/* The trees' functions are static, and some (RB_REMOVE...) unused. */
#define CONFIG_RB_ATTR	__attribute__((__unused__)) static
RB_PROTOTYPE_INTERNAL(config_vm_names, config_vm, node, config_vm_cmp,
    CONFIG_RB_ATTR)
RB_PROTOTYPE_INTERNAL(config_switch_names, config_switch, node,
    config_switch_cmp, CONFIG_RB_ATTR)
RB_PROTOTYPE_INTERNAL(config_switch_ifnames, config_switch, ifnode,
    config_switch_ifcmp, CONFIG_RB_ATTR)

int
config_macros_add(struct config_macros *m, const char *nameval)
{
	struct config_macro	*v;
	const char		*eq, *p;
	char			*name, *value;

	if ((eq = strchr(nameval, '=')) == NULL || eq == nameval) {
		errno = EINVAL;
		return -1;
	}
	for (p = nameval; p < eq; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			errno = EINVAL;
			return -1;
		}
	}
	if ((name = strndup(nameval, (size_t)(eq - nameval))) == NULL)
		return -1;
	if ((value = strdup(eq + 1)) == NULL) {
		free(name);
		return -1;
	}
	if ((v = reallocarray(m->v, m->n + 1, sizeof(*v))) == NULL) {
		free(name);
		free(value);
		return -1;
	}
	m->v = v;
	v[m->n].name = name;
	v[m->n].value = value;
	m->n++;
	return 0;
}

void
config_macros_free(struct config_macros *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].value);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

struct vmd_config *
config_new(void)
{
	struct vmd_config	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	inet_net_pton(AF_INET, CONFIG_LOCAL_PREFIX, &c->local_prefix,
	    sizeof(c->local_prefix));
	c->local_prefixlen = 10;
	/* A random ULA: fd00::/8 plus 56 random bits, a /64. */
	c->local_prefix6.s6_addr[0] = 0xfd;
	arc4random_buf(&c->local_prefix6.s6_addr[1], 7);
	c->local_prefix6len = 64;
	c->socket_owner.uid = (uid_t)-1;
	c->socket_owner.gid = (gid_t)-1;
	c->stagger_parallel = 0;
	c->stagger_delay = CONFIG_STAGGER_DELAY;
	TAILQ_INIT(&c->vms);
	TAILQ_INIT(&c->switches);
	RB_INIT(&c->vm_names);
	RB_INIT(&c->sw_names);
	RB_INIT(&c->sw_ifnames);
	return c;
}

void
config_free(struct vmd_config *c)
{
	struct config_vm	*vm;
	struct config_switch	*sw;

	if (c == NULL)
		return;
	while ((vm = TAILQ_FIRST(&c->vms)) != NULL) {
		TAILQ_REMOVE(&c->vms, vm, entry);
		free(vm);
	}
	while ((sw = TAILQ_FIRST(&c->switches)) != NULL) {
		TAILQ_REMOVE(&c->switches, sw, entry);
		free(sw);
	}
	free(c);
}

int
config_check(const char *file, const struct config_macros *defs, int verbose)
{
	struct vmd_config	*c;
	int			 errors;

	c = config_parse(file, defs, verbose > 0 ? CONFIG_F_VERBOSE : 0,
	    &errors);
	if (c == NULL) {
		if (errors == 0)
			fprintf(stderr, "%s: %s\n", file != NULL ? file :
			    CONFIG_DEFAULT_FILE, strerror(errno));
		return 1;
	}
	if (verbose > 0)
		config_print(stdout, c);
	fflush(stdout);
	fprintf(stderr, "configuration OK\n");
	config_free(c);
	return 0;
}

/* The indexes' orders: by name, and switches also by interface. */
static int
config_vm_cmp(const struct config_vm *a, const struct config_vm *b)
{
	return strcmp(a->name, b->name);
}

static int
config_switch_cmp(const struct config_switch *a, const struct config_switch *b)
{
	return strcmp(a->name, b->name);
}

static int
config_switch_ifcmp(const struct config_switch *a,
    const struct config_switch *b)
{
	return strcmp(a->ifname, b->ifname);
}

RB_GENERATE_INTERNAL(config_vm_names, config_vm, node, config_vm_cmp,
    CONFIG_RB_ATTR)
RB_GENERATE_INTERNAL(config_switch_names, config_switch, node,
    config_switch_cmp, CONFIG_RB_ATTR)
RB_GENERATE_INTERNAL(config_switch_ifnames, config_switch, ifnode,
    config_switch_ifcmp, CONFIG_RB_ATTR)

/*
 * RB_FIND's key is an element on the stack with only the compared field
 * set; a name too long to fit cannot be in the index.
 */
struct config_vm *
config_vm_find(const struct vmd_config *c, const char *name)
{
	struct config_vm	key;

	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		return NULL;
	/* RB_FIND does not change the tree; its head is not const. */
	return RB_FIND(config_vm_names,
	    (struct config_vm_names *)(uintptr_t)&c->vm_names, &key);
}

struct config_switch *
config_switch_find(const struct vmd_config *c, const char *name)
{
	struct config_switch	key;

	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		return NULL;
	return RB_FIND(config_switch_names,
	    (struct config_switch_names *)(uintptr_t)&c->sw_names, &key);
}

struct config_switch *
config_switch_find_ifname(const struct vmd_config *c, const char *ifname)
{
	struct config_switch	key;

	if (strlcpy(key.ifname, ifname, sizeof(key.ifname)) >=
	    sizeof(key.ifname))
		return NULL;
	return RB_FIND(config_switch_ifnames,
	    (struct config_switch_ifnames *)(uintptr_t)&c->sw_ifnames, &key);
}

struct config_vm *
config_vm_add(struct vmd_config *c, struct config_vm *vm)
{
	struct config_vm	*o;

	if ((o = RB_INSERT(config_vm_names, &c->vm_names, vm)) != NULL)
		return o;
	TAILQ_INSERT_TAIL(&c->vms, vm, entry);
	return NULL;
}

struct config_switch *
config_switch_add(struct vmd_config *c, struct config_switch *sw)
{
	struct config_switch	*o;

	if ((o = config_switch_find(c, sw->name)) != NULL ||
	    (o = config_switch_find_ifname(c, sw->ifname)) != NULL)
		return o;
	RB_INSERT(config_switch_names, &c->sw_names, sw);
	RB_INSERT(config_switch_ifnames, &c->sw_ifnames, sw);
	TAILQ_INSERT_TAIL(&c->switches, sw, entry);
	return NULL;
}

void
config_vm_init(struct config_vm *vm, const char *name)
{
	memset(vm, 0, sizeof(*vm));
	strlcpy(vm->name, name, sizeof(vm->name));
	vm->memory = CONFIG_MEM_DEFAULT;
	vm->cpus = CONFIG_CPUS_DEFAULT;
	vm->owner.uid = (uid_t)-1;
	vm->owner.gid = (gid_t)-1;
	vm->allow_owner.uid = (uid_t)-1;
	vm->allow_owner.gid = (gid_t)-1;
}

/* Which allow instance bit a CONFIG_SET_* field needs. */
static const struct {
	unsigned int	 set;
	unsigned int	 allow;
	const char	*what;
} config_allow_map[] = {
	{ CONFIG_SET_BOOT,	CONFIG_ALLOW_BOOT,	"boot" },
	{ CONFIG_SET_INITRD,	CONFIG_ALLOW_BOOT,	"initrd" },
	{ CONFIG_SET_CMDLINE,	CONFIG_ALLOW_BOOT,	"cmdline" },
	{ CONFIG_SET_BOOTDEV,	CONFIG_ALLOW_BOOT,	"boot device" },
	{ CONFIG_SET_CDROM,	CONFIG_ALLOW_CDROM,	"cdrom" },
	{ CONFIG_SET_DISKS,	CONFIG_ALLOW_DISK,	"disk" },
	{ CONFIG_SET_NICS,	CONFIG_ALLOW_INTERFACE,	"interface" },
	{ CONFIG_SET_NINTERFACES, CONFIG_ALLOW_INTERFACE, "interfaces" },
	{ CONFIG_SET_MEMORY,	CONFIG_ALLOW_MEMORY,	"memory" },
	{ CONFIG_SET_CPUS,	CONFIG_ALLOW_MEMORY,	"cpus" },
	{ CONFIG_SET_OWNER,	CONFIG_ALLOW_OWNER,	"owner" },
	{ CONFIG_SET_ALLOW,	CONFIG_ALLOW_INSTANCE,	"allow instance" },
};

static int
config_owner_set(const struct config_owner *o)
{
	return o->uid != (uid_t)-1 || o->gid != (gid_t)-1;
}

int
config_vm_instance(const struct config_vm *parent,
    const struct config_vm *req, const char *name, uid_t uid,
    struct config_vm *out, char *errbuf, size_t errlen)
{
	size_t		 i, j;
	unsigned int	 set = req->set;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (!config_name_valid(name)) {
		snprintf(errbuf, errlen, "invalid instance name");
		errno = EINVAL;
		return -1;
	}
	if (uid != 0) {
		/*
		 * Only `allow instance { owner ... }` grants it: owning the
		 * template is not enough (vm.conf(5), vmd's rule).
		 */
		if (!config_owner_permits(&parent->allow_owner, uid)) {
			snprintf(errbuf, errlen, "not allowed to create "
			    "instances of vm \"%s\"", parent->name);
			errno = EPERM;
			return -1;
		}
		for (i = 0; i < sizeof(config_allow_map) /
		    sizeof(config_allow_map[0]); i++) {
			if ((set & config_allow_map[i].set) &&
			    !(parent->allow & config_allow_map[i].allow)) {
				snprintf(errbuf, errlen, "vm \"%s\" does not "
				    "allow instances to change %s",
				    parent->name, config_allow_map[i].what);
				errno = EPERM;
				return -1;
			}
		}
	}

	/* Start from the parent, then apply what the request gives. */
	*out = *parent;
	memset(&out->entry, 0, sizeof(out->entry));
	memset(&out->node, 0, sizeof(out->node));
	strlcpy(out->name, name, sizeof(out->name));
	strlcpy(out->parent, parent->name, sizeof(out->parent));
	/* Disks are never inherited: two VMs must not share one. */
	out->ndisks = 0;
	memset(out->disks, 0, sizeof(out->disks));
	/* Nor are MACs and tap names. */
	for (i = 0; i < out->nnics; i++) {
		out->nics[i].has_lladdr = 0;
		memset(out->nics[i].lladdr, 0, sizeof(out->nics[i].lladdr));
		out->nics[i].ifname[0] = '\0';
	}
	out->set = set;
	out->allow = (set & CONFIG_SET_ALLOW) ? req->allow : 0;
	if (!(set & CONFIG_SET_ALLOW)) {
		out->allow_owner.uid = (uid_t)-1;
		out->allow_owner.gid = (gid_t)-1;
	} else
		out->allow_owner = req->allow_owner;

	if (set & CONFIG_SET_MEMORY)
		out->memory = req->memory;
	if (set & CONFIG_SET_CPUS)
		out->cpus = req->cpus;
	if (set & CONFIG_SET_DISKS) {
		for (i = 0; i < req->ndisks; i++) {
			for (j = 0; j < parent->ndisks; j++) {
				if (strcmp(req->disks[i].path,
				    parent->disks[j].path) == 0) {
					snprintf(errbuf, errlen, "disk %s is "
					    "already used by vm \"%s\"",
					    req->disks[i].path, parent->name);
					errno = EINVAL;
					return -1;
				}
			}
		}
		memcpy(out->disks, req->disks, sizeof(out->disks));
		out->ndisks = req->ndisks;
	}
	if (set & CONFIG_SET_CDROM)
		memcpy(out->cdrom, req->cdrom, sizeof(out->cdrom));
	if (set & CONFIG_SET_BOOT)
		memcpy(out->boot, req->boot, sizeof(out->boot));
	if (set & CONFIG_SET_INITRD)
		memcpy(out->initrd, req->initrd, sizeof(out->initrd));
	if (set & CONFIG_SET_CMDLINE)
		memcpy(out->cmdline, req->cmdline, sizeof(out->cmdline));
	if (set & CONFIG_SET_BOOTDEV)
		out->bootdev = req->bootdev;
	if (set & CONFIG_SET_NICS) {
		memcpy(out->nics, req->nics, sizeof(out->nics));
		out->nnics = req->nnics;
	}
	if (set & CONFIG_SET_NINTERFACES)
		out->ninterfaces = req->ninterfaces;
	if (set & CONFIG_SET_OWNER)
		out->owner = req->owner;
	else if (uid != 0 && !config_owner_set(&out->owner)) {
		out->owner.uid = uid;
	}
	if (set & CONFIG_SET_ENABLE)
		out->disabled = req->disabled;
	out->set |= parent->set & ~(CONFIG_SET_DISKS | CONFIG_SET_ALLOW);
	return 0;
}

int
config_owner_permits(const struct config_owner *o, uid_t uid)
{
	struct passwd	*pw;
	gid_t		 groups[NGROUPS_MAX + 1];
	int		 n = NGROUPS_MAX + 1, i;

	if (uid == 0)
		return 1;
	if (o->uid != (uid_t)-1 && o->uid == uid)
		return 1;
	if (o->gid == (gid_t)-1)
		return 0;
	if ((pw = getpwuid(uid)) == NULL)
		return 0;
	if (pw->pw_gid == o->gid)
		return 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == o->gid)
			return 1;
	return 0;
}

const char *
config_owner_str(const struct config_owner *o, char *buf, size_t len)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 user[64] = "", group[64] = "";

	if (o->uid != (uid_t)-1) {
		if ((pw = getpwuid(o->uid)) != NULL)
			strlcpy(user, pw->pw_name, sizeof(user));
		else
			snprintf(user, sizeof(user), "%u",
			    (unsigned int)o->uid);
	}
	if (o->gid != (gid_t)-1) {
		if ((gr = getgrgid(o->gid)) != NULL)
			strlcpy(group, gr->gr_name, sizeof(group));
		else
			snprintf(group, sizeof(group), "%u",
			    (unsigned int)o->gid);
	}
	if (user[0] == '\0' && group[0] == '\0')
		snprintf(buf, len, "root");
	else if (group[0] == '\0')
		snprintf(buf, len, "%s", user);
	else
		snprintf(buf, len, "%s:%s", user, group);
	return buf;
}

int
config_name_valid(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n >= CONFIG_NAME_MAX)
		return 0;
	if (s[0] == '.' || s[0] == '-' || s[0] == '_')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long	 whole = 0, frac = 0, fracdiv = 1, v;
	int			 shift = 0, digits = 0;
	const char		*p = s;

	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (whole > (ULLONG_MAX - 9) / 10)
			goto range;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			/* Nine decimals are plenty; ignore the rest. */
			if (fracdiv < 1000000000ULL) {
				frac = frac * 10 + (unsigned long long)(*p - '0');
				fracdiv *= 10;
			}
		}
	}
	if (digits == 0)
		goto inval;
	switch (*p) {
	case '\0':
	case 'B': case 'b':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		goto inval;
	}
	if (*p != '\0' && p[1] != '\0')
		goto inval;
	if (whole > (UINT64_MAX >> shift))
		goto range;
	v = whole << shift;
	/* frac / fracdiv of one unit; fracdiv <= 1e9 so no overflow. */
	v += (frac << shift) / fracdiv;
	if (v < (whole << shift))
		goto range;
	*bytes = v;
	return 0;
inval:
	errno = EINVAL;
	return -1;
range:
	errno = ERANGE;
	return -1;
}

static void
config_print_owner(FILE *fp, const char *kw, const struct config_owner *o)
{
	char	 buf[160];

	if (!config_owner_set(o))
		return;
	fprintf(fp, "%s%s%s", kw, kw[0] != '\0' && kw[strlen(kw) - 1] != ' ' ?
	    " " : "", config_owner_str(o, buf, sizeof(buf)));
}

static const char *
config_updown_str(enum config_updown u)
{
	switch (u) {
	case CONFIG_UPDOWN_UP:
		return "up";
	case CONFIG_UPDOWN_DOWN:
		return "down";
	default:
		return NULL;
	}
}

/* Print a string quoted so that the lexer reads it back unchanged. */
static void
config_print_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static const struct {
	unsigned int	 bit;
	const char	*name;
} config_allow_names[] = {
	{ CONFIG_ALLOW_BOOT,		"boot" },
	{ CONFIG_ALLOW_CDROM,		"cdrom" },
	{ CONFIG_ALLOW_DISK,		"disk" },
	{ CONFIG_ALLOW_INSTANCE,	"instance" },
	{ CONFIG_ALLOW_INTERFACE,	"interface" },
	{ CONFIG_ALLOW_MEMORY,		"memory" },
	{ CONFIG_ALLOW_OWNER,		"owner" },
};

static void
config_print_vm(FILE *fp, const struct config_vm *vm)
{
	static const char *const bootdevs[] = { NULL, "disk", "cdrom",
	    "net" };
	const struct config_nic	*nic;
	const char		*sep;
	size_t			 i;

	fprintf(fp, "vm \"%s\" {", vm->name);
	if (vm->parent[0] != '\0')
		fprintf(fp, "\t# instance of \"%s\"", vm->parent);
	fprintf(fp, "\n");
	fprintf(fp, "\t%s\n", vm->disabled ? "disable" : "enable");
	fprintf(fp, "\tmemory %lluM\n", (unsigned long long)(vm->memory >> 20));
	fprintf(fp, "\tcpus %u\n", vm->cpus);
	if (vm->boot[0] != '\0') {
		fprintf(fp, "\tboot ");
		config_print_quoted(fp, vm->boot);
		fprintf(fp, "\n");
	}
	if (vm->bootdev != CONFIG_BOOTDEV_NONE)
		fprintf(fp, "\tboot device %s\n", bootdevs[vm->bootdev]);
	if (vm->initrd[0] != '\0') {
		fprintf(fp, "\tinitrd ");
		config_print_quoted(fp, vm->initrd);
		fprintf(fp, "\n");
	}
	if (vm->cmdline[0] != '\0') {
		fprintf(fp, "\tcmdline ");
		config_print_quoted(fp, vm->cmdline);
		fprintf(fp, "\n");
	}
	if (vm->cdrom[0] != '\0') {
		fprintf(fp, "\tcdrom ");
		config_print_quoted(fp, vm->cdrom);
		fprintf(fp, "\n");
	}
	for (i = 0; i < vm->ndisks; i++) {
		fprintf(fp, "\tdisk ");
		config_print_quoted(fp, vm->disks[i].path);
		if (vm->disks[i].format == CONFIG_FORMAT_RAW)
			fprintf(fp, " format raw");
		else if (vm->disks[i].format == CONFIG_FORMAT_QCOW2)
			fprintf(fp, " format qcow2");
		else if (vm->disks[i].format == CONFIG_FORMAT_RAW_FORCE)
			fprintf(fp, " format force-raw");
		fprintf(fp, "\n");
	}
	for (i = 0; i < vm->nnics; i++) {
		nic = &vm->nics[i];
		fprintf(fp, "\t%sinterface", nic->local ? "local " : "");
		if (nic->ifname[0] != '\0') {
			fprintf(fp, " ");
			config_print_quoted(fp, nic->ifname);
		}
		if (nic->switchname[0] == '\0' && nic->group[0] == '\0' &&
		    !nic->locked && !nic->has_lladdr &&
		    config_updown_str(nic->updown) == NULL) {
			fprintf(fp, "\n");
			continue;
		}
		fprintf(fp, " {\n");
		if (nic->switchname[0] != '\0')
			fprintf(fp, "\t\tswitch \"%s\"\n", nic->switchname);
		if (nic->group[0] != '\0')
			fprintf(fp, "\t\tgroup \"%s\"\n", nic->group);
		if (nic->locked || nic->has_lladdr) {
			fprintf(fp, "\t\t%slladdr", nic->locked ? "locked " : "");
			if (nic->has_lladdr)
				fprintf(fp, " %02x:%02x:%02x:%02x:%02x:%02x",
				    nic->lladdr[0], nic->lladdr[1],
				    nic->lladdr[2], nic->lladdr[3],
				    nic->lladdr[4], nic->lladdr[5]);
			fprintf(fp, "\n");
		}
		if (config_updown_str(nic->updown) != NULL)
			fprintf(fp, "\t\t%s\n", config_updown_str(nic->updown));
		fprintf(fp, "\t}\n");
	}
	if (vm->ninterfaces > 0)
		fprintf(fp, "\tinterfaces %zu\n", vm->ninterfaces);
	if (config_owner_set(&vm->owner)) {
		fprintf(fp, "\t");
		config_print_owner(fp, "owner", &vm->owner);
		fprintf(fp, "\n");
	}
	if (vm->allow != 0) {
		fprintf(fp, "\tallow instance {");
		sep = " ";
		for (i = 0; i < sizeof(config_allow_names) /
		    sizeof(config_allow_names[0]); i++) {
			if (!(vm->allow & config_allow_names[i].bit))
				continue;
			fprintf(fp, "%s%s", sep, config_allow_names[i].name);
			if (config_allow_names[i].bit == CONFIG_ALLOW_OWNER)
				config_print_owner(fp, " ", &vm->allow_owner);
			sep = ", ";
		}
		fprintf(fp, " }\n");
	}
	fprintf(fp, "}\n");
}

void
config_print(FILE *fp, const struct vmd_config *c)
{
	const struct config_switch	*sw;
	const struct config_vm		*vm;
	char				 buf[INET6_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &c->local_prefix, buf, sizeof(buf)) != NULL)
		fprintf(fp, "local prefix %s/%d\n", buf, c->local_prefixlen);
	if (c->local_inet6) {
		/* The random default would make the output unstable. */
		if (c->local_prefix6_set && inet_ntop(AF_INET6,
		    &c->local_prefix6, buf, sizeof(buf)) != NULL)
			fprintf(fp, "local inet6 prefix %s/%d\n", buf,
			    c->local_prefix6len);
		else
			fprintf(fp, "local inet6\n");
	}
	if (c->local_nat)
		fprintf(fp, "local nat\n");
	if (config_owner_set(&c->socket_owner)) {
		config_print_owner(fp, "socket owner", &c->socket_owner);
		fprintf(fp, "\n");
	}
	if (c->stagger_parallel != 0)
		fprintf(fp, "staggered start parallel %u delay %u\n",
		    c->stagger_parallel, c->stagger_delay);
	TAILQ_FOREACH(sw, &c->switches, entry) {
		fprintf(fp, "switch \"%s\" {\n", sw->name);
		fprintf(fp, "\t%s\n", sw->disabled ? "disable" : "enable");
		fprintf(fp, "\tinterface ");
		config_print_quoted(fp, sw->ifname);
		fprintf(fp, "\n");
		if (sw->group[0] != '\0')
			fprintf(fp, "\tgroup \"%s\"\n", sw->group);
		if (sw->locked)
			fprintf(fp, "\tlocked lladdr\n");
		if (config_updown_str(sw->updown) != NULL)
			fprintf(fp, "\t%s\n", config_updown_str(sw->updown));
		fprintf(fp, "}\n");
	}
	TAILQ_FOREACH(vm, &c->vms, entry)
		config_print_vm(fp, vm);
}
