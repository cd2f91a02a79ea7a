/* SPDX-License-Identifier: ISC */
/* Direct boot of a Linux bzImage through the x86 64-bit boot protocol. */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/kvm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "boot.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

/* Offsets in the zero page (struct boot_params) and its setup header. */
#define BP_ACPI_RSDP		0x070	/* u64 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_HDR			0x1f1	/* setup header starts here */
#define BP_E820_TABLE		0x2d0	/* 20-byte entries */
#define BP_E820_MAX		128

#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_HEAP_END_PTR	0x224
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_INIT_SIZE		0x260

#define LOADFLAG_LOADED_HIGH	0x01
#define LOADFLAG_CAN_USE_HEAP	0x80
#define XLF_KERNEL_64		0x01

#define E820_RAM		1
#define E820_RESERVED		2

#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define BOOT_TSS		0x20

/* ELF64 (System V gABI) fields we read: offsets in the file header... */
#define EH_CLASS		4	/* e_ident[EI_CLASS] */
#define EH_DATA			5
#define EH_IVERSION		6
#define EH_TYPE			16	/* u16 */
#define EH_MACHINE		18	/* u16 */
#define EH_VERSION		20	/* u32 */
#define EH_ENTRY		24	/* u64 */
#define EH_PHOFF		32	/* u64 */
#define EH_EHSIZE		52	/* u16 */
#define EH_PHENTSIZE		54	/* u16 */
#define EH_PHNUM		56	/* u16 */
#define EH_SIZE			64
/* ... in a program header ... */
#define PH_TYPE			0	/* u32 */
#define PH_OFFSET		8	/* u64 */
#define PH_PADDR		24	/* u64 */
#define PH_FILESZ		32	/* u64 */
#define PH_MEMSZ		40	/* u64 */
#define PH_ALIGN		48	/* u64 */
#define PH_SIZE			56
/* ... and their values. */
#define ELFCLASS64		2
#define ELFDATA2LSB		1
#define EV_CURRENT		1
#define ET_EXEC			2
#define EM_X86_64		62
#define PT_LOAD			1
#define PT_NOTE			4
#define PN_XNUM			0xffff

/* The PVH boot ABI (Xen's "x86/HVM direct boot ABI"). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MAGIC		0x336ec578
#define PVH_VERSION		1
#define SI_MAGIC		0	/* hvm_start_info: u32 */
#define SI_VERSION		4	/* u32 */
#define SI_NR_MODULES		12	/* u32 */
#define SI_MODLIST		16	/* u64 */
#define SI_CMDLINE		24	/* u64 */
#define SI_RSDP			32	/* u64 */
#define SI_MEMMAP		40	/* u64, version 1 */
#define SI_MEMMAP_ENTRIES	48	/* u32, version 1 */
#define SI_SIZE			56
#define MOD_PADDR		0	/* hvm_modlist_entry: u64 */
#define MOD_SIZE		8	/* u64 */
#define MOD_ENTRY_SIZE		32
#define MM_ENTRY_SIZE		24	/* hvm_memmap_table_entry */
/* Where they go in the zero page's place (PLAT_BOOT_ZEROPAGE). */
#define PVH_MODLIST_OFF		0x100
#define PVH_MEMMAP_OFF		0x200
#define PVH_MEMMAP_MAX		((4096 - PVH_MEMMAP_OFF) / MM_ENTRY_SIZE)

/* Linux's initrd_addr_max default: where an initrd's last byte may be. */
#define BOOT_INITRD_TOP		0x38000000ULL

static int	boot_load_bzimage(struct vm *, struct vcpu *,
		    const struct boot_image *);
static int	boot_load_elf(struct vm *, struct vcpu *,
		    const struct boot_image *);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * bzImage: the 64-bit Linux boot protocol (2.12 or later, loaded high,
 * with XLF_KERNEL_64).
 */
static int
boot_match_bzimage(const uint8_t *buf, size_t len, uint64_t filesize)
{
	(void)filesize;
	return len >= HDR_MAGIC + 4 && memcmp(buf + HDR_MAGIC, "HdrS", 4) == 0;
}

static int
boot_check_bzimage(const uint8_t *buf, size_t len, uint64_t filesize,
    struct boot_image *img, const char **why)
{
	unsigned int	 sects;

