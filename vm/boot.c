/* SPDX-License-Identifier: ISC */
/*
 * Direct kernel boot: what a boot file is (one table of kinds), whether it
 * fits, the bzImage (64-bit boot protocol), and what every kind's loader
 * shares: command line and initrd placement, the zero page, the boot
 * vCPU's 64-bit or 32-bit entry state. The ELF kinds: boot_elf.c.
 */
#include <sys/endian.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/kvm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "boot.h"
#include "kvm.h"
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

static int	boot_load_bzimage(struct vm *, struct vcpu *,
		    const struct boot_image *);
static int	boot_pread(int, uint8_t *, size_t, off_t);

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
	if (le16dec(buf + HDR_BOOT_FLAG) != 0xaa55) {
		*why = "not a bzImage (no boot sector signature)";
		return -1;
	}
	img->version = le16dec(buf + HDR_VERSION);
	if (img->version < 0x020c) {
		*why = "boot protocol older than 2.12 (no 64-bit entry)";
		return -1;
	}
	if (!(buf[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
		*why = "not a bzImage (zImage loads low)";
		return -1;
	}
	if (!(le16dec(buf + HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
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
	img->init_size = le32dec(buf + HDR_INIT_SIZE);
	if (img->init_size < img->kernel_size)
		img->init_size = (uint32_t)img->kernel_size;
	img->initrd_max = le32dec(buf + HDR_INITRD_ADDR_MAX);
	if (img->initrd_max == 0)
		img->initrd_max = 0x37ffffff;
	img->cmdline_max = le32dec(buf + HDR_CMDLINE_SIZE);
	if (img->cmdline_max == 0)
		img->cmdline_max = 255;
	img->hdrlen = len < sizeof(img->hdr) ? len : sizeof(img->hdr);
	memcpy(img->hdr, buf, img->hdrlen);
	return 0;
}

/*
 * Firmware: a file no other kind recognises, sized as a ROM is (a weak
 * match, so it goes last).
 */
static int
boot_match_firmware(const uint8_t *buf, size_t len, uint64_t filesize)
{
	(void)buf;
	(void)len;
	return filesize >= BOOT_FW_ALIGN && filesize <= BOOT_FW_MAX &&
	    filesize % BOOT_FW_ALIGN == 0;
}

int
boot_firmware_vector(const uint8_t *v)
{
	/* A far jump into segment F000 (SeaBIOS), or nop; nop; jmp near
	   (OVMF, coreboot). */
	if (v[0] == 0xea && v[3] == 0x00 && v[4] == 0xf0)
		return 0;
	if (v[0] == 0x90 && v[1] == 0x90 && v[2] == 0xe9)
		return 0;
	return -1;
}

static int
boot_check_firmware(const uint8_t *buf, size_t len, uint64_t filesize,
    struct boot_image *img, const char **why)
{
	(void)buf;
	(void)len;
	(void)filesize;
	(void)img;
	(void)why;
	return 0;
}

/*
 * boot_put_regs: the boot vCPU's sregs, and general registers all zero
 * but RFLAGS' fixed bit and rip, rsp, rsi, rbx as given. 0, or -1
 * (logged).
 */
static int
boot_put_regs(struct vcpu *bsp, const struct kvm_sregs *sregs, uint64_t rip,
    uint64_t rsp, uint64_t rsi, uint64_t rbx)
{
	struct kvm_regs	regs;

	if (ioctl(bsp->fd, KVM_SET_SREGS, sregs) == -1) {
		log_warn("%s: KVM_SET_SREGS", __func__);
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rsi = rsi;
	regs.rbx = rbx;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) == -1) {
		log_warn("%s: KVM_SET_REGS", __func__);
		return -1;
	}
	return 0;
}

/*
 * boot_firmware_regs: the boot vCPU as after a reset: real mode, CS
 * F000 with base FFFF0000, IP FFF0 (the ROM's last 16 bytes).
 */
static int
boot_firmware_regs(struct vcpu *bsp)
{
	struct kvm_sregs	sregs;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_GET_SREGS", __func__);
		return -1;
	}
	sregs.cs.selector = 0xf000;
	sregs.cs.base = 0xffff0000;
	sregs.cs.limit = 0xffff;
	sregs.cr0 &= ~0x80000001ULL;	/* PG, PE off */
	sregs.efer = 0;
	return boot_put_regs(bsp, &sregs, 0xfff0, 0, 0, 0);
}

/*
 * boot_load_firmware: read the whole image into a private mapping that
 * KVM maps read-only ending at 4 GiB (writes there exit and are dropped),
 * and copy its last 128 KiB into RAM ending at 1 MiB, where the firmware
 * shadows itself: no chipset has to unlock that range first.
 */
static int
boot_load_firmware(struct vm *vm, struct vcpu *bsp,
    const struct boot_image *img)
{
	uint64_t	 size = img->filesize, low;
	uint8_t		*rom;

	rom = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom == MAP_FAILED) {
		log_warn("%s: mmap", __func__);
		return -1;
	}
	if (boot_pread(vm->params.kernel_fd, rom, size, 0) == -1) {
		log_warn("firmware: read");
		munmap(rom, size);
		return -1;
	}
	low = size < BOOT_FW_LOW ? size : BOOT_FW_LOW;
	if (mem_write(&vm->mem, PLAT_HIGHMEM_START - low, rom + size - low,
	    low) == -1) {
		log_warn("firmware: below 1 MiB");
		munmap(rom, size);
		return -1;
	}
	if (kvm_map_rom(vm, PLAT_PCI_HOLE_END - size, rom, size) == -1) {
		munmap(rom, size);
		return -1;
	}
	vm->rom = rom;
	vm->rom_size = size;
	return boot_firmware_regs(bsp);
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
	{ BOOT_KIND_ELF, "ELF vmlinux", boot_elf_match, boot_elf_check,
	    boot_elf_load },
	/* Never matched: boot_elf_notes turns an ELF file into it. */
	{ BOOT_KIND_PVH, "ELF vmlinux with a PVH entry", NULL, NULL,
	    boot_elf_load },
	{ BOOT_KIND_FIRMWARE, "firmware image", boot_match_firmware,
	    boot_check_firmware, boot_load_firmware },
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
	    "no ELF header), nor a firmware image (size not a multiple of "
	    "64 KiB from 64 KiB to 16 MiB)";
	return -1;
}

int
boot_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
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
	if (img->kind == BOOT_KIND_FIRMWARE) {
		/* Sized as a ROM: it must also start as one (its last 16). */
		if (boot_pread(fd, buf, BOOT_FW_VECTOR, (off_t)(img->filesize -
		    BOOT_FW_VECTOR)) == -1 || boot_firmware_vector(buf) == -1) {
			img->kind = BOOT_KIND_NONE;
			*why = "not a bzImage or ELF kernel (no Linux boot "
			    "protocol header, no ELF header), nor a firmware "
			    "image (no jump into the BIOS at its reset vector)";
			return -1;
		}
		return 0;
	}
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
		le64enc(table + i * 20, e[i][0]);
		le64enc(table + i * 20 + 8, e[i][1]);
		le32enc(table + i * 20 + 16, (uint32_t)e[i][2]);
	}
	return n;
}

