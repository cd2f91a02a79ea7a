/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/boot.c: bzImage header checks, ELF header, program
 * header and PVH note checks, fitting into guest RAM, boot_probe on a
 * file, and the e820 map.
 */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

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

static void
le(uint8_t *p, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * An ELF64 x86-64 executable in b: the header, phnum program headers at
 * 64 (a PT_LOAD of 0x1000 bytes at file 0x1000 to 2M, memsz 0x3000,
 * entry 2M + 0x10; then a PT_NOTE of the notes at NOTE_OFF), the notes.
 */
#define ELF_SIZE	0x3000
#define NOTE_OFF	0x200
#define PH(i)		(64 + 56 * (i))

static size_t
mknote(uint8_t *p, const char *name, uint32_t type, uint64_t desc,
    uint32_t descsz)
{
	size_t	nl = strlen(name) + 1, off;

	le(p, nl, 4);
	le(p + 4, descsz, 4);
	le(p + 8, type, 4);
	memcpy(p + 12, name, nl);
	off = 12 + ((nl + 3) & ~3UL);
	le(p + off, desc, descsz > 8 ? 8 : descsz);
	return off + ((descsz + 3) & ~3UL);
}

static void
mkelf(uint8_t *b, int pvh)
{
	size_t	 n;

	memset(b, 0, ELF_SIZE);
	memcpy(b, "\177ELF", 4);
	b[4] = 2;			/* ELFCLASS64 */
	b[5] = 1;			/* little-endian */
	b[6] = 1;
	le(b + 16, 2, 2);		/* ET_EXEC */
	le(b + 18, 62, 2);		/* EM_X86_64 */
	le(b + 20, 1, 4);
	le(b + 24, 0x200010, 8);	/* e_entry */
	le(b + 32, 64, 8);		/* e_phoff */
	le(b + 52, 64, 2);
	le(b + 54, 56, 2);
	le(b + 56, 2, 2);		/* e_phnum */
	le(b + PH(0), 1, 4);		/* PT_LOAD */
	le(b + PH(0) + 8, 0x1000, 8);
	le(b + PH(0) + 16, 0xffffffff80200000ULL, 8);
	le(b + PH(0) + 24, 0x200000, 8);
	le(b + PH(0) + 32, 0x1000, 8);
	le(b + PH(0) + 40, 0x3000, 8);
	le(b + PH(0) + 48, 0x1000, 8);
	n = mknote(b + NOTE_OFF, "GNU", 3, 0x1234, 4);
	if (pvh)
		n += mknote(b + NOTE_OFF + n, "Xen", 18, 0x200100, 4);
	le(b + PH(1), 4, 4);		/* PT_NOTE */
	le(b + PH(1) + 8, NOTE_OFF, 8);
	le(b + PH(1) + 32, n, 8);
	le(b + PH(1) + 40, n, 8);
	le(b + PH(1) + 48, 4, 8);
}

/* boot_check, then the notes and the entry, as boot_probe does. */
static int
elf_all(const uint8_t *b, size_t len, struct boot_image *img,
    const char **why)
{
	int	i;

	if (boot_check(b, len, len, img, why) == -1)
		return -1;
	for (i = 0; i < img->nnote; i++)
		if (boot_elf_notes(img, i, b + img->note[i].off,
		    (size_t)img->note[i].filesz, why) == -1)
			return -1;
	return boot_elf_entry(img, why);
}

/* A one-field change to a good ELF file is refused, saying pat. */
static void
elf_bad(const uint8_t *b, size_t len, const char *pat, const char *what)
{
	struct boot_image	 img;
	const char		*why = "";
	int			 rc;

	rc = elf_all(b, len, &img, &why);
	tap_ok(rc == -1 && strstr(why, pat) != NULL, "%s: refused (%s)", what,
	    why);
}

static void
elf_tests(void)
{
	static uint8_t		 b[ELF_SIZE];
	struct boot_image	 img;
	const char		*why = "";
	size_t			 n;
	int			 i;

	mkelf(b, 0);
	tap_is(elf_all(b, sizeof(b), &img, &why), 0, "ELF without a PVH note "
	    "accepted");
	tap_ok(img.kind == BOOT_KIND_ELF && img.entry == 0x200010 &&
	    img.nseg == 1 && img.nnote == 1, "kind ELF, e_entry, one segment, "
	    "one note segment");
	tap_ok(img.seg[0].paddr == 0x200000 && img.seg[0].off == 0x1000 &&
	    img.seg[0].filesz == 0x1000 && img.seg[0].memsz == 0x3000,
	    "segment: physical address (not virtual), sizes, offset");
	mkelf(b, 1);
	tap_is(elf_all(b, sizeof(b), &img, &why), 0, "ELF with a PVH note "
	    "accepted");
	tap_ok(img.kind == BOOT_KIND_PVH && img.entry == 0x200100,
	    "kind PVH, entry from the note");
	tap_ok(strstr(boot_kind_name(img.kind), "PVH") != NULL,
	    "kind name says PVH");

	/* An 8-byte descriptor (as Linux writes it) and 8-aligned notes. */
	mkelf(b, 0);
	n = mknote(b + NOTE_OFF, "Xen", 18, 0x200200, 8);
	le(b + PH(1) + 32, n, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    img.kind == BOOT_KIND_PVH && img.entry == 0x200200,
	    "8-byte PVH entry descriptor");
	le(b + PH(1) + 48, 8, 8);
	memset(b + NOTE_OFF, 0, 64);
	le(b + NOTE_OFF, 4, 4);
	le(b + NOTE_OFF + 4, 8, 4);
	le(b + NOTE_OFF + 8, 18, 4);
	memcpy(b + NOTE_OFF + 12, "Xen", 4);
	le(b + NOTE_OFF + 16, 0x200300, 8);	/* name padded to 8: at 16 */
	le(b + PH(1) + 32, 24, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    img.kind == BOOT_KIND_PVH && img.entry == 0x200300,
	    "notes in a segment aligned to 8");
	mkelf(b, 0);
	n = mknote(b + NOTE_OFF, "Xen", 17, 0x200200, 4);
	le(b + PH(1) + 32, n, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    img.kind == BOOT_KIND_ELF, "another Xen note is not PVH");
	mkelf(b, 0);
	n = mknote(b + NOTE_OFF, "Xen", 18, 0x200200, 4);
	n += mknote(b + NOTE_OFF + n, "Xen", 18, 0x200300, 4);
	le(b + PH(1) + 32, n, 8);
	elf_bad(b, sizeof(b), "disagree", "two PVH notes that disagree");

	/* Each header field. */
	mkelf(b, 1); b[4] = 1;
	elf_bad(b, sizeof(b), "64-bit", "ELFCLASS32");
	mkelf(b, 1); b[5] = 2;
	elf_bad(b, sizeof(b), "little-endian", "big-endian");
	mkelf(b, 1); le(b + 20, 2, 4);
	elf_bad(b, sizeof(b), "version 1", "e_version 2");
	mkelf(b, 1); le(b + 18, 3, 2);
	elf_bad(b, sizeof(b), "x86-64", "EM_386");
	mkelf(b, 1); le(b + 16, 3, 2);
	elf_bad(b, sizeof(b), "not an executable", "ET_DYN");
	mkelf(b, 1); le(b + 54, 32, 2);
	elf_bad(b, sizeof(b), "size is wrong", "e_phentsize 32");
	mkelf(b, 1); le(b + 56, 0, 2);
	elf_bad(b, sizeof(b), "0 program headers", "e_phnum 0");
	mkelf(b, 1); le(b + 56, 0xffff, 2);
	elf_bad(b, sizeof(b), "program headers (1 to", "e_phnum PN_XNUM");
	mkelf(b, 1); le(b + 56, 65, 2);
	elf_bad(b, sizeof(b), "65 program headers", "e_phnum 65");
	mkelf(b, 1); le(b + 32, ELF_SIZE - 56, 8);
	elf_bad(b, ELF_SIZE - 8, "not within", "phdrs past the buffer");
	mkelf(b, 1); le(b + 32, UINT64_MAX - 8, 8);
	elf_bad(b, sizeof(b), "not within", "e_phoff near 2^64");
	mkelf(b, 1);
	tap_ok(boot_check(b, 63, 1 << 20, &img, &why) == -1,
	    "ELF header cut short");

	/* PT_LOAD fields. */
	mkelf(b, 1); le(b + PH(0) + 8, ELF_SIZE, 8);
	elf_bad(b, sizeof(b), "beyond the end of the file", "p_offset");
	mkelf(b, 1); le(b + PH(0) + 8, UINT64_MAX, 8);
	elf_bad(b, sizeof(b), "beyond the end of the file", "p_offset 2^64-1");
	mkelf(b, 1); le(b + PH(0) + 32, UINT64_MAX, 8);
	elf_bad(b, sizeof(b), "beyond the end of the file", "p_filesz 2^64-1");
	mkelf(b, 1); le(b + PH(0) + 40, 0x800, 8);
	elf_bad(b, sizeof(b), "larger than memory", "p_filesz > p_memsz");
	mkelf(b, 1); le(b + PH(0) + 24, 0x80000, 8);
	elf_bad(b, sizeof(b), "below 1 MB", "p_paddr 512K");
	mkelf(b, 1); le(b + PH(0) + 24, 0xbffff000, 8);
	elf_bad(b, sizeof(b), "PCI hole", "segment into the PCI hole");
	mkelf(b, 1); le(b + PH(0) + 24, 0xd0000000, 8);
	elf_bad(b, sizeof(b), "PCI hole", "segment in the PCI hole");
	mkelf(b, 1); le(b + PH(0) + 24, UINT64_MAX - 0xfff, 8);
	elf_bad(b, sizeof(b), "PCI hole", "p_paddr + p_memsz wraps");
	mkelf(b, 1); le(b + PH(0) + 48, 0x1800, 8);
	elf_bad(b, sizeof(b), "alignment", "p_align not a power of 2");
	mkelf(b, 1); le(b + PH(0) + 8, 0x1100, 8); le(b + PH(0) + 32, 0xf00, 8);
	elf_bad(b, sizeof(b), "alignment", "p_offset and p_vaddr disagree "
	    "modulo p_align");
	mkelf(b, 0); le(b + PH(0) + 16, 0, 8); le(b + PH(0) + 24, 0x2d6000, 8);
	le(b + 24, 0x2d6010, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    img.seg[0].paddr == 0x2d6000, "p_paddr need not agree with "
	    "p_offset modulo p_align (Linux's percpu segment)");
	mkelf(b, 1);
	le(b + 56, 3, 2);
	memcpy(b + PH(2), b + PH(0), 56);
	le(b + PH(2) + 24, 0x202000, 8);
	elf_bad(b, sizeof(b), "overlap", "overlapping segments");
	mkelf(b, 1);
	le(b + PH(0), 6, 4);		/* PT_PHDR: nothing to load */
	elf_bad(b, sizeof(b), "nothing to load", "no PT_LOAD");
	mkelf(b, 1);
	le(b + 56, 19, 2);
	for (i = 2; i < 19; i++) {
		memcpy(b + PH(i), b + PH(0), 56);
		le(b + PH(i) + 24, 0x1000000 + (uint64_t)i * 0x10000, 8);
	}
	elf_bad(b, sizeof(b), "more than 16", "17 PT_LOAD segments");
	mkelf(b, 1);
	le(b + 56, 11, 2);
	for (i = 2; i < 11; i++)
		memcpy(b + PH(i), b + PH(1), 56);
	elf_bad(b, sizeof(b), "more than 8", "9 PT_NOTE segments");

	/* Notes. */
	mkelf(b, 1); le(b + PH(1) + 32, ELF_SIZE, 8);
	elf_bad(b, sizeof(b), "beyond the end of the file",
	    "note segment beyond the file");
	mkelf(b, 1); le(b + PH(1) + 32, 70000, 8);
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == -1 &&
	    strstr(why, "at most 65536") != NULL, "note segment over 64K");
	mkelf(b, 1); le(b + PH(1) + 32, 11, 8);
	elf_bad(b, sizeof(b), "cut short", "note header cut short");
	mkelf(b, 1); le(b + NOTE_OFF, 0xfffffff0U, 4);
	elf_bad(b, sizeof(b), "name beyond", "namesz 2^32-16");
	mkelf(b, 1); le(b + NOTE_OFF + 4, 0xfffffffdU, 4);
	elf_bad(b, sizeof(b), "description beyond", "descsz 2^32-3");
	mkelf(b, 1); le(b + NOTE_OFF + 20 + 4, 2, 4);
	elf_bad(b, sizeof(b), "wrong size", "PVH descsz 2");
	mkelf(b, 0);
	n = mknote(b + NOTE_OFF, "Xen", 18, 0x100000000ULL, 8);
	le(b + PH(1) + 32, n, 8);
	elf_bad(b, sizeof(b), "above 4 GB", "PVH entry above 4G");
	mkelf(b, 1); le(b + PH(1) + 48, 16, 8);
	elf_bad(b, sizeof(b), "alignment", "note segment aligned to 16");
	mkelf(b, 1); le(b + NOTE_OFF + 20 + 16, 0x202800, 4);
	elf_bad(b, sizeof(b), "not in a loaded segment", "PVH entry in the "
	    "zeroed part (past p_filesz)");
	mkelf(b, 0); le(b + 24, 0x100000, 8);
	elf_bad(b, sizeof(b), "ELF entry point 0x100000 is not", "e_entry "
	    "outside the segments");
	mkelf(b, 1);
	tap_ok(boot_check(b, sizeof(b), sizeof(b), &img, &why) == 0 &&
	    boot_elf_notes(&img, 1, b, 10, &why) == -1 &&
	    boot_elf_notes(&img, 0, b, 10, &why) == -1,
	    "boot_elf_notes: note index and length must match the segment");

	/* boot_fit. */
	mkelf(b, 0);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    boot_fit(&img, 16ULL << 20, &why) == 0, "fits 16M");
	le(b + PH(0) + 24, 0x3000000, 8);
	le(b + 24, 0x3000010, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    boot_fit(&img, 32ULL << 20, &why) == -1 &&
	    strstr(why, "beyond guest RAM (32 MB)") != NULL,
	    "a segment at 48M does not fit 32M");
	le(b + PH(0) + 24, 0x100000000ULL, 8);
	le(b + 24, 0x100000010ULL, 8);
	tap_ok(elf_all(b, sizeof(b), &img, &why) == 0 &&
	    boot_fit(&img, 5ULL << 30, &why) == 0 &&
	    boot_fit(&img, 3ULL << 30, &why) == -1,
	    "a segment at 4G fits 5G of RAM, not 3G");
	mkhdr(b, 1024);
	boot_check(b, 1024, 1 << 20, &img, &why);
	tap_ok(boot_fit(&img, 16ULL << 20, &why) == 0 &&
	    boot_fit(&img, 2ULL << 20, &why) == -1 &&
	    strstr(why, "needs 2 MB") != NULL,
	    "bzImage: init_size against RAM");
}