	if (len < 1024 || filesize < 1024) {
		*why = "file too small to be a bzImage";
		return -1;
	}
	if (get16(buf + HDR_BOOT_FLAG) != 0xaa55) {
		*why = "not a bzImage (no boot sector signature)";
		return -1;
	}
	img->version = get16(buf + HDR_VERSION);
	if (img->version < 0x020c) {
		*why = "boot protocol older than 2.12 (no 64-bit entry)";
		return -1;
	}
	if (!(buf[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
		*why = "not a bzImage (zImage loads low)";
		return -1;
	}
	if (!(get16(buf + HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
		*why = "kernel has no 64-bit entry point";
		return -1;
	}
	sects = buf[HDR_SETUP_SECTS];
	if (sects == 0)
		sects = 4;
	img->setup_size = (size_t)(sects + 1) * 512;
	if (img->setup_size >= filesize) {
		*why = "truncated bzImage (setup larger than file)";
		return -1;
	}
	img->kernel_size = (size_t)(filesize - img->setup_size);
	img->init_size = get32(buf + HDR_INIT_SIZE);
	if (img->init_size < img->kernel_size)
		img->init_size = (uint32_t)img->kernel_size;
	img->initrd_max = get32(buf + HDR_INITRD_ADDR_MAX);
	if (img->initrd_max == 0)
		img->initrd_max = 0x37ffffff;
	img->cmdline_max = get32(buf + HDR_CMDLINE_SIZE);
	if (img->cmdline_max == 0)
		img->cmdline_max = 255;
	img->hdrlen = len < sizeof(img->hdr) ? len : sizeof(img->hdr);
	memcpy(img->hdr, buf, img->hdrlen);
	return 0;
}


/*
 * ELF64 vmlinux: an x86-64 executable whose PT_LOAD segments go to their
 * physical addresses. Every field we use is checked here; the PT_NOTE
 * segments are read by boot_probe and checked by boot_elf_notes.
 */
static int
boot_match_elf(const uint8_t *buf, size_t len, uint64_t filesize)
{
	(void)filesize;
	return len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

/* [a, a + alen) and [b, b + blen) share a byte (no overflow: checked). */
static int
boot_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int
boot_elf_phdr(const uint8_t *ph, int i, struct boot_image *img,
    const char **why)
{
	struct boot_seg	*sg;
	uint32_t	 type = get32(ph + PH_TYPE);
	int		 j;

	if (type != PT_LOAD && type != PT_NOTE)
		return 0;
	if (type == PT_NOTE) {
		if (img->nnote == BOOT_ELF_MAX_NOTES) {
			*why = "more than 8 ELF note segments";
			return -1;
		}
		sg = &img->note[img->nnote];
	} else {
		if (img->nseg == BOOT_ELF_MAX_SEGS) {
			*why = "more than 16 ELF loadable segments";
			return -1;
		}
		sg = &img->seg[img->nseg];
	}
	memset(sg, 0, sizeof(*sg));
	sg->off = get64(ph + PH_OFFSET);
	sg->filesz = get64(ph + PH_FILESZ);
	sg->paddr = get64(ph + PH_PADDR);
	sg->memsz = get64(ph + PH_MEMSZ);
	sg->align = get64(ph + PH_ALIGN);
	if (sg->off > img->filesize || sg->filesz > img->filesize - sg->off) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF program header "
		    "%d: segment beyond the end of the file", i);
		*why = img->whybuf;
		return -1;
	}
	if (type == PT_NOTE) {
		if (sg->filesz > BOOT_ELF_NOTE_MAX) {
			snprintf(img->whybuf, sizeof(img->whybuf), "ELF note "
			    "segment of %llu bytes (at most %d)",
			    (unsigned long long)sg->filesz, BOOT_ELF_NOTE_MAX);
			*why = img->whybuf;
			return -1;
		}
		img->nnote++;
		return 0;
	}
	if (sg->memsz == 0)
		return 0;		/* nothing to load */
	if (sg->filesz > sg->memsz) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF program header "
		    "%d: file size larger than memory size", i);
		*why = img->whybuf;
		return -1;
	}
	if (sg->align > 1 && ((sg->align & (sg->align - 1)) != 0 ||
	    (sg->off & (sg->align - 1)) != (sg->paddr & (sg->align - 1)))) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF program header "
		    "%d: bad alignment 0x%llx", i,
		    (unsigned long long)sg->align);
		*why = img->whybuf;
		return -1;
	}
	if (sg->paddr < PLAT_HIGHMEM_START) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF segment at "
		    "0x%llx is below 1 MB (the loader's and BIOS area)",
		    (unsigned long long)sg->paddr);
		*why = img->whybuf;
		return -1;
	}
	if (sg->paddr > UINT64_MAX - sg->memsz ||
	    boot_overlap(sg->paddr, sg->memsz, PLAT_PCI_HOLE_START,
	    PLAT_PCI_HOLE_END - PLAT_PCI_HOLE_START)) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF segment at "
		    "0x%llx-0x%llx overlaps the PCI hole (3 GB to 4 GB)",
		    (unsigned long long)sg->paddr,
		    (unsigned long long)(sg->paddr + sg->memsz));
		*why = img->whybuf;
		return -1;
	}
	for (j = 0; j < img->nseg; j++)
		if (boot_overlap(sg->paddr, sg->memsz, img->seg[j].paddr,
		    img->seg[j].memsz)) {
			snprintf(img->whybuf, sizeof(img->whybuf), "ELF "
			    "segments overlap at 0x%llx",
			    (unsigned long long)sg->paddr);
			*why = img->whybuf;
			return -1;
		}
	img->nseg++;
	return 0;
}

