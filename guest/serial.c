/* SPDX-License-Identifier: ISC */
/* The COM1 console (16550A, polled, CPL3) and the TAP output helpers. */
#include "guest.h"

#define COM1		0x3f8
#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_THRE	0x20
#define UART_FIFO	16

int			 verbose;	/* tg.verbose: all diagnostics */
static volatile int	 console_lock;
static int		 tap_n;

/* serial_init: 115200 8N1, FIFOs on, interrupts off, DTR/RTS up. */
void
serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);			/* divisor 1: 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);		/* 8N1 */
	outb(COM1 + UART_FCR, 0x07);		/* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03);		/* DTR | RTS */
}

/*
 * serial_write: each wait for an empty transmitter is followed by up to a
 * FIFO's worth of bytes, which halves the port exits of a byte-per-poll
 * loop.  A transmitter that never empties is given up on after a while.
 */
void
serial_write(const char *s, size_t n)
{
	size_t	 i;
	int	 tries;

	spin_lock(&console_lock);
	while (n > 0) {
		for (tries = 0; tries < 100000; tries++)
			if (inb(COM1 + UART_LSR) & LSR_THRE)
				break;
		for (i = 0; i < UART_FIFO && n > 0; i++, n--) {
			if (*s == '\n')
				outb(COM1 + UART_THR, '\r');
			outb(COM1 + UART_THR, *s++);
		}
	}
	spin_unlock(&console_lock);
}

void
printf(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	serial_write(buf, n);
}

/*
 * diag: a diagnostic line only with tg.verbose (each byte to COM1 is a
 * VM exit: the default output is kept short for boot-time benchmarks).
 */
void
diag(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	int	 n;

	if (!verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	serial_write(buf, n);
}

static void
tap_line(const char *prefix, const char *fmt, va_list ap)
{
	char	 buf[200];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("%s %d%s%s\n", prefix, __atomic_add_fetch(&tap_n, 1,
	    __ATOMIC_SEQ_CST), buf[0] == '\0' ? "" : " - ", buf);
}

/* tap_ok: one test point, "ok N - what" or "not ok N - what"; returns cond. */
int
tap_ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tap_line(cond ? "ok" : "not ok", fmt, ap);
	va_end(ap);
	return cond;
}

/* tap_skip: "ok N # SKIP reason". */
void
tap_skip(const char *fmt, ...)
{
	char	 buf[200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("ok %d # SKIP %s\n", __atomic_add_fetch(&tap_n, 1,
	    __ATOMIC_SEQ_CST), buf);
}

void
tap_plan(void)
{
	printf("1..%d\n", tap_n);
}
