/* SPDX-License-Identifier: ISC */
/* Direct kernel boot: what a boot file is, and loading it into guest RAM. */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

/*
 * What a boot file is. boot_check decides with one table of kinds (a
 * match and a check function per kind, tried in order); boot_load loads
 * by kind.
 */
enum boot_kind {
	BOOT_KIND_NONE = 0,
	BOOT_KIND_BZIMAGE,	/* Linux bzImage, 64-bit boot protocol */
};

/* How much of the file's start boot_probe reads for boot_check. */
#define BOOT_HDR_MAX	4096

/* What boot_check learns from a boot file. */
struct boot_image {
	enum boot_kind	 kind;
	uint64_t	 filesize;
	/* BOOT_KIND_BZIMAGE: from the setup header. */
	uint16_t	 version;	/* boot protocol */
	size_t		 setup_size;	/* bytes before the protected-mode part */
	size_t		 kernel_size;	/* protected-mode part */
	uint32_t	 init_size;	/* memory the kernel needs from its load address */
	uint32_t	 initrd_max;	/* highest address for initrd's last byte */
	uint32_t	 cmdline_max;	/* longest command line, without NUL */
	uint8_t		 hdr[1024];	/* first 1024 bytes (setup header) */
	size_t		 hdrlen;
};

/* boot_kind_name: "bzImage", ... for messages. */
const char	*boot_kind_name(enum boot_kind);
/*
 * boot_check: decide the kind of a boot file from its first len bytes
 * (BOOT_HDR_MAX when the file is that long) and its size, and check that
 * kind's header. On failure returns -1 and sets *why to a message for the
 * user.
 */
int	boot_check(const uint8_t *buf, size_t len, uint64_t filesize,
	    struct boot_image *, const char **why);
/*
 * boot_probe: boot_check on the file open at fd: what every path that
 * takes a boot file (vmd's parent, vmctl run, the VM process) calls before
 * going further. 0, or -1 with *why set.
 */
int	boot_probe(int fd, struct boot_image *, const char **why);
/*
 * boot_load: load vm->params kernel, initrd and command line into guest
 * RAM as the file's kind says, and set the boot vCPU's registers. 0, or
 * -1 with a logged message; a bad file is refused before guest memory is
 * written.
 */
int	boot_load(struct vm *, struct vcpu *bsp);
/* boot_e820: fill up to max entries for memsize; returns the count. */
int	boot_e820(uint64_t memsize, uint8_t *table, int max);

#endif /* VM_BOOT_H */