static int
boot_check_elf(const uint8_t *buf, size_t len, uint64_t filesize,
    struct boot_image *img, const char **why)
{
	uint64_t	 phoff;
	unsigned int	 phnum, i;

	if (len < EH_SIZE) {
		*why = "file too small to be an ELF kernel";
		return -1;
	}
	if (buf[EH_CLASS] != ELFCLASS64) {
		*why = "not a 64-bit ELF file";
		return -1;
	}
	if (buf[EH_DATA] != ELFDATA2LSB || buf[EH_IVERSION] != EV_CURRENT ||
	    get32(buf + EH_VERSION) != EV_CURRENT) {
		*why = "not a little-endian ELF file of version 1";
		return -1;
	}
	if (get16(buf + EH_MACHINE) != EM_X86_64) {
		*why = "ELF file is not for x86-64";
		return -1;
	}
	if (get16(buf + EH_TYPE) != ET_EXEC) {
		*why = "ELF file is not an executable";
		return -1;
	}
	if (get16(buf + EH_EHSIZE) < EH_SIZE ||
	    get16(buf + EH_PHENTSIZE) != PH_SIZE) {
		*why = "ELF header or program header size is wrong";
		return -1;
	}
	phnum = get16(buf + EH_PHNUM);
	phoff = get64(buf + EH_PHOFF);
	if (phnum == 0 || phnum == PN_XNUM || phnum > BOOT_ELF_MAX_PHDRS) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF file has %u "
		    "program headers (1 to %d)", phnum, BOOT_ELF_MAX_PHDRS);
		*why = img->whybuf;
		return -1;
	}
	if (phoff < EH_SIZE || phoff > len ||
	    (uint64_t)phnum * PH_SIZE > len - phoff) {
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF program headers "
		    "are not within the first %d bytes of the file",
		    BOOT_HDR_MAX);
		*why = img->whybuf;
		return -1;
	}
	img->filesize = filesize;
	for (i = 0; i < phnum; i++)
		if (boot_elf_phdr(buf + phoff + (size_t)i * PH_SIZE, (int)i,
		    img, why) == -1)
			return -1;
	if (img->nseg == 0) {
		*why = "ELF file has nothing to load";
		return -1;
	}
	img->entry = get64(buf + EH_ENTRY);
	return 0;
}

