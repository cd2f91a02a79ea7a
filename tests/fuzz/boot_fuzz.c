/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: boot file checks (vm/boot.c boot_check): bzImage or firmware. */
#include <stddef.h>
#include <stdint.h>

#include "vm/boot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct boot_image	 img;
	const char		*why;
	uint64_t		 filesize = len;

	/* The first 8 bytes, when present, claim a file size. */
	if (len >= 8) {
		filesize = (uint64_t)data[0] | (uint64_t)data[1] << 8 |
		    (uint64_t)data[2] << 16 | (uint64_t)data[3] << 24;
		data += 8;
		len -= 8;
	}
	if (boot_check(data, len, filesize, &img, &why) == -1)
		return 0;
	if (img.kind == BOOT_KIND_FIRMWARE) {
		if (filesize % BOOT_FW_ALIGN != 0 || filesize < BOOT_FW_ALIGN ||
		    filesize > BOOT_FW_MAX || img.filesize != filesize)
			__builtin_trap();
	} else if (img.kind != BOOT_KIND_BZIMAGE)
		__builtin_trap();
	else {
		if (img.setup_size >= filesize || img.kernel_size +
		    img.setup_size != filesize || img.hdrlen > len)
			__builtin_trap();
	}
	return 0;
}
