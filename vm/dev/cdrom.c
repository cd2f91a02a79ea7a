/* SPDX-License-Identifier: ISC */
/* A read-only MMC CD-ROM logical unit over an ISO image (2048-byte blocks). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vm/dev/cdrom.h"

/* Operation codes (SPC-4, SBC-3, MMC-6). */
#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_INQUIRY		0x12
#define OP_MODE_SENSE6		0x1a
#define OP_START_STOP		0x1b
#define OP_PREVENT_ALLOW	0x1e
#define OP_READ_CAPACITY10	0x25
#define OP_READ10		0x28
#define OP_WRITE10		0x2a
#define OP_VERIFY10		0x2f
#define OP_READ_TOC		0x43
#define OP_GET_CONFIGURATION	0x46
#define OP_GET_EVENT_STATUS	0x4a
#define OP_READ_DISC_INFO	0x51
#define OP_MODE_SENSE10		0x5a
#define OP_READ16		0x88
#define OP_WRITE16		0x8a
#define OP_SERVICE_ACTION_IN16	0x9e
#define OP_REPORT_LUNS		0xa0
#define OP_READ12		0xa8
#define OP_WRITE12		0xaa
#define OP_SET_CD_SPEED		0xbb
#define SA_READ_CAPACITY16	0x10

/* Sense keys and additional sense codes. */
#define KEY_NO_SENSE		0x00
#define KEY_ILLEGAL_REQUEST	0x05
#define KEY_DATA_PROTECT	0x07
#define KEY_MEDIUM_ERROR	0x03
#define ASC_INVALID_OPCODE	0x20
#define ASC_LBA_OUT_OF_RANGE	0x21
#define ASC_INVALID_FIELD	0x24
#define ASC_WRITE_PROTECTED	0x27
#define ASC_UNRECOVERED_READ	0x11

#define PROFILE_CDROM		0x0008
#define TRACK_LEADOUT		0xaa
#define MMC_PAGE_CAPS		0x2a
#define MMC_PAGE_ALL		0x3f
#define INQ_LEN			36
#define SMALL_MAX		256	/* every reply but READ's fits */

static const char cdrom_vendor[8] = "VMD     ";
static const char cdrom_product[16] = "CD-ROM          ";
static const char cdrom_rev[4] = "1.0 ";

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

int
cdrom_check_fd(int fd, const char **why)
{
	uint8_t	vd[6];
	ssize_t	n;

	n = pread(fd, vd, sizeof(vd), 16 * CDROM_BLOCK);
	if (n == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (n != sizeof(vd) || (memcmp(vd + 1, "CD001", 5) != 0 &&
	    memcmp(vd + 1, "BEA01", 5) != 0)) {
		*why = "not an ISO 9660 image (no volume descriptor at "
		    "block 16)";
		return -1;
	}
	return 0;
}

void
cdrom_init(struct cdrom *cd, int fd, uint64_t size)
{
	memset(cd, 0, sizeof(*cd));
	cd->fd = fd;
	cd->size = size;
	cd->blocks = (size + CDROM_BLOCK - 1) / CDROM_BLOCK;
}

/* cdrom_fail: CHECK CONDITION with fixed-format sense key/asc/ascq. */
static void
cdrom_fail(struct cdrom *cd, struct cdrom_result *r, uint8_t key,
    uint8_t asc, uint8_t ascq)
{
	memset(cd->sense, 0, sizeof(cd->sense));
	cd->sense[0] = 0x70;			/* current, fixed format */
	cd->sense[2] = key;
	cd->sense[7] = CDROM_SENSE_LEN - 8;
	cd->sense[12] = asc;
	cd->sense[13] = ascq;
	r->status = CDROM_CHECK_CONDITION;
	memcpy(r->sense, cd->sense, sizeof(r->sense));
	r->senselen = sizeof(r->sense);
	r->datalen = 0;
}

/*
 * cdrom_reply: copy a small reply, cut to the CDB's allocation length
 * and to the buffer (a short buffer is fine: the initiator asked for it).
 */
static void
cdrom_reply(struct cdrom_result *r, const uint8_t *buf, size_t len,
    size_t alloc, const struct iovec *din, int niov)
{
	size_t	done = 0, n;
	int	i;

	if (len > alloc)
		len = alloc;
	for (i = 0; i < niov && done < len; i++) {
		n = din[i].iov_len < len - done ? din[i].iov_len : len - done;
		memcpy(din[i].iov_base, buf + done, n);
		done += n;
	}
	r->datalen = done;
}

/* cdrom_cdb_len: the length a CDB of this operation code has. */
static size_t
cdrom_cdb_len(uint8_t op)
{
	switch (op >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 0;
	}
}

static size_t
cdrom_inquiry(struct cdrom *cd, const uint8_t *cdb, uint8_t *b,
    struct cdrom_result *r)
{
	if (cdb[1] & 0x01) {			/* EVPD */
		b[0] = 0x05;
		b[1] = cdb[2];
		switch (cdb[2]) {
		case 0x00:			/* supported pages */
			b[3] = 2;
			b[4] = 0x00;
			b[5] = 0x80;
			return 6;
		case 0x80:			/* unit serial number */
			b[3] = 4;
			memcpy(b + 4, "0000", 4);
			return 8;
		default:
			cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD, 0);
			return 0;
		}
	}
	if (cdb[2] != 0) {
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return 0;
	}
	b[0] = 0x05;				/* CD/DVD device */
	b[1] = 0x80;				/* removable */
	b[2] = 0x05;				/* SPC-3 */
	b[3] = 0x02;				/* response data format */
	b[4] = INQ_LEN - 5;
	memcpy(b + 8, cdrom_vendor, sizeof(cdrom_vendor));
	memcpy(b + 16, cdrom_product, sizeof(cdrom_product));
	memcpy(b + 32, cdrom_rev, sizeof(cdrom_rev));
	return INQ_LEN;
}

