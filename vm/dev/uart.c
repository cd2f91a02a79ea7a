/* SPDX-License-Identifier: ISC */
/* A 16550A UART (COM1): the guest console on con_in/con_out, IRQ 4. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"
#include "vm/dev/uart.h"

#define UART_NPORTS		8
#define UART_FIFO_SIZE		16
#define UART_RETRY_SEC		1	/* re-read con_in after EOF/error */

/* Register offsets (DLAB is LCR bit 7). */
#define UART_RBR		0	/* read, DLAB=0 */
#define UART_THR		0	/* write, DLAB=0 */
#define UART_DLL		0	/* DLAB=1 */
#define UART_IER		1	/* DLAB=0 */
#define UART_DLM		1	/* DLAB=1 */
#define UART_IIR		2	/* read */
#define UART_FCR		2	/* write */
#define UART_LCR		3
#define UART_MCR		4
#define UART_LSR		5
#define UART_MSR		6
#define UART_SCR		7

#define UART_IER_RDA		0x01	/* received data available */
#define UART_IER_THRE		0x02	/* transmit holding register empty */
#define UART_IER_RLS		0x04	/* receiver line status */
#define UART_IER_MS		0x08	/* modem status */
#define UART_IER_MASK		0x0f

#define UART_IIR_NOINT		0x01
#define UART_IIR_MS		0x00
#define UART_IIR_THRE		0x02
#define UART_IIR_RDA		0x04
#define UART_IIR_RLS		0x06
#define UART_IIR_CTI		0x0c	/* character timeout (FIFO mode) */
#define UART_IIR_FIFO		0xc0	/* FIFOs enabled */

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLR_RX		0x02
#define UART_FCR_CLR_TX		0x04
#define UART_FCR_TRIGGER	0xc0	/* RX trigger: 1, 4, 8, 14 bytes */

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08	/* gates the IRQ line on PCs */
#define UART_MCR_LOOP		0x10
#define UART_MCR_MASK		0x1f

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_PE		0x04
#define UART_LSR_FE		0x08
#define UART_LSR_BI		0x10
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_LSR_ERRS		(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | \
				    UART_LSR_BI)

#define UART_MSR_DCTS		0x01
#define UART_MSR_DDSR		0x02
#define UART_MSR_TERI		0x04
#define UART_MSR_DDCD		0x08
#define UART_MSR_DELTAS		0x0f
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80
/* A console is a connected modem: CTS, DSR and DCD asserted. */
#define UART_MSR_CONNECTED	(UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

/* What the console read event is doing. */
enum uart_rx_state {
	UART_RX_NONE,		/* no con_in or no event base */
	UART_RX_READING,	/* read event added */
	UART_RX_PAUSED,		/* FIFO full or loopback: event deleted */
	UART_RX_BACKOFF		/* EOF or error: retry timer pending */
};

/*
 * One 16550A. vCPU threads (the bus handler) and the device event thread
 * (console input) both touch it, always with lock held; the bus takes lock
 * around uart_io. Event deletion happens only on the event thread, so a
 * vCPU never waits for a running callback.
 */
struct uart {
	pthread_mutex_t		 lock;
	struct vm		*vm;
	int			 irq;
	int			 irq_level;	/* last level given to the line */
	int			 in_fd;		/* con_in or -1 */
	int			 out_fd;	/* con_out or -1 */
	int			 out_nonblock;	/* out_fd is O_NONBLOCK already */
	struct event		*rx_ev;
	struct event		*retry_ev;
	enum uart_rx_state	 rx_state;
	int			 rx_warned;
	uint8_t			 rx_fifo[UART_FIFO_SIZE];
	unsigned int		 rx_head;
	unsigned int		 rx_count;
	uint8_t			 rbr_last;	/* RBR read with the FIFO empty */
	uint8_t			 ier;
	uint8_t			 fcr;		/* ENABLE and TRIGGER bits */
	uint8_t			 lcr;
	uint8_t			 mcr;
	uint8_t			 lsr_err;	/* LSR error bits, read clears */
	uint8_t			 msr_delta;	/* MSR delta bits, read clears */
	uint8_t			 scr;
	uint8_t			 dll;
	uint8_t			 dlm;
	int			 thre_pending;	/* THRE interrupt armed */
	uint64_t		 tx_drops;
	int			 tx_warned;
};

