/* SPDX-License-Identifier: ISC */
/*
 * vmctl create [-b base | -i disk] [-s size] disk: a new raw or qcow2
 * image, an overlay on a base, or a converted copy; lib/disk does the
 * image work, as the invoking user, without vmd.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/chain.h"
#include "util.h"
#include "vmctl.h"

#define CREATE_CHUNK	(64 * 1024)	/* -i copies, skipping zero chunks */

static int
create_opener(const char *path, int flags, void *arg)
{
	(void)arg;
	return open(path, flags | O_CLOEXEC);
}

/* create_same: a and b name the same file. */
static int
create_same(const char *a, const char *b)
{
	struct stat	sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * create_backing_name: what the overlay at disk records for base: the
 * name as given when it finds the same file from the overlay's
 * directory (a relative chain keeps working when both move), else the
 * base's absolute path.
 */
static void
create_backing_name(const char *disk, const char *base, char *out,
    size_t len)
{
	char		 via[PATH_MAX];
	const char	*slash;

	if (base[0] != '/') {
		slash = strrchr(disk, '/');
		if (slash == NULL)
			snprintf(via, sizeof(via), "%s", base);
		else
			snprintf(via, sizeof(via), "%.*s/%s",
			    (int)(slash - disk), disk, base);
		if (create_same(via, base)) {
			if (strlcpy(out, base, len) >= len)
				errx(1, "base image path too long: %s", base);
			return;
		}
	}
	if (realpath(base, via) == NULL)
		err(1, "%s", base);
	if (strlcpy(out, via, len) >= len)
		errx(1, "base image path too long: %s", base);
}

/* create_copy: the input disk's bytes into out, zero chunks skipped. */
static int
create_copy(struct disk *in, struct disk *out)
{
	static const uint8_t	 zeros[CREATE_CHUNK];
	struct iovec		 iov;
	uint8_t			*buf;
	uint64_t		 off, n;
	int			 rv = 0;

	if ((buf = malloc(CREATE_CHUNK)) == NULL)
		return -1;
	for (off = 0; off < in->size && rv == 0; off += n) {
		n = in->size - off < CREATE_CHUNK ? in->size - off :
		    CREATE_CHUNK;
		iov.iov_base = buf;
		iov.iov_len = n;
		if ((rv = disk_read(in, &iov, 1, off)) == -1)
			break;
		if (memcmp(buf, zeros, n) != 0)
			rv = disk_write(out, &iov, 1, off);
	}
	if (rv == 0)
		rv = disk_flush(out);
	free(buf);
	return rv;
}

int
cmd_create(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct disk_chain	 ch;
	struct disk		*in = NULL, *out;
	const char		*base = NULL, *input = NULL, *disk, *fmtname;
	char			 why[DISK_WHY_MAX], bname[1024];
	uint64_t		 size = 0;
	size_t			 len;
	int			 ch_, fmt, fd, bfmt = DISK_FMT_RAW;

	(void)opts;
	while ((ch_ = getopt(argc, argv, "b:i:s:")) != -1) {
		switch (ch_) {
		case 'b':
			base = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 's':
			if (util_parse_size(optarg, &size) == -1 || size == 0)
				errx(1, "invalid size: %s", optarg);
			break;
		default:
			cmd_usage(cmd_find("create", &fd));
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || (base != NULL && input != NULL))
		cmd_usage(cmd_find("create", &fd));
	disk = argv[0];
	fmt = disk_format_prefix(&disk);
	len = strlen(disk);
	if (fmt == DISK_FMT_AUTO)
		fmt = len > 6 && strcmp(disk + len - 6, ".qcow2") == 0 ?
		    DISK_FMT_QCOW2 : DISK_FMT_RAW;
	if (fmt == DISK_FMT_RAW_FORCE)
		fmt = DISK_FMT_RAW;
	fmtname = fmt == DISK_FMT_QCOW2 ? "qcow2" : "raw";
	if (base != NULL) {
		if (fmt != DISK_FMT_QCOW2)
			errx(1, "a base image needs a qcow2 disk: %s", disk);
		if (disk_chain_open(base, DISK_FMT_AUTO, 1, create_opener,
		    NULL, &ch, why) == -1)
			errx(1, "base image %s", why);
		bfmt = ch.layer[0].format;
		if (size != 0 && size != ch.layer[0].size)
			errx(1, "size must be the base image's (%llu bytes)",
			    (unsigned long long)ch.layer[0].size);
		size = ch.layer[0].size;
		disk_chain_close(&ch);
		create_backing_name(disk, base, bname, sizeof(bname));
	} else if (input != NULL) {
		if (disk_chain_open(input, DISK_FMT_AUTO, 1, create_opener,
		    NULL, &ch, why) == -1 ||
		    (in = disk_chain_disk(&ch, 1, why)) == NULL)
			errx(1, "input image %s", why);
		if (size != 0 && size < in->size)
			errx(1, "size must be at least the input image's "
			    "(%llu bytes)", (unsigned long long)in->size);
		if (size == 0)
			size = in->size;
	} else if (size == 0)
		errx(1, "missing size argument");
	if ((fd = open(disk, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		err(1, "could not create %s", disk);
	if (fmt == DISK_FMT_QCOW2) {
		if (qcow2_create(fd, size, base != NULL ? bname : NULL, bfmt,
		    why) == -1)
			goto fail;
	} else if (ftruncate(fd, (off_t)size) == -1) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	if (in != NULL) {
		if ((out = disk_open(&fd, &fmt, 1, 0, 0, why)) == NULL) {
			fd = -1;
			goto fail;
		}
		fd = -1;
		if (create_copy(in, out) == -1) {
			snprintf(why, sizeof(why), "copying %s: %s", input,
			    strerror(errno));
			disk_close(out);
			goto fail;
		}
		disk_close(out);
		disk_close(in);
	} else if (fsync(fd) == -1) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	if (fd != -1)
		close(fd);
	warnx("%s imagefile created", fmtname);
	return 0;
 fail:
	if (fd != -1)
		close(fd);
	unlink(disk);
	errx(1, "could not create %s: %s", disk, why);
}