/* cdrom_caps_page: mode page 2Ah, the CD capabilities, at b. */
static size_t
cdrom_caps_page(uint8_t *b)
{
	b[0] = MMC_PAGE_CAPS;
	b[1] = 18;
	b[6] = 0x29;			/* lock, eject, tray loading */
	put16(b + 8, 2816);		/* max read speed, kB/s (16x) */
	put16(b + 10, 2);		/* volume levels */
	put16(b + 12, 2048);		/* buffer, KiB */
	put16(b + 14, 2816);		/* current read speed */
	return 20;
}

static size_t
cdrom_mode_sense(struct cdrom *cd, const uint8_t *cdb, uint8_t *b,
    struct cdrom_result *r, int ten)
{
	size_t	hdr = ten ? 8 : 4, n = hdr;
	uint8_t	page = cdb[2] & 0x3f;

	if ((cdb[2] >> 6) == 3) {		/* saved values */
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, 0x39, 0);
		return 0;
	}
	if (page == MMC_PAGE_CAPS || page == MMC_PAGE_ALL)
		n += cdrom_caps_page(b + hdr);
	else {
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return 0;
	}
	if (ten)
		put16(b, (uint32_t)(n - 2));
	else
		b[0] = (uint8_t)(n - 1);
	return n;
}

/* cdrom_addr: a TOC address, LBA or (MSF) minute/second/frame + 150. */
static void
cdrom_addr(uint8_t *p, uint64_t lba, int msf)
{
	uint64_t	f = lba + 150;

	if (!msf) {
		put32(p, (uint32_t)lba);
		return;
	}
	p[0] = 0;
	p[1] = (uint8_t)(f / (75 * 60));
	p[2] = (uint8_t)((f / 75) % 60);
	p[3] = (uint8_t)(f % 75);
}

static size_t
cdrom_read_toc(struct cdrom *cd, const uint8_t *cdb, uint8_t *b,
    struct cdrom_result *r)
{
	int	msf = (cdb[1] & 0x02) != 0;
	uint8_t	format = cdb[2] & 0x0f, track = cdb[6];
	size_t	n = 4;

