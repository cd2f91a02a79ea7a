/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/disk/qcow2.c with qemu-img and qemu-io (Debian's
 * qemu-utils) as the referees: images qemu-img makes read back exactly;
 * what we write, qemu-img reads and checks clean; refused images say why.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "disk/chain.h"
#include "disk/disk.h"

#define MIB	(1024 * 1024ULL)

static char	dir[64];
static uint64_t	rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char	cmd[2048];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
path(const char *name)
{
	static char	buf[8][256];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* A pattern: random data with zero stretches, as a disk holds. */
static uint8_t *
pattern(uint64_t size)
{
	uint8_t		*p = malloc(size);
	uint64_t	 i, j;

	for (i = 0; i < size; i += 4096) {
		if (rnd() % 4 == 0) {
			memset(p + i, 0, 4096);
			continue;
		}
		for (j = 0; j < 4096; j += 8) {
			uint64_t	v = rnd();

			memcpy(p + i + j, &v, 8);
		}
		/* Compressible too: half of each block repeats. */
		memset(p + i + 2048, p[i], 2048);
	}
	return p;
}

static int
save(const char *file, const uint8_t *p, uint64_t size)
{
	int	fd, rv;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	rv = disk_pwrite_full(fd, p, size, 0);
	close(fd);
	return rv;
}

static uint8_t *
load(const char *file, uint64_t size)
{
	uint8_t	*p = calloc(1, size);
	int	 fd;

	if ((fd = open(file, O_RDONLY)) == -1)
		return p;
	(void)disk_pread_full(fd, p, size, 0);
	close(fd);
	return p;
}

static int
opener(const char *file, int flags, void *arg)
{
	(void)arg;
	return open(file, flags | O_CLOEXEC);
}

static struct disk *
open_chain(const char *file, int readonly, char *why)
{
	struct disk_chain	ch;

	if (disk_chain_open(file, DISK_FMT_AUTO, readonly, opener, NULL, &ch,
	    why) == -1)
		return NULL;
	return disk_chain_disk(&ch, readonly, why);
}

static int
read_all(struct disk *d, uint8_t *buf, uint64_t size)
{
	struct iovec	iov[3];
	uint64_t	off, n;

	/* In odd pieces and several iovecs, as a guest asks. */
	for (off = 0; off < size; off += n) {
		n = (1 + rnd() % 300) * 512;
		if (n > size - off)
			n = size - off;
		iov[0].iov_base = buf + off;
		iov[0].iov_len = n / 2 / 512 * 512;
		iov[1].iov_base = buf + off + iov[0].iov_len;
		iov[1].iov_len = n - iov[0].iov_len;
		if (disk_read(d, iov, 2, off) == -1)
			return -1;
	}
	return 0;
}

/* Random writes, zeroes and discards on d and the model m, in [lo, size). */
static int
scribble_at(struct disk *d, uint8_t *m, uint64_t lo, uint64_t size, int ops)
{
	struct iovec	iov;
	uint8_t		*buf = malloc(4 * MIB);
	uint64_t	off, len, i;
	int		k, r;

	for (k = 0; k < ops; k++) {
		off = lo + rnd() % ((size - lo) / 512) * 512;
		len = (1 + rnd() % (k % 7 == 0 ? 4096 : 64)) * 512;
		if (len > size - off)
			len = size - off;
		switch (rnd() % 8) {
		case 0:
			if (disk_zero(d, off, len, DISK_ZERO_UNMAP) == -1)
				goto fail;
			memset(m + off, 0, len);
			break;
		case 1:
			if (disk_zero(d, off, len, 0) == -1)
				goto fail;
			memset(m + off, 0, len);
			break;
		case 2:
			/* A discard may leave data: read what it did. */
			if (disk_zero(d, off, len, DISK_ZERO_UNMAP |
			    DISK_ZERO_MAY) == -1)
				goto fail;
			iov.iov_base = m + off;
			iov.iov_len = len;
			if (disk_read(d, &iov, 1, off) == -1)
				goto fail;
			break;
		default:
			for (i = 0; i < len; i += 8) {
				uint64_t	v = rnd();

				memcpy(buf + i, &v, 8);
			}
			iov.iov_base = buf;
			iov.iov_len = len;
			if ((r = disk_write(d, &iov, 1, off)) == -1)
				goto fail;
			memcpy(m + off, buf, len);
		}
	}
	free(buf);
	return 0;
 fail:
	printf("# op %d at %llu+%llu: %s\n", k, (unsigned long long)off,
	    (unsigned long long)len, strerror(errno));
	free(buf);
	return -1;
}

static int
scribble(struct disk *d, uint8_t *m, uint64_t size, int ops)
{
	return scribble_at(d, m, 0, size, ops);
}

/* qemu-img's view: check clean (0), and its raw conversion equals m. */
static void
referee(const char *img, const uint8_t *m, uint64_t size, const char *what)
{
	uint8_t	*got;
	int	 st;

	st = sh("qemu-img check -q %s >%s 2>&1", img, path("check.out"));
	tap_ok(st == 0, "%s: qemu-img check is clean", what);
	if (st != 0)
		sh("sed 's/^/# /' %s", path("check.out"));
	unlink(path("conv.raw"));
	sh("qemu-img convert -O raw %s %s", img, path("conv.raw"));
	got = load(path("conv.raw"), size);
	tap_ok(memcmp(got, m, size) == 0, "%s: qemu-img reads what we wrote",
	    what);
	free(got);
}

static void
one_format(const char *opts, int compress, uint64_t size, int ops)
{
	struct disk	*d;
	uint8_t		*p = pattern(size), *got = calloc(1, size);
	char		 why[DISK_WHY_MAX] = "", what[128];

	snprintf(what, sizeof(what), "qcow2 %s%s", opts,
	    compress ? " compressed" : "");
	save(path("p.raw"), p, size);
	unlink(path("t.qcow2"));
	if (sh("qemu-img convert -f raw -O qcow2 %s -o %s %s %s",
	    compress ? "-c" : "", opts, path("p.raw"), path("t.qcow2")) != 0) {
		tap_ok(0, "%s: qemu-img convert", what);
		goto done;
	}
	d = open_chain(path("t.qcow2"), 0, why);
	tap_ok(d != NULL, "%s: opens (%s)", what, why);
	if (d == NULL)
		goto done;
	tap_is(d->size, size, "%s: size", what);
	tap_ok(read_all(d, got, size) == 0 && memcmp(got, p, size) == 0,
	    "%s: reads back qemu-img's bytes exactly", what);
	tap_ok(scribble(d, p, size, ops) == 0, "%s: %d random writes, zeroes "
	    "and discards", what, ops);
	tap_ok(read_all(d, got, size) == 0 && memcmp(got, p, size) == 0,
	    "%s: reads back its own writes", what);
	tap_ok(disk_flush(d) == 0, "%s: flush", what);
	disk_close(d);
	referee(path("t.qcow2"), p, size, what);
 done:
	free(p);
	free(got);
}

/* A three-layer chain: raw base, qcow2 middle, qcow2 top, relative. */
static void
chain(void)
{
	struct disk	*d;
	uint64_t	 size = 8 * MIB;
	uint8_t		*p = pattern(size), *want, *got = calloc(1, size);
	char		 why[DISK_WHY_MAX] = "";

	sh("mkdir -p %s/base %s/vms", dir, dir);
	save(path("base/b.raw"), p, size);
	sh("cd %s/vms && qemu-img create -q -f qcow2 -o cluster_size=4096 "
	    "-b ../base/b.raw -F raw mid.qcow2 && qemu-io -c 'write -P 0x5a "
	    "1M 1M' -c 'write -z 3M 64k' mid.qcow2 >/dev/null && "
	    "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 && "
	    "qemu-io -c 'write -P 0xa5 1536k 8k' top.qcow2 >/dev/null && "
	    "qemu-img convert -O raw top.qcow2 ../want.raw", dir);
	want = load(path("want.raw"), size);
	d = open_chain(path("vms/top.qcow2"), 0, why);
	tap_ok(d != NULL, "chain: opens with relative backing names (%s)",
	    why);
	if (d == NULL)
		goto done;
	tap_ok(d->backing != NULL && d->backing->backing != NULL &&
	    d->backing->backing->backing == NULL, "chain: three layers");
	tap_ok(read_all(d, got, size) == 0 && memcmp(got, want, size) == 0,
	    "chain: reads as qemu-img does");
	tap_ok(scribble(d, want, size, 400) == 0, "chain: writes");
	disk_close(d);
	referee(path("vms/top.qcow2"), want, size, "chain top");
	free(got);
	got = load(path("base/b.raw"), size);
	tap_ok(memcmp(got, p, size) == 0, "chain: the base is untouched");
	/* A loop and a missing base are refused at open. */
	sh("cd %s/vms && qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "
	    "-u l1.qcow2 1M && qemu-img create -q -f qcow2 -b l1.qcow2 -F "
	    "qcow2 -u l2.qcow2 1M && qemu-img rebase -u -b l2.qcow2 -F qcow2 "
	    "l1.qcow2 && qemu-img create -q -f qcow2 -b nothere.qcow2 -F "
	    "qcow2 -u miss.qcow2 1M", dir);
	d = open_chain(path("vms/l1.qcow2"), 0, why);
	tap_ok(d == NULL && strstr(why, "loops") != NULL,
	    "chain: a loop is refused (%s)", why);
	d = open_chain(path("vms/miss.qcow2"), 0, why);
	tap_ok(d == NULL && strstr(why, "nothere.qcow2") != NULL &&
	    errno == ENOENT, "chain: a missing base is named (%s)", why);
 done:
	free(p);
	free(want);
	free(got);
}

/* Refused images: each says what is wrong. */
static void
refused(void)
{
	struct disk	*d;
	char		 why[DISK_WHY_MAX];
	const struct {
		const char	*make, *want;
		int		 ro_ok;
	} t[] = {
		{ "qemu-img create -q -f qcow2 -o refcount_bits=32 $IMG 1M",
		    "refcount order 5", 0 },
		{ "qemu-img create -q -f qcow2 $IMG 1M && qemu-img snapshot "
		    "-c s1 $IMG", "internal snapshots", 0 },
		{ "qemu-img create -q -f qcow2 -o compression_type=zstd $IMG 1M",
		    "compression type 1", 0 },
		{ "qemu-img create -q -f qcow2 $IMG 1M && printf '\\040' | dd "
		    "of=$IMG bs=1 seek=79 conv=notrunc status=none",
		    "unknown incompatible features", 0 },
		{ "qemu-img create -q -f qcow2 $IMG 1M && printf '\\002' | dd "
		    "of=$IMG bs=1 seek=79 conv=notrunc status=none",
		    "marked corrupt", 1 },
		{ "qemu-img create -q -f qcow2 $IMG 1M && printf '\\377' | dd "
		    "of=$IMG bs=1 seek=43 conv=notrunc status=none",
		    "L1 table outside", 0 },
	};
	size_t	i;
	char	img[256];

	strlcpy(img, path("bad.qcow2"), sizeof(img));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unlink(img);
		setenv("IMG", img, 1);
		if (sh("%s", t[i].make) != 0) {
			tap_ok(0, "make a bad image: %s", t[i].make);
			continue;
		}
		why[0] = '\0';
		d = open_chain(img, 0, why);
		tap_ok(d == NULL && strstr(why, t[i].want) != NULL,
		    "refused: \"%s\" (%s)", t[i].want, why);
		disk_close(d);
		d = open_chain(img, 1, why);
		tap_ok((d != NULL) == t[i].ro_ok, "read-only: %s",
		    t[i].ro_ok ? "opens" : "refused too");
		disk_close(d);
	}
	/* qcow2 named raw is refused; force-raw exposes the file. */
	sh("qemu-img create -q -f qcow2 %s 1M", img);
	{
		int	fd = open(img, O_RDONLY), fmt;

		tap_ok(disk_detect(fd, DISK_FMT_RAW, &fmt, why) == -1 &&
		    strstr(why, "is a qcow2 image") != NULL,
		    "raw asked of a qcow2 file: refused (%s)", why);
		tap_ok(disk_detect(fd, DISK_FMT_RAW_FORCE, &fmt, why) == 0 &&
		    fmt == DISK_FMT_RAW, "force-raw: raw");
		tap_ok(disk_detect(fd, DISK_FMT_AUTO, &fmt, why) == 0 &&
		    fmt == DISK_FMT_QCOW2, "auto: qcow2 by its magic");
		close(fd);
	}
}

