/* SPDX-License-Identifier: ISC */
/* CPL0 trap handling: UD2 system calls, interrupts, and fatal exceptions. */
#include "guest.h"

volatile uint64_t	 irq_count[256];
irq_fn			 irq_handler[256];

static void
trap_puts(const char *s)
{
	while (*s != '\0') {
		while ((inb(0x3fd) & 0x20) == 0)
			;
		outb(0x3f8, *s++);
	}
}

static void
trap_hex(uint64_t v)
{
	char	 buf[19];
	int	 i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = '\0';
	trap_puts(buf);
}

/*
 * trap_fatal: an exception we did not expect.  Say so on COM1 (polled),
 * then power off so that a test fails at once rather than timing out.
 */
static void __attribute__((noreturn))
trap_fatal(struct trapframe *tf)
{
	uint64_t	 cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	trap_puts("\n# FATAL: exception ");
	trap_hex(tf->vector);
	trap_puts(" err ");
	trap_hex(tf->err);
	trap_puts(" rip ");
	trap_hex(tf->rip);
	trap_puts(" cs ");
	trap_hex(tf->cs);
	trap_puts(" cr2 ");
	trap_hex(cr2);
	trap_puts("\nBail out! exception\n");
	outb(DEBUG_PORT, 0x03);
	acpi_poweroff();
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void
trap_syscall(struct trapframe *tf)
{
	uint32_t	 lo, hi;

	switch (tf->rax) {
	case SYS_RDMSR:
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi)
		    : "c"((uint32_t)tf->rdi));
		tf->rax = ((uint64_t)hi << 32) | lo;
		break;
	case SYS_WRMSR:
		__asm__ volatile("wrmsr" : : "c"((uint32_t)tf->rdi),
		    "a"((uint32_t)tf->rsi), "d"((uint32_t)(tf->rsi >> 32)));
		tf->rax = 0;
		break;
	case SYS_PARK:
		for (;;)
			__asm__ volatile("cli; hlt");
	case SYS_STIHLT:
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		tf->rax = 0;
		break;
	case SYS_CPUID:
		__asm__ volatile("cpuid" : "=a"(tf->rax), "=b"(tf->rbx),
		    "=c"(tf->rcx), "=d"(tf->rdx) : "a"(tf->rdi), "c"(tf->rsi));
		break;
	case SYS_SETIF:
		if (tf->rdi)
			tf->rflags |= 0x200;
		else
			tf->rflags &= ~0x200ULL;
		tf->rax = 0;
		break;
	default:
		tf->rax = (uint64_t)-1;
		break;
	}
}

/*
 * trap: CPL0, from trap_common with interrupts off.  A UD2 from CPL3 is a
 * system call; vectors 32-255 are interrupts: count, call the handler set
 * by CPL3 code, end the interrupt (not for the spurious vector 0xff).
 */
void
trap(struct trapframe *tf)
{
	irq_fn	 fn;

	if (tf->vector == 6 && (tf->cs & 3) == 3 &&
	    *(const uint16_t *)tf->rip == 0x0b0f) {
		trap_syscall(tf);
		tf->rip += 2;
		return;
	}
	if (tf->vector < 32)
		trap_fatal(tf);
	irq_count[tf->vector]++;
	if ((fn = irq_handler[tf->vector]) != NULL)
		fn(tf->vector);
	if (tf->vector != 0xff)
		apic_eoi();
}
