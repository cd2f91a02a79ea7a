/* SPDX-License-Identifier: ISC */
/* Unit tests for the 16550A UART: registers, interrupts, console I/O. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <time.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/dev/uart.h"

#define COM1		PLAT_COM1_PORT
#define IRQ		PLAT_COM1_IRQ
#define RBR		(COM1 + 0)
#define IER		(COM1 + 1)
#define IIR		(COM1 + 2)
#define FCR		(COM1 + 2)
#define LCR		(COM1 + 3)
#define MCR		(COM1 + 4)
#define LSR		(COM1 + 5)
#define MSR		(COM1 + 6)
#define SCR		(COM1 + 7)

static uint8_t
rd(struct vm *vm, uint64_t port)
{
	return (uint8_t)fakevm_pio_read(vm, port, 1);
}

static void
wr(struct vm *vm, uint64_t port, uint8_t v)
{
	fakevm_pio_write(vm, port, 1, v);
}

static struct uart *
setup(struct vm *vm, int in, int out, struct event_base *eb)
{
	fakevm_init(vm);
	vm->params.con_in = in;
	vm->params.con_out = out;
	vm->evbase = eb;
	if (uart_init(vm) == -1)
		abort();
	return uart_get(vm);
}

static void
teardown(struct vm *vm, struct uart *u)
{
	uart_free(u);
	fakevm_free(vm);
}

static void
test_registers(void)
{
	struct vm	 vm;
	struct uart	*u;

	u = setup(&vm, -1, -1, NULL);
	tap_ok(u != NULL, "uart_get finds the UART");
	tap_is(rd(&vm, IIR), 0x01, "reset: IIR no interrupt, no FIFO");
	tap_is(rd(&vm, LSR), 0x60, "reset: LSR THRE|TEMT");
	tap_is(rd(&vm, MSR), 0xb0, "reset: MSR CTS|DSR|DCD, no deltas");
	wr(&vm, SCR, 0xa5);
	tap_is(rd(&vm, SCR), 0xa5, "scratch register");
	wr(&vm, IER, 0xff);
	tap_is(rd(&vm, IER), 0x0f, "IER keeps 4 bits");
	wr(&vm, IER, 0);

	/* Divisor latch. */
	wr(&vm, LCR, 0x83);
	wr(&vm, RBR, 0x01);
	wr(&vm, IER, 0x02);
	tap_is(rd(&vm, RBR), 0x01, "DLAB: DLL");
	tap_is(rd(&vm, IER), 0x02, "DLAB: DLM");
	tap_is(rd(&vm, LCR), 0x83, "LCR reads back");
	wr(&vm, LCR, 0x03);
	tap_is(rd(&vm, IER), 0x00, "DLAB off: IER untouched by DLM write");
	tap_is(uart_tx_drops(u), 0, "DLL write did not transmit");

	/* FIFO bits. */
	wr(&vm, FCR, 0x07);
	tap_is(rd(&vm, IIR), 0xc1, "FIFO enabled: IIR 0xc1");
	wr(&vm, FCR, 0x00);
	tap_is(rd(&vm, IIR), 0x01, "FIFO disabled: IIR 0x01");
	teardown(&vm, u);
}

static void
test_loopback(void)
{
	struct vm	 vm;
	struct uart	*u;
	int		 p[2];
	char		 buf[16];

	if (pipe(p) == -1)
		abort();
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	u = setup(&vm, -1, p[1], NULL);
	wr(&vm, MCR, 0x1a);		/* LOOP | OUT2 | RTS */
	tap_is(rd(&vm, MSR) & 0xf0, 0x90, "loopback: RTS->CTS, OUT2->DCD");
	wr(&vm, MCR, 0x15);		/* LOOP | OUT1 | DTR */
	tap_is(rd(&vm, MSR), 0x60 | 0x0b,
	    "loopback: DTR->DSR, OUT1->RI, deltas DCTS DDSR DDCD");
	wr(&vm, MCR, 0x10);
	tap_is(rd(&vm, MSR), 0x06, "RI falling edge sets TERI");
	wr(&vm, RBR, 0x55);
	tap_is(rd(&vm, LSR) & 0x01, 0x01, "loopback: DR after THR write");
	tap_is(rd(&vm, RBR), 0x55, "loopback: byte comes back");
	tap_is(rd(&vm, LSR) & 0x01, 0, "loopback: DR clear after read");
	wr(&vm, RBR, 0x01);
	wr(&vm, RBR, 0x02);
	tap_is(rd(&vm, LSR) & 0x03, 0x03, "loopback without FIFO: OE");
	tap_is(rd(&vm, RBR), 0x02, "no FIFO: holding register overwritten");
	tap_is(uart_rx_room(u), 0, "no host input in loopback");
	tap_is(read(p[0], buf, sizeof(buf)), -1, "loopback: nothing on con_out");
	wr(&vm, MCR, 0x00);
	tap_is(uart_rx_room(u), 1, "room again after loopback");
	teardown(&vm, u);
	close(p[0]);
	close(p[1]);
}