/* An L1 table smaller than the disk (a header patched bigger) grows. */
static void
l1_growth(void)
{
	struct disk	*d;
	uint64_t	 size = 4 * MIB;
	uint8_t		*m = calloc(1, size);
	char		 why[DISK_WHY_MAX] = "", img[256];

	strlcpy(img, path("grow.qcow2"), sizeof(img));
	unlink(img);
	/* 512-byte clusters: an L2 table covers 32 KiB; 1M needs 32. */
	sh("qemu-img create -q -f qcow2 -o cluster_size=512 %s 1M && "
	    "printf '\\100' | dd of=%s bs=1 seek=29 conv=notrunc "
	    "status=none", img, img);
	d = open_chain(img, 0, why);
	tap_ok(d != NULL && d->size == size, "small L1: opens as 4M (%s)",
	    why);
	if (d == NULL)
		goto done;
	tap_ok(scribble(d, m, size, 600) == 0, "small L1: writes past it");
	disk_close(d);
	referee(img, m, size, "grown L1, grown refcount table");
 done:
	free(m);
}

/*
 * Kill -9 while writing: every image qemu-img checks has no corruption
 * (leaks allowed); what was flushed before the kill (the first half,
 * which the writer leaves alone after its flush) is there; the next
 * open repairs the leaks.
 */