	if (format == 0 && cdb[9] >> 6 != 0)
		format = cdb[9] >> 6;		/* the old place for it */
	switch (format) {
	case 0:					/* TOC */
		if (track > 1 && track != TRACK_LEADOUT) {
			cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD, 0);
			return 0;
		}
		b[2] = 1;
		b[3] = 1;
		if (track <= 1) {
			b[n + 1] = 0x14;	/* ADR 1, data track */
			b[n + 2] = 1;
			cdrom_addr(b + n + 4, 0, msf);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = TRACK_LEADOUT;
		cdrom_addr(b + n + 4, cd->blocks, msf);
		n += 8;
		break;
	case 1:					/* session information */
		b[2] = 1;
		b[3] = 1;
		b[n + 1] = 0x14;
		b[n + 2] = 1;
		cdrom_addr(b + n + 4, 0, msf);
		n += 8;
		break;
	default:
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return 0;
	}
	put16(b, (uint32_t)(n - 2));
	return n;
}

static size_t
cdrom_get_configuration(const uint8_t *cdb, uint8_t *b)
{
	uint32_t	start = get16(cdb + 2), rt = cdb[1] & 0x03;
	size_t		n = 8;

	put16(b + 6, PROFILE_CDROM);
	/* Profile list (0000h): one profile, current. */
	if (start == 0) {
		b[n + 2] = 0x03;		/* persistent, current */
		b[n + 3] = 4;
		put16(b + n + 4, PROFILE_CDROM);
		b[n + 6] = 0x01;		/* current */
		n += 8;
	}
	/* Core (0001h): ATAPI-like, physical interface SCSI. */
	if (start <= 1 && (rt != 2 || start == 1)) {
		put16(b + n, 0x0001);
		b[n + 2] = 0x0b;	/* version 2, persistent, current */
		b[n + 3] = 8;
		put32(b + n + 4, 1);		/* SCSI */
		b[n + 8] = 0x01;		/* DBE */
		n += 12;
	}
	put32(b, (uint32_t)(n - 4));
	return n;
}

static size_t
cdrom_event_status(struct cdrom *cd, const uint8_t *cdb, uint8_t *b,
    struct cdrom_result *r)
{
	if (!(cdb[1] & 0x01)) {			/* only polled operation */
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return 0;
	}
	b[3] = 0x10;				/* supported: media */
	if (!(cdb[4] & 0x10)) {
		put16(b, 2);
		b[2] = 0x80;			/* no event available */
		return 4;
	}
	put16(b, 6);
	b[2] = 0x04;				/* media class */
	b[4] = 0;				/* no change */
	b[5] = 0x02;				/* media present, tray closed */
	return 8;
}

/* cdrom_read: n blocks from lba straight into the data-in buffers. */
static void
cdrom_read(struct cdrom *cd, uint64_t lba, uint64_t nblk,
    const struct iovec *din, int niov, size_t dinlen, struct cdrom_result *r)
{
	uint64_t	off, len, done = 0, want;
	ssize_t		got;
	int		i;

	if (lba > cd->blocks || nblk > cd->blocks - lba) {
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
		return;
	}
	if (nblk > CDROM_MAX_XFER / CDROM_BLOCK) {
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return;
	}
	len = nblk * CDROM_BLOCK;
	if (len > dinlen) {
		r->overrun = 1;
		return;
	}
	off = lba * CDROM_BLOCK;
	for (i = 0; i < niov && done < len; i++) {
		want = din[i].iov_len < len - done ? din[i].iov_len :
		    len - done;
		got = 0;
		/* The image's last block may be short: zeros after it. */
		if (off + done < cd->size) {
			do
				got = pread(cd->fd, din[i].iov_base,
				    (size_t)want, (off_t)(off + done));
			while (got == -1 && errno == EINTR);
			if (got < 0) {
				cdrom_fail(cd, r, KEY_MEDIUM_ERROR,
				    ASC_UNRECOVERED_READ, 0);
				return;
			}
		}
		if ((uint64_t)got < want)
			memset((uint8_t *)din[i].iov_base + got, 0,
			    (size_t)(want - (uint64_t)got));
		done += want;
	}
	r->datalen = (size_t)done;
}

