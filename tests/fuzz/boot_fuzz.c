/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness: what vm/boot.c reads of a boot file: boot_check
 * (bzImage setup header, ELF header and program headers), then for an ELF
 * file its note segments (boot_elf_notes), its entry point
 * (boot_elf_entry) and whether it fits guest RAM (boot_fit), as
 * boot_probe and boot_load take them. Traps when an accepted file breaks
 * what the loader relies on.
 */
#include <stddef.h>
#include <stdint.h>

#include "vm/boot.h"
#include "vm/platform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What boot_load_elf relies on for every accepted segment. */
static void
check_segs(const struct boot_image *img)
{
	const struct boot_seg	*s, *t;
	int			 i, j, in = 0;

	if (img->nseg < 1 || img->nseg > BOOT_ELF_MAX_SEGS ||
	    img->nnote < 0 || img->nnote > BOOT_ELF_MAX_NOTES)
		__builtin_trap();
	for (i = 0; i < img->nseg; i++) {
		s = &img->seg[i];
		if (s->filesz > s->memsz || s->off > img->filesize ||
		    s->filesz > img->filesize - s->off ||
		    s->paddr < PLAT_HIGHMEM_START ||
		    s->paddr > UINT64_MAX - s->memsz ||
		    (s->paddr < PLAT_PCI_HOLE_END &&
		    s->paddr + s->memsz > PLAT_PCI_HOLE_START))
			__builtin_trap();
		for (j = 0; j < i; j++) {
			t = &img->seg[j];
			if (s->paddr < t->paddr + t->memsz &&
			    t->paddr < s->paddr + s->memsz)
				__builtin_trap();
		}
		if (img->entry >= s->paddr &&
		    img->entry - s->paddr < s->filesz)
			in = 1;
	}
	for (i = 0; i < img->nnote; i++)
		if (img->note[i].filesz > BOOT_ELF_NOTE_MAX ||
		    img->note[i].off > img->filesize ||
		    img->note[i].filesz > img->filesize - img->note[i].off)
			__builtin_trap();
	if (!in)
		__builtin_trap();
}

static void
check_fit(struct boot_image *img, uint64_t memsize)
{
	const char	*why;
	uint64_t	 low, end;
	int		 i;

	if (boot_fit(img, memsize, &why) == -1)
		return;
	low = memsize < PLAT_PCI_HOLE_START ? memsize : PLAT_PCI_HOLE_START;
	for (i = 0; i < img->nseg; i++) {
		end = img->seg[i].paddr + img->seg[i].memsz;
		if (end > low && (img->seg[i].paddr < PLAT_PCI_HOLE_END ||
		    end - PLAT_PCI_HOLE_END > memsize - low))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct boot_image	 img;
	const char		*why;
	uint64_t		 filesize = len;
	int			 i;

	/* The first 8 bytes, when present, claim a file size. */
	if (len >= 8) {
		filesize = (uint64_t)data[0] | (uint64_t)data[1] << 8 |
		    (uint64_t)data[2] << 16 | (uint64_t)data[3] << 24;
		data += 8;
		len -= 8;
	}
	if (boot_check(data, len, filesize, &img, &why) == -1) {
		if (why == NULL || img.kind != BOOT_KIND_NONE)
			__builtin_trap();
		return 0;
	}
	if (img.kind == BOOT_KIND_FIRMWARE) {
		/* Matched by its size alone, and no other kind's header. */
		if (filesize % BOOT_FW_ALIGN != 0 || filesize < BOOT_FW_ALIGN ||
		    filesize > BOOT_FW_MAX || img.filesize != filesize)
			__builtin_trap();
		return 0;
	}
	if (img.kind == BOOT_KIND_BZIMAGE) {
		if (img.setup_size >= filesize || img.kernel_size +
		    img.setup_size != filesize || img.hdrlen > len)
			__builtin_trap();
		check_fit(&img, 64ULL << 20);
		return 0;
	}
	if (img.kind != BOOT_KIND_ELF)
		__builtin_trap();
	/* The notes, where the data holds them (the rest of the file). */
	for (i = 0; i < img.nnote; i++) {
		if (img.note[i].off > len ||
		    img.note[i].filesz > len - img.note[i].off)
			return 0;
		if (boot_elf_notes(&img, i, data + img.note[i].off,
		    (size_t)img.note[i].filesz, &why) == -1)
			return 0;
	}
	if (boot_elf_entry(&img, &why) == -1)
		return 0;
	if (img.kind == BOOT_KIND_PVH && img.entry > UINT32_MAX)
		__builtin_trap();
	check_segs(&img);
	check_fit(&img, 16ULL << 20);
	check_fit(&img, 3ULL << 30);
	check_fit(&img, 6ULL << 30);
	return 0;
}
