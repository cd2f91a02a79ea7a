/* SPDX-License-Identifier: ISC */
/* Unit tests for vmd/config.c and the vm.conf parser (vmd/parse.y). */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vmd/config.h"

static char	 dir[64];

/* Write text to dir/name; returns the path (static buffer). */
static const char *
put(const char *name, const char *text)
{
	static char	 path[128];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return path;
}

static struct vmd_config *
parse(const char *text, const struct config_macros *defs, int *errors)
{
	return config_parse(put("t.conf", text), defs, CONFIG_F_QUIET,
	    errors);
}

static void
test_size(void)
{
	uint64_t	 v = 0;

	tap_ok(config_parse_size("512M", &v) == 0 && v == 512ULL << 20,
	    "size 512M");
	tap_ok(config_parse_size("4.5G", &v) == 0 && v == 4608ULL << 20,
	    "size 4.5G");
	tap_ok(config_parse_size("0.5k", &v) == 0 && v == 512, "size 0.5k");
	tap_ok(config_parse_size("1024", &v) == 0 && v == 1024, "bytes");
	tap_ok(config_parse_size("1T", &v) == 0 && v == 1ULL << 40, "1T");
	tap_ok(config_parse_size("", &v) == -1 && errno == EINVAL, "empty");
	tap_ok(config_parse_size(".", &v) == -1 && errno == EINVAL, "dot");
	tap_ok(config_parse_size("1MB", &v) == -1, "two-letter suffix");
	tap_ok(config_parse_size("-1M", &v) == -1, "negative");
	tap_ok(config_parse_size("99999999999T", &v) == -1 &&
	    errno == ERANGE, "overflow");
	tap_ok(config_parse_size("99999999999999999999999", &v) == -1 &&
	    errno == ERANGE, "too many digits");
}

static void
test_names(void)
{
	char	 n[80];

	tap_ok(config_name_valid("web-1.example_a"), "valid name");
	tap_ok(!config_name_valid("-a") && !config_name_valid(".a") &&
	    !config_name_valid("_a"), "bad first character");
	tap_ok(!config_name_valid("") && !config_name_valid("a b") &&
	    !config_name_valid("a/b"), "empty, blank, slash");
	memset(n, 'x', sizeof(n));
	n[CONFIG_NAME_MAX - 1] = '\0';
	tap_ok(config_name_valid(n), "63 characters");
	n[CONFIG_NAME_MAX - 1] = 'x';
	n[CONFIG_NAME_MAX] = '\0';
	tap_ok(!config_name_valid(n), "64 characters");
}

static void
test_macros(void)
{
	struct config_macros	 m = { NULL, 0 };
	struct vmd_config	*c;
	struct config_vm	*vm;
	int			 errors;

	tap_ok(config_macros_add(&m, "mem=1G") == 0, "-D mem=1G");
	tap_ok(config_macros_add(&m, "nodefs") == -1 && errno == EINVAL,
	    "-D without =");
	tap_ok(config_macros_add(&m, "a-b=1") == -1 && errno == EINVAL,
	    "-D bad name");
	tap_ok(config_macros_add(&m, "=1") == -1, "-D empty name");
	c = parse("mem = \"64M\"\nd = \"/v\"\n"
	    "vm \"a\" {\n memory $mem\n disk $d/a.img\n}\n", &m, &errors);
	tap_ok(c != NULL, "macros parse");
	vm = c != NULL ? config_vm_find(c, "a") : NULL;
	tap_ok(vm != NULL && vm->memory == 1ULL << 30,
	    "-D overrides the file's macro");
	tap_ok(vm != NULL && vm->ndisks == 1 &&
	    strcmp(vm->disks[0].path, "/v/a.img") == 0,
	    "macro joins the text after it");
	config_free(c);
	config_macros_free(&m);
	tap_ok(m.n == 0 && m.v == NULL, "macros freed");

	c = parse("a = \"$a\"\nvm \"x\" { disk $a }\n", NULL, &errors);
	tap_ok(c == NULL && errors > 0, "self-referencing macro is an error");
}

