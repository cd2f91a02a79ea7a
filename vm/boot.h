/* SPDX-License-Identifier: ISC */
/*
 * Boot: a Linux bzImage through the x86 64-bit boot protocol, or a
 * firmware image (SeaBIOS) from the reset vector.
 */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* The kinds of boot file boot_check recognises. */
#define BOOT_KIND_BZIMAGE	1	/* Linux boot protocol >= 2.12, 64-bit */
#define BOOT_KIND_FIRMWARE	2	/* a BIOS ROM, entered at F000:FFF0 */

/*
 * A firmware image is any file without a Linux boot header whose size is a
 * multiple of 64 KiB from 64 KiB to 16 MiB: it is mapped ending at 4 GiB
 * (below the top 16 MiB stays clear of the IOAPIC and LAPIC pages) and its
 * last 128 KiB (or all of it, if smaller) also end at 1 MiB.
 */
#define BOOT_FW_ALIGN		(64ULL << 10)
#define BOOT_FW_MAX		(16ULL << 20)
#define BOOT_FW_LOW		(128ULL << 10)

/* What boot_check learns from a bzImage's setup header. */
struct boot_image {
	int		 kind;		/* BOOT_KIND_* */
	uint64_t	 filesize;
	uint16_t	 version;	/* boot protocol */
	size_t		 setup_size;	/* bytes before the protected-mode part */
	size_t		 kernel_size;	/* protected-mode part */
	uint32_t	 init_size;	/* memory the kernel needs from its load address */
	uint32_t	 initrd_max;	/* highest address for initrd's last byte */
	uint32_t	 cmdline_max;	/* longest command line, without NUL */
	uint8_t		 hdr[1024];	/* first 1024 bytes (setup header) */
	size_t		 hdrlen;
};

/*
 * boot_check: validate the first len bytes (at least 1024 when available)
 * of a file of filesize bytes as a 64-bit-capable bzImage, or else as a
 * firmware image (img->kind says which). On failure returns -1 and sets
 * *why to a message for the user.
 */
int	boot_check(const uint8_t *buf, size_t len, uint64_t filesize,
	    struct boot_image *, const char **why);
/*
 * boot_probe: read the head of vm->params.kernel_fd and check it
 * (boot_check); sets vm->boot. 0, or -1 (logged, errno ENOEXEC) if the
 * file is neither kind. The parent calls boot_check_fd on the same file
 * to refuse it before a VM process starts.
 */
int	boot_probe(struct vm *);
/* boot_check_fd: boot_check on the file open at fd. 0 or -1 (*why set). */
int	boot_check_fd(int fd, struct boot_image *, const char **why);
/*
 * boot_load: for a bzImage: load vm->params kernel, initrd and command line into guest
 * RAM, build the zero page, e820 map and boot page tables, and set the
 * boot vCPU's registers for the 64-bit entry. For a firmware image: map
 * it read-only ending at 4 GiB, copy its last 128 KiB below 1 MiB, and put
 * the boot vCPU in real mode at F000:FFF0. 0, or -1 with a logged
 * message; nothing is half-loaded on failure that the caller would run.
 */
int	boot_load(struct vm *, struct vcpu *bsp);
/* boot_e820: fill up to max entries for memsize; returns the count. */
int	boot_e820(uint64_t memsize, uint8_t *table, int max);

#endif /* VM_BOOT_H */
