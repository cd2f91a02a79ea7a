/* SPDX-License-Identifier: ISC */
/* Interrupts: a LAPIC self-IPI, then COM1's THRE interrupt via the IOAPIC. */
#include "guest.h"

#define COM1		0x3f8
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define IER_THRE	0x02
#define MCR_OUT2	0x08
#define IIR_THRE	0x02
#define VEC_SELF	0x41
#define VEC_COM1	0x44
#define VEC_TIMER	0x42
#define ICR_SELF	0x00040000
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TMR_INIT	0x380
#define LAPIC_TMR_DIV	0x3e0
#define LVT_MASKED	(1U << 16)

static const char	 irq_msg[] =
    "# uart-irq: this line was sent byte by byte from the THRE handler\n";
static volatile size_t	 irq_pos;

/*
 * uart_thre: CPL0, vector VEC_COM1.  While the transmitter is empty, send
 * the next byte of irq_msg; at its end, turn the THRE interrupt off.
 */
static void
uart_thre(unsigned int vec)
{
	(void)vec;
	if ((inb(COM1 + UART_IIR) & 0x0f) != IIR_THRE)
		return;
	if (irq_pos < sizeof(irq_msg) - 1)
		outb(COM1, irq_msg[irq_pos++]);
	else
		outb(COM1 + UART_IER, 0);
}

/* Wait for irq_count[vec] to reach n with IF=1 at CPL3. */
static int
wait_irq_cpl3(unsigned int vec, uint64_t n, uint64_t us)
{
	uint64_t	 end = time_us() + us;
	int		 got;

	sys(SYS_SETIF, 1, 0);
	while (irq_count[vec] < n && time_us() < end)
		cpu_relax();
	got = irq_count[vec] >= n;
	sys(SYS_SETIF, 0, 0);
	return got;
}

/* Wait the same way at CPL0, with STI; HLT. */
static int
wait_irq_hlt(unsigned int vec, uint64_t n, uint64_t us)
{
	uint64_t	 end = time_us() + us;

	while (irq_count[vec] < n && time_us() < end)
		sys(SYS_STIHLT, 0, 0);
	return irq_count[vec] >= n;
}

/*
 * check_uart_irq: first a self-IPI (held while IF=0, taken at CPL3 once
 * IF=1), a LAPIC timer waking HLT at CPL0, then the 16550's THRE
 * interrupt routed through the IOAPIC to this CPU, handled at CPL0.
 */
void
check_uart_irq(void)
{
	uint64_t	 f, t0;
	int		 ok;

	f = read_rflags();
	diag("# irq: CPL3 RFLAGS 0x%lx (IOPL %lu, IF %lu), LAPIC %s, "
	    "SVR 0x%x TPR 0x%x\n", f, (f >> 12) & 3, (f >> 9) & 1,
	    apic_x2 ? "x2APIC" : "xAPIC", apic_read(0xf0), apic_read(0x80));

	apic_icr(0, ICR_SELF | VEC_SELF);
	delay_us(2000);
	tap_ok(irq_count[VEC_SELF] == 0, "irq: a self-IPI stays pending "
	    "while IF=0 at CPL3 (2 ms)");
	ok = wait_irq_cpl3(VEC_SELF, 1, 100000);
	diag("# irq: self-IPI at CPL3 with IF=1: %s\n", ok ? "taken" :
	    "not taken");
	if (!ok) {
		ok = wait_irq_hlt(VEC_SELF, 1, 100000);
		printf("# irq: self-IPI with STI;HLT at CPL0: %s\n",
		    ok ? "taken" : "not taken");
	}
	tap_ok(ok, "irq: LAPIC self-IPI delivered (count %lu)",
	    irq_count[VEC_SELF]);
	apic_write(LAPIC_TMR_DIV, 0x3);
	apic_write(LAPIC_LVT_TIMER, VEC_TIMER);
	apic_write(LAPIC_TMR_INIT, 62500);	/* ~1 ms, one-shot */
	t0 = time_us();
	ok = wait_irq_hlt(VEC_TIMER, 1, 1000000);
	tap_ok(ok, "irq: LAPIC timer woke STI;HLT at CPL0 after %lu us",
	    time_us() - t0);
	apic_write(LAPIC_LVT_TIMER, LVT_MASKED);

	irq_pos = 0;
	irq_handler[VEC_COM1] = uart_thre;
	ioapic_route(acpi.isa_gsi[4], VEC_COM1, acpi.isa_flags[4],
	    apic_lapic_id());
	outb(COM1 + UART_MCR, inb(COM1 + UART_MCR) | MCR_OUT2);
	outb(COM1 + UART_IER, IER_THRE);
	ok = wait_irq_cpl3(VEC_COM1, sizeof(irq_msg), 1000000);
	if (!ok) {
		printf("# irq: COM1 at CPL3: %lu interrupts\n",
		    irq_count[VEC_COM1]);
		ok = wait_irq_hlt(VEC_COM1, sizeof(irq_msg), 1000000);
	}
	outb(COM1 + UART_IER, 0);
	ioapic_mask(acpi.isa_gsi[4]);
	irq_handler[VEC_COM1] = NULL;
	tap_ok(ok && irq_pos == sizeof(irq_msg) - 1,
	    "uart-irq: %lu THRE interrupts (IRQ %u -> IOAPIC -> vector 0x%x), "
	    "%lu bytes sent from the handler", irq_count[VEC_COM1],
	    acpi.isa_gsi[4], VEC_COM1, (uint64_t)irq_pos);
}
