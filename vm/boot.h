/* SPDX-License-Identifier: ISC */
/* Direct boot of a Linux bzImage through the x86 64-bit boot protocol. */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* What boot_check learns from a bzImage's setup header. */
struct boot_image {
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
 * of a file of filesize bytes as a 64-bit-capable bzImage. On failure
 * returns -1 and sets *why to a message for the user.
 */
int	boot_check(const uint8_t *buf, size_t len, uint64_t filesize,
	    struct boot_image *, const char **why);
/*
 * boot_load: load vm->params kernel, initrd and command line into guest
 * RAM, build the zero page, e820 map and boot page tables, and set the
 * boot vCPU's registers for the 64-bit entry. 0, or -1 with a logged
 * message; nothing is half-loaded on failure that the caller would run.
 */
int	boot_load(struct vm *, struct vcpu *bsp);
/* boot_e820: fill up to max entries for memsize; returns the count. */
int	boot_e820(uint64_t memsize, uint8_t *table, int max);

#endif /* VM_BOOT_H */
