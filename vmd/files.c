/* SPDX-License-Identifier: ISC */
/* Parent: opening files, ttys and taps as the user who asked. */
#include <sys/fsuid.h>


#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "log.h"
#include "vmd/netif.h"
#include "vmd/parent.h"

/*
 * files_open_as: open path for a VM started by uid, as uid would: the
 * kernel checks the path and the file with uid's file-system ids and
 * groups (no window between a check and the open), and it must be a
 * regular file. fd, or -1 with errno.
 */
int
files_open_as(const char *path, int flags, uid_t uid)
{
	struct passwd	*pw;
	struct stat	 st;
	gid_t		 groups[NGROUPS_MAX];
	int		 ngroups = NGROUPS_MAX, fd, saved;

	flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (uid == 0)
		fd = open(path, flags);
	else {
		if ((pw = getpwuid(uid)) == NULL ||
		    getgrouplist(pw->pw_name, pw->pw_gid, groups,
		    &ngroups) == -1) {
			errno = EPERM;
			return -1;
		}
		/* The parent is single-threaded: ids change for all of it. */
		if (setgroups((size_t)ngroups, groups) == -1)
			return -1;
		(void)setfsgid(pw->pw_gid);
		(void)setfsuid(uid);
		fd = open(path, flags);
		saved = errno;
		(void)setfsuid(0);
		(void)setfsgid(0);
		if (setgroups(0, NULL) == -1)
			fatal("%s: setgroups", __func__);
		errno = saved;
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Open the console pty and give it to the VM's owner. 0 or -1 (logged). */
int
files_opentty(struct parent_vm *vm)
{
	struct termios	 tio;
	struct group	*gr;
	uid_t		 uid = vms_owner_uid(vm);
	gid_t		 gid;
	mode_t		 mode;

	if (vm->ptm != -1)
		return 0;
	if ((vm->ptm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(vm->ptm) == -1 || unlockpt(vm->ptm) == -1 ||
	    ptsname_r(vm->ptm, vm->tty, sizeof(vm->tty)) != 0) {
		log_warn("%s: vm %s: pty", __func__, vm->conf.name);
		goto fail;
	}
	if ((vm->pts = open(vm->tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		log_warn("%s: %s", __func__, vm->tty);
		goto fail;
	}
	/* A serial line: raw, 115200. */
	if (tcgetattr(vm->pts, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, B115200);
		(void)tcsetattr(vm->pts, TCSANOW, &tio);
	}
	if (vm->conf.owner.gid != (gid_t)-1) {
		gid = vm->conf.owner.gid;
		mode = 0660;
	} else if ((gr = getgrnam("tty")) != NULL) {
		gid = gr->gr_gid;
		mode = 0620;
	} else {
		gid = 0;
		mode = 0600;
	}
	if (fchown(vm->pts, uid, gid) == -1 || fchmod(vm->pts, mode) == -1) {
		log_warn("%s: %s", __func__, vm->tty);
		goto fail;
	}
	return 0;
 fail:
	vms_closetty(vm);
	return -1;
}

/* files_opener: lib/disk's opener, as the user in *arg would. */
static int
files_opener(const char *path, int flags, void *arg)
{
	return files_open_as(path, flags, *(uid_t *)arg);
}

/*
 * A disk image for vm, all its layers: the top read-write, each backing
 * file read-only, every one opened with the user's rights and its
 * format checked (lib/disk/chain.c). 0, or -1 with the reason sent.
 */
int
files_open_disk(struct parent_vm *vm, const struct config_disk *d,
    struct disk_chain *ch)
{
	char	why[DISK_WHY_MAX];
	uid_t	uid = (vm->user_set & PROTO_VMSTART_DISKS) ? vm->uid : 0;
	int	e;

	if (disk_chain_open(d->path, (int)d->format, 0, files_opener, &uid,
	    ch, why) == -1) {
		e = errno;
		parent_why(vm->p, "vm %s: disk %s", vm->conf.name, why);
		errno = e;
		return -1;
	}
	return 0;
}

/* A tap for NIC i of vm: the named one, or a new tapN. fd or -1. */
int
files_open_tap(struct parent_vm *vm, const char *name, char *actual)
{
	int	fd, e;

	/* Frames after a virtio_net_hdr: the guest's offloads (vm/jail.c). */
	strlcpy(actual, name, PROTO_IFNAME_MAX);
	if ((fd = netif_tap_open(actual, PROTO_IFNAME_MAX,
	    NETIF_TAP_VNET_HDR)) == -1) {
		e = errno;
		parent_why(vm->p, "vm %s: tap %s: %s", vm->conf.name,
		    name[0] ? name : "(new)", strerror(e));
		errno = e;
		return -1;
	}
	log_debug("vm %s: tap %s", vm->conf.name, actual);
	return fd;
}
