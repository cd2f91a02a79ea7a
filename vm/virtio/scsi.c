/* SPDX-License-Identifier: ISC */
/*
 * virtio-scsi: a controller with one target, 0, and one LUN, 0: the
 * CD-ROM (vm/dev/cdrom.c). Requests run on the event thread.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/vm.h"
#include "vm/dev/cdrom.h"
#include "vm/virtio/pci.h"
#include "vm/virtio/virtio.h"

#define VIRTIO_ID_SCSI		8
#define SCSI_QSIZE		128
#define SCSI_CONTROLQ		0
#define SCSI_EVENTQ		1
#define SCSI_REQUESTQ		2

/* struct virtio_scsi_config; sense_size and cdb_size are driver-writable. */
#define SCSI_CFG_NUM_QUEUES	0
#define SCSI_CFG_SEG_MAX	4
#define SCSI_CFG_MAX_SECTORS	8
#define SCSI_CFG_CMD_PER_LUN	12
#define SCSI_CFG_EVENT_SIZE	16
#define SCSI_CFG_SENSE_SIZE	20
#define SCSI_CFG_CDB_SIZE	24
#define SCSI_CFG_MAX_CHANNEL	28
#define SCSI_CFG_MAX_TARGET	30
#define SCSI_CFG_MAX_LUN	32
#define SCSI_CFG_SIZE		36

#define SCSI_SENSE_DEFAULT	96
#define SCSI_CDB_DEFAULT	32
#define SCSI_FIELD_MAX		256	/* largest sense/cdb size accepted */

/* Request header: lun[8], id u64, task_attr, prio, crn, then the CDB. */
#define SCSI_REQ_HDR		19
/* Response: sense_len, resid (u32), status_qualifier (u16), status,
   response. */
#define SCSI_RESP_HDR		12

/* Response codes. */
#define SCSI_S_OK		0
#define SCSI_S_OVERRUN		1
#define SCSI_S_BAD_TARGET	3
#define SCSI_S_FUNCTION_REJECTED 11

/* Control queue requests. */
#define SCSI_T_TMF		0
#define SCSI_T_AN_QUERY		1
#define SCSI_T_AN_SUBSCRIBE	2

/*
 * The controller. cfg, cd and req are guarded by the transport lock
 * (requests run with it held, on the event thread).
 */
struct virtio_scsi {
	struct virtio_pci	vp;
	uint8_t			cfg[SCSI_CFG_SIZE];
	struct cdrom		cd;
	struct virtq_chain	chain;
	struct iovec		din[VIRTQ_MAX_IOV];
	uint8_t			req[SCSI_REQ_HDR + SCSI_FIELD_MAX];
	uint8_t			resp[SCSI_RESP_HDR + SCSI_FIELD_MAX];
};

static void
scsi_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
scsi_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
scsi_cfg_read(struct virtio_pci *vp, uint32_t off, uint8_t *data, size_t len)
{
	struct virtio_scsi	*s = vp->softc;

	memcpy(data, s->cfg + off, len);
}

/* The driver may set the sense and CDB sizes; both are kept bounded. */
static void
scsi_cfg_write(struct virtio_pci *vp, uint32_t off, const uint8_t *data,
    size_t len)
{
	struct virtio_scsi	*s = vp->softc;
	uint32_t		 v;

	if (len != 4 || (off != SCSI_CFG_SENSE_SIZE &&
	    off != SCSI_CFG_CDB_SIZE))
		return;
	v = scsi_get32(data);
	if (v > SCSI_FIELD_MAX)
		v = SCSI_FIELD_MAX;
	scsi_put32(s->cfg + off, v);
}

/* scsi_lun_ok: the 8-byte LUN names target 0, LUN 0 (flat or single). */
static int
scsi_lun_ok(const uint8_t *lun)
{
	return lun[0] == 1 && lun[1] == 0 && (lun[2] & 0x3f) == 0 &&
	    lun[3] == 0;
}

/* scsi_request: one request chain; its response length, or -1 (broken). */
static int
scsi_request(struct virtio_scsi *s, size_t *wlen)
{
	struct cdrom_result	 r;
	struct virtq_chain	*c = &s->chain;
	uint32_t		 cdbsz, sensesz;
	size_t			 hdr, rhdr, dinlen, n;
	int			 niov;

	cdbsz = scsi_get32(s->cfg + SCSI_CFG_CDB_SIZE);
	sensesz = scsi_get32(s->cfg + SCSI_CFG_SENSE_SIZE);
	hdr = SCSI_REQ_HDR + cdbsz;
	rhdr = SCSI_RESP_HDR + sensesz;
	if (c->rlen < hdr || c->wlen < rhdr ||
	    virtq_read_buf(c, 0, s->req, hdr) != hdr)
		return -1;
	memset(s->resp, 0, rhdr);
	if (!scsi_lun_ok(s->req)) {
		s->resp[11] = SCSI_S_BAD_TARGET;
		*wlen = virtq_write_buf(c, 0, s->resp, rhdr);
		return 0;
	}
	dinlen = c->wlen - rhdr;
	niov = virtq_iov_slice(c, 1, rhdr, dinlen, s->din, VIRTQ_MAX_IOV);
	cdrom_exec(&s->cd, s->req + SCSI_REQ_HDR, cdbsz, s->din, niov, dinlen,
	    &r);
	if (r.overrun)
		s->resp[11] = SCSI_S_OVERRUN;
	else {
		n = r.senselen < sensesz ? r.senselen : sensesz;
		scsi_put32(s->resp, (uint32_t)n);
		memcpy(s->resp + SCSI_RESP_HDR, r.sense, n);
		scsi_put32(s->resp + 4, (uint32_t)(dinlen - r.datalen));
		s->resp[10] = r.status;
		s->resp[11] = SCSI_S_OK;
	}
	if (virtq_write_buf(c, 0, s->resp, rhdr) != rhdr)
		return -1;
	*wlen = rhdr + r.datalen;
	return 0;
}