static void
crash(void)
{
	struct disk	*d;
	uint64_t	 size = 16 * MIB, half = size / 2;
	uint8_t		*m = calloc(1, size), *want, *got;
	char		 why[DISK_WHY_MAX], img[256], c;
	int		 round, bad = 0, leaks = 0, lost = 0, st, pfd[2];
	pid_t		 pid;

	strlcpy(img, path("crash.qcow2"), sizeof(img));
	unlink(img);
	sh("qemu-img create -q -f qcow2 -o cluster_size=4096 %s 16M", img);
	for (round = 0; round < 24; round++) {
		if (pipe(pfd) == -1)
			break;
		if ((pid = fork()) == 0) {
			close(pfd[0]);
			rng += (uint64_t)round * 7919;
			if ((d = open_chain(img, 0, why)) == NULL ||
			    read_all(d, m, size) == -1 ||
			    scribble_at(d, m, 0, half, 60) == -1 ||
			    disk_flush(d) == -1) {
				fprintf(stderr, "# writer: %s %s\n", d ? "" : why,
				    strerror(errno));
				_exit(1);
			}
			save(path("flushed.raw"), m, half);
			(void)write(pfd[1], "x", 1);
			for (;;)
				if (scribble_at(d, m, half, size, 10) == -1)
					_exit(1);
		}
		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1) {
			close(pfd[0]);
			waitpid(pid, &st, 0);
			tap_ok(0, "crash round %d: the writer failed", round);
			break;
		}
		close(pfd[0]);
		usleep((useconds_t)(rnd() % 30000));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		st = sh("qemu-img check -q %s >/dev/null 2>&1", img);
		if (st != 0 && st != 3)
			bad++;
		if (st == 3)
			leaks++;
		unlink(path("conv.raw"));
		sh("qemu-img convert -O raw %s %s", img, path("conv.raw"));
		want = load(path("flushed.raw"), half);
		got = load(path("conv.raw"), half);
		lost += memcmp(want, got, half) != 0;
		free(want);
		free(got);
	}
	tap_ok(bad == 0, "kill -9 during writes, %d rounds: no corruption "
	    "(%d with leaks only)", round, leaks);
	tap_is(lost, 0, "every flushed write survived the kills");
	d = open_chain(img, 0, why);
	tap_ok(d != NULL, "reopens after the kills (%s)", d ? "" : why);
	disk_close(d);
	st = sh("qemu-img check -q %s >/dev/null 2>&1", img);
	tap_is(st, 0, "the open repaired the leaks");
	free(m);
}