int
boot_elf_notes(struct boot_image *img, int i, const uint8_t *buf,
    size_t len, const char **why)
{
	const uint8_t	*name;
	uint64_t	 align, namesz, descsz, type, off = 0, dpos, desc;

	if (img->kind != BOOT_KIND_ELF && img->kind != BOOT_KIND_PVH) {
		*why = "not an ELF file";
		return -1;
	}
	if (i < 0 || i >= img->nnote || len != img->note[i].filesz) {
		*why = "ELF note segment misread";
		return -1;
	}
	/* Entries are 4-byte aligned, or 8 in a segment aligned so. */
	align = img->note[i].align == 8 ? 8 : 4;
	if (img->note[i].align > 8) {
		*why = "ELF note segment alignment is not 4 or 8";
		return -1;
	}
	while (off < len) {
		if (len - off < 12) {
			*why = "ELF note header cut short";
			return -1;
		}
		namesz = get32(buf + off);
		descsz = get32(buf + off + 4);
		type = get32(buf + off + 8);
		off += 12;
		/* Name, then description, each padded to the alignment. */
		if (namesz > len - off ||
		    ((off + namesz + align - 1) & ~(align - 1)) > len) {
			*why = "ELF note name beyond its segment";
			return -1;
		}
		name = buf + off;
		dpos = (off + namesz + align - 1) & ~(align - 1);
		if (descsz > len - dpos) {
			*why = "ELF note description beyond its segment";
			return -1;
		}
		if (namesz == 4 && memcmp(name, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY) {
			if (descsz != 4 && descsz != 8) {
				*why = "PVH entry note of the wrong size";
				return -1;
			}
			desc = descsz == 4 ? get32(buf + dpos) :
			    get64(buf + dpos);
			if (desc > UINT32_MAX) {
				*why = "PVH entry point above 4 GB";
				return -1;
			}
			if (img->pvh_notes++ > 0 && desc != img->entry) {
				*why = "two PVH entry notes that disagree";
				return -1;
			}
			img->kind = BOOT_KIND_PVH;
			img->entry = desc;
		}
		/* The last note's padding may be missing. */
		off = dpos + descsz;
		off = (off + align - 1) & ~(align - 1);
	}
	return 0;
}

int
boot_elf_entry(struct boot_image *img, const char **why)
{
	int	i;

	for (i = 0; i < img->nseg; i++)
		if (img->entry >= img->seg[i].paddr &&
		    img->entry - img->seg[i].paddr < img->seg[i].filesz)
			return 0;
	snprintf(img->whybuf, sizeof(img->whybuf), "%s entry point 0x%llx "
	    "is not in a loaded segment", img->kind == BOOT_KIND_PVH ?
	    "PVH" : "ELF", (unsigned long long)img->entry);
	*why = img->whybuf;
	return -1;
}

/*
 * The kinds of boot file, tried in this order: the first whose match
 * function recognises the file decides what it is, and its check function
 * what is wrong with it. A weak match (by size alone) goes last.
 */
static const struct boot_kinds {
	enum boot_kind	  kind;
	const char	 *name;
	int		(*match)(const uint8_t *, size_t, uint64_t);
	int		(*check)(const uint8_t *, size_t, uint64_t,
			    struct boot_image *, const char **);
	int		(*load)(struct vm *, struct vcpu *,
			    const struct boot_image *);
} boot_kinds[] = {
	{ BOOT_KIND_BZIMAGE, "bzImage", boot_match_bzimage,
	    boot_check_bzimage, boot_load_bzimage },
	{ BOOT_KIND_ELF, "ELF vmlinux", boot_match_elf, boot_check_elf,
	    boot_load_elf },
	/* Never matched: boot_elf_notes turns an ELF file into it. */
	{ BOOT_KIND_PVH, "ELF vmlinux with a PVH entry", NULL, NULL,
	    boot_load_elf },
};

/* Smaller than any kind's header. */
#define BOOT_MIN_SIZE	64

#define BOOT_NKINDS	(sizeof(boot_kinds) / sizeof(boot_kinds[0]))

static const struct boot_kinds *
boot_kind_find(enum boot_kind kind)
{
	size_t	i;

	for (i = 0; i < BOOT_NKINDS; i++)
		if (boot_kinds[i].kind == kind)
			return &boot_kinds[i];
	return NULL;
}

const char *
boot_kind_name(enum boot_kind kind)
{
	const struct boot_kinds	*k;

	return (k = boot_kind_find(kind)) == NULL ? "unknown" : k->name;
}

int
boot_check(const uint8_t *buf, size_t len, uint64_t filesize,
    struct boot_image *img, const char **why)
{
	size_t	i;

	memset(img, 0, sizeof(*img));
	if (len > filesize)
		len = (size_t)filesize;
	if (len < BOOT_MIN_SIZE) {
		*why = "file too small to be a kernel";
		return -1;
	}
	for (i = 0; i < BOOT_NKINDS; i++) {
		if (boot_kinds[i].match == NULL ||
		    !boot_kinds[i].match(buf, len, filesize))
			continue;
		img->kind = boot_kinds[i].kind;
		img->filesize = filesize;
		if (boot_kinds[i].check(buf, len, filesize, img, why) == -1) {
			img->kind = BOOT_KIND_NONE;
			return -1;
		}
		return 0;
	}
	*why = "not a bzImage or ELF kernel (no Linux boot protocol header, "
	    "no ELF header)";
	return -1;
}

/* Read exactly len bytes at off; 0, or -1 (EIO at the end of the file). */
static int
boot_pread(int fd, uint8_t *p, size_t len, off_t off)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* The end of low RAM (below the PCI hole) and of high RAM (above 4G). */
static void
boot_ram_ends(uint64_t memsize, uint64_t *low, uint64_t *high)
{
	*low = memsize < PLAT_PCI_HOLE_START ? memsize : PLAT_PCI_HOLE_START;
	*high = memsize > PLAT_PCI_HOLE_START ? PLAT_PCI_HOLE_END + memsize -
	    PLAT_PCI_HOLE_START : PLAT_PCI_HOLE_END;
}

int
boot_fit(struct boot_image *img, uint64_t memsize, const char **why)
{
	uint64_t	 low, high, end;
	int		 i;

	boot_ram_ends(memsize, &low, &high);
	if (img->kind == BOOT_KIND_BZIMAGE) {
		if (PLAT_KERNEL_ADDR + img->init_size > low) {
			snprintf(img->whybuf, sizeof(img->whybuf), "kernel "
			    "needs %llu MB from 1 MB, guest has %llu MB",
			    (unsigned long long)(img->init_size >> 20),
			    (unsigned long long)(low >> 20));
			*why = img->whybuf;
			return -1;
		}
		return 0;
	}
	for (i = 0; i < img->nseg; i++) {
		end = img->seg[i].paddr + img->seg[i].memsz;
		if (end <= low || (img->seg[i].paddr >= PLAT_PCI_HOLE_END &&
		    end <= high))
			continue;
		snprintf(img->whybuf, sizeof(img->whybuf), "ELF segment at "
		    "0x%llx-0x%llx is beyond guest RAM (%llu MB)",
		    (unsigned long long)img->seg[i].paddr,
		    (unsigned long long)end,
		    (unsigned long long)(memsize >> 20));
		*why = img->whybuf;
		return -1;
	}
	return 0;
}

int
boot_probe(int fd, struct boot_image *img, const char **why)
{
	struct stat	 st;
	uint8_t		 buf[BOOT_HDR_MAX], *note;
	ssize_t		 n;
	int		 i, rc;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -1;
	}
	while ((n = pread(fd, buf, sizeof(buf), 0)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		*why = "cannot read the file";
		return -1;
	}
	if (boot_check(buf, (size_t)n, (uint64_t)st.st_size, img, why) == -1)
		return -1;
	if (img->kind != BOOT_KIND_ELF)
		return 0;
	for (i = 0; i < img->nnote; i++) {
		if ((note = malloc(img->note[i].filesz + 1)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		if (boot_pread(fd, note, (size_t)img->note[i].filesz,
		    (off_t)img->note[i].off) == -1) {
			free(note);
			*why = "cannot read an ELF note segment";
			return -1;
		}
		rc = boot_elf_notes(img, i, note, (size_t)img->note[i].filesz,
		    why);
		free(note);
		if (rc == -1)
			return -1;
	}
	return boot_elf_entry(img, why);
}

int
boot_e820(uint64_t memsize, uint8_t *table, int max)
{
	uint64_t	e[5][3];
	uint64_t	low;
	int		n = 0, i;

	low = memsize < PLAT_PCI_HOLE_START ? memsize : PLAT_PCI_HOLE_START;
	e[n][0] = 0;
	e[n][1] = PLAT_LOWMEM_END;
	e[n++][2] = E820_RAM;
	e[n][0] = PLAT_LOWMEM_END;
	e[n][1] = PLAT_EBDA_END - PLAT_LOWMEM_END;
	e[n++][2] = E820_RESERVED;
	e[n][0] = PLAT_BIOS_START;
	e[n][1] = PLAT_HIGHMEM_START - PLAT_BIOS_START;
	e[n++][2] = E820_RESERVED;
	e[n][0] = PLAT_HIGHMEM_START;
	e[n][1] = low - PLAT_HIGHMEM_START;
	e[n++][2] = E820_RAM;
	if (memsize > low) {
		e[n][0] = PLAT_PCI_HOLE_END;
		e[n][1] = memsize - low;
		e[n++][2] = E820_RAM;
	}
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		put64(table + i * 20, e[i][0]);
		put64(table + i * 20 + 8, e[i][1]);
		put32(table + i * 20 + 16, (uint32_t)e[i][2]);
	}
	return n;
}

/* Read exactly len bytes at off of fd into guest RAM at gpa. */
static int
boot_read_into(struct vm *vm, int fd, off_t off, uint64_t gpa, size_t len,
    const char *what)
{
	uint8_t	*p;
	ssize_t	 n;
	size_t	 done = 0;

	if ((p = mem_gpa2hva(&vm->mem, gpa, len)) == NULL) {
		log_warnx("%s: %s does not fit in guest memory", __func__,
		    what);
		errno = ENOMEM;
		return -1;
	}
	while (done < len) {
		n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warnx("%s: short read of %s", __func__, what);
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static void
boot_page_tables(struct vm *vm)
{
	uint64_t	*pml4, *pdpt, *pd;
	int		 i;

	pml4 = mem_gpa2hva(&vm->mem, PLAT_BOOT_PML4, 4096);
	pdpt = mem_gpa2hva(&vm->mem, PLAT_BOOT_PDPT, 4096);
	pd = mem_gpa2hva(&vm->mem, PLAT_BOOT_PD, 4 * 4096);
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PLAT_BOOT_PDPT | 0x3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PLAT_BOOT_PD + (uint64_t)i * 4096) | 0x3;
	/* Identity-map the first 4G with 2M pages (present, rw, PS). */
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
}

/* A GDT matching the registers boot_set_regs(32) sets. */
static void
boot_gdt(struct vm *vm, int longmode)
{
	uint64_t	*gdt;

	gdt = mem_gpa2hva(&vm->mem, PLAT_BOOT_GDT, 5 * 8);
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BOOT_CS / 8] = longmode ? 0x00af9b000000ffffULL :	/* 64-bit */
	    0x00cf9b000000ffffULL;				/* 32-bit */
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffULL;	/* flat data */
	gdt[BOOT_TSS / 8] = 0x00008b0000000067ULL;	/* busy TSS at 0 */
}

static int
boot_set_regs(struct vcpu *bsp, uint64_t entry)
{
	struct kvm_sregs	sregs;
	struct kvm_regs		regs;
	struct kvm_segment	seg;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_GET_SREGS", __func__);
		return -1;
	}
	memset(&seg, 0, sizeof(seg));
	seg.base = 0;
	seg.limit = 0xffffffff;
	seg.present = 1;
	seg.s = 1;
	seg.g = 1;
	seg.selector = BOOT_CS;
	seg.type = 11;		/* execute/read, accessed */
	seg.l = 1;
	sregs.cs = seg;
	seg.selector = BOOT_DS;
	seg.type = 3;		/* read/write, accessed */
	seg.l = 0;
	seg.db = 1;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	memset(&seg, 0, sizeof(seg));
	seg.selector = BOOT_TSS;
	seg.limit = 0x67;
	seg.type = 11;		/* 64-bit busy TSS */
	seg.present = 1;
	sregs.tr = seg;
	sregs.gdt.base = PLAT_BOOT_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x80000011ULL;	/* PG | ET | PE */
	sregs.cr3 = PLAT_BOOT_PML4;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA | LME */
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_SET_SREGS", __func__);
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = entry;
	regs.rsi = PLAT_BOOT_ZEROPAGE;
	regs.rsp = PLAT_BOOT_PML4 - 16;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) == -1) {
		log_warn("%s: KVM_SET_REGS", __func__);
		return -1;
	}
	return 0;
}

