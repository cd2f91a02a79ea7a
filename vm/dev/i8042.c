/* SPDX-License-Identifier: ISC */
/* The i8042 keyboard controller: enough for Linux, reset and ctrl-alt-del. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"

#define I8042_AUX_IRQ		PLAT_I8042_AUX_IRQ	/* PS/2 mouse port */
#define I8042_QUEUE		32	/* bytes waiting for the output buffer */
#define I8042_RAM		32	/* controller RAM; byte 0: command byte */

/* Status register (read 0x64). */
#define I8042_STR_OBF		0x01	/* output buffer full */
#define I8042_STR_SYS		0x04	/* mirrors command byte bit 2 */
#define I8042_STR_CMD		0x08	/* last write was to 0x64 */
#define I8042_STR_UNLOCKED	0x10	/* keyboard not inhibited */
#define I8042_STR_AUXDATA	0x20	/* output buffer holds aux data */
#define I8042_STR_TIMEOUT	0x40

/* Command byte. */
#define I8042_CTR_KBDINT	0x01
#define I8042_CTR_AUXINT	0x02
#define I8042_CTR_SYS		0x04
#define I8042_CTR_KBDDIS	0x10
#define I8042_CTR_AUXDIS	0x20
#define I8042_CTR_XLATE		0x40
/* As a BIOS leaves it: translation, system flag, keyboard interrupt. */
#define I8042_CTR_DEFAULT	(I8042_CTR_XLATE | I8042_CTR_SYS | \
				    I8042_CTR_KBDINT)

/* Output port. */
#define I8042_OUT_RESET		0x01	/* CPU reset line, active low */
#define I8042_OUT_A20		0x02
#define I8042_OUT_DEFAULT	(I8042_OUT_RESET | I8042_OUT_A20)

/* Controller commands (write 0x64). */
#define I8042_CMD_READ_RAM	0x20	/* 0x20-0x3f */
#define I8042_CMD_WRITE_RAM	0x60	/* 0x60-0x7f, takes a byte */
#define I8042_CMD_AUX_DISABLE	0xa7
#define I8042_CMD_AUX_ENABLE	0xa8
#define I8042_CMD_AUX_TEST	0xa9
#define I8042_CMD_SELF_TEST	0xaa
#define I8042_CMD_KBD_TEST	0xab
#define I8042_CMD_KBD_DISABLE	0xad
#define I8042_CMD_KBD_ENABLE	0xae
#define I8042_CMD_READ_INPUT	0xc0
#define I8042_CMD_READ_OUTPUT	0xd0
#define I8042_CMD_WRITE_OUTPUT	0xd1
#define I8042_CMD_WRITE_KBD_OBUF 0xd2
#define I8042_CMD_WRITE_AUX_OBUF 0xd3
#define I8042_CMD_WRITE_AUX	0xd4
#define I8042_CMD_A20_OFF	0xdd
#define I8042_CMD_A20_ON	0xdf
#define I8042_CMD_READ_TEST	0xe0
#define I8042_CMD_PULSE		0xf0	/* 0xf0-0xff: low bits pulse lines */

#define I8042_SELF_TEST_OK	0x55
#define I8042_INPUT_PORT	0x80	/* keyboard not locked */

/* Keyboard commands and replies. */
#define KBD_CMD_LEDS		0xed
#define KBD_CMD_ECHO		0xee
#define KBD_CMD_SCANSET		0xf0
#define KBD_CMD_GETID		0xf2
#define KBD_CMD_TYPEMATIC	0xf3
#define KBD_CMD_ENABLE		0xf4
#define KBD_CMD_DISABLE		0xf5
#define KBD_CMD_RESET		0xff
#define KBD_ACK			0xfa
#define KBD_RESEND		0xfe
#define KBD_BAT_OK		0xaa
#define KBD_ID0			0xab
#define KBD_ID1_XLATE		0x41
#define KBD_ID1			0x83

