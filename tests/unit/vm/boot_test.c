/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/boot.c: bzImage header checks and the e820 map. */
#include <string.h>

#include "helper/tap.h"
#include "vm/boot.h"
#include "vm/platform.h"

static void
mkhdr(uint8_t *b, size_t len)
{
	memset(b, 0, len);
	b[0x1f1] = 4;			/* setup_sects */
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f;		/* 2.15 */
	b[0x207] = 0x02;
	b[0x211] = 0x01;		/* LOADED_HIGH */
	b[0x236] = 0x01;		/* XLF_KERNEL_64 */
	b[0x260] = 0x00;		/* init_size 0x200000 */
	b[0x262] = 0x20;
}

static uint64_t
e820_get(const uint8_t *t, int i, int field)
{
	uint64_t	v = 0;
	int		k, off = i * 20 + field * 8, n = field == 2 ? 4 : 8;

	for (k = n - 1; k >= 0; k--)
		v = v << 8 | t[off + k];
	return v;
}

int
main(void)
{
	struct boot_image	 img;
	uint8_t			 b[1024], t[20 * 8];
	const char		*why = NULL;
	uint64_t		 ram;
	int			 n, i;

	mkhdr(b, sizeof(b));
	tap_is(boot_check(b, sizeof(b), 1 << 20, &img, &why), 0,
	    "a minimal 2.15 bzImage header is accepted");
	tap_is(img.kind, BOOT_KIND_BZIMAGE, "kind bzImage");
	tap_ok(img.setup_size == 5 * 512 && img.kernel_size ==
	    (1 << 20) - 5 * 512, "setup and kernel sizes");
	tap_is(img.init_size, 0x200000, "init_size read");

	tap_ok(boot_check(b, 512, 1000, &img, &why) == -1 &&
	    strstr(why, "too small") != NULL, "short buffer refused");
	b[0x1fe] = 0;
	tap_ok(boot_check(b, sizeof(b), (1 << 20) + 512, &img, &why) == -1 &&
	    strstr(why, "neither a bzImage") != NULL &&
	    strstr(why, "64 KiB") != NULL,
	    "no boot flag and an odd size refused");
	tap_ok(boot_check(b, sizeof(b), 128 << 10, &img, &why) == 0 &&
	    img.kind == BOOT_KIND_FIRMWARE && img.filesize == 128 << 10,
	    "no boot header, 128 KiB: a firmware image");
	tap_ok(boot_check(b, sizeof(b), 64 << 10, &img, &why) == 0 &&
	    img.kind == BOOT_KIND_FIRMWARE, "64 KiB: a firmware image");
	tap_ok(boot_check(b, sizeof(b), (16 << 20) + (64 << 10), &img,
	    &why) == -1, "over 16 MiB: not a firmware image");
	tap_ok(boot_check(b, sizeof(b), 100000, &img, &why) == -1,
	    "a truncated firmware image (not a multiple of 64 KiB) refused");
	tap_ok(boot_check(b, 512, 512, &img, &why) == -1 &&
	    strstr(why, "too small") != NULL, "512 bytes refused");
	mkhdr(b, sizeof(b));
	b[0x206] = 0x0b;
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == -1 &&
	    strstr(why, "2.12") != NULL, "protocol 2.11 refused");
	mkhdr(b, sizeof(b));
	b[0x236] = 0;
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == -1 &&
	    strstr(why, "64-bit") != NULL, "no 64-bit entry refused");
	mkhdr(b, sizeof(b));
	b[0x211] = 0;
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == -1,
	    "zImage refused");
	mkhdr(b, sizeof(b));
	b[0x1f1] = 200;
	tap_ok(boot_check(b, sizeof(b), 4096, &img, &why) == -1 &&
	    strstr(why, "truncated") != NULL, "setup beyond the file refused");
	mkhdr(b, sizeof(b));
	b[0x1f1] = 0;
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == 0 &&
	    img.setup_size == 5 * 512, "setup_sects 0 means 4");

	n = boot_e820(64ULL << 20, t, 8);
	tap_is(n, 4, "64M: four e820 entries");
	ram = 0;
	for (i = 0; i < n; i++)
		if (e820_get(t, i, 2) == 1)
			ram += e820_get(t, i, 1);
	tap_is(ram, (64ULL << 20) - (PLAT_HIGHMEM_START - PLAT_LOWMEM_END),
	    "64M: RAM is all but the legacy hole");
	n = boot_e820(5ULL << 30, t, 8);
	tap_is(n, 5, "5G: an entry above 4G");
	tap_ok(e820_get(t, 4, 0) == PLAT_PCI_HOLE_END &&
	    e820_get(t, 4, 1) == (5ULL << 30) - PLAT_PCI_HOLE_START,
	    "5G: 2G above 4G");
	tap_ok(e820_get(t, 3, 0) + e820_get(t, 3, 1) == PLAT_PCI_HOLE_START,
	    "5G: low RAM ends at the PCI hole");
	return tap_done();
}