/* boot_probe on a file: notes past the first 4K are read; not a pipe. */
static void
probe_tests(void)
{
	static uint8_t		 b[0x6000];
	struct boot_image	 img;
	const char		*why = "";
	size_t			 n;
	int			 fd, p[2];

	mkelf(b, 0);
	n = mknote(b + 0x5000, "Xen", 18, 0x200180, 4);
	le(b + PH(1) + 8, 0x5000, 8);
	le(b + PH(1) + 32, n, 8);
	fd = memfd_create("kernel", 0);
	tap_ok(fd != -1 && write(fd, b, sizeof(b)) == (ssize_t)sizeof(b),
	    "memfd kernel");
	tap_ok(boot_probe(fd, &img, &why) == 0 && img.kind == BOOT_KIND_PVH &&
	    img.entry == 0x200180, "boot_probe reads a note at 20K: PVH");
	tap_ok(ftruncate(fd, 0x5004) == 0 && boot_probe(fd, &img, &why) == -1,
	    "boot_probe: note segment past the end of the file refused");
	close(fd);
	tap_ok(pipe(p) == 0 && boot_probe(p[0], &img, &why) == -1 &&
	    strstr(why, "regular file") != NULL, "boot_probe: a pipe refused");
	close(p[0]);
	close(p[1]);
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
	tap_ok(img.setup_size == 5 * 512 && img.kernel_size ==
	    (1 << 20) - 5 * 512, "setup and kernel sizes");
	tap_is(img.init_size, 0x200000, "init_size read");

	tap_is(img.kind, BOOT_KIND_BZIMAGE, "kind: bzImage");
	tap_ok(strcmp(boot_kind_name(img.kind), "bzImage") == 0,
	    "kind name: bzImage");
	tap_ok(boot_check(b, 1000, 1 << 20, &img, &why) == -1 &&
	    strstr(why, "too small") != NULL &&
	    img.kind == BOOT_KIND_NONE, "short buffer refused, no kind");
	tap_ok(boot_check(b, sizeof(b), 1000, &img, &why) == -1 &&
	    strstr(why, "too small") != NULL, "short file refused");
	b[0x1fe] = 0;
	tap_ok(boot_check(b, sizeof(b), 1 << 20, &img, &why) == -1 &&
	    strstr(why, "not a bzImage") != NULL, "no boot flag refused");
	mkhdr(b, sizeof(b));
	memset(b + 0x202, 0, 4);
	tap_ok(boot_check(b, sizeof(b), (1 << 20) + 512, &img, &why) == -1 &&
	    strstr(why, "not a bzImage") != NULL &&
	    strstr(why, "nor a firmware image (size not a multiple of 64 KiB "
	    "from 64 KiB to 16 MiB)") != NULL, "no HdrS: not a kernel");
	tap_ok(boot_check(b, sizeof(b), 128 << 10, &img, &why) == 0 &&
	    img.kind == BOOT_KIND_FIRMWARE && img.filesize == 128 << 10 &&
	    strcmp(boot_kind_name(img.kind), "firmware image") == 0,
	    "no header, 128 KiB: sized as a firmware image");
	tap_ok(boot_check(b, sizeof(b), 64 << 10, &img, &why) == 0 &&
	    img.kind == BOOT_KIND_FIRMWARE, "64 KiB: sized as a firmware image");
	tap_ok(boot_check(b, sizeof(b), (16 << 20) + (64 << 10), &img,
	    &why) == -1, "over 16 MiB: not a firmware image");
	tap_ok(boot_check(b, sizeof(b), 100000, &img, &why) == -1,
	    "a truncated firmware image (not a multiple of 64 KiB) refused");
	tap_ok(boot_firmware_vector((const uint8_t[16]){ 0xea, 0x5b, 0xe0,
	    0x00, 0xf0 }) == 0, "reset vector: ljmp F000:E05B (SeaBIOS)");
	tap_ok(boot_firmware_vector((const uint8_t[16]){ 0x90, 0x90, 0xe9,
	    0x10, 0x00 }) == 0, "reset vector: nop; nop; jmp near");
	tap_ok(boot_firmware_vector((const uint8_t[16]){ 0 }) == -1 &&
	    boot_firmware_vector((const uint8_t[16]){ 0xea, 0, 0, 0, 0 }) ==
	    -1, "reset vector: zeros, or a far jump elsewhere, refused");
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

	elf_tests();
	probe_tests();

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