/*
 * The PVH entry state: 32-bit protected mode, paging off (CR0 = PE, CR4
 * and EFER clear), flat 32-bit CS, DS, ES and SS, a 32-bit busy TSS at 0
 * with limit 0x67, IF and TF clear, EBX = the start info's address.
 */
static int
boot_set_regs32(struct vcpu *bsp, uint64_t entry, uint64_t start_info)
{
	struct kvm_sregs	sregs;
	struct kvm_regs		regs;
	struct kvm_segment	seg;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_GET_SREGS", __func__);
		return -1;
	}
	memset(&seg, 0, sizeof(seg));
	seg.limit = 0xffffffff;
	seg.present = 1;
	seg.s = 1;
	seg.g = 1;
	seg.db = 1;
	seg.selector = BOOT_CS;
	seg.type = 11;		/* execute/read, accessed */
	sregs.cs = seg;
	seg.selector = BOOT_DS;
	seg.type = 3;		/* read/write, accessed */
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	memset(&seg, 0, sizeof(seg));
	seg.selector = BOOT_TSS;
	seg.limit = 0x67;
	seg.type = 11;		/* 32-bit busy TSS */
	seg.present = 1;
	sregs.tr = seg;
	sregs.gdt.base = PLAT_BOOT_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11ULL;	/* ET (read-only) | PE */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_SET_SREGS", __func__);
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = entry;
	regs.rbx = start_info;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) == -1) {
		log_warn("%s: KVM_SET_REGS", __func__);
		return -1;
	}
	return 0;
}