/* Flags of a queued byte. */
#define I8042_Q_AUX		0x01
#define I8042_Q_TIMEOUT		0x02

struct i8042_byte {
	uint8_t	 v;
	uint8_t	 flags;
};

/*
 * The controller, its keyboard and an absent mouse. vCPU threads (the bus
 * handlers, which hold lock) and any host thread (i8042_ctrl_alt_del,
 * which takes it) share it.
 */
struct i8042 {
	pthread_mutex_t		 lock;
	struct vm		*vm;
	uint8_t			 ram[I8042_RAM];
	uint8_t			 outport;
	uint8_t			 pending_cmd;	/* command awaiting a byte */
	uint8_t			 kbd_pending;	/* keyboard command ditto */
	uint8_t			 last;		/* last byte read from 0x60 */
	int			 kbd_scanning;
	int			 last_was_cmd;
	int			 reset_requested;
	struct i8042_byte	 q[I8042_QUEUE];
	unsigned int		 qhead;
	unsigned int		 qcount;
	int			 irq1_level;
	int			 irq12_level;
};

static void
i8042_set_line(struct i8042 *k, int irq, int *cur, int level)
{
	if (*cur == level)
		return;
	*cur = level;
	vcpu_irq_line(k->vm, irq, level);
}

/*
 * i8042_update_irq: IRQ 1 (keyboard byte) or 12 (aux byte) is high while
 * the output buffer holds a byte whose interrupt the command byte enables.
 */
static void
i8042_update_irq(struct i8042 *k)
{
	int	 kbd = 0, aux = 0;

	if (k->qcount > 0) {
		if (k->q[k->qhead].flags & I8042_Q_AUX)
			aux = (k->ram[0] & I8042_CTR_AUXINT) != 0;
		else
			kbd = (k->ram[0] & I8042_CTR_KBDINT) != 0;
	}
	i8042_set_line(k, PLAT_I8042_IRQ, &k->irq1_level, kbd);
	i8042_set_line(k, I8042_AUX_IRQ, &k->irq12_level, aux);
}

static void
i8042_push(struct i8042 *k, uint8_t v, uint8_t flags)
{
	struct i8042_byte	*b;

	if (k->qcount >= I8042_QUEUE)
		return;		/* overrun: the byte is lost */
	b = &k->q[(k->qhead + k->qcount) % I8042_QUEUE];
	b->v = v;
	b->flags = flags;
	k->qcount++;
}

static uint8_t
i8042_read_data(struct i8042 *k)
{
	if (k->qcount == 0)
		return k->last;
	k->last = k->q[k->qhead].v;
	k->qhead = (k->qhead + 1) % I8042_QUEUE;
	k->qcount--;
	/* Drop the lines so the next byte, if any, is a new edge. */
	i8042_set_line(k, PLAT_I8042_IRQ, &k->irq1_level, 0);
	i8042_set_line(k, I8042_AUX_IRQ, &k->irq12_level, 0);
	return k->last;
}

static uint8_t
i8042_read_status(const struct i8042 *k)
{
	uint8_t	 v = I8042_STR_UNLOCKED;

	if (k->qcount > 0) {
		v |= I8042_STR_OBF;
		if (k->q[k->qhead].flags & I8042_Q_AUX)
			v |= I8042_STR_AUXDATA;
		if (k->q[k->qhead].flags & I8042_Q_TIMEOUT)
			v |= I8042_STR_TIMEOUT;
	}
	if (k->ram[0] & I8042_CTR_SYS)
		v |= I8042_STR_SYS;
	if (k->last_was_cmd)
		v |= I8042_STR_CMD;
	return v;
}

static void
i8042_reset(struct i8042 *k)
{
	/* Once: a guest looping on reset must not flood the log. */
	if (k->reset_requested)
		return;
	k->reset_requested = 1;
	log_info("%s: guest reset via the keyboard controller", __func__);
	vcpu_request_exit(k->vm, VM_EXIT_REBOOT);
}

