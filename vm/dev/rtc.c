/* SPDX-License-Identifier: ISC */
/* The MC146818 RTC and CMOS memory: host UTC time plus a guest-set offset. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"
#include "vm/dev/rtc.h"

#define RTC_NPORTS		2	/* index, data */
#define RTC_CMOS_SIZE		128
#define RTC_INDEX_MASK		0x7f	/* bit 7 of the index: NMI disable */

/* Clock registers. */
#define RTC_SEC			0x00
#define RTC_SEC_ALARM		0x01
#define RTC_MIN			0x02
#define RTC_MIN_ALARM		0x03
#define RTC_HOUR		0x04
#define RTC_HOUR_ALARM		0x05
#define RTC_WDAY		0x06
#define RTC_MDAY		0x07
#define RTC_MON			0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		PLAT_RTC_CENTURY

#define RTC_A_UIP		0x80	/* update in progress (read only) */
#define RTC_A_DEFAULT		0x26	/* 32.768 kHz time base, 1024 Hz */
#define RTC_A_RATE		0x0f	/* periodic interrupt rate select */
#define RTC_B_SET		0x80	/* clock frozen for setting */
#define RTC_B_PIE		0x40	/* periodic interrupt enable */
#define RTC_B_AIE		0x20	/* alarm interrupt enable */
#define RTC_B_UIE		0x10	/* update-ended interrupt enable */
#define RTC_B_IES		(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)
#define RTC_B_DM		0x04	/* binary (not BCD) */
#define RTC_B_24H		0x02
#define RTC_B_DEFAULT		RTC_B_24H	/* BCD, 24 hours */
#define RTC_B_HOUR_PM		0x80	/* in 12-hour mode */
#define RTC_C_IRQF		0x80	/* an enabled flag below is set */
#define RTC_C_PF		0x40
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10
#define RTC_D_VRT		0x80	/* valid RAM and time */
#define RTC_ALARM_ANY		0xc0	/* alarm byte >= 0xc0: don't care */

/* Fastest periodic interrupt we time (the chip goes to 8192 Hz). */
#define RTC_MIN_PERIOD_NS	(1000000000LL / 1024)

/* UIP reads 1 this long before each second boundary (244 us). */
#define RTC_UIP_NS		244000L

/* CMOS memory layout the BIOS reads. */
#define RTC_CMOS_CKSUM_START	0x10
#define RTC_CMOS_CKSUM_END	0x2d
#define RTC_CMOS_CKSUM_HI	0x2e
#define RTC_CMOS_CKSUM_LO	0x2f
#define RTC_CMOS_BASEMEM_LO	0x15	/* KB below 1M */
#define RTC_CMOS_BASEMEM_HI	0x16
#define RTC_CMOS_EXTMEM_LO	0x17	/* KB above 1M, at most 0xffff */
#define RTC_CMOS_EXTMEM_HI	0x18
#define RTC_CMOS_EXTMEM2_LO	0x30	/* same again */
#define RTC_CMOS_EXTMEM2_HI	0x31
#define RTC_CMOS_MEM16M_LO	0x34	/* 64K units above 16M, below 4G */
#define RTC_CMOS_MEM16M_HI	0x35
#define RTC_CMOS_MEM4G_LO	0x5b	/* 64K units above 4G, 3 bytes */
#define RTC_CMOS_MEM4G_MID	0x5c
#define RTC_CMOS_MEM4G_HI	0x5d
#define RTC_CMOS_NCPUS		0x5f	/* vCPUs - 1 (SeaBIOS reads it) */

/*
 * The RTC. vCPU threads (rtc_io, under lock via the bus) and the device
 * event thread (rtc_tick, takes lock) share it. Only the event thread
 * deletes the timer, so a vCPU never waits for a running callback.
 */
struct rtc {
	pthread_mutex_t	 lock;
	struct vm	*vm;
	struct event	*tick_ev;		/* NULL without an event base */
	int		 irq_level;
	uint8_t		 index;
	uint8_t		 cmos[RTC_CMOS_SIZE];	/* time registers unused */
	int64_t		 offset;		/* guest - host, seconds */
	struct tm	 set_tm;		/* the frozen clock while SET */
	int64_t		 last_sec;		/* guest second of the last tick */
	int64_t		 next_pf_ns;		/* host realtime of the next PF */
};

