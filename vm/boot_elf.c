/* SPDX-License-Identifier: ISC */
/*
 * ELF64 kernels (a Linux vmlinux): every header field checked, PT_LOAD
 * segments loaded at their physical addresses; with a PVH entry note, the
 * PVH boot ABI (Xen's x86/HVM direct boot ABI: hvm_start_info, 32-bit
 * entry), without, the 64-bit entry with a zero page as for a bzImage.
 */
#include <sys/endian.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "boot.h"
#include "platform.h"
#include "vm.h"

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
#define PH_VADDR		16	/* u64 */
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

_Static_assert(PVH_MODLIST_OFF >= SI_SIZE &&
    PVH_MEMMAP_OFF >= PVH_MODLIST_OFF + MOD_ENTRY_SIZE,
    "hvm_start_info, module list and memory map overlap");

int
boot_elf_match(const uint8_t *buf, size_t len, uint64_t filesize)
{
	(void)filesize;
	return len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

static int
boot_elf_phdr(const uint8_t *ph, int i, struct boot_image *img,
    const char **why)
{
	struct boot_seg	*sg;
	uint64_t	 vaddr;
	uint32_t	 type = le32dec(ph + PH_TYPE);
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
	sg->off = le64dec(ph + PH_OFFSET);
	sg->filesz = le64dec(ph + PH_FILESZ);
	sg->paddr = le64dec(ph + PH_PADDR);
	sg->memsz = le64dec(ph + PH_MEMSZ);
	sg->align = le64dec(ph + PH_ALIGN);
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
	/* The gABI ties the file offset to the virtual address. */
	vaddr = le64dec(ph + PH_VADDR);
	if (sg->align > 1 && ((sg->align & (sg->align - 1)) != 0 ||
	    (sg->off & (sg->align - 1)) != (vaddr & (sg->align - 1)))) {
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

int
boot_elf_check(const uint8_t *buf, size_t len, uint64_t filesize,
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
	    le32dec(buf + EH_VERSION) != EV_CURRENT) {
		*why = "not a little-endian ELF file of version 1";
		return -1;
	}
	if (le16dec(buf + EH_MACHINE) != EM_X86_64) {
		*why = "ELF file is not for x86-64";
		return -1;
	}
	if (le16dec(buf + EH_TYPE) != ET_EXEC) {
		*why = "ELF file is not an executable";
		return -1;
	}
	if (le16dec(buf + EH_EHSIZE) < EH_SIZE ||
	    le16dec(buf + EH_PHENTSIZE) != PH_SIZE) {
		*why = "ELF header or program header size is wrong";
		return -1;
	}
	phnum = le16dec(buf + EH_PHNUM);
	phoff = le64dec(buf + EH_PHOFF);
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
	img->entry = le64dec(buf + EH_ENTRY);
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
		namesz = le32dec(buf + off);
		descsz = le32dec(buf + off + 4);
		type = le32dec(buf + off + 8);
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
			desc = descsz == 4 ? le32dec(buf + dpos) :
			    le64dec(buf + dpos);
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
 * The PVH start of day: hvm_start_info (version 1) in the zero page's
 * place, its module list (the initrd) and memory map after it.
 */
static void
boot_elf_start_info(struct vm *vm, const struct boot_args *a)
{
	uint8_t		*si, e820[PVH_MEMMAP_MAX * 20];
	int		 n, i;

	si = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(si, 0, 4096);
	le32enc(si + SI_MAGIC, PVH_MAGIC);
	le32enc(si + SI_VERSION, PVH_VERSION);
	le64enc(si + SI_CMDLINE, PLAT_BOOT_CMDLINE);
	le64enc(si + SI_RSDP, vm->acpi_rsdp);
	if (a->initrd_size > 0) {
		le32enc(si + SI_NR_MODULES, 1);
		le64enc(si + SI_MODLIST, PLAT_BOOT_ZEROPAGE + PVH_MODLIST_OFF);
		le64enc(si + PVH_MODLIST_OFF + MOD_PADDR, a->initrd_addr);
		le64enc(si + PVH_MODLIST_OFF + MOD_SIZE, a->initrd_size);
	}
	n = boot_e820(vm->mem.size, e820, PVH_MEMMAP_MAX);
	for (i = 0; i < n; i++)
		memcpy(si + PVH_MEMMAP_OFF + i * MM_ENTRY_SIZE, e820 + i * 20,
		    20);
	le64enc(si + SI_MEMMAP, PLAT_BOOT_ZEROPAGE + PVH_MEMMAP_OFF);
	le32enc(si + SI_MEMMAP_ENTRIES, (uint32_t)n);
}

/*
 * An ELF vmlinux: each PT_LOAD segment at its physical address, zeroed
 * past its file bytes. With a PVH note, the vCPU starts in 32-bit
 * protected mode at the note's entry with EBX = hvm_start_info; without,
 * in 64-bit mode at e_entry with RSI = a zero page, as for a bzImage.
 */
int
boot_elf_load(struct vm *vm, struct vcpu *bsp, const struct boot_image *imgp)
{
	struct boot_image	 img = *imgp;
	struct boot_args	 a;
	const struct boot_seg	*sg;
	const char		*why;
	uint8_t			*p;
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
		boot_elf_start_info(vm, &a);
		return boot_enter32(vm, bsp, img.entry, PLAT_BOOT_ZEROPAGE);
	}
	return boot_enter64(vm, bsp, img.entry, &a, NULL);
}
