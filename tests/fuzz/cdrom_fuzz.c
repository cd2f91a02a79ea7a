/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: guest CDBs and buffer shapes for vm/dev/cdrom.c. */
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "vm/dev/cdrom.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ISO	(40 * CDROM_BLOCK + 100)	/* a short last block */

/*
 * Input: byte 0 the CDB length (0..32), byte 1 the number of data-in
 * buffers (0..8), bytes 2..9 their sizes (times 97 bytes), then the CDB.
 * Each buffer is malloc'ed to its exact size, so ASan catches a write
 * past any of them; the result must stay within what was given.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 fd = -1;
	static uint8_t		 bufs[8][255 * 97];
	struct cdrom		 cd;
	struct cdrom_result	 r;
	struct iovec		 iov[8];
	uint8_t			 cdb[32];
	size_t			 cdblen, total = 0;
	int			 niov, i;

	if (fd == -1) {
		uint8_t	blk[CDROM_BLOCK];

		if ((fd = memfd_create("iso", 0)) == -1)
			__builtin_trap();
		for (i = 0; i < FUZZ_ISO / CDROM_BLOCK; i++) {
			memset(blk, i, sizeof(blk));
			if (write(fd, blk, sizeof(blk)) != sizeof(blk))
				__builtin_trap();
		}
		if (write(fd, blk, 100) != 100)
			__builtin_trap();
	}
	if (len < 10)
		return 0;
	cdblen = data[0] % 33;
	niov = data[1] % 9;
	for (i = 0; i < niov; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = (size_t)data[2 + i] * 97;
		total += iov[i].iov_len;
	}
	memset(cdb, 0, sizeof(cdb));
	memcpy(cdb, data + 10, len - 10 < cdblen ? len - 10 : cdblen);
	cdrom_init(&cd, fd, FUZZ_ISO);
	cdrom_exec(&cd, cdb, cdblen, iov, niov, total, &r);
	/* A second command sees the first one's sense. */
	cdrom_exec(&cd, (const uint8_t[6]){ 0x03, 0, 0, 0, 252, 0 }, 6, iov,
	    niov, total, &r);
	if (r.datalen > total || r.senselen > CDROM_SENSE_LEN ||
	    (r.status != CDROM_GOOD && r.status != CDROM_CHECK_CONDITION))
		__builtin_trap();
	return 0;
}
