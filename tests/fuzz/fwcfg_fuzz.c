/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: a guest's fw_cfg port and DMA accesses (fwcfg.c). */
#include <string.h>

#include "vm/mem.h"
#include "vm/dev/fwcfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_RAM	(16ULL << 20)

static struct mem	 fuzz_mem;
static struct fwcfg	*fuzz_fw;

/*
 * The input is a list of 13-byte operations: op, port offset (0..15),
 * length (1..8), then 8 data bytes. Op bit 0: write (else read); op bit
 * 1: first copy the data bytes, as a DMA access, to guest RAM at the
 * address the last 4 data bytes name (wrapped into RAM, or left outside
 * it when bit 2 is set). Whatever the guest asks, every byte the device
 * writes must land inside guest RAM (ASan watches) and nothing traps.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char	 file[1000] = "fuzz";
	uint8_t			 buf[8];
	uint64_t		 gpa;
	size_t			 i, n;
	int			 k;

	if (fuzz_fw == NULL) {
		if (mem_init(&fuzz_mem, FUZZ_RAM) == -1 ||
		    (fuzz_fw = fwcfg_new(&fuzz_mem)) == NULL ||
		    fwcfg_add_file(fuzz_fw, "etc/fuzz", file,
		    sizeof(file)) == -1 ||
		    fwcfg_add_file(fuzz_fw, "etc/empty", "", 0) == -1)
			__builtin_trap();
		if (fwcfg_add_file(fuzz_fw, "etc/fuzz", "", 0) == 0)
			__builtin_trap();	/* a duplicate name */
		for (k = 0; k < FWCFG_MAX_ITEMS; k++)
			(void)fwcfg_add_file(fuzz_fw, k % 2 ? "a" : "b", "", 0);
	}
	for (i = 0; i + 13 <= len; i += 13) {
		n = (size_t)(data[i + 2] % 8) + 1;
		memcpy(buf, data + i + 3, 8);
		if (data[i] & 2) {
			gpa = (uint64_t)data[i + 9] << 24 |
			    (uint64_t)data[i + 10] << 16 |
			    (uint64_t)data[i + 11] << 8 | data[i + 12];
			if (data[i] & 4)
				gpa += FUZZ_RAM - 8;
			else
				gpa %= FUZZ_RAM - 16;
			(void)mem_write(&fuzz_mem, gpa, data + i + 1, 12);
		}
		pthread_mutex_lock(&fuzz_fw->lock);
		fwcfg_io(fuzz_fw, data[i + 1] % 16, data[i] & 1, buf,
		    data[i + 1] % 16 + n > FWCFG_PORT_LEN ? 1 : n);
		if (data[i] & 8)
			fwcfg_dma(fuzz_fw, (uint64_t)data[i + 3] << 32 |
			    (uint64_t)data[i + 4] << 16 | data[i + 5]);
		pthread_mutex_unlock(&fuzz_fw->lock);
	}
	return 0;
}
