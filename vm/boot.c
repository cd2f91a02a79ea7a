/* SPDX-License-Identifier: ISC */
/*
 * Boot: a Linux bzImage through the x86 64-bit boot protocol, or a
 * firmware image (SeaBIOS) from the reset vector.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/kvm.h>

#include <errno.h>
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

int
boot_check(const uint8_t *buf, size_t len, uint64_t filesize,
    struct boot_image *img, const char **why)
{
	unsigned int	 sects;

	memset(img, 0, sizeof(*img));
	img->filesize = filesize;
	if (len < 1024 || get16(buf + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(buf + HDR_MAGIC, "HdrS", 4) != 0) {
		/* No Linux header: a firmware image, if its size is one. */
		if (filesize >= BOOT_FW_ALIGN && filesize <= BOOT_FW_MAX &&
		    filesize % BOOT_FW_ALIGN == 0) {
			img->kind = BOOT_KIND_FIRMWARE;
			return 0;
		}
		if (len < 1024 || filesize < 1024)
			*why = "file too small to be a bzImage or a firmware "
			    "image";
		else
			*why = "neither a bzImage (no Linux boot protocol "
			    "header) nor a firmware image (size not a "
			    "multiple of 64 KiB from 64 KiB to 16 MiB)";
		return -1;
	}
	img->kind = BOOT_KIND_BZIMAGE;
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

static void
boot_gdt(struct vm *vm)
{
	uint64_t	*gdt;

	gdt = mem_gpa2hva(&vm->mem, PLAT_BOOT_GDT, 5 * 8);
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BOOT_CS / 8] = 0x00af9b000000ffffULL;	/* 64-bit code */
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

int
boot_check_fd(int fd, struct boot_image *img, const char **why)
{
	struct stat	st;
	uint8_t		buf[1024];
	ssize_t		n;

	if (fstat(fd, &st) == -1 || (n = pread(fd, buf, sizeof(buf), 0)) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -1;
	}
	return boot_check(buf, (size_t)n, (uint64_t)st.st_size, img, why);
}

int
boot_probe(struct vm *vm)
{
	const char	*why;

	if (boot_check_fd(vm->params.kernel_fd, &vm->boot, &why) == -1) {
		log_warnx("boot file: %s", why);
		errno = ENOEXEC;
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
	struct kvm_regs		regs;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_GET_SREGS", __func__);
		return -1;
	}
	sregs.cs.selector = 0xf000;
	sregs.cs.base = 0xffff0000;
	sregs.cs.limit = 0xffff;
	sregs.cr0 &= ~0x80000001ULL;	/* PG, PE off */
	sregs.efer = 0;
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) == -1) {
		log_warn("%s: KVM_SET_SREGS", __func__);
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = 0xfff0;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) == -1) {
		log_warn("%s: KVM_SET_REGS", __func__);
		return -1;
	}
	return 0;
}

/*
 * boot_firmware: read the whole image into a private mapping that KVM
 * maps read-only ending at 4 GiB (writes there exit and are dropped), and
 * copy its last 128 KiB into RAM ending at 1 MiB, where the firmware
 * shadows itself: no chipset has to unlock that range first.
 */