/* What goes beside the kernel: command line and initrd. */
struct boot_args {
	size_t		 cmdlen;
	uint64_t	 initrd_addr;
	uint64_t	 initrd_size;
};

/*
 * boot_args: check the command line against cmdline_max and place the
 * initrd (page-aligned, as high as it fits below top, clear of the nbusy
 * ranges the kernel occupies). 0, or -1 with a logged message.
 */
static int
boot_args(struct vm *vm, uint32_t cmdline_max, uint64_t top,
    const struct boot_seg *busy, int nbusy, struct boot_args *a)
{
	struct stat	 st;
	uint64_t	 low, high, addr;
	int		 i, moved;

	memset(a, 0, sizeof(*a));
	if (vm->params.cmdline != NULL) {
		a->cmdlen = strlen(vm->params.cmdline);
		if (a->cmdlen > cmdline_max ||
		    a->cmdlen + 1 > PLAT_BOOT_CMDLINE_MAX) {
			log_warnx("kernel: command line of %zu bytes is longer "
			    "than the kernel's limit of %u", a->cmdlen,
			    cmdline_max);
			errno = E2BIG;
			return -1;
		}
	}
	if (vm->params.initrd_fd == -1)
		return 0;
	if (fstat(vm->params.initrd_fd, &st) == -1) {
		log_warn("%s: initrd", __func__);
		return -1;
	}
	if ((a->initrd_size = (uint64_t)st.st_size) == 0)
		return 0;
	boot_ram_ends(vm->mem.size, &low, &high);
	if (top > low)
		top = low;
	do {
		if (top < PLAT_HIGHMEM_START ||
		    a->initrd_size > top - PLAT_HIGHMEM_START) {
			log_warnx("initrd: %llu bytes do not fit in guest "
			    "memory beside the kernel",
			    (unsigned long long)a->initrd_size);
			errno = ENOMEM;
			return -1;
		}
		addr = (top - a->initrd_size) & ~0xfffULL;
		if (addr < PLAT_HIGHMEM_START)
			addr = top;		/* refused on the next turn */
		moved = 0;
		for (i = 0; i < nbusy; i++)
			if (boot_overlap(addr, a->initrd_size, busy[i].paddr,
			    busy[i].memsz)) {
				top = busy[i].paddr;
				moved = 1;
			}
	} while (moved);
	a->initrd_addr = addr;
	return 0;
}

