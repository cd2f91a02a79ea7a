/* SPDX-License-Identifier: ISC */
/* The CMOS RTC check: read the date (BCD or binary), compare with tg.rtc. */
#include "guest.h"

#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_DAY		0x07
#define RTC_MON		0x08
#define RTC_YEAR	0x09
#define RTC_A		0x0a
#define RTC_B		0x0b
#define RTC_A_UIP	0x80
#define RTC_B_24H	0x02
#define RTC_B_BINARY	0x04
#define RTC_CENTURY	0x32		/* unless the FADT names another */
#define RTC_SLACK	10		/* seconds either side of tg.rtc */

struct rtc_time {
	int	 sec, min, hour, day, mon, year, century;
};

static uint8_t
cmos_read(uint8_t reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

static void
rtc_raw(struct rtc_time *t)
{
	int	 i;

	for (i = 0; i < 10000 && (cmos_read(RTC_A) & RTC_A_UIP); i++)
		;
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MON);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(acpi.century ? acpi.century : RTC_CENTURY);
}

static int
bcd(int v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * check_rtc: read until two reads agree, decode per register B (BCD or
 * binary, 12 or 24 hours), and compare with tg.rtc (host unix time at
 * launch) within RTC_SLACK seconds.
 */
void
check_rtc(void)
{
	struct rtc_time	 a, b;
	uint64_t	 host;
	int64_t		 t, diff;
	int		 i, regb, pm, year, valid;

	rtc_raw(&a);
	for (i = 0; i < 5; i++) {
		rtc_raw(&b);
		if (memcmp(&a, &b, sizeof(a)) == 0)
			break;
		a = b;
	}
	regb = cmos_read(RTC_B);
	if (regb == 0xff) {
		tap_ok(0, "rtc: no CMOS RTC (register B reads 0xff)");
		return;
	}
	pm = !(regb & RTC_B_24H) && (a.hour & 0x80);
	a.hour &= 0x7f;
	if (!(regb & RTC_B_BINARY)) {
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		a.hour = bcd(a.hour);
		a.day = bcd(a.day);
		a.mon = bcd(a.mon);
		a.year = bcd(a.year);
		a.century = bcd(a.century);
	}
	if (!(regb & RTC_B_24H))
		a.hour = a.hour % 12 + (pm ? 12 : 0);
	year = a.century >= 19 && a.century <= 21 ? a.century * 100 + a.year :
	    2000 + a.year;
	valid = a.sec < 60 && a.min < 60 && a.hour < 24 && a.day >= 1 &&
	    a.day <= 31 && a.mon >= 1 && a.mon <= 12 && a.year < 100;
	t = days_from_civil(year, a.mon, a.day) * 86400 + a.hour * 3600 +
	    a.min * 60 + a.sec;
	(valid ? diag : printf)("# rtc: %04d-%02d-%02d %02d:%02d:%02d "
	    "(register B 0x%02x), "
	    "unix %ld\n", year, a.mon, a.day, a.hour, a.min, a.sec, regb, t);
	if (!cmdline_u64("tg.rtc", &host)) {
		tap_ok(valid && year >= 2020 && year < 2100,
		    "rtc: a plausible date (no tg.rtc to compare)");
		return;
	}
	diff = t - (int64_t)host;
	tap_ok(valid && diff >= -RTC_SLACK && diff <= RTC_SLACK,
	    "rtc: %ld s from tg.rtc %lu (within %d s)", diff, host,
	    RTC_SLACK);
}