void
cdrom_exec(struct cdrom *cd, const uint8_t *cdb, size_t cdblen,
    const struct iovec *din, int niov, size_t dinlen, struct cdrom_result *r)
{
	uint8_t	b[SMALL_MAX];
	size_t	n = 0, alloc = 0, need;

	memset(r, 0, sizeof(*r));
	memset(b, 0, sizeof(b));
	need = cdblen > 0 ? cdrom_cdb_len(cdb[0]) : 1;
	if (need == 0 || cdblen < need) {
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
		return;
	}
	switch (cdb[0]) {
	case OP_TEST_UNIT_READY:
	case OP_START_STOP:
	case OP_SET_CD_SPEED:
	case OP_VERIFY10:
		break;
	case OP_PREVENT_ALLOW:
		cd->locked = cdb[4] & 0x01;
		break;
	case OP_REQUEST_SENSE:
		/* The last failure's sense, then no sense. */
		memcpy(b, cd->sense, sizeof(cd->sense));
		if (b[0] == 0) {
			b[0] = 0x70;
			b[7] = CDROM_SENSE_LEN - 8;
		}
		memset(cd->sense, 0, sizeof(cd->sense));
		n = CDROM_SENSE_LEN;
		alloc = cdb[4];
		break;
	case OP_INQUIRY:
		n = cdrom_inquiry(cd, cdb, b, r);
		alloc = get16(cdb + 3);
		break;
	case OP_MODE_SENSE6:
		n = cdrom_mode_sense(cd, cdb, b, r, 0);
		alloc = cdb[4];
		break;
	case OP_MODE_SENSE10:
		n = cdrom_mode_sense(cd, cdb, b, r, 1);
		alloc = get16(cdb + 7);
		break;
	case OP_READ_CAPACITY10:
		put32(b, cd->blocks == 0 ? 0 : cd->blocks - 1 > UINT32_MAX ?
		    UINT32_MAX : (uint32_t)(cd->blocks - 1));
		put32(b + 4, CDROM_BLOCK);
		n = alloc = 8;
		break;
	case OP_SERVICE_ACTION_IN16:
		if ((cdb[1] & 0x1f) != SA_READ_CAPACITY16) {
			cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD, 0);
			return;
		}
		put64(b, cd->blocks == 0 ? 0 : cd->blocks - 1);
		put32(b + 8, CDROM_BLOCK);
		n = 32;
		alloc = get32(cdb + 10);
		break;
	case OP_READ_TOC:
		n = cdrom_read_toc(cd, cdb, b, r);
		alloc = get16(cdb + 7);
		break;
	case OP_GET_CONFIGURATION:
		n = cdrom_get_configuration(cdb, b);
		alloc = get16(cdb + 7);
		break;
	case OP_GET_EVENT_STATUS:
		n = cdrom_event_status(cd, cdb, b, r);
		alloc = get16(cdb + 7);
		break;
	case OP_READ_DISC_INFO:
		put16(b, 32 - 2);
		b[2] = 0x0e;		/* complete disc, complete session */
		b[3] = 1;		/* first track */
		b[4] = 1;		/* sessions */
		b[5] = 1;		/* first track in last session */
		b[6] = 1;		/* last track in last session */
		b[7] = 0x20;		/* unrestricted use */
		n = 32;
		alloc = get16(cdb + 7);
		break;
	case OP_REPORT_LUNS:
		put32(b, 8);		/* one LUN, 0 */
		n = 16;
		alloc = get32(cdb + 6);
		break;
	case OP_READ10:
		cdrom_read(cd, get32(cdb + 2), get16(cdb + 7), din, niov,
		    dinlen, r);
		return;
	case OP_READ12:
		cdrom_read(cd, get32(cdb + 2), get32(cdb + 6), din, niov,
		    dinlen, r);
		return;
	case OP_READ16:
		cdrom_read(cd, get64(cdb + 2), get32(cdb + 10), din, niov,
		    dinlen, r);
		return;
	case OP_WRITE10:
	case OP_WRITE12:
	case OP_WRITE16:
		cdrom_fail(cd, r, KEY_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
		return;
	default:
		cdrom_fail(cd, r, KEY_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
		return;
	}
	if (r->status != CDROM_GOOD)
		return;
	cdrom_reply(r, b, n, alloc, din, niov);
}