static void
test_model(void)
{
	struct vmd_config	*c;
	struct config_vm	*vm;
	struct config_switch	*sw;
	int			 errors;

	c = parse("switch \"lan\" { interface br0\n locked lladdr }\n"
	    "vm \"a\" {\n memory 1G\n cpus 4\n boot \"/k\"\n"
	    " initrd \"/i\"\n cmdline \"console=ttyS0\"\n"
	    " disk \"/a.img\" format qcow2\n boot device net\n"
	    " interface tap5 { switch \"lan\"\n lladdr fe:e1:bb:d1:00:02"
	    "\n down }\n local interface\n interfaces 3\n owner root\n"
	    " disable\n}\n", NULL, &errors);
	tap_ok(c != NULL && errors == 0, "model parses");
	if (c == NULL)
		return;
	sw = config_switch_find(c, "lan");
	tap_ok(sw != NULL && strcmp(sw->ifname, "br0") == 0 && sw->locked,
	    "switch fields");
	vm = config_vm_find(c, "a");
	tap_ok(vm != NULL, "vm found");
	if (vm == NULL)
		goto out;
	tap_ok(vm->memory == 1ULL << 30 && vm->cpus == 4, "memory, cpus");
	tap_ok(strcmp(vm->boot, "/k") == 0 && strcmp(vm->initrd, "/i") == 0 &&
	    strcmp(vm->cmdline, "console=ttyS0") == 0, "boot, initrd, cmdline");
	tap_ok(vm->ndisks == 1 && vm->disks[0].format == CONFIG_FORMAT_QCOW2,
	    "disk format");
	tap_ok(vm->bootdev == CONFIG_BOOTDEV_NET, "boot device");
	tap_ok(vm->nnics == 2 && strcmp(vm->nics[0].ifname, "tap5") == 0 &&
	    strcmp(vm->nics[0].switchname, "lan") == 0 &&
	    vm->nics[0].has_lladdr && vm->nics[0].lladdr[5] == 2 &&
	    vm->nics[0].updown == CONFIG_UPDOWN_DOWN, "interface fields");
	tap_ok(vm->nics[1].local && vm->ninterfaces == 3, "local, interfaces");
	tap_ok(vm->owner.uid == 0 && vm->owner.gid == (gid_t)-1, "owner");
	tap_ok(vm->disabled, "disable");
	tap_ok(config_vm_find(c, "nosuch") == NULL, "absent vm");
out:
	config_free(c);
}

static void
test_instance(void)
{
	struct vmd_config	*c;
	struct config_vm	 req, out, *t;
	struct passwd		*pw;
	char			 err[128];
	uid_t			 user;
	int			 errors;

	pw = getpwnam("daemon");
	user = pw != NULL ? pw->pw_uid : 1;
	c = parse("vm \"t\" {\n disk \"/t.img\"\n memory 1G\n"
	    " interface tap1 { lladdr fe:e1:bb:d1:00:09 }\n"
	    " allow instance { memory, owner daemon }\n}\n", NULL, &errors);
	tap_ok(c != NULL, "template parses");
	if (c == NULL)
		return;
	t = config_vm_find(c, "t");
	config_vm_init(&req, "x");
	tap_ok(config_vm_instance(t, &req, "i", 0, &out, err,
	    sizeof(err)) == 0, "root instance");
	tap_ok(out.ndisks == 0 && out.memory == 1ULL << 30 &&
	    strcmp(out.parent, "t") == 0, "disks not inherited, memory is");
	tap_ok(out.nnics == 1 && !out.nics[0].has_lladdr &&
	    out.nics[0].ifname[0] == '\0', "no MAC or tap name inherited");

	req.memory = 2ULL << 30;
	req.set = CONFIG_SET_MEMORY;
	tap_ok(config_vm_instance(t, &req, "j", user, &out, err,
	    sizeof(err)) == 0 && out.memory == 2ULL << 30 &&
	    out.owner.uid == user, "allowed user changes memory, owns it");
	req.set = CONFIG_SET_CDROM;
	strlcpy(req.cdrom, "/x.iso", sizeof(req.cdrom));
	tap_ok(config_vm_instance(t, &req, "k", user, &out, err,
	    sizeof(err)) == -1 && errno == EPERM, "cdrom not allowed");
	req.set = 0;
	tap_ok(config_vm_instance(t, &req, "k", 54321, &out, err,
	    sizeof(err)) == -1 && errno == EPERM, "stranger refused");
	req.set = CONFIG_SET_DISKS;
	req.ndisks = 1;
	strlcpy(req.disks[0].path, "/t.img", sizeof(req.disks[0].path));
	tap_ok(config_vm_instance(t, &req, "l", 0, &out, err,
	    sizeof(err)) == -1 && errno == EINVAL, "parent disk refused");
	tap_ok(config_vm_instance(t, &req, "bad name", 0, &out, err,
	    sizeof(err)) == -1 && errno == EINVAL, "bad instance name");
	config_free(c);

	/* Owning a template does not let one make instances of it. */
	c = parse("vm \"o\" {\n memory 1G\n owner daemon\n}\n", NULL,
	    &errors);
	tap_ok(c != NULL && (t = config_vm_find(c, "o")) != NULL,
	    "owned template parses");
	if (c == NULL)
		return;
	config_vm_init(&req, "x");
	tap_ok(config_vm_instance(t, &req, "m", user, &out, err,
	    sizeof(err)) == -1 && errno == EPERM &&
	    strstr(err, "not allowed to create instances") != NULL,
	    "the template's owner without allow instance is refused");
	config_free(c);
}

