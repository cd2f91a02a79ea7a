/* SPDX-License-Identifier: ISC */
/*
 * Boot: what a boot file is (a kernel or a firmware image), and loading it
 * into guest RAM.
 */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <sys/types.h>

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
	BOOT_KIND_ELF,		/* ELF64 vmlinux: 64-bit entry, zero page */
	BOOT_KIND_PVH,		/* ELF64 with a PVH entry note (Xen ABI) */
	BOOT_KIND_FIRMWARE,	/* a BIOS ROM, entered at F000:FFF0 */
};

/*
 * A firmware image is any file that no other kind recognises whose size
 * is a multiple of 64 KiB from 64 KiB to 16 MiB: it is mapped read-only
 * ending at 4 GiB (the top 16 MiB stays clear of the IOAPIC and LAPIC
 * pages) and its last 128 KiB (or all of it, if smaller) also end at
 * 1 MiB, in RAM.
 */
#define BOOT_FW_ALIGN		(64ULL << 10)
#define BOOT_FW_MAX		(16ULL << 20)
#define BOOT_FW_LOW		(128ULL << 10)
#define BOOT_FW_VECTOR		16	/* the reset vector: the last bytes */

/* How much of the file's start boot_probe reads for boot_check. */
#define BOOT_HDR_MAX	4096
#define BOOT_ELF_MAX_PHDRS 64		/* program headers we read */
#define BOOT_ELF_MAX_SEGS 16		/* PT_LOAD segments we load */
#define BOOT_ELF_MAX_NOTES 8		/* PT_NOTE segments we read */
#define BOOT_ELF_NOTE_MAX 65536		/* bytes in one PT_NOTE segment */

/* An ELF file's PT_LOAD segment, or (off, filesz only) PT_NOTE. */
struct boot_seg {
	uint64_t	 off;		/* in the file */
	uint64_t	 filesz;
	uint64_t	 paddr;		/* guest physical address */
	uint64_t	 memsz;		/* zeroed from filesz up to here */
	uint64_t	 align;
};

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
	/* BOOT_KIND_ELF and BOOT_KIND_PVH: from the ELF program headers. */
	uint64_t	 entry;		/* e_entry, or the PVH note's entry */
	struct boot_seg	 seg[BOOT_ELF_MAX_SEGS];
	int		 nseg;
	struct boot_seg	 note[BOOT_ELF_MAX_NOTES];
	int		 nnote;
	int		 pvh_notes;	/* PHYS32_ENTRY notes seen */
	char		 whybuf[160];	/* room for a message with numbers */
};

/*
 * boot_firmware_vector: 0 if the BOOT_FW_VECTOR bytes at v (a firmware
 * image's last ones, where the CPU starts) begin with a jump into the
 * BIOS (ljmp F000:..., or nop; nop; jmp near), else -1. boot_probe
 * checks it after boot_check matched a firmware image by its size.
 */
int	boot_firmware_vector(const uint8_t *v);
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
 * The ELF steps boot_probe takes after boot_check, for each PT_NOTE
 * segment i (buf holds its note[i].filesz bytes), then once at the end:
 * a XEN_ELFNOTE_PHYS32_ENTRY note makes the file BOOT_KIND_PVH, and the
 * entry point must lie in a loaded segment. 0, or -1 with *why set.
 */
int	boot_elf_notes(struct boot_image *, int i, const uint8_t *buf,
	    size_t len, const char **why);
int	boot_elf_entry(struct boot_image *, const char **why);
/*
 * boot_fit: does the checked file fit a guest of memsize bytes of RAM?
 * 0, or -1 with *why set (it may point into the boot_image).
 */
int	boot_fit(struct boot_image *, uint64_t memsize, const char **why);
/*
 * boot_load: load vm->params kernel, initrd and command line into guest
 * RAM as the file's kind says, and set the boot vCPU's registers. 0, or
 * -1 with a logged message; a bad file is refused before guest memory is
 * written.
 */
int	boot_load(struct vm *, struct vcpu *bsp);
/* boot_e820: fill up to max entries for memsize; returns the count. */
int	boot_e820(uint64_t memsize, uint8_t *table, int max);

/*
 * Between boot.c and the loaders of each kind (boot_elf.c). Each loader
 * checks everything (boot_fit, boot_args) before it writes guest memory.
 */
struct boot_args {			/* what goes beside the kernel */
	size_t		 cmdlen;
	uint64_t	 initrd_addr;
	uint64_t	 initrd_size;
};
/* [a, a + alen) and [b, b + blen) share a byte (no wrap: checked before). */
int	boot_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);
/*
 * boot_args: check the command line against cmdline_max and place the
 * initrd (page-aligned, as high as it fits below top and the end of low
 * RAM, clear of the nbusy ranges the kernel occupies). 0, or -1 with a
 * logged message.
 */
int	boot_args(struct vm *, uint32_t cmdline_max, uint64_t top,
	    const struct boot_seg *busy, int nbusy, struct boot_args *);
/* boot_write_args: the command line and initrd where boot_args put them. */
int	boot_write_args(struct vm *, const struct boot_args *);
/* boot_read_into: exactly len bytes at off of fd into guest RAM at gpa. */
int	boot_read_into(struct vm *, int fd, off_t off, uint64_t gpa,
	    size_t len, const char *what);
/*
 * boot_enter64: the zero page (bz's setup header, or one of our own when
 * bz is NULL; command line, initrd, RSDP, e820), identity page tables and
 * a GDT, and the boot vCPU in 64-bit mode at entry with RSI = zero page.
 * boot_enter32: the PVH entry state (32-bit protected mode, paging off)
 * at entry with EBX = ebx.
 */
int	boot_enter64(struct vm *, struct vcpu *, uint64_t entry,
	    const struct boot_args *, const struct boot_image *bz);
int	boot_enter32(struct vm *, struct vcpu *, uint64_t entry, uint64_t ebx);
/* boot_elf.c: the ELF kinds' match, check and load functions. */
int	boot_elf_match(const uint8_t *, size_t, uint64_t);
int	boot_elf_check(const uint8_t *, size_t, uint64_t, struct boot_image *,
	    const char **);
int	boot_elf_load(struct vm *, struct vcpu *, const struct boot_image *);

#endif /* VM_BOOT_H */