/* i8042_kbd_write: a byte for the keyboard itself. */
static void
i8042_kbd_write(struct i8042 *k, uint8_t v)
{
	uint8_t	 param_of = k->kbd_pending;

	k->kbd_pending = 0;
	/* A parameter; a command byte instead cancels the pending command. */
	if (param_of != 0 && v < KBD_CMD_LEDS) {
		i8042_push(k, KBD_ACK, 0);
		if (param_of == KBD_CMD_SCANSET && v == 0)
			i8042_push(k, (k->ram[0] & I8042_CTR_XLATE) ?
			    KBD_ID1_XLATE : 2, 0);
		return;
	}
	switch (v) {
	case KBD_CMD_LEDS:
	case KBD_CMD_TYPEMATIC:
	case KBD_CMD_SCANSET:
		i8042_push(k, KBD_ACK, 0);
		k->kbd_pending = v;
		break;
	case KBD_CMD_ECHO:
		i8042_push(k, KBD_CMD_ECHO, 0);
		break;
	case KBD_CMD_GETID:
		i8042_push(k, KBD_ACK, 0);
		i8042_push(k, KBD_ID0, 0);
		i8042_push(k, (k->ram[0] & I8042_CTR_XLATE) ?
		    KBD_ID1_XLATE : KBD_ID1, 0);
		break;
	case KBD_CMD_ENABLE:
		i8042_push(k, KBD_ACK, 0);
		k->kbd_scanning = 1;
		break;
	case KBD_CMD_DISABLE:
		i8042_push(k, KBD_ACK, 0);
		k->kbd_scanning = 0;
		break;
	case KBD_CMD_RESET:
		i8042_push(k, KBD_ACK, 0);
		i8042_push(k, KBD_BAT_OK, 0);
		k->kbd_scanning = 1;
		break;
	default:
		/* 0xf6-0xfe: defaults, typematic modes, resend. */
		if (v >= 0xf6)
			i8042_push(k, KBD_ACK, 0);
		else
			i8042_push(k, KBD_RESEND, 0);
		break;
	}
}

/* i8042_write_data: port 0x60, a command's parameter or keyboard data. */
static void
i8042_write_data(struct i8042 *k, uint8_t v)
{
	uint8_t	 cmd = k->pending_cmd;

	k->pending_cmd = 0;
	if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + 0x20) {
		k->ram[cmd & (I8042_RAM - 1)] = v;
		return;
	}
	switch (cmd) {
	case I8042_CMD_WRITE_OUTPUT:
		k->outport = v;
		if (!(v & I8042_OUT_RESET))
			i8042_reset(k);
		break;
	case I8042_CMD_WRITE_KBD_OBUF:
		i8042_push(k, v, 0);
		break;
	case I8042_CMD_WRITE_AUX_OBUF:
		i8042_push(k, v, I8042_Q_AUX);
		break;
	case I8042_CMD_WRITE_AUX:
		/* No mouse attached: the transfer times out. */
		i8042_push(k, KBD_RESEND, I8042_Q_AUX | I8042_Q_TIMEOUT);
		break;
	default:
		i8042_kbd_write(k, v);
		break;
	}
}