/* Write the command line and the initrd where boot_args put them. */
static int
boot_write_args(struct vm *vm, const struct boot_args *a)
{
	if (a->initrd_size > 0 && boot_read_into(vm, vm->params.initrd_fd, 0,
	    a->initrd_addr, a->initrd_size, "initrd") == -1)
		return -1;
	return mem_write(&vm->mem, PLAT_BOOT_CMDLINE,
	    a->cmdlen ? vm->params.cmdline : "", a->cmdlen + 1);
}

/*
 * The zero page's fields that do not come from a setup header: command
 * line, initrd, RSDP and e820 map.
 */
static void
boot_zeropage_fill(struct vm *vm, uint8_t *zp, const struct boot_args *a)
{
	zp[HDR_TYPE_OF_LOADER] = 0xff;
	put32(zp + HDR_CMD_LINE_PTR, PLAT_BOOT_CMDLINE);
	put32(zp + BP_EXT_CMD_LINE_PTR, 0);
	put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)a->initrd_addr);
	put32(zp + HDR_RAMDISK_SIZE, (uint32_t)a->initrd_size);
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(a->initrd_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(a->initrd_size >> 32));
	put64(zp + BP_ACPI_RSDP, vm->acpi_rsdp);
	zp[BP_E820_ENTRIES] = (uint8_t)boot_e820(vm->mem.size,
	    zp + BP_E820_TABLE, BP_E820_MAX);
}

static int
boot_load_bzimage(struct vm *vm, struct vcpu *bsp,
    const struct boot_image *imgp)
{
	struct boot_image	 img = *imgp;
	struct boot_args	 a;
	struct boot_seg		 kernel;
	const char		*why;
	uint8_t			*zp;
	size_t			 hdrend;

	if (boot_fit(&img, vm->mem.size, &why) == -1) {
		log_warnx("kernel: %s", why);
		errno = ENOMEM;
		return -1;
	}
	memset(&kernel, 0, sizeof(kernel));
	kernel.paddr = PLAT_KERNEL_ADDR;
	kernel.memsz = img.init_size;
	if (boot_args(vm, img.cmdline_max, (uint64_t)img.initrd_max + 1,
	    &kernel, 1, &a) == -1)
		return -1;

	/* Everything is checked: now write guest memory. */
	if (boot_read_into(vm, vm->params.kernel_fd, (off_t)img.setup_size,
	    PLAT_KERNEL_ADDR, img.kernel_size, "kernel") == -1 ||
	    boot_write_args(vm, &a) == -1)
		return -1;
	zp = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(zp, 0, 4096);
	hdrend = 0x202 + img.hdr[0x201];
	if (hdrend > img.hdrlen)
		hdrend = img.hdrlen;
	memcpy(zp + BP_HDR, img.hdr + BP_HDR, hdrend - BP_HDR);
	zp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	put32(zp + HDR_HEAP_END_PTR, 0xfe00);
	put32(zp + HDR_CODE32_START, PLAT_KERNEL_ADDR);
	boot_zeropage_fill(vm, zp, &a);
	boot_page_tables(vm);
	boot_gdt(vm, 1);
	return boot_set_regs(bsp, PLAT_KERNEL_ADDR + 0x200);
}

/*
 * The PVH start of day: hvm_start_info (version 1) in the zero page's
 * place, its module list (the initrd) and memory map after it.
 */