int
main(void)
{
	/* mkdtemp's template: the prefix and six X it replaces. */
	strlcpy(dir, "/tmp/qcow2_test.", sizeof(dir) - 6);
	memset(dir + strlen(dir), 'X', 6);
	dir[strlen("/tmp/qcow2_test.") + 6] = '\0';
	if (mkdtemp(dir) == NULL)
		return 1;
	one_format("compat=0.10,cluster_size=65536", 0, 8 * MIB, 400);
	one_format("compat=1.1,cluster_size=4096", 0, 8 * MIB, 400);
	one_format("compat=1.1,cluster_size=65536", 0, 8 * MIB, 400);
	one_format("compat=1.1,cluster_size=2097152", 0, 8 * MIB, 200);
	one_format("compat=1.1,cluster_size=512", 0, 2 * MIB, 300);
	one_format("compat=1.1,cluster_size=65536", 1, 8 * MIB, 400);
	one_format("compat=0.10,cluster_size=4096", 1, 8 * MIB, 400);
	one_format("compat=1.1,cluster_size=65536,lazy_refcounts=on", 0,
	    8 * MIB, 200);
	chain();
	refused();
	l1_growth();
	crash();
	if (tap_st.failed == 0)
		sh("rm -rf %s", dir);
	return tap_done();
}