static void
test_owner(void)
{
	struct config_owner	 o = { (uid_t)-1, (gid_t)-1 };
	char			 buf[64];

	tap_ok(config_owner_permits(&o, 0), "root always");
	tap_ok(!config_owner_permits(&o, 54321), "no owner: nobody else");
	o.uid = 54321;
	tap_ok(config_owner_permits(&o, 54321), "owner uid");
	o.uid = (uid_t)-1;
	o.gid = 0;
	tap_ok(config_owner_permits(&o, 0) &&
	    !config_owner_permits(&o, 54321), "group");
	tap_ok(strcmp(config_owner_str(&o, buf, sizeof(buf)), ":root") == 0,
	    ":group string");
	o.uid = 0;
	tap_ok(strcmp(config_owner_str(&o, buf, sizeof(buf)), "root:root") ==
	    0, "user:group string");
}

static void
test_files(void)
{
	struct vmd_config	*c;
	char			 path[128];
	int			 errors;

	snprintf(path, sizeof(path), "%s/nosuch.conf", dir);
	c = config_parse(path, NULL, CONFIG_F_QUIET | CONFIG_F_MISSING_OK,
	    &errors);
	tap_ok(c != NULL && TAILQ_EMPTY(&c->vms), "missing file is empty");
	config_free(c);
	c = config_parse(path, NULL, CONFIG_F_QUIET, &errors);
	tap_ok(c == NULL && errors > 0, "missing file is an error");
	put("inc.conf", "vm \"inc\" { }");	/* no final newline */
	c = parse("include \"inc.conf\"\nvm \"main\" { }\n", NULL, &errors);
	tap_ok(c != NULL && config_vm_find(c, "inc") != NULL &&
	    config_vm_find(c, "main") != NULL, "include, relative path");
	config_free(c);
	put("self.conf", "include \"self.conf\"\n");
	snprintf(path, sizeof(path), "%s/self.conf", dir);
	c = config_parse(path, NULL, CONFIG_F_QUIET, &errors);
	tap_ok(c == NULL && errors == 1, "include loop: one error");
	c = parse("vm \"a\" { boot \"x", NULL, &errors);
	tap_ok(c == NULL && errors == 1, "unterminated string at EOF");
	c = parse("vm \"a\" {\n sev\n}\nvm \"b\" { }\n", NULL, &errors);
	tap_ok(c == NULL && errors == 1, "refused keyword: one error");
}

/* Include of what is not a regular file: refused at once, never read. */
static void
test_special(void)
{
	struct vmd_config	*c;
	char			 fifo[128], text[256];
	int			 errors;

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	if (mkfifo(fifo, 0600) == -1) {
		tap_ok(0, "mkfifo");
		return;
	}
	/* Nothing writes to the FIFO: a blocking open would never return. */
	snprintf(text, sizeof(text), "include \"%s\"\nvm \"a\" { }\n", fifo);
	c = parse(text, NULL, &errors);
	tap_ok(c == NULL && errors == 1, "include of a FIFO: one error, "
	    "no hang");
	c = config_parse(fifo, NULL, CONFIG_F_QUIET, &errors);
	tap_ok(c == NULL && errors == 1, "a FIFO as the file: one error");
	snprintf(text, sizeof(text), "include \"%s\"\n", dir);
	c = parse(text, NULL, &errors);
	tap_ok(c == NULL && errors == 1, "include of a directory: one error");
	unlink(fifo);
}

