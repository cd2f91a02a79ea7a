/* SPDX-License-Identifier: ISC */
/* Unit tests for the i8042: commands, keyboard replies, reset, ctrl-alt-del. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/devices.h"
#include "vm/platform.h"

#define DATA	PLAT_I8042_DATA
#define CMD	PLAT_I8042_CMD
#define IRQ	PLAT_I8042_IRQ

static uint8_t
st(struct vm *vm)
{
	return (uint8_t)fakevm_pio_read(vm, CMD, 1);
}

static uint8_t
rd(struct vm *vm)
{
	return (uint8_t)fakevm_pio_read(vm, DATA, 1);
}

static void
cmd(struct vm *vm, uint8_t v)
{
	fakevm_pio_write(vm, CMD, 1, v);
}

static void
wr(struct vm *vm, uint8_t v)
{
	fakevm_pio_write(vm, DATA, 1, v);
}

static void
setup(struct vm *vm)
{
	fakevm_init(vm);
	if (i8042_init(vm) == -1 || vm->i8042 == NULL)
		abort();
}

static void
teardown(struct vm *vm)
{
	free(vm->i8042);
	fakevm_free(vm);
}

/* expect: the output buffer holds exactly these bytes. */
static int
expect(struct vm *vm, const uint8_t *want, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!(st(vm) & 0x01))
			return 0;
		if (rd(vm) != want[i])
			return 0;
	}
	return (st(vm) & 0x01) == 0;
}

static void
test_controller(void)
{
	struct vm	 vm;

	setup(&vm);
	tap_is(st(&vm) & 0x05, 0x04, "status: SYS set, OBF clear");
	cmd(&vm, 0xaa);
	tap_is(st(&vm) & 0x0b, 0x09, "self-test: OBF, last write a command");
	tap_is(rd(&vm), 0x55, "self-test passes");
	tap_is(st(&vm) & 0x01, 0, "OBF clear after read");
	cmd(&vm, 0xab);
	tap_is(rd(&vm), 0x00, "keyboard interface test");
	cmd(&vm, 0x20);
	tap_is(rd(&vm), 0x45, "command byte default");
	cmd(&vm, 0x60);
	wr(&vm, 0x47);
	cmd(&vm, 0x20);
	tap_is(rd(&vm), 0x47, "command byte written");
	cmd(&vm, 0xad);
	cmd(&vm, 0xa7);
	cmd(&vm, 0x20);
	tap_is(rd(&vm), 0x77, "0xad/0xa7 set the disable bits");
	cmd(&vm, 0xae);
	cmd(&vm, 0xa8);
	cmd(&vm, 0x20);
	tap_is(rd(&vm), 0x47, "0xae/0xa8 clear them");
	cmd(&vm, 0xd0);
	tap_is(rd(&vm), 0x03, "output port: reset high, A20 on");
	cmd(&vm, 0xd1);
	wr(&vm, 0x03);
	tap_is(fakevm.exit_status, -1, "output port write with bit 0: no reset");
	cmd(&vm, 0xd2);
	wr(&vm, 0x99);
	tap_is(st(&vm) & 0x21, 0x01, "0xd2: keyboard data");
	tap_is(rd(&vm), 0x99, "0xd2 echoes");
	cmd(&vm, 0xd3);
	wr(&vm, 0x5a);
	tap_is(st(&vm) & 0x21, 0x21, "0xd3: aux data");
	tap_is(fakevm.irq_level[12], 1, "aux byte raises IRQ 12");
	tap_is(rd(&vm), 0x5a, "0xd3 echoes");
	tap_is(fakevm.irq_level[12], 0, "IRQ 12 low after read");
	cmd(&vm, 0xd4);
	wr(&vm, 0xf2);
	tap_is(st(&vm) & 0x61, 0x61, "0xd4 without a mouse: timeout");
	tap_is(rd(&vm), 0xfe, "and 0xfe");
	cmd(&vm, 0xf1);
	tap_is(fakevm.exit_status, -1, "pulse 0xf1: no reset");
	cmd(&vm, 0xfe);
	tap_is(fakevm.exit_status, VM_EXIT_REBOOT, "0xfe resets");
	teardown(&vm);

	setup(&vm);
	cmd(&vm, 0xd1);
	wr(&vm, 0x02);
	tap_is(fakevm.exit_status, VM_EXIT_REBOOT,
	    "output port bit 0 clear resets");
	teardown(&vm);

	setup(&vm);
	cmd(&vm, 0xf0);
	tap_is(fakevm.exit_status, VM_EXIT_REBOOT, "pulse 0xf0 resets");
	teardown(&vm);
}