static int
boot_firmware(struct vm *vm, struct vcpu *bsp)
{
	uint64_t	 size = vm->boot.filesize, low;
	uint8_t		*rom;
	ssize_t		 n;
	size_t		 done = 0;

	rom = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom == MAP_FAILED) {
		log_warn("%s: mmap", __func__);
		return -1;
	}
	while (done < size) {
		n = pread(vm->params.kernel_fd, rom + done, size - done,
		    (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warnx("firmware: short read");
			munmap(rom, size);
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
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

int
boot_load(struct vm *vm, struct vcpu *bsp)
{
	struct boot_image	 img = vm->boot;
	struct stat		 st;
	uint8_t			*zp;
	uint64_t		 low, kend, initrd_addr = 0, initrd_size = 0;
	uint64_t		 top;
	size_t			 cmdlen = 0, hdrend;
	int			 fd = vm->params.kernel_fd;

	if (img.kind == BOOT_KIND_FIRMWARE)
		return boot_firmware(vm, bsp);
	if (img.kind != BOOT_KIND_BZIMAGE) {
		errno = ENOEXEC;
		return -1;
	}
	low = vm->mem.regions[0].size;
	kend = PLAT_KERNEL_ADDR + img.init_size;
	if (kend > low) {
		log_warnx("kernel: needs %llu MB from 1 MB, guest has %llu MB",
		    (unsigned long long)(img.init_size >> 20),
		    (unsigned long long)(low >> 20));
		errno = ENOMEM;
		return -1;
	}
	if (vm->params.cmdline != NULL) {
		cmdlen = strlen(vm->params.cmdline);
		if (cmdlen > img.cmdline_max ||
		    cmdlen + 1 > PLAT_BOOT_CMDLINE_MAX) {
			log_warnx("kernel: command line of %zu bytes is longer "
			    "than the kernel's limit of %u", cmdlen,
			    img.cmdline_max);
			errno = E2BIG;
			return -1;
		}
	}
	if (vm->params.initrd_fd != -1) {
		if (fstat(vm->params.initrd_fd, &st) == -1) {
			log_warn("%s: initrd", __func__);
			return -1;
		}
		initrd_size = (uint64_t)st.st_size;
		top = (uint64_t)img.initrd_max + 1;
		if (top > low)
			top = low;
		if (initrd_size > top) {
			log_warnx("initrd: %llu bytes do not fit below 0x%llx",
			    (unsigned long long)initrd_size,
			    (unsigned long long)top);
			errno = ENOMEM;
			return -1;
		}
		initrd_addr = (top - initrd_size) & ~0xfffULL;
		if (initrd_addr < kend) {
			log_warnx("initrd: %llu bytes do not fit in guest "
			    "memory beside the kernel",
			    (unsigned long long)initrd_size);
			errno = ENOMEM;
			return -1;
		}
	}

	/* Everything is checked: now write guest memory. */
	if (boot_read_into(vm, fd, (off_t)img.setup_size, PLAT_KERNEL_ADDR,
	    img.kernel_size, "kernel") == -1)
		return -1;
	if (initrd_size > 0 && boot_read_into(vm, vm->params.initrd_fd, 0,
	    initrd_addr, initrd_size, "initrd") == -1)
		return -1;
	if (mem_write(&vm->mem, PLAT_BOOT_CMDLINE,
	    cmdlen ? vm->params.cmdline : "", cmdlen + 1) == -1)
		return -1;

	zp = mem_gpa2hva(&vm->mem, PLAT_BOOT_ZEROPAGE, 4096);
	memset(zp, 0, 4096);
	hdrend = 0x202 + img.hdr[0x201];
	if (hdrend > img.hdrlen)
		hdrend = img.hdrlen;
	memcpy(zp + BP_HDR, img.hdr + BP_HDR, hdrend - BP_HDR);
	zp[HDR_TYPE_OF_LOADER] = 0xff;
	zp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	put32(zp + HDR_HEAP_END_PTR, 0xfe00);
	put32(zp + HDR_CODE32_START, PLAT_KERNEL_ADDR);
	put32(zp + HDR_CMD_LINE_PTR, PLAT_BOOT_CMDLINE);
	put32(zp + BP_EXT_CMD_LINE_PTR, 0);
	put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
	put32(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	put64(zp + BP_ACPI_RSDP, vm->acpi_rsdp);
	zp[BP_E820_ENTRIES] = (uint8_t)boot_e820(vm->mem.size,
	    zp + BP_E820_TABLE, BP_E820_MAX);

	boot_page_tables(vm);
	boot_gdt(vm);
	return boot_set_regs(bsp, PLAT_KERNEL_ADDR + 0x200);
}