static void
test_interrupts(void)
{
	struct vm	 vm;
	struct uart	*u;
	uint8_t		 in[20];
	size_t		 i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 'a' + i;
	u = setup(&vm, -1, -1, NULL);

	/* THRE with and without OUT2. */
	wr(&vm, IER, 0x02);
	tap_is(rd(&vm, IIR), 0x02, "THRE pending after IER write");
	tap_is(fakevm.irq_level[IRQ], 0, "no OUT2: line low");
	tap_is(rd(&vm, IIR), 0x01, "IIR read cleared THRE");
	wr(&vm, IER, 0x02);
	wr(&vm, MCR, 0x08);
	tap_is(fakevm.irq_level[IRQ], 1, "OUT2: line high with THRE");
	tap_is(rd(&vm, IIR), 0x02, "IIR says THRE");
	tap_is(fakevm.irq_level[IRQ], 0, "line low after IIR read");
	wr(&vm, RBR, 'x');
	tap_is(fakevm.irq_level[IRQ], 1, "THR write re-arms THRE");
	wr(&vm, IER, 0x00);
	tap_is(fakevm.irq_level[IRQ], 0, "IER 0: line low");
	tap_is(rd(&vm, IIR), 0x01, "masked: IIR no interrupt");
	wr(&vm, IER, 0x02);
	tap_is(fakevm.irq_level[IRQ], 1, "THRE re-armed on IER write");
	wr(&vm, MCR, 0x00);
	tap_is(fakevm.irq_level[IRQ], 0, "OUT2 cleared: line low");
	wr(&vm, MCR, 0x18);
	tap_is(fakevm.irq_level[IRQ], 0, "loopback: line low");
	wr(&vm, MCR, 0x08);
	(void)rd(&vm, IIR);
	(void)rd(&vm, MSR);	/* loopback toggles left modem deltas */

	/* RX feed raises RDA (no FIFO). */
	wr(&vm, IER, 0x01);
	tap_is(fakevm.irq_level[IRQ], 0, "idle");
	tap_is(uart_rx_feed(u, in, 1), 1, "feed one byte");
	tap_is(fakevm.irq_level[IRQ], 1, "RDA raises the line");
	tap_is(rd(&vm, IIR), 0x04, "IIR RDA");
	tap_is(rd(&vm, LSR), 0x61, "LSR DR");
	tap_is(rd(&vm, RBR), 'a', "RBR");
	tap_is(fakevm.irq_level[IRQ], 0, "line low after drain");

	/* FIFO overflow: OE and RLS priority over RDA over THRE. */
	wr(&vm, FCR, 0x01);
	wr(&vm, IER, 0x0f);
	tap_is(uart_rx_feed(u, in, 20), 16, "FIFO takes 16 of 20");
	tap_is(uart_rx_room(u), 0, "FIFO full");
	tap_is(rd(&vm, IIR), 0xc6, "IIR RLS first");
	tap_is(rd(&vm, LSR), 0x63, "LSR OE|DR, THRE");
	tap_is(rd(&vm, LSR), 0x61, "LSR read cleared OE");
	tap_is(rd(&vm, IIR), 0xc4, "then RDA");
	for (i = 0; i < 16; i++)
		if (rd(&vm, RBR) != in[i])
			break;
	tap_is(i, 16, "FIFO order kept");
	tap_is(rd(&vm, IIR), 0xc2, "then THRE");
	tap_is(rd(&vm, IIR), 0xc1, "then nothing");
	tap_is(fakevm.irq_level[IRQ], 0, "line low");

	/* MSR interrupt is last. */
	wr(&vm, MCR, 0x19);
	wr(&vm, MCR, 0x08);
	tap_is(rd(&vm, IIR), 0xc0, "MSR interrupt from modem deltas");
	(void)rd(&vm, MSR);
	tap_is(rd(&vm, IIR), 0xc1, "MSR read clears it");

	/* Trigger level: CTI below it, RDA at it. */
	wr(&vm, FCR, 0xc1);
	uart_rx_feed(u, in, 3);
	tap_is(rd(&vm, IIR), 0xcc, "below trigger 14: character timeout");
	uart_rx_feed(u, in, 11);
	tap_is(rd(&vm, IIR), 0xc4, "at trigger 14: RDA");
	wr(&vm, FCR, 0xc3);
	tap_is(rd(&vm, LSR) & 1, 0, "FCR clear RX empties the FIFO");
	teardown(&vm, u);
}

