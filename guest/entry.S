/* SPDX-License-Identifier: ISC */
/* Entry points (32-bit, 64-bit, AP trampoline), trap stubs and boot tables. */

#include "layout.h"

/*
 * The protected-mode part starts here, loaded at KERNEL_ADDR.  Offset 0 is
 * code32_start (32-bit boot protocol, or our own 16-bit entry); offset 0x200
 * is the 64-bit boot protocol entry (and the ELF entry point); pvh_start32
 * is the PVH entry (the Xen ELF note below).  Each records which way it
 * came (boot_entry), switches to our page tables and GDT and calls
 * cpu_boot() at CPL0 on the boot CPU's kernel stack.
 */
	.section .head, "ax"
	.code32
	.globl	startup_32
startup_32:
	cli
	movb	$0x01, %al			/* boot timer: first insn */
	outb	%al, $DEBUG_PORT
	movl	%esi, boot_zeropage
	movl	$BOOT_ENTRY_32, boot_entry
startup_32_common:
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG | PE */
	movl	%eax, %cr0
	lgdt	gdt_ptr
	ljmp	$SEL_KCODE, $start64_common

	.org	0x200
	.code64
	.globl	startup_64
startup_64:
	cli
	movb	$0x01, %al			/* boot timer: first insn */
	outb	%al, $DEBUG_PORT
	movq	%rsi, boot_zeropage
	movl	$BOOT_ENTRY_64, boot_entry
	movq	$pml4, %rax
	movq	%rax, %cr3
	lgdt	gdt_ptr
	pushq	$SEL_KCODE
	pushq	$start64_common
	lretq

/*
 * The PVH entry (Xen's x86/HVM direct boot ABI): 32-bit protected mode,
 * paging off, flat CS/DS/ES/SS, EBX = the hvm_start_info's address.  No
 * stack, GDT or IDT may be assumed; startup_32_common needs none.
 */
	.code32
	.globl	pvh_start32
pvh_start32:
	movb	$0x01, %al			/* boot timer: first insn */
	outb	%al, $DEBUG_PORT
	/* The state the ABI promises, for check_entry (a stack of ours). */
	movl	$kstacks + KSTACK_SIZE, %esp
	pushfl
	popl	boot_pvh_state
	cli
	movl	%cr0, %eax
	movl	%eax, boot_pvh_state + 4
	movl	%cr4, %eax
	movl	%eax, boot_pvh_state + 8
	movl	%ebx, boot_startinfo
	movl	$BOOT_ENTRY_PVH, boot_entry
	jmp	startup_32_common

	.code64
start64_common:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$kstacks + KSTACK_SIZE, %rsp
	cld
	call	cpu_boot
1:	hlt
	jmp	1b

/*
 * An AP comes here from the trampoline, in long mode on our page tables
 * and GDT.  It takes the next CPU index and calls ap_boot(index) at CPL0.
 */
	.text
	.globl	ap_start64
ap_start64:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$1, %eax
	lock xaddl %eax, ap_ticket
	cmpl	$MAX_CPUS, %eax
	jae	2f
	movl	%eax, %edi
	leaq	1(%rax), %rax
	imulq	$KSTACK_SIZE, %rax
	leaq	kstacks(%rax), %rsp
	cld
	call	ap_boot
2:	cli
	hlt
	jmp	2b

/*
 * enter_user(entry, stack, arg): IRETQ to entry(arg) at CPL3 on stack,
 * with IOPL 3 and interrupts off.
 */
	.globl	enter_user
enter_user:
	pushq	$SEL_UDATA
	pushq	%rsi
	pushq	$USER_RFLAGS
	pushq	$SEL_UCODE
	pushq	%rdi
	movq	%rdx, %rdi
	movl	$SEL_UDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	iretq

