/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness: disk images (lib/disk): any file opened as qcow2
 * (or raw), read, written, zeroed, discarded and flushed; what an image
 * that opened read-write took must read back as written, also after it
 * is closed and opened again.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/disk.h"

#define OPS		8	/* operations, 8 bytes each, before the image */
#define OP_BYTES	8
#define SPAN		(4U << 20)	/* operations stay in the first 4 MiB */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct op {
	uint8_t		kind;
	uint64_t	off;
	uint32_t	len;
	uint8_t		fill;
};

static void
fuzz_op(const uint8_t *p, uint64_t size, struct op *o)
{
	uint64_t	span = size < SPAN ? size : SPAN;

	o->kind = p[0] % 6;
	o->fill = p[1] | 1;
	o->off = span ? ((uint64_t)(p[2] | p[3] << 8 | p[4] << 16) * 512) %
	    span : 0;
	o->len = (uint32_t)(1 + (p[5] | (p[6] & 1) << 8)) * 512;
	if (o->off + o->len > size)
		o->len = (uint32_t)(size - o->off) & ~511U;
}

/* fuzz_open: the image in fd as fmt, with a raw base when it names one. */
static struct disk *
fuzz_open(int fd, int fmt, int readonly)
{
	char		 why[DISK_WHY_MAX], name[1024];
	uint64_t	 size;
	int		 fds[2], fmts[2] = { fmt, DISK_FMT_RAW }, n = 1, bf;

	fds[0] = dup(fd);
	if (fmt == DISK_FMT_QCOW2 && qcow2_probe(fd, &size, name,
	    sizeof(name), &bf, why) == 0 && name[0] != '\0') {
		fds[1] = memfd_create("base", MFD_CLOEXEC);
		if (ftruncate(fds[1], 1 << 20) == -1)
			abort();
		n = 2;
	}
	return disk_open(fds, fmts, n, readonly, 0, why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct disk	*d;
	struct iovec	 iov;
	struct op	 ops[OPS];
	uint8_t		*buf, *got;
	char		 why[DISK_WHY_MAX];
	int		 fd, fmt, i, ok = 1;

	if (len < OPS * OP_BYTES)
		return 0;
	if ((fd = memfd_create("img", MFD_CLOEXEC)) == -1)
		abort();
	if (len > OPS * OP_BYTES && write(fd, data + OPS * OP_BYTES,
	    len - OPS * OP_BYTES) != (ssize_t)(len - OPS * OP_BYTES))
		abort();
	if (disk_detect(fd, DISK_FMT_AUTO, &fmt, why) == -1 ||
	    (d = fuzz_open(fd, fmt, 0)) == NULL) {
		close(fd);
		return 0;
	}
	buf = malloc(512 * 512);
	got = malloc(512 * 512);
	for (i = 0; i < OPS; i++) {
		fuzz_op(data + i * OP_BYTES, d->size, &ops[i]);
		iov.iov_base = buf;
		iov.iov_len = ops[i].len;
		memset(buf, ops[i].fill, ops[i].len);
		switch (ops[i].kind) {
		case 0:
			if (disk_read(d, &iov, 1, ops[i].off) == -1)
				ok = 0;
			break;
		case 1:
		case 2:
			if (disk_write(d, &iov, 1, ops[i].off) == -1)
				ok = 0;
			break;
		case 3:
			if (disk_zero(d, ops[i].off, ops[i].len,
			    DISK_ZERO_UNMAP) == -1)
				ok = 0;
			break;
		case 4:
			if (disk_zero(d, ops[i].off, ops[i].len, 0) == -1)
				ok = 0;
			break;
		default:
			if (disk_flush(d) == -1)
				ok = 0;
		}
	}
	/* The last write to each sector wins, read now and after reopen. */
	for (int pass = 0; pass < 2 && ok && d != NULL; pass++) {
		for (i = OPS - 1; i >= 0; i--) {
			int		 j, later = 0;
			uint32_t	 k;

			if (ops[i].kind < 1 || ops[i].kind > 4 || !ops[i].len)
				continue;
			for (j = i + 1; j < OPS; j++)
				if (ops[j].kind >= 1 && ops[j].kind <= 4 &&
				    ops[j].off < ops[i].off + ops[i].len &&
				    ops[i].off < ops[j].off + ops[j].len)
					later = 1;
			if (later)
				continue;
			iov.iov_base = got;
			iov.iov_len = ops[i].len;
			if (disk_read(d, &iov, 1, ops[i].off) == -1)
				__builtin_trap();
			for (k = 0; k < ops[i].len; k++)
				if (got[k] != (ops[i].kind <= 2 ?
				    ops[i].fill : 0))
					__builtin_trap();
		}
		disk_close(d);
		d = pass == 0 ? fuzz_open(fd, fmt, 1) : NULL;
		if (pass == 0 && d == NULL)
			__builtin_trap();
	}
	disk_close(d);
	free(buf);
	free(got);
	close(fd);
	return 0;
}
