/* SPDX-License-Identifier: ISC */
/* Unit tests for the CMOS RTC: time in BCD/binary, set, reg C, memory sizes. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/dev/rtc.h"

#include <event2/event.h>

#define IDX	PLAT_RTC_PORT
#define DATA	(PLAT_RTC_PORT + 1)

static uint8_t
cmos(struct vm *vm, uint8_t idx)
{
	fakevm_pio_write(vm, IDX, 1, idx);
	return (uint8_t)fakevm_pio_read(vm, DATA, 1);
}

static void
cmos_set(struct vm *vm, uint8_t idx, uint8_t v)
{
	fakevm_pio_write(vm, IDX, 1, idx);
	fakevm_pio_write(vm, DATA, 1, v);
}

static int
bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 15);
}

static void
setup(struct vm *vm, uint64_t memsize)
{
	fakevm_init(vm);
	vm->params.memsize = memsize;
	if (rtc_init(vm) == -1)
		abort();
}

static void
teardown(struct vm *vm)
{
	rtc_free(rtc_get(vm));
	fakevm_free(vm);
}

/* read_time: the RTC's time as seconds since the epoch. */
static time_t
read_time(struct vm *vm, int binary, int *wday)
{
	struct tm	 tm;
	int		 (*d)(uint8_t);
	uint8_t		 hour;

	memset(&tm, 0, sizeof(tm));
	d = binary ? NULL : bcd;
#define DEC(v)	(d != NULL ? d(v) : (v))
	tm.tm_sec = DEC(cmos(vm, 0));
	tm.tm_min = DEC(cmos(vm, 2));
	hour = cmos(vm, 4);
	tm.tm_hour = DEC(hour);
	*wday = DEC(cmos(vm, 6));
	tm.tm_mday = DEC(cmos(vm, 7));
	tm.tm_mon = DEC(cmos(vm, 8)) - 1;
	tm.tm_year = DEC(cmos(vm, 0x32)) * 100 + DEC(cmos(vm, 9)) - 1900;
#undef DEC
	return timegm(&tm);
}

static int
near(time_t a, time_t b)
{
	return (a > b ? a - b : b - a) <= 2;
}

static void
test_time(void)
{
	struct vm	 vm;
	struct tm	 tm;
	time_t		 now, t;
	int		 wday, i, pm;
	uint8_t		 h;

	setup(&vm, 64ULL << 20);
	tap_is(cmos(&vm, 0x0a) & 0x7f, 0x26, "reg A default");
	tap_is(cmos(&vm, 0x0b), 0x02, "reg B: 24h BCD");
	tap_is(cmos(&vm, 0x0d), 0x80, "reg D: VRT");
	tap_is(cmos(&vm, 0x8d), 0x80, "NMI bit of the index ignored");

	now = time(NULL);
	t = read_time(&vm, 0, &wday);
	gmtime_r(&t, &tm);
	tap_ok(near(t, now), "BCD time within 2 s of host UTC");
	tap_is(wday, tm.tm_wday + 1, "day of week");

	cmos_set(&vm, 0x0b, 0x06);
	now = time(NULL);
	t = read_time(&vm, 1, &wday);
	tap_ok(near(t, now), "binary time within 2 s of host UTC");

	/* 12-hour mode. */
	cmos_set(&vm, 0x0b, 0x04);
	now = time(NULL);
	gmtime_r(&now, &tm);
	h = cmos(&vm, 4);
	pm = (h & 0x80) != 0;
	tap_is(pm, tm.tm_hour >= 12, "12h: PM bit");
	tap_is(h & 0x7f, tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12,
	    "12h: hour 1-12");

	/* Setting: freeze with SET, write, release. */
	cmos_set(&vm, 0x0b, 0x82);
	cmos_set(&vm, 0x09, 0x30);
	cmos_set(&vm, 0x08, 0x07);
	cmos_set(&vm, 0x07, 0x14);
	cmos_set(&vm, 0x04, 0x12);
	cmos_set(&vm, 0x02, 0x34);
	cmos_set(&vm, 0x00, 0x56);
	tap_is(cmos(&vm, 0x09), 0x30, "SET: frozen value reads back");
	tap_is(cmos(&vm, 0x0a) & 0x80, 0, "SET: no UIP");
	cmos_set(&vm, 0x0b, 0x02);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 130;
	tm.tm_mon = 6;
	tm.tm_mday = 14;
	tm.tm_hour = 12;
	tm.tm_min = 34;
	tm.tm_sec = 56;
	t = read_time(&vm, 0, &wday);
	tap_ok(near(t, timegm(&tm)), "guest-set time runs from 2030-07-14");
	tap_is(wday, 1, "2030-07-14 is a Sunday");

	/* A plain write (no SET) moves the offset too. */
	cmos_set(&vm, 0x32, 0x19);
	tap_is(cmos(&vm, 0x32), 0x19, "century write");
	tap_is(cmos(&vm, 0x09), 0x30, "year kept");

	/* UIP is only ever set briefly. */
	for (i = 0; i < 1000; i++)
		if (cmos(&vm, 0x0a) & 0x80)
			break;
	tap_ok(i > 0, "UIP mostly clear");
	teardown(&vm);
}