/*
 * The height of an index below elm (RB_LEFT/RB_RIGHT through field); a
 * red-black tree of n nodes is at most 2 log2(n + 1) high.
 */
#define INDEX_HEIGHT(type, field)					\
static int								\
height_##type(const struct type *elm)					\
{									\
	int	l, r;							\
									\
	if (elm == NULL)						\
		return 0;						\
	l = height_##type(RB_LEFT(elm, field));				\
	r = height_##type(RB_RIGHT(elm, field));			\
	return 1 + (l > r ? l : r);					\
}
INDEX_HEIGHT(config_vm, node)
INDEX_HEIGHT(config_switch, ifnode)

#define INDEX_N		4096	/* VMs in the index test */

/* config_vm_add, config_vm_find: the VM index, apart from the parser. */
static void
test_index(void)
{
	struct vmd_config	*c;
	struct config_vm	*vm, **all, *o, *it;
	char			 name[CONFIG_NAME_MAX + 8];
	int			 i, j, n, bad, bound;

	if ((c = config_new()) == NULL ||
	    (all = calloc(INDEX_N, sizeof(*all))) == NULL)
		abort();
	/* Added in a scrambled order (a stride coprime to INDEX_N). */
	for (i = 0, bad = 0; i < INDEX_N; i++) {
		j = (i * 2654435761U) % INDEX_N;
		if ((vm = calloc(1, sizeof(*vm))) == NULL)
			abort();
		snprintf(name, sizeof(name), "vm%d", j);
		config_vm_init(vm, name);
		all[i] = vm;
		bad += config_vm_add(c, vm) != NULL;
	}
	tap_ok(bad == 0, "%d VMs added", INDEX_N);
	for (i = 0, bad = 0; i < INDEX_N; i++) {
		snprintf(name, sizeof(name), "vm%d",
		    (int)((i * 2654435761U) % INDEX_N));
		bad += config_vm_find(c, name) != all[i];
	}
	tap_ok(bad == 0, "each is found by name");
	n = 0;
	bad = 0;
	TAILQ_FOREACH(vm, &c->vms, entry)
		bad += vm != all[n++];
	tap_ok(n == INDEX_N && bad == 0, "the list keeps the order added");
	for (bound = 0, i = INDEX_N + 1; i > 1; i >>= 1)
		bound += 2;
	tap_ok(height_config_vm(RB_ROOT(&c->vm_names)) <= bound,
	    "balanced: height %d for %d VMs (at most %d)",
	    height_config_vm(RB_ROOT(&c->vm_names)), INDEX_N, bound);
	tap_ok(config_vm_find(c, "vm4096") == NULL &&
	    config_vm_find(c, "") == NULL && config_vm_find(c, "vm") == NULL &&
	    config_vm_find(c, "vm00") == NULL, "absent names: NULL");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	tap_ok(config_vm_find(c, name) == NULL, "a name too long: NULL");

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		abort();
	config_vm_init(vm, "vm17");
	o = config_vm_add(c, vm);
	n = 0;
	TAILQ_FOREACH(it, &c->vms, entry)
		n++;
	tap_ok(o != NULL && o != vm && o == config_vm_find(c, "vm17") &&
	    n == INDEX_N,
	    "a duplicate is refused, the first stays, nothing is added");
	/* An instance is a copy: it must not carry its parent's links. */
	tap_ok(config_vm_instance(config_vm_find(c, "vm17"), vm, "inst", 0,
	    vm, NULL, 0) == 0 && config_vm_add(c, vm) == NULL &&
	    config_vm_find(c, "inst") == vm && config_vm_find(c, "vm17") !=
	    NULL && TAILQ_LAST(&c->vms, config_vms) == vm,
	    "an instance of an indexed VM is indexed on its own");
	config_free(c);
	free(all);
}