/* i8042_write_cmd: port 0x64, a controller command. */
static void
i8042_write_cmd(struct i8042 *k, uint8_t cmd)
{
	k->pending_cmd = 0;
	if (cmd >= I8042_CMD_READ_RAM && cmd < I8042_CMD_READ_RAM + 0x20) {
		i8042_push(k, k->ram[cmd & (I8042_RAM - 1)], 0);
		return;
	}
	if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + 0x20) {
		k->pending_cmd = cmd;
		return;
	}
	if (cmd >= I8042_CMD_PULSE) {
		/* A 0 in bit 0 pulses the reset line. */
		if (!(cmd & I8042_OUT_RESET))
			i8042_reset(k);
		return;
	}
	switch (cmd) {
	case I8042_CMD_AUX_DISABLE:
		k->ram[0] |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ram[0] &= ~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_TEST:
	case I8042_CMD_KBD_TEST:
		i8042_push(k, 0x00, 0);
		break;
	case I8042_CMD_SELF_TEST:
		i8042_push(k, I8042_SELF_TEST_OK, 0);
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ram[0] |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ram[0] &= ~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_READ_INPUT:
		i8042_push(k, I8042_INPUT_PORT, 0);
		break;
	case I8042_CMD_READ_OUTPUT:
		i8042_push(k, k->outport, 0);
		break;
	case I8042_CMD_WRITE_OUTPUT:
	case I8042_CMD_WRITE_KBD_OBUF:
	case I8042_CMD_WRITE_AUX_OBUF:
	case I8042_CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case I8042_CMD_A20_OFF:
		k->outport &= ~I8042_OUT_A20;
		break;
	case I8042_CMD_A20_ON:
		k->outport |= I8042_OUT_A20;
		break;
	case I8042_CMD_READ_TEST:
		i8042_push(k, 0x00, 0);
		break;
	default:
		/* Unknown commands are ignored. */
		break;
	}
}

/*
 * i8042_io: one access to the data (0x60) or command/status (0x64) port,
 * lock held. Each range is one port; wider accesses touch only the first
 * byte and read 0xff above it.
 */
static void
i8042_io(struct i8042 *k, int cmdport, uint64_t off, int is_write,
    uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	if (!is_write)
		memset(data, 0xff, len);
	if (off != 0)
		return;
	if (is_write) {
		k->last_was_cmd = cmdport;
		if (cmdport)
			i8042_write_cmd(k, data[0]);
		else
			i8042_write_data(k, data[0]);
	} else
		data[0] = cmdport ? i8042_read_status(k) : i8042_read_data(k);
	i8042_update_irq(k);
}

/* i8042_io_data / i8042_io_cmd: the bus handlers for 0x60 and 0x64. */
static void
i8042_io_data(void *arg, uint64_t off, int is_write, uint8_t *data,
    size_t len)
{
	i8042_io(arg, 0, off, is_write, data, len);
}

static void
i8042_io_cmd(void *arg, uint64_t off, int is_write, uint8_t *data,
    size_t len)
{
	i8042_io(arg, 1, off, is_write, data, len);
}

void
i8042_ctrl_alt_del(struct i8042 *k)
{
	/* Set 1 (what translation gives) and set 2 make/break codes. */
	static const uint8_t	 set1[] = {
		0x1d, 0x38, 0x53, 0xd3, 0xb8, 0x9d
	};
	static const uint8_t	 set2[] = {
		0x14, 0x11, 0x71, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14
	};
	const uint8_t		*codes;
	size_t			 i, n;

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	if (k->ram[0] & I8042_CTR_XLATE) {
		codes = set1;
		n = sizeof(set1);
	} else {
		codes = set2;
		n = sizeof(set2);
	}
	for (i = 0; i < n; i++)
		i8042_push(k, codes[i], 0);
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

int
i8042_init(struct vm *vm)
{
	struct i8042	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if ((errno = pthread_mutex_init(&k->lock, NULL)) != 0) {
		log_warn("%s: pthread_mutex_init", __func__);
		free(k);
		return -1;
	}
	k->vm = vm;
	k->ram[0] = I8042_CTR_DEFAULT;
	k->outport = I8042_OUT_DEFAULT;
	k->kbd_scanning = 1;
	if (bus_register(&vm->pio, "i8042 data", PLAT_I8042_DATA, 1,
	    i8042_io_data, k, &k->lock) == -1 ||
	    bus_register(&vm->pio, "i8042 cmd", PLAT_I8042_CMD, 1,
	    i8042_io_cmd, k, &k->lock) == -1) {
		log_warn("%s: bus_register", __func__);
		/*
		 * The first range may be registered: leave k allocated so
		 * the bus never points at freed memory.
		 */
		return -1;
	}
	vm->i8042 = k;
	return 0;
}