/* scsi_control: task management succeeds (nothing is queued), no events. */
static int
scsi_control(struct virtio_scsi *s, size_t *wlen)
{
	struct virtq_chain	*c = &s->chain;
	uint8_t			 t[4], resp[5];

	if (virtq_read_buf(c, 0, t, 4) != 4)
		return -1;
	memset(resp, 0, sizeof(resp));
	switch (scsi_get32(t)) {
	case SCSI_T_TMF:
		*wlen = virtq_write_buf(c, 0, resp, 1);
		break;
	case SCSI_T_AN_QUERY:
	case SCSI_T_AN_SUBSCRIBE:
		*wlen = virtq_write_buf(c, 0, resp, 5);
		break;
	default:
		resp[0] = SCSI_S_FUNCTION_REJECTED;
		*wlen = virtq_write_buf(c, 0, resp, 1);
		break;
	}
	return *wlen == 0 ? -1 : 0;
}

static void
scsi_notify(struct virtio_pci *vp, int q)
{
	struct virtio_scsi	*s = vp->softc;
	size_t			 wlen = 0;
	int			 rv;

	/* The event queue keeps its buffers: we report no events. */
	if (q == SCSI_EVENTQ)
		return;
	virtio_pci_lock(vp);
	while (virtio_pci_pop(vp, q, &s->chain) == 1) {
		rv = q == SCSI_CONTROLQ ? scsi_control(s, &wlen) :
		    scsi_request(s, &wlen);
		if (rv == -1) {
			virtio_pci_fail(vp, "malformed request");
			break;
		}
		virtio_pci_push(vp, q, s->chain.head, (uint32_t)wlen);
	}
	virtio_pci_interrupt(vp, q);
	virtio_pci_unlock(vp);
}

static void
scsi_reset(struct virtio_pci *vp)
{
	struct virtio_scsi	*s = vp->softc;

	scsi_put32(s->cfg + SCSI_CFG_SENSE_SIZE, SCSI_SENSE_DEFAULT);
	scsi_put32(s->cfg + SCSI_CFG_CDB_SIZE, SCSI_CDB_DEFAULT);
	s->cd.locked = 0;
}

static const struct virtio_ops scsi_ops = {
	.name = "virtio-scsi",
	.type = VIRTIO_ID_SCSI,
	.pci_class = 0x010000,		/* SCSI storage controller */
	.nqueues = 3,
	.qsize = SCSI_QSIZE,
	.cfg_size = SCSI_CFG_SIZE,
	.cfg_read = scsi_cfg_read,
	.cfg_write = scsi_cfg_write,
	.notify = scsi_notify,
	.reset = scsi_reset,
};

struct virtio_pci *
virtio_scsi_add(struct vm *vm, int fd, uint64_t size)
{
	struct virtio_scsi	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	cdrom_init(&s->cd, fd, size);
	scsi_put32(s->cfg + SCSI_CFG_NUM_QUEUES, 1);
	scsi_put32(s->cfg + SCSI_CFG_SEG_MAX, VIRTQ_MAX_IOV - 2);
	scsi_put32(s->cfg + SCSI_CFG_MAX_SECTORS, CDROM_MAX_XFER / 512);
	scsi_put32(s->cfg + SCSI_CFG_CMD_PER_LUN, SCSI_QSIZE);
	scsi_put32(s->cfg + SCSI_CFG_EVENT_SIZE, 16);
	scsi_put32(s->cfg + SCSI_CFG_MAX_LUN, 0);
	if (virtio_pci_init(vm, &s->vp, &scsi_ops, s, 0) == -1) {
		log_warn("%s: virtio-scsi", __func__);
		return NULL;
	}
	return &s->vp;
}

int
virtio_scsi_init(struct vm *vm)
{
	struct virtio_pci	*vp;
	struct stat		 st;

	if (vm->params.cdrom_fd == -1)
		return 0;
	if (fstat(vm->params.cdrom_fd, &st) == -1) {
		log_warn("cdrom");
		return -1;
	}
	if ((vp = virtio_scsi_add(vm, vm->params.cdrom_fd,
	    (uint64_t)st.st_size)) == NULL)
		return -1;
	vm->bootslot[VM_BOOTDEV_CDROM] = vp->pci.slot;
	return 0;
}
