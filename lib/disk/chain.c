/* SPDX-License-Identifier: ISC */
/* Backing chains: from a disk's path to every layer's fd, checked. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "disk/chain.h"

/*
 * chain_resolve: where the backing file name of the image at path
 * points: absolute as it is, relative to the image's directory.
 */
static int
chain_resolve(const char *path, const char *name, char *out, size_t len)
{
	const char	*slash;
	int		 n;

	if (name[0] == '/' || (slash = strrchr(path, '/')) == NULL)
		n = snprintf(out, len, "%s", name);
	else
		n = snprintf(out, len, "%.*s/%s", (int)(slash - path), path,
		    name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
disk_chain_open(const char *path, int asked, int readonly,
    disk_opener_t openf, void *arg, struct disk_chain *ch, char *why)
{
	struct disk_layer	*l;
	struct stat		 st[DISK_CHAIN_MAX];
	char			 next[sizeof(l->path)], name[1024];
	uint64_t		 size;
	off_t			 end;
	int			 i, fd, bfmt, e;

	memset(ch, 0, sizeof(*ch));
	if (strlcpy(next, path, sizeof(next)) >= sizeof(next)) {
		disk_why(why, "%s: path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (;;) {
		if (ch->n == DISK_CHAIN_MAX) {
			disk_why(why, "%s: backing chain longer than %d layers",
			    path, DISK_CHAIN_MAX);
			errno = ELOOP;
			goto fail;
		}
		if ((fd = openf(next, ch->n == 0 && !readonly ? O_RDWR :
		    O_RDONLY, arg)) == -1) {
			e = errno;
			if (ch->n == 0)
				disk_why(why, "%s: %s", next, strerror(e));
			else
				disk_why(why, "%s: backing file %s: %s", path,
				    next, strerror(e));
			errno = e;
			goto fail;
		}
		l = &ch->layer[ch->n++];
		l->fd = fd;
		(void)strlcpy(l->path, next, sizeof(l->path));
		if (fstat(fd, &st[ch->n - 1]) == -1 ||
		    (end = lseek(fd, 0, SEEK_END)) == -1) {
			disk_why(why, "%s: %s", next, strerror(errno));
			goto fail;
		}
		for (i = 0; i < ch->n - 1; i++)
			if (st[i].st_dev == st[ch->n - 1].st_dev &&
			    st[i].st_ino == st[ch->n - 1].st_ino) {
				disk_why(why, "%s: backing chain loops at %s",
				    path, next);
				errno = ELOOP;
				goto fail;
			}
		if (disk_detect(fd, asked, &l->format, name) == -1) {
			e = errno;
			disk_why(why, "%s: %s", next, name);
			errno = e;
			goto fail;
		}
		l->size = (uint64_t)end;
		if (l->format != DISK_FMT_QCOW2)
			return 0;
		if (qcow2_probe(fd, &size, name, sizeof(name), &bfmt,
		    why) == -1) {
			e = errno;
			(void)strlcpy(name, why, sizeof(name));
			disk_why(why, "%s: %s", next, name);
			errno = e;
			goto fail;
		}
		l->size = size;
		if (name[0] == '\0')
			return 0;
		if (chain_resolve(l->path, name, next, sizeof(next)) == -1) {
			disk_why(why, "%s: backing file name too long", path);
			goto fail;
		}
		asked = bfmt;
	}
 fail:
	e = errno;
	disk_chain_close(ch);
	errno = e;
	return -1;
}

void
disk_chain_close(struct disk_chain *ch)
{
	int	i;

	for (i = 0; i < ch->n; i++)
		if (ch->layer[i].fd != -1)
			close(ch->layer[i].fd);
	ch->n = 0;
}

struct disk *
disk_chain_disk(struct disk_chain *ch, int readonly, char *why)
{
	int	fds[DISK_CHAIN_MAX], fmts[DISK_CHAIN_MAX], i;

	for (i = 0; i < ch->n; i++) {
		fds[i] = ch->layer[i].fd;
		fmts[i] = ch->layer[i].format;
		ch->layer[i].fd = -1;
	}
	return disk_open(fds, fmts, ch->n, readonly, 0, why);
}
