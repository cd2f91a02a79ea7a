/* SPDX-License-Identifier: ISC */
/*
 * Backing chains: the layers of a disk, opened from its path by the
 * caller's opener (vmd's parent opens as the VM's user; vmctl as
 * itself), each format detected and each backing file name resolved.
 */
#ifndef LIB_DISK_CHAIN_H
#define LIB_DISK_CHAIN_H

#include "disk/disk.h"

/* A layer as the chain resolver found it . */
struct disk_layer {
	int		 fd;
	int		 format;	/* DISK_FMT_RAW or DISK_FMT_QCOW2 */
	uint64_t	 size;		/* the guest-visible size */
	char		 path[1024];
};

struct disk_chain {
	struct disk_layer	layer[DISK_CHAIN_MAX];
	int			n;
};

/* Opens path with open(2) flags; fd, or -1 with errno. */
typedef int	(*disk_opener_t)(const char *path, int flags, void *arg);

/*
 * disk_chain_open: the layers of the disk at path, top first: the top
 * read-write unless readonly, read as asked (enum disk_format); each
 * qcow2 layer's backing file, resolved against that layer's directory,
 * read-only, as its header says or by its magic. A loop, a chain longer
 * than DISK_CHAIN_MAX, a missing or unreadable base is an error. 0, or
 * -1 with why set and nothing left open.
 */
int	disk_chain_open(const char *path, int asked, int readonly,
	    disk_opener_t, void *arg, struct disk_chain *, char *why);
/* disk_chain_close: close what is still open. */
void	disk_chain_close(struct disk_chain *);
/* disk_chain_disk: a disk over the chain's fds, which it takes. */
struct disk	*disk_chain_disk(struct disk_chain *, int readonly,
		    char *why);

#endif /* LIB_DISK_CHAIN_H */
