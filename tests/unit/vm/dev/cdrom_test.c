/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/dev/cdrom.c: the MMC commands and their refusals. */
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vm/dev/cdrom.h"

#define NBLK	20

static uint8_t		buf[8 * CDROM_BLOCK];
static struct iovec	iov[2] = {
	{ buf, 3000 }, { buf + 3000, sizeof(buf) - 3000 }
};

static void
run(struct cdrom *cd, const uint8_t *cdb, size_t len, struct cdrom_result *r)
{
	memset(buf, 0xee, sizeof(buf));
	cdrom_exec(cd, cdb, len, iov, 2, sizeof(buf), r);
}

static int
sense_is(const struct cdrom_result *r, int key, int asc)
{
	return r->status == CDROM_CHECK_CONDITION &&
	    r->senselen == CDROM_SENSE_LEN && r->sense[0] == 0x70 &&
	    r->sense[2] == key && r->sense[12] == asc;
}

int
main(void)
{
	struct cdrom		 cd;
	struct cdrom_result	 r;
	uint8_t			 blk[CDROM_BLOCK];
	const char		*why;
	int			 fd, i, good;

	fd = memfd_create("iso", 0);
	for (i = 0; i < NBLK; i++) {
		memset(blk, i, sizeof(blk));
		if (i == 16)
			memcpy(blk, "\001CD001", 6);
		if (write(fd, blk, sizeof(blk)) != sizeof(blk))
			return 1;
	}
	tap_is(cdrom_check_fd(fd, &why), 0, "an ISO 9660 image passes");
	cdrom_init(&cd, fd, NBLK * CDROM_BLOCK);

	run(&cd, (const uint8_t[6]){ 0x12, 0, 0, 0, 36, 0 }, 6, &r);
	tap_ok(r.status == 0 && r.datalen == 36 && buf[0] == 5 &&
	    buf[1] == 0x80 && memcmp(buf + 8, "VMD     ", 8) == 0,
	    "INQUIRY: a removable CD/DVD device, 36 bytes");
	run(&cd, (const uint8_t[6]){ 0x12, 0, 0, 0, 5, 0 }, 6, &r);
	tap_ok(r.status == 0 && r.datalen == 5 && buf[5] == 0xee,
	    "INQUIRY: cut to the allocation length");
	run(&cd, (const uint8_t[6]){ 0x12, 1, 0x99, 0, 255, 0 }, 6, &r);
	tap_ok(sense_is(&r, 5, 0x24), "INQUIRY of an unknown VPD page: "
	    "ILLEGAL REQUEST, INVALID FIELD IN CDB");
	run(&cd, (const uint8_t[10]){ 0x25 }, 10, &r);
	tap_ok(r.status == 0 && r.datalen == 8 && buf[3] == NBLK - 1 &&
	    buf[6] == 0x08 && buf[7] == 0, "READ CAPACITY(10): last LBA, 2048");
	run(&cd, (const uint8_t[16]){ 0x9e, 0x10, [13] = 32 }, 16, &r);
	tap_ok(r.status == 0 && r.datalen == 32 && buf[7] == NBLK - 1 &&
	    buf[10] == 0x08, "READ CAPACITY(16)");
	run(&cd, (const uint8_t[10]){ 0x28, 0, 0, 0, 0, 3, 0, 0, 2, 0 }, 10,
	    &r);
	for (i = 0, good = 1; i < 2 * CDROM_BLOCK; i++)
		good &= buf[i] == (i < CDROM_BLOCK ? 3 : 4);
	tap_ok(r.status == 0 && r.datalen == 2 * CDROM_BLOCK && good &&
	    buf[2 * CDROM_BLOCK] == 0xee,
	    "READ(10) of blocks 3-4 across two buffers");
	run(&cd, (const uint8_t[12]){ 0xa8, 0, 0, 0, 0, NBLK - 1, 0, 0, 0, 1 },
	    12, &r);
	tap_ok(r.status == 0 && r.datalen == CDROM_BLOCK &&
	    buf[0] == NBLK - 1, "READ(12) of the last block");
	run(&cd, (const uint8_t[16]){ 0x88, [9] = NBLK - 1, [13] = 2 }, 16, &r);
	tap_ok(sense_is(&r, 5, 0x21), "READ(16) past the end: LOGICAL BLOCK "
	    "ADDRESS OUT OF RANGE");
	run(&cd, (const uint8_t[16]){ 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0, 0, 0, 1 }, 16, &r);
	tap_ok(sense_is(&r, 5, 0x21), "READ(16) at LBA 2^64-1: out of range");
	run(&cd, (const uint8_t[10]){ 0x28, 0, 0, 0, 0, 0, 0, 0, 9, 0 }, 10,
	    &r);
	tap_ok(r.overrun && r.datalen == 0 && buf[0] == 0xee,
	    "READ(10) of more than the buffer: overrun, nothing written");
	run(&cd, (const uint8_t[6]){ 0x03, 0, 0, 0, 18, 0 }, 6, &r);
	tap_ok(r.status == 0 && buf[2] == 5 && buf[12] == 0x21,
	    "REQUEST SENSE returns the last failure's sense");
	run(&cd, (const uint8_t[6]){ 0x03, 0, 0, 0, 18, 0 }, 6, &r);
	tap_ok(r.status == 0 && buf[0] == 0x70 && buf[2] == 0,
	    "... then NO SENSE");
	run(&cd, (const uint8_t[10]){ 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, 10,
	    &r);
	tap_ok(sense_is(&r, 7, 0x27), "WRITE(10): DATA PROTECT, WRITE "
	    "PROTECTED");
	run(&cd, (const uint8_t[6]){ 0x04 }, 6, &r);
	tap_ok(sense_is(&r, 5, 0x20), "FORMAT UNIT: INVALID COMMAND "
	    "OPERATION CODE");
	run(&cd, (const uint8_t[6]){ 0x28, 0, 0, 0, 0, 1 }, 6, &r);
	tap_ok(sense_is(&r, 5, 0x20), "a READ(10) CDB of 6 bytes refused");
	run(&cd, NULL, 0, &r);
	tap_ok(sense_is(&r, 5, 0x20), "an empty CDB refused");
	run(&cd, (const uint8_t[10]){ 0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0 }, 10,
	    &r);
	tap_ok(r.status == 0 && r.datalen == 20 && buf[2] == 1 &&
	    buf[3] == 1 && buf[6] == 1 && buf[14] == 0xaa && buf[19] == NBLK,
	    "READ TOC: track 1 at 0, lead-out at the end");
	run(&cd, (const uint8_t[10]){ 0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0 }, 10,
	    &r);
	tap_ok(r.status == 0 && buf[9] == 0 && buf[10] == 2 && buf[11] == 0,
	    "READ TOC in MSF: track 1 at 00:02:00");
	run(&cd, (const uint8_t[10]){ 0x46, 0, 0, 0, 0, 0, 0, 0, 100, 0 }, 10,
	    &r);
	tap_ok(r.status == 0 && buf[6] == 0 && buf[7] == 8,
	    "GET CONFIGURATION: current profile CD-ROM");
	run(&cd, (const uint8_t[10]){ 0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0 }, 10,
	    &r);
	tap_ok(sense_is(&r, 5, 0x24), "GET EVENT STATUS, not polled: refused");
	run(&cd, (const uint8_t[10]){ 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 }, 10,
	    &r);
	tap_ok(r.status == 0 && r.datalen == 8 && buf[2] == 4 && buf[5] == 2,
	    "GET EVENT STATUS: media present");
	run(&cd, (const uint8_t[10]){ 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 255, 0 },
	    10, &r);
	tap_ok(r.status == 0 && r.datalen == 28 && buf[8] == 0x2a,
	    "MODE SENSE(10): the capabilities page");
	run(&cd, (const uint8_t[6]){ 0x1a, 0, 0x01, 0, 255, 0 }, 6, &r);
	tap_ok(sense_is(&r, 5, 0x24), "MODE SENSE(6) of another page: refused");
	run(&cd, (const uint8_t[6]){ 0x1e, 0, 0, 0, 1, 0 }, 6, &r);
	tap_ok(r.status == 0 && cd.locked, "PREVENT MEDIUM REMOVAL");
	run(&cd, (const uint8_t[6]){ 0x1b, 0, 0, 0, 2, 0 }, 6, &r);
	tap_ok(r.status == 0, "START STOP UNIT (eject) succeeds");
	run(&cd, (const uint8_t[6]){ 0x00 }, 6, &r);
	tap_ok(r.status == 0 && r.datalen == 0, "TEST UNIT READY");

	memset(blk, 0, sizeof(blk));
	if (pwrite(fd, blk, sizeof(blk), 16 * CDROM_BLOCK) != sizeof(blk))
		return 1;
	tap_ok(cdrom_check_fd(fd, &why) == -1 && strstr(why, "ISO 9660"),
	    "an image without a volume descriptor is refused");
	close(fd);
	return tap_done();
}