int
boot_read_into(struct vm *vm, int fd, off_t off, uint64_t gpa, size_t len,
    const char *what)
{
	uint8_t	*p;

	if ((p = mem_gpa2hva(&vm->mem, gpa, len)) == NULL) {
		log_warnx("%s: %s does not fit in guest memory", __func__,
		    what);
		errno = ENOMEM;
		return -1;
	}
	if (boot_pread(fd, p, len, off) == -1) {
		log_warn("%s: short read of %s", __func__, what);
		return -1;
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

/* A GDT matching the registers boot_set_regs sets. */
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

/*
 * boot_set_regs: the boot vCPU at entry with flat segments from the boot
 * GDT and a busy TSS at 0; long: the 64-bit entry (paging through the
 * boot page tables, RSI = the zero page), else the PVH entry (32-bit
 * protected mode, paging off, CR4 and EFER clear, EBX = start info).
 * IF and TF clear either way. 0, or -1 (logged).
 */
static int
boot_set_regs(struct vcpu *bsp, int longmode, uint64_t entry, uint64_t arg)
{
	struct kvm_sregs	sregs;
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
	seg.selector = BOOT_CS;
	seg.type = 11;		/* execute/read, accessed */
	seg.l = longmode;
	seg.db = !longmode;
	sregs.cs = seg;
	seg.selector = BOOT_DS;
	seg.type = 3;		/* read/write, accessed */
	seg.l = 0;
	seg.db = 1;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	memset(&seg, 0, sizeof(seg));
	seg.selector = BOOT_TSS;
	seg.limit = 0x67;
	seg.type = 11;		/* busy TSS (64- or 32-bit) */
	seg.present = 1;
	sregs.tr = seg;
	sregs.gdt.base = PLAT_BOOT_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	if (longmode) {
		sregs.cr0 = 0x80000011ULL;	/* PG | ET | PE */
		sregs.cr3 = PLAT_BOOT_PML4;
		sregs.cr4 = 0x20;		/* PAE */
		sregs.efer = 0x500;		/* LMA | LME */
	} else {
		sregs.cr0 = 0x11ULL;		/* ET (read-only) | PE */
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (longmode)
		return boot_put_regs(bsp, &sregs, entry, PLAT_BOOT_PML4 - 16,
		    arg, 0);
	return boot_put_regs(bsp, &sregs, entry, 0, 0, arg);
}

int
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

int
boot_write_args(struct vm *vm, const struct boot_args *a)
{
	if (a->initrd_size > 0 && boot_read_into(vm, vm->params.initrd_fd, 0,
	    a->initrd_addr, a->initrd_size, "initrd") == -1)
		return -1;
	return mem_write(&vm->mem, PLAT_BOOT_CMDLINE,
	    a->cmdlen ? vm->params.cmdline : "", a->cmdlen + 1);
}

int
boot_enter64(struct vm *vm, struct vcpu *bsp, uint64_t entry,
    const struct boot_args *a, const struct boot_image *bz)
{
	uint8_t		*zp;
	size_t		 hdrend;

	zp = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(zp, 0, 4096);
	if (bz != NULL) {
		/* The kernel's setup header, as far as it says it goes. */
		hdrend = 0x202 + bz->hdr[0x201];
		if (hdrend > bz->hdrlen)
			hdrend = bz->hdrlen;
		memcpy(zp + BP_HDR, bz->hdr + BP_HDR, hdrend - BP_HDR);
		zp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
		le32enc(zp + HDR_HEAP_END_PTR, 0xfe00);
		le32enc(zp + HDR_CODE32_START, PLAT_KERNEL_ADDR);
	} else {
		/* A setup header of our own: the file has none. */
		le16enc(zp + HDR_BOOT_FLAG, 0xaa55);
		memcpy(zp + HDR_MAGIC, "HdrS", 4);
		le16enc(zp + HDR_VERSION, 0x020f);
		zp[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
		le32enc(zp + HDR_CMDLINE_SIZE, PLAT_BOOT_CMDLINE_MAX - 1);
	}
	zp[HDR_TYPE_OF_LOADER] = 0xff;
	le32enc(zp + HDR_CMD_LINE_PTR, PLAT_BOOT_CMDLINE);
	le32enc(zp + BP_EXT_CMD_LINE_PTR, 0);
	le32enc(zp + HDR_RAMDISK_IMAGE, (uint32_t)a->initrd_addr);
	le32enc(zp + HDR_RAMDISK_SIZE, (uint32_t)a->initrd_size);
	le32enc(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(a->initrd_addr >> 32));
	le32enc(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(a->initrd_size >> 32));
	le64enc(zp + BP_ACPI_RSDP, vm->acpi_rsdp);
	zp[BP_E820_ENTRIES] = (uint8_t)boot_e820(vm->mem.size,
	    zp + BP_E820_TABLE, BP_E820_MAX);
	boot_page_tables(vm);
	boot_gdt(vm, 1);
	return boot_set_regs(bsp, 1, entry, PLAT_BOOT_ZEROPAGE);
}

int
boot_enter32(struct vm *vm, struct vcpu *bsp, uint64_t entry, uint64_t ebx)
{
	boot_gdt(vm, 0);
	return boot_set_regs(bsp, 0, entry, ebx);
}

static int
boot_load_bzimage(struct vm *vm, struct vcpu *bsp,
    const struct boot_image *imgp)
{
	struct boot_image	 img = *imgp;
	struct boot_args	 a;
	struct boot_seg		 kernel;
	const char		*why;

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
	return boot_enter64(vm, bsp, PLAT_KERNEL_ADDR + 0x200, &a, &img);
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