static void
test_regs(void)
{
	struct vm	 vm;
	unsigned	 i, sum;

	setup(&vm, 64ULL << 20);
	tap_is(cmos(&vm, 0x0c), 0, "reg C read");
	tap_is(cmos(&vm, 0x0c), 0, "reg C cleared by read");
	cmos_set(&vm, 0x0c, 0xff);
	tap_is(cmos(&vm, 0x0c), 0, "reg C read-only");
	cmos_set(&vm, 0x0d, 0x00);
	tap_is(cmos(&vm, 0x0d), 0x80, "reg D read-only");
	cmos_set(&vm, 0x0a, 0xff);
	tap_is(cmos(&vm, 0x0a) & 0x7f, 0x7f, "reg A writable but UIP");
	cmos_set(&vm, 0x40, 0xaa);
	cmos_set(&vm, 0x7f, 0x55);
	tap_is(cmos(&vm, 0x40), 0xaa, "NVRAM 0x40");
	tap_is(cmos(&vm, 0xff), 0x55, "NVRAM 0x7f via 0xff");
	cmos_set(&vm, 0x01, 0x42);
	tap_is(cmos(&vm, 0x01), 0x42, "alarm seconds stored");

	/* 64M. */
	tap_is(cmos(&vm, 0x15) | cmos(&vm, 0x16) << 8, 640, "base 640K");
	tap_is(cmos(&vm, 0x17) | cmos(&vm, 0x18) << 8, 63 * 1024,
	    "64M: ext KB");
	tap_is(cmos(&vm, 0x30) | cmos(&vm, 0x31) << 8, 63 * 1024,
	    "64M: ext KB (0x30)");
	tap_is(cmos(&vm, 0x34) | cmos(&vm, 0x35) << 8, 48 * 16,
	    "64M: 64K units above 16M");
	tap_is(cmos(&vm, 0x5b) | cmos(&vm, 0x5c) << 8 | cmos(&vm, 0x5d) << 16,
	    0, "64M: nothing above 4G");
	sum = 0;
	for (i = 0x10; i <= 0x2d; i++)
		sum += cmos(&vm, i);
	tap_is(cmos(&vm, 0x2e) << 8 | cmos(&vm, 0x2f), sum, "checksum");
	teardown(&vm);

	/* 4G: 3G below the hole, 1G above 4G. */
	setup(&vm, 4ULL << 30);
	tap_is(cmos(&vm, 0x17) | cmos(&vm, 0x18) << 8, 0xffff,
	    "4G: ext KB capped");
	tap_is(cmos(&vm, 0x34) | cmos(&vm, 0x35) << 8,
	    ((3ULL << 30) - (16 << 20)) >> 16, "4G: 64K units 16M-3G");
	tap_is(cmos(&vm, 0x5b) | cmos(&vm, 0x5c) << 8 | cmos(&vm, 0x5d) << 16,
	    (1ULL << 30) >> 16, "4G: 64K units above 4G");
	tap_is(cmos(&vm, 0x5f), 0, "one vCPU");
	teardown(&vm);
}