/*
 * Trap stubs, 16 bytes each: vector n is at trap_stubs + 16 * n.  Each
 * pushes a zero error code where the CPU pushes none, then the vector.
 */
	.balign	16
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	256
	.balign	16
	.if	(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || \
		    vec == 21 || vec == 29 || vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/*
 * The AP trampoline, copied to TRAMPOLINE by the boot CPU.  An AP starts
 * here in real mode (CS = TRAMPOLINE >> 4, IP = 0), goes through 32-bit
 * protected mode into long mode and jumps to ap_start64.
 */
	.section .rodata
	.code16
	.globl	trampoline_start, trampoline_end
trampoline_start:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tr_gdt_ptr - trampoline_start
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE32, $(TRAMPOLINE + tr32 - trampoline_start)
	.code32
tr32:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	$0x80000011, %eax		/* PG | ET | PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $ap_start64
	.balign	8
tr_gdt_ptr:
	.word	GDT_ENTRIES * 8 - 1
	.long	gdt
trampoline_end:

	/* The boot protocol's kernel_info (version 2.15). */
	.balign	4
	.globl	kernel_info
kernel_info:
	.ascii	"LToP"
	.long	kernel_info_end - kernel_info
	.long	kernel_info_end - kernel_info
	.long	0
kernel_info_end:

/*
 * Page tables: the first 4 GiB identity-mapped with 2M pages, all
 * user-accessible, 3G-4G (the MMIO hole) uncached.  CPL3 code adds
 * mappings above 4 GiB itself (pdpt is user-writable).
 */
	.data
	.balign	4096
	.globl	pml4, pdpt, pd_low
pml4:
	.quad	pdpt + 0x007
	.fill	511, 8, 0
pdpt:
	.quad	pd_low + 0x0007
	.quad	pd_low + 0x1007
	.quad	pd_low + 0x2007
	.quad	pd_low + 0x3007
	.fill	508, 8, 0
pd_low:
	.set	i, 0
	.rept	2048
	.if	i >= 1536
	.quad	(i << 21) | 0x9f		/* P RW US PWT PCD PS */
	.else
	.quad	(i << 21) | 0x87		/* P RW US PS */
	.endif
	.set	i, i + 1
	.endr

	.balign	16
	.globl	gdt, gdt_ptr
gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x08 kernel code, 64-bit */
	.quad	0x00cf92000000ffff		/* 0x10 kernel data */
	.quad	0x00cff2000000ffff		/* 0x18 user data */
	.quad	0x00affa000000ffff		/* 0x20 user code, 64-bit */
	.quad	0x00cf9a000000ffff		/* 0x28 kernel code, 32-bit */
	.fill	2 * MAX_CPUS, 8, 0		/* 0x30 TSS descriptors */
gdt_end:
	.balign	8
	.word	0, 0, 0
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt

/*
 * Each CPU's 104-byte TSS, then the I/O permission bitmap they share
 * (cpu_load points each TSS's iomap_base here): all ports allowed at
 * CPL3.  KVM-PVM does not keep IOPL 3 across IRETQ, so the bitmap is
 * what lets CPL3 do I/O.
 */
	.balign	64
	.globl	tss
tss:
	.fill	MAX_CPUS * 104, 1, 0		/* struct tss, cpu.c */
	.globl	io_bitmap
io_bitmap:
	.fill	8192, 1, 0
	.byte	0xff

	.balign	8
	.globl	boot_zeropage, boot_startinfo, boot_entry, boot_pvh_state
	.globl	ap_ticket
boot_zeropage:
	.quad	0
boot_startinfo:				/* PVH: hvm_start_info's address */
	.quad	0
boot_entry:				/* BOOT_ENTRY_*: which way we came */
	.long	0
boot_pvh_state:				/* PVH entry: EFLAGS, CR0, CR4 */
	.long	0, 0, 0
ap_ticket:
	.long	1

/*
 * The PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18, name "Xen"): a
 * loader that finds it may boot us through pvh_start32.
 */
	.section .note.Xen, "a", @note
	.balign	4
	.long	4				/* namesz: "Xen\0" */
	.long	4				/* descsz */
	.long	18				/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.long	pvh_start32

	.section .bss.cpl0, "aw", @nobits
	.balign	4096
	.globl	kstacks
kstacks:
	.skip	MAX_CPUS * KSTACK_SIZE
