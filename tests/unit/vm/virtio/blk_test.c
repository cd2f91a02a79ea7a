/* SPDX-License-Identifier: ISC */
/* Unit tests for virtio-blk over temporary raw images. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "unit/vm/virtio/vpci.h"
#include "vm/virtio/virtio.h"

#define SECTORS		2048
#define HDR		0x300000ULL
#define DATA		0x310000ULL
#define STATUS		0x320000ULL

static struct vm	vm;
static struct tring	tr;

static int
mkimage(char *path)
{
	int	fd;

	strcpy(path, "/tmp/vioblk.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || ftruncate(fd, SECTORS * 512) == -1)
		abort();
	return fd;
}

/* req: one request: header, data (dir: 0 none, 1 out, 2 in), status. */
static int
req(struct virtio_pci *vp, uint32_t type, uint64_t sector, uint32_t dlen,
    int dir, uint32_t *used)
{
	uint8_t		hdr[16], st = 0xee;
	uint32_t	id;
	uint16_t	i = 0;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	mem_write(&vm.mem, HDR, hdr, sizeof(hdr));
	mem_write(&vm.mem, STATUS, &st, 1);
	tr_desc(&tr, 0, HDR, 16, TR_F_NEXT, 1);
	if (dir != 0) {
		tr_desc(&tr, 1, DATA, dlen, TR_F_NEXT |
		    (dir == 2 ? TR_F_WRITE : 0), 2);
		i = 2;
	} else
		i = 1;
	tr_desc(&tr, i, STATUS, 1, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, vp, 0);
	if (!vt_wait_used(&vm, &tr, &id, used))
		return -1;
	mem_read(&vm.mem, STATUS, &st, 1);
	return st;
}

static void
start(struct virtio_pci *vp, uint64_t *feat)
{
	uint64_t	cc = VT_CC(vp);

	vt_wr(&vm, cc, 4, 0);
	*feat = vt_rd(&vm, cc + 4, 4);
	vt_wr(&vm, cc, 4, 1);
	*feat |= vt_rd(&vm, cc + 4, 4) << 32;
	vt_negotiate(&vm, vp, *feat);
	tr_init(&tr, &vm.mem, 16, 0x10000);
	vt_setup_queue(&vm, vp, 0, &tr, 0xffff);
	vt_driver_ok(&vm, vp);
}