static size_t
uart_rx_cap(const struct uart *u)
{
	return (u->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static size_t
uart_room_locked(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0;
	return uart_rx_cap(u) - u->rx_count;
}

static unsigned int
uart_rx_trigger(const struct uart *u)
{
	static const unsigned int	 levels[4] = { 1, 4, 8, 14 };

	return levels[(u->fcr & UART_FCR_TRIGGER) >> 6];
}

/* uart_msr_inputs: the modem inputs (MSR bits 4-7) as the chip sees them. */
static uint8_t
uart_msr_inputs(const struct uart *u)
{
	uint8_t	 v = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CONNECTED;
	if (u->mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

/* uart_iir_id: the highest-priority pending, enabled interrupt. */
static uint8_t
uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLS) && (u->lsr_err & UART_LSR_ERRS))
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_RDA) && u->rx_count > 0) {
		if ((u->fcr & UART_FCR_ENABLE) &&
		    u->rx_count < uart_rx_trigger(u))
			return UART_IIR_CTI;
		return UART_IIR_RDA;
	}
	if ((u->ier & UART_IER_THRE) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_MS) && (u->msr_delta & UART_MSR_DELTAS))
		return UART_IIR_MS;
	return UART_IIR_NOINT;
}

/*
 * uart_update_irq: drive the line from the pending interrupts. As on PCs,
 * OUT2 gates the chip's INTR pin onto the ISA line; in loopback the OUT2
 * pin is forced inactive, so the line is low there too.
 */
static void
uart_update_irq(struct uart *u)
{
	int	 level;

	level = uart_iir_id(u) != UART_IIR_NOINT &&
	    (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
	if (level == u->irq_level)
		return;
	u->irq_level = level;
	vcpu_irq_line(u->vm, u->irq, level);
}

/* uart_rx_resume: re-add the console read event once there is room. */
static void
uart_rx_resume(struct uart *u)
{
	if (u->rx_state != UART_RX_PAUSED || uart_room_locked(u) == 0)
		return;
	if (event_add(u->rx_ev, NULL) == -1) {
		log_warnx("%s: event_add failed", __func__);
		return;
	}
	u->rx_state = UART_RX_READING;
}

/* uart_rx_push: one character arrives at the receiver. 1 if queued. */
static int
uart_rx_push(struct uart *u, uint8_t v)
{
	if (u->rx_count >= uart_rx_cap(u)) {
		u->lsr_err |= UART_LSR_OE;
		/* Without FIFOs the holding register is overwritten. */
		if (!(u->fcr & UART_FCR_ENABLE))
			u->rx_fifo[u->rx_head] = v;
		return 0;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = v;
	u->rx_count++;
	return 1;
}

static uint8_t
uart_rx_pop(struct uart *u)
{
	if (u->rx_count == 0)
		return u->rbr_last;
	u->rbr_last = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	uart_rx_resume(u);
	return u->rbr_last;
}

static void
uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	uart_rx_resume(u);
}

static void
uart_tx_drop(struct uart *u)
{
	u->tx_drops++;
	if (!u->tx_warned && u->out_fd != -1) {
		log_warnx("%s: console output not writable, dropping bytes",
		    __func__);
		u->tx_warned = 1;
	}
}

/*
 * uart_tx_out: hand one byte to con_out without ever blocking the vCPU:
 * write only when poll says the fd can take it, drop it otherwise.
 */
static void
uart_tx_out(struct uart *u, uint8_t v)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	if (u->out_fd == -1) {
		uart_tx_drop(u);
		return;
	}
	if (!u->out_nonblock) {
		pfd.fd = u->out_fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
			uart_tx_drop(u);
			return;
		}
	}
	do {
		n = write(u->out_fd, &v, 1);
	} while (n == -1 && errno == EINTR);
	if (n != 1)
		uart_tx_drop(u);
}