static int
rtc_is_time_reg(unsigned int idx)
{
	switch (idx) {
	case RTC_SEC:
	case RTC_MIN:
	case RTC_HOUR:
	case RTC_WDAY:
	case RTC_MDAY:
	case RTC_MON:
	case RTC_YEAR:
	case RTC_CENTURY:
		return 1;
	default:
		return 0;
	}
}

static void
rtc_host_now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_REALTIME, ts) == -1) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
	}
}

/* rtc_now: the guest's current time, broken down. */
static void
rtc_now(const struct rtc *rtc, struct tm *tm)
{
	struct timespec	 ts;
	time_t		 t;

	if (rtc->cmos[RTC_REG_B] & RTC_B_SET) {
		*tm = rtc->set_tm;
		return;
	}
	rtc_host_now(&ts);
	t = ts.tv_sec + rtc->offset;
	if (gmtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
}

/* rtc_settime: make tm the guest's current time (or the frozen one). */
static void
rtc_settime(struct rtc *rtc, struct tm *tm)
{
	struct timespec	 ts;
	time_t		 t;

	if (rtc->cmos[RTC_REG_B] & RTC_B_SET) {
		rtc->set_tm = *tm;
		return;
	}
	tm->tm_isdst = 0;
	t = timegm(tm);
	rtc_host_now(&ts);
	rtc->offset = (int64_t)t - (int64_t)ts.tv_sec;
}

/* rtc_encode: a value 0-99 in the guest's mode (BCD or binary). */
static uint8_t
rtc_encode(const struct rtc *rtc, int v)
{
	v %= 100;
	if (v < 0)
		v += 100;
	if (rtc->cmos[RTC_REG_B] & RTC_B_DM)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int
rtc_decode(const struct rtc *rtc, uint8_t v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t
rtc_encode_hour(const struct rtc *rtc, int hour)
{
	int	 h;

	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(rtc, hour);
	h = hour % 12;
	if (h == 0)
		h = 12;
	return rtc_encode(rtc, h) | (hour >= 12 ? RTC_B_HOUR_PM : 0);
}

static int
rtc_decode_hour(const struct rtc *rtc, uint8_t v)
{
	int	 h;

	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_decode(rtc, v);
	h = rtc_decode(rtc, v & ~RTC_B_HOUR_PM);
	if (h == 12)
		h = 0;
	return (v & RTC_B_HOUR_PM) ? h + 12 : h;
}

static uint8_t
rtc_read_time(const struct rtc *rtc, unsigned int idx)
{
	struct tm	 tm;
	int		 year;

	rtc_now(rtc, &tm);
	year = tm.tm_year + 1900;
	switch (idx) {
	case RTC_SEC:
		return rtc_encode(rtc, tm.tm_sec);
	case RTC_MIN:
		return rtc_encode(rtc, tm.tm_min);
	case RTC_HOUR:
		return rtc_encode_hour(rtc, tm.tm_hour);
	case RTC_WDAY:
		return rtc_encode(rtc, tm.tm_wday + 1);
	case RTC_MDAY:
		return rtc_encode(rtc, tm.tm_mday);
	case RTC_MON:
		return rtc_encode(rtc, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(rtc, year % 100);
	default:	/* RTC_CENTURY */
		return rtc_encode(rtc, year / 100);
	}
}

static void
rtc_write_time(struct rtc *rtc, unsigned int idx, uint8_t v)
{
	struct tm	 tm;
	int		 year;

	rtc_now(rtc, &tm);
	year = tm.tm_year + 1900;
	switch (idx) {
	case RTC_SEC:
		tm.tm_sec = rtc_decode(rtc, v);
		break;
	case RTC_MIN:
		tm.tm_min = rtc_decode(rtc, v);
		break;
	case RTC_HOUR:
		tm.tm_hour = rtc_decode_hour(rtc, v);
		break;
	case RTC_WDAY:
		/* Derived from the date. */
		return;
	case RTC_MDAY:
		tm.tm_mday = rtc_decode(rtc, v);
		break;
	case RTC_MON:
		tm.tm_mon = rtc_decode(rtc, v) - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = year - year % 100 + rtc_decode(rtc, v) - 1900;
		break;
	default:	/* RTC_CENTURY */
		tm.tm_year = rtc_decode(rtc, v) * 100 + year % 100 - 1900;
		break;
	}
	rtc_settime(rtc, &tm);
}

static uint8_t
rtc_read_reg_a(const struct rtc *rtc)
{
	struct timespec	 ts;
	uint8_t		 v = rtc->cmos[RTC_REG_A] & ~RTC_A_UIP;

	/* UIP: set in the last 244 us before the clock ticks. */
	if (!(rtc->cmos[RTC_REG_B] & RTC_B_SET)) {
		rtc_host_now(&ts);
		if (ts.tv_nsec >= 1000000000L - RTC_UIP_NS)
			v |= RTC_A_UIP;
	}
	return v;
}

static void
rtc_write_reg_b(struct rtc *rtc, uint8_t v)
{
	struct timespec	 ts;
	struct tm	 tm;
	uint8_t		 old = rtc->cmos[RTC_REG_B];

	/* Interrupts turned on: the first UF comes at the next second. */
	if (!(old & RTC_B_IES) && (v & RTC_B_IES)) {
		rtc_host_now(&ts);
		rtc->last_sec = (int64_t)ts.tv_sec + rtc->offset;
	}
	if (!(old & RTC_B_SET) && (v & RTC_B_SET)) {
		/* Freeze the clock where it is. */
		rtc_now(rtc, &rtc->set_tm);
		v &= ~RTC_B_UIE;
	} else if ((old & RTC_B_SET) && !(v & RTC_B_SET)) {
		/* Restart from what the guest set. */
		tm = rtc->set_tm;
		rtc->cmos[RTC_REG_B] = v;
		rtc_settime(rtc, &tm);
	}
	rtc->cmos[RTC_REG_B] = v;
}

static int64_t
rtc_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* rtc_period_ns: the periodic interrupt period, 0 if off (rate 0). */
static int64_t
rtc_period_ns(const struct rtc *rtc)
{
	unsigned int	 rs = rtc->cmos[RTC_REG_A] & RTC_A_RATE;
	int64_t		 hz;

	if (rs == 0)
		return 0;
	hz = rs <= 2 ? 512 >> rs : 65536 >> rs;	/* 256, 128, 8192..2 Hz */
	if (1000000000LL / hz < RTC_MIN_PERIOD_NS)
		return RTC_MIN_PERIOD_NS;
	return 1000000000LL / hz;
}

/* rtc_update_irq: IRQ 8 is high from an enabled flag until C is read. */
static void
rtc_update_irq(struct rtc *rtc)
{
	int	 level = (rtc->cmos[RTC_REG_C] & RTC_C_IRQF) != 0;

	if (level == rtc->irq_level)
		return;
	rtc->irq_level = level;
	vcpu_irq_line(rtc->vm, PLAT_RTC_IRQ, level);
}

static int
rtc_alarm_match(uint8_t alarm, uint8_t now)
{
	return alarm >= RTC_ALARM_ANY || alarm == now;
}

/*
 * rtc_arm: schedule the next tick if an interrupt is enabled: at the next
 * periodic interrupt or second boundary, whichever comes first. A timer
 * no longer needed fires once more and is not re-armed.
 */
static void
rtc_arm(struct rtc *rtc)
{
	struct timespec	 ts;
	struct timeval	 tv;
	int64_t		 now, when, period;

	if (rtc->tick_ev == NULL || !(rtc->cmos[RTC_REG_B] & RTC_B_IES))
		return;
	rtc_host_now(&ts);
	now = rtc_ts_ns(&ts);
	when = now - ts.tv_nsec + 1000000000LL;
	period = rtc_period_ns(rtc);
	if ((rtc->cmos[RTC_REG_B] & RTC_B_PIE) && period > 0) {
		if (rtc->next_pf_ns <= now - period ||
		    rtc->next_pf_ns > now + period)
			rtc->next_pf_ns = now + period;
		if (rtc->next_pf_ns < when)
			when = rtc->next_pf_ns;
	}
	if (when < now)
		when = now;
	tv.tv_sec = (when - now) / 1000000000LL;
	tv.tv_usec = (when - now) % 1000000000LL / 1000;
	if (evtimer_add(rtc->tick_ev, &tv) == -1)
		log_warnx("%s: evtimer_add failed", __func__);
}

/* rtc_tick: set the flags that came due and raise IRQ 8 (event thread). */
static void
rtc_tick(int fd, short what, void *arg)
{
	struct rtc	*rtc = arg;
	struct timespec	 ts;
	int64_t		 now, sec, period;
	uint8_t		 flags = 0, b;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&rtc->lock);
	b = rtc->cmos[RTC_REG_B];
	rtc_host_now(&ts);
	now = rtc_ts_ns(&ts);
	period = rtc_period_ns(rtc);
	if ((b & RTC_B_PIE) && period > 0 && now >= rtc->next_pf_ns) {
		flags |= RTC_C_PF;
		rtc->next_pf_ns += period;
	}
	sec = (int64_t)ts.tv_sec + rtc->offset;
	if (!(b & RTC_B_SET) && sec != rtc->last_sec) {
		rtc->last_sec = sec;
		flags |= RTC_C_UF;
		if (rtc_alarm_match(rtc->cmos[RTC_SEC_ALARM],
		    rtc_read_time(rtc, RTC_SEC)) &&
		    rtc_alarm_match(rtc->cmos[RTC_MIN_ALARM],
		    rtc_read_time(rtc, RTC_MIN)) &&
		    rtc_alarm_match(rtc->cmos[RTC_HOUR_ALARM],
		    rtc_read_time(rtc, RTC_HOUR)))
			flags |= RTC_C_AF;
	}
	rtc->cmos[RTC_REG_C] |= flags;
	/* PIE, AIE, UIE line up with PF, AF, UF. */
	if (rtc->cmos[RTC_REG_C] & b & RTC_B_IES)
		rtc->cmos[RTC_REG_C] |= RTC_C_IRQF;
	rtc_update_irq(rtc);
	rtc_arm(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

static uint8_t
rtc_read(struct rtc *rtc)
{
	unsigned int	 idx = rtc->index;
	uint8_t		 v;

	if (rtc_is_time_reg(idx))
		return rtc_read_time(rtc, idx);
	switch (idx) {
	case RTC_REG_A:
		return rtc_read_reg_a(rtc);
	case RTC_REG_C:
		v = rtc->cmos[RTC_REG_C];
		rtc->cmos[RTC_REG_C] = 0;
		rtc_update_irq(rtc);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->cmos[idx];
	}
}

static void
rtc_write(struct rtc *rtc, uint8_t v)
{
	unsigned int	 idx = rtc->index;

	if (rtc_is_time_reg(idx)) {
		rtc_write_time(rtc, idx, v);
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		rtc->cmos[RTC_REG_A] = v & ~RTC_A_UIP;
		rtc_arm(rtc);
		break;
	case RTC_REG_B:
		rtc_write_reg_b(rtc, v);
		rtc_arm(rtc);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		/* Read only. */
		break;
	default:
		rtc->cmos[idx] = v;
		break;
	}
}

/*
 * rtc_io: the bus handler. Port 0 selects a register (bit 7, NMI disable,
 * is ignored; reading it back gives 0xff, it is write-only), port 1 reads
 * or writes it. Wide accesses are split bytewise.
 */
static void
rtc_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct rtc	*rtc = arg;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (off >= RTC_NPORTS || i >= RTC_NPORTS - off) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (off + i == 0) {
			if (is_write)
				rtc->index = data[i] & RTC_INDEX_MASK;
			else
				data[i] = 0xff;
		} else if (is_write)
			rtc_write(rtc, data[i]);
		else
			data[i] = rtc_read(rtc);
	}
}

static void
rtc_set16(struct rtc *rtc, unsigned int lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc->cmos[lo] = v & 0xff;
	rtc->cmos[lo + 1] = (v >> 8) & 0xff;
}

/* rtc_cmos_init: the memory sizes, CPU count and checksum a BIOS reads. */
static void
rtc_cmos_init(struct rtc *rtc, const struct vm *vm)
{
	uint64_t	 low, high, ext;
	unsigned int	 i, sum = 0;

	low = vm->params.memsize;
	if (low > PLAT_PCI_HOLE_START)
		low = PLAT_PCI_HOLE_START;
	high = vm->params.memsize - low;

	/* The conventional 640K; the BIOS carves its EBDA out of it. */
	rtc_set16(rtc, RTC_CMOS_BASEMEM_LO, 640);
	ext = low > PLAT_HIGHMEM_START ? (low - PLAT_HIGHMEM_START) >> 10 : 0;
	rtc_set16(rtc, RTC_CMOS_EXTMEM_LO, ext);
	rtc_set16(rtc, RTC_CMOS_EXTMEM2_LO, ext);
	rtc_set16(rtc, RTC_CMOS_MEM16M_LO,
	    low > (16ULL << 20) ? (low - (16ULL << 20)) >> 16 : 0);
	high >>= 16;
	if (high > 0xffffff)
		high = 0xffffff;
	rtc->cmos[RTC_CMOS_MEM4G_LO] = high & 0xff;
	rtc->cmos[RTC_CMOS_MEM4G_MID] = (high >> 8) & 0xff;
	rtc->cmos[RTC_CMOS_MEM4G_HI] = (high >> 16) & 0xff;
	if (vm->params.ncpus >= 1 && vm->params.ncpus <= 256)
		rtc->cmos[RTC_CMOS_NCPUS] = vm->params.ncpus - 1;

	for (i = RTC_CMOS_CKSUM_START; i <= RTC_CMOS_CKSUM_END; i++)
		sum += rtc->cmos[i];
	rtc->cmos[RTC_CMOS_CKSUM_HI] = (sum >> 8) & 0xff;
	rtc->cmos[RTC_CMOS_CKSUM_LO] = sum & 0xff;
}

void
rtc_free(struct rtc *rtc)
{
	if (rtc == NULL)
		return;
	if (rtc->tick_ev != NULL)
		event_free(rtc->tick_ev);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

struct rtc *
rtc_get(struct vm *vm)
{
	const struct bus_range	*r;

	r = bus_find(&vm->pio, PLAT_RTC_PORT);
	if (r == NULL || r->fn != rtc_io)
		return NULL;
	return r->arg;
}

int
rtc_init(struct vm *vm)
{
	struct rtc	*rtc;
	int		 saved;

	if ((rtc = calloc(1, sizeof(*rtc))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if ((errno = pthread_mutex_init(&rtc->lock, NULL)) != 0) {
		log_warn("%s: pthread_mutex_init", __func__);
		free(rtc);
		return -1;
	}
	rtc->vm = vm;
	rtc->cmos[RTC_REG_A] = RTC_A_DEFAULT;
	rtc->cmos[RTC_REG_B] = RTC_B_DEFAULT;
	rtc->cmos[RTC_REG_D] = RTC_D_VRT;
	rtc_cmos_init(rtc, vm);
	/* Without an event loop the flags and IRQ 8 simply never come. */
	if (vm->evbase != NULL &&
	    (rtc->tick_ev = evtimer_new(vm->evbase, rtc_tick, rtc)) == NULL) {
		log_warnx("%s: evtimer_new failed", __func__);
		rtc_free(rtc);
		errno = ENOMEM;
		return -1;
	}
	if (bus_register(&vm->pio, "rtc", PLAT_RTC_PORT, RTC_NPORTS, rtc_io,
	    rtc, &rtc->lock) == -1) {
		saved = errno;
		log_warn("%s: bus_register", __func__);
		rtc_free(rtc);
		errno = saved;
		return -1;
	}
	return 0;
}
