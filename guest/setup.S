/* SPDX-License-Identifier: ISC */
/* The bzImage setup sectors: boot sector, setup header, 16-bit entry. */

#include "layout.h"

/*
 * A loader that uses the 16-bit boot protocol (QEMU -kernel) copies these
 * sectors to some real_seg, patches the header and jumps to real_seg+0x20:0
 * with DS = ES = SS = real_seg.  We switch to 32-bit protected mode and
 * jump to code32_start with ESI pointing at real_seg:0, which serves as
 * the zero page: the header sits at 0x1f1 as in struct boot_params, and
 * the other fields we read (acpi_rsdp_addr, ext_*, e820_entries) are zero
 * bytes of this boot sector.  We call no BIOS service: on KVM-PVM real
 * mode is emulated, and one INT 15h E820 call took seconds.  The e820 map
 * comes from QEMU's fw_cfg instead (bootinfo.c).
 */

	.section .setup, "ax"
	.code16
	.globl	setup_start
setup_start:
	/* Boot sector: nobody boots us from a floppy. */
	ljmp	$0x07c0, $1f - setup_start
1:	hlt
	jmp	1b

	.org	0x1f1
hdr:
setup_sects:	.byte	SETUP_SECTS
root_flags:	.word	0
syssize:	.long	tg_syssize
ram_size:	.word	0
vid_mode:	.word	0xffff			/* normal */
root_dev:	.word	0
boot_flag:	.word	0xaa55

	/* 0x200: the 16-bit entry point. */
	.globl	_start16
_start16:
	.byte	0xeb, start16 - 1f		/* jmp start16 */
1:
header:		.ascii	"HdrS"
version:	.word	0x020f
realmode_swtch:	.long	0
start_sys_seg:	.word	0x1000
kernel_version:	.word	kversion - 0x200
type_of_loader:	.byte	0
loadflags:	.byte	0x81			/* LOADED_HIGH | CAN_USE_HEAP */
setup_move_size: .word	0x8000
code32_start:	.long	KERNEL_ADDR
ramdisk_image:	.long	0
ramdisk_size:	.long	0
bootsect_kludge: .long	0
heap_end_ptr:	.word	0
ext_loader_ver:	.byte	0
ext_loader_type: .byte	0
cmd_line_ptr:	.long	0
initrd_addr_max: .long	0x7fffffff
kernel_alignment: .long	0x200000
relocatable_kernel: .byte 0
min_alignment:	.byte	21
xloadflags:	.word	0x0001			/* XLF_KERNEL_64 */
cmdline_size:	.long	0xffff
hardware_subarch: .long	0
hardware_subarch_data: .quad 0
payload_offset:	.long	0
payload_length:	.long	0
setup_data:	.quad	0
pref_address:	.quad	KERNEL_ADDR
init_size:	.long	tg_init_size
handover_offset: .long	0
kernel_info_offset: .long tg_kernel_info_offset
hdr_end:

start16:
	cli
	movb	$0x01, %al			/* boot timer: first insn */
	outb	%al, $DEBUG_PORT
	cld
	/* Make CS equal to DS so offsets are relative to setup_start. */
	pushw	%ds
	pushw	$2f - setup_start
	lretw
2:
	/* Our zero page is the setup area itself: see the comment above. */
	xorl	%esi, %esi
	movw	%ds, %si
	shll	$4, %esi
	/* Patch the GDT pointer with our linear address, then go 32-bit. */
	xorl	%eax, %eax
	movw	%cs, %ax
	shll	$4, %eax
	addl	$gdt16 - setup_start, %eax
	movl	%eax, %cs:(gdt16_ptr + 2 - setup_start)
	lgdtl	%cs:(gdt16_ptr - setup_start)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	movw	$0x18, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	.byte	0x66, 0xea			/* ljmpl $0x10, $KERNEL_ADDR */
	.long	KERNEL_ADDR
	.word	0x10

	.balign	8
gdt16:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff		/* 0x10: code, 32-bit, flat */
	.quad	0x00cf92000000ffff		/* 0x18: data, flat */
gdt16_end:
gdt16_ptr:
	.word	gdt16_end - gdt16 - 1
	.long	0

kversion:	.asciz	"testguest (vmd for Linux test guest)"

	.org	(SETUP_SECTS + 1) * 512