/* config_switch_add: switches by name and by bridge. */
static void
test_index_switch(void)
{
	static const char *const sws[][2] = {
		{ "lan", "br0" }, { "wan", "br1" }, { "dmz", "br2" },
		{ "lan", "br9" }, { "other", "br1" },
	};
	struct vmd_config	*c;
	struct config_switch	*sw, *o[5];
	size_t			 i;
	int			 n = 0;

	if ((c = config_new()) == NULL)
		abort();
	for (i = 0; i < 5; i++) {
		if ((sw = calloc(1, sizeof(*sw))) == NULL)
			abort();
		strlcpy(sw->name, sws[i][0], sizeof(sw->name));
		strlcpy(sw->ifname, sws[i][1], sizeof(sw->ifname));
		if ((o[i] = config_switch_add(c, sw)) != NULL)
			free(sw);
	}
	TAILQ_FOREACH(sw, &c->switches, entry)
		n++;
	tap_ok(o[0] == NULL && o[1] == NULL && o[2] == NULL && n == 3,
	    "three switches added");
	tap_ok(o[3] != NULL && strcmp(o[3]->name, "lan") == 0 &&
	    strcmp(o[3]->ifname, "br0") == 0, "the same name: refused");
	tap_ok(o[4] != NULL && strcmp(o[4]->name, "wan") == 0,
	    "the same bridge: refused, the switch that has it returned");
	tap_ok(config_switch_find(c, "dmz") != NULL &&
	    strcmp(config_switch_find(c, "dmz")->ifname, "br2") == 0 &&
	    config_switch_find(c, "other") == NULL, "by name");
	tap_ok(config_switch_find_ifname(c, "br1") != NULL &&
	    strcmp(config_switch_find_ifname(c, "br1")->name, "wan") == 0 &&
	    config_switch_find_ifname(c, "br9") == NULL, "by bridge");
	tap_ok(height_config_switch(RB_ROOT(&c->sw_ifnames)) == 2,
	    "three bridges, a tree of height 2");
	config_free(c);
}

/* The parser through the index: many VMs, instances, a late duplicate. */
static void
test_index_parse(void)
{
	struct vmd_config	*c;
	FILE			*fp;
	char			 path[128], name[32];
	int			 i, errors, bad = 0;

	snprintf(path, sizeof(path), "%s/many.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fprintf(fp, "switch \"lan\" { interface vmdbr0 }\n");
	for (i = 0; i < 2000; i++)
		fprintf(fp, "vm \"v%d\" {\n interface { switch \"lan\" }\n"
		    " allow instance { memory }\n}\n", i);
	for (i = 0; i < 2000; i += 2)
		fprintf(fp, "vm \"v%d\" instance \"i%d\" { memory 64M }\n",
		    i, i);
	fclose(fp);
	c = config_parse(path, NULL, CONFIG_F_QUIET, &errors);
	for (i = 0; c != NULL && i < 2000; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		bad += config_vm_find(c, name) == NULL;
		snprintf(name, sizeof(name), "i%d", i);
		bad += (config_vm_find(c, name) != NULL) != (i % 2 == 0);
	}
	tap_ok(c != NULL && bad == 0 && config_vm_find(c, "i0")->memory ==
	    64ULL << 20 && strcmp(config_vm_find(c, "i0")->parent, "v0") == 0,
	    "2000 VMs and 1000 instances parsed and found");
	config_free(c);
	if ((fp = fopen(path, "a")) == NULL)
		abort();
	fprintf(fp, "vm \"v1999\" { }\nvm \"i2\" { }\n"
	    "vm \"nosuch\" instance \"x\" { }\n"
	    "switch \"wan\" { interface vmdbr0 }\n");
	fclose(fp);
	c = config_parse(path, NULL, CONFIG_F_QUIET, &errors);
	tap_ok(c == NULL && errors == 4, "late duplicates of a VM, an "
	    "instance and a bridge, an unknown parent: 4 errors (%d)", errors);
}

int
main(void)
{
	char	 cmd[128];

	strlcpy(dir, "/tmp/config_test.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		abort();
	test_size();
	test_names();
	test_macros();
	test_model();
	test_instance();
	test_owner();
	test_files();
	test_special();
	test_index();
	test_index_switch();
	test_index_parse();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "cleanup");
	return tap_done();
}
