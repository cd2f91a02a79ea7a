/* SPDX-License-Identifier: ISC */
/* A read-only MMC CD-ROM logical unit over an ISO image (2048-byte blocks). */
#ifndef VM_DEV_CDROM_H
#define VM_DEV_CDROM_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#define CDROM_BLOCK		2048
#define CDROM_SENSE_LEN		18	/* fixed format */
#define CDROM_MAX_XFER		(4U << 20)	/* bytes per READ */

/* SCSI status bytes. */
#define CDROM_GOOD		0x00
#define CDROM_CHECK_CONDITION	0x02

/*
 * The unit: the image fd (read with pread only) and the sense data of
 * the last command that failed, for REQUEST SENSE. Owned by whoever holds
 * the controller's lock.
 */
struct cdrom {
	int		 fd;
	uint64_t	 blocks;		/* size / 2048, rounded up */
	uint64_t	 size;			/* image bytes */
	uint8_t		 sense[CDROM_SENSE_LEN];
	int		 locked;		/* PREVENT MEDIUM REMOVAL */
};

/*
 * What one command did: status, sense data (CHECK CONDITION), bytes put
 * in the data-in buffer, and overrun: the command wanted to transfer more
 * than the buffer holds (nothing was transferred).
 */
struct cdrom_result {
	uint8_t		 status;
	uint8_t		 sense[CDROM_SENSE_LEN];
	size_t		 senselen;
	size_t		 datalen;
	int		 overrun;
};

/*
 * cdrom_check_fd: 0 if fd holds an ISO 9660 (or UDF) image: a volume
 * descriptor "CD001" (or "BEA01") at block 16; else -1 with *why set.
 */
int	cdrom_check_fd(int fd, const char **why);
/* cdrom_init: the unit on image fd of size bytes. */
void	cdrom_init(struct cdrom *, int fd, uint64_t size);
/*
 * cdrom_exec: run the command in cdb (cdblen bytes, guest-controlled),
 * writing its data-in into the din iovecs (dinlen bytes in all). Every
 * field is checked; anything unknown or out of range ends in CHECK
 * CONDITION with sense data. Writes are refused (DATA PROTECT).
 */
void	cdrom_exec(struct cdrom *, const uint8_t *cdb, size_t cdblen,
	    const struct iovec *din, int niov, size_t dinlen,
	    struct cdrom_result *);

#endif /* VM_DEV_CDROM_H */