int
main(void)
{
	char			 path[32], path2[32];
	struct virtio_pci	*vp, *ro;
	uint8_t			 buf[4096], back[4096];
	uint64_t		 feat, devcfg;
	uint32_t		 used;
	int			 fd, fd2, fd3, i;

	vt_vm(&vm);
	fd = mkimage(path);
	if ((vp = virtio_blk_add(&vm, fd, 0, 0)) == NULL) {
		tap_ok(0, "virtio_blk_add");
		return tap_done();
	}
	vp->msi = vt_msi_hook;
	start(vp, &feat);
	tap_ok((feat & 0x6264) == 0x6244, "features: SEG_MAX, BLK_SIZE, "
	    "FLUSH, DISCARD, WRITE_ZEROES, not RO (0x%llx)",
	    (unsigned long long)feat);
	devcfg = vp->pci.bars[0].addr + VIRTIO_PCI_DEVCFG_OFF;
	tap_is(vt_rd(&vm, devcfg, 8), SECTORS, "capacity in sectors");
	tap_is(vt_rd(&vm, devcfg + 20, 4), 512, "blk_size");
	tap_is(vt_rd(&vm, devcfg + 12, 4), VIRTQ_MAX_IOV - 2, "seg_max");
	tap_is(vp->ops->qsize, 256, "queue size 256");

	for (i = 0; i < 1024; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	mem_write(&vm.mem, DATA, buf, 1024);
	tap_is(req(vp, 1, 3, 1024, 1, &used), 0, "write 2 sectors at 3");
	tap_is(used, 1, "write: used length 1");
	memset(back, 0, sizeof(back));
	tap_ok(pread(fd, back, 1024, 3 * 512) == 1024 &&
	    memcmp(buf, back, 1024) == 0, "image holds the bytes");
	memset(buf, 0, 1024);
	mem_write(&vm.mem, DATA, buf, 1024);
	tap_is(req(vp, 0, 3, 1024, 2, &used), 0, "read them back");
	tap_is(used, 1025, "read: used length data + status");
	mem_read(&vm.mem, DATA, buf, 1024);
	tap_ok(memcmp(buf, back, 1024) == 0, "read data matches");
	tap_is(req(vp, 0, SECTORS - 1, 1024, 2, &used), 1,
	    "read past the end: IOERR");
	tap_is(req(vp, 1, SECTORS, 512, 1, &used), 1,
	    "write past the end: IOERR");
	tap_is(req(vp, 0, 0, 100, 2, &used), 1, "partial sector: IOERR");
	tap_is(req(vp, 1, ~0ULL, 512, 1, &used), 1, "huge sector: IOERR");
	tap_is(req(vp, 4, 0, 0, 0, &used), 0, "flush");
	tap_is(req(vp, 8, 0, 20, 2, &used), 0, "get-id");
	mem_read(&vm.mem, DATA, buf, 20);
	tap_ok(memcmp(buf, "vmd0-", 5) == 0, "serial starts vmd0-");
	tap_is(req(vp, 99, 0, 0, 0, &used), 2, "unknown type: UNSUPP");
	/* Write-zeroes and discard (one segment each). */
	{
		uint8_t	seg[16];
		uint64_t s = 3;
		uint32_t n = 1, fl = 0;

		memcpy(seg, &s, 8);
		memcpy(seg + 8, &n, 4);
		memcpy(seg + 12, &fl, 4);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 13, 0, 16, 1, &used), 0, "write-zeroes");
		tap_ok(pread(fd, back, 1024, 3 * 512) == 1024 &&
		    back[0] == 0 && back[511] == 0 && back[512] != 0,
		    "sector 3 zeroed, 4 kept");
		s = 4;
		memcpy(seg, &s, 8);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 11, 0, 16, 1, &used), 0, "discard");
		tap_ok(pread(fd, back, 512, 4 * 512) == 512 &&
		    back[0] == 0 && back[511] == 0, "sector 4 reads zeros");
		s = SECTORS;
		memcpy(seg, &s, 8);
		mem_write(&vm.mem, DATA, seg, 16);
		tap_is(req(vp, 11, 0, 16, 1, &used), 1,
		    "discard past the end: IOERR");
	}
	/* A request without a header puts the device in NEEDS_RESET. */
	tr_desc(&tr, 0, STATUS, 1, TR_F_WRITE, 0);
	tr_post(&tr, 0);
	vt_kick(&vm, vp, 0);
	for (i = 0; i < 1000 && !(vt_rd(&vm, VT_CC(vp) + 0x14, 1) & 0x40); i++)
		usleep(1000);
	tap_ok(vt_rd(&vm, VT_CC(vp) + 0x14, 1) & 0x40,
	    "headerless request: NEEDS_RESET");
	start(vp, &feat);
	tap_is(req(vp, 4, 0, 0, 0, &used), 0, "works again after reset");

	/* The image lock. */
	fd2 = open(path, O_RDWR);
	errno = 0;
	tap_ok(virtio_blk_add(&vm, fd2, 0, 1) == NULL && errno == EBUSY,
	    "second writer refused: in use");
	tap_ok(virtio_blk_add(&vm, fd2, 1, 1) == NULL && errno == EBUSY,
	    "reader refused while a writer holds it");
	close(fd2);

	/* Read-only disk: shared lock, writes refused. */
	fd2 = mkimage(path2);
	if (pwrite(fd2, "RORORORO", 8, 0) != 8)
		abort();
	if ((ro = virtio_blk_add(&vm, fd2, 1, 2)) == NULL) {
		tap_ok(0, "read-only disk");
		return tap_done();
	}
	ro->msi = vt_msi_hook;
	fd3 = open(path2, O_RDONLY);
	tap_ok(virtio_blk_add(&vm, fd3, 1, 3) != NULL,
	    "two readers share a read-only image");
	start(ro, &feat);
	tap_ok(!!(feat & (1ULL << 5)), "RO feature offered");
	tap_ok(!(feat & (1ULL << 13)), "no discard on a read-only disk");
	tap_is(req(ro, 1, 0, 512, 1, &used), 1, "write to RO disk: IOERR");
	tap_is(req(ro, 0, 0, 512, 2, &used), 0, "read from RO disk");
	mem_read(&vm.mem, DATA, buf, 4);
	tap_ok(memcmp(buf, "RORO", 4) == 0, "RO disk data intact");
	unlink(path);
	unlink(path2);
	return tap_done();
}