/* uart_tx: the guest wrote THR; transmission is instantaneous. */
static void
uart_tx(struct uart *u, uint8_t v)
{
	if (u->mcr & UART_MCR_LOOP)
		(void)uart_rx_push(u, v);
	else
		uart_tx_out(u, v);
	u->thre_pending = 1;
}

static void
uart_write_fcr(struct uart *u, uint8_t v)
{
	/* Toggling FIFO enable clears both FIFOs. */
	if ((v ^ u->fcr) & UART_FCR_ENABLE)
		uart_rx_clear(u);
	/* The other bits are only programmed with FCR0 set. */
	if (!(v & UART_FCR_ENABLE)) {
		u->fcr = 0;
		uart_rx_resume(u);
		return;
	}
	if (v & UART_FCR_CLR_RX)
		uart_rx_clear(u);
	/* CLR_TX: the transmitter is always empty. */
	u->fcr = v & (UART_FCR_ENABLE | UART_FCR_TRIGGER);
	uart_rx_resume(u);
}

static void
uart_write_mcr(struct uart *u, uint8_t v)
{
	uint8_t	 before, after, changed;

	before = uart_msr_inputs(u);
	u->mcr = v & UART_MCR_MASK;
	after = uart_msr_inputs(u);
	changed = before ^ after;
	if (changed & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI;
	uart_rx_resume(u);
}

static void
uart_write(struct uart *u, unsigned int reg, uint8_t v)
{
	int	 dlab = (u->lcr & UART_LCR_DLAB) != 0;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = v;
		else
			uart_tx(u, v);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		u->ier = v & UART_IER_MASK;
		/* THR is always empty: enabling THRE re-arms it. */
		if (u->ier & UART_IER_THRE)
			u->thre_pending = 1;
		break;
	case UART_FCR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		uart_write_mcr(u, v);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:
		/* LSR and MSR: writes are ignored. */
		break;
	}
}

static uint8_t
uart_read(struct uart *u, unsigned int reg)
{
	int	 dlab = (u->lcr & UART_LCR_DLAB) != 0;
	uint8_t	 v;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir_id(u);
		/* Reading IIR clears THRE when it is the one reported. */
		if (v == UART_IIR_THRE)
			u->thre_pending = 0;
		if (u->fcr & UART_FCR_ENABLE)
			v |= UART_IIR_FIFO;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT;
		if (u->rx_count > 0)
			v |= UART_LSR_DR;
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		v = uart_msr_inputs(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

/*
 * uart_io: the bus handler (lock held). A wide access is split into byte
 * accesses to consecutive registers, like an 8-bit ISA device.
 */
static void
uart_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct uart	*u = arg;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (off >= UART_NPORTS || i >= UART_NPORTS - off) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (is_write)
			uart_write(u, off + i, data[i]);
		else
			data[i] = uart_read(u, off + i);
	}
	uart_update_irq(u);
}

/* uart_rx_cb: con_in is readable (device event thread). */
static void
uart_rx_cb(int fd, short what, void *arg)
{
	struct uart	*u = arg;
	uint8_t		 buf[UART_FIFO_SIZE];
	struct timeval	 tv = { UART_RETRY_SEC, 0 };
	size_t		 room;
	ssize_t		 n, i;

	(void)what;
	pthread_mutex_lock(&u->lock);
	if (u->rx_state != UART_RX_READING)
		goto out;
	room = uart_room_locked(u);
	if (room > 0) {
		n = read(fd, buf, room);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			goto out;
		if (n <= 0) {
			/* EOF, or EIO from a pty nobody holds open. */
			if (!u->rx_warned) {
				if (n == 0)
					log_warnx("%s: console input: EOF",
					    __func__);
				else
					log_warn("%s: console input",
					    __func__);
				u->rx_warned = 1;
			}
			event_del(u->rx_ev);
			u->rx_state = UART_RX_BACKOFF;
			evtimer_add(u->retry_ev, &tv);
			goto out;
		}
		for (i = 0; i < n; i++)
			(void)uart_rx_push(u, buf[i]);
		uart_update_irq(u);
	}
	if (uart_room_locked(u) == 0) {
		event_del(u->rx_ev);
		u->rx_state = UART_RX_PAUSED;
	}
 out:
	pthread_mutex_unlock(&u->lock);
}

