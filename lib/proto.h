/* SPDX-License-Identifier: ISC */
/* The message table and one encoder/decoder per payload. */
#ifndef LIB_PROTO_H
#define LIB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

/* Message types: IMSG_<AREA>_<VERB>_{REQ,RESP,EVENT}. */
enum proto_type {
	IMSG_NONE = 0,
	/* launcher (vmctl run, vmm) -> VM process */
	IMSG_VMP_CREATE_REQ,	/* struct proto_vmcreate; no fd */
	IMSG_VMP_FD_REQ,	/* struct proto_fdreq; fd */
	IMSG_VMP_START_REQ,	/* empty: all is sent, boot */
	IMSG_TYPE_MAX
};

/* Which fd an IMSG_VMP_FD_REQ carries. */
enum proto_vmfd {
	PROTO_VMFD_KERNEL = 1,
	PROTO_VMFD_INITRD,
	PROTO_VMFD_CON_IN,
	PROTO_VMFD_CON_OUT,
	PROTO_VMFD_DISK,	/* raw image, read-write */
	PROTO_VMFD_DISK_RO,	/* raw image, read-only */
	PROTO_VMFD_TAP,		/* tap device, with lladdr and locked */
	PROTO_VMFD_MAX
};

#define PROTO_NAME_MAX		64	/* incl. NUL */
#define PROTO_CMDLINE_MAX	4096	/* incl. NUL */
#define PROTO_MAX_DISKS		4	/* disks per VM (vmd's limit) */
#define PROTO_MAX_NICS		4	/* interfaces per VM */

/* Decoded IMSG_VMP_CREATE_REQ. */
struct proto_vmcreate {
	char		name[PROTO_NAME_MAX];
	uint64_t	memsize;
	uint32_t	ncpus;
	char		cmdline[PROTO_CMDLINE_MAX];	/* "" if none */
};

/* proto_name: the type's name for logs. */
const char *proto_name(uint32_t type);

/*
 * Encoders write into buf (IMSG_MAX_PAYLOAD bytes) and return the payload
 * length, or -1 (EINVAL) if a field does not fit. Decoders check the exact
 * length, terminate strings and reject leftovers: 0, or -1 (EBADMSG).
 */
int	proto_vmcreate_encode(const struct proto_vmcreate *, uint8_t *buf);
int	proto_vmcreate_decode(const uint8_t *buf, size_t len,
	    struct proto_vmcreate *);
int	proto_u32_encode(uint32_t, uint8_t *buf);
int	proto_u32_decode(const uint8_t *buf, size_t len, uint32_t *);

/*
 * Decoded IMSG_VMP_FD_REQ: which fd it carries, and for PROTO_VMFD_TAP the
 * interface's MAC (all zero: the VM process generates vmd's fe:e1:bb:dN
 * address) and locked-lladdr flag. On the wire: u32 which, then for a
 * tap 6 bytes lladdr, 1 byte locked, 1 byte zero.
 */
struct proto_fdreq {
	uint32_t	which;		/* enum proto_vmfd */
	uint8_t		lladdr[6];
	uint8_t		locked;
};
int	proto_fdreq_encode(const struct proto_fdreq *, uint8_t *buf);
int	proto_fdreq_decode(const uint8_t *buf, size_t len,
	    struct proto_fdreq *);

#endif /* LIB_PROTO_H */