static void
test_keyboard(void)
{
	static const uint8_t	 reset[] = { 0xfa, 0xaa };
	static const uint8_t	 id[] = { 0xfa, 0xab, 0x41 };
	static const uint8_t	 id2[] = { 0xfa, 0xab, 0x83 };
	static const uint8_t	 ack[] = { 0xfa };
	static const uint8_t	 ack2[] = { 0xfa, 0xfa };
	static const uint8_t	 nak[] = { 0xfe };
	struct vm		 vm;
	int			 raises;

	setup(&vm);
	wr(&vm, 0xff);
	tap_ok(expect(&vm, reset, 2), "keyboard reset: fa aa");
	wr(&vm, 0xf2);
	tap_ok(expect(&vm, id, 3), "keyboard id, translated: fa ab 41");
	wr(&vm, 0xf5);
	tap_ok(expect(&vm, ack, 1), "disable: ack");
	wr(&vm, 0xf4);
	tap_ok(expect(&vm, ack, 1), "enable: ack");
	wr(&vm, 0xed);
	wr(&vm, 0x07);
	tap_ok(expect(&vm, ack2, 2), "LEDs + parameter: two acks");
	wr(&vm, 0xf3);
	wr(&vm, 0x20);
	tap_ok(expect(&vm, ack2, 2), "typematic + parameter: two acks");
	wr(&vm, 0x42);
	tap_ok(expect(&vm, nak, 1), "unknown: fe");
	cmd(&vm, 0x60);
	wr(&vm, 0x05);
	wr(&vm, 0xf2);
	tap_ok(expect(&vm, id2, 3), "keyboard id untranslated: fa ab 83");

	/* IRQ 1 per byte, gated by the command byte. */
	raises = fakevm.irq_raises[IRQ];
	wr(&vm, 0xff);
	tap_is(fakevm.irq_level[IRQ], 1, "reply raises IRQ 1");
	tap_is(fakevm.irq_raises[IRQ] - raises, 1, "one edge");
	(void)rd(&vm);
	tap_is(fakevm.irq_level[IRQ], 1, "still high: second byte");
	tap_is(fakevm.irq_raises[IRQ] - raises, 2, "a new edge for it");
	(void)rd(&vm);
	tap_is(fakevm.irq_level[IRQ], 0, "low when empty");
	cmd(&vm, 0x60);
	wr(&vm, 0x04);
	wr(&vm, 0xf4);
	tap_is(fakevm.irq_level[IRQ], 0, "interrupt disabled: line low");
	tap_is(st(&vm) & 1, 1, "byte still there");
	cmd(&vm, 0x60);
	tap_is(fakevm.irq_level[IRQ], 0, "write-command in progress");
	wr(&vm, 0x05);
	tap_is(fakevm.irq_level[IRQ], 1, "enabling it raises the line");
	(void)rd(&vm);
	teardown(&vm);
}

static void *
cad_thread(void *arg)
{
	i8042_ctrl_alt_del(arg);
	return NULL;
}

static void
test_ctrl_alt_del(void)
{
	static const uint8_t	 set1[] = { 0x1d, 0x38, 0x53, 0xd3, 0xb8,
	    0x9d };
	static const uint8_t	 set2[] = { 0x14, 0x11, 0x71, 0xf0, 0x71,
	    0xf0, 0x11, 0xf0, 0x14 };
	struct vm		 vm;
	pthread_t		 t;

	setup(&vm);
	if (pthread_create(&t, NULL, cad_thread, vm.i8042) != 0)
		abort();
	pthread_join(t, NULL);
	tap_is(fakevm.irq_level[IRQ], 1, "ctrl-alt-del raises IRQ 1");
	tap_ok(expect(&vm, set1, sizeof(set1)),
	    "set 1 codes: 1d 38 53 d3 b8 9d");
	cmd(&vm, 0x60);
	wr(&vm, 0x05);
	i8042_ctrl_alt_del(vm.i8042);
	tap_ok(expect(&vm, set2, sizeof(set2)), "set 2 codes untranslated");
	i8042_ctrl_alt_del(NULL);
	tap_ok(1, "NULL is ignored");
	teardown(&vm);
}

static void
test_hostile(void)
{
	struct vm	 vm;
	uint64_t	 port, v, c;
	size_t		 len;
	int		 i;

	setup(&vm);
	for (c = 0; c < 256; c++) {
		if ((c >= 0xf0 && !(c & 1)) || c == 0xd1)
			continue;
		for (v = 0; v < 256; v += 3) {
			cmd(&vm, c);
			wr(&vm, v);
			(void)st(&vm);
			(void)rd(&vm);
		}
		cmd(&vm, 0x60);
		wr(&vm, 0x47);
	}
	for (port = DATA - 8; port < CMD + 8; port++)
		for (len = 1; len <= 8; len *= 2)
			for (v = 0; v < 256; v++) {
				if (port == CMD && (v >= 0xf0 && !(v & 1)))
					continue;
				fakevm_pio_write(&vm, port, len,
				    v * 0x0101010101010101ULL);
				(void)fakevm_pio_read(&vm, port, len);
			}
	srand(3);
	for (i = 0; i < 100000; i++) {
		if (rand() & 1)
			fakevm_pio_write(&vm, rand() & 1 ? DATA : CMD,
			    1, rand() & 0xff);
		else
			(void)fakevm_pio_read(&vm, rand() & 1 ? DATA : CMD, 1);
		if (rand() % 100 == 0)
			i8042_ctrl_alt_del(vm.i8042);
	}
	tap_ok(1, "hostile sweep survived");
	teardown(&vm);
}

int
main(void)
{
	test_controller();
	test_keyboard();
	test_ctrl_alt_del();
	test_hostile();
	return tap_done();
}