/* uart_rx_retry_cb: try con_in again after EOF or an error. */
static void
uart_rx_retry_cb(int fd, short what, void *arg)
{
	struct uart	*u = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&u->lock);
	if (u->rx_state == UART_RX_BACKOFF) {
		u->rx_state = UART_RX_PAUSED;
		uart_rx_resume(u);
	}
	pthread_mutex_unlock(&u->lock);
}

struct uart *
uart_get(struct vm *vm)
{
	const struct bus_range	*r;

	r = bus_find(&vm->pio, PLAT_COM1_PORT);
	if (r == NULL || r->fn != uart_io)
		return NULL;
	return r->arg;
}

size_t
uart_rx_feed(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t	 i, n = 0;

	pthread_mutex_lock(&u->lock);
	/* In loopback the serial input is disconnected. */
	if (!(u->mcr & UART_MCR_LOOP)) {
		for (i = 0; i < len; i++)
			n += uart_rx_push(u, buf[i]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t
uart_rx_room(struct uart *u)
{
	size_t	 room;

	pthread_mutex_lock(&u->lock);
	room = uart_room_locked(u);
	pthread_mutex_unlock(&u->lock);
	return room;
}

uint64_t
uart_tx_drops(struct uart *u)
{
	uint64_t	 n;

	pthread_mutex_lock(&u->lock);
	n = u->tx_drops;
	pthread_mutex_unlock(&u->lock);
	return n;
}

void
uart_free(struct uart *u)
{
	if (u == NULL)
		return;
	if (u->rx_ev != NULL)
		event_free(u->rx_ev);
	if (u->retry_ev != NULL)
		event_free(u->retry_ev);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

int
uart_init(struct vm *vm)
{
	struct uart	*u;
	int		 flags, saved;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if ((errno = pthread_mutex_init(&u->lock, NULL)) != 0) {
		log_warn("%s: pthread_mutex_init", __func__);
		free(u);
		return -1;
	}
	u->vm = vm;
	u->irq = PLAT_COM1_IRQ;
	u->in_fd = vm->params.con_in;
	u->out_fd = vm->params.con_out;
	u->dll = 0x0c;			/* 9600 baud, as after a BIOS */
	u->rx_state = UART_RX_NONE;
	if (u->out_fd != -1 && (flags = fcntl(u->out_fd, F_GETFL)) != -1 &&
	    (flags & O_NONBLOCK))
		u->out_nonblock = 1;
	if (u->in_fd != -1 && vm->evbase != NULL) {
		u->rx_ev = event_new(vm->evbase, u->in_fd, EV_READ | EV_PERSIST,
		    uart_rx_cb, u);
		u->retry_ev = evtimer_new(vm->evbase, uart_rx_retry_cb, u);
		if (u->rx_ev == NULL || u->retry_ev == NULL) {
			log_warnx("%s: event_new failed", __func__);
			errno = ENOMEM;
			goto fail;
		}
	}
	if (bus_register(&vm->pio, "uart", PLAT_COM1_PORT, UART_NPORTS,
	    uart_io, u, &u->lock) == -1) {
		log_warn("%s: bus_register", __func__);
		goto fail;
	}
	if (u->rx_ev != NULL) {
		if (event_add(u->rx_ev, NULL) == -1)
			log_warnx("%s: event_add failed: no console input",
			    __func__);
		else
			u->rx_state = UART_RX_READING;
	}
	return 0;
 fail:
	saved = errno;
	uart_free(u);
	errno = saved;
	return -1;
}