static void
test_con_out(void)
{
	struct vm	 vm;
	struct uart	*u;
	int		 p[2], i;
	char		 buf[64];
	ssize_t		 n;

	if (pipe(p) == -1)
		abort();
	u = setup(&vm, -1, p[1], NULL);
	for (i = 0; i < 5; i++)
		wr(&vm, RBR, "hello"[i]);
	n = read(p[0], buf, sizeof(buf));
	tap_ok(n == 5 && memcmp(buf, "hello", 5) == 0, "con_out gets bytes");
	tap_is(uart_tx_drops(u), 0, "no drops");

	/* A full blocking pipe must not block the vCPU. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	teardown(&vm, u);
	u = setup(&vm, -1, p[1], NULL);
	alarm(10);
	for (i = 0; i < 1000; i++)
		wr(&vm, RBR, 'z');
	alarm(0);
	tap_is(uart_tx_drops(u), 1000, "full blocking pipe: 1000 drops");
	teardown(&vm, u);

	/* Same with a non-blocking pipe. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	u = setup(&vm, -1, p[1], NULL);
	alarm(10);
	for (i = 0; i < 1000; i++)
		wr(&vm, RBR, 'z');
	alarm(0);
	tap_is(uart_tx_drops(u), 1000, "full non-blocking pipe: 1000 drops");
	teardown(&vm, u);

	/* Reader gone: EPIPE is a drop, not a crash (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	u = setup(&vm, -1, p[1], NULL);
	wr(&vm, RBR, 'q');
	tap_is(uart_tx_drops(u), 1, "closed pipe: drop");
	teardown(&vm, u);
	close(p[1]);
}

static void
loop_some(struct event_base *eb)
{
	int	 i;

	for (i = 0; i < 8; i++)
		event_base_loop(eb, EVLOOP_NONBLOCK);
}

static void
test_con_in(void)
{
	struct vm		 vm;
	struct uart		*u;
	struct event_base	*eb;
	int			 p[2], i, ok;
	uint8_t			 buf[20];

	if ((eb = event_base_new()) == NULL || pipe(p) == -1)
		abort();
	for (i = 0; i < 20; i++)
		buf[i] = i;
	u = setup(&vm, p[0], -1, eb);
	wr(&vm, FCR, 0x01);
	wr(&vm, IER, 0x01);
	wr(&vm, MCR, 0x08);
	tap_is(write(p[1], buf, 20), 20, "host types 20 bytes");
	loop_some(eb);
	tap_is(uart_rx_room(u), 0, "event filled the FIFO");
	tap_is(fakevm.irq_level[IRQ], 1, "RDA raised from the event");
	loop_some(eb);
	ok = 1;
	for (i = 0; i < 16; i++)
		ok &= rd(&vm, RBR) == i;
	tap_ok(ok, "first 16 bytes in order");
	tap_is(rd(&vm, LSR) & 0x03, 0, "no overrun: input paused");
	loop_some(eb);
	ok = 1;
	for (i = 16; i < 20; i++)
		ok &= rd(&vm, RBR) == i;
	tap_ok(ok, "last 4 bytes after the guest drained");
	tap_is(rd(&vm, LSR) & 0x03, 0, "no overrun, FIFO empty");

	/* EOF: no busy loop, no crash. */
	close(p[1]);
	loop_some(eb);
	tap_is(event_base_loop(eb, EVLOOP_NONBLOCK), 0,
	    "EOF: events left (retry timer)");
	teardown(&vm, u);
	close(p[0]);
	event_base_free(eb);
}