static void
test_hostile(void)
{
	struct vm	 vm;
	uint64_t	 port, v, idx;
	size_t		 len;
	int		 i;

	setup(&vm, 128ULL << 30);
	for (idx = 0; idx < 256; idx++)
		for (v = 0; v < 256; v++) {
			cmos_set(&vm, idx, v);
			(void)cmos(&vm, idx);
			(void)cmos(&vm, 0);
			(void)cmos(&vm, 9);
		}
	for (port = IDX - 4; port < IDX + 4; port++)
		for (len = 1; len <= 8; len *= 2)
			for (v = 0; v < 256; v++) {
				fakevm_pio_write(&vm, port, len,
				    v * 0x0101010101010101ULL);
				(void)fakevm_pio_read(&vm, port, len);
			}
	srand(2);
	for (i = 0; i < 100000; i++) {
		cmos_set(&vm, rand() & 0xff, rand() & 0xff);
		(void)cmos(&vm, rand() & 0xff);
	}
	tap_ok(1, "hostile sweep survived");
	teardown(&vm);
}

/* wait_irq: run the loop until IRQ 8 rises, at most about 3 s. */
static int
wait_irq(struct event_base *eb)
{
	int	 i;

	for (i = 0; i < 3000 && !fakevm.irq_level[PLAT_RTC_IRQ]; i++)
		if (event_base_loop(eb, EVLOOP_ONCE) == 1)
			break;
	return fakevm.irq_level[PLAT_RTC_IRQ];
}

static void
test_interrupts(void)
{
	struct vm		 vm;
	struct event_base	*eb;
	uint8_t			 c;
	int			 i, n;

	if ((eb = event_base_new()) == NULL)
		abort();
	fakevm_init(&vm);
	vm.params.memsize = 64ULL << 20;
	vm.evbase = eb;
	if (rtc_init(&vm) == -1)
		abort();

	/* Update-ended interrupt. */
	cmos_set(&vm, 0x0b, 0x12);
	tap_ok(wait_irq(eb), "UIE: IRQ 8 within a second");
	c = cmos(&vm, 0x0c);
	tap_is(c & 0x90, 0x90, "reg C: IRQF|UF");
	tap_is(fakevm.irq_level[PLAT_RTC_IRQ], 0, "reading C lowers IRQ 8");
	tap_is(cmos(&vm, 0x0c), 0, "and clears C");

	/* Alarm every second (don't-care bytes). */
	cmos_set(&vm, 0x01, 0xff);
	cmos_set(&vm, 0x03, 0xff);
	cmos_set(&vm, 0x05, 0xff);
	cmos_set(&vm, 0x0b, 0x22);
	tap_ok(wait_irq(eb), "AIE: IRQ 8");
	tap_is(cmos(&vm, 0x0c) & 0xa0, 0xa0, "reg C: IRQF|AF");

	/* Periodic at 64 Hz: about 16 interrupts in 250 ms. */
	cmos_set(&vm, 0x0a, 0x2a);
	cmos_set(&vm, 0x0b, 0x42);
	n = 0;
	for (i = 0; i < 20; i++) {
		if (!wait_irq(eb))
			break;
		if (cmos(&vm, 0x0c) & 0x40)
			n++;
	}
	tap_is(n, 20, "PIE: 20 periodic interrupts");

	/* Disabled: the timer fires at most once more, no IRQ. */
	cmos_set(&vm, 0x0b, 0x02);
	(void)cmos(&vm, 0x0c);
	for (i = 0; i < 4; i++)
		event_base_loop(eb, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	usleep(50000);
	event_base_loop(eb, EVLOOP_NONBLOCK);
	tap_is(fakevm.irq_level[PLAT_RTC_IRQ], 0, "disabled: IRQ 8 stays low");
	tap_is(event_base_loop(eb, EVLOOP_NONBLOCK), 1, "no timer left");
	rtc_free(rtc_get(&vm));
	fakevm_free(&vm);
	event_base_free(eb);
}

int
main(void)
{
	test_interrupts();
	test_time();
	test_regs();
	test_hostile();
	return tap_done();
}