static void
boot_start_info(struct vm *vm, const struct boot_args *a)
{
	uint8_t		*si, e820[PVH_MEMMAP_MAX * 20];
	int		 n, i;

	si = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(si, 0, 4096);
	put32(si + SI_MAGIC, PVH_MAGIC);
	put32(si + SI_VERSION, PVH_VERSION);
	put64(si + SI_CMDLINE, PLAT_BOOT_CMDLINE);
	put64(si + SI_RSDP, vm->acpi_rsdp);
	if (a->initrd_size > 0) {
		put32(si + SI_NR_MODULES, 1);
		put64(si + SI_MODLIST, PLAT_BOOT_ZEROPAGE + PVH_MODLIST_OFF);
		put64(si + PVH_MODLIST_OFF + MOD_PADDR, a->initrd_addr);
		put64(si + PVH_MODLIST_OFF + MOD_SIZE, a->initrd_size);
	}
	n = boot_e820(vm->mem.size, e820, PVH_MEMMAP_MAX);
	for (i = 0; i < n; i++)
		memcpy(si + PVH_MEMMAP_OFF + i * MM_ENTRY_SIZE, e820 + i * 20,
		    20);
	put64(si + SI_MEMMAP, PLAT_BOOT_ZEROPAGE + PVH_MEMMAP_OFF);
	put32(si + SI_MEMMAP_ENTRIES, (uint32_t)n);
}

/*
 * An ELF vmlinux: each PT_LOAD segment at its physical address, zeroed
 * past its file bytes. With a PVH note, the vCPU starts in 32-bit
 * protected mode at the note's entry with EBX = hvm_start_info; without,
 * in 64-bit mode at e_entry with RSI = a zero page, as for a bzImage.
 */
static int
boot_load_elf(struct vm *vm, struct vcpu *bsp, const struct boot_image *imgp)
{
	struct boot_image	 img = *imgp;
	struct boot_args	 a;
	const struct boot_seg	*sg;
	const char		*why;
	uint8_t			*zp, *p;
	int			 i;

	if (boot_fit(&img, vm->mem.size, &why) == -1) {
		log_warnx("kernel: %s", why);
		errno = ENOMEM;
		return -1;
	}
	if (boot_args(vm, PLAT_BOOT_CMDLINE_MAX - 1, BOOT_INITRD_TOP, img.seg,
	    img.nseg, &a) == -1)
		return -1;

	/* Everything is checked: now write guest memory. */
	for (i = 0; i < img.nseg; i++) {
		sg = &img.seg[i];
		if (boot_read_into(vm, vm->params.kernel_fd, (off_t)sg->off,
		    sg->paddr, (size_t)sg->filesz, "kernel") == -1)
			return -1;
		if (sg->memsz == sg->filesz)
			continue;
		if ((p = mem_gpa2hva(&vm->mem, sg->paddr + sg->filesz,
		    sg->memsz - sg->filesz)) == NULL) {
			log_warnx("kernel: segment at 0x%llx does not fit in "
			    "guest memory", (unsigned long long)sg->paddr);
			errno = ENOMEM;
			return -1;
		}
		memset(p, 0, (size_t)(sg->memsz - sg->filesz));
	}
	if (boot_write_args(vm, &a) == -1)
		return -1;
	if (img.kind == BOOT_KIND_PVH) {
		boot_start_info(vm, &a);
		boot_gdt(vm, 0);
		return boot_set_regs32(bsp, img.entry,
		    PLAT_BOOT_ZEROPAGE);
	}
	zp = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(zp, 0, 4096);
	/* A setup header of our own: the file has none. */
	put16(zp + HDR_BOOT_FLAG, 0xaa55);
	memcpy(zp + HDR_MAGIC, "HdrS", 4);
	put16(zp + HDR_VERSION, 0x020f);
	zp[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put32(zp + HDR_CMDLINE_SIZE, PLAT_BOOT_CMDLINE_MAX - 1);
	boot_zeropage_fill(vm, zp, &a);
	boot_page_tables(vm);
	boot_gdt(vm, 1);
	return boot_set_regs(bsp, img.entry);
}

int
boot_load(struct vm *vm, struct vcpu *bsp)
{
	const struct boot_kinds	*k;
	struct boot_image	 img;
	const char		*why;

	if (boot_probe(vm->params.kernel_fd, &img, &why) == -1) {
		log_warnx("kernel: %s", why);
		errno = ENOEXEC;
		return -1;
	}
	if ((k = boot_kind_find(img.kind)) == NULL) {
		errno = ENOEXEC;
		return -1;
	}
	return k->load(vm, bsp, &img);
}