#define STRESS_BYTES	20000

static void *
stress_loop(void *arg)
{
	event_base_loop(arg, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void *
stress_writer(void *arg)
{
	int	*fd = arg;
	uint8_t	 b;
	int	 i;

	for (i = 0; i < STRESS_BYTES; i++) {
		b = (uint8_t)(i * 7);
		if (write(*fd, &b, 1) != 1)
			break;
	}
	return NULL;
}

/*
 * test_threads: the event thread feeds the FIFO from a pipe while this
 * thread plays the vCPU and drains it: no byte lost, no deadlock.
 */
static void
test_threads(void)
{
	struct vm		 vm;
	struct uart		*u;
	struct event_base	*eb;
	pthread_t		 loop, writer;
	int			 p[2], i, ok = 1;
	time_t			 deadline;

	if (evthread_use_pthreads() == -1 || (eb = event_base_new()) == NULL ||
	    pipe(p) == -1)
		abort();
	u = setup(&vm, p[0], -1, eb);
	wr(&vm, FCR, 0x01);
	pthread_create(&loop, NULL, stress_loop, eb);
	pthread_create(&writer, NULL, stress_writer, &p[1]);
	deadline = time(NULL) + 30;
	for (i = 0; i < STRESS_BYTES && time(NULL) < deadline; ) {
		if (rd(&vm, LSR) & 0x02)
			ok = 0;
		if (!(rd(&vm, LSR) & 0x01))
			continue;
		if (rd(&vm, RBR) != (uint8_t)(i * 7))
			ok = 0;
		i++;
		if (i % 1000 == 0)
			wr(&vm, FCR, 0x01);	/* no-op FCR writes */
	}
	tap_is(i, STRESS_BYTES, "threads: every byte arrived");
	tap_ok(ok, "threads: in order, no overrun");
	event_base_loopbreak(eb);
	pthread_join(loop, NULL);
	pthread_join(writer, NULL);
	teardown(&vm, u);
	close(p[0]);
	close(p[1]);
	event_base_free(eb);
}

static void
test_hostile(void)
{
	struct vm	 vm;
	struct uart	*u;
	uint64_t	 port, v;
	size_t		 len;
	int		 i;
	uint8_t		 junk[32];

	memset(junk, 0x5a, sizeof(junk));
	u = setup(&vm, -1, -1, NULL);
	for (port = COM1 - 8; port < COM1 + 16; port++)
		for (len = 1; len <= 8; len *= 2)
			for (v = 0; v < 256; v++) {
				fakevm_pio_write(&vm, port, len,
				    v * 0x0101010101010101ULL);
				(void)fakevm_pio_read(&vm, port, len);
				if ((v & 15) == 0)
					uart_rx_feed(u, junk, v & 31);
			}
	srand(1);
	for (i = 0; i < 200000; i++) {
		port = COM1 + rand() % 9;
		len = 1 << (rand() % 4);
		if (rand() & 1)
			fakevm_pio_write(&vm, port, len,
			    ((uint64_t)rand() << 32) | rand());
		else
			(void)fakevm_pio_read(&vm, port, len);
		if (rand() % 64 == 0)
			uart_rx_feed(u, junk, rand() % 32);
	}
	tap_ok(1, "hostile sweep survived");
	teardown(&vm, u);
}

int
main(void)
{
	test_registers();
	test_loopback();
	test_interrupts();
	test_con_out();
	test_con_in();
	test_threads();
	test_hostile();
	return tap_done();
}
